import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// One charger's open WebSocket as the central system sees it (``OCPPOutbound``): its number, its ChargerID and its
/// channel. A text frame goes straight to the channel, in the order `send` is called (NIO writes a channel's frames in
/// the order they were handed over); a close is a request to the connection's ``OCPPWebSocketHandler``, which keeps
/// the close handshake's state on the channel's event loop.
///
/// Why no task per connection: every task keeps the slabs of its deepest `await` chain until it ends (Swift's task
/// allocator frees them only with the task), and a connection's task through the WebSocket library, its task group
/// and NIO's async channel held about 10 kB of them while the charger was idle — measured with heaptrack at 2,000 and
/// 4,000 idle chargers, session 26 (issue 31 item 5). The frames of every connection now reach the central system
/// through one task of the server (``OCPPServerInbox``); an idle connection is a NIO channel and its handlers.
final class OCPPServerConnection: Sendable {
    let number: UInt64
    let chargerID: String
    let channel: any Channel
    /// Messages read from this connection that the central system has not taken yet: at ``maxUndelivered`` the
    /// connection stops reading (TCP's window then holds the charger back), so that a charger that floods only waits
    /// for itself and the inbox stays bounded.
    private let undelivered = Atomic<Int>(0)
    /// A charger keeps one CALL outstanding (OCPP-J §4.1.1) and answers the central system's CALLs: a few messages in
    /// flight is all a well-behaved one needs.
    static let maxUndelivered = 8

    init(number: UInt64, chargerID: String, channel: any Channel) {
        self.number = number; self.chargerID = chargerID; self.channel = channel
    }

    /// What the delegate holds.
    var outbound: OCPPOutbound {
        OCPPOutbound(send: { [self] text in send(text) }, close: { [self] in close() })
    }

    /// Writes one text frame (FIN set, unmasked: RFC 6455 §5.1, a server never masks). After a Close frame left, the
    /// handler drops it (§5.5.1).
    func send(_ text: String) {
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text)), promise: nil)
    }

    /// Sends a Close frame (1000) and drops the connection if the charger does not answer it in time.
    func close() { channel.triggerUserOutboundEvent(OCPPWebSocketHandler.Request.close(.normalClosure), promise: nil) }

    /// The server stops: a Close frame (1001, "going away", RFC 6455 §7.4.1) with the same time to answer.
    func closeForShutdown() { channel.triggerUserOutboundEvent(OCPPWebSocketHandler.Request.close(.goingAway), promise: nil) }

    /// A message was read (on the event loop); at ``maxUndelivered`` the handler holds the channel's next read back.
    func messageRead() { undelivered.add(1, ordering: .relaxed) }

    /// Whether the connection may read on.
    var mayRead: Bool { undelivered.load(ordering: .relaxed) < Self.maxUndelivered }

    /// The central system took a message (off the event loop): the connection reads on if it had stopped for it.
    func messageDelivered() {
        if undelivered.subtract(1, ordering: .relaxed).oldValue == Self.maxUndelivered {
            channel.triggerUserOutboundEvent(OCPPWebSocketHandler.Request.resumeReading, promise: nil)
        }
    }
}

