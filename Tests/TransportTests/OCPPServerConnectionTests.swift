import Logging
import NIOCore
import NIOEmbedded
import NIOWebSocket
import Synchronization
import Testing
@testable import Transport

/// The OCPP server's WebSocket end without a task per connection (issue 31 item 5): ``OCPPWebSocketHandler`` on NIO's
/// embedded channel with its manual clock (RFC 6455 frames in, frames out), and the ``OCPPServerInbox`` that carries
/// the connections' events to the central system.
@Suite("OCPP server connection: RFC 6455 handler and inbox")
struct OCPPServerConnectionTests {
    /// Counts the reads that pass the handler towards the socket (the backpressure).
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = Any
        var reads = 0
        func read(context: ChannelHandlerContext) { reads += 1; context.read() }
    }

    struct Peer {
        let channel: EmbeddedChannel
        let inbox: OCPPServerInbox
        let connection: OCPPServerConnection
        let reads: ReadCounter
    }

    static func peer(maxMessageSize: Int = 1 << 20) throws -> Peer {
        let channel = EmbeddedChannel()
        // Active before the handler comes, as after a real upgrade.
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9000)).wait()
        let inbox = OCPPServerInbox()
        let connection = OCPPServerConnection(number: 1, chargerID: "CP1", channel: channel)
        #expect(inbox.open(connection))
        let reads = ReadCounter()
        try channel.pipeline.syncOperations.addHandler(reads)
        try channel.pipeline.syncOperations.addHandler(OCPPWebSocketHandler(
            connection: connection, inbox: inbox, logger: Logger(label: "test"), maxMessageSize: maxMessageSize,
            pingInterval: .seconds(60), closeTimeout: .seconds(5)))
        return Peer(channel: channel, inbox: inbox, connection: connection, reads: reads)
    }

    /// A frame as a client sends it: masked (RFC 6455 §5.3).
    static func client(_ opcode: WebSocketOpcode, _ bytes: some Sequence<UInt8>, fin: Bool = true, masked: Bool = true) -> WebSocketFrame {
        var data = ByteBuffer(bytes: Array(bytes))
        let key: WebSocketMaskingKey = [7, 1, 250, 3]
        if masked { data.webSocketMask(key) }
        return WebSocketFrame(fin: fin, opcode: opcode, maskKey: masked ? key : nil, data: data)
    }

    static func client(_ opcode: WebSocketOpcode, _ text: String, fin: Bool = true, masked: Bool = true) -> WebSocketFrame {
        client(opcode, Array(text.utf8), fin: fin, masked: masked)
    }

    static func written(_ channel: EmbeddedChannel) throws -> [WebSocketFrame] {
        var frames: [WebSocketFrame] = []
        while let frame = try channel.readOutbound(as: WebSocketFrame.self) { frames.append(frame) }
        return frames
    }

    static func closeCode(_ frame: WebSocketFrame?) -> WebSocketErrorCode? {
        guard let frame, frame.opcode == .connectionClose else { return nil }
        var data = frame.data
        return data.readWebSocketErrorCode()
    }

    /// What the central system was told, in order.
    actor Recorder: OCPPServerDelegate {
        var calls: [String] = []
        nonisolated func ocppAdmit(chargerID: String, remoteAddress: String?, credentials: OCPPCredentials) async -> OCPPAdmission { .accept }
        func ocppConnected(chargerID: String, connection: UInt64, outbound: OCPPOutbound) { calls.append("connected \(chargerID)") }
        func ocppReceived(chargerID: String, connection: UInt64, text: String) { calls.append("text \(text)") }
        func ocppDisconnected(chargerID: String, connection: UInt64, reason: String) { calls.append("disconnected \(reason)") }
    }

    /// Closes the peer's channel, stops the inbox and returns what it delivered.
    static func delivered(_ peer: Peer) async throws -> [String] {
        if peer.channel.isActive { _ = try? peer.channel.finish() }
        peer.inbox.stopListening { _ in }
        let recorder = Recorder()
        await peer.inbox.deliver(to: recorder)
        return await recorder.calls
    }

    @Test("the central system hears connected, each text message in order (a fragmented one whole), then disconnected")
    func eventsInOrder() async throws {
        let peer = try Self.peer()
        try peer.channel.writeInbound(Self.client(.text, "[2,\"1\",\"Heartbeat\",{}]"))
        // RFC 6455 §5.4: fragments with a ping between them (§5.5: control frames may be injected).
        try peer.channel.writeInbound(Self.client(.text, "[2,\"2\",", fin: false))
        try peer.channel.writeInbound(Self.client(.ping, "p"))
        try peer.channel.writeInbound(Self.client(.continuation, "\"Heartbeat\"", fin: false))
        try peer.channel.writeInbound(Self.client(.continuation, ",{}]"))
        let pong = try #require(try Self.written(peer.channel).first)
        #expect(pong.opcode == .pong && pong.maskKey == nil && pong.data == ByteBuffer(string: "p"))
        try peer.channel.writeInbound(Self.client(.binary, [1, 2, 3]))  // dropped: OCPP-J uses text frames
        #expect(try await Self.delivered(peer) == ["connected CP1", "text [2,\"1\",\"Heartbeat\",{}]", "text [2,\"2\",\"Heartbeat\",{}]", "disconnected closed"])
    }

    @Test("RFC 6455 §5.1: an unmasked frame from the client fails the connection with 1002")
    func unmaskedFrame() async throws {
        let peer = try Self.peer()
        try peer.channel.writeInbound(Self.client(.text, "[2,\"1\",\"Heartbeat\",{}]", masked: false))
        #expect(Self.closeCode(try Self.written(peer.channel).first) == .protocolError)
        #expect(!peer.channel.isActive)
        let calls = try await Self.delivered(peer)
        #expect(calls.count == 2 && calls.last?.contains("unmasked") == true, "no message delivered: \(calls)")
    }

    @Test("RFC 6455 §5.4 and §8.1: a stray continuation, a message inside a message and invalid UTF-8 fail the connection")
    func badSequences() throws {
        let cases: [([WebSocketFrame], WebSocketErrorCode)] = [
            ([Self.client(.continuation, "x")], .protocolError),
            ([Self.client(.text, "[", fin: false), Self.client(.text, "]")], .protocolError),
            ([Self.client(.text, [0x5B, 0xC3, 0x28, 0x5D])], .dataInconsistentWithMessage),
            ([Self.client(.text, "[", fin: false), Self.client(.continuation, [0xFF], fin: true)], .dataInconsistentWithMessage),
            ([WebSocketFrame(fin: true, rsv1: true, opcode: .text, maskKey: [1, 2, 3, 4], data: ByteBuffer(string: "x"))], .protocolError),
        ]
        for (frames, code) in cases {
            let peer = try Self.peer()
            for frame in frames { try peer.channel.writeInbound(frame) }
            #expect(Self.closeCode(try Self.written(peer.channel).first) == code)
            #expect(!peer.channel.isActive)
        }
    }

    @Test("a message reassembled above the maximum size fails the connection with 1009")
    func messageTooLarge() throws {
        let peer = try Self.peer(maxMessageSize: 10)
        try peer.channel.writeInbound(Self.client(.text, "[2,\"1\",", fin: false))
        try peer.channel.writeInbound(Self.client(.continuation, "\"Heartbeat\",{}]"))
        #expect(Self.closeCode(try Self.written(peer.channel).first) == .messageTooLarge)
        #expect(!peer.channel.isActive)
    }

    @Test("RFC 6455 §5.5.1 and §7.1.1: the client's Close is answered with a Close and the server closes the connection")
    func clientClose() throws {
        for (code, answer) in [(UInt16(1000), WebSocketErrorCode.normalClosure), (4000, .normalClosure), (1005, .protocolError), (999, .protocolError)] {
            let peer = try Self.peer()
            var body = ByteBuffer()
            body.writeInteger(code)
            try peer.channel.writeInbound(Self.client(.connectionClose, Array(body.readableBytesView)))
            #expect(Self.closeCode(try Self.written(peer.channel).first) == answer, "code \(code)")
            #expect(!peer.channel.isActive)
        }
    }

    @Test("RFC 6455 §5.5.1: after the server's Close no data frame leaves; the client's Close ends the connection")
    func serverClose() throws {
        let peer = try Self.peer()
        peer.connection.send("[3,\"1\",{}]")
        peer.connection.close()
        peer.connection.send("[3,\"2\",{}]")
        let late = peer.channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: "[3,\"3\",{}]")))
        #expect(throws: ChannelError.outputClosed) { try late.wait() }
        let frames = try Self.written(peer.channel)
        #expect(frames.map(\.opcode) == [.text, .connectionClose])
        #expect(Self.closeCode(frames.last) == .normalClosure)
        #expect(peer.channel.isActive)
        try peer.channel.writeInbound(Self.client(.connectionClose, [0x03, 0xE8]))
        #expect(!peer.channel.isActive)
    }

    @Test("a client that does not answer the server's Close is dropped after the close timeout")
    func unansweredClose() throws {
        let peer = try Self.peer()
        peer.connection.closeForShutdown()
        #expect(Self.closeCode(try Self.written(peer.channel).first) == .goingAway)
        peer.channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(peer.channel.isActive)
        peer.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!peer.channel.isActive)
    }

    @Test("RFC 6455 §5.5.2: a ping every interval; a charger that answers with the ping's data stays connected")
    func answeredPingsKeepTheConnection() throws {
        let peer = try Self.peer()
        for _ in 0..<3 {
            peer.channel.embeddedEventLoop.advanceTime(by: .seconds(60))
            let frames = try Self.written(peer.channel)
            #expect(frames.map(\.opcode) == [.ping])
            let ping = try #require(frames.first)
            #expect(ping.data.readableBytes == 16)
            try peer.channel.writeInbound(Self.client(.pong, Array(ping.data.readableBytesView)))
        }
        #expect(peer.channel.isActive)
    }

    @Test("a charger whose pong does not come back by the next ping is closed with 1001 'Ping timeout'")
    func unansweredPingCloses() throws {
        let peer = try Self.peer()
        peer.channel.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(try Self.written(peer.channel).map(\.opcode) == [.ping])
        // An unsolicited pong (other data, RFC 6455 §5.5.3) does not count as the answer.
        try peer.channel.writeInbound(Self.client(.pong, "unsolicited"))
        peer.channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(peer.channel.isActive)
        peer.channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        let close = try #require(try Self.written(peer.channel).first)
        var data = close.data
        #expect(data.readWebSocketErrorCode() == .goingAway)
        #expect(data.readString(length: data.readableBytes) == "Ping timeout")
        #expect(!peer.channel.isActive)
    }

    @Test("a connection with 8 messages the central system has not taken stops reading, and reads on when one is taken")
    func backpressure() async throws {
        let peer = try Self.peer()
        for i in 0..<OCPPServerConnection.maxUndelivered {
            peer.channel.read()
            #expect(peer.reads.reads == i + 1)
            try peer.channel.writeInbound(Self.client(.text, "[2,\"\(i)\",\"Heartbeat\",{}]"))
        }
        peer.channel.read()
        #expect(peer.reads.reads == OCPPServerConnection.maxUndelivered, "the read is held")
        peer.connection.messageDelivered()
        #expect(peer.reads.reads == OCPPServerConnection.maxUndelivered + 1, "the held read goes on")
    }

    @Test("a stopping server closes its open connections; a connection that finishes its upgrade afterwards is refused")
    func stopListening() async throws {
        let peer = try Self.peer()
        peer.inbox.stopListening { $0.closeForShutdown() }
        #expect(Self.closeCode(try Self.written(peer.channel).first) == .goingAway)
        let late = OCPPServerConnection(number: 2, chargerID: "CP2", channel: EmbeddedChannel())
        #expect(!peer.inbox.open(late))
        try peer.channel.writeInbound(Self.client(.connectionClose, [0x03, 0xE8]))
        let recorder = Recorder()
        await peer.inbox.deliver(to: recorder)  // returns: the last connection is gone
        #expect(await recorder.calls == ["connected CP1", "disconnected closed: the server stops"])
    }
}
