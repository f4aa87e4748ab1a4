#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import SwiftASN1
import X509

/// The checks of a signed firmware update (OCPP 1.6 security whitepaper ed. 3, use case L01): the signing certificate
/// must chain to an installed ManufacturerRootCertificate before the request is answered (L01.FR.02/03), and the
/// signature over the whole downloaded file is verified before anything is installed (L01.FR.04/05).
///
/// The signature is ECDSA over P-256 with SHA-256 over the whole file, DER-encoded and carried in base64 (≤800
/// characters). The whitepaper's text names "RSA-PSS or ECSchnorr" with SHA-256; no library of the manufacturers'
/// tool chains signs ECSchnorr, and the implementations in the field and the OCA's own test tool settled on ECDSA
/// (`openssl dgst -sha256 -sign` with an EC key, as OCPP 2.0.1 describes its firmware signature). A signing key of
/// another kind is answered with InvalidSignature and the reason names it.
public enum FirmwareSigning {
    /// The most certificates a chain may hold (the signing certificate and its sub-CAs up to a root).
    public static let maxChainLength = 5

    /// Checks that the first certificate of `signingCertificatePEM` (optionally followed by its sub-CA certificates)
    /// chains to one of `roots` (PEM) and that every certificate on the way is valid at `now`. Returns the signing
    /// certificate. The error says why it was refused.
    public static func verifySigningCertificate(_ signingCertificatePEM: String, roots: [String], now: Date) throws(PKIError) -> Certificate {
        let chain = try PEMCertificates.parse(signingCertificatePEM, maxBytes: 5500, maxCount: maxChainLength)
        var anchors: [Certificate] = []
        for root in roots {
            if let parsed = try? PEMCertificates.parse(root, maxBytes: 10_000, maxCount: 1) { anchors += parsed }
        }
        guard !anchors.isEmpty else { throw PKIError("no ManufacturerRootCertificate is installed") }
        var current = chain[0]
        for step in 0...chain.count {
            guard current.notValidBefore <= now else { throw PKIError("certificate \(current.subject) is not valid before \(current.notValidBefore)") }
            guard current.notValidAfter >= now else { throw PKIError("certificate \(current.subject) expired at \(current.notValidAfter)") }
            if let root = anchors.first(where: { $0.subject == current.issuer && $0.publicKey.isValidSignature(current.signature, for: current) }) {
                guard root.notValidBefore <= now, root.notValidAfter >= now else { throw PKIError("the manufacturer root \(root.subject) is not valid now") }
                return chain[0]
            }
            let next = step + 1
            guard next < chain.count else { break }
            let issuer = chain[next]
            guard issuer.subject == current.issuer, issuer.publicKey.isValidSignature(current.signature, for: current) else {
                throw PKIError("certificate \(next + 1) of the chain did not sign certificate \(next)")
            }
            guard case .isCertificateAuthority? = try? issuer.extensions.basicConstraints else {
                throw PKIError("certificate \(next + 1) of the chain is not a certificate authority")
            }
            current = issuer
        }
        throw PKIError("the signing certificate does not chain to an installed ManufacturerRootCertificate")
    }

    /// Whether `key` belongs to the first certificate of `signingCertificatePEM` (`chargekit firmware sign` refuses a
    /// key and certificate that do not belong together: the station would refuse the signature); its subject.
    public static func signingSubject(_ signingCertificatePEM: String, matching key: P256.Signing.PublicKey) throws(PKIError) -> String {
        let certificate = try PEMCertificates.parse(signingCertificatePEM, maxBytes: 16_384, maxCount: maxChainLength)[0]
        guard P256.Signing.PublicKey(certificate.publicKey)?.rawRepresentation == key.rawRepresentation else {
            throw PKIError("the key does not belong to the signing certificate \(certificate.subject)")
        }
        return certificate.subject.description
    }

    /// A certificate's subject as text, for logs and answers (`CN=…,O=…`).
    public static func subject(_ certificate: Certificate) -> String { certificate.subject.description }

    /// The SHA-256 of a file, fed in pieces by whoever reads it (a package may be large; the check needs only its hash).
    public struct FileDigest: Sendable {
        var hash = SHA256()
        public init() {}
        public mutating func update(_ bytes: some DataProtocol) { hash.update(data: bytes) }
    }

    /// Verifies `signatureBase64` over the file hashed into `file`, made with the key of the first certificate of
    /// `signingCertificatePEM`.
    public static func verifySignature(_ signatureBase64: String, file: FileDigest, signingCertificatePEM: String) throws(PKIError) {
        let certificate = try PEMCertificates.parse(signingCertificatePEM, maxBytes: 5500, maxCount: maxChainLength)[0]
        try verifySignature(signatureBase64, digest: file.hash.finalize(), certificate: certificate)
    }

    /// Verifies `signatureBase64` (ECDSA P-256, DER) over the file whose SHA-256 is `digest`, made with the key of
    /// `certificate`.
    public static func verifySignature(_ signatureBase64: String, digest: SHA256.Digest, certificate: Certificate) throws(PKIError) {
        guard signatureBase64.utf8.count <= 800, let der = Data(base64Encoded: signatureBase64.filter { !$0.isWhitespace }) else {
            throw PKIError("the signature is not base64 of at most 800 characters")
        }
        guard let key = P256.Signing.PublicKey(certificate.publicKey) else {
            throw PKIError("the signing certificate's key is not an EC P-256 key (the station verifies ECDSA P-256 with SHA-256)")
        }
        guard let signature = try? P256.Signing.ECDSASignature(derRepresentation: der) else {
            throw PKIError("the signature is not a DER-encoded ECDSA signature")
        }
        guard key.isValidSignature(signature, for: digest) else { throw PKIError("the signature does not match the file") }
    }
}
