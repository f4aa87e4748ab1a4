import Crypto
import Foundation
import Testing
import ChargePoint
import OCPP16
import PKI
import Persistence
import SwiftASN1
import X509

/// A CA made in the test (P-256): self-signed, or a cross-certificate signed by `issuer`.
private struct CA {
    let key = P256.Signing.PrivateKey()
    let certificate: Certificate

    init(_ cn: String, at now: Date, days: Double = 365, expired: Bool = false, issuer: CA? = nil) throws {
        let name = try DistinguishedName { CommonName(cn) }
        certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: expired ? now - 400 * 86_400 : now - 86_400, notValidAfter: expired ? now - 86_400 : now + days * 86_400,
            issuer: issuer?.certificate.subject ?? name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil)) },
            issuerPrivateKey: .init(issuer?.key ?? key))
    }

    var pem: String { (try? certificate.serializeAsPEM().pemString) ?? "" }

    /// Signs the CSR's key with subject O, CN from the CSR, valid for `days`.
    func sign(csr text: String, at now: Date, days: Double = 90) throws -> String {
        let csr = try CertificateSigningRequest(pemEncoded: text)
        let leaf = try Certificate(version: .v3, serialNumber: .init(), publicKey: csr.publicKey, notValidBefore: now - 60,
                                   notValidAfter: now + days * 86_400, issuer: certificate.subject, subject: csr.subject,
                                   signatureAlgorithm: .ecdsaWithSHA256, extensions: Certificate.Extensions {}, issuerPrivateKey: .init(key))
        return try leaf.serializeAsPEM().pemString
    }
}

/// Certificate management of the OCPP 1.6 security whitepaper ed. 3 on the station, frames in and out (the pytest
/// mirror against the `ocpp` library is Tests/Interop/ocpp16/test_security_certificates.py).
@Suite struct SecurityCertificateTests {
    static func station(additionalCheck: Bool = false) throws -> ChargePointHarness {
        var h = try ChargePointHarness(connectors: 1, config: [("CpoName", "ChargeKit CPO")] + (additionalCheck ? [("AdditionalRootCertificateCheck", "On")] : []))
        h.connect()
        return h
    }

    /// Asks for a CSR and returns it (ExtendedTriggerMessage SignChargePointCertificate).
    static func requestCSR(_ h: inout ChargePointHarness) throws -> String {
        let mark = h.sent.count
        #expect(try h.call(ExtendedTriggerMessageRequest(requestedMessage: .signChargePointCertificate)).status == .accepted)
        h.run(1)
        let csr = try #require(h.calls(SignCertificateRequest.action, since: mark).last?["csr"]?.text)
        return csr
    }

    @Test func TC_074_updateChargePointCertificateByRequest() throws {
        var h = try Self.station()
        let root = try CA("CPO Root", at: h.now)
        #expect(try h.call(InstallCertificateRequest(certificateType: .centralSystemRootCertificate, certificate: root.pem)).status == .accepted)
        let csrText = try Self.requestCSR(&h)
        let csr = try CertificateSigningRequest(pemEncoded: csrText)
        #expect(csr.subject.description == "CN=\(ChargePointHarness.identity),O=ChargeKit CPO", "A02.FR.13: O = CpoName, CN = identity")
        #expect(csr.publicKey.isValidSignature(csr.signature, for: csr))
        let pending = try #require(try h.certificates.pendingPrivateKey())
        #expect(try ChargePointKey(pem: pending).publicKey == csr.publicKey, "the key of the CSR is kept, durable, for CertificateSigned")

        let chain = try root.sign(csr: csrText, at: h.now)
        #expect(try h.call(CertificateSignedRequest(certificateChain: chain)).status == .accepted)
        #expect(try h.certificates.chargePointCredential() == ChargePointCredential(certificateChainPEM: chain, privateKeyPEM: pending))
        #expect(try h.certificates.pendingPrivateKey() == nil)
        #expect(try h.certificates.previousChargePointCredential() == nil)

        // A02: the next renewal keeps the old credential as fallback.
        let second = try root.sign(csr: try Self.requestCSR(&h), at: h.now)
        #expect(try h.call(CertificateSignedRequest(certificateChain: second)).status == .accepted)
        #expect(try h.certificates.chargePointCredential()?.certificateChainPEM == second)
        #expect(try h.certificates.previousChargePointCredential()?.certificateChainPEM == chain)
    }

