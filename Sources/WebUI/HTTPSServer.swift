import Hummingbird
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOSSL
import Synchronization
import Transport

/// The TLS server context of the web interface and the API (issue 23 item 2), replaceable while the server runs: every
/// new connection takes the context current at its accept, so an uploaded certificate is used from the next connection
/// on without a restart, and connections already open finish on the old one. (HummingbirdTLS's `TLSChannel` fixes its
/// context when the server is built, which would make a new certificate wait for a restart.)
public final class ReloadableTLSContext: Sendable {
    private let current: Mutex<NIOSSLContext>

    /// A context serving `chainPEM` (leaf first) with `keyPEM`. Throws when NIOSSL refuses either.
    public init(chainPEM: String, keyPEM: String) throws {
        current = Mutex(try Self.context(chainPEM: chainPEM, keyPEM: keyPEM))
    }

    /// Serves `chainPEM` with `keyPEM` from the next connection on; the old context stays when NIOSSL refuses them.
    public func replace(chainPEM: String, keyPEM: String) throws {
        let context = try Self.context(chainPEM: chainPEM, keyPEM: keyPEM)
        current.withLock { $0 = context }
    }

    var context: NIOSSLContext { current.withLock { $0 } }

    /// TLS 1.2 and 1.3 only (BSI TR-02102-2 §3.2: TLS 1.2 and 1.3; RFC 8996 deprecates 1.0 and 1.1), with NIOSSL's
    /// default cipher suites (forward secrecy, AEAD); HTTP/1.1 by ALPN. No client certificate is asked for: the web
    /// interface logs in with passwords, the API with its token.
    static func context(chainPEM: String, keyPEM: String) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(chainPEM.utf8))
        let key = try NIOSSLPrivateKey(bytes: Array(keyPEM.utf8), format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["http/1.1"]
        return try NIOSSLContext(configuration: configuration)
    }
}

/// ``GuardedHTTP1Channel`` behind TLS: the connection guard admits the connection before the handshake costs anything,
/// then the TLS handler with the context current at this moment, then HTTP/1.1.
struct GuardedHTTPSChannel: ServerChildChannel {
    let base: GuardedHTTP1Channel
    let tls: ReloadableTLSContext

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1Channel.Value> {
        switch base.connectionGuard.admit(channel) {
        case .failure(let refused): return channel.eventLoop.makeFailedFuture(refused)
        case .success:
            let context = tls.context
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
            }.flatMap { base.http.setup(channel: channel, logger: logger) }
        }
    }

    func handle(value: HTTP1Channel.Value, logger: Logger) async {
        await base.http.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTPS/1.1 with the web listener's limits (``webLimits``, ``webIdleTimeout``) and a replaceable certificate.
    public static func guardedHTTPS(name: String, tls: ReloadableTLSContext, logger: Logger) -> HTTPServerBuilder {
        let connectionGuard = ConnectionGuard(name: name, limits: webLimits, logger: logger)
        return HTTPServerBuilder { responder in
            GuardedHTTPSChannel(base: GuardedHTTP1Channel(http: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: webIdleTimeout)),
                                                          connectionGuard: connectionGuard),
                                tls: tls)
        }
    }
}

/// The headers every answer of the web interface and the API carries (issue 23 item 2), and whether plain HTTP is
/// answered or redirected.
///
/// - `Content-Security-Policy`: scripts and styles only from the station itself, never inline (the pages have no
///   inline script or handler: `app.js` binds every behaviour), no plugins, forms posting only to the station, and no
///   framing (`frame-ancestors 'none'`, which supersedes X-Frame-Options; CSP Level 3 §6.4.2) — a cross-site script
///   injected into a page cannot run, and the page cannot be clickjacked.
/// - `X-Content-Type-Options: nosniff`: a download (CSV export, diagnostics) is never run as a script or a page.
/// - `Referrer-Policy: same-origin`: a link to elsewhere does not tell the station's address and page, while the
///   station's own forms still get the Referer they return to (`WebHTTP.backTo`: the language switch, a saved form).
/// - `Strict-Transport-Security` only over HTTPS (RFC 6797 §7.2: a host must not send it over plain HTTP), for a year;
///   not `includeSubDomains`, since a station addressed by a name shares its domain with other hosts.
public enum WebSecurityHeaders {
    public static let contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        + "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    public static let strictTransportSecurity = "max-age=31536000"

    static let csp = HTTPField.Name("Content-Security-Policy")!
    static let nosniff = HTTPField.Name("X-Content-Type-Options")!
    static let referrer = HTTPField.Name("Referrer-Policy")!
    static let hsts = HTTPField.Name("Strict-Transport-Security")!
    static let frameOptions = HTTPField.Name("X-Frame-Options")!

