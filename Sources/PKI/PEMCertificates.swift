import SwiftASN1
import X509

/// Why a certificate or key was refused; the text names what was wrong and is safe to log (it never contains a key).
public struct PKIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Certificates in PEM as the OCPP 1.6 security extension carries them (whitepaper ed. 3 §4.1.4 and A00.FR.510: X.509
/// in PEM; CertificateSigned carries the leaf followed by its sub-CA certificates).
public enum PEMCertificates {
    /// Parses every `CERTIFICATE` block of `pem`, in order. Refuses text longer than `maxBytes` (the message's bound,
    /// checked before any parsing), more than `maxCount` certificates, no certificate at all, and any block that is
    /// not a well-formed X.509 certificate.
    public static func parse(_ pem: String, maxBytes: Int = 10_000, maxCount: Int = 10) throws(PKIError) -> [Certificate] {
        guard pem.utf8.count <= maxBytes else { throw PKIError("the certificate text has more than \(maxBytes) bytes") }
        let documents: [PEMDocument]
        do { documents = try PEMDocument.parseMultiple(pemString: pem) } catch {
            throw PKIError("the text is not PEM")
        }
        let blocks = documents.filter { $0.discriminator == "CERTIFICATE" }
        guard !blocks.isEmpty else { throw PKIError("the text holds no certificate") }
        guard blocks.count == documents.count else { throw PKIError("the text holds a PEM block that is not a certificate") }
        guard blocks.count <= maxCount else { throw PKIError("the text holds \(blocks.count) certificates, at most \(maxCount) are allowed") }
        var out: [Certificate] = []
        for (i, block) in blocks.enumerated() {
            do { out.append(try Certificate(derEncoded: block.derBytes)) } catch {
                throw PKIError("certificate \(i + 1) is not a valid X.509 certificate")
            }
        }
        return out
    }
}
