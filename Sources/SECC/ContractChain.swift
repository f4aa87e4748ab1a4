#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import PKI
import SwiftASN1
import X509

/// A contract certificate chain the vehicle presented and the SECC accepted: ISO 15118-2:2014 PaymentDetailsReq
/// (§8.4.3.9) and ISO 15118-20:2022 AuthorizationReq with PnC_AReqAuthorizationMode (§8.3.4.3) carry the same chain,
/// the contract certificate first, then its sub-CAs. What the SECC can check itself is checked here alike for both
/// protocols; each maps a ``Failure`` to its own response code.
struct ContractChain: Sendable {
    /// The contract certificate's CN: the eMAID (ISO 15118-2:2014 Annex F, which ISO 15118-20 keeps: the eMAID is
    /// the contract certificate's subject CN).
    let commonName: String
    /// The contract certificate's key, which signs the request that proves the vehicle holds the contract.
    let key: V2GSignature.Key
    /// The chain as PEM, for the backend's Authorize (OCA application note: iso15118CertificateHashData is computed
    /// from it by the station).
    let pem: String

    enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case notDER(String)
        case eMAIDMismatch(eMAID: String, commonName: String)
        case notYetValid(String)
        case expired(String)
        case broken(index: Int)
        case noRoot
        case notAnchored
        case keyNotAllowed
        case notPEM(String)

        var description: String {
            switch self {
            case .notDER(let e): "a certificate of the contract chain is not DER X.509: \(e)"
            case .eMAIDMismatch(let e, let cn): "eMAID \(e) is not the contract certificate's CN (\(cn))"
            case .notYetValid(let s): "a contract certificate is not valid yet (\(s))"
            case .expired(let s): "a contract certificate is not valid now (\(s))"
            case .broken(let i): "contract certificate \(i + 1) is not signed by the next in the chain"
            case .noRoot: "no V2G or MO root is installed to check the contract with"
            case .notAnchored: "no installed V2G or MO root signed the contract chain"
            case .keyNotAllowed: "the contract certificate's key is not ECDSA on a curve the protocol allows"
            case .notPEM(let e): "the contract chain cannot be written as PEM: \(e)"
            }
        }
    }

    /// Checks `ders` (leaf first): every certificate DER X.509 and valid at `date`, each signed by the next, the last
    /// by an installed V2G or MO root — unless central validation is allowed, when the backend decides — and the
    /// leaf's key ECDSA on a curve the protocol allows (`allowP521`: ISO 15118-2:2014 §7.9.2.3 secp256r1 only;
    /// ISO 15118-20:2022: secp521r1, and secp256r1 as test PKIs and early vehicles use it). `eMAID`, where the
    /// request names one (ISO 15118-2), must be the leaf's CN ignoring dashes and case.
    static func check(_ ders: [[UInt8]], eMAID: String?, allowP521: Bool = false, settings: SECCContractSettings,
                      date: Date) -> Result<ContractChain, Failure> {
        let chain: [Certificate]
        do { chain = try ders.map { try Certificate(derEncoded: $0) } } catch { return .failure(.notDER("\(error)")) }
        guard let leaf = chain.first else { return .failure(.notDER("the chain is empty")) }
        let commonName = leaf.subject.flatMap { $0 }.first { $0.type == .RDNAttributeType.commonName }.map { String(describing: $0.value) } ?? ""
        if let eMAID, commonName.isEmpty || normalizedEMAID(commonName) != normalizedEMAID(eMAID) {
            return .failure(.eMAIDMismatch(eMAID: eMAID, commonName: commonName))
        }
        if let early = chain.first(where: { date < $0.notValidBefore }) {
            return .failure(.notYetValid("\(early.notValidBefore) … \(early.notValidAfter)"))
        }
        if let stale = chain.first(where: { !CertificateChecks.valid($0, at: date) }) {
            return .failure(.expired("\(stale.notValidBefore) … \(stale.notValidAfter)"))
        }
        for i in chain.indices.dropLast() where !CertificateChecks.signed(chain[i], by: chain[i + 1]) {
            return .failure(.broken(index: i))
        }
        let anchored = settings.roots.contains { CertificateChecks.signed(chain[chain.count - 1], by: $0) }
        if !anchored && !settings.centralValidationAllowed { return .failure(settings.roots.isEmpty ? .noRoot : .notAnchored) }
        let key: V2GSignature.Key
        if let p256 = P256.Signing.PublicKey(leaf.publicKey) {
            key = .p256(p256)
        } else if allowP521, let p521 = P521.Signing.PublicKey(leaf.publicKey) {
            key = .p521(p521)
        } else {
            return .failure(.keyNotAllowed)
        }
        let pem: String
        do { pem = try chain.map { try $0.serializeAsPEM().pemString }.joined(separator: "\n") } catch {
            return .failure(.notPEM("\(error)"))
        }
        return .success(ContractChain(commonName: commonName, key: key, pem: pem))
    }

    static func normalizedEMAID(_ s: String) -> String {
        String(s.filter { $0 != "-" }).uppercased()
    }
}
