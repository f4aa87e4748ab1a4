#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import EXI

/// The check of a signed ISO 15118-2 request (ISO 15118-2:2014 §7.9.2.4 and Annex J.2, XML Signature with EXI
/// canonicalization): the header's `Signature` carries one `Reference` per signed body element, `URI="#<Id>"`, whose
/// DigestValue is the SHA-256 of that element encoded alone as an EXI fragment under the ISO 15118-2 schema; the
/// SignatureValue is ECDSA P-256 with SHA-256 over the EXI fragment of `SignedInfo` under the xmldsig schema, as the
/// raw r‖s pair of 64 bytes ([V2G2-771]: the algorithms `http://www.w3.org/TR/canonical-exi/`,
/// `http://www.w3.org/2001/04/xmlenc#sha256`, `http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256`).
public enum ISO2Signature {
    static let bodyNamespace = "urn:iso:15118:2:2013:MsgBody"
    static let canonicalization = "http://www.w3.org/TR/canonical-exi/"
    static let digestAlgorithm = "http://www.w3.org/2001/04/xmlenc#sha256"
    static let signatureAlgorithm = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"

    /// Why a signature was refused, for the log.
    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Checks that `signature` signs `element` (whose `Id` attribute is `id`, named `elementName` in the body, e.g.
    /// "AuthorizationReq") with `key`.
    public static func verify(_ signature: ISO2SignatureType?, element: EXINode, id: String?, key: P256.Signing.PublicKey) throws(Failure) {
        guard let signature else { throw Failure("the request carries no signature") }
        guard let id, !id.isEmpty else { throw Failure("the signed element has no Id") }
        let info = signature.signedInfo
        guard info.canonicalizationMethod.algorithm == canonicalization, info.signatureMethod.algorithm == signatureAlgorithm else {
            throw Failure("SignedInfo names \(info.canonicalizationMethod.algorithm) / \(info.signatureMethod.algorithm); ISO 15118-2 signs with EXI canonicalization and ECDSA-SHA256")
        }
        guard let reference = info.reference.first(where: { $0.uri == "#" + id }) else {
            throw Failure("SignedInfo has no Reference to #\(id)")
        }
        guard reference.digestMethod.algorithm == digestAlgorithm else {
            throw Failure("the Reference's digest is \(reference.digestMethod.algorithm), not SHA-256")
        }
        let fragment: [UInt8]
        do { fragment = try EXI.ISO2.encodeFragment(element) } catch { throw Failure("the signed element cannot be encoded: \(error)") }
        guard Array(SHA256.hash(data: fragment)) == reference.digestValue else {
            throw Failure("the digest of #\(id) does not match its Reference")
        }
        let signedBytes: [UInt8]
        do { signedBytes = try EXI.ISO2.signedInfoFragment(info) } catch { throw Failure("SignedInfo cannot be encoded: \(error)") }
        guard let value = try? P256.Signing.ECDSASignature(rawRepresentation: signature.signatureValue.value) else {
            throw Failure("the SignatureValue is not an r‖s pair of 64 bytes (got \(signature.signatureValue.value.count))")
        }
        guard key.isValidSignature(value, for: signedBytes) else { throw Failure("the SignatureValue does not verify with the contract certificate's key") }
    }

    /// The body element as the signature names it (`{urn:iso:15118:2:2013:MsgBody}AuthorizationReq`).
    static func node(_ element: ISO2AuthorizationReqType) -> EXINode {
        element.node(EXIQName(bodyNamespace, "AuthorizationReq"), repeatable: false)
    }
}
