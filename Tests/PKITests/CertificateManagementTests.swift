import Crypto
import Foundation
import PKI
import SwiftASN1
import Testing
import X509

/// The certificate checks and data of the OCPP 1.6 security whitepaper ed. 3 (A02/A03, M03–M05).
@Suite struct CertificateManagementTests {
    let now = TestCA.now

    @Test func whitepaper_A02_FR_13_csrSubjectIsCpoNameAndIdentity() throws {
        let key = ChargePointKey.generate()
        let text = try SigningRequest.make(key: key, organization: "ChargeKit CPO", commonName: "CK-TEST-01")
        let csr = try CertificateSigningRequest(pemEncoded: text)
        #expect(csr.subject.description == "CN=CK-TEST-01,O=ChargeKit CPO")
        #expect(csr.publicKey == key.publicKey)
        #expect(csr.publicKey.isValidSignature(csr.signature, for: csr))
        #expect(csr.signatureAlgorithm == .ecdsaWithSHA256)
        #expect(text.hasPrefix("-----BEGIN CERTIFICATE REQUEST-----") && text.utf8.count <= 5500)
        #expect(throws: PKIError("CpoName is empty: the CSR needs O = CpoName")) {
            try SigningRequest.make(key: key, organization: "", commonName: "CK-TEST-01")
        }
        #expect(!"\(key)".contains("PRIVATE"), "the key's description hides it")
        #expect(try ChargePointKey(pem: key.pem).publicKey == key.publicKey)
    }

    @Test func whitepaper_A02_FR_06_certificateSignedChainChecks() throws {
        let root = try TestCA("CPO Root")
        let sub = try TestCA("CPO Sub-CA", issuer: root)
        let key = ChargePointKey.generate()
        let leaf = try sub.issue(key.publicKey, cn: "CK-TEST-01")
        let chain = try pem(leaf, sub.certificate)
        let ok = try CertificateChecks.chargePointChain(chain, maxBytes: 10_000, pendingKey: key, roots: [root.certificate], now: now)
        #expect(ok == [leaf, sub.certificate])
        // A leaf signed by the root directly.
        let direct = try root.issue(key.publicKey, cn: "CK-TEST-01")
        #expect(try CertificateChecks.chargePointChain(pem(direct), maxBytes: 10_000, pendingKey: key, roots: [root.certificate], now: now).count == 1)

        func refused(_ text: String, key pending: ChargePointKey? = key, roots: [Certificate]? = nil, at: Date? = nil, max: Int = 10_000) -> String? {
            do {
                _ = try CertificateChecks.chargePointChain(text, maxBytes: max, pendingKey: pending, roots: roots ?? [root.certificate], now: at ?? now)
                return nil
            } catch { return error.description }
        }
        #expect(refused(chain, max: chain.utf8.count - 1) == "the certificate text has more than \(chain.utf8.count - 1) bytes")
        #expect(refused(chain, key: nil) == "no certificate was requested (no SignCertificate is pending)")
        #expect(refused(chain, key: .generate()) == "the certificate is not for the key of the last CSR")
        #expect(refused(chain, at: now + 100 * 86_400)?.hasPrefix("the certificate expired at") == true)
        #expect(refused(chain, at: now - 2 * 3600)?.hasPrefix("the certificate is not valid before") == true)
        #expect(refused(chain, roots: [try TestCA("Foreign Root").certificate]) == "the chain does not lead to an installed CentralSystemRootCertificate")
        #expect(refused(chain, roots: []) == "no CentralSystemRootCertificate is installed to check the chain against")
        // The sub-CA missing from the chain: the leaf does not lead to the root.
        #expect(refused(try pem(leaf)) == "the chain does not lead to an installed CentralSystemRootCertificate")
        // A sub-CA that is no CA.
        let notCA = try TestCA("Not a CA", ca: false, issuer: root)
        let leaf2 = try notCA.issue(key.publicKey, cn: "CK-TEST-01")
        #expect(refused(try pem(leaf2, notCA.certificate)) == "sub-CA certificate 1 is not a CA certificate")
        // The chain in the wrong order.
        #expect(refused(try pem(sub.certificate, leaf)) == "the certificate is not for the key of the last CSR")
    }

    @Test func whitepaper_M05_rootChecks() throws {
        let root = try TestCA("CS Root")
        #expect(try CertificateChecks.root(root.pem, now: now) == root.certificate)
        func refused(_ text: String, signedBy old: Certificate? = nil) -> String? {
            do { _ = try CertificateChecks.root(text, now: now, signedBy: old); return nil } catch { return error.description }
        }
        #expect(refused(try TestCA("Old", notBefore: now - 400 * 86_400, notAfter: now - 86_400).pem)?.hasPrefix("the certificate expired at") == true)
        #expect(refused(try TestCA("Leaf", ca: false).pem) == "the certificate is not a CA certificate")
        let sub = try TestCA("Sub", issuer: root)
        #expect(refused(sub.pem) == "the certificate is not self-signed")
        #expect(refused("garbage") == "the text holds no certificate")
        #expect(refused(try pem(root.certificate, root.certificate)) == "the text holds 2 certificates, at most 1 are allowed")
        // M05.FR.08/09 (AdditionalRootCertificateCheck): the new root must be signed by the old one.
        let successor = try TestCA("CS Root 2", issuer: root)
        #expect(try CertificateChecks.root(successor.pem, now: now, signedBy: root.certificate) == successor.certificate)
        #expect(refused(try TestCA("CS Root 3").pem, signedBy: root.certificate) == "the new root is not signed by the installed one (AdditionalRootCertificateCheck)")
    }

    /// Edition 3's clarification: the hashes of OCSP's CertID (RFC 6960 §4.1.1) — SHA-256 over the DER issuer name and
    /// over the issuer key's BIT STRING value — and the serial number in hex without leading zeroes.
    @Test func whitepaper_ed3_certificateHashDataAsOCSP() throws {
        let root = try TestCA("Hash Root")
        let hash = try CertificateHash(of: root.certificate)
        var serializer = DER.Serializer()
        try serializer.serialize(root.certificate.issuer)
        #expect(hash.issuerNameHash == SHA256.hash(data: serializer.serializedBytes).map { String(format: "%02x", $0) }.joined())
        // The BIT STRING value of a P-256 key is its X9.63 point (65 bytes, 04 ‖ x ‖ y): not the whole SPKI.
        #expect(hash.issuerKeyHash == SHA256.hash(data: root.key.publicKey.x963Representation).map { String(format: "%02x", $0) }.joined())
        let serial = root.certificate.serialNumber.bytes.map { String(format: "%02x", $0) }.joined()
        #expect(hash.serialNumber == String(serial.drop { $0 == "0" }))
        #expect(hash.algorithm == .sha256 && hash.issuerNameHash.count == 64)
        // Matching ignores hex case and the serial's leading zeroes; another algorithm is another hash.
        var upper = hash
        upper.issuerKeyHash = upper.issuerKeyHash.uppercased(); upper.serialNumber = "00" + upper.serialNumber.uppercased()
        #expect(hash.matches(upper))
        #expect(!hash.matches(try CertificateHash(of: root.certificate, algorithm: .sha384)))
        // A certificate issued by another: the issuer's key.
        let leaf = try root.issue(ChargePointKey.generate().publicKey, cn: "x")
        #expect(try CertificateHash(of: leaf, issuerKey: root.certificate.publicKey).issuerKeyHash == hash.issuerKeyHash)
    }
}
