#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StringSupport
import Logging
import NIOCore
import NIOSSL
import NIOWebSocket
import ServiceLifecycle
import Synchronization
@_spi(WSInternal) import WSCore

/// What an OCPP-J connection reports to the station.
public protocol OCPPConnectionDelegate: Sendable {
    /// The WebSocket is open; frames written to `outbound` are sent in order.
    func ocppConnected(_ outbound: OCPPOutbound) async
    /// A text frame arrived.
    func ocppReceived(_ text: String) async
    /// The WebSocket closed (or could not be opened).
    func ocppDisconnected(reason: String) async
    /// An attempt ended before the WebSocket was open; `failure` says why in the terms of the security whitepaper's
    /// events (called before ``ocppDisconnected(reason:)``).
    func ocppConnectFailed(_ failure: OCPPConnectFailure, reason: String) async
}

extension OCPPConnectionDelegate {
    public func ocppConnectFailed(_ failure: OCPPConnectFailure, reason: String) async {}
}

/// Why a connection attempt failed, as far as the security events of the OCPP 1.6 security whitepaper (ed. 3 §8)
/// distinguish it.
public enum OCPPConnectFailure: Sendable, Equatable {
    /// The central system's certificate was not accepted (InvalidCentralSystemCertificate, A00.FR.4xx).
    case serverCertificate
    /// No common TLS version (InvalidTLSVersion).
    case tlsVersion
    /// No common cipher suite (InvalidTLSCipherSuite).
    case cipherSuite
    /// The central system refused our credentials: HTTP 401/403 at the upgrade, or a TLS alert about our client
    /// certificate (FailedToAuthenticateAtCentralSystem).
    case authentication
    /// Anything else: unreachable, refused, timed out, a wrong URL.
    case other

    /// Classifies an error of one attempt. BoringSSL reports handshake failures by reason names
    /// (CERTIFICATE_VERIFY_FAILED, UNSUPPORTED_PROTOCOL, NO_SHARED_CIPHER, TLSV1_ALERT_…), which NIOSSL carries in the
    /// error's description.
    static func classify(_ error: any Error) -> OCPPConnectFailure {
        if case OCPPConnectError.upgradeRefused(let status?, _) = error, status == 401 || status == 403 { return .authentication }
        guard error is NIOSSLError || error is NIOSSLExtraError else { return .other }
        let text = String(describing: error).uppercased()
        if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("UNABLE_TO_GET_ISSUER") || text.contains("HOSTNAME") {
            return .serverCertificate
        }
        if text.contains("UNSUPPORTED_PROTOCOL") || text.contains("PROTOCOL_VERSION") || text.contains("WRONG_VERSION") {
            return .tlsVersion
        }
        if text.contains("NO_SHARED_CIPHER") || text.contains("NO_CIPHERS") || text.contains("HANDSHAKE_FAILURE") { return .cipherSuite }
        if text.contains("CERTIFICATE_REQUIRED") || text.contains("BAD_CERTIFICATE") || text.contains("UNKNOWN_CA")
            || text.contains("CERTIFICATE_EXPIRED") || text.contains("ACCESS_DENIED") {
            return .authentication
        }
        return .other
    }
}

/// The TLS material of one connection attempt (OCPP 1.6 security whitepaper ed. 3 §2, profiles 2 and 3).
public struct OCPPTLSMaterial: Sendable, Equatable {
    /// The installed CentralSystemRootCertificates in PEM; empty: the default trust (`CHARGEKIT_CA_FILE` or the system's).
    public var trustRootsPEM: [String]
    /// Profile 3: the charge point certificate chain (leaf first) and its private key, in PEM.
    public var clientCertificateChainPEM: String?
    public var clientPrivateKeyPEM: String?
    /// Profiles 2 and 3: offer only the cipher suites of A00.FR.318–319 for TLS 1.2 (TLS 1.3's own suites stay).
    public var whitepaperCipherSuites: Bool

    public init(trustRootsPEM: [String] = [], clientCertificateChainPEM: String? = nil, clientPrivateKeyPEM: String? = nil,
                whitepaperCipherSuites: Bool = false) {
        self.trustRootsPEM = trustRootsPEM; self.clientCertificateChainPEM = clientCertificateChainPEM
        self.clientPrivateKeyPEM = clientPrivateKeyPEM; self.whitepaperCipherSuites = whitepaperCipherSuites
    }
}

/// The connection settings the next attempt uses, changeable while the client runs: a new AuthorizationKey, security
/// profile or client certificate applies at the next connection, and ``reconnect()`` makes that connection now
/// (security whitepaper A01: the charge point reconnects with the new password; A05: with the new profile).
public final class OCPPConnectionControl: Sendable {
    private let state: Mutex<OCPPConnectionSettings>
    let current = OpenConnection()

    public init(_ settings: OCPPConnectionSettings) { state = Mutex(settings) }

    public var settings: OCPPConnectionSettings { state.withLock { $0 } }

    /// The next attempt uses `settings`.
    public func update(_ settings: OCPPConnectionSettings) { state.withLock { $0 = settings } }

