import Logging
import ModbusTCP
import NIOCore
import NIOEmbedded
import Testing
@testable import Transport

/// The Modbus TCP server's per-connection handler on an embedded channel (issue 31 item 3: framing, idle timeout, back
/// pressure and answers in one handler): the frames of a byte stream however it is cut, the connection closed for bytes
/// that can never be a frame, the answers of one read in one buffer that the next answers never overwrite, the idle
/// timeout counting complete requests only, and no read while the socket's send buffer is full.
@Suite("Modbus TCP server handler")
struct ModbusServerHandlerTests {
    static func frame(_ tid: UInt16, _ pdu: [UInt8]) -> ModbusTCPFrame {
        ModbusTCPFrame(transactionID: tid, unitID: 1, pdu: ByteBuffer(bytes: pdu))
    }

    /// Answers every request at once: reads with their addresses, writes with their echo.
    struct Registers: ModbusRequestHandler {
        func handleModbus(connector: Int, unitID: UInt8, request: ModbusRequest) async -> ModbusResponse {
            .exception(function: request.function.rawValue, .serverDeviceFailure)
        }
        func handleModbusImmediately(connector: Int, unitID: UInt8, request: ModbusRequest) -> ModbusResponse? {
            switch request {
            case .readHoldingRegisters(let address, let quantity): .registers(.readHoldingRegisters, (0..<quantity).map { address &+ $0 })
            case .writeSingleRegister(let address, let value): .writeSingleRegister(address: address, value: value)
            case .writeMultipleRegisters(let address, let values): .writeMultiple(.writeMultipleRegisters, address: address, quantity: UInt16(values.count))
            default: nil
            }
        }
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

    /// The answers to ``frames``, in order, as the handler must write them.
    static let answers: [UInt8] = {
        var b = ByteBuffer()
        for (tid, response) in [(UInt16(1), ModbusResponse.registers(.readHoldingRegisters, [100, 101])),
                                (2, .writeMultiple(.writeMultipleRegisters, address: 0x0456, quantity: 1)),
                                (3, .writeMultiple(.writeMultipleRegisters, address: 0, quantity: 123)),
                                (4, .writeSingleRegister(address: 1000, value: 16))] {
            ModbusTCPFrame.write(transactionID: tid, unitID: 1, response: response, into: &b)
        }
        return Array(b.readableBytesView)
    }()

    static func handler(idleTimeout: TimeAmount? = nil) -> ModbusServerHandler {
        ModbusServerHandler(connector: 1, handler: Registers(), logger: Logger(label: "test"), idleTimeout: idleTimeout)
    }

