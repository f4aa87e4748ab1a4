import NIOCore

/// Closes a connection that does not make progress in time, so that a silent client, or one that sends half a
/// request and stops, cannot hold its descriptor forever.
///
/// - ``Mode/idle``: closed when no message reaches this handler for `timeout` — counted from when it was added, then
///   from the last message. Placed after a decoder, only complete frames count: bytes of an unfinished frame do not
///   keep the connection open (the Modbus TCP servers).
/// - ``Mode/deadline``: closed `timeout` after it was added whatever arrives, unless it is removed first (the OCPP
///   server's WebSocket handshake; the upgrade removes it).
public final class ConnectionTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny
    public typealias InboundOut = NIOAny

    public enum Mode: Sendable { case idle, deadline }

    let timeout: TimeAmount
    let mode: Mode
    private var scheduled: Scheduled<Void>?
    private var lastRead = NIODeadline.uptimeNanoseconds(0)

    public init(timeout: TimeAmount, mode: Mode) {
        self.timeout = timeout; self.mode = mode
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        lastRead = context.eventLoop.now
        schedule(context, at: lastRead + timeout)
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        scheduled?.cancel()
        scheduled = nil
    }

    public func channelInactive(context: ChannelHandlerContext) {
        scheduled?.cancel()
        scheduled = nil
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if mode == .idle { lastRead = context.eventLoop.now }
        context.fireChannelRead(data)
    }

    private func schedule(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        scheduled = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.fire(context)
        }
    }

    /// The timer ran out: an idle connection that read meanwhile is given the rest of its time, anything else closes.
    private func fire(_ context: ChannelHandlerContext) {
        scheduled = nil
        if mode == .idle, lastRead + timeout > context.eventLoop.now {
            schedule(context, at: lastRead + timeout)
        } else {
            context.close(promise: nil)
        }
    }
}
