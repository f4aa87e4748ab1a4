#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StringSupport
#if canImport(Glibc)
import Glibc
#endif
import Logging
import PKI
import Persistence
import Synchronization
import WebUI

/// The HTTPS certificate of the web interface and the API (issue 23 item 2), of the station or the gateway: made at
/// the first start, replaced by the installer's own, reset to the self-signed one. It checks with PKI
/// (``WebServerCertificate``), stores through the certificate directory (key 0600) and swaps the TLS context the HTTPS
/// listener takes each new connection from, so a new certificate needs no restart.
public final class WebServerCertificates: WebCertificateService {
    let directory: CertificateDirectory
    let role: String
    let logger: Logger
    let now: @Sendable () -> Date
    /// Told of every change with who made it and the new fingerprint (the security log), after it is stored and
    /// before the caller's answer, so that the log has it when the page shows the change.
    let changed: @Sendable (String) -> Void
    /// The context the HTTPS listener serves from.
    public let tls: ReloadableTLSContext
    private let current: Mutex<(kind: CertificateDirectory.WebServerKind, chainPEM: String)>

    /// The certificate the listener serves from the start: the installer's when one is stored and still usable, else
    /// the device's own, made now for `names` when there is none or when it no longer names the device (a new
    /// ChargeBoxIdentity), is not valid for another 30 days, or does not belong to its key. `created` says whether a new one was
    /// made (the start banner prints its fingerprint then).
    public init(dataDirectory: String, role: String, names: WebServerCertificate.Names, now: @escaping @Sendable () -> Date,
                logger: Logger, changed: @escaping @Sendable (String) -> Void = { _ in }) throws {
        directory = CertificateDirectory(dataDirectory: dataDirectory)
        self.role = role; self.logger = logger; self.now = now; self.changed = changed
        let (kind, credential, created) = try Self.startCredential(directory, role: role, names: names, at: now(), logger: logger)
        tls = try ReloadableTLSContext(chainPEM: credential.chainPEM, keyPEM: credential.keyPEM)
        current = Mutex((kind, credential.chainPEM))
        self.created = created
    }

    /// Whether the self-signed certificate was made at this start.
    public let created: Bool

    /// The fingerprint of the certificate in use.
    public var fingerprint: String { (try? WebServerCertificate.fingerprint(current.withLock { $0.chainPEM })) ?? "?" }

    /// The path of the certificate in use (`chain.pem`), for the start banner.
    public var certificatePath: String {
        directory.webServerCredentialPath(role: role, current.withLock { $0.kind }).pathAppending("chain.pem")
    }

    static func startCredential(_ directory: CertificateDirectory, role: String, names: WebServerCertificate.Names, at now: Date,
                                logger: Logger) throws -> (CertificateDirectory.WebServerKind, CertificateDirectory.WebServerCredential, Bool) {
        if let installed = try? directory.webServerCredential(role: role, .installed) {
            do {
                _ = try WebServerCertificate.checkUpload(certificatePEM: installed.chainPEM, chainPEM: "", keyPEM: installed.keyPEM, now: now)
                return (.installed, installed, false)
            } catch {
                logger.error("the installed HTTPS certificate is not used: \(error); the \(role)'s own self-signed certificate serves instead")
            }
        }
        if let own = try? directory.webServerCredential(role: role, .selfSigned), let key = try? ChargePointKey(pem: own.keyPEM),
           WebServerCertificate.selfSignedFits(own.chainPEM, key: key, commonName: names.commonName, now: now) {
            return (.selfSigned, own, false)
        }
        let key = ChargePointKey.generate()
        let credential = CertificateDirectory.WebServerCredential(
            chainPEM: try WebServerCertificate.makeSelfSigned(key: key, names: names, now: now), keyPEM: key.pem)
        try directory.saveWebServerCredential(credential, role: role, .selfSigned)
        return (.selfSigned, credential, true)
    }

    // MARK: WebCertificateService

    public func certificateStatus() -> WebCertificateStatus {
        let (kind, pem) = current.withLock { ($0.kind, $0.chainPEM) }
        guard let s = try? WebServerCertificate.summary(pem) else {
            return WebCertificateStatus(kind: kind.rawValue, subject: "?", issuer: "?", notValidBefore: .distantPast, notValidAfter: .distantPast,
                                        fingerprintSHA256: "?", names: [])
        }
        return WebCertificateStatus(kind: kind == .installed ? "installed" : "self-signed", subject: s.subject, issuer: s.issuer,
                                    notValidBefore: s.notValidBefore, notValidAfter: s.notValidAfter, fingerprintSHA256: s.fingerprintSHA256, names: s.names)
    }

