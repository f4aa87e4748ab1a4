import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Transport

/// Hummingbird's HTTP/1.1 server child channel behind Transport's ``ConnectionGuard``: the connection caps of the
/// station's and the gateway's web interface and API, and an idle timeout. Hummingbird itself neither caps connections per address
/// nor times out idle ones unless told (issue #20 item 2: 1,000 idle connections were kept).
struct GuardedHTTP1Channel: ServerChildChannel {
    let http: HTTP1Channel
    let connectionGuard: ConnectionGuard

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        switch connectionGuard.admit(channel) {
        case .failure(let refused): channel.eventLoop.makeFailedFuture(refused)  // closed already; NIO drops it
        case .success: http.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await http.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// A browser opens up to 6 connections to a host and keeps one for the server-sent events; a few operators, the
    /// CLI and an API client stay far below 32 per address and 256 in all.
    public static let webLimits = ConnectionLimits(maxConnections: 256, maxPerAddress: 32)
    /// A connection without a request for this long is closed, and so is one whose request head or body stops
    /// arriving: Hummingbird counts only complete request parts as activity. A response in progress (the dashboard's
    /// server-sent events) is never cut. Browsers reopen a closed keep-alive connection without the user noticing.
    public static let webIdleTimeout = TimeAmount.seconds(20)

    /// HTTP/1.1 with ``webLimits`` and ``webIdleTimeout``; `name` names the listener in the refusal log lines.
    public static func guardedHTTP1(name: String, logger: Logger) -> HTTPServerBuilder {
        let connectionGuard = ConnectionGuard(name: name, limits: webLimits, logger: logger)
        return HTTPServerBuilder { responder in
            GuardedHTTP1Channel(http: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: webIdleTimeout)),
                                connectionGuard: connectionGuard)
        }
    }
}
