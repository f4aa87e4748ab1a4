#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
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
/// Trust roots: the installed CentralSystemRootCertificates when there are any (security profiles 2 and 3, OCPP 1.6
/// security whitepaper ed. 3 A00.FR.4xx), else the file named by `CHARGEKIT_CA_FILE` (PEM bundle) when set, else the
/// system bundle. Profile 3 presents the charge point certificate as the TLS client certificate.
struct ServerTrust: Sendable {
    let strictness: TLSStrictness
    let context: NIOSSLContext
    let caFile: String?
    /// The installed roots, parsed (empty: the file or the system bundle).
    let roots: [Certificate]

    /// The TLS 1.2 cipher suites of the security whitepaper (A00.FR.318: the two ECDHE-ECDSA AES-GCM suites; A00.FR.319:
    /// the two RSA AES-GCM suites), with the ECDHE-RSA forms of the latter for forward secrecy. CBC, SHA-1 and ChaCha
    /// suites, which BoringSSL would offer too, are left out.
    static let whitepaperCipherSuites = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:"
        + "ECDHE-RSA-AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-GCM-SHA384"

    init(strictness: TLSStrictness, material: OCPPTLSMaterial = OCPPTLSMaterial(),
         caFile: String? = ProcessInfo.processInfo.environment["CHARGEKIT_CA_FILE"]) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if material.whitepaperCipherSuites { tls.cipherSuites = Self.whitepaperCipherSuites }
        if let chain = material.clientCertificateChainPEM, let key = material.clientPrivateKeyPEM {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(chain.utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
        }
        switch strictness {
        case .normal: tls.certificateVerification = .fullVerification
        case .skipHostCheck, .allowExpired, .allowExpiredSkipHostCheck: tls.certificateVerification = .noHostnameVerification
        case .encryptOnly: tls.certificateVerification = .none
        }
        if !material.trustRootsPEM.isEmpty {
            let pem = material.trustRootsPEM.joined(separator: "\n")
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))
            roots = try PEMDocument.parseMultiple(pemString: pem).filter { $0.discriminator == "CERTIFICATE" }
                .map { try Certificate(pemDocument: $0) }
            self.caFile = nil
        } else {
            if let caFile { tls.trustRoots = .file(caFile) }
            roots = []
            self.caFile = caFile
        }
        self.strictness = strictness
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
        let caFile = self.caFile, installed = self.roots
        return try NIOSSLClientHandler(context: context, serverHostname: sni) { chain, promise in
            Task {
                promise.succeed(await Self.verify(chain: chain, host: checkHost ? serverHostname : nil, caFile: caFile, roots: installed))
            }
        }
    }

    /// Verifies a presented chain (leaf first) without the validity period; `host` nil skips the name check. `roots`
    /// (the installed CentralSystemRootCertificates) take the place of the file and the system bundle when not empty.
    static func verify(chain: [NIOSSLCertificate], host: String?, caFile: String?, roots installed: [Certificate] = []) async -> NIOSSLVerificationResult {
        do {
            guard let leafCertificate = chain.first else { return .failed }
            let leaf = try Certificate(derEncoded: try leafCertificate.toDERBytes())
            let intermediates = try chain.dropFirst().map { try Certificate(derEncoded: try $0.toDERBytes()) }
            let roots = !installed.isEmpty ? CertificateStore(installed)
                : try caFile.map { CertificateStore(try loadPEMBundle(path: $0)) } ?? CertificateStore.systemTrustRoots
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
