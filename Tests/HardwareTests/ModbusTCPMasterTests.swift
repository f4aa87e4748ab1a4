#if canImport(Glibc)
import Glibc
#endif
import Foundation
@testable import Hardware
import ModbusTCP
import Synchronization
import Testing

/// A scripted Modbus TCP peer on a real loopback socket: each request frame read is handed to `answer`, whose bytes
/// (or nothing) go back; each connection is served in turn on one thread.
final class ScriptedModbusPeer: Sendable {
    struct Request: Sendable { let transactionID: UInt16; let unitID: UInt8; let pdu: [UInt8] }
    let port: Int
    private let listener: Int32
    private let stopped = Atomic<Bool>(false)
    let connections = Atomic<Int>(0)

    init(answer: @escaping @Sendable (Request) -> [UInt8]) {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(s, 4)
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &length) } }
        port = Int(UInt16(bigEndian: bound.sin_port))
        listener = s
        let thread = Thread { [self] in
            while !self.stopped.load(ordering: .acquiring) {
                var p = pollfd(fd: s, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 50) > 0 else { continue }
                let c = accept(s, nil, nil)
                guard c >= 0 else { continue }
                self.connections.add(1, ordering: .relaxed)
                self.serve(c, answer: answer)
                Glibc.close(c)
            }
        }
        thread.start()
    }

    private func serve(_ c: Int32, answer: (Request) -> [UInt8]) {
        var buffer: [UInt8] = []
        while !stopped.load(ordering: .acquiring) {
            var p = pollfd(fd: c, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 512)
            let n = chunk.withUnsafeMutableBytes { recv(c, $0.baseAddress, 512, 0) }
            guard n > 0 else { return }
            buffer += chunk[0..<n]
            while buffer.count >= 7, buffer.count >= 6 + (Int(buffer[4]) << 8 | Int(buffer[5])) {
                let length = Int(buffer[4]) << 8 | Int(buffer[5])
                let request = Request(transactionID: UInt16(buffer[0]) << 8 | UInt16(buffer[1]), unitID: buffer[6], pdu: Array(buffer[7..<(6 + length)]))
                buffer.removeFirst(6 + length)
                let reply = answer(request)
                if reply == [0xDE, 0xAD] { return }  // the script's "hang up"
                if !reply.isEmpty { _ = reply.withUnsafeBytes { send(c, $0.baseAddress, reply.count, Int32(MSG_NOSIGNAL)) } }
            }
        }
    }

    func stop() { stopped.store(true, ordering: .releasing); Glibc.close(listener) }

    /// An MBAP frame around `pdu`.
    static func frame(_ tid: UInt16, unit: UInt8, _ pdu: [UInt8]) -> [UInt8] {
        [UInt8(tid >> 8), UInt8(tid & 0xFF), 0, 0, UInt8((pdu.count + 1) >> 8), UInt8((pdu.count + 1) & 0xFF), unit] + pdu
    }

    /// The answer of a read of registers holding `values`.
    static func registers(_ r: Request, _ values: [UInt16]) -> [UInt8] {
        frame(r.transactionID, unit: r.unitID, [r.pdu[0], UInt8(values.count * 2)] + values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
    }
}

@Suite struct ModbusTCPMasterTests {
    @Test func readsAndWritesRegistersWithTransactionIDs() throws {
        let seen = Mutex<[UInt16]>([])
        let peer = ScriptedModbusPeer { r in
            seen.withLock { $0.append(r.transactionID) }
            if r.pdu[0] == 0x06 { return ScriptedModbusPeer.frame(r.transactionID, unit: r.unitID, r.pdu) }
            return ScriptedModbusPeer.registers(r, [0x4100 | UInt16(r.unitID), 42])
        }
        defer { peer.stop() }
        let master = ModbusTCPMaster(host: "127.0.0.1", port: peer.port, requestTimeoutMilliseconds: 500)
        defer { master.close() }
        #expect(master.address == "127.0.0.1:\(peer.port)")
        #expect(try master.readRegisters(.readInputRegisters, address: 100, quantity: 2, unitID: 180) == [0x41B4, 42])
        try master.writeRegister(address: 528, value: 16, unitID: 180)
        #expect(try master.readRegisters(.readHoldingRegisters, address: 528, quantity: 2, unitID: 7) == [0x4107, 42])
        #expect(seen.withLock { $0 } == [1, 2, 3])
        #expect(peer.connections.load(ordering: .relaxed) == 1)
    }