    /// `response` with the security headers; HSTS when it goes out over HTTPS.
    static func apply(to response: inout Response, overTLS: Bool) {
        response.headers[csp] = contentSecurityPolicy
        response.headers[nosniff] = "nosniff"
        response.headers[referrer] = "same-origin"
        response.headers[frameOptions] = "DENY"  // for browsers older than CSP Level 2
        if overTLS { response.headers[hsts] = strictTransportSecurity }
    }
}

/// The responder of one listener: the site's router, its answers (errors included) with ``WebSecurityHeaders``; on
/// plain HTTP with a redirect port, a permanent redirect (308: the method and body stay, RFC 9110 §15.4.9) to the same
/// path and query on the HTTPS port, except for clients on the loopback interface.
///
/// Why loopback stays on plain HTTP: the device's own tools (`chargekit config`, `whitelist`, `sim`, the firmware and
/// diagnostics commands, a supervisor's health check) reach the API on 127.0.0.1 with the token of station.json.
/// Traffic on the loopback interface never leaves the machine, so TLS would protect nothing there that the file
/// permissions of the data directory do not already protect, and pinning a certificate in every client would only
/// add a way to fail. Every other client is sent to HTTPS.
public struct WebListenerResponder<Base: HTTPResponder>: HTTPResponder where Base.Context == WebRequestContext {
    public typealias Context = WebRequestContext
    let base: Base
    let overTLS: Bool
    /// The HTTPS port to redirect to (known once its listener is bound); nil: no redirect (HTTPS itself, or off).
    let redirectPort: (@Sendable () -> Int?)?

    public init(_ base: Base, overTLS: Bool, redirectToHTTPSPort: (@Sendable () -> Int?)?) {
        self.base = base; self.overTLS = overTLS; self.redirectPort = overTLS ? nil : redirectToHTTPSPort
    }

    public func respond(to request: Request, context: WebRequestContext) async throws -> Response {
        var response: Response
        if let port = redirectPort?(), !HTTPSRedirect.isOwnMachine(remote: context.remoteAddress?.ipAddress, local: context.localAddress?.ipAddress) {
            response = HTTPSRedirect.response(request, context: context, port: port)
        } else {
            do {
                response = try await base.respond(to: request, context: context)
            } catch let error as any HTTPResponseError {
                response = try error.response(from: request, context: context)
            }
        }
        WebSecurityHeaders.apply(to: &response, overTLS: overTLS)
        return response
    }
}

/// Where plain HTTP is sent (``WebListenerResponder``), and who is exempt.
enum HTTPSRedirect {
    /// A client on the loopback interface, or one that connected from the address it connected to (the device talking
    /// to its own LAN address, which the kernel routes over loopback: a listener bound to one address only is reached
    /// that way by the device's tools).
    static func isOwnMachine(remote: String?, local: String?) -> Bool {
        guard let ip = remote else { return false }
        if ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.") { return true }
        return local == ip
    }

    /// The same host the client asked for (its Host header without the port; else the address it connected to), the
    /// HTTPS port, the same path and query. The path is taken only when canonical: a `//evil.example/` path would
    /// otherwise make a URL of another host.
    static func response(_ request: Request, context: WebRequestContext, port: Int) -> Response {
        let location = location(host: request.head.authority, connectedTo: context.localAddress?.ipAddress,
                                path: request.uri.path, query: request.uri.query, port: port)
        return Response(status: .permanentRedirect, headers: [.location: location, .cacheControl: "no-store"])
    }

    static func location(host header: String?, connectedTo: String?, path: String, query: String?, port: Int) -> String {
        let host = hostName(header, fallback: connectedTo ?? "localhost")
        let path = CanonicalPath.isCanonical(path) ? path : "/"
        return "https://\(host)\(port == 443 ? "" : ":\(port)")\(path)\(query.map { "?" + $0 } ?? "")"
    }

    /// The host part of a Host header: `[v6]` kept with its brackets, a port dropped; only the characters of a name or
    /// an address (a Host header with anything else falls back to the address connected to).
    static func hostName(_ header: String?, fallback: String) -> String {
        let fallbackHost = fallback.contains(":") ? "[\(fallback)]" : fallback
        guard let header, !header.isEmpty else { return fallbackHost }
        var host = Substring(header)
        if host.hasPrefix("[") {
            guard let end = host.firstIndex(of: "]") else { return fallbackHost }
            host = host[...end]
        } else if let colon = host.firstIndex(of: ":") {
            host = host[..<colon]
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
        guard !host.isEmpty, host.count <= 253, host.allSatisfy(allowed.contains) else { return fallbackHost }
        return String(host)
    }
}
