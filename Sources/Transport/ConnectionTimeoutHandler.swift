import NIOCore

/// Closes a connection `timeout` after this handler was added, whatever arrives, unless it is removed first: a client
/// that sends half a handshake and stops cannot hold its descriptor forever (the OCPP server's WebSocket handshake and
/// SHIP's connection setup; a completed upgrade removes it). The Modbus servers keep their own idle timer in
/// ``ModbusTCPServer``'s connection handler, which counts complete requests only.
public final class ConnectionTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny
    public typealias InboundOut = NIOAny

    let timeout: TimeAmount
    private var scheduled: Scheduled<Void>?

    public init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        scheduled = context.eventLoop.scheduleTask(deadline: context.eventLoop.now + timeout) {
            let (handler, context) = loopBound.value
            handler.scheduled = nil
            context.close(promise: nil)
        }
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
}
