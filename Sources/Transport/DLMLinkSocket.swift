#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Receives the DLM link's datagrams. The link adapter knows nothing of their content: authentication, freshness and
/// meaning are the station controller's (ChargePoint, with LoadManagement's DLMLink codec and roles).
public protocol DLMLinkHandler: Sendable {
    /// The socket is bound; `sender` sends datagrams until the service stops.
    func dlmLinkStarted(_ sender: DLMLinkSender) async
    func dlmDatagram(_ bytes: [UInt8], host: String, port: Int) async
}

/// Sends datagrams of the DLM link from its bound socket (so that answers come back to it).
public final class DLMLinkSender: Sendable {
    let channel: any Channel
    let broadcast: SocketAddress?
    let logger: Logger
    /// Resolved host names (a Fixed-IP slave's master may be given by name).
    private let resolved = Mutex<[String: SocketAddress]>([:])

    init(channel: any Channel, broadcast: SocketAddress?, logger: Logger) {
        self.channel = channel; self.broadcast = broadcast; self.logger = logger
    }

    /// The local port the link is bound to.
    public var localPort: Int? { channel.localAddress?.port }

    /// Sends `bytes` to host:port. A name is resolved once; failures are logged, not thrown (the link retries by itself
    /// with the next report or grant).
    public func send(_ bytes: [UInt8], host: String, port: Int) {
        let key = "\(host):\(port)"
        var address = resolved.withLock { $0[key] }
        if address == nil {
            do {
                let a = try SocketAddress.makeAddressResolvingHost(host, port: port)
                resolved.withLock { $0[key] = a }
                address = a
            } catch {
                logger.warning("DLM: cannot resolve \(host): \(error)")
                return
            }
        }
        write(bytes, to: address!)
    }

    /// Sends `bytes` to the discovery broadcast address.
    public func sendBroadcast(_ bytes: [UInt8]) {
        guard let broadcast else { return }
        write(bytes, to: broadcast)
    }

    private func write(_ bytes: [UInt8], to address: SocketAddress) {
        let buffer = channel.allocator.buffer(bytes: bytes)
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
    }
}

/// The DLM link's UDP sockets (issue 7): the link socket on `port` (the master's "DLM link port"; 0 for a slave: any
/// free port), with broadcasts allowed; and, for an Auto-Discovery slave, a second socket on the discovery port that
/// several processes on one host may share (SO_REUSEPORT), where the master's announcements arrive.
public struct DLMLinkService: Service {
    let host: String
    let port: Int
    let discoveryPort: Int?
    let broadcastHost: String
    let broadcastPort: Int
    let handler: any DLMLinkHandler
    let logger: Logger

    public init(host: String = "0.0.0.0", port: Int, discoveryPort: Int?, broadcastHost: String, broadcastPort: Int,
                handler: any DLMLinkHandler, logger: Logger) {
        self.host = host; self.port = port; self.discoveryPort = discoveryPort; self.broadcastHost = broadcastHost
        self.broadcastPort = broadcastPort; self.handler = handler; self.logger = logger
    }

    public func run() async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: (bytes: [UInt8], host: String, port: Int).self,
                                                            bufferingPolicy: .bufferingNewest(4096))
        let link = try await Self.bind(host: host, port: port, reusePort: false, continuation: continuation)
        var channels: [any Channel] = [link]
        if let discoveryPort {
            channels.append(try await Self.bind(host: host, port: discoveryPort, reusePort: true, continuation: continuation))
        }
        let broadcast = try? SocketAddress(ipAddress: broadcastHost, port: broadcastPort)
        await handler.dlmLinkStarted(DLMLinkSender(channel: link, broadcast: broadcast, logger: logger))
        logger.info("DLM link on UDP \(link.localAddress?.port ?? port)\(discoveryPort.map { ", discovery on UDP \($0)" } ?? "")")
        let handler = self.handler
        await cancelWhenGracefulShutdown {
            for await d in stream {
                await handler.dlmDatagram(d.bytes, host: d.host, port: d.port)
            }
        }
        continuation.finish()
        for c in channels { try? await c.close() }
    }

    static func bind(host: String, port: Int, reusePort: Bool,
                     continuation: AsyncStream<(bytes: [UInt8], host: String, port: Int)>.Continuation) async throws -> any Channel {
        var bootstrap = DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.so_broadcast), value: 1)
            // Whole datagrams up to the link's limit (NIO's default of 2048 bytes would cut larger reports).
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
        if reusePort {
            bootstrap = bootstrap.channelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: 1)
        }
        return try await bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Inbound(continuation: continuation)) }
            }
            .bind(host: host, port: port).get()
    }

    /// Hands every datagram to the service's stream (bounded: under a flood the oldest are dropped, never the process).
    final class Inbound: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let continuation: AsyncStream<(bytes: [UInt8], host: String, port: Int)>.Continuation

        init(continuation: AsyncStream<(bytes: [UInt8], host: String, port: Int)>.Continuation) { self.continuation = continuation }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            guard let host = envelope.remoteAddress.ipAddress, let port = envelope.remoteAddress.port else { return }
            continuation.yield((Array(envelope.data.readableBytesView), host, port))
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            // ICMP port unreachable and the like: the datagram is lost, the socket stays open.
        }
    }
}
