#if canImport(Glibc)
import Glibc
#endif
#if canImport(CNIOLinux)
import CNIOLinux  // where the build finds struct sockaddr_in6's members (MemberImportVisibility)
#endif
import Logging
import NIOCore
import NIOPosix
import V2G

/// The connector's SECC Discovery Protocol server (ISO 15118-2:2014 §7.10.1): UDP port 15118 on the PLC interface,
/// member of ff02::1 there ([V2G2-139]); answers each valid request to its sender with the ``SDPOffer`` (the
/// decision is V2G's ``SDP/answer(datagram:offer:)``) and ignores, with a log line, anything else.
///
/// The socket is bound to ff02::1 with the interface's index as scope: it receives only the discovery requests of
/// this interface, so each connector's PLC interface can have a server of its own on port 15118. The answer goes
/// out with the interface's link-local address as source (the kernel's choice for a link-local destination).
public struct SDPServer: Sendable {
    public let channel: any Channel

    public static func bind(address: V2GLinkLocalAddress, offer: SDPOffer, logger: Logger,
                            events: @escaping @Sendable (V2GTransportEvent) -> Void) async throws -> SDPServer {
        var group = sockaddr_in6()
        group.sin6_family = sa_family_t(AF_INET6)
        group.sin6_port = V2G.sdpPort.bigEndian
        _ = inet_pton(AF_INET6, V2G.sdpMulticastAddress, &group.sin6_addr)
        group.sin6_scope_id = address.interfaceIndex
        let groupAddress = SocketAddress(group, host: V2G.sdpMulticastAddress)
        let handler = Inbound(offer: offer, logger: logger, events: events)
        let channel: any Channel
        do {
            channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
                }
                .bind(to: groupAddress).get()
        } catch {
            throw ListenError(listener: "ISO 15118 SDP server", host: "ff02::1%\(address.interfaceName)", port: Int(V2G.sdpPort),
                              error: error, setting: "another program's SDP server on this interface: stop it")
        }
        do {
            let device = try System.enumerateDevices().first { $0.name == address.interfaceName && $0.interfaceIndex == Int(address.interfaceIndex) }
            guard let device else {
                throw V2GStartError(description: "ISO 15118: network interface '\(address.interfaceName)' vanished while the SDP server started")
            }
            try await (channel as! any MulticastChannel).joinGroup(try SocketAddress(ipAddress: V2G.sdpMulticastAddress, port: Int(V2G.sdpPort)),
                                                                  device: device).get()
        } catch {
            try? await channel.close()
            throw error
        }
        return SDPServer(channel: channel)
    }

    final class Inbound: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>
        let offer: SDPOffer
        let logger: Logger
        let events: @Sendable (V2GTransportEvent) -> Void

        init(offer: SDPOffer, logger: Logger, events: @escaping @Sendable (V2GTransportEvent) -> Void) {
            self.offer = offer; self.logger = logger; self.events = events
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = Self.unwrapInboundIn(data)
            let bytes = Array(envelope.data.readableBytesView)
            let from = V2GTPServer.text(envelope.remoteAddress) + ":\(envelope.remoteAddress.port ?? 0)"
            switch SDP.answer(datagram: bytes, offer: offer) {
            case .success(let a):
                logger.info("ISO 15118: SDP request from \(from) (security \(a.request.security), transport \(a.request.transport)); answered port \(a.response.port), security \(a.response.security)")
                let out = AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: context.channel.allocator.buffer(bytes: a.response.datagram))
                context.writeAndFlush(Self.wrapOutboundOut(out), promise: nil)
                events(.discovery(from: from, request: a.request, response: a.response))
            case .failure(let refusal):
                logger.warning("ISO 15118: ignored a datagram of \(bytes.count) bytes from \(from) on the SDP port: \(refusal)")
                events(.discoveryIgnored(from: from, byteCount: bytes.count, head: Array(bytes.prefix(16)), reason: refusal.description))
            }
        }

        /// A datagram socket survives an error of one datagram (an ICMP error of an earlier answer, say).
        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            logger.debug("ISO 15118: SDP socket: \(error)")
        }
    }
}

/// Why the connector's V2G servers could not start; names the interface and what to check.
public struct V2GStartError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}
