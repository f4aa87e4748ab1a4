#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import _CryptoExtras
import SwiftASN1
import X509

/// The certificate of the web interface and the local API over HTTPS (issue 23 item 2), of the station and the gateway
/// alike: the self-signed one made at the first start, the check of one an installer uploads, and the SHA-256
/// fingerprint printed at the first start and shown on the System page, so that the first login can be checked against
/// what the browser shows.
///
/// Self-signed because a device on a LAN has no name a public CA would certify; the installer either compares the
/// fingerprint once (as with SSH's host key) or uploads a certificate of the site's own CA. Pure: the key, the names
/// and the time come in as arguments.
public enum WebServerCertificate {
    /// How long the self-signed certificate is valid: ten years, the appliance's planned life (issue 23). A browser
    /// does not trust it because of its dates but because the installer accepted its fingerprint; a short life would
    /// only make the warning come back. RFC 5280 §4.1.2.5 allows any date up to 9999.
    public static let selfSignedValidityDays = 3650

    /// The names a self-signed certificate carries.
    public struct Names: Sendable, Equatable {
        /// The device's name (the ChargeBoxIdentity, the gateway's name): CN and the first DNS name.
        public var commonName: String
        /// Further DNS names (`localhost`); the common name is added first.
        public var dnsNames: [String]
        /// IP addresses as 4 or 16 bytes (127.0.0.1, ::1 and the device's own addresses).
        public var ipAddresses: [[UInt8]]

        public init(commonName: String, dnsNames: [String] = ["localhost"], ipAddresses: [[UInt8]] = [[127, 0, 0, 1]]) {
            self.commonName = commonName; self.dnsNames = dnsNames; self.ipAddresses = ipAddresses
        }

        /// The DNS names in the certificate: the common name when it is a valid DNS label sequence, then the others,
        /// each once. A ChargeBoxIdentity may hold characters a DNS name cannot (RFC 1035 §2.3.1, RFC 5280 §4.2.1.6
        /// requires the preferred name syntax); it stays the CN then.
        var allDNSNames: [String] {
            var out: [String] = []
            for n in [commonName] + dnsNames where Self.isDNSName(n) && !out.contains(n.lowercased()) { out.append(n.lowercased()) }
            return out
        }

