import Crypto
import Foundation
import PKI
import SwiftASN1
import X509

/// A CPO hierarchy made in the test: root → sub-CA → charge point leaf, P-256, with the validity asked for.
struct TestCA {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    let key = P256.Signing.PrivateKey()
    let certificate: Certificate

    /// A self-signed CA (or one signed by `issuer`, a cross-certificate).
    init(_ cn: String, notBefore: Date = now - 86_400, notAfter: Date = now + 365 * 86_400, ca: Bool = true, issuer: TestCA? = nil) throws {
        let name = try DistinguishedName { CommonName(cn) }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
            KeyUsage(keyCertSign: true, cRLSign: true)
        }
        certificate = try Certificate(version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: notBefore,
                                      notValidAfter: notAfter, issuer: issuer?.certificate.subject ?? name, subject: name,
                                      signatureAlgorithm: .ecdsaWithSHA256, extensions: ca ? extensions : Certificate.Extensions {},
                                      issuerPrivateKey: .init(issuer?.key ?? key))
    }

    /// Issues a certificate for `publicKey` with subject O = `organization`, CN = `cn`.
    func issue(_ publicKey: Certificate.PublicKey, cn: String, organization: String = "ChargeKit CPO", ca: Bool = false,
               notBefore: Date = now - 3600, notAfter: Date = now + 90 * 86_400) throws -> Certificate {
        let subject = try DistinguishedName { OrganizationName(organization); CommonName(cn) }
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
        }
        return try Certificate(version: .v3, serialNumber: .init(), publicKey: publicKey, notValidBefore: notBefore, notValidAfter: notAfter,
                               issuer: certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                               extensions: ca ? extensions : Certificate.Extensions {}, issuerPrivateKey: .init(key))
    }

    var pem: String { (try? certificate.serializeAsPEM().pemString) ?? "" }
}

func pem(_ certificates: Certificate...) throws -> String {
    try certificates.map { try $0.serializeAsPEM().pemString }.joined(separator: "\n")
}
