import EEBUS
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StringSupport
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Synchronization
@_spi(WSInternal) import WSCore

/// The TLS contexts of a SHIP node (SHIP TS 1.0.1 §9.1): TLS 1.2 only, with exactly the two SHIP cipher suites —
/// TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 (mandatory) and TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 — and the node's
/// certificate on both sides. The server requires a client certificate of any issuer; the client does not verify the
/// server's chain. Trust is decided afterwards by the SKI of the peer's key (``SHIPIdentity/ski(ofCertificateDER:)``).
///
/// BoringSSL (in swift-nio-ssl) marks the CBC-SHA256 suite deprecated and leaves it out of its cipher aliases, but
/// still negotiates it when named exactly, as here (checked with `openssl s_client` in the transport tests).
struct SHIPTLS: Sendable {
    static let cipherSuites = "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256"
    let server: NIOSSLContext
    let client: NIOSSLContext

    init(identity: SHIPIdentity) throws {
        let (certificate, key) = try identity.tlsMaterial()
        var s = TLSConfiguration.makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
        s.minimumTLSVersion = .tlsv12
        s.maximumTLSVersion = .tlsv12
        s.cipherSuites = Self.cipherSuites
        // Peer verification with a custom callback that accepts any certificate: a client without one fails the handshake.
        s.certificateVerification = .noHostnameVerification
        s.trustRoots = .certificates([])
        server = try NIOSSLContext(configuration: s)
        var c = TLSConfiguration.makeClientConfiguration()
        c.minimumTLSVersion = .tlsv12
        c.maximumTLSVersion = .tlsv12
        c.cipherSuites = Self.cipherSuites
        c.certificateChain = [.certificate(certificate)]
        c.privateKey = .privateKey(key)
        c.certificateVerification = .noHostnameVerification
        c.trustRoots = .certificates([])
        client = try NIOSSLContext(configuration: c)
    }
}

/// The SKI of a TLS peer, from the certificate its handshake presented.
final class SHIPPeerIdentity: Sendable {
    private let state = Mutex<Result<SHIPSKI, SHIPIdentityError>>(.failure(SHIPIdentityError("the peer presented no certificate")))
    var value: Result<SHIPSKI, SHIPIdentityError> { state.withLock { $0 } }

    /// The TLS verification callback: records the leaf's SKI and lets the handshake finish (trust is SHIP's decision).
    func verify(_ certificates: [NIOSSLCertificate], _ promise: EventLoopPromise<NIOSSLVerificationResult>) {
        let result: Result<SHIPSKI, SHIPIdentityError>
        if let leaf = certificates.first, let der = try? leaf.toDERBytes() {
            do throws(SHIPIdentityError) { result = .success(try SHIPIdentity.ski(ofCertificateDER: der)) } catch { result = .failure(error) }
        } else {
            result = .failure(SHIPIdentityError("the peer presented no certificate"))
        }
        state.withLock { $0 = result }
        promise.succeed(.certificateVerified)
    }
}

/// Logs a failed TLS handshake of an accepted connection once, with the address: scanners and clients with the wrong
/// suites or without a certificate are visible, their keys never.
final class SHIPTLSFailureLogger: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let remote: String
    let logger: Logger
    private var logged = false
    init(remote: String, logger: Logger) { self.remote = remote; self.logger = logger }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !logged, error is NIOSSLError || error is BoringSSLError {
            logged = true
            logger.warning("SHIP: TLS handshake refused", metadata: ["remote": "\(remote)", "reason": "\(error)"])
        }
        context.fireErrorCaught(error)
    }
}

extension SHIPNode {
    struct Context: WebSocketContext { let logger: Logger }

