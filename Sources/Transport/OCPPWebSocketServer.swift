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
import ServiceLifecycle
import Synchronization

/// The central system's answer to a charger that asks to open its WebSocket.
public enum OCPPAdmission: Sendable, Equatable {
    case accept
    /// Refused before the upgrade with this HTTP status and text (404 for an unknown ChargerID, 409 for one that is
    /// connected already), so that the charger's log tells the causes apart.
    case refuse(status: Int, reason: String)
}

/// What a charger presented on its connection: the `Authorization` header of its upgrade request (HTTP Basic on
/// security profiles 1 and 2) and, when the server asks for one, its TLS client certificate chain (DER, leaf first;
/// profile 3). The server does not judge them: the delegate does.
public struct OCPPCredentials: Sendable, Equatable {
    public var authorization: String?
    public var clientCertificates: [[UInt8]]
    public init(authorization: String? = nil, clientCertificates: [[UInt8]] = []) {
        self.authorization = authorization; self.clientCertificates = clientCertificates
    }
}

/// What the OCPP server asks and tells the central system.
public protocol OCPPServerDelegate: Sendable {
    /// Whether a charger may open its WebSocket, with what it presented to authenticate itself (OCPP 1.6 security
    /// whitepaper ed. 3 §2). The WebSocket handshake waits for the answer (within ``OCPPWebSocketServer/handshakeTimeout``),
    /// so slow checks (bcrypt) belong off the network threads. The delegate can list a refused charger (seeds/003 §2.2
    /// step 4b "OCPP SCAN").
    func ocppAdmit(chargerID: String, remoteAddress: String?, credentials: OCPPCredentials) async -> OCPPAdmission
    /// The WebSocket of `chargerID` is open; frames written to `outbound` are sent in order. `connection` tells
    /// this connection apart from an earlier one of the same charger.
    func ocppConnected(chargerID: String, connection: UInt64, outbound: OCPPOutbound) async
    /// A text frame arrived.
    func ocppReceived(chargerID: String, connection: UInt64, text: String) async
    /// The WebSocket closed.
    func ocppDisconnected(chargerID: String, connection: UInt64, reason: String) async
}

