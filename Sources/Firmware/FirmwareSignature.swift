#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import PKI

/// The detached signature of a firmware file (issue 23 item 5): ECDSA P-256 over the SHA-256 of the signed bytes, with the
/// X.509 signing certificate (and its sub-CAs) that must chain to a ManufacturerRootCertificate installed on the station
/// — the same algorithm and chain rule as the OCPP security extension's SignedUpdateFirmware (whitepaper ed. 3 L01,
/// ``FirmwareSigning``), so one manufacturer key signs for every path (OCPP, web upload, USB stick).
///
/// Its text, as `chargekit firmware sign` writes it into the `_chargekit-sig` member of a `.deb` or a `FILE.sig`:
/// ```
/// ChargeKit-Signature: 1
/// Algorithm: ECDSA-P256-SHA256
/// Signature: <base64 of the DER ECDSA signature>
///
/// -----BEGIN CERTIFICATE-----   (the signing certificate, then its sub-CAs)
/// ```
/// What is signed: a `.deb`'s bytes before the `_chargekit-sig` member (the package exactly as `dpkg-deb --build` made
/// it, so `openssl dgst -sha256 -verify` checks it after `ar d`), or a detached `.sig`'s whole file.
public struct FirmwareSignature: Sendable, Equatable {
    public static let magic = "ChargeKit-Signature: 1"
    public static let algorithm = "ECDSA-P256-SHA256"
    /// The name of the ar member that carries it in a `.deb`: deb(5) reserves names starting with '_' for members that
    /// dpkg ignores, and dpkg ignores every member after data.tar (dpkg-sig's `_gpgbuilder` is the precedent).
    public static let memberName = "_chargekit-sig"
    /// Longest signature text accepted (a chain of ``FirmwareSigning/maxChainLength`` certificates fits).
    public static let maxBytes = 16_384

    /// The signing certificate first, then its sub-CAs (PEM).
    public var certificateChainPEM: String
    /// Base64 of the DER ECDSA signature.
    public var signatureBase64: String

    public init(certificateChainPEM: String, signatureBase64: String) {
        self.certificateChainPEM = certificateChainPEM; self.signatureBase64 = signatureBase64
    }

    /// The signature's text.
    public var text: String {
        "\(Self.magic)\nAlgorithm: \(Self.algorithm)\nSignature: \(signatureBase64)\n\n\(certificateChainPEM.hasSuffix("\n") ? certificateChainPEM : certificateChainPEM + "\n")"
    }

    /// Reads a signature's text; the error says what is wrong with it.
    public init(text bytes: some Collection<UInt8>) throws(FirmwareRefusal) {
        guard bytes.count <= Self.maxBytes else {
            throw FirmwareRefusal(.invalidSignature, "the signature is \(bytes.count) bytes long (at most \(Self.maxBytes))")
        }
        let clean = bytes.filter { $0 != 0x0D }
        var blank: Int?
        for i in 0..<max(0, clean.count - 1) where clean[i] == 0x0A && clean[i + 1] == 0x0A { blank = i; break }
        guard clean.starts(with: Array((Self.magic + "\n").utf8)), let blank else {
            throw FirmwareRefusal(.invalidSignature, "the signature does not start with '\(Self.magic)' and a header")
        }
        var fields: [String: String] = [:]
        for line in String(decoding: clean[..<blank], as: UTF8.self).split(separator: "\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = String(line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
        }
        guard fields["algorithm"] == Self.algorithm else {
            throw FirmwareRefusal(.invalidSignature, "the signature's algorithm is '\(fields["algorithm"] ?? "")' (the station verifies \(Self.algorithm))")
        }
        guard let signature = fields["signature"], !signature.isEmpty else {
            throw FirmwareRefusal(.invalidSignature, "the signature text has no 'Signature:' line")
        }
        let chain = String(decoding: clean[(blank + 2)...], as: UTF8.self)
        guard chain.contains("-----BEGIN CERTIFICATE-----") else {
            throw FirmwareRefusal(.invalidSigningCertificate, "the signature carries no signing certificate")
        }
        self.init(certificateChainPEM: chain, signatureBase64: signature)
    }

    /// Signs the bytes whose SHA-256 is `digest` (`chargekit firmware sign`).
    public static func sign(digest: SHA256.Digest, key: P256.Signing.PrivateKey, certificateChainPEM: String) throws -> FirmwareSignature {
        let signature = try key.signature(for: digest)
        return FirmwareSignature(certificateChainPEM: certificateChainPEM, signatureBase64: signature.derRepresentation.base64EncodedString())
    }