    enum ServerUpgrade: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, ski: SHIPSKI, remote: String, slot: ConnectionGuard.Slot)
        case refused
    }

    enum ClientUpgrade: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case refused(String)
    }

    static let subprotocol = "ship"
    static let setupTimeoutName = "shipSetupTimeout"

    /// The WebSocket path of SHIP (SHIP TS 1.0.1 §7.3.2 `path`); `/ship` without the slash is accepted too.
    static func isSHIPPath(_ uri: String) -> Bool {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return path == SHIPServiceInfo.defaultPath || path == "/ship"
    }

    static func offersSHIP(_ head: HTTPRequestHead) -> Bool {
        head.headers[canonicalForm: "Sec-WebSocket-Protocol"].contains { $0.trimmedWhitespaceAndNewlines == subprotocol }
    }

    /// The largest WebSocket message read: twice the SHIP limit, so that the machine sees a message just over its limit
    /// and names it; larger ones end at the WebSocket layer (close 1009).
    var webSocketMaxSize: Int { configuration.connection.maxMessageBytes * 2 }

    func bind(host: String, port: Int) async throws -> NIOAsyncChannel<EventLoopFuture<ServerUpgrade>, Never> {
        let connectionGuard = ConnectionGuard(name: "SHIP", limits: configuration.limits, logger: logger)
        let tls = self.tls.server, logger = self.logger, setupTimeout = configuration.setupTimeout, maxSize = webSocketMaxSize
        do {
            return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let slot = try connectionGuard.admit(channel).get()
                        let remote = channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(ConnectionTimeoutHandler(timeout: TimeAmount(setupTimeout)), name: Self.setupTimeoutName)
                        let peer = SHIPPeerIdentity()
                        try sync.addHandler(NIOSSLServerHandler(context: tls, customVerificationCallback: peer.verify))
                        let refusal = Refusal()
                        refusal.set(.upgradeRequired, "SHIP: connect with a WebSocket to wss://<host>:<port>/ship/ with subprotocol ship\n")
                        let upgrader = NIOTypedWebSocketServerUpgrader<ServerUpgrade>(
                            maxFrameSize: maxSize,
                            shouldUpgrade: { channel, head in
                                var why: String?
                                if !Self.isSHIPPath(head.uri) {
                                    refusal.set(.notFound, "SHIP: the WebSocket path is /ship/\n"); why = "path \(head.uri.prefix(64))"
                                } else if !Self.offersSHIP(head) {
                                    refusal.set(.badRequest, "SHIP: the subprotocol ship is required (SHIP TS 1.0.1 §10.2)\n"); why = "no subprotocol ship"
                                } else if case .failure(let error) = peer.value {
                                    refusal.set(.forbidden, "SHIP: \(error.description)\n"); why = error.description
                                }
                                if let why {
                                    logger.warning("SHIP: WebSocket upgrade refused", metadata: ["remote": "\(remote)", "reason": "\(why)"])
                                    return channel.eventLoop.makeSucceededFuture(nil)
                                }
                                return channel.eventLoop.makeSucceededFuture(HTTPHeaders([("Sec-WebSocket-Protocol", Self.subprotocol)]))
                            },
                            upgradePipelineHandler: { channel, _ in
                                channel.eventLoop.makeCompletedFuture {
                                    channel.pipeline.syncOperations.removeHandler(name: Self.setupTimeoutName, promise: nil)
                                    guard case .success(let ski) = peer.value else { return .refused }
                                    return .websocket(try NIOAsyncChannel(wrappingChannelSynchronously: channel), ski: ski, remote: remote, slot: slot)
                                }
                            })
                        let configuration = NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: .init(
                            upgraders: [upgrader],
                            notUpgradingCompletionHandler: { channel in
                                channel.eventLoop.makeCompletedFuture {
                                    try channel.pipeline.syncOperations.addHandler(RefusalHandler(refusal: refusal))
                                    return .refused
                                }
                            }))
                        let upgrade = try sync.configureUpgradableHTTPServerPipeline(configuration: configuration)
                        try sync.addHandler(SHIPTLSFailureLogger(remote: remote, logger: logger))
                        return upgrade
                    }
                }
        } catch {
            throw ListenError(listener: "SHIP (EEBUS)", host: host, port: port, error: error, setting: "the EEBUS port")
        }
    }

    /// Runs one accepted connection.
    func serve(_ upgrade: EventLoopFuture<ServerUpgrade>) async {
        guard case .websocket(let channel, let ski, let remote, let slot)? = try? await upgrade.get() else { return }
        _ = await session(channel, type: .server, role: .server, ski: ski, remote: remote, slot: slot)
    }

    /// One outgoing connection to `link`; returns whether it reached the data phase.
    func connectOut(_ link: SHIPLink) async -> Bool {
        let remote = "\(link.host):\(link.port)"
        sink.yield(.state(link.ski, .connecting))
        let peer = SHIPPeerIdentity()
        let tls = self.tls.client, maxSize = webSocketMaxSize, deadline = NIODeadline.now() + TimeAmount(configuration.setupTimeout)
        do {
            let upgrade = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(TimeAmount(configuration.setupTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: link.host, port: link.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let timeout = channel.eventLoop.scheduleTask(deadline: deadline) { channel.close(promise: nil) }
                        let sync = channel.pipeline.syncOperations
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: nil, customVerificationCallback: peer.verify))
                        let upgrader = NIOTypedWebSocketClientUpgrader<ClientUpgrade>(maxFrameSize: maxSize) { channel, head in
                            channel.eventLoop.makeCompletedFuture {
                                let agreed = head.headers[canonicalForm: "Sec-WebSocket-Protocol"].map(String.init)
                                guard agreed == [Self.subprotocol] else {
                                    channel.close(promise: nil)
                                    return .refused("the server did not agree to subprotocol ship (answered \(agreed))")
                                }
                                return .websocket(try NIOAsyncChannel(wrappingChannelSynchronously: channel))
                            }
                        }
                        var headers = HTTPHeaders()
                        headers.add(name: "Host", value: link.host.contains(":") ? "[\(link.host)]:\(link.port)" : remote)
                        headers.add(name: "Sec-WebSocket-Protocol", value: Self.subprotocol)
                        let request = HTTPRequestHead(version: .http1_1, method: .GET, uri: link.path, headers: headers)
                        let configuration = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: .init(
                            upgradeRequestHead: request, upgraders: [upgrader],
                            notUpgradingCompletionHandler: { channel in
                                channel.close(promise: nil)
                                return channel.eventLoop.makeSucceededFuture(.refused("the server refused the WebSocket upgrade"))
                            }))
                        let upgraded = try sync.configureUpgradableHTTPClientPipeline(configuration: configuration)
                        upgraded.whenComplete { _ in timeout.cancel() }
                        return upgraded
                    }
                }
                .get()
            switch upgrade {
            case .refused(let why):
                logger.warning("SHIP: connection refused", metadata: ["remote": "\(remote)", "ski": "\(link.ski)", "reason": "\(why)"])
                sink.yield(.state(link.ski, .closed(why)))
                return false
            case .websocket(let channel):
                // §12.2: the server must be the node we meant to reach.
                switch peer.value {
                case .success(let ski) where ski == link.ski:
                    // Not cancelled with the link's loop: a shutdown ends the session with SHIP's orderly close.
                    return await Task { await self.session(channel, type: .client, role: .client, ski: ski, remote: remote, slot: nil) }.value == .connected
                case .success(let ski):
                    return refuse(channel, link, "the server presented SKI \(ski), expected \(link.ski)")
                case .failure(let error):
                    return refuse(channel, link, error.description)
                }
            }
        } catch {
            logger.debug("SHIP: connection failed", metadata: ["remote": "\(remote)", "ski": "\(link.ski)", "reason": "\(error)"])
            sink.yield(.state(link.ski, .closed("\(error)")))
            return false
        }
    }

    private func refuse(_ channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, _ link: SHIPLink, _ why: String) -> Bool {
        channel.channel.close(promise: nil)
        logger.warning("SHIP: connection refused", metadata: ["remote": "\(link.host):\(link.port)", "ski": "\(link.ski)", "reason": "\(why)"])
        sink.yield(.state(link.ski, .closed(why)))
        return false
    }
}