    /// A connected (active) channel with the handler, as the server's child channel is once accepted.
    static func connection(idleTimeout: TimeAmount? = nil) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: handler(idleTimeout: idleTimeout))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 502)).wait()
        return channel
    }

    /// Everything the handler wrote, in order.
    static func written(_ channel: EmbeddedChannel) throws -> [UInt8] {
        var out: [UInt8] = []
        while let b = try channel.readOutbound(as: ByteBuffer.self) { out += b.readableBytesView }
        return out
    }

    /// Feeds `pieces` and returns the bytes answered.
    static func answers(to pieces: [ArraySlice<UInt8>]) throws -> [UInt8] {
        let channel = try connection()
        for piece in pieces { try channel.writeInbound(ByteBuffer(bytes: piece)) }
        #expect(channel.isActive)
        defer { _ = try? channel.finish() }
        return try written(channel)
    }

    @Test("every cut of the stream into two or three pieces, and byte by byte, gives the same answers in order")
    func fragmentation() throws {
        let bytes = Self.stream
        #expect(try Self.answers(to: [bytes[...]]) == Self.answers)
        #expect(try Self.answers(to: bytes.map { [$0][...] }) == Self.answers)
        for cut in 1..<bytes.count {
            #expect(try Self.answers(to: [bytes[..<cut], bytes[cut...]]) == Self.answers, "cut at \(cut)")
        }
        for first in stride(from: 1, to: bytes.count, by: 7) {
            for second in stride(from: first + 1, to: bytes.count, by: 5) {
                #expect(try Self.answers(to: [bytes[..<first], bytes[first..<second], bytes[second...]]) == Self.answers)
            }
        }
    }

    @Test("bytes that can never form a frame close the connection after the answers before them, and nothing after them is read")
    func garbage() throws {
        let channel = try Self.connection()
        var good = ByteBuffer()
        Self.frames[0].write(into: &good)
        // A frame, then one with protocol identifier 1.
        let bad: [UInt8] = [0x00, 0x02, 0x00, 0x01, 0x00, 0x06, 0x01, 0x03, 0x00, 0x64, 0x00, 0x02]
        try channel.writeInbound(ByteBuffer(bytes: Array(good.readableBytesView) + bad))
        #expect(try Self.written(channel) == Array(Self.answers.prefix(9 + 4)), "the first frame answered")
        #expect(!channel.isActive, "closed")

        let tooLong = try Self.connection()
        try tooLong.writeInbound(ByteBuffer(bytes: [0x00, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01]))
        #expect(!tooLong.isActive, "MBAP length 256 closes")
        #expect(try Self.written(tooLong).isEmpty)
    }

    @Test("answers still held by the channel keep their bytes while the next ones are written; a bad PDU gets its exception")
    func answersKeepTheirBytes() throws {
        let channel = try Self.connection()
        func requests(_ list: [(UInt16, [UInt8])]) -> ByteBuffer {
            var b = ByteBuffer()
            for (tid, pdu) in list { Self.frame(tid, pdu).write(into: &b) }
            return b
        }
        // Two reads in one segment, then two more, none of the answers taken from the channel before the next are written.
        try channel.writeInbound(requests([(1, [0x03, 0x00, 100, 0x00, 0x02]), (2, [0x03, 0x00, 200, 0x00, 0x02])]))
        try channel.writeInbound(requests([(3, [0x03, 0x01, 0x2C, 0x00, 0x02]), (4, [0x03, 0x00, 0x00, 0x00, 0x00])]))  // quantity 0 → 03
        var answers: [(UInt16, ModbusResponse)] = []
        var buffers = 0
        while var out = try channel.readOutbound(as: ByteBuffer.self) {
            buffers += 1
            while let frame = try ModbusTCPFrame.parse(&out) {
                answers.append((frame.transactionID, try PDUCodec.decodeResponse(frame.pdu, to: .readHoldingRegisters(address: 0, quantity: 2))))
            }
        }
        #expect(buffers == 2, "the answers of one read go out in one buffer")
        #expect(answers.map(\.0) == [1, 2, 3, 4])
        #expect(answers.map(\.1) == [.registers(.readHoldingRegisters, [100, 101]), .registers(.readHoldingRegisters, [200, 201]),
                                     .registers(.readHoldingRegisters, [300, 301]), .exception(function: 3, .illegalDataValue)])
        _ = try channel.finish()
    }

    @Test("idle: closed 60 s after the last complete request; a half-sent frame does not keep the connection open")
    func idleTimeout() throws {
        let channel = try Self.connection(idleTimeout: .seconds(60))
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        var request = ByteBuffer()
        Self.frames[0].write(into: &request)
        try channel.writeInbound(request)
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(channel.isActive, "the request 59 s ago restarted the timeout")
        // MBAP header of a read request (length 6) and only the function code of its PDU, then nothing more of it.
        try channel.writeInbound(ByteBuffer(bytes: [0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x01, 0x03]))
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive, "closed 60 s after the last complete request: the unfinished frame never counted")
    }

    /// Counts the reads that reach the socket's side of the pipeline.
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = NIOAny
        var reads = 0
        func read(context: ChannelHandlerContext) { reads += 1; context.read() }
    }

    @Test("back pressure: no read while the socket's send buffer is above its high-water mark; the read waits until it drains")
    func backPressure() throws {
        let counter = ReadCounter()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([counter, Self.handler()])
        channel.read()
        #expect(counter.reads == 1)
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        channel.read()
        #expect(counter.reads == 1, "held back")
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(counter.reads == 2, "done when writable again")
        _ = try channel.finish()
    }
}