    /// Checks only the signature over `digest` against its own signing certificate (`chargekit firmware check` without
    /// a root: the chain is not checked); returns that certificate's subject.
    public func verifySignatureOnly(digest: SHA256.Digest) throws(FirmwareRefusal) -> String {
        do {
            let parsed = try PEMCertificates.parse(certificateChainPEM, maxBytes: Self.maxBytes, maxCount: FirmwareSigning.maxChainLength)[0]
            try FirmwareSigning.verifySignature(signatureBase64, digest: digest, certificate: parsed)
            return FirmwareSigning.subject(parsed)
        } catch {
            throw FirmwareRefusal(.invalidSignature, "signature refused: \(error.description)")
        }
    }

    /// Signs `bytes` with the P-256 key in `keyPEM` (SEC 1 or PKCS#8) whose certificate heads `chainPEM`; refuses a key
    /// that does not belong to that certificate (a signature the station would refuse).
    public static func sign(_ bytes: some DataProtocol, keyPEM: String, chainPEM: String) throws(FirmwareRefusal) -> FirmwareSignature {
        let key: P256.Signing.PrivateKey
        do { key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM) } catch {
            throw FirmwareRefusal(.invalidSignature, "the key is not an EC P-256 private key in PEM: \(error)")
        }
        do { _ = try FirmwareSigning.signingSubject(chainPEM, matching: key.publicKey) } catch {
            throw FirmwareRefusal(.invalidSigningCertificate, error.description)
        }
        do { return try sign(digest: SHA256.hash(data: bytes), key: key, certificateChainPEM: chainPEM) } catch {
            throw FirmwareRefusal(.invalidSignature, "signing failed: \(error)")
        }
    }

    /// A `.deb` with `signature` as its last member: an earlier ChargeKit signature member is replaced (the signature
    /// covers the package without it). `bytes` must be a Debian package (``FirmwareFile``).
    public static func embed(in bytes: [UInt8], keyPEM: String, chainPEM: String, mtime: Int) throws(FirmwareRefusal) -> [UInt8] {
        let archive: ArArchive
        do { archive = try ArArchive(bytes) } catch { throw FirmwareRefusal(.notAPackage, error.description) }
        var unsigned = bytes
        if let last = archive.members.last, last.name == memberName { unsigned = Array(bytes[0..<last.headerOffset]) }
        let signature = try sign(unsigned, keyPEM: keyPEM, chainPEM: chainPEM)
        return unsigned + ArArchive.member(name: memberName, data: Array(signature.text.utf8), mtime: mtime)
    }

    /// Checks the chain against `roots` (PEM ManufacturerRootCertificates) at `now` and the signature over `digest`.
    /// The refusal's kind tells which security event it is (InvalidFirmwareSigningCertificate or
    /// InvalidFirmwareSignature, whitepaper ed. 3 §8).
    public func verify(digest: SHA256.Digest, roots: [String], now: Date) throws(FirmwareRefusal) -> String {
        let certificate: String
        do {
            certificate = FirmwareSigning.subject(try FirmwareSigning.verifySigningCertificate(certificateChainPEM, roots: roots, now: now))
        } catch {
            throw FirmwareRefusal(.invalidSigningCertificate, "signing certificate refused: \(error.description)")
        }
        do {
            let parsed = try PEMCertificates.parse(certificateChainPEM, maxBytes: Self.maxBytes, maxCount: FirmwareSigning.maxChainLength)[0]
            try FirmwareSigning.verifySignature(signatureBase64, digest: digest, certificate: parsed)
        } catch {
            throw FirmwareRefusal(.invalidSignature, "signature refused: \(error.description)")
        }
        return certificate
    }
}

/// Why a firmware file is not installed: a clear reason for the log, the security log, the status API and the web page.
public struct FirmwareRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable, Equatable {
        /// Neither a Debian package nor a ChargeKit-wrapped package, or one that is damaged.
        case notAPackage
        /// Signed firmware is required and the file carries no signature.
        case unsigned
        /// The signing certificate does not chain to an installed manufacturer root, or is not valid now.
        case invalidSigningCertificate
        /// The signature does not match the file, or cannot be read.
        case invalidSignature
        /// The package is for another program or architecture.
        case wrongPackage
        /// The previous version could not be kept for a rollback.
        case noRollback
        /// The install command failed.
        case installFailed
    }

    public var kind: Kind
    public var reason: String
    public var description: String { reason }

    public init(_ kind: Kind, _ reason: String) { self.kind = kind; self.reason = reason }
}
