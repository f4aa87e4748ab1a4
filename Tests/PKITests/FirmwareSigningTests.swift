import Crypto
import Foundation
import PKI
import SwiftASN1
import Testing
import X509

/// Signed firmware (OCPP 1.6 security whitepaper ed. 3, use case L01): the signing certificate chains to a
/// ManufacturerRootCertificate (L01.FR.02/03), the signature over the whole file is ECDSA P-256 / SHA-256 (L01.FR.04/05).
@Suite struct FirmwareSigningTests {
    struct Authority {
        let key = P256.Signing.PrivateKey()
        let certificate: Certificate
        var pem: String { (try? certificate.serializeAsPEM().pemString) ?? "" }

        init(_ cn: String, issuer: Authority? = nil, ca: Bool, notBefore: Date = Date() - 60, notAfter: Date = Date() + 3600) throws {
            let name = try DistinguishedName { OrganizationName("ChargeKit Test"); CommonName(cn) }
            let extensions = try Certificate.Extensions {
                Critical(ca ? BasicConstraints.isCertificateAuthority(maxPathLength: nil) : BasicConstraints.notCertificateAuthority)
            }
            certificate = try Certificate(version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: notBefore,
                                          notValidAfter: notAfter, issuer: issuer?.certificate.subject ?? name, subject: name,
                                          signatureAlgorithm: .ecdsaWithSHA256, extensions: extensions,
                                          issuerPrivateKey: .init(issuer?.key ?? key))
        }
    }

    static func digest(_ bytes: [UInt8]) -> FirmwareSigning.FileDigest {
        var d = FirmwareSigning.FileDigest()
        d.update(bytes[..<(bytes.count / 2)])
        d.update(bytes[(bytes.count / 2)...])
        return d
    }

    @Test func whitepaper_L01_FR_02_signingCertificateChainsToManufacturerRoot() throws {
        let root = try Authority("root", ca: true)
        let signer = try Authority("signer", issuer: root, ca: false)
        let found = try FirmwareSigning.verifySigningCertificate(signer.pem, roots: [root.pem], now: Date())
        #expect(found == signer.certificate)
        // Through a sub-CA carried after the signing certificate.
        let sub = try Authority("sub", issuer: root, ca: true)
        let leaf = try Authority("leaf", issuer: sub, ca: false)
        #expect(try FirmwareSigning.verifySigningCertificate(leaf.pem + sub.pem, roots: [root.pem], now: Date()) == leaf.certificate)
    }

    @Test func whitepaper_L01_FR_03_foreignExpiredOrRootlessCertificateRefused() throws {
        let root = try Authority("root", ca: true), other = try Authority("other", ca: true)
        let signer = try Authority("signer", issuer: root, ca: false)
        #expect(throws: PKIError.self) { try FirmwareSigning.verifySigningCertificate(signer.pem, roots: [other.pem], now: Date()) }
        #expect(throws: PKIError("no ManufacturerRootCertificate is installed")) {
            try FirmwareSigning.verifySigningCertificate(signer.pem, roots: [], now: Date())
        }
        let expired = try Authority("old", issuer: root, ca: false, notBefore: Date() - 7200, notAfter: Date() - 3600)
        #expect(throws: PKIError.self) { try FirmwareSigning.verifySigningCertificate(expired.pem, roots: [root.pem], now: Date()) }
        // A leaf may not act as the sub-CA of another leaf.
        let notCA = try Authority("notca", issuer: root, ca: false)
        let below = try Authority("below", issuer: notCA, ca: false)
        #expect(throws: PKIError("certificate 2 of the chain is not a certificate authority")) {
            try FirmwareSigning.verifySigningCertificate(below.pem + notCA.pem, roots: [root.pem], now: Date())
        }
        #expect(throws: PKIError.self) { try FirmwareSigning.verifySigningCertificate("not pem", roots: [root.pem], now: Date()) }
    }

    @Test func whitepaper_L01_FR_04_signatureOverTheWholeFile() throws {
        let root = try Authority("root", ca: true)
        let signer = try Authority("signer", issuer: root, ca: false)
        let file = Array((0..<5000).map { UInt8($0 % 251) })
        let signature = try signer.key.signature(for: file).derRepresentation.base64EncodedString()
        try FirmwareSigning.verifySignature(signature, file: Self.digest(file), signingCertificatePEM: signer.pem)
        var tampered = file
        tampered[4321] ^= 1
        #expect(throws: PKIError("the signature does not match the file")) {
            try FirmwareSigning.verifySignature(signature, file: Self.digest(tampered), signingCertificatePEM: signer.pem)
        }
        let foreign = try P256.Signing.PrivateKey().signature(for: file).derRepresentation.base64EncodedString()
        #expect(throws: PKIError("the signature does not match the file")) {
            try FirmwareSigning.verifySignature(foreign, file: Self.digest(file), signingCertificatePEM: signer.pem)
        }
        #expect(throws: PKIError("the signature is not a DER-encoded ECDSA signature")) {
            try FirmwareSigning.verifySignature(Data("garbage".utf8).base64EncodedString(), file: Self.digest(file), signingCertificatePEM: signer.pem)
        }
        #expect(throws: PKIError("the signature is not base64 of at most 800 characters")) {
            try FirmwareSigning.verifySignature("!!!", file: Self.digest(file), signingCertificatePEM: signer.pem)
        }
    }
}