    /// Checked (PKI), then stored (durable before acknowledged), then served. The stored chain is the one checked:
    /// the certificate followed by the uploaded CA certificates, in order.
    public func installCertificate(certificatePEM: String, chainPEM: String, keyPEM: String, by user: String) throws(WebCertificateError) -> WebCertificateStatus {
        let chain: String
        do {
            chain = try WebServerCertificate.checkedChainPEM(certificatePEM: certificatePEM, chainPEM: chainPEM, keyPEM: keyPEM, now: now())
        } catch {
            throw WebCertificateError(field: Self.field(of: error), error.description)
        }
        let credential = CertificateDirectory.WebServerCredential(chainPEM: chain, keyPEM: keyPEM.trimmedWhitespaceAndNewlines + "\n")
        do {
            try tls.replace(chainPEM: credential.chainPEM, keyPEM: credential.keyPEM)  // the TLS library accepts it, else nothing is stored
        } catch {
            throw WebCertificateError(field: "privateKey", "the TLS library refused the certificate or key: \(error)")
        }
        do {
            try directory.saveWebServerCredential(credential, role: role, .installed)
        } catch {
            try? restoreContext()
            throw WebCertificateError(field: nil, "the certificate could not be stored: \(error)")
        }
        current.withLock { $0 = (.installed, credential.chainPEM) }
        let note = "HTTPS certificate installed by \(user): SHA-256 \(fingerprint)"
        logger.notice("\(note)")
        changed(note)
        return certificateStatus()
    }

    public func resetCertificate(by user: String) throws(WebCertificateError) -> WebCertificateStatus {
        do {
            guard let own = try directory.webServerCredential(role: role, .selfSigned) else {
                throw WebCertificateError(field: nil, "the \(role)'s own certificate is missing; restart the \(role) to make a new one")
            }
            try tls.replace(chainPEM: own.chainPEM, keyPEM: own.keyPEM)
            try directory.removeWebServerCredential(role: role, .installed)
            current.withLock { $0 = (.selfSigned, own.chainPEM) }
        } catch let error as WebCertificateError {
            throw error
        } catch {
            throw WebCertificateError(field: nil, "the certificate could not be reset: \(error)")
        }
        let note = "HTTPS certificate reset to the self-signed one by \(user): SHA-256 \(fingerprint)"
        logger.notice("\(note)")
        changed(note)
        return certificateStatus()
    }

    /// Serves the stored credential of the current kind again (after a failed store).
    private func restoreContext() throws {
        let kind = current.withLock { $0.kind }
        if let credential = try directory.webServerCredential(role: role, kind) {
            try tls.replace(chainPEM: credential.chainPEM, keyPEM: credential.keyPEM)
        }
    }

    /// Which form field a refusal is about.
    static func field(of error: PKIError) -> String {
        let text = error.description
        if text.contains("private key") || text.contains("RSA key") { return "privateKey" }
        if text.contains("chain certificate") || text.contains("root certificate") { return "chain" }
        return "certificate"
    }
}

extension WebServerCertificate.Names {
    /// The names of this host for a new self-signed certificate: `commonName` (the ChargeBoxIdentity or the gateway's
    /// name), `localhost` and the host name, 127.0.0.1 and ::1, and every address of an interface that is up, except
    /// IPv6 link-local ones (fe80::/10 needs a zone, which a URL rarely carries).
    public static func ofThisHost(commonName: String) -> WebServerCertificate.Names {
        var dns = ["localhost"]
        var buffer = [CChar](repeating: 0, count: 256)
        if gethostname(&buffer, buffer.count) == 0 {
            let host = String(cString: buffer)
            if !host.isEmpty, host != "localhost" { dns.append(host) }
        }
        var addresses: [[UInt8]] = [[127, 0, 0, 1], [UInt8](repeating: 0, count: 15) + [1]]
        var list: UnsafeMutablePointer<ifaddrs>?
        if getifaddrs(&list) == 0, let first = list {
            defer { freeifaddrs(list) }
            var cursor: UnsafeMutablePointer<ifaddrs>? = first
            while let entry = cursor {
                defer { cursor = entry.pointee.ifa_next }
                guard let sa = entry.pointee.ifa_addr, entry.pointee.ifa_flags & UInt32(IFF_UP) != 0 else { continue }
                var bytes: [UInt8] = []
                if sa.pointee.sa_family == sa_family_t(AF_INET) {
                    sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                        bytes = withUnsafeBytes(of: p.pointee.sin_addr) { Array($0) }
                    }
                } else if sa.pointee.sa_family == sa_family_t(AF_INET6) {
                    sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                        bytes = withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) }
                    }
                    if bytes.count == 16, bytes[0] == 0xFE, bytes[1] & 0xC0 == 0x80 { continue }
                }
                if !bytes.isEmpty, !addresses.contains(bytes) { addresses.append(bytes) }
            }
        }
        return WebServerCertificate.Names(commonName: commonName, dnsNames: dns, ipAddresses: addresses)
    }
}
