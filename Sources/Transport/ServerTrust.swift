import Foundation
import NIOCore
import NIOSSL
import SwiftASN1
@_spi(DisableValidityCheck) import X509

/// TLS server verification for one "SSL Strictness as client" level (seeds/004 §4).
///
/// | level                         | chain to a trusted CA | host name | validity period |
/// |-------------------------------|-----------------------|-----------|-----------------|
/// | Normal                        | yes                   | yes       | yes             |
/// | AllowExpired                  | yes                   | yes       | no              |
/// | SkipHostCheck                 | yes                   | no        | yes             |
/// | AllowExpiredSkipHostCheck     | yes                   | no        | no              |
/// | EncryptOnly                   | no                    | no        | no              |
///
/// Normal and SkipHostCheck use BoringSSL's own verification. The two "allow expired" levels replace it with a
/// swift-certificates verifier that builds and checks the chain (signatures, basic constraints, name constraints,
/// and the host name unless skipped) but not the notBefore/notAfter dates — so a backend with a lapsed certificate,
/// or a station whose clock is still wrong before its first time sync, still gets an authenticated connection.
///
/// Trust roots: the file named by `CHARGEKIT_CA_FILE` (PEM bundle) when set, the system bundle otherwise.
struct ServerTrust: Sendable {
    let strictness: TLSStrictness
    let context: NIOSSLContext
    let caFile: String?

    init(strictness: TLSStrictness, caFile: String? = ProcessInfo.processInfo.environment["CHARGEKIT_CA_FILE"]) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        switch strictness {
        case .normal: tls.certificateVerification = .fullVerification
        case .skipHostCheck, .allowExpired, .allowExpiredSkipHostCheck: tls.certificateVerification = .noHostnameVerification
        case .encryptOnly: tls.certificateVerification = .none
        }
        if let caFile { tls.trustRoots = .file(caFile) }
        self.strictness = strictness
        self.caFile = caFile
        self.context = try NIOSSLContext(configuration: tls)
    }

    var checksValidityPeriod: Bool { strictness == .normal || strictness == .skipHostCheck }

    func handler(serverHostname: String) throws -> NIOSSLClientHandler {
        // SNI carries host names only, never IP literals (RFC 6066 §3).
        let sni = serverHostname.isIPAddress ? nil : serverHostname
        guard !checksValidityPeriod, strictness != .encryptOnly else {
            return try NIOSSLClientHandler(context: context, serverHostname: sni)
        }
        let checkHost = strictness == .allowExpired
        let caFile = self.caFile
        return try NIOSSLClientHandler(context: context, serverHostname: sni) { chain, promise in
            Task {
                promise.succeed(await Self.verify(chain: chain, host: checkHost ? serverHostname : nil, caFile: caFile))
            }
        }
    }

    /// Verifies a presented chain (leaf first) without the validity period; `host` nil skips the name check.
    static func verify(chain: [NIOSSLCertificate], host: String?, caFile: String?) async -> NIOSSLVerificationResult {
        do {
            guard let leafCertificate = chain.first else { return .failed }
            let leaf = try Certificate(derEncoded: try leafCertificate.toDERBytes())
            let intermediates = try chain.dropFirst().map { try Certificate(derEncoded: try $0.toDERBytes()) }
            let roots = try caFile.map { CertificateStore(try loadPEMBundle(path: $0)) } ?? CertificateStore.systemTrustRoots
            var verifier = Verifier(rootCertificates: roots) {
                RFC5280Policy.withValidityCheckDisabled()
                if let host {
                    ServerIdentityPolicy(serverHostname: host.isIPAddress ? nil : host, serverIP: host.isIPAddress ? host : nil)
                }
            }
            switch await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates)) {
            case .validCertificate: return .certificateVerified
            case .couldNotValidate: return .failed
            }
        } catch {
            return .failed
        }
    }

    static func loadPEMBundle(path: String) throws -> [Certificate] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try PEMDocument.parseMultiple(pemString: text)
            .filter { $0.discriminator == "CERTIFICATE" }
            .map { try Certificate(pemDocument: $0) }
    }
}

extension String {
    /// An IPv4 or IPv6 literal (no name resolution).
    var isIPAddress: Bool {
        (try? SocketAddress(ipAddress: self, port: 0)) != nil
    }
}
