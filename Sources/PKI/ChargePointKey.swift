import Crypto
import SwiftASN1
import X509

/// The charge point's own key pair (OCPP 1.6 security whitepaper ed. 3, use case A02: "the Charge Point generates a new
/// public / private key pair"; A00.FR.501–511: EC keys of at least 224 bits, SHA-256). A P-256 key: short CSRs and
/// handshakes, and what the whitepaper's TLS cipher suites with ECDSA need.
///
/// The private key never leaves the station (A02.FR.04): this type has no `description` that shows it, and the only
/// way out is ``pem``, which the certificate store writes to its file of mode 0600.
public struct ChargePointKey: Sendable {
    let key: P256.Signing.PrivateKey

    /// A new key from the system's secure random source. The charge point gets this function injected, so that its
    /// state machine stays free of the system and tests can make keys of their own.
    public static func generate() -> ChargePointKey { ChargePointKey(key: P256.Signing.PrivateKey()) }

    /// A key from its 32 raw bytes (tests).
    public init(rawRepresentation: [UInt8]) throws(PKIError) {
        do { key = try P256.Signing.PrivateKey(rawRepresentation: rawRepresentation) } catch { throw PKIError("not a P-256 private key") }
    }

    /// The key as the store keeps it (PKCS#8 PEM).
    public init(pem: String) throws(PKIError) {
        do { key = try P256.Signing.PrivateKey(pemRepresentation: pem) } catch { throw PKIError("the stored private key is not a P-256 key in PEM") }
    }

    init(key: P256.Signing.PrivateKey) { self.key = key }

    /// PKCS#8 PEM, for the key file only.
    public var pem: String { key.pemRepresentation }

    /// The public key as a certificate carries it.
    public var publicKey: Certificate.PublicKey { Certificate.PublicKey(key.publicKey) }

    /// Whether `certificate` certifies this key (CertificateSigned: the leaf must carry the key of the CSR, A02.FR.06).
    public func isKey(of certificate: Certificate) -> Bool { certificate.publicKey == publicKey }
}

extension ChargePointKey: CustomStringConvertible {
    public var description: String { "P-256 key (private part hidden)" }
}