/// The server's end of an OCPP-J WebSocket (RFC 6455) after the HTTP upgrade, on the channel's event loop behind
/// NIOWebSocket's frame decoder (which bounds a frame at ``OCPPWebSocketServer/maxFrameSize`` and refuses fragmented or
/// long control frames with 1009/1002 through its `WebSocketProtocolErrorHandler`) and encoder. It does what the
/// WebSocket library's task did, without a task:
///
/// - frames from the client must be masked (§5.1) and carry no reserved bits or opcodes (§5.2, no extension is
///   negotiated): otherwise 1002;
/// - a fragmented message is reassembled (§5.4) up to ``OCPPWebSocketServer/maxFrameSize`` in all (1009 above), a
///   continuation without a start or a new message inside one is 1002; control frames may come between fragments;
/// - a text message must be UTF-8 (§8.1: 1007); binary messages are logged and dropped (OCPP-J §3 uses text frames);
/// - a ping is answered with a pong of its data (§5.5.2); every ``OCPPWebSocketServer/pingInterval`` the server pings,
///   and a charger whose pong has not come back by the next ping is closed with 1001 "Ping timeout";
/// - the close handshake (§5.5.1, §7.1): the client's Close is answered with a Close (1000, or 1002 for a Close whose
///   code or reason is invalid, §7.4) and the server closes the TCP connection (§7.1.1); a Close the server sends
///   (the central system's, the shutdown's) waits ``OCPPWebSocketServer/closeTimeout`` for the client's before the
///   connection is dropped; no data frame leaves after a Close frame (§5.5.1).
///
/// Messages go to the central system through the ``OCPPServerInbox`` (connected, each text, disconnected, in order).
final class OCPPWebSocketHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// What the connection asks of its handler from other threads (as user outbound events, on the event loop).
    enum Request: Sendable { case close(WebSocketErrorCode), resumeReading }

    let connection: OCPPServerConnection
    let inbox: OCPPServerInbox
    let logger: Logger
    let maxMessageSize: Int
    let pingInterval: TimeAmount
    let closeTimeout: TimeAmount

    /// Open; a Close frame sent (waiting for the client's); or finished (Close frames exchanged or the connection failed).
    private enum State { case open, closeSent, finished }
    private var state = State.open
    /// The message being reassembled from fragments, and whether it is text.
    private var fragments: ByteBuffer?
    private var fragmentsAreText = false
    /// The data of the last ping, until its pong arrives.
    private var awaitedPong: ByteBuffer?
    private var pingTimer: RepeatedTask?
    private var closeTimer: Scheduled<Void>?
    /// A read the channel asked for while the inbox held ``OCPPServerConnection/maxUndelivered`` of this connection's messages.
    private var readHeld = false
    private var reason = "closed"
    private var disconnected = false

    init(connection: OCPPServerConnection, inbox: OCPPServerInbox, logger: Logger, maxMessageSize: Int, pingInterval: TimeAmount,
         closeTimeout: TimeAmount) {
        self.connection = connection; self.inbox = inbox; self.logger = logger; self.maxMessageSize = maxMessageSize
        self.pingInterval = pingInterval; self.closeTimeout = closeTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        pingTimer = context.eventLoop.scheduleRepeatedTask(initialDelay: pingInterval, delay: pingInterval) { task in
            let (handler, context) = bound.value
            handler.pingTick(context: context, task: task)
        }
        if !context.channel.isActive { ended(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) { ended(context: context) }

    func channelInactive(context: ChannelHandlerContext) {
        ended(context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if state != .finished { reason = "\(error)" }
        state = .finished
        // The decoder's errors (a frame above the bound, a fragmented or long control frame) were answered with a Close
        // by NIOWebSocket's error handler, which closes the connection once that frame is out; anything else (a reset,
        // a TLS failure) ends the connection here.
        if !(error is NIOWebSocketError) { context.close(promise: nil) }
    }

    // MARK: frames from the charger

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        guard state != .finished else { return }
        guard let mask = frame.maskKey else { return fail(context, .protocolError, "an unmasked frame (RFC 6455 §5.1)") }
        guard frame.reservedBits.isEmpty else { return fail(context, .protocolError, "reserved bits set (RFC 6455 §5.2)") }
        var data = frame.data
        data.webSocketUnmask(mask)
        switch frame.opcode {
        case .connectionClose: receivedClose(context, data)
        case .ping:
            if state == .open { context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: data)), promise: nil) }
        case .pong:
            if let awaitedPong, data == awaitedPong { self.awaitedPong = nil }
        case .text, .binary:
            guard fragments == nil else { return fail(context, .protocolError, "a new message inside a fragmented one (RFC 6455 §5.4)") }
            if frame.fin {
                message(context, data, text: frame.opcode == .text)
            } else {
                fragmentsAreText = frame.opcode == .text
                fragments = data
            }
        case .continuation:
            guard var collected = fragments else { return fail(context, .protocolError, "a continuation frame without a message (RFC 6455 §5.4)") }
            guard collected.readableBytes + data.readableBytes <= maxMessageSize else {
                return fail(context, .messageTooLarge, "a message above \(maxMessageSize) bytes")
            }
            fragments = nil  // unique again, appended without a copy
            collected.writeBuffer(&data)
            if frame.fin { message(context, collected, text: fragmentsAreText) } else { fragments = collected }
        default:
            fail(context, .protocolError, "a reserved opcode (RFC 6455 §5.2)")
        }
    }

    private func message(_ context: ChannelHandlerContext, _ data: ByteBuffer, text: Bool) {
        guard state == .open else { return }  // after the server's Close the client's data is not read (§5.5.1)
        guard text else {
            logger.warning("binary frame ignored: OCPP-J uses text frames", metadata: ["cp.id": "\(connection.chargerID)"])
            return
        }
        var data = data
        guard let string = try? data.readUTF8ValidatedString(length: data.readableBytes) else {
            return fail(context, .dataInconsistentWithMessage, "a text message that is not UTF-8 (RFC 6455 §8.1)")
        }
        connection.messageRead()
        inbox.post(.received(connection, string))
    }

    /// RFC 6455 §5.5.1: a Close may carry a code (2 bytes) and a UTF-8 reason; §7.4: a code the client may not send,
    /// or a body of one byte or an invalid reason, is a protocol error.
    private func receivedClose(_ context: ChannelHandlerContext, _ data: ByteBuffer) {
        var body = data
        let code = body.readInteger(as: UInt16.self)
        let valid = (data.readableBytes == 0 || code.map(Self.mayBeReceived) == true)
            && (try? body.readUTF8ValidatedString(length: body.readableBytes)) != nil
        let answer = state == .open
        if answer { reason = "closed by the charger (\(code.map { "\($0)" } ?? "no code"))" }
        state = .finished
        guard answer else { context.close(promise: nil); return }
        writeClose(context, valid ? .normalClosure : .protocolError, reason: nil)
            .whenComplete { [context = NIOLoopBound(context, eventLoop: context.eventLoop)] _ in context.value.close(promise: nil) }
    }

    /// The close codes a peer may send (RFC 6455 §7.4.1, the IANA "WebSocket Close Code Number Registry" 1012–1014,
    /// §7.4.2: 3000–4999 for libraries and applications); 1005, 1006 and 1015 must never be sent.
    static func mayBeReceived(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    // MARK: frames to the charger

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // The central system's frames (``OCPPServerConnection/send(_:)``); the handler's own ping, pong and Close
        // frames are written from its context and do not pass here.
        guard state == .open else { promise?.fail(ChannelError.outputClosed); return }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        if connection.mayRead { context.read() } else { readHeld = true }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard let request = event as? Request else { return context.triggerUserOutboundEvent(event, promise: promise) }
        switch request {
        case .close(let code): startClose(context, code)
        case .resumeReading:
            if readHeld, connection.mayRead { readHeld = false; context.read() }
        }
        promise?.succeed()
    }

    /// Sends a Close frame and gives the client ``closeTimeout`` to answer it (RFC 6455 §7.1.1: the server then closes
    /// the TCP connection).
    private func startClose(_ context: ChannelHandlerContext, _ code: WebSocketErrorCode) {
        guard state == .open else { return }
        state = .closeSent
        reason = code == .goingAway ? "closed: the server stops" : "closed by the central system"
        _ = writeClose(context, code, reason: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        closeTimer = context.eventLoop.scheduleTask(in: closeTimeout) { bound.value.close(promise: nil) }
    }

    /// Fails the WebSocket connection (RFC 6455 §7.1.7): a Close frame with the code, then the TCP connection closes.
    private func fail(_ context: ChannelHandlerContext, _ code: WebSocketErrorCode, _ why: String) {
        guard state != .finished else { return }
        let sendClose = state == .open
        state = .finished
        reason = "failed: \(why)"
        fragments = nil
        guard sendClose else { context.close(promise: nil); return }
        writeClose(context, code, reason: nil)
            .whenComplete { [context = NIOLoopBound(context, eventLoop: context.eventLoop)] _ in context.value.close(promise: nil) }
    }

    @discardableResult
    private func writeClose(_ context: ChannelHandlerContext, _ code: WebSocketErrorCode, reason: String?) -> EventLoopFuture<Void> {
        var body = context.channel.allocator.buffer(capacity: 2 + (reason?.utf8.count ?? 0))
        body.write(webSocketErrorCode: code)
        if let reason { body.writeString(reason) }
        return context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: body)))
    }

    /// Every ``pingInterval``: a ping with 16 random bytes (RFC 6455 §5.5.2; its pong is told from an unsolicited one,
    /// §5.5.3, by them), or, when the last ping's pong has not come back, the close (1001, "Ping timeout").
    private func pingTick(context: ChannelHandlerContext, task: RepeatedTask) {
        guard context.channel.isActive, state == .open else { task.cancel(); return }
        if awaitedPong != nil {
            task.cancel()
            state = .finished
            reason = "ping timeout"
            writeClose(context, .goingAway, reason: "Ping timeout")
            context.close(promise: nil)
            return
        }
        var ping = context.channel.allocator.buffer(capacity: 16)
        for _ in 0..<2 { ping.writeInteger(UInt64.random(in: .min ... .max)) }
        awaitedPong = ping
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: ping)), promise: nil)
    }

    /// The connection is gone: timers stop and the central system hears of it once.
    private func ended(context: ChannelHandlerContext) {
        pingTimer?.cancel(); pingTimer = nil
        closeTimer?.cancel(); closeTimer = nil
        fragments = nil
        guard !disconnected else { return }
        disconnected = true
        state = .finished
        inbox.post(.disconnected(connection, reason))
    }
}
