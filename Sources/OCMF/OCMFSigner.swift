#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto

/// Signs OCMF payloads with a P-256 key: ECDSA over SHA-256 of the payload section's bytes, the signature DER-encoded
/// and written in hex (OCMF 1.2 table 8 defaults `SE` hex, `SM` application/x-der; table 22 "ECDSA-secp256r1-SHA256").
public struct OCMFSigner: Sendable {
    /// `SA` of the documents it writes (OCMF 1.2 table 22).
    public static let algorithm = "ECDSA-secp256r1-SHA256"
    public let privateKey: P256.Signing.PrivateKey

    public init(privateKey: P256.Signing.PrivateKey) { self.privateKey = privateKey }

    /// A signer with a new random key.
    public init() { privateKey = P256.Signing.PrivateKey() }

    /// A signer with the key of a 32-byte private scalar (test vectors).
    public init(rawPrivateKey: [UInt8]) throws(OCMFError) {
        do { privateKey = try P256.Signing.PrivateKey(rawRepresentation: rawPrivateKey) } catch {
            throw OCMFError("not a P-256 private scalar")
        }
    }

    /// A signer with the key of a PEM text (PKCS#8 or SEC1 "EC PRIVATE KEY").
    public init(pem: String) throws(OCMFError) {
        do { privateKey = try P256.Signing.PrivateKey(pemRepresentation: pem) } catch {
            throw OCMFError("not a P-256 private key in PEM")
        }
    }

    /// The private key as PEM (PKCS#8), to keep it in a file only its owner can read.
    public var pem: String { privateKey.pemRepresentation }

    /// The public key to publish (``OCMFPublicKey``).
    public var publicKey: OCMFPublicKey { OCMFPublicKey(privateKey.publicKey) }

    /// Builds the document: the payload written once (``OCMFJSONWriter``), signed, and the signature section.
    public func sign(_ payload: OCMFPayload) throws -> OCMFDocument {
        let text = OCMFJSONWriter.payload(payload)
        let signature = try privateKey.signature(for: Data(text.utf8))
        return OCMFDocument(payload: payload, payloadText: text,
                            signature: OCMFSignature(algorithm: Self.algorithm, data: hex(signature.derRepresentation, uppercase: true)))
    }
}

/// A meter's P-256 public key in the forms the readers need: hex of the DER SubjectPublicKeyInfo (what the
/// transparency software and the OCPP key `MeterPublicKey<N>` show, as the OCA's Eichrecht application note for
/// OCPP 1.6 asks), base64 of the same bytes, and the OCA's `oca:base16:asn1:` text.
public struct OCMFPublicKey: Sendable, Equatable {
    public let key: P256.Signing.PublicKey

    public init(_ key: P256.Signing.PublicKey) { self.key = key }

    public static func == (a: Self, b: Self) -> Bool { a.der == b.der }

    /// Reads a key given as hex or base64 of its DER SubjectPublicKeyInfo (an `oca:base16:asn1:` prefix is accepted).
    public init(text: String) throws(OCMFError) {
        var t = ocmfTrimmed(text)
        for prefix in ["oca:base16:asn1:", "oca:base64:asn1:"] where t.hasPrefix(prefix) { t.removeFirst(prefix.count) }
        let bytes: [UInt8]? = t.count % 2 == 0 && t.allSatisfy(\.isHexDigit) ? hexDecode(t) : Data(base64Encoded: t).map { Array($0) }
        guard let bytes else { throw OCMFError("the public key is neither hex nor base64") }
        do { key = try P256.Signing.PublicKey(derRepresentation: bytes) } catch {
            throw OCMFError("the public key is not a P-256 SubjectPublicKeyInfo")
        }
    }

    public var der: Data { key.derRepresentation }
    /// Upper-case hex of the DER SubjectPublicKeyInfo.
    public var hexDER: String { hex(der, uppercase: true) }
    public var base64DER: String { der.base64EncodedString() }
    /// The OCA's text form of a public key (`oca:base16:asn1:` and the hex DER).
    public var ocaText: String { "oca:base16:asn1:" + hexDER }
}

extension OCMFDocument {
    /// Whether the signature is a valid ECDSA-secp256r1-SHA256 signature of the payload's exact bytes by `publicKey`.
    /// Another algorithm, encoding or MIME type is not checked here and answers false.
    public func verify(with publicKey: OCMFPublicKey) -> Bool {
        guard signature.algorithm == nil || signature.algorithm == OCMFSigner.algorithm,
              signature.mimeType == nil || signature.mimeType == "application/x-der" else { return false }
        let bytes: [UInt8]?
        switch signature.encoding ?? "hex" {
        case "hex": bytes = hexDecode(signature.data)
        case "base64": bytes = Data(base64Encoded: signature.data).map { Array($0) }
        default: bytes = nil
        }
        guard let bytes, let sig = try? P256.Signing.ECDSASignature(derRepresentation: bytes) else { return false }
        return publicKey.key.isValidSignature(sig, for: Data(payloadText.utf8))
    }
}

func hex<D: Sequence>(_ bytes: D, uppercase: Bool) -> String where D.Element == UInt8 {
    let digits = Array((uppercase ? "0123456789ABCDEF" : "0123456789abcdef").utf8)
    var out: [UInt8] = []
    for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0x0F)]) }
    return String(decoding: out, as: UTF8.self)
}

func hexDecode(_ text: String) -> [UInt8]? {
    let u = Array(text.utf8)
    guard u.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x37
        case 0x61...0x66: return c - 0x57
        default: return nil
        }
    }
    var out: [UInt8] = []
    out.reserveCapacity(u.count / 2)
    var i = 0
    while i < u.count {
        guard let h = nibble(u[i]), let l = nibble(u[i + 1]) else { return nil }
        out.append(h << 4 | l)
        i += 2
    }
    return out
}

/// The text without leading and trailing white space (no Foundation string bridging in a pure target).
func ocmfTrimmed<S: StringProtocol>(_ s: S) -> String {
    let scalars = Array(s.unicodeScalars)
    func white(_ u: Unicode.Scalar) -> Bool { u == " " || u == "\t" || u == "\n" || u == "\r" }
    guard let first = scalars.firstIndex(where: { !white($0) }), let last = scalars.lastIndex(where: { !white($0) }) else { return "" }
    var out = String.UnicodeScalarView()
    out.append(contentsOf: scalars[first...last])
    return String(out)
}