    @Test func whitepaper_A02_FR_13_noCpoNameNoCSR() throws {
        var h = try ChargePointHarness(connectors: 1)
        h.connect()
        let mark = h.sent.count
        #expect(try h.call(ExtendedTriggerMessageRequest(requestedMessage: .signChargePointCertificate)).status == .rejected)
        h.run(1)
        #expect(h.calls(SignCertificateRequest.action, since: mark).isEmpty)
    }

    @Test func TC_077_invalidChargePointCertificateSecurityEvent() throws {
        var h = try Self.station()
        let root = try CA("CPO Root", at: h.now)
        _ = try h.call(InstallCertificateRequest(certificateType: .centralSystemRootCertificate, certificate: root.pem))
        let csr = try Self.requestCSR(&h)
        let foreign = try CA("Foreign CA", at: h.now)
        // Signed by a CA that is not installed; then garbage; then over CertificateSignedMaxChainSize.
        for chain in [try foreign.sign(csr: csr, at: h.now), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"] {
            let logs = h.logs.count
            #expect(try h.call(CertificateSignedRequest(certificateChain: chain)).status == .rejected)
            #expect(h.logs[logs...].contains { $0.hasPrefix("security event InvalidChargePointCertificate") })
        }
        #expect(try h.certificates.chargePointCredential() == nil)
        #expect(try h.certificates.pendingPrivateKey() != nil, "a refused chain leaves the request pending")
        // The right one still goes in afterwards.
        #expect(try h.call(CertificateSignedRequest(certificateChain: try root.sign(csr: csr, at: h.now))).status == .accepted)
    }

