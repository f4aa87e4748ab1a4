#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SwiftASN1
import X509

/// The checks of the ISO 15118 certificates the station keeps for Plug & Charge (OCA application note "Using ISO 15118
/// Plug & Charge with OCPP 1.6" v1.0, use cases A02/A03 for the SECC certificate and M05 for the roots, as OCPP 2.0.1
/// Part 2 defines them; the certificate profiles of ISO 15118-2:2014 Annex F).
///
/// Like ``CertificateChecks`` — synchronous, step by step with swift-certificates' signature check — because the charge
/// point answers the central system's DataTransfer inside its state machine.
public enum ISO15118Certificates {
    /// The longest chain text CertificateSigned carries (2.0.1 CertificateSignedRequest.certificateChain: 10000).
    public static let maxChainBytes = 10_000

    /// CertificateSigned with certificateType V2GCertificate (2.0.1 A02.FR.16–18 via the note): the chain parses within
    /// ``maxChainBytes`` (leaf, then the CPO sub-CAs: ISO 15118-2 Annex F allows two), its leaf carries `pendingKey`
    /// (the key of the V2G CSR sent), every certificate is valid at `now`, each is signed by the next, every issuer is a
    /// CA, and the last one is signed by an installed V2G root. Returns the certificates, leaf first.
    public static func seccChain(_ pem: String, pendingKey: ChargePointKey?, v2gRoots: [Certificate], now: Date) throws(PKIError) -> [Certificate] {
        let chain = try PEMCertificates.parse(pem, maxBytes: maxChainBytes, maxCount: 4)
        guard let pendingKey else { throw PKIError("no V2G certificate was requested (no SignCertificate of type V2GCertificate is pending)") }
        guard pendingKey.isKey(of: chain[0]) else { throw PKIError("the certificate is not for the key of the last V2G CSR") }
        for (i, c) in chain.enumerated() { try CertificateChecks.valid(c, at: now, name: i == 0 ? "the SECC certificate" : "sub-CA certificate \(i)") }
        for i in chain.indices.dropLast() {
            guard CertificateChecks.signed(chain[i], by: chain[i + 1]) else {
                throw PKIError("certificate \(i + 1) of the chain is not signed by certificate \(i + 2)")
            }
            try CertificateChecks.isCA(chain[i + 1], name: "sub-CA certificate \(i + 1)")
        }
        guard !v2gRoots.isEmpty else { throw PKIError("no V2GRootCertificate is installed to check the chain against") }
        let top = chain[chain.count - 1]
        guard v2gRoots.contains(where: { CertificateChecks.signed(top, by: $0) && CertificateChecks.valid($0, at: now) }) else {
            throw PKIError("the chain does not lead to an installed V2GRootCertificate")
        }
        return chain
    }

    /// InstallCertificate of a root (2.0.1 M05.FR.02/03 via the note): exactly one well-formed certificate, a CA,
    /// valid at `now`, self-signed. The same check as the security extension's roots (``CertificateChecks/root``).
    public static func root(_ pem: String, now: Date) throws(PKIError) -> Certificate {
        try CertificateChecks.root(pem, now: now)
    }

    /// The CSR of the SECC certificate (2.0.1 A02 with certificateType V2GCertificate; ISO 15118-2:2014 Annex F, SECC
    /// leaf: CN = the EVSE's identity, O = the operator, DC = "CPO"): PKCS#10 in PEM, ECDSA with SHA-256 over the P-256
    /// key that ISO 15118-2 §7.7.4 prescribes for the TLS server (secp256r1).
    public static func seccSigningRequest(key: ChargePointKey, organization: String, commonName: String) throws(PKIError) -> String {
        guard !organization.isEmpty else { throw PKIError("CpoName is empty: the V2G CSR needs O = CpoName") }
        guard !commonName.isEmpty else { throw PKIError("the charge point identity is empty") }
        guard organization.count <= 64, commonName.count <= 64 else { throw PKIError("O and CN have at most 64 characters") }
        do {
            let subject = try DistinguishedName {
                CommonName(commonName)
                OrganizationName(organization)
                DomainComponent("CPO")
            }
            let csr = try CertificateSigningRequest(version: .v1, subject: subject, privateKey: Certificate.PrivateKey(key.key),
                                                    attributes: CertificateSigningRequest.Attributes(), signatureAlgorithm: .ecdsaWithSHA256)
            return try csr.serializeAsPEM().pemString
        } catch {
            throw PKIError("the V2G CSR could not be built: \(error)")
        }
    }
}

extension ISO15118Certificates {
    /// One certificate of a contract chain as OCSP names it, with its responder.
    public struct ContractEntry: Sendable, Equatable {
        public var hash: CertificateHash
        /// The OCSP responder of the certificate's Authority Information Access (RFC 5280 §4.2.2.1), "" when it has none.
        public var responderURL: String
    }

    /// The contract a vehicle presents (ISO 15118-2:2014 §8.4.3.9 PaymentDetailsReq: the contract certificate chain;
    /// Annex F: the leaf's CN is the eMAID): the eMAID and the OCSP request data of the leaf and each sub-CA (OCPP
    /// 2.0.1 C07.FR.02, at most 4), each named with its issuer's key — the next certificate of the chain, or for the
    /// last one the installed root (`roots`: V2G and MO roots) that signed it; a certificate whose issuer is not known
    /// is left out. Refused: no CN, an eMAID longer than 36 characters (IdTokenType), a chain longer than 4.
    public static func contract(_ chainPEM: String, roots: [Certificate]) throws(PKIError) -> (eMAID: String, entries: [ContractEntry]) {
        let chain = try PEMCertificates.parse(chainPEM, maxBytes: 10_000, maxCount: 4)
        let names = chain[0].subject.flatMap { $0 }.filter { $0.type == .RDNAttributeType.commonName }.map { String(describing: $0.value) }
        guard let eMAID = names.first, !eMAID.isEmpty else { throw PKIError("the contract certificate has no CN (the eMAID)") }
        guard eMAID.count <= 36 else { throw PKIError("the contract certificate's CN has \(eMAID.count) characters; an eMAID has at most 36") }
        var entries: [ContractEntry] = []
        for i in chain.indices {
            let issuer = i + 1 < chain.count ? chain[i + 1] : roots.first { CertificateChecks.signed(chain[i], by: $0) }
            guard let issuer else { continue }
            entries.append(ContractEntry(hash: try CertificateHash(of: chain[i], issuerKey: issuer.publicKey), responderURL: ocspResponder(chain[i])))
        }
        return (eMAID, entries)
    }

    /// The first OCSP responder URI of the Authority Information Access extension, "" when there is none.
    public static func ocspResponderURL(_ c: Certificate) -> String { ocspResponder(c) }

    static func ocspResponder(_ c: Certificate) -> String {
        guard let aia = try? c.extensions.authorityInformationAccess else { return "" }
        for description in aia where description.method == .ocspServer {
            if case .uniformResourceIdentifier(let uri) = description.location { return String(uri.prefix(512)) }
        }
        return ""
    }
}