/// The OCPP-J 1.6 server of a central system: chargers connect to `ws://host:port/<ChargerID>` (any path prefix; the
/// last segment is the ChargerID, percent-decoded) with subprotocol `ocpp1.6`, optionally over TLS (wss). After the
/// HTTP upgrade a connection is a NIO pipeline — NIOWebSocket's frame decoder and encoder and ``OCPPWebSocketHandler``
/// (RFC 6455: masking, fragments, ping and pong, the close handshake) — without a task of its own: its messages reach
/// the delegate, one at a time and in order, through the server's one delivering task (``OCPPServerInbox``), and a
/// connection with ``OCPPServerConnection/maxUndelivered`` messages waiting stops reading, so a charger that floods
/// only waits for itself.
///
/// Refusals are plain HTTP answers before the upgrade: 426 for a request that is no WebSocket upgrade, 400 when the
/// client does not offer `ocpp1.6` (OCPP-J §3.2), and the delegate's status for a ChargerID it does not admit.
///
/// Connections are capped (``limits``: in total, and per address while their handshake is unfinished — an admitted
/// charger's WebSocket counts only against the total, as a charging park's chargers may share one NAT address), and a
/// connection whose TLS and WebSocket handshake is not done within ``handshakeTimeout`` is closed, so that half-open
/// handshakes cannot exhaust the process's descriptors (issue #20 item 2). An open WebSocket whose peer stops
/// answering pings is closed by the 60 s ping (``OCPPWebSocketHandler``).
///
/// - SeeAlso: OCPP-J 1.6 §3.1 (connection URL), §3.2 (subprotocol); seeds/003 §2.1 ("ws://xxx.xxx.xxx.xxx:9000/ChargerID").
public struct OCPPWebSocketServer: Service {
    public let host: String
    public let port: Int
    let tls: NIOSSLContext?
    /// Security profile 3: the TLS layer asks for a client certificate and hands its chain to the delegate, which checks
    /// it (``OCPPServerDelegate/ocppAdmit(chargerID:remoteAddress:credentials:)``). Every certificate lets the TLS
    /// handshake finish (the peer still proves it holds the key), so that a refusal is an HTTP answer with the reason
    /// the charger can log, and the gateway knows the ChargerID of the URL to list it.
    let requestsClientCertificates: Bool
    let delegate: any OCPPServerDelegate
    let logger: Logger
    let onBound: @Sendable (Int) async -> Void
    /// The caps of the listener.
    public let limits: ConnectionLimits
    /// The largest frame accepted (a SendLocalList answer or a long MeterValues fits easily).
    public static let maxFrameSize = 1 << 20
    static let subprotocol = "ocpp1.6"
    /// The time a charger has from its TCP connect to an open WebSocket, TLS included: one to three round trips even on
    /// a cellular modem; the Python `websockets` library gives a client 10 s too (`open_timeout`).
    public static let handshakeTimeout = Duration.seconds(10)
    /// A ping every minute; a charger whose pong has not come back by the next ping is closed (``OCPPWebSocketHandler``).
    static let pingInterval = Duration.seconds(60)
    /// How long a charger has to answer a Close frame before its connection is dropped.
    static let closeTimeout = Duration.seconds(5)
    static let handshakeTimeoutName = "handshakeTimeout"
    /// At most this many connections: issue 31's 50,000 chargers. A connected charger costs about 6 kB (PSS growth at
    /// the charger profile, scripts/bench-gateway.sh, session 26), so `--accept-unconfigured on` cannot grow the
    /// gateway much past 0.33 GB whatever the descriptor limit; the service unit's `LimitNOFILE=65536` holds them
    /// with the reserve (``DescriptorBudget``).
    public static let maxConnections = 50_000
    /// The sizes of a connection's read buffers. NIO keeps a connection's last read buffer for the next read, at the
    /// size it had; its default first size, 2,048 bytes, was 2 kB of every idle charger. An OCPP frame rarely exceeds
    /// 1,024 bytes (a MeterValues with 7 sampled values ≈ 750 bytes, the upgrade request ≈ 250); a longer one fills
    /// the buffer and the next read gets twice the size, up to 64 kB as before.
    static let receiveBuffers = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 1024, maximum: 65_536)
    /// Unfinished handshakes one address may hold: a charging park behind one NAT reconnecting at once after an
    /// outage, or the benchmark's load generator with its 200 handshakes in flight, stay below it.
    public static let maxHandshakesPerAddress = 256

    public init(host: String, port: Int, tls: NIOSSLContext? = nil, requestsClientCertificates: Bool = false, delegate: any OCPPServerDelegate,
                logger: Logger, limits: ConnectionLimits = ConnectionLimits(maxConnections: maxConnections, maxPerAddress: maxHandshakesPerAddress),
                onBound: @escaping @Sendable (Int) async -> Void = { _ in }) {
        self.host = host; self.port = port; self.tls = tls; self.requestsClientCertificates = requestsClientCertificates
        self.delegate = delegate; self.logger = logger
        self.limits = limits; self.onBound = onBound
    }

    /// The ChargerID of a request path: its last segment, percent-decoded; nil when there is none.
    public static func chargerID(path uri: String) -> String? {
        let path = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        guard let last = path.split(separator: "/").last, let id = last.percentDecoded, !id.isEmpty else { return nil }
        return id
    }

    static func offersOCPP16(_ head: HTTPRequestHead) -> Bool {
        head.headers[canonicalForm: "Sec-WebSocket-Protocol"].contains { $0.trimmedWhitespaceAndNewlines.lowercased() == subprotocol }
    }

    public func run() async throws {
        let delegate = self.delegate, tls = self.tls, logger = self.logger, requestsClientCertificates = self.requestsClientCertificates
        let connectionGuard = ConnectionGuard(name: "OCPP-J server", limits: limits, logger: logger)
        let inbox = OCPPServerInbox()
        let counter = Atomic<UInt64>(0)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.recvAllocator, value: Self.receiveBuffers)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // A refused connection is closed already; the failure makes NIO drop it.
                    let slot = try connectionGuard.admit(channel).get()
                    try channel.pipeline.syncOperations.addHandler(ConnectionTimeoutHandler(timeout: TimeAmount(Self.handshakeTimeout)),
                                                                   name: Self.handshakeTimeoutName)
                    let peerChain = PeerChain()
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(requestsClientCertificates
                            ? NIOSSLServerHandler(context: tls, customVerificationCallback: { certificates, promise in
                                peerChain.set(certificates.map { (try? $0.toDERBytes()) ?? [] })
                                promise.succeed(.certificateVerified)
                            })
                            : NIOSSLServerHandler(context: tls))
                    }
                    let remote = channel.remoteAddress?.ipAddress
                    let refusal = Refusal()
                    let upgrader = NIOTypedWebSocketServerUpgrader<Void>(
                        maxFrameSize: Self.maxFrameSize,
                        shouldUpgrade: { channel, head in
                            guard Self.offersOCPP16(head) else {
                                refusal.set(.badRequest, "OCPP-J: the subprotocol ocpp1.6 is required\n")
                                return channel.eventLoop.makeSucceededFuture(nil)
                            }
                            guard let id = Self.chargerID(path: head.uri) else {
                                refusal.set(.notFound, "OCPP-J: the URL needs the ChargerID: ws://<gateway>:<port>/<ChargerID>\n")
                                return channel.eventLoop.makeSucceededFuture(nil)
                            }
                            let credentials = OCPPCredentials(authorization: head.headers.first(name: "Authorization"), clientCertificates: peerChain.value)
                            return channel.eventLoop.makeFutureWithTask {
                                await delegate.ocppAdmit(chargerID: id, remoteAddress: remote, credentials: credentials)
                            }.map { admission -> HTTPHeaders? in
                                if case .refuse(let status, let reason) = admission {
                                    refusal.set(HTTPResponseStatus(statusCode: status), reason + "\n")
                                    return nil
                                }
                                return HTTPHeaders([("Sec-WebSocket-Protocol", Self.subprotocol)])
                            }
                        },
                        upgradePipelineHandler: { channel, head in
                            channel.eventLoop.makeCompletedFuture {
                                channel.pipeline.syncOperations.removeHandler(name: Self.handshakeTimeoutName, promise: nil)
                                let connection = OCPPServerConnection(number: counter.wrappingAdd(1, ordering: .relaxed).newValue,
                                                                      chargerID: Self.chargerID(path: head.uri) ?? "", channel: channel)
                                guard inbox.open(connection) else { channel.close(promise: nil); return }
                                slot.establish()
                                do {
                                    try channel.pipeline.syncOperations.addHandler(OCPPWebSocketHandler(
                                        connection: connection, inbox: inbox, logger: logger, maxMessageSize: Self.maxFrameSize,
                                        pingInterval: TimeAmount(Self.pingInterval), closeTimeout: TimeAmount(Self.closeTimeout)))
                                } catch {
                                    // Without its handler the connection would never say it ended.
                                    inbox.post(.disconnected(connection, "\(error)"))
                                    throw error
                                }
                            }
                        })
                    let configuration = NIOUpgradableHTTPServerPipelineConfiguration(upgradeConfiguration: .init(
                        upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture {
                                try channel.pipeline.syncOperations.addHandler(RefusalHandler(refusal: refusal))
                            }
                        }))
                    _ = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
                }
            }
            .bind(host: host, port: port).get()
        let boundPort = server.localAddress?.port ?? port
        logger.info("OCPP-J 1.6 server listening", metadata: ["port": "\(boundPort)", "tls": "\(tls != nil)"])
        await onBound(boundPort)
        // Every connection's events reach the delegate in this one task (``OCPPServerInbox``). A graceful stop closes
        // the listener and sends every open connection a Close frame; cancellation drops them. Either way the delivery
        // ends after the last connection's disconnection.
        server.closeFuture.whenComplete { _ in inbox.stopListening { $0.closeForShutdown() } }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await inbox.deliver(to: delegate)
            } onGracefulShutdown: {
                server.close(promise: nil)
            }
        } onCancel: {
            server.close(promise: nil)
            inbox.stopListening { $0.channel.close(promise: nil) }
        }
    }
}

