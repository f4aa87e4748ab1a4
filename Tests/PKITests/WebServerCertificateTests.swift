import _CryptoExtras
import Crypto
import Foundation
import PKI
import SwiftASN1
import Testing
import X509

/// The HTTPS certificate of the web interface (issue 23 item 2): the self-signed one, the fingerprint, the upload check.
@Suite struct WebServerCertificateTests {
    let now = TestCA.now

    @Test func selfSignedCarriesTheDeviceNamesForServerAuthOnly() throws {
        let key = ChargePointKey.generate()
        let names = WebServerCertificate.Names(commonName: "CK-TEST-01", dnsNames: ["localhost", "station-7"],
                                               ipAddresses: [[127, 0, 0, 1], [192, 0, 2, 2], [UInt8](repeating: 0, count: 15) + [1]])
        let text = try WebServerCertificate.makeSelfSigned(key: key, names: names, now: now)
        let certificate = try Certificate(pemEncoded: text)
        #expect(certificate.subject.description == "CN=CK-TEST-01,O=ChargeKit")
        #expect(certificate.issuer == certificate.subject)
        #expect(CertificateChecks.signed(certificate, by: certificate))
        #expect(key.isKey(of: certificate))
        #expect(certificate.notValidBefore == now - 3600)
        #expect(certificate.notValidAfter == now + Double(WebServerCertificate.selfSignedValidityDays) * 86_400)
        #expect(try certificate.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try certificate.extensions.extendedKeyUsage == ExtendedKeyUsage([.serverAuth]))
        let summary = try WebServerCertificate.summary(text)
        #expect(summary.names == ["ck-test-01", "localhost", "station-7", "127.0.0.1", "192.0.2.2", "0:0:0:0:0:0:0:1"])
        // A ChargeBoxIdentity that is no DNS name stays the CN only.
        let odd = try WebServerCertificate.makeSelfSigned(key: key, names: .init(commonName: "CP*01+A"), now: now)
        #expect(try WebServerCertificate.summary(odd).names == ["localhost", "127.0.0.1"])
    }

    @Test func selfSignedFitsUntilTheNameOrKeyChangesOrItNearsItsEnd() throws {
        let key = ChargePointKey.generate()
        let text = try WebServerCertificate.makeSelfSigned(key: key, names: .init(commonName: "CK-1"), now: now)
        #expect(WebServerCertificate.selfSignedFits(text, key: key, commonName: "CK-1", now: now))
        #expect(!WebServerCertificate.selfSignedFits(text, key: key, commonName: "CK-2", now: now), "a new identity makes a new certificate")
        #expect(!WebServerCertificate.selfSignedFits(text, key: .generate(), commonName: "CK-1", now: now), "another key")
        let late = now + Double(WebServerCertificate.selfSignedValidityDays - 20) * 86_400
        #expect(!WebServerCertificate.selfSignedFits(text, key: key, commonName: "CK-1", now: late), "less than 30 days left")
        #expect(!WebServerCertificate.selfSignedFits("garbage", key: key, commonName: "CK-1", now: now))
    }

    @Test func fingerprintIsSHA256OfTheDERInColonHex() throws {
        let key = ChargePointKey.generate()
        let text = try WebServerCertificate.makeSelfSigned(key: key, names: .init(commonName: "CK-1"), now: now)
        let der = try PEMDocument(pemString: text).derBytes
        let expected = SHA256.hash(data: der).map { String(format: "%02X", $0) }.joined(separator: ":")
        #expect(try WebServerCertificate.fingerprint(text) == expected)
        #expect(expected.count == 32 * 3 - 1)
    }

    @Test func uploadWithChainIsAccepted() throws {
        let root = try TestCA("Site Root")
        let sub = try TestCA("Site Sub-CA", issuer: root)
        let key = P256.Signing.PrivateKey()
        let leaf = try sub.issue(.init(key.publicKey), cn: "station.example")
        let chain = try WebServerCertificate.checkUpload(certificatePEM: pem(leaf), chainPEM: pem(sub.certificate, root.certificate),
                                                         keyPEM: key.pemRepresentation, now: now)
        #expect(chain == [leaf, sub.certificate, root.certificate])
        // The chain may also follow the certificate in one file, and stop below the root.
        #expect(try WebServerCertificate.checkUpload(certificatePEM: pem(leaf, sub.certificate), chainPEM: "", keyPEM: key.pemRepresentation,
                                                     now: now).count == 2)
        // RSA 2048 is accepted.
        let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let rsaLeaf = try root.issue(.init(rsa.publicKey), cn: "station.example")
        #expect(try WebServerCertificate.checkUpload(certificatePEM: pem(rsaLeaf), chainPEM: "", keyPEM: rsa.pemRepresentation, now: now).count == 1)
    }

    @Test func uploadRefusalsNameTheProblem() throws {
        let root = try TestCA("Site Root")
        let sub = try TestCA("Site Sub-CA", issuer: root)
        let key = P256.Signing.PrivateKey()
        let leaf = try sub.issue(.init(key.publicKey), cn: "station.example")
        func refused(_ certificate: String, _ chain: String = "", key keyPEM: String? = nil, at: Date? = nil) -> String? {
            do {
                _ = try WebServerCertificate.checkUpload(certificatePEM: certificate, chainPEM: chain, keyPEM: keyPEM ?? key.pemRepresentation,
                                                         now: at ?? now)
                return nil
            } catch { return error.description }
        }
        let leafPEM = try pem(leaf), subPEM = try pem(sub.certificate)
        #expect(refused("") == "no certificate was given")
        #expect(refused("hello") == "the text holds no certificate")
        #expect(refused(leafPEM, subPEM, key: "") == "no private key was given")
        #expect(refused(leafPEM, subPEM, key: P256.Signing.PrivateKey().pemRepresentation) == "the private key does not belong to the certificate")
        #expect(refused(leafPEM, subPEM, key: P384.Signing.PrivateKey().pemRepresentation)
            == "the private key must be P-256 (prime256v1) or RSA with at least 2048 bits")
        #expect(refused(leafPEM, subPEM, key: "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----")?
            .hasPrefix("the private key is protected by a passphrase") == true)
        #expect(refused(leafPEM, subPEM, at: now + 100 * 86_400)?.hasPrefix("the certificate expired at") == true)
        #expect(refused(leafPEM, subPEM, at: now - 2 * 3600)?.hasPrefix("the certificate is not valid before") == true)
        #expect(refused(leafPEM, try pem(root.certificate)) == "the certificate is not signed by chain certificate 1")
        #expect(refused(leafPEM, try pem(sub.certificate, TestCA("Other Root").certificate)) == "chain certificate 1 is not signed by chain certificate 2")
        let notCA = try TestCA("Not a CA", ca: false, issuer: root)
        let leaf2 = try notCA.issue(.init(key.publicKey), cn: "station.example")
        #expect(refused(try pem(leaf2), try pem(notCA.certificate)) == "chain certificate 1 is not a CA certificate")
        let rsa1024 = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024))
        let weak = try root.issue(.init(try _RSA.Signing.PrivateKey(keySize: .bits2048).publicKey), cn: "x")
        #expect(refused(try pem(weak), key: rsa1024.pemRepresentation) == "the RSA key has 1024 bits; at least 2048 are required")
    }
}
