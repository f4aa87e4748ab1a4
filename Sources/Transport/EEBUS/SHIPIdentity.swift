#if canImport(Glibc)
import Glibc
#endif
import Crypto
import EEBUS
import HostServices
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StringSupport
import NIOSSL
import SwiftASN1
import X509

/// The station's SHIP identity: a P-256 key and a self-signed certificate whose Subject Key Identifier is the SKI the
/// user compares and enters on the energy manager (SHIP TS 1.0.1 §9.1: ECDSA with P-256 and SHA-256; §12.2: trust by
/// SKI, not by a CA).
///
/// Made at the first start in a directory of its own and loaded on later starts, so that the SKI — and with it every
/// pairing — survives restarts and updates. The key file has mode 0600 and is written atomically (temporary file,
/// fsync, rename, fsync of the directory); it is never logged or exported.
public struct SHIPIdentity: Sendable {
    /// The SHIP id (`id` of the DNS-SD TXT record, `accessMethods`), also the certificate's CN.
    public let shipID: String
    public let ski: SHIPSKI
    /// The certificate in PEM (it holds no secret: it may be shown and downloaded).
    public let certificatePEM: String
    let key: P256.Signing.PrivateKey

    public static let keyFileName = "ship-key.pem"
    public static let certificateFileName = "ship-certificate.pem"
    /// Ten years, as the open SHIP implementations do: the certificate is trusted by its SKI, not by its dates, and a
    /// renewal with the same key keeps the SKI but would only add a failure mode.
    public static let validityDays = 3650

    /// A new identity in memory (tests; ``loadOrCreate(directory:shipID:now:)`` for the station).
    public static func make(shipID: String, key: P256.Signing.PrivateKey = P256.Signing.PrivateKey(), now: Date = Date()) throws(SHIPIdentityError) -> SHIPIdentity {
        let publicKey = Certificate.PublicKey(key.publicKey)
        let ski = SHIPSKI(subjectPublicKey: Array(publicKey.subjectPublicKeyInfoBytes))
        do {
            let name = try DistinguishedName {
                OrganizationName("ChargeKit")
                CommonName(shipID)
            }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectKeyIdentifier(keyIdentifier: ski.bytes[...])
            }
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(Double(validityDays) * 86_400),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(key))
            return SHIPIdentity(shipID: shipID, ski: ski, certificatePEM: try certificate.serializeAsPEM().pemString, key: key)
        } catch {
            throw SHIPIdentityError("the SHIP certificate could not be built: \(error)")
        }
    }

    /// The identity kept in `directory` (made there when it holds none). A damaged or mismatched file is an error that
    /// names the file and what to do; nothing is overwritten then, because a new key would break every pairing.
    public static func loadOrCreate(directory: String, shipID: String, now: Date = Date()) throws(SHIPIdentityError) -> SHIPIdentity {
        let keyPath = directory + "/" + keyFileName, certificatePath = directory + "/" + certificateFileName
        let fm = FileManager.default
        if !fm.fileExists(atPath: directory) {
            do { try SystemFile.createDirectory(directory, mode: 0o700) } catch {
                throw SHIPIdentityError("the SHIP identity directory \(directory) cannot be made: \(error)")
            }
        }
        let keyExists = fm.fileExists(atPath: keyPath), certificateExists = fm.fileExists(atPath: certificatePath)
        let remedy = "restore it from a backup, or delete \(keyPath) and \(certificatePath) to make a new SHIP identity (every energy manager must then be paired again)"
        guard keyExists else {
            if certificateExists { throw SHIPIdentityError("the SHIP key file \(keyPath) is missing while its certificate exists: \(remedy)") }
            let identity = try make(shipID: shipID, now: now)
            try writeAtomically(identity.key.pemRepresentation, to: keyPath, mode: 0o600)
            try writeAtomically(identity.certificatePEM, to: certificatePath, mode: 0o644)
            return identity
        }
        let key: P256.Signing.PrivateKey
        do { key = try P256.Signing.PrivateKey(pemRepresentation: try String(contentsOfFile: keyPath, encoding: .utf8)) } catch {
            throw SHIPIdentityError("the SHIP key file \(keyPath) is damaged (not a P-256 private key in PEM): \(remedy)")
        }
        guard certificateExists else {
            // The key makes the SKI: a lost certificate is made again from it, and every pairing stays valid.
            let identity = try make(shipID: shipID, key: key, now: now)
            try writeAtomically(identity.certificatePEM, to: certificatePath, mode: 0o644)
            return identity
        }
        let certificate: Certificate, pem: String
        do {
            pem = try String(contentsOfFile: certificatePath, encoding: .utf8)
            certificate = try Certificate(pemEncoded: pem)
        } catch {
            throw SHIPIdentityError("the SHIP certificate file \(certificatePath) is damaged (not a PEM certificate): delete it, it is made again from the key")
        }
        guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw SHIPIdentityError("the SHIP certificate file \(certificatePath) does not belong to the key \(keyPath): delete the certificate, it is made again from the key")
        }
        return SHIPIdentity(shipID: shipID, ski: SHIPSKI(subjectPublicKey: Array(certificate.publicKey.subjectPublicKeyInfoBytes)), certificatePEM: pem, key: key)
    }

    /// The SKI of a peer's certificate (DER). Computed from its public key (RFC 5280 §4.2.1.2 method 1), because the
    /// TLS handshake proves possession of that key, not of an SKI written into the certificate: a certificate whose
    /// SubjectKeyIdentifier extension names another SKI is refused, so that nobody can claim a paired node's SKI.
    public static func ski(ofCertificateDER der: [UInt8]) throws(SHIPIdentityError) -> SHIPSKI {
        let certificate: Certificate
        do { certificate = try Certificate(derEncoded: der) } catch { throw SHIPIdentityError("the peer's certificate cannot be read: \(error)") }
        let computed = SHIPSKI(subjectPublicKey: Array(certificate.publicKey.subjectPublicKeyInfoBytes))
        if let claimed = try? certificate.extensions.subjectKeyIdentifier, let claimedSKI = SHIPSKI(bytes: Array(claimed.keyIdentifier)),
           claimedSKI != computed {
            throw SHIPIdentityError("the peer's certificate names the SKI \(claimedSKI) but its key has the SKI \(computed)")
        }
        return computed
    }

    /// The certificate and key as NIOSSL takes them.
    func tlsMaterial() throws -> (certificate: NIOSSLCertificate, key: NIOSSLPrivateKey) {
        (try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem),
         try NIOSSLPrivateKey(bytes: Array(key.pemRepresentation.utf8), format: .pem))
    }

    /// Writes `text` to a temporary file of `mode`, syncs and renames it over `path`, then syncs the directory: a crash
    /// leaves the old file or the new one, never a part.
    static func writeAtomically(_ text: String, to path: String, mode: mode_t) throws(SHIPIdentityError) {
        do { try SystemFile.write(text, to: path, mode: mode) } catch {
            throw SHIPIdentityError("\(error.path) cannot be written: \(error.reason)")
        }
    }
}

extension SHIPIdentity: CustomStringConvertible {
    public var description: String { "SHIP identity \(shipID), SKI \(ski) (private key hidden)" }
}

/// Why the SHIP identity cannot be used: the file and what to do.
public struct SHIPIdentityError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