    @Test func TC_075_installCertificateAndList() throws {
        var h = try Self.station()
        for use in CertificateUse.allCases {
            #expect(try h.call(GetInstalledCertificateIdsRequest(certificateType: use)).status == .notFound, "M03.FR.02: NotFound when empty")
        }
        let manufacturer = try CA("Manufacturer Root", at: h.now)
        #expect(try h.call(InstallCertificateRequest(certificateType: .manufacturerRootCertificate, certificate: manufacturer.pem)).status == .accepted)
        let answer = try h.call(GetInstalledCertificateIdsRequest(certificateType: .manufacturerRootCertificate))
        let expected = try CertificateHash(of: manufacturer.certificate)
        #expect(answer.status == .accepted)
        #expect(answer.certificateHashData == [CertificateHashData(hashAlgorithm: .sha256, issuerNameHash: expected.issuerNameHash,
                                                                   issuerKeyHash: expected.issuerKeyHash, serialNumber: expected.serialNumber)])
        #expect(try h.call(GetInstalledCertificateIdsRequest(certificateType: .centralSystemRootCertificate)).status == .notFound)
        // Installing the same again adds no copy.
        #expect(try h.call(InstallCertificateRequest(certificateType: .manufacturerRootCertificate, certificate: manufacturer.pem)).status == .accepted)
        #expect(try h.certificates.rootCertificates(.manufacturerRootCertificate).count == 1)
    }

    @Test func whitepaper_CertificateStoreMaxLength_fullStoreRejects() throws {
        var h = try Self.station()
        for i in 0..<OCPPConfigurationKeys.certificateStoreMaxLength {
            let use: CertificateUse = i % 2 == 0 ? .manufacturerRootCertificate : .centralSystemRootCertificate
            #expect(try h.call(InstallCertificateRequest(certificateType: use, certificate: try CA("Root \(i)", at: h.now).pem)).status == .accepted)
        }
        #expect(try h.call(InstallCertificateRequest(certificateType: .manufacturerRootCertificate, certificate: try CA("One more", at: h.now).pem)).status == .rejected)
        let config = try h.call(GetConfigurationRequest(key: ["CertificateStoreMaxLength", "CertificateSignedMaxChainSize", "CpoName", "AdditionalRootCertificateCheck"]))
        #expect(config.configurationKey?.map(\.key) == ["CertificateStoreMaxLength", "CertificateSignedMaxChainSize", "CpoName", "AdditionalRootCertificateCheck"])
        #expect(config.configurationKey?.map(\.readonly) == [true, true, false, true])
        #expect(config.configurationKey?.map(\.value) == ["20", "10000", "ChargeKit CPO", "false"])
    }

    @Test func TC_078_invalidCentralSystemCertificateSecurityEvent() throws {
        var h = try Self.station()
        let expired = try CA("Expired Root", at: h.now, expired: true)
        let logs = h.logs.count
        #expect(try h.call(InstallCertificateRequest(certificateType: .centralSystemRootCertificate, certificate: expired.pem)).status == .rejected)
        #expect(h.logs[logs...].contains { $0.hasPrefix("security event InvalidCentralSystemCertificate") })
        #expect(try h.call(InstallCertificateRequest(certificateType: .centralSystemRootCertificate, certificate: "not a certificate")).status == .rejected)
        #expect(try h.certificates.rootCertificates(.centralSystemRootCertificate).isEmpty)
        // An invalid manufacturer root is Rejected without that event.
        let mark = h.logs.count
        #expect(try h.call(InstallCertificateRequest(certificateType: .manufacturerRootCertificate, certificate: expired.pem)).status == .rejected)
        #expect(!h.logs[mark...].contains { $0.hasPrefix("security event") })
    }

    @Test func whitepaper_M05_FR_08_additionalRootCertificateCheck() throws {
        var h = try Self.station(additionalCheck: true)
        let first = try CA("CS Root 1", at: h.now)
        #expect(try h.call(InstallCertificateRequest(certificateType: .centralSystemRootCertificate, certificate: first.pem)).status == .accepted)
        #expect(try h.call(InstallCertificateRequest(certificateType: .centralSystemRootCertificate, certificate: try CA("Stranger", at: h.now).pem)).status == .rejected)
        let second = try CA("CS Root 2", at: h.now, issuer: first)
        #expect(try h.call(InstallCertificateRequest(certificateType: .centralSystemRootCertificate, certificate: second.pem)).status == .accepted)
        let third = try CA("CS Root 3", at: h.now, issuer: second)
        #expect(try h.call(InstallCertificateRequest(certificateType: .centralSystemRootCertificate, certificate: third.pem)).status == .accepted)
        #expect(try h.certificates.rootCertificates(.centralSystemRootCertificate) == [second.pem, third.pem], "M05.FR.10/11: the new root and one fallback")
    }

    @Test func TC_076_deleteCertificate() throws {
        var h = try Self.station()
        let a = try CA("CS Root A", at: h.now), b = try CA("CS Root B", at: h.now)
        for ca in [a, b] {
            #expect(try h.call(InstallCertificateRequest(certificateType: .centralSystemRootCertificate, certificate: ca.pem)).status == .accepted)
        }
        let listed = try #require(try h.call(GetInstalledCertificateIdsRequest(certificateType: .centralSystemRootCertificate)).certificateHashData)
        #expect(listed.count == 2)
        #expect(try h.call(DeleteCertificateRequest(certificateHashData: listed[1])).status == .accepted)
        #expect(try h.call(GetInstalledCertificateIdsRequest(certificateType: .centralSystemRootCertificate)).certificateHashData == [listed[0]])
        #expect(try h.call(DeleteCertificateRequest(certificateHashData: listed[1])).status == .notFound)
        // M04.FR.06: the last central system root stays.
        #expect(try h.call(DeleteCertificateRequest(certificateHashData: listed[0])).status == .failed)
        // Upper-case hex names the same certificate (edition 3 clarified the fields).
        var upper = listed[0]
        upper.issuerNameHash = upper.issuerNameHash.uppercased(); upper.serialNumber = upper.serialNumber.uppercased()
        #expect(try h.call(DeleteCertificateRequest(certificateHashData: upper)).status == .failed)
        // M04.FR.05: the charge point's own certificate is never deleted.
        let chain = try a.sign(csr: try Self.requestCSR(&h), at: h.now)
        #expect(try h.call(CertificateSignedRequest(certificateChain: chain)).status == .accepted)
        let leaf = try PEMCertificates.parse(chain)[0]
        let own = try CertificateHash(of: leaf, issuerKey: a.certificate.publicKey)
        #expect(try h.call(DeleteCertificateRequest(certificateHashData: CertificateHashData(
            hashAlgorithm: .sha256, issuerNameHash: own.issuerNameHash, issuerKeyHash: own.issuerKeyHash, serialNumber: own.serialNumber))).status == .failed)
        #expect(try h.certificates.chargePointCredential() != nil)
    }

    @Test func whitepaper_5_5_extendedTriggerMessage() throws {
        var h = try Self.station()
        for (message, action) in [(ExtendedMessageTrigger.heartbeat, "Heartbeat"), (.logStatusNotification, "LogStatusNotification"),
                                  (.statusNotification, "StatusNotification"), (.firmwareStatusNotification, "FirmwareStatusNotification"),
                                  (.meterValues, "MeterValues")] {
            let mark = h.sent.count
            #expect(try h.call(ExtendedTriggerMessageRequest(requestedMessage: message, connectorId: message == .meterValues ? 1 : nil)).status == .accepted)
            h.run(1)
            #expect(!h.calls(action, since: mark).isEmpty, "\(action)")
            if action == "LogStatusNotification" { #expect(h.calls(action, since: mark).first == .object(["status": .string("Idle")])) }
        }
        #expect(try h.call(ExtendedTriggerMessageRequest(requestedMessage: .heartbeat, connectorId: 2)).status == .rejected)
        // BootNotification after an accepted registration: Rejected until the next connection, as TriggerMessage.
        #expect(try h.call(ExtendedTriggerMessageRequest(requestedMessage: .bootNotification)).status == .rejected)
    }

    /// A03: a month before the certificate ends the station asks for a new one itself, and again with a doubling
    /// back-off while no CertificateSigned comes.
    @Test func whitepaper_A03_renewalBeforeExpiry() throws {
        var h = try Self.station()
        let root = try CA("CPO Root", at: h.now)
        _ = try h.call(InstallCertificateRequest(certificateType: .centralSystemRootCertificate, certificate: root.pem))
        // A certificate of 40 days: no renewal yet.
        let first = try root.sign(csr: try Self.requestCSR(&h), at: h.now, days: 40)
        #expect(try h.call(CertificateSignedRequest(certificateChain: first)).status == .accepted)
        var mark = h.sent.count
        h.run(2 * 3600, every: 60)
        #expect(h.calls(SignCertificateRequest.action, since: mark).isEmpty)
        // 11 days later it ends within a month: a CSR, and without an answer another after 1 h, then 2 h.
        h.now = h.now.addingTimeInterval(11 * 86_400)
        mark = h.sent.count
        h.run(60, every: 10)
        #expect(h.calls(SignCertificateRequest.action, since: mark).count == 1)
        h.run(3600, every: 60)
        #expect(h.calls(SignCertificateRequest.action, since: mark).count == 2)
        h.run(3600, every: 60)
        #expect(h.calls(SignCertificateRequest.action, since: mark).count == 2, "the back-off doubles")
        h.run(3600, every: 60)
        #expect(h.calls(SignCertificateRequest.action, since: mark).count == 3)
        // The answer to the last CSR ends the renewal.
        let csr = try #require(h.calls(SignCertificateRequest.action, since: mark).last?["csr"]?.text)
        #expect(try h.call(CertificateSignedRequest(certificateChain: try root.sign(csr: csr, at: h.now))).status == .accepted)
        mark = h.sent.count
        h.run(4 * 3600, every: 60)
        #expect(h.calls(SignCertificateRequest.action, since: mark).isEmpty)
        #expect(CertificateRenewal.retrySeconds(after: 1) == 3600 && CertificateRenewal.retrySeconds(after: 3) == 4 * 3600
                && CertificateRenewal.retrySeconds(after: 30) == 86_400)
    }
}

private extension JSONValue {
    var text: String? { if case .string(let s) = self { s } else { nil } }
}