    /// Closes the open connection after `delay`, so that the answer that caused it (ChangeConfiguration Accepted) has
    /// left over the old connection before the close; the client connects again at once with the current settings.
    public func reconnect(after delay: Duration = .seconds(1)) {
        let current = self.current
        Task {
            try? await Task.sleep(for: delay)
            current.close()
        }
    }
}

/// The sending side of an open OCPP-J connection: the client's queue (a task of the connection writes it), or the
/// server's connection, which writes each frame straight to its channel (``OCPPWebSocketServer``: no task per
/// connection waits for frames to send).
public struct OCPPOutbound: Sendable {
    private let sendText: @Sendable (String) -> Void
    private let closeConnection: @Sendable () -> Void

    init(continuation: AsyncStream<String>.Continuation) {
        sendText = { continuation.yield($0) }
        closeConnection = { continuation.finish() }
    }

    init(send: @escaping @Sendable (String) -> Void, close: @escaping @Sendable () -> Void) {
        sendText = send
        closeConnection = close
    }

    /// Queues a text frame.
    public func send(_ text: String) { sendText(text) }
    /// Closes the connection (the client reconnects after its back-off).
    public func close() { closeConnection() }
}

/// The TLS server verification levels of seeds/004 §4 "SSL Strictness as client".
public enum TLSStrictness: String, Sendable {
    /// Encrypt only, no authentication.
    case encryptOnly = "EncryptOnly"
    case allowExpiredSkipHostCheck = "AllowExpiredSkipHostCheck"
    case skipHostCheck = "SkipHostCheck"
    case allowExpired = "AllowExpired"
    case normal = "Normal"
}

/// Settings of the OCPP-J WebSocket connection.
public struct OCPPConnectionSettings: Sendable {
    /// The backend URL without the identity.
    public var baseURL: String
    /// The complete connection URL when the owner built it (the station: its BackendURL with the identity where the
    /// `{ChargeBoxIdentity}` placeholder stands, ChargePoint's `BackendURL`); nil: ``baseURL`` + `/` + identity.
    public var connectionURL: String?
    public var chargeBoxIdentity: String
    /// HTTP Basic password bytes (security profile 1); nil: no authentication.
    public var basicAuthPassword: [UInt8]?
    /// `http://host:port` of a proxy tunnelled through with CONNECT; empty: direct.
    public var proxy: String
    public var pingInterval: Duration
    public var connectTimeout: Duration
    public var tlsStrictness: TLSStrictness
    /// Restart the connection stack after this long without a connection (seeds/004 "TCP Watchdog Timeout"; 0 = never).
    public var watchdog: Duration
    /// Frames may be this large (GetConfiguration with every key, SendLocalList with 1000 entries).
    public var maxFrameSize: Int
    /// The TLS material of the security profile (OCPP 1.6 security whitepaper ed. 3 §2): the trust roots, the client
    /// certificate (profile 3) and whether only the whitepaper's cipher suites are offered (profiles 2 and 3).
    public var tls: OCPPTLSMaterial
    /// The reconnect back-off doubles from 1 s up to this.
    public var maximumBackoff: Duration

    public init(baseURL: String, connectionURL: String? = nil, chargeBoxIdentity: String, basicAuthPassword: [UInt8]?, proxy: String,
                pingInterval: Duration, connectTimeout: Duration, tlsStrictness: TLSStrictness, watchdog: Duration, maxFrameSize: Int = 1 << 20,
                maximumBackoff: Duration = .seconds(300), tls: OCPPTLSMaterial = OCPPTLSMaterial()) {
        self.baseURL = baseURL; self.connectionURL = connectionURL; self.chargeBoxIdentity = chargeBoxIdentity; self.basicAuthPassword = basicAuthPassword; self.proxy = proxy
        self.pingInterval = pingInterval; self.connectTimeout = connectTimeout; self.tlsStrictness = tlsStrictness; self.watchdog = watchdog
        self.maxFrameSize = maxFrameSize; self.maximumBackoff = maximumBackoff; self.tls = tls
    }

    /// The connection URL: ``connectionURL`` when given, else the backend URL, `/`, and the percent-encoded
    /// ChargeBoxIdentity (OCPP-J §3.1.1).
    public var url: String {
        if let connectionURL { return connectionURL }
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/" + chargeBoxIdentity.percentEncoded()
    }

    /// The `Authorization` header value for HTTP Basic authentication (user = ChargeBoxIdentity, OCPP-J §6.1.3).
    public var authorizationHeader: String? {
        guard let password = basicAuthPassword else { return nil }
        return "Basic " + Data(Array(chargeBoxIdentity.utf8) + [UInt8(ascii: ":")] + password).base64EncodedString()
    }
}

