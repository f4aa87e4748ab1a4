import Crypto
import Foundation
import PKI
import SwiftASN1
import Testing
import X509

/// The central system's check of a profile-3 client certificate (OCPP 1.6 security whitepaper ed. 3 §2.3, A00.FR.4xx).
@Suite struct ClientCertificateCheckTests {
    struct Issuer {
        let key = P256.Signing.PrivateKey()
        let certificate: Certificate
        init(_ cn: String, signedBy parent: Issuer? = nil, now: Date = Date()) throws {
            let name = try DistinguishedName { CommonName(cn) }
            certificate = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now - 3600, notValidAfter: now + 86_400,
                issuer: parent?.certificate.subject ?? name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions { Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil)) },
                issuerPrivateKey: .init(parent?.key ?? key))
        }

        func leaf(_ cn: String, notBefore: Date = Date() - 3600, notAfter: Date = Date() + 86_400) throws -> [UInt8] {
            let key = P256.Signing.PrivateKey()
            let cert = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: notBefore, notValidAfter: notAfter,
                issuer: certificate.subject, subject: try DistinguishedName { OrganizationName("CPO"); CommonName(cn) },
                signatureAlgorithm: .ecdsaWithSHA256, extensions: Certificate.Extensions {}, issuerPrivateKey: .init(self.key))
            return try Self.der(cert)
        }

        static func der(_ c: Certificate) throws -> [UInt8] {
            var s = DER.Serializer()
            try s.serialize(c)
            return s.serializedBytes
        }
    }

    @Test func whitepaper_A00_FR_4xx_leafSignedByConfiguredCAIsValidWithItsCN() throws {
        let ca = try Issuer("Gateway CA")
        let check = ClientCertificateCheck(trusted: [ca.certificate])
        #expect(check.check(chainDER: [try ca.leaf("CP1")], now: Date()) == .valid(commonName: "CP1"))
    }

    @Test func whitepaper_A00_FR_4xx_subCAInThePresentedChainIsFollowed() throws {
        let root = try Issuer("Root"), sub = try Issuer("Sub CA", signedBy: root)
        let check = ClientCertificateCheck(trusted: [root.certificate])
        #expect(check.check(chainDER: [try sub.leaf("CP2"), try Issuer.der(sub.certificate)], now: Date()) == .valid(commonName: "CP2"))
        // Without the sub-CA the leaf leads nowhere.
        guard case .refused(let reason) = check.check(chainDER: [try sub.leaf("CP2")], now: Date()) else { Issue.record("accepted"); return }
        #expect(reason.hasPrefix("the client certificate is not signed by the configured CA"))
    }

    @Test func whitepaper_A00_FR_4xx_foreignCAIsRefused() throws {
        let ca = try Issuer("Gateway CA"), foreign = try Issuer("Gateway CA")  // same name, other key
        let check = ClientCertificateCheck(trusted: [ca.certificate])
        #expect(check.check(chainDER: [try foreign.leaf("CP1")], now: Date())
                == .refused("the client certificate is not signed by the configured CA (issuer CN=Gateway CA)"))
    }

    @Test func whitepaper_A00_FR_4xx_expiredAndNotYetValidAreRefused() throws {
        let ca = try Issuer("Gateway CA")
        let check = ClientCertificateCheck(trusted: [ca.certificate])
        let end = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01 00:00:00 UTC
        let expired = try ca.leaf("CP1", notBefore: end - 86_400, notAfter: end)
        #expect(check.check(chainDER: [expired], now: end + 1) == .refused("the client certificate expired on 2026-01-01 00:00:00 UTC"))
        #expect(check.check(chainDER: [expired], now: end - 86_401) == .refused("the client certificate is not valid before 2025-12-31 00:00:00 UTC"))
    }

    @Test func unreadableEmptyAndOverlongChainsAreRefused() throws {
        let ca = try Issuer("Gateway CA")
        let check = ClientCertificateCheck(trusted: [ca.certificate])
        #expect(check.check(chainDER: [], now: Date()) == .refused("no client certificate"))
        #expect(check.check(chainDER: [[0x30, 0x03, 0x02, 0x01, 0x01]], now: Date()) == .refused("the client certificate is not a valid X.509 certificate"))
        let leaf = try ca.leaf("CP1")
        #expect(check.check(chainDER: Array(repeating: leaf, count: 7), now: Date()) == .refused("the client certificate chain is too long"))
    }

    @Test func caFileFromPEM() throws {
        let ca = try Issuer("Gateway CA")
        let check = try ClientCertificateCheck(pem: try ca.certificate.serializeAsPEM().pemString)
        #expect(check.check(chainDER: [try ca.leaf("CP9")], now: Date()) == .valid(commonName: "CP9"))
        #expect(throws: PKIError("the text holds no certificate")) { try ClientCertificateCheck(pem: "") }
    }
}