/// Why a request was not upgraded; a request without `Upgrade: websocket` never reaches the upgrader and keeps the
/// default (426 Upgrade Required).
final class Refusal: Sendable {
    private let state = Mutex<(HTTPResponseStatus, String)>((.upgradeRequired, "OCPP-J: connect with a WebSocket to ws://<gateway>:<port>/<ChargerID>\n"))
    func set(_ status: HTTPResponseStatus, _ text: String) { state.withLock { $0 = (status, text) } }
    var value: (HTTPResponseStatus, String) { state.withLock { $0 } }
}

/// The client certificate chain a connection's TLS handshake presented (DER, leaf first), for its upgrade request.
final class PeerChain: Sendable {
    private let chain = Mutex<[[UInt8]]>([])
    func set(_ value: [[UInt8]]) { chain.withLock { $0 = value } }
    var value: [[UInt8]] { chain.withLock { $0 } }
}

/// Answers a request that was not upgraded with the reason, then closes the connection.
final class RefusalHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let refusal: Refusal
    private var answered = false

    init(refusal: Refusal) { self.refusal = refusal }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        answer(context: context)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // The request may have been read completely before this handler was added.
        context.eventLoop.assumeIsolated().execute { [self] in if context.channel.isActive { self.answer(context: context) } }
    }

    private func answer(context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        let (status, text) = refusal.value
        var headers = HTTPHeaders([("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "\(text.utf8.count)"), ("Connection", "close")])
        if status == .upgradeRequired { headers.add(name: "Upgrade", value: "websocket") }
        // RFC 7235 §3.1: a 401 names the scheme (OCPP 1.6 security profiles 1 and 2 use HTTP Basic).
        if status == .unauthorized { headers.add(name: "WWW-Authenticate", value: "Basic realm=\"OCPP\", charset=\"UTF-8\"") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: text)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}

/// A certificate or key file of a wss server that cannot be used.
public struct TLSFileError: Error, CustomStringConvertible {
    public enum File: Sendable { case certificate, key, clientCA }
    /// The file at fault.
    public let file: File
    public let description: String
    public init(file: File, description: String) { self.file = file; self.description = description }
}

extension OCPPWebSocketServer {
    /// The TLS context a wss server is made with (a name for the adapters that do not import NIOSSL).
    public typealias TLSContext = NIOSSLContext

    /// The TLS context of a wss server: the certificate chain and private key from PEM files. The errors name the file
    /// and what is wrong with it.
    /// With `clientCAFile` (security profile 3) the server asks for a client certificate and names the CA's subjects
    /// in its request; the chain is checked by the delegate (see ``requestsClientCertificates``), a client without
    /// one still finishes TLS and is refused at the upgrade.
    public static func tlsContext(certificateFile: String, keyFile: String, clientCAFile: String? = nil) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificateFile) } catch {
            throw TLSFileError(file: .certificate, description: "cannot read the certificate file \(certificateFile): \(error)")
        }
        guard !chain.isEmpty else { throw TLSFileError(file: .certificate, description: "the certificate file \(certificateFile) holds no PEM certificate") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: keyFile, format: .pem) } catch {
            throw TLSFileError(file: .key, description: "cannot read the private key file \(keyFile): \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        if let clientCAFile {
            let cas: [NIOSSLCertificate]
            do { cas = try NIOSSLCertificate.fromPEMFile(clientCAFile) } catch {
                throw TLSFileError(file: .clientCA, description: "cannot read the client CA file \(clientCAFile): \(error)")
            }
            guard !cas.isEmpty else { throw TLSFileError(file: .clientCA, description: "the client CA file \(clientCAFile) holds no PEM certificate") }
            configuration.certificateVerification = .optionalVerification
            configuration.trustRoots = .certificates(cas)
            configuration.sendCANameList = true
        }
        do { return try NIOSSLContext(configuration: configuration) } catch {
            throw TLSFileError(file: .key, description: "the private key \(keyFile) does not fit the certificate \(certificateFile): \(error)")
        }
    }
}