/// The OCPP-J client connection: opens the WebSocket with subprotocol `ocpp1.6`, keeps it alive with pings,
/// reconnects with exponential back-off and jitter (1 s doubling to ``OCPPConnectionSettings/maximumBackoff``, 5 min by
/// default, ±25 %), and restarts its stack when
/// the watchdog expires.
///
/// - SeeAlso: OCPP-J 1.6 §3 (connection), §5.3 (WebSocketPingInterval); J-errata 3.4 (back-off); seeds/004 §4.
public struct OCPPWebSocketClient: Service {
    let control: OCPPConnectionControl
    let delegate: any OCPPConnectionDelegate
    let logger: Logger
    /// The sending side of the open connection, closed on graceful shutdown.
    var current: OpenConnection { control.current }
    static let firstBackoff = 1.0

    public init(settings: OCPPConnectionSettings, delegate: any OCPPConnectionDelegate, logger: Logger) {
        self.init(control: OCPPConnectionControl(settings), delegate: delegate, logger: logger)
    }

    public init(control: OCPPConnectionControl, delegate: any OCPPConnectionDelegate, logger: Logger) {
        self.control = control; self.delegate = delegate; self.logger = logger
    }

    public func run() async throws {
        let current = self.current
        // On shutdown the open connection is closed with a close frame at once, so the service group (and a Reset's
        // restart) does not wait for the backend.
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown { await self.reconnectLoop() }
        } onGracefulShutdown: {
            current.close()
        }
    }

    private func reconnectLoop() async {
        var backoff = Self.firstBackoff
        var lastConnected = ContinuousClock.now
        while !Task.isCancelled {
            let settings = control.settings
            let opened = await connectOnce(settings)
            if opened {
                backoff = Self.firstBackoff
                lastConnected = ContinuousClock.now
            } else if settings.watchdog > .zero, ContinuousClock.now - lastConnected >= settings.watchdog {
                logger.warning("backend unreachable for \(settings.watchdog); restarting the OCPP connection stack (TCP Watchdog Timeout)")
                backoff = Self.firstBackoff
                lastConnected = ContinuousClock.now
            }
            let wait = backoff * Double.random(in: 0.75...1.25)
            backoff = min(Double(settings.maximumBackoff.components.seconds), backoff * 2)
            try? await Task.sleep(for: .milliseconds(Int64(wait * 1000)))
        }
    }

    /// One connection attempt; returns whether the WebSocket opened.
    private func connectOnce(_ settings: OCPPConnectionSettings) async -> Bool {
        let opened = OpenedFlag()
        let delegate = self.delegate
        let current = self.current
        let maxFrameSize = settings.maxFrameSize
        var reason = "closed"
        var refused = false
        do {
            let channel = try OCPPClientChannel(settings: settings, logger: logger)
            let close = try await channel.run { inbound, outbound, _ in
                opened.set()
                let (stream, continuation) = AsyncStream<String>.makeStream()
                current.set(continuation)
                await delegate.ocppConnected(OCPPOutbound(continuation: continuation))
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await text in stream { try await outbound.write(.text(text)) }
                        // Cancelled: the inbound side failed, and the library closes with that failure's code.
                        if !Task.isCancelled { try await outbound.close(WebSocketErrorCode.normalClosure, reason: "closing") }
                    }
                    group.addTask {
                        // A failure (invalid UTF-8: 1007, frame too large: 1009) must close with its own code, not
                        // with the normal closure of the outbound side (RFC 6455 §7.4.1), so only a clean end of the
                        // inbound messages ends the outbound side.
                        for try await message in inbound.messages(maxSize: maxFrameSize) {
                            if case .text(let text) = message { await delegate.ocppReceived(text) }
                        }
                        continuation.finish()
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
            if let close { reason = "closed by the backend (\(close.closeCode))" }
        } catch {
            reason = "\(error)"
            // A backend that answers but refuses us (or whose certificate fails verification) is a configuration
            // problem the operator must see.
            refused = error is OCPPConnectError || error is NIOSSLError || error is NIOSSLExtraError
            await delegate.ocppConnectFailed(OCPPConnectFailure.classify(error), reason: reason)
        }
        if opened.value {
            logger.info("backend connection closed: \(reason)")
        } else if refused {
            logger.warning("backend connection refused: \(reason)")
        } else {
            logger.debug("backend connection failed: \(reason)")
        }
        await delegate.ocppDisconnected(reason: reason)
        return opened.value
    }

    static func proxyAddress(_ text: String) -> (host: String, port: Int)? {
        guard !text.isEmpty, let url = URL(string: text), let host = url.host else { return nil }
        return (host, url.port ?? 8080)
    }
}

/// The sending side of the open connection, so that a shutdown can close it.
final class OpenConnection: Sendable {
    private let continuation = Mutex<AsyncStream<String>.Continuation?>(nil)
    func set(_ c: AsyncStream<String>.Continuation) { continuation.withLock { $0 = c } }
    func close() { continuation.withLock { $0?.finish(); $0 = nil } }
}

/// Set once the WebSocket upgrade succeeded.
final class OpenedFlag: Sendable {
    private let opened = Atomic<Bool>(false)
    func set() { opened.store(true, ordering: .relaxed) }
    var value: Bool { opened.load(ordering: .relaxed) }
}
