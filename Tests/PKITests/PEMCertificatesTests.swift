import Crypto
import Foundation
import PKI
import SwiftASN1
import Testing
import X509

@Suite struct PEMCertificatesTests {
    static func selfSigned(_ cn: String) throws -> Certificate {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(cn) }
        let now = Date()
        return try Certificate(version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now - 60,
                               notValidAfter: now + 3600, issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                               extensions: Certificate.Extensions {}, issuerPrivateKey: .init(key))
    }

    @Test func whitepaper_A00_FR_510_pemChainParsedInOrder() throws {
        let a = try Self.selfSigned("leaf"), b = try Self.selfSigned("ca")
        let pem = try a.serializeAsPEM().pemString + "\n" + b.serializeAsPEM().pemString
        let parsed = try PEMCertificates.parse(pem)
        #expect(parsed == [a, b])
    }

    @Test func refusals() throws {
        let one = try Self.selfSigned("x").serializeAsPEM().pemString
        #expect(throws: PKIError("the text holds no certificate")) { try PEMCertificates.parse("") }
        #expect(throws: PKIError("the certificate text has more than 10 bytes")) { try PEMCertificates.parse(one, maxBytes: 10) }
        #expect(throws: PKIError("the text holds 2 certificates, at most 1 are allowed")) {
            try PEMCertificates.parse(one + "\n" + one, maxCount: 1)
        }
        let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        #expect(throws: PKIError("certificate 1 is not a valid X.509 certificate")) { try PEMCertificates.parse(garbage) }
        let key = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        #expect(throws: PKIError("the text holds a PEM block that is not a certificate")) { try PEMCertificates.parse(one + key) }
    }
}
