import Crypto
import SwiftASN1
import X509

/// CertificateHashData (OCPP 1.6 security whitepaper ed. 3 §5, clarified in edition 3): how GetInstalledCertificateIds
/// names a certificate and DeleteCertificate finds it — computed as OCSP's CertID (RFC 6960 §4.1.1):
/// - `issuerNameHash`: the hash of the DER encoding of the issuer's distinguished name;
/// - `issuerKeyHash`: the hash of the issuer's public key, the value of its subjectPublicKey BIT STRING (without tag,
///   length and unused-bits octet);
/// - `serialNumber`: the serial number in hexadecimal, without leading zeroes.
/// The hashes are lowercase hex; comparisons (``matches(_:)``) ignore case and leading zeroes of the serial number,
/// since central systems write them either way.
public struct CertificateHash: Sendable, Equatable, Hashable {
    /// The whitepaper's HashAlgorithmEnumType: SHA256, SHA384, SHA512.
    public enum Algorithm: String, Sendable, CaseIterable { case sha256 = "SHA256", sha384 = "SHA384", sha512 = "SHA512" }

    public var algorithm: Algorithm
    public var issuerNameHash: String
    public var issuerKeyHash: String
    public var serialNumber: String

    public init(algorithm: Algorithm, issuerNameHash: String, issuerKeyHash: String, serialNumber: String) {
        self.algorithm = algorithm; self.issuerNameHash = issuerNameHash; self.issuerKeyHash = issuerKeyHash; self.serialNumber = serialNumber
    }

    /// The hash data of `certificate`, whose issuer's public key is `issuerKey` (nil: the certificate's own key, as for
    /// a self-signed root).
    public init(of certificate: Certificate, issuerKey: Certificate.PublicKey? = nil, algorithm: Algorithm = .sha256) throws(PKIError) {
        let nameDER: [UInt8]
        do {
            var serializer = DER.Serializer()
            try serializer.serialize(certificate.issuer)
            nameDER = serializer.serializedBytes
        } catch {
            throw PKIError("the issuer name cannot be encoded")
        }
        let keyBits = Array((issuerKey ?? certificate.publicKey).subjectPublicKeyInfoBytes)
        self.algorithm = algorithm
        issuerNameHash = Self.hex(Self.digest(nameDER, algorithm))
        issuerKeyHash = Self.hex(Self.digest(keyBits, algorithm))
        serialNumber = Self.serialHex(Array(certificate.serialNumber.bytes))
    }

    /// Whether `other` names the same certificate (hex case and the serial's leading zeroes do not matter).
    public func matches(_ other: CertificateHash) -> Bool {
        algorithm == other.algorithm && issuerNameHash.lowercased() == other.issuerNameHash.lowercased()
            && issuerKeyHash.lowercased() == other.issuerKeyHash.lowercased()
            && Self.trimmed(serialNumber) == Self.trimmed(other.serialNumber)
    }

    static func digest(_ bytes: [UInt8], _ algorithm: Algorithm) -> [UInt8] {
        switch algorithm {
        case .sha256: Array(SHA256.hash(data: bytes))
        case .sha384: Array(SHA384.hash(data: bytes))
        case .sha512: Array(SHA512.hash(data: bytes))
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var s = ""
        s.reserveCapacity(bytes.count * 2)
        for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 0xF)]) }
        return s
    }

    /// RFC 6960 carries the INTEGER; the whitepaper its hex form "without leading zeroes".
    static func serialHex(_ bytes: [UInt8]) -> String {
        let s = String(hex(bytes).drop { $0 == "0" })
        return s.isEmpty ? "0" : s
    }

    static func trimmed(_ serial: String) -> String {
        let s = String(serial.lowercased().drop { $0 == "0" })
        return s.isEmpty ? "0" : s
    }
}
