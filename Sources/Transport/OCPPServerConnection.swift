import NIOCore
import NIOWebSocket
import Synchronization
@_spi(WSInternal) import WSCore

/// One charger's open WebSocket as the central system writes to it (``OCPPOutbound``): a text frame goes straight to
/// the channel, in the order `send` is called (NIO writes a channel's frames in the order they were handed over), and
/// a close goes through the WebSocket library, which keeps the close handshake's state.
///
/// Why no task waits for frames to send: every task of a connection keeps the slabs its deepest `await` chain needed
/// (Swift's task allocator frees them only with the task), and the writer's chain through the WebSocket library and
/// NIO's async writer is about 4 kB — at 10,000 chargers 40 MB for connections that send a frame every few seconds
/// (measured with heaptrack, session 24; issue 31 item 5). An idle connection now holds the library's two tasks
/// (frames in, pings) and no other.
final class OCPPServerConnection: Sendable {
    private let channel: any Channel
    /// The library's writer, for the close handshake; nil before the WebSocket runs and once a close was asked for.
    private let writer = Mutex<WebSocketOutboundWriter?>(nil)
    /// How long a charger has to answer the gateway's Close frame before the connection is dropped (RFC 6455 §7.1.1:
    /// the server closes the TCP connection); the library's own close timeout.
    let closeTimeout: Duration

    init(channel: any Channel, closeTimeout: Duration) {
        self.channel = channel
        self.closeTimeout = closeTimeout
    }

    /// What the delegate holds.
    var outbound: OCPPOutbound {
        OCPPOutbound(send: { [self] text in send(text) }, close: { [self] in close() })
    }

    /// The WebSocket runs: `writer` sends the close.
    func started(_ outbound: WebSocketOutboundWriter) { writer.withLock { $0 = outbound } }

    /// The WebSocket ended: a late close has nothing to do.
    func ended() { writer.withLock { $0 = nil } }

    /// Writes one text frame (FIN set, unmasked: RFC 6455 §5.1, a server never masks). After a Close frame left,
    /// ``CloseFrameGate`` drops it.
    func send(_ text: String) {
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)), promise: nil)
    }

    /// Sends a Close frame (1000) through the library and drops the connection if the charger does not answer it
    /// within ``closeTimeout``; the connection ends when the charger's Close arrives, as before.
    func close() {
        guard let writer = writer.withLock({ current -> WebSocketOutboundWriter? in defer { current = nil }; return current }) else { return }
        let channel = self.channel
        Task { try? await writer.close(.normalClosure, reason: nil) }
        channel.eventLoop.scheduleTask(in: TimeAmount(closeTimeout)) { channel.close(promise: nil) }
    }
}

/// Drops data frames written after a Close frame: RFC 6455 §5.5.1, "after sending a Close frame, the endpoint MUST
/// NOT send any more data frames". The central system writes its frames straight to the channel
/// (``OCPPServerConnection``), so a frame it sends while the library answers the charger's Close would otherwise follow
/// that Close; the library's own frames (ping, pong, close) pass this handler too.
final class CloseFrameGate: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    private var closeSent = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let opcode = unwrapOutboundIn(data).opcode
        if closeSent, opcode == .text || opcode == .binary || opcode == .continuation {
            promise?.fail(ChannelError.outputClosed)
            return
        }
        if opcode == .connectionClose { closeSent = true }
        context.write(data, promise: promise)
    }
}

/// Pings the charger every ``interval`` and closes the connection (1001, "Ping timeout") when the previous ping's pong
/// has not come back by the next: the WebSocket library's auto-ping, kept here as a timer of the event loop instead
/// of a task per connection that sleeps between pings (its slabs were about 2 kB of every idle charger; issue 31
/// item 5). RFC 6455 §5.5.2: a ping may carry up to 125 bytes the pong echoes; 16 random bytes tell this ping's pong
/// from an unsolicited one (§5.5.3), as the library did. The library still answers the charger's pings.
final class PingKeeper: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    let interval: TimeAmount
    private var awaited: ByteBuffer?
    private var timer: RepeatedTask?

    init(interval: TimeAmount) { self.interval = interval }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { task in
            let (keeper, context) = bound.value
            keeper.tick(context: context, task: task)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel(); timer = nil }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel(); timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if frame.opcode == .pong, frame.fin, let awaited, frame.unmaskedData == awaited { self.awaited = nil }
        context.fireChannelRead(data)
    }

    private func tick(context: ChannelHandlerContext, task: RepeatedTask) {
        guard context.channel.isActive else { task.cancel(); return }
        if awaited != nil {
            task.cancel()
            var reason = context.channel.allocator.buffer(capacity: 14)
            reason.write(webSocketErrorCode: .goingAway)
            reason.writeString("Ping timeout")
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: reason)), promise: nil)
            context.close(promise: nil)
            return
        }
        var ping = context.channel.allocator.buffer(capacity: 16)
        ping.writeBytes((0..<16).map { _ in UInt8.random(in: .min ... .max) })
        awaited = ping
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: ping)), promise: nil)
    }
}
