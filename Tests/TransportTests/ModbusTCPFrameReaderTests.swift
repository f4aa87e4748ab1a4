import Logging
import ModbusTCP
import NIOCore
import NIOEmbedded
import Testing
@testable import Transport

/// The Modbus TCP server's frame reader (issue 31 item 3): the frames of a byte stream however it is cut, and an error
/// for bytes that can never be a frame.
@Suite("Modbus TCP frame reader")
struct ModbusTCPFrameReaderTests {
    static func frame(_ tid: UInt16, _ pdu: [UInt8]) -> ModbusTCPFrame {
        ModbusTCPFrame(transactionID: tid, unitID: 1, pdu: ByteBuffer(bytes: pdu))
    }

    static let frames = [
        frame(1, [0x03, 0x00, 0x64, 0x00, 0x02]),
        frame(2, [0x10, 0x04, 0x56, 0x00, 0x01, 0x02, 0x41, 0x42]),
        frame(3, [0x10, 0x00, 0x00, 0x00, 0x7B, 0xF6] + Array(repeating: 0x55, count: 246)),  // a write of 123 registers, 259 bytes
        frame(4, [0x06, 0x03, 0xE8, 0x00, 0x10]),
    ]

    static var stream: [UInt8] {
        var b = ByteBuffer()
        for f in frames { f.write(into: &b) }
        return Array(b.readableBytesView)
    }

    /// Feeds `pieces` and returns the frames that came out.
    static func read(_ pieces: [ArraySlice<UInt8>]) throws -> [ModbusTCPFrame] {
        let channel = EmbeddedChannel(handler: ModbusTCPFrameReader())
        var out: [ModbusTCPFrame] = []
        for piece in pieces {
            try channel.writeInbound(ByteBuffer(bytes: piece))
            while let f = try channel.readInbound(as: ModbusTCPFrame.self) { out.append(f) }
        }
        _ = try channel.finish()
        return out
    }

    @Test("every cut of the stream into two or three pieces, and byte by byte, gives the same frames in order")
    func fragmentation() throws {
        let bytes = Self.stream
        #expect(try Self.read([bytes[...]]) == Self.frames)
        #expect(try Self.read(bytes.map { [$0][...] }) == Self.frames)
        for cut in 1..<bytes.count {
            #expect(try Self.read([bytes[..<cut], bytes[cut...]]) == Self.frames, "cut at \(cut)")
        }
        for first in stride(from: 1, to: bytes.count, by: 7) {
            for second in stride(from: first + 1, to: bytes.count, by: 5) {
                #expect(try Self.read([bytes[..<first], bytes[first..<second], bytes[second...]]) == Self.frames)
            }
        }
    }

    @Test("bytes that can never form a frame raise the parser's error, and nothing after them is read")
    func garbage() throws {
        let channel = EmbeddedChannel(handler: ModbusTCPFrameReader())
        var good = ByteBuffer()
        Self.frames[0].write(into: &good)
        // A frame, then one with protocol identifier 1.
        let bad: [UInt8] = [0x00, 0x02, 0x00, 0x01, 0x00, 0x06, 0x01, 0x03, 0x00, 0x64, 0x00, 0x02]
        #expect(throws: ModbusError.self) { try channel.writeInbound(ByteBuffer(bytes: Array(good.readableBytesView) + bad)) }
        #expect(try channel.readInbound(as: ModbusTCPFrame.self) == Self.frames[0])
        try channel.writeInbound(good)
        #expect(try channel.readInbound(as: ModbusTCPFrame.self) == nil, "after the error the reader takes nothing")

        let tooLong = EmbeddedChannel(handler: ModbusTCPFrameReader())
        #expect(throws: ModbusError.self) { try tooLong.writeInbound(ByteBuffer(bytes: [0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01])) }
    }
}

/// The server's per-connection handler on an embedded channel: answers given at once share the connection's answer
/// buffer, and an answer the socket has not taken yet is never overwritten by the next.
@Suite("Modbus TCP server handler")
struct ModbusServerHandlerTests {
    struct Registers: ModbusRequestHandler {
        func handleModbus(connector: Int, unitID: UInt8, request: ModbusRequest) async -> ModbusResponse {
            .exception(function: request.function.rawValue, .serverDeviceFailure)
        }
        func handleModbusImmediately(connector: Int, unitID: UInt8, request: ModbusRequest) -> ModbusResponse? {
            guard case .readHoldingRegisters(let address, let quantity) = request else { return nil }
            return .registers(.readHoldingRegisters, (0..<quantity).map { address &+ $0 })
        }
    }

    @Test("answers still held by the channel keep their bytes while the next ones are written; a bad PDU gets its exception")
    func answersKeepTheirBytes() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([
            ModbusTCPFrameReader(), ModbusServerHandler(connector: 1, handler: Registers(), logger: .init(label: "test")),
        ])
        // Three requests at once, none of the answers read from the channel before the next is written.
        var requests = ByteBuffer()
        for (tid, address) in [(UInt16(1), UInt16(100)), (2, 200), (3, 300)] {
            ModbusTCPFrameReaderTests.frame(tid, [0x03, UInt8(address >> 8), UInt8(address & 0xFF), 0x00, 0x02]).write(into: &requests)
        }
        ModbusTCPFrameReaderTests.frame(4, [0x03, 0x00, 0x00, 0x00, 0x00]).write(into: &requests)  // quantity 0 → 03
        try channel.writeInbound(requests)
        var answers: [(UInt16, ModbusResponse)] = []
        while var out = try channel.readOutbound(as: ByteBuffer.self) {
            let frame = try #require(try ModbusTCPFrame.parse(&out))
            answers.append((frame.transactionID, try PDUCodec.decodeResponse(frame.pdu, to: .readHoldingRegisters(address: 0, quantity: 2))))
        }
        #expect(answers.map(\.0) == [1, 2, 3, 4])
        #expect(answers.map(\.1) == [.registers(.readHoldingRegisters, [100, 101]), .registers(.readHoldingRegisters, [200, 201]),
                                     .registers(.readHoldingRegisters, [300, 301]), .exception(function: 3, .illegalDataValue)])
        _ = try channel.finish()
    }
}
