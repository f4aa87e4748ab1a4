#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SwiftASN1
import X509

/// The checks the charge point makes before it installs a certificate (OCPP 1.6 security whitepaper ed. 3, use cases
/// A02/A03 for its own certificate, M05 for root certificates).
///
/// Why not swift-certificates' `Verifier`: its `validate` is `async` (its policies may fetch revocation data), while the
/// charge point answers the central system's CALL synchronously inside its pure state machine, in the same event that
/// received it. The path here is short and fixed — leaf, the sub-CAs the central system sent, one installed root — so it
/// is checked step by step with the library's own signature check (`Certificate.PublicKey.isValidSignature`): each
/// certificate signed by the next, every one valid at `now`, every issuer a CA, and the last issued by an installed root
/// (matched by its subject name and public key, so a root installed as a cross-certificate under
/// AdditionalRootCertificateCheck anchors as well). No revocation is checked: OCPP 1.6 gives the charge point no
/// OCSP responder to ask.
public enum CertificateChecks {
    /// CertificateSigned.req (A02.FR.05–07, A03, OCTT TC_074/TC_077): the chain parses within `maxBytes`
    /// (CertificateSignedMaxChainSize), its leaf carries `pendingKey` (the key of the CSR sent), every certificate is
    /// valid at `now`, and the chain ends at one of `roots` (the installed CentralSystemRootCertificates). Returns the
    /// certificates, leaf first.
    public static func chargePointChain(_ pem: String, maxBytes: Int, pendingKey: ChargePointKey?, roots: [Certificate],
                                        now: Date) throws(PKIError) -> [Certificate] {
        let chain = try PEMCertificates.parse(pem, maxBytes: maxBytes)
        guard let pendingKey else { throw PKIError("no certificate was requested (no SignCertificate is pending)") }
        guard pendingKey.isKey(of: chain[0]) else { throw PKIError("the certificate is not for the key of the last CSR") }
        for (i, c) in chain.enumerated() { try valid(c, at: now, name: i == 0 ? "the certificate" : "sub-CA certificate \(i)") }
        for i in chain.indices.dropLast() {
            let issuer = chain[i + 1]
            guard chain[i].issuer == issuer.subject, issuer.publicKey.isValidSignature(chain[i].signature, for: chain[i]) else {
                throw PKIError("certificate \(i + 1) of the chain is not signed by certificate \(i + 2)")
            }
            try isCA(issuer, name: "sub-CA certificate \(i + 1)")
        }
        let top = chain[chain.count - 1]
        guard !roots.isEmpty else { throw PKIError("no CentralSystemRootCertificate is installed to check the chain against") }
        guard roots.contains(where: { signed(top, by: $0) && valid($0, at: now) }) else {
            throw PKIError("the chain does not lead to an installed CentralSystemRootCertificate")
        }
        return chain
    }

    /// InstallCertificate.req (M05.FR.01–11, OCTT TC_075/TC_078): exactly one well-formed certificate, a CA, valid at
    /// `now`, and self-signed — or, when `signedBy` is given (AdditionalRootCertificateCheck true and a
    /// CentralSystemRootCertificate installed, M05.FR.08/09), signed by that old root.
    public static func root(_ pem: String, now: Date, signedBy old: Certificate? = nil) throws(PKIError) -> Certificate {
        let certificate = try PEMCertificates.parse(pem, maxBytes: 5500, maxCount: 1)[0]
        try valid(certificate, at: now, name: "the certificate")
        try isCA(certificate, name: "the certificate")
        if let old {
            guard signed(certificate, by: old) || (certificate.subject == old.subject && certificate.publicKey == old.publicKey) else {
                throw PKIError("the new root is not signed by the installed one (AdditionalRootCertificateCheck)")
            }
        } else {
            guard signed(certificate, by: certificate) else { throw PKIError("the certificate is not self-signed") }
        }
        return certificate
    }

    /// Whether `certificate` was issued by `issuer` (its issuer name and a valid signature by the issuer's key).
    public static func signed(_ certificate: Certificate, by issuer: Certificate) -> Bool {
        certificate.issuer == issuer.subject && issuer.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    /// Whether `certificate` is valid at `now`.
    public static func valid(_ certificate: Certificate, at now: Date) -> Bool {
        certificate.notValidBefore <= now && now <= certificate.notValidAfter
    }

    static func valid(_ c: Certificate, at now: Date, name: String) throws(PKIError) {
        if now < c.notValidBefore { throw PKIError("\(name) is not valid before \(c.notValidBefore)") }
        if now > c.notValidAfter { throw PKIError("\(name) expired at \(c.notValidAfter)") }
    }

    static func isCA(_ c: Certificate, name: String) throws(PKIError) {
        let constraints: BasicConstraints?
        do { constraints = try c.extensions.basicConstraints } catch { throw PKIError("\(name) has malformed basic constraints") }
        guard case .isCertificateAuthority = constraints else { throw PKIError("\(name) is not a CA certificate") }
    }
}
