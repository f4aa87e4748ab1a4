import Boards
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import Hardware
import ModbusTCP
import Synchronization
import Testing
import Transport

/// The RTU master against a peer on a real pseudo-terminal (the kernel's pty pair stands in for the RS-485 adapter):
/// the peer answers each request with what the test's responder returns.
final class PTYPeer: @unchecked Sendable {
    let master: Int32
    let path: String
    private let stopped = Atomic<Bool>(false)
    /// Signalled when the peer's thread has left its loop (``stop()`` waits for it before closing the descriptor).
    private let finished = DispatchSemaphore(value: 0)
    let requests = Mutex<[[UInt8]]>([])

    init(responder: @escaping @Sendable ([UInt8]) -> [UInt8]) throws {
        // posix_openpt/unlockpt/ptsname are not in Swift's Glibc module: their ioctls (Linux asm-generic/ioctls.h,
        // TIOCSPTLCK = _IOW('T', 0x31, int), TIOCGPTN = _IOR('T', 0x30, unsigned int)) on /dev/ptmx do the same.
        let m = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0, number: UInt32 = 0
        guard m >= 0, ioctl(m, 0x4004_5431, &unlock) == 0, ioctl(m, 0x8004_5430, &number) == 0 else {
            throw SerialPortError("no pseudo-terminal")
        }
        let name = "/dev/pts/\(number)"
        var t = termios()
        tcgetattr(m, &t); cfmakeraw(&t); tcsetattr(m, TCSANOW, &t)
        master = m
        path = name
        // The master side is the peer; the master under test opens the slave side as its serial device.
        let fd = m
        Thread { [self] in
            var pending: [UInt8] = []
            while !self.stopped.load(ordering: .acquiring) {
                var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 20) > 0 else { continue }
                var buffer = [UInt8](repeating: 0, count: 256)
                let n = read(fd, &buffer, 256)
                guard n > 0 else { usleep(5000); continue }
                pending += buffer[0..<n]
                let length = pending.count >= 2 && pending[1] == 0x10 ? (pending.count >= 7 ? 9 + Int(pending[6]) : Int.max) : 8
                guard pending.count >= length else { continue }
                let request = Array(pending[0..<length])
                pending.removeFirst(length)
                self.requests.withLock { $0.append(request) }
                let answer = responder(request)
                if !answer.isEmpty { _ = answer.withUnsafeBytes { write(fd, $0.baseAddress, answer.count) } }
            }
            self.finished.signal()
        }.start()
    }

    func stop() {
        stopped.store(true, ordering: .releasing)
        finished.wait()  // the loop polls with a 20 ms timeout, so it sees the flag within one round
        close(master)
    }
}

@Suite(.serialized) struct ModbusRTUMasterTests {
    static func registers(unit: UInt8, _ values: [UInt16]) -> [UInt8] {
        RTUFrame.encode(unitID: unit, pdu: [0x03, UInt8(values.count * 2)] + values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
    }

    func master(_ peer: PTYPeer, timeout: Int = 100) -> ModbusRTUMaster {
        ModbusRTUMaster(SerialSettings(device: peer.path, baudRate: 115200, parity: "none", stopBits: 1), timeoutMilliseconds: timeout)
    }

    @Test func readsAnAnswerPastNoiseAndAForeignUnit() throws {
        let peer = try PTYPeer { request in
            [0x00, 0xFF] + Self.registers(unit: 9, [7]) + Self.registers(unit: request[0], [1, 2, 3])
        }
        defer { peer.stop() }
        let m = master(peer)
        defer { m.close() }
        #expect(try m.readRegisters(.readHoldingRegisters, address: 1000, quantity: 3, unitID: 2) == [1, 2, 3])
        #expect(peer.requests.withLock { $0 } == [RTUFrame.request(.readHoldingRegisters(address: 1000, quantity: 3), unitID: 2)])
    }

    @Test func silenceIsATimeoutAndGarbageIsMalformed() throws {
        let answers = Mutex<[[UInt8]]>([[], [0x02, 0x03, 0x06, 0x01, 0x02, 0x03, 0x04]])
        let peer = try PTYPeer { _ in answers.withLock { $0.isEmpty ? [] : $0.removeFirst() } }
        defer { peer.stop() }
        let m = master(peer)
        defer { m.close() }
        #expect(throws: ModbusError.timeout) { try m.readRegisters(.readHoldingRegisters, address: 0, quantity: 3, unitID: 2) }
        #expect { try m.readRegisters(.readHoldingRegisters, address: 0, quantity: 3, unitID: 2) } throws: { error in
            guard case .malformed(let text) = error as? ModbusError else { return false }
            return text.contains("unit 2")
        }
        // The next request works again.
        answers.withLock { $0 = [Self.registers(unit: 2, [5, 6, 7])] }
        #expect(try m.readRegisters(.readHoldingRegisters, address: 0, quantity: 3, unitID: 2) == [5, 6, 7])
    }

    @Test func writesWithFunction16AndExceptionsThrow() throws {
        let peer = try PTYPeer { request in
            request[1] == 0x10 ? RTUFrame.encode(unitID: request[0], pdu: Array(request[1..<6]))
                : RTUFrame.encode(unitID: request[0], pdu: [0x83, 0x02])
        }
        defer { peer.stop() }
        let m = master(peer)
        defer { m.close() }
        try m.writeRegisters(address: 1000, values: [16], unitID: 1)
        #expect(throws: ModbusError.exception(.illegalDataAddress)) { try m.readRegisters(.readHoldingRegisters, address: 9, quantity: 1, unitID: 1) }
    }

    @Test func aMissingDeviceIsAConnectionErrorNamingIt() {
        let m = ModbusRTUMaster(SerialSettings(device: "/nonexistent/ttyUSB7", baudRate: 9600, parity: "none", stopBits: 1))
        #expect { try m.readRegisters(.readHoldingRegisters, address: 0, quantity: 1, unitID: 1) } throws: { error in
            guard case .connection(let text) = error as? ModbusError else { return false }
            return text.contains("/nonexistent/ttyUSB7")
        }
    }
}
