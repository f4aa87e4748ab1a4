import NIOCore
import NIOEmbedded
import NIOWebSocket
import Testing
@testable import Transport

/// The OCPP server's per-connection handlers that replaced a task each (issue 31 item 5): the ping timer and the gate
/// that keeps data frames from following a Close frame, on NIO's embedded channel with its manual clock.
@Suite("OCPP server connection: ping timer and close gate")
struct OCPPServerConnectionTests {
    static func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(CloseFrameGate(), PingKeeper(interval: .seconds(60)))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9000)).wait()
        return channel
    }

    static func written(_ channel: EmbeddedChannel) throws -> [WebSocketFrame] {
        var frames: [WebSocketFrame] = []
        while let frame = try channel.readOutbound(as: WebSocketFrame.self) { frames.append(frame) }
        return frames
    }

    @Test("RFC 6455 §5.5.2: a ping every interval; a charger that answers with the ping's data stays connected")
    func answeredPingsKeepTheConnection() throws {
        let channel = try Self.channel()
        for _ in 0..<3 {
            channel.embeddedEventLoop.advanceTime(by: .seconds(60))
            let frames = try Self.written(channel)
            #expect(frames.map(\.opcode) == [.ping])
            let ping = try #require(frames.first)
            #expect(ping.data.readableBytes == 16)
            try channel.writeInbound(WebSocketFrame(fin: true, opcode: .pong, maskKey: [1, 2, 3, 4], data: Self.masked(ping.data, [1, 2, 3, 4])))
            _ = try channel.readInbound(as: WebSocketFrame.self)  // passed on to the library
        }
        #expect(channel.isActive)
    }

    @Test("a charger whose pong does not come back by the next ping is closed with 1001 'Ping timeout'")
    func unansweredPingCloses() throws {
        let channel = try Self.channel()
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(try Self.written(channel).map(\.opcode) == [.ping])
        // An unsolicited pong (other data, RFC 6455 §5.5.3) does not count as the answer.
        try channel.writeInbound(WebSocketFrame(fin: true, opcode: .pong, data: ByteBuffer(string: "unsolicited")))
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        let close = try #require(try Self.written(channel).first)
        #expect(close.opcode == .connectionClose)
        var data = close.data
        #expect(data.readWebSocketErrorCode() == .goingAway)
        #expect(data.readString(length: data.readableBytes) == "Ping timeout")
        #expect(!channel.isActive)
    }

    @Test("RFC 6455 §5.5.1: no data frame leaves after a Close frame; control frames do")
    func noDataAfterClose() throws {
        let channel = try Self.channel()
        try channel.writeOutbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: "[3,\"1\",{}]")))
        var code = ByteBuffer()
        code.write(webSocketErrorCode: .normalClosure)
        try channel.writeOutbound(WebSocketFrame(fin: true, opcode: .connectionClose, data: code))
        let late = channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: "[3,\"2\",{}]")))
        #expect(throws: ChannelError.outputClosed) { try late.wait() }
        #expect(try Self.written(channel).map(\.opcode) == [.text, .connectionClose])
    }

    static func masked(_ data: ByteBuffer, _ key: WebSocketMaskingKey) -> ByteBuffer {
        var copy = data
        copy.webSocketMask(key)
        return copy
    }
}
