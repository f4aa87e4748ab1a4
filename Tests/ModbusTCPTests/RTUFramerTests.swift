import ModbusTCP
import Testing

@Suite("RTU request framing on a serial byte stream")
struct RTUFramerTests {
    static let read = RTUFrame.encode(unitID: 1, pdu: [0x03, 0x00, 0x64, 0x00, 0x2F])
    static let write = RTUFrame.encode(unitID: 1, pdu: [0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x07, 0x00, 0x1E])

    @Test("frames split across reads and back to back")
    func split() {
        var f = RTURequestFramer()
        #expect(f.append(Self.read.prefix(3)).isEmpty)
        let stream = Array(Self.read.dropFirst(3)) + Self.write
        let frames = f.append(stream)
        #expect(frames.map(\.unitID) == [1, 1])
        #expect(frames.map(\.pdu.first) == [0x03, 0x10])
        #expect(frames[1].pdu.count == 10)
        #expect(f.buffer.isEmpty)
    }

    @Test("noise before a frame is skipped")
    func noise() {
        var f = RTURequestFramer()
        let frames = f.append([0x55, 0x10, 0xFF] + Self.read + Self.read)
        #expect(frames.count >= 1)
        #expect(frames.last.map { $0.pdu } == [0x03, 0x00, 0x64, 0x00, 0x2F])
    }

    @Test("a corrupted CRC yields no frame")
    func corrupted() {
        var f = RTURequestFramer()
        var bad = Self.read
        bad[7] ^= 0xFF
        #expect(f.append(bad).isEmpty)
        f.reset()
        #expect(f.append(Self.read).count == 1)
    }
}

@Suite struct RTUResponseFinderTests {
    let answer = RTUFrame.encode(unitID: 3, pdu: [0x03, 0x04, 0x00, 0x10, 0x00, 0x02])

    @Test func expectedLengths() {
        #expect(RTUResponseFinder.expectedLength(function: .readHoldingRegisters, [3, 3, 4][...]) == 9)
        #expect(RTUResponseFinder.expectedLength(function: .readHoldingRegisters, [3, 3][...]) == nil)
        #expect(RTUResponseFinder.expectedLength(function: .readInputRegisters, [3, 0x84][...]) == 5)
        #expect(RTUResponseFinder.expectedLength(function: .writeMultipleRegisters, [3, 0x10][...]) == 8)
        #expect(RTUResponseFinder.expectedLength(function: .writeSingleRegister, [3, 0x06][...]) == 8)
    }

    @Test func findsTheAnswerWholeOnly() {
        #expect(RTUResponseFinder.find(in: Array(answer.prefix(6)), unitID: 3, function: .readHoldingRegisters) == .incomplete)
        #expect(RTUResponseFinder.find(in: answer, unitID: 3, function: .readHoldingRegisters)
                == .answer(pdu: [0x03, 0x04, 0x00, 0x10, 0x00, 0x02]))
    }

    @Test func skipsLateAnswersNoiseAndForeignUnits() {
        let foreign = RTUFrame.encode(unitID: 4, pdu: [0x03, 0x04, 0x00, 0x01, 0x00, 0x02])
        let otherFunction = RTUFrame.encode(unitID: 3, pdu: [0x04, 0x02, 0x00, 0x07])
        let received = [0xFF, 0x00, 0x03] + foreign + otherFunction + answer
        #expect(RTUResponseFinder.find(in: received, unitID: 3, function: .readHoldingRegisters)
                == .answer(pdu: [0x03, 0x04, 0x00, 0x10, 0x00, 0x02]))
        #expect(RTUResponseFinder.find(in: foreign, unitID: 3, function: .readHoldingRegisters) == .incomplete)
        #expect(RTUResponseFinder.find(in: otherFunction, unitID: 3, function: .readHoldingRegisters) == .incomplete)
    }

    @Test func badCRCIsNoAnswer() {
        var bad = answer
        bad[bad.count - 1] ^= 0x55
        #expect(RTUResponseFinder.find(in: bad, unitID: 3, function: .readHoldingRegisters) == .incomplete)
    }

    @Test func exceptionAnswer() throws {
        let ex = RTUFrame.encode(unitID: 3, pdu: [0x83, 0x02])
        #expect(RTUResponseFinder.find(in: ex, unitID: 3, function: .readHoldingRegisters) == .answer(pdu: [0x83, 0x02]))
        let response = try RTUFrame.response([0x83, 0x02], to: .readHoldingRegisters(address: 0, quantity: 2))
        #expect(response == .exception(function: 3, .illegalDataAddress))
    }

    @Test func requestFrame() {
        // Modbus over Serial Line V1.02 §6.2.2 example style: read 1000, quantity 8, unit 1 → 01 03 03 E8 00 08 + CRC.
        let f = RTUFrame.request(.readHoldingRegisters(address: 1000, quantity: 8), unitID: 1)
        #expect(Array(f.prefix(6)) == [0x01, 0x03, 0x03, 0xE8, 0x00, 0x08])
        #expect(RTUFrame.crc16(f.prefix(6)) == UInt16(f[6]) | UInt16(f[7]) << 8)
    }

    @Test func interFrameSilence() {
        let s9600 = SerialSettings(device: "/dev/x", baudRate: 9600, parity: "none", stopBits: 1)
        #expect(abs(RTUResponseFinder.interFrameSeconds(s9600) - 3.5 * 10 / 9600) < 1e-12)
        let s115 = SerialSettings(device: "/dev/x", baudRate: 115200, parity: "even", stopBits: 1)
        #expect(RTUResponseFinder.interFrameSeconds(s115) == 0.00175)
    }
}
