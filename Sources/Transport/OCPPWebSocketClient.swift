import Foundation
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
}

/// The sending side of an open OCPP-J connection.
public struct OCPPOutbound: Sendable {
    let continuation: AsyncStream<String>.Continuation
    /// Queues a text frame.
    public func send(_ text: String) { continuation.yield(text) }
    /// Closes the connection (the client reconnects after its back-off).
    public func close() { continuation.finish() }
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
    /// The reconnect back-off doubles from 1 s up to this.
    public var maximumBackoff: Duration

    public init(baseURL: String, connectionURL: String? = nil, chargeBoxIdentity: String, basicAuthPassword: [UInt8]?, proxy: String,
                pingInterval: Duration, connectTimeout: Duration, tlsStrictness: TLSStrictness, watchdog: Duration, maxFrameSize: Int = 1 << 20,
                maximumBackoff: Duration = .seconds(300)) {
        self.baseURL = baseURL; self.connectionURL = connectionURL; self.chargeBoxIdentity = chargeBoxIdentity; self.basicAuthPassword = basicAuthPassword; self.proxy = proxy
        self.pingInterval = pingInterval; self.connectTimeout = connectTimeout; self.tlsStrictness = tlsStrictness; self.watchdog = watchdog
        self.maxFrameSize = maxFrameSize; self.maximumBackoff = maximumBackoff
    }

    /// The connection URL: ``connectionURL`` when given, else the backend URL, `/`, and the percent-encoded
    /// ChargeBoxIdentity (OCPP-J §3.1.1).
    public var url: String {
        if let connectionURL { return connectionURL }
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return base + "/" + (chargeBoxIdentity.addingPercentEncoding(withAllowedCharacters: allowed) ?? chargeBoxIdentity)
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
    let settings: OCPPConnectionSettings
    let delegate: any OCPPConnectionDelegate
    let logger: Logger
    /// The sending side of the open connection, closed on graceful shutdown.
    let current = OpenConnection()
    static let firstBackoff = 1.0

    public init(settings: OCPPConnectionSettings, delegate: any OCPPConnectionDelegate, logger: Logger) {
        self.settings = settings; self.delegate = delegate; self.logger = logger
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
            let opened = await connectOnce()
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
    private func connectOnce() async -> Bool {
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
