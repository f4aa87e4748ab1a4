import Crypto
import Foundation
import PKI
import SwiftASN1
import Testing
import X509

/// The checks of ISO 15118 certificates (OCA application note "Using ISO 15118 Plug & Charge with OCPP 1.6" v1.0 with
/// OCPP 2.0.1 A02, M05, C07; ISO 15118-2:2014 Annex F).
@Suite struct ISO15118CertificatesTests {
    let now = TestCA.now

    @Test func A02_seccChainChecks() throws {
        let root = try TestCA("V2G Root")
        let sub = try TestCA("CPO Sub-CA", issuer: root)
        let key = ChargePointKey.generate()
        let leaf = try sub.issue(key.publicKey, cn: "CK-TEST-01")
        let chain = try pem(leaf, sub.certificate)
        #expect(try ISO15118Certificates.seccChain(chain, pendingKey: key, v2gRoots: [root.certificate], now: now).count == 2)
        #expect(throws: PKIError.self) { try ISO15118Certificates.seccChain(chain, pendingKey: ChargePointKey.generate(), v2gRoots: [root.certificate], now: now) }
        #expect(throws: PKIError("no V2GRootCertificate is installed to check the chain against")) {
            try ISO15118Certificates.seccChain(chain, pendingKey: key, v2gRoots: [], now: now)
        }
        #expect(throws: PKIError("the chain does not lead to an installed V2GRootCertificate")) {
            try ISO15118Certificates.seccChain(chain, pendingKey: key, v2gRoots: [try TestCA("Other Root").certificate], now: now)
        }
        #expect(throws: PKIError.self) { try ISO15118Certificates.seccChain(chain, pendingKey: key, v2gRoots: [root.certificate], now: now + 400 * 86_400) }
    }

    @Test func A02_v2gCSRSubject() throws {
        let key = ChargePointKey.generate()
        let csr = try CertificateSigningRequest(pemEncoded: try ISO15118Certificates.seccSigningRequest(key: key, organization: "ChargeKit CPO", commonName: "CK-TEST-01"))
        #expect(csr.subject.description == "DC=CPO,O=ChargeKit CPO,CN=CK-TEST-01")
        #expect(csr.publicKey == key.publicKey && csr.publicKey.isValidSignature(csr.signature, for: csr))
        #expect(throws: PKIError.self) { try ISO15118Certificates.seccSigningRequest(key: key, organization: "", commonName: "CK") }
    }

    @Test func C07_contractOCSPDataNamesEachIssuer() throws {
        let root = try TestCA("MO Root")
        let sub = try TestCA("MO Sub-CA", issuer: root)
        let leaf = try sub.issue(ChargePointKey.generate().publicKey, cn: "DE8AACA2B3C4D5N")
        let (eMAID, entries) = try ISO15118Certificates.contract(try pem(leaf, sub.certificate), roots: [root.certificate])
        #expect(eMAID == "DE8AACA2B3C4D5N")
        let expected = [try CertificateHash(of: leaf, issuerKey: sub.certificate.publicKey),
                        try CertificateHash(of: sub.certificate, issuerKey: root.certificate.publicKey)]
        #expect(entries.map(\.hash) == expected)
        // Without the root installed the sub-CA's issuer is unknown: only the leaf is named.
        let withoutRoot = try ISO15118Certificates.contract(try pem(leaf, sub.certificate), roots: [])
        #expect(withoutRoot.entries.count == 1)
        #expect(throws: PKIError.self) { try ISO15118Certificates.contract("junk", roots: []) }
    }
}