    @Test func aLateAnswerWithAnotherTransactionIDIsDropped() throws {
        let peer = ScriptedModbusPeer { r in
            // An answer to an earlier transaction first, then the right one.
            ScriptedModbusPeer.registers(ScriptedModbusPeer.Request(transactionID: r.transactionID &- 1, unitID: r.unitID, pdu: r.pdu), [999])
                + ScriptedModbusPeer.registers(r, [7])
        }
        defer { peer.stop() }
        let master = ModbusTCPMaster(host: "127.0.0.1", port: peer.port, requestTimeoutMilliseconds: 500)
        defer { master.close() }
        #expect(try master.readRegisters(.readInputRegisters, address: 0, quantity: 1, unitID: 1) == [7])
        #expect(try master.readRegisters(.readInputRegisters, address: 0, quantity: 1, unitID: 1) == [7])
    }

    @Test func anAnswerFromAnotherUnitIsAnError() {
        let peer = ScriptedModbusPeer { r in
            ScriptedModbusPeer.registers(ScriptedModbusPeer.Request(transactionID: r.transactionID, unitID: r.unitID &+ 1, pdu: r.pdu), [7])
        }
        defer { peer.stop() }
        let master = ModbusTCPMaster(host: "127.0.0.1", port: peer.port, requestTimeoutMilliseconds: 500)
        defer { master.close() }
        #expect(throws: ModbusError.self) { try master.readRegisters(.readInputRegisters, address: 0, quantity: 1, unitID: 180) }
    }

    @Test func silenceTimesOutAndGarbageReconnects() throws {
        let mode = Mutex("silent")
        let peer = ScriptedModbusPeer { r in
            switch mode.withLock({ $0 }) {
            case "silent": return []
            case "garbage": return [0x47, 0x41, 0x52, 0x42, 0x41, 0x47, 0x45, 0x0D, 0x0A, 0xFF, 0xFF, 0xFF]
            case "hangup": return [0xDE, 0xAD]
            default: return ScriptedModbusPeer.registers(r, [1, 2])
            }
        }
        defer { peer.stop() }
        let master = ModbusTCPMaster(host: "127.0.0.1", port: peer.port, requestTimeoutMilliseconds: 200)
        defer { master.close() }
        #expect(throws: ModbusError.timeout) { try master.readRegisters(.readInputRegisters, address: 0, quantity: 2, unitID: 1) }
        // After a clean timeout the connection is kept.
        #expect(master.isConnected)
        mode.withLock { $0 = "garbage" }
        #expect(throws: ModbusError.self) { try master.readRegisters(.readInputRegisters, address: 0, quantity: 2, unitID: 1) }
        #expect(!master.isConnected)
        mode.withLock { $0 = "ok" }
        #expect(try master.readRegisters(.readInputRegisters, address: 0, quantity: 2, unitID: 1) == [1, 2])
        mode.withLock { $0 = "hangup" }
        #expect(throws: ModbusError.self) { try master.readRegisters(.readInputRegisters, address: 0, quantity: 2, unitID: 1) }
        mode.withLock { $0 = "ok" }
        #expect(try master.readRegisters(.readInputRegisters, address: 0, quantity: 2, unitID: 1) == [1, 2])
        #expect(peer.connections.load(ordering: .relaxed) == 3)
    }

    @Test func anExceptionAnswerIsThrownAsSuch() {
        let peer = ScriptedModbusPeer { r in ScriptedModbusPeer.frame(r.transactionID, unit: r.unitID, [r.pdu[0] | 0x80, 0x02]) }
        defer { peer.stop() }
        let master = ModbusTCPMaster(host: "127.0.0.1", port: peer.port, requestTimeoutMilliseconds: 500)
        defer { master.close() }
        #expect(throws: ModbusError.exception(.illegalDataAddress)) { try master.readRegisters(.readInputRegisters, address: 9999, quantity: 1, unitID: 1) }
    }

    @Test func nothingListeningNamesHostAndPort() {
        let peer = ScriptedModbusPeer { _ in [] }
        let port = peer.port
        peer.stop()
        let master = ModbusTCPMaster(host: "127.0.0.1", port: port, connectTimeoutMilliseconds: 500)
        do {
            _ = try master.readRegisters(.readInputRegisters, address: 0, quantity: 1, unitID: 1)
            Issue.record("a read without a peer succeeded")
        } catch {
            #expect(error.description.contains("127.0.0.1:\(port)"))
        }
    }
}
