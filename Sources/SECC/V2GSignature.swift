#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto

/// The check of a signed V2G request, the same XML Signature profile in ISO 15118-2:2014 (§7.9.2.4, Annex J.2) and
/// ISO 15118-20:2022 (§8.3.4.3.3, the contract's signature over PnC_AReqAuthorizationMode): the header's `Signature`
/// carries one `Reference` per signed element, `URI="#<Id>"`, whose DigestValue is the SHA-256 of that element
/// encoded alone as an EXI fragment under the message schema; the SignatureValue is ECDSA P-256 with SHA-256 over the
/// EXI fragment of `SignedInfo` under the xmldsig schema, as the raw r‖s pair of 64 bytes (the algorithms
/// `http://www.w3.org/TR/canonical-exi/`, `http://www.w3.org/2001/04/xmlenc#sha256`,
/// `http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256`; [V2G2-771]). Each protocol's generated types are mapped
/// onto this one check (``ISO2Signature``, ``ISO20Signature``).
///
/// ISO 15118-20 adds secp521r1 with SHA-512 (its security profile: `…xmlenc#sha512`,
/// `…xmldsig-more#ecdsa-sha512`, the r‖s pair of 132 bytes); vehicles and test PKIs that keep ISO 15118-2's P-256 are
/// accepted too. The algorithm follows the contract certificate's key; Ed448, the standard's other choice, has no
/// implementation in swift-crypto and is refused with a clear reason.
public enum V2GSignature {
    static let canonicalization = "http://www.w3.org/TR/canonical-exi/"
    static let sha256 = "http://www.w3.org/2001/04/xmlenc#sha256"
    static let sha512 = "http://www.w3.org/2001/04/xmlenc#sha512"
    static let ecdsaSHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
    static let ecdsaSHA512 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"

    /// The contract certificate's public key, by curve.
    enum Key: Sendable {
        case p256(P256.Signing.PublicKey)
        case p521(P521.Signing.PublicKey)

        var signatureMethod: String { switch self { case .p256: ecdsaSHA256; case .p521: ecdsaSHA512 } }

        func isValid(rawSignature: [UInt8], for data: [UInt8]) throws(Failure) -> Bool {
            switch self {
            case .p256(let key):
                guard let value = try? P256.Signing.ECDSASignature(rawRepresentation: rawSignature) else {
                    throw Failure("the SignatureValue is not an r‖s pair of 64 bytes (got \(rawSignature.count))")
                }
                return key.isValidSignature(value, for: SHA256.hash(data: data))
            case .p521(let key):
                guard let value = try? P521.Signing.ECDSASignature(rawRepresentation: rawSignature) else {
                    throw Failure("the SignatureValue is not an r‖s pair of 132 bytes (got \(rawSignature.count))")
                }
                return key.isValidSignature(value, for: SHA512.hash(data: data))
            }
        }
    }

    /// Why a signature was refused, for the log.
    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// The parts of a `Signature` the check reads, whatever schema's types carried them.
    struct Parts {
        var canonicalization: String
        var signatureMethod: String
        var references: [(uri: String?, digestAlgorithm: String, digestValue: [UInt8])]
        var signatureValue: [UInt8]
    }

    /// Checks that `parts` sign the element whose `Id` is `id` with `key`: `fragment` encodes the signed element as
    /// its EXI fragment, `signedInfo` the SignedInfo as its xmldsig fragment.
    static func verify(_ parts: Parts, id: String?, key: Key,
                       fragment: () throws -> [UInt8], signedInfo: () throws -> [UInt8]) throws(Failure) {
        guard let id, !id.isEmpty else { throw Failure("the signed element has no Id") }
        guard parts.canonicalization == canonicalization, parts.signatureMethod == key.signatureMethod else {
            throw Failure("SignedInfo names \(parts.canonicalization) / \(parts.signatureMethod); the contract's key signs with EXI canonicalization and \(key.signatureMethod)")
        }
        guard let reference = parts.references.first(where: { $0.uri == "#" + id }) else {
            throw Failure("SignedInfo has no Reference to #\(id)")
        }
        let element: [UInt8]
        do { element = try fragment() } catch { throw Failure("the signed element cannot be encoded: \(error)") }
        let digest: [UInt8]
        switch reference.digestAlgorithm {
        case sha256: digest = Array(SHA256.hash(data: element))
        case sha512: digest = Array(SHA512.hash(data: element))
        default: throw Failure("the Reference's digest is \(reference.digestAlgorithm), not SHA-256 or SHA-512")
        }
        guard digest == reference.digestValue else {
            throw Failure("the digest of #\(id) does not match its Reference")
        }
        let signedBytes: [UInt8]
        do { signedBytes = try signedInfo() } catch { throw Failure("SignedInfo cannot be encoded: \(error)") }
        guard try key.isValid(rawSignature: parts.signatureValue, for: signedBytes) else {
            throw Failure("the SignatureValue does not verify with the contract certificate's key")
        }
    }
}
