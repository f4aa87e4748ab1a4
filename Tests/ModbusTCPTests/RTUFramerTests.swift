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