        static func isDNSName(_ s: String) -> Bool {
            guard !s.isEmpty, s.utf8.count <= 253 else { return false }
            return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
                !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                    && label.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" }
            }
        }
    }

    /// A new self-signed certificate for `key` (P-256, ECDSA with SHA-256): CN = the device's name, the subject
    /// alternative names of `names` (browsers match the host only against them, RFC 6125 §6.4.4), valid from an hour
    /// before `now` (a client whose clock is slightly behind) for ``selfSignedValidityDays``, for TLS server
    /// authentication only (extended key usage serverAuth, not a CA). Returns the PEM.
    public static func makeSelfSigned(key: ChargePointKey, names: Names, now: Date) throws(PKIError) -> String {
        guard !names.commonName.isEmpty, names.commonName.count <= 64 else { throw PKIError("the device name must have 1–64 characters") }
        for ip in names.ipAddresses where ip.count != 4 && ip.count != 16 { throw PKIError("an IP address has 4 or 16 bytes, not \(ip.count)") }
        do {
            let name = try DistinguishedName {
                OrganizationName("ChargeKit")
                CommonName(names.commonName)
            }
            let alternatives: [GeneralName] = names.allDNSNames.map { .dnsName($0) }
                + names.ipAddresses.map { .ipAddress(ASN1OctetString(contentBytes: $0[...])) }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(alternatives)
                SubjectKeyIdentifier(hash: key.publicKey)
            }
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
                notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(Double(selfSignedValidityDays) * 86_400),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(key.key))
            return try certificate.serializeAsPEM().pemString
        } catch {
            throw PKIError("the certificate could not be built: \(error)")
        }
    }

    /// Whether the self-signed certificate `pem` still fits: it parses, `key` is its key, it is valid at `now` for at
    /// least 30 more days, and its subject names `commonName` (a new ChargeBoxIdentity or gateway name makes a new
    /// one). The addresses are those of its making: a DHCP address that changes must not change the fingerprint the
    /// installer checked at the first login.
    public static func selfSignedFits(_ pem: String, key: ChargePointKey, commonName: String, now: Date) -> Bool {
        guard let certificate = try? PEMCertificates.parse(pem, maxCount: 1).first, key.isKey(of: certificate),
              CertificateChecks.valid(certificate, at: now), CertificateChecks.valid(certificate, at: now.addingTimeInterval(30 * 86_400)),
              let subject = try? DistinguishedName(builder: { OrganizationName("ChargeKit"); CommonName(commonName) }) else { return false }
        return certificate.subject == subject
    }

    /// The SHA-256 fingerprint of the first certificate of `pem` (its DER), as browsers and `openssl x509 -fingerprint
    /// -sha256` show it: 32 bytes in upper-case hex separated by colons.
    public static func fingerprint(_ pem: String) throws(PKIError) -> String {
        let certificate = try PEMCertificates.parse(pem, maxBytes: maxChainBytes, maxCount: maxChainCount)[0]
        return fingerprint(certificate)
    }

    public static func fingerprint(_ certificate: Certificate) -> String {
        var serializer = DER.Serializer()
        try? serializer.serialize(certificate)
        return SHA256.hash(data: serializer.serializedBytes).map { hex($0) }.joined(separator: ":")
    }

    private static func hex(_ b: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
    }

    /// The bounds of an uploaded chain: a leaf and a few CA certificates of RSA 4096 fit in 32 kB.
    public static let maxChainBytes = 32_000
    public static let maxChainCount = 8

    /// What the System page shows of the certificate in use.
    public struct Summary: Sendable, Equatable {
        public var subject: String
        public var issuer: String
        public var notValidBefore: Date
        public var notValidAfter: Date
        public var fingerprintSHA256: String
        /// The DNS names and IP addresses it is valid for.
        public var names: [String]
    }

    public static func summary(_ pem: String) throws(PKIError) -> Summary {
        let c = try PEMCertificates.parse(pem, maxBytes: maxChainBytes, maxCount: maxChainCount)[0]
        let san = (try? c.extensions.subjectAlternativeNames).map { names in
            names.compactMap { name -> String? in
                switch name {
                case .dnsName(let n): n
                case .ipAddress(let a): ipText(Array(a.bytes))
                default: nil
                }
            }
        } ?? []
        return Summary(subject: "\(c.subject)", issuer: "\(c.issuer)", notValidBefore: c.notValidBefore, notValidAfter: c.notValidAfter,
                       fingerprintSHA256: fingerprint(c), names: san)
    }

    static func ipText(_ b: [UInt8]) -> String? {
        if b.count == 4 { return b.map(String.init).joined(separator: ".") }
        guard b.count == 16 else { return nil }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(b[$0]) << 8 | UInt16(b[$0 + 1]), radix: 16) }.joined(separator: ":")
    }

    /// An installer's own certificate, checked before it is used (issue 23 item 2): `certificatePEM` holds the server
    /// certificate (optionally followed by its chain), `chainPEM` further CA certificates (may be empty), `keyPEM` the
    /// private key without a passphrase. Refused, with the reason: a key that is neither P-256 nor RSA of at least 2048
    /// bits (BSI TR-02102-2 §3.3.3 and its key lengths, which the browsers' baseline also requires), a key that is not
    /// the certificate's, a certificate not valid at `now`, and a chain in which a certificate is not signed by the next
    /// one, an issuer that is not a CA, or a last certificate that names itself as issuer but does not verify with its
    /// own key. A chain that stops below its root is accepted: the browser has the root (RFC 8446 §4.4.2 lets the
    /// server omit it). Returns the certificates, leaf first.
    public static func checkUpload(certificatePEM: String, chainPEM: String, keyPEM: String, now: Date) throws(PKIError) -> [Certificate] {
        let text = certificatePEM.trimmedText
        guard !text.isEmpty else { throw PKIError("no certificate was given") }
        let extra = chainPEM.trimmedText
        let all = extra.isEmpty ? text : text + "\n" + extra
        let chain = try PEMCertificates.parse(all, maxBytes: maxChainBytes, maxCount: maxChainCount)
        let key = try serverKey(keyPEM)
        guard key.publicKey == chain[0].publicKey else { throw PKIError("the private key does not belong to the certificate") }
        for (i, c) in chain.enumerated() { try CertificateChecks.valid(c, at: now, name: i == 0 ? "the certificate" : "chain certificate \(i)") }
        for i in chain.indices.dropLast() {
            guard CertificateChecks.signed(chain[i], by: chain[i + 1]) else {
                throw PKIError(i == 0 ? "the certificate is not signed by chain certificate 1"
                                      : "chain certificate \(i) is not signed by chain certificate \(i + 1)")
            }
            try CertificateChecks.isCA(chain[i + 1], name: "chain certificate \(i + 1)")
        }
        if chain.count > 1, let top = chain.last, top.issuer == top.subject, !CertificateChecks.signed(top, by: top) {
            throw PKIError("the root certificate's signature does not verify")
        }
        return chain
    }

    /// ``checkUpload(certificatePEM:chainPEM:keyPEM:now:)``'s chain as the PEM the TLS server serves: the certificate
    /// followed by the uploaded CA certificates, in the order checked.
    public static func checkedChainPEM(certificatePEM: String, chainPEM: String, keyPEM: String, now: Date) throws(PKIError) -> String {
        let chain = try checkUpload(certificatePEM: certificatePEM, chainPEM: chainPEM, keyPEM: keyPEM, now: now)
        do { return try chain.map { try $0.serializeAsPEM().pemString }.joined(separator: "\n") + "\n" } catch {
            throw PKIError("the certificate could not be written as PEM: \(error)")
        }
    }

    /// The server's private key: P-256, or RSA with at least 2048 bits; PKCS#8, SEC 1 or PKCS#1 PEM.
    static func serverKey(_ pem: String) throws(PKIError) -> Certificate.PrivateKey {
        let text = pem.trimmedText
        guard !text.isEmpty else { throw PKIError("no private key was given") }
        guard text.utf8.count <= 16_000 else { throw PKIError("the private key text has more than 16000 bytes") }
        if text.contains("ENCRYPTED") { throw PKIError("the private key is protected by a passphrase: upload it without one (openssl pkey -in key.pem -out plain.pem)") }
        if let p256 = try? P256.Signing.PrivateKey(pemRepresentation: text) { return Certificate.PrivateKey(p256) }
        if let rsa = try? _RSA.Signing.PrivateKey(unsafePEMRepresentation: text) {
            guard rsa.keySizeInBits >= 2048 else { throw PKIError("the RSA key has \(rsa.keySizeInBits) bits; at least 2048 are required") }
            return Certificate.PrivateKey(rsa)
        }
        if (try? Certificate.PrivateKey(pemEncoded: text)) != nil { throw PKIError("the private key must be P-256 (prime256v1) or RSA with at least 2048 bits") }
        throw PKIError("the private key is not a PEM private key")
    }
}

extension String {
    /// Without leading and trailing white space (PEM pasted or read from a file carries newlines around it).
    var trimmedText: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
