import Hummingbird
import NIOCore

/// The request context of the station's and the gateway's HTTP servers: Hummingbird's basic context plus the client's
/// address, which the login throttle keys its lockout and rate limit on (``LoginThrottle``). Only the socket's peer
/// address counts; a forwarding header could be set by anyone.
public struct WebRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The station's own address of this connection (the one the browser connected to; the Network page's change guard).
    public let localAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        localAddress = source.channel.localAddress
    }

    /// The client's IP address as text, nil when unknown (in-process tests).
    public var clientAddress: String? { remoteAddress?.ipAddress }
}
