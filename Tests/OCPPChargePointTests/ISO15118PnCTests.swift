import Crypto
import Foundation
import Testing
import ChargePoint
import OCPP16
import PKI
import Persistence
import SwiftASN1
import X509

/// A CA of the test's ISO 15118-2 Annex F hierarchy (P-256): a root, or a sub-CA signed by `issuer`.
private struct V2GCA {
    let key = P256.Signing.PrivateKey()
    let certificate: Certificate

    init(_ cn: String, at now: Date, issuer: V2GCA? = nil) throws {
        let name = try DistinguishedName { CommonName(cn) }
        certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: now - 86_400, notValidAfter: now + 365 * 86_400,
            issuer: issuer?.certificate.subject ?? name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil)) },
            issuerPrivateKey: .init(issuer?.key ?? key))
    }

    var pem: String { (try? certificate.serializeAsPEM().pemString) ?? "" }

    /// A leaf for `publicKey` with subject CN = `cn`.
    func issue(_ publicKey: Certificate.PublicKey, cn: String, at now: Date) throws -> String {
        let leaf = try Certificate(version: .v3, serialNumber: .init(), publicKey: publicKey, notValidBefore: now - 60, notValidAfter: now + 90 * 86_400,
                                   issuer: certificate.subject, subject: try DistinguishedName { CommonName(cn) },
                                   signatureAlgorithm: .ecdsaWithSHA256, extensions: Certificate.Extensions {}, issuerPrivateKey: .init(key))
        return try leaf.serializeAsPEM().pemString
    }
}

/// ISO 15118 Plug & Charge through the OCA application note "Using ISO 15118 Plug & Charge with OCPP 1.6" v1.0 on the
/// station, frames in and out (the pytest mirror against the `ocpp` library is
/// Tests/Interop/ocpp16/test_pnc_extension.py).
@Suite struct ISO15118PnCTests {
    static func station(extension on: Bool = true) throws -> ChargePointHarness {
        var h = try ChargePointHarness(connectors: 1, config: [("CpoName", "ChargeKit CPO")] + (on ? [("ISO15118OCPPExtension", "Ebee")] : []))
        h.connect()
        return h
    }

    /// Sends the note's DataTransfer with a 2.0.1 request and returns the DataTransfer.conf.
    static func pnc<R: OCPPRequest>(_ h: inout ChargePointHarness, _ request: R) throws -> DataTransferResponse {
        try h.call(DataTransferRequest(vendorId: ISO15118PnC.vendorID, messageId: R.action, data: OCPPCoding.encode(request).serialized))
    }

    /// The 2.0.1 response inside an Accepted DataTransfer.conf.
    static func answer<R: OCPPRequest>(_ h: inout ChargePointHarness, _ request: R) throws -> R.Response {
        let r = try pnc(&h, request)
        #expect(r.status == .accepted)
        return try OCPPCoding.decode(R.Response.self, from: try JSONParser.parse(try #require(r.data)))
    }

    /// The inner requests of the note's DataTransfers the charge point sent with `messageId`.
    static func sentPnC(_ h: ChargePointHarness, _ messageId: String, since mark: Int = 0) throws -> [JSONValue] {
        try h.calls(DataTransferRequest.action, since: mark).compactMap { p in
            let r = try DataTransferRequest(json: p)
            guard r.vendorId == ISO15118PnC.vendorID, r.messageId == messageId, let data = r.data else { return nil }
            return try JSONParser.parse(data)
        }
    }

    @Test func M05_installV2GRoot_M03_listsIt_M04_deletesIt() throws {
        var h = try Self.station()
        let root = try V2GCA("V2G Root", at: h.now)
        #expect(try Self.answer(&h, ISO15118PnC.InstallCertificateRequest(certificateType: .v2gRootCertificate, certificate: root.pem)).status == .accepted)
        #expect(try h.certificates.iso15118RootCertificates(.v2gRootCertificate) == [root.pem], "stored before the answer")
        let listed = try Self.answer(&h, ISO15118PnC.GetInstalledCertificateIdsRequest(certificateType: [.v2gRootCertificate]))
        let hash = try CertificateHash(of: root.certificate)
        #expect(listed.certificateHashDataChain?.map(\.certificateHashData.serialNumber) == [hash.serialNumber])
        #expect(listed.certificateHashDataChain?.first?.certificateHashData.issuerKeyHash == hash.issuerKeyHash)
        let delete = ISO15118PnC.DeleteCertificateRequest(certificateHashData: CertificateHashData(
            hashAlgorithm: .sha256, issuerNameHash: hash.issuerNameHash, issuerKeyHash: hash.issuerKeyHash, serialNumber: hash.serialNumber))
        #expect(try Self.answer(&h, delete).status == .accepted)
        #expect(try h.certificates.iso15118RootCertificates(.v2gRootCertificate).isEmpty)
        #expect(try Self.answer(&h, delete).status == .notFound)
    }

    @Test func M05_aLeafOrGarbageIsRejectedAndNotStored() throws {
        var h = try Self.station()
        let root = try V2GCA("MO Root", at: h.now)
        let leaf = try root.issue(.init(P256.Signing.PrivateKey().publicKey), cn: "leaf", at: h.now)
        for text in [leaf, "garbage"] {
            let r = try Self.answer(&h, ISO15118PnC.InstallCertificateRequest(certificateType: .moRootCertificate, certificate: text))
            #expect(r.status == .rejected && r.statusInfo?.reasonCode == "InvalidCertificate")
        }
        #expect(try h.certificates.iso15118RootCertificates(.moRootCertificate).isEmpty)
    }

    @Test func A02_V2GCertificateByRequestOfTheCSMS_andM06() throws {
        var h = try Self.station()
        let root = try V2GCA("V2G Root", at: h.now)
        let sub1 = try V2GCA("CPO Sub-CA 1", at: h.now, issuer: root)
        let sub2 = try V2GCA("CPO Sub-CA 2", at: h.now, issuer: sub1)
        _ = try Self.answer(&h, ISO15118PnC.InstallCertificateRequest(certificateType: .v2gRootCertificate, certificate: root.pem))
        let mark = h.mark
        #expect(try Self.answer(&h, ISO15118PnC.TriggerMessageRequest(requestedMessage: .signV2GCertificate)).status == .accepted)
        h.run(1)
        let sign = try #require(try Self.sentPnC(h, "SignCertificate", since: mark).first)
        let request = try OCPPCoding.decode(ISO15118PnC.SignCertificateRequest.self, from: sign)
        #expect(request.certificateType == .v2gCertificate)
        let csr = try CertificateSigningRequest(pemEncoded: request.csr)
        #expect(csr.subject.description == "DC=CPO,O=ChargeKit CPO,CN=\(ChargePointHarness.identity)")
        #expect(csr.publicKey.isValidSignature(csr.signature, for: csr))
        #expect(try h.certificates.pendingSECCPrivateKey() != nil, "the key is kept before the CSR goes out")
        #expect(try h.certificates.pendingPrivateKey() == nil, "the charge point's own pending key is another")

        let chain = try sub2.issue(csr.publicKey, cn: ChargePointHarness.identity, at: h.now) + sub2.pem + sub1.pem
        let statusMark = h.mark
        #expect(try Self.answer(&h, ISO15118PnC.CertificateSignedRequest(certificateChain: chain, certificateType: .v2gCertificate)).status == .accepted)
        #expect(try h.certificates.seccCredential()?.certificateChainPEM == chain)
        #expect(OCPPChargePoint.seccCredential(h.certificates)?.certificateChainPEM == chain)
        let listed = try Self.answer(&h, ISO15118PnC.GetInstalledCertificateIdsRequest(certificateType: [.v2gCertificateChain]))
        #expect(listed.certificateHashDataChain?.count == 1 && listed.certificateHashDataChain?.first?.childCertificateHashData?.count == 2)
        h.run(2)
        #expect(try Self.sentPnC(h, "GetCertificateStatus", since: statusMark).count == 3, "M06: the OCSP status of leaf and both sub-CAs")
    }

    @Test func A02_certificateSignedForAnotherKeyIsRejected() throws {
        var h = try Self.station()
        let root = try V2GCA("V2G Root", at: h.now)
        _ = try Self.answer(&h, ISO15118PnC.InstallCertificateRequest(certificateType: .v2gRootCertificate, certificate: root.pem))
        _ = try Self.answer(&h, ISO15118PnC.TriggerMessageRequest(requestedMessage: .signV2GCertificate))
        let mark = h.mark
        let chain = try root.issue(.init(P256.Signing.PrivateKey().publicKey), cn: ChargePointHarness.identity, at: h.now)
        let r = try Self.answer(&h, ISO15118PnC.CertificateSignedRequest(certificateChain: chain, certificateType: .v2gCertificate))
        #expect(r.status == .rejected)
        #expect(try h.certificates.seccCredential() == nil)
        h.run(1)
        #expect(h.calls(SecurityEventNotificationRequest.action, since: mark).contains { $0["type"] == .string("InvalidChargePointCertificate") })
    }

    @Test func badDataIsRejected_unknownMessageAndVendor() throws {
        var h = try Self.station()
        func dt(_ vendor: String, _ id: String?, _ data: String?) throws -> DataTransferResponse {
            try h.call(DataTransferRequest(vendorId: vendor, messageId: id, data: data))
        }
        let wrongEnum = try dt(ISO15118PnC.vendorID, "InstallCertificate", #"{"certificateType":"X","certificate":"y"}"#)
        #expect(wrongEnum.status == .rejected && wrongEnum.data?.contains("certificateType") == true)
        #expect(try dt(ISO15118PnC.vendorID, "InstallCertificate", "{").status == .rejected)
        #expect(try dt(ISO15118PnC.vendorID, "InstallCertificate", nil).status == .rejected)
        #expect(try dt(ISO15118PnC.vendorID, "Authorize", "{}").status == .unknownMessageId)
        #expect(try dt(ISO15118PnC.vendorID, nil, nil).status == .unknownMessageId)
        #expect(try dt("com.example", "InstallCertificate", "{}").status == .unknownVendorId)
        var off = try Self.station(extension: false)
        #expect(try off.call(DataTransferRequest(vendorId: ISO15118PnC.vendorID, messageId: "InstallCertificate", data: "{}")).status == .unknownVendorId)
    }

    @Test func C07_contractAuthorizedByTheBackendStartsCharging() throws {
        var h = try Self.station()
        h.dataTransfer = { r in
            guard r.messageId == "Authorize" else { return DataTransferResponse(status: .unknownMessageId) }
            let answer = ISO15118PnC.AuthorizeResponse(idTokenInfo: .init(status: .accepted), certificateStatus: .accepted)
            return DataTransferResponse(status: .accepted, data: OCPPCoding.encode(answer).serialized)
        }
        try h.plug()
        let mark = h.mark
        let hash = ISO15118PnC.OCSPRequestData(hashAlgorithm: .sha256, issuerNameHash: "aa", issuerKeyHash: "bb", serialNumber: "1", responderURL: "")
        h.event(.iso15118(.authorizeContract(connector: 1, eMAID: "DE8AACA2B3C4D5N", hashData: [hash], certificate: nil)))
        h.run(3)
        let sent = try #require(try Self.sentPnC(h, "Authorize", since: mark).first)
        let request = try OCPPCoding.decode(ISO15118PnC.AuthorizeRequest.self, from: sent)
        #expect(request.idToken == ISO15118PnC.IdToken(idToken: "DE8AACA2B3C4D5N", type: .eMAID))
        #expect(request.iso15118CertificateHashData == [hash])
        #expect(h.calls(AuthorizeRequest.action, since: mark).isEmpty)
        #expect(h.calls(StartTransactionRequest.action, since: mark).first?["idTag"] == .string("DE8AACA2B3C4D5N"))
        #expect(h.actions.contains(.iso15118(.contract(connector: 1, eMAID: "DE8AACA2B3C4D5N", status: .accepted, certificateStatus: .accepted))))
    }

    @Test func C07_revokedContractDoesNotCharge_M01_EXIRelayed() throws {
        var h = try Self.station()
        h.dataTransfer = { r in
            if r.messageId == "Get15118EVCertificate" {
                return DataTransferResponse(status: .accepted, data: #"{"status":"Accepted","exiResponse":"gA=="}"#)
            }
            let answer = ISO15118PnC.AuthorizeResponse(idTokenInfo: .init(status: .accepted), certificateStatus: .certificateRevoked)
            return DataTransferResponse(status: .accepted, data: OCPPCoding.encode(answer).serialized)
        }
        try h.plug()
        let mark = h.mark
        let hash = ISO15118PnC.OCSPRequestData(hashAlgorithm: .sha256, issuerNameHash: "aa", issuerKeyHash: "bb", serialNumber: "1", responderURL: "")
        h.event(.iso15118(.authorizeContract(connector: 1, eMAID: "DE8AACA2B3C4D5N", hashData: [hash], certificate: nil)))
        h.event(.iso15118(.requestEVCertificate(requestID: 7, exiRequest: "gAB=", action: .install, schemaVersion: "urn:iso:15118:2:2013:MsgDef")))
        h.run(3)
        #expect(h.calls(StartTransactionRequest.action, since: mark).isEmpty)
        #expect(h.actions.contains(.iso15118(.contract(connector: 1, eMAID: "DE8AACA2B3C4D5N", status: .invalid, certificateStatus: .certificateRevoked))))
        let exiAnswer = ISO15118PnC.Get15118EVCertificateResponse(status: .accepted, exiResponse: "gA==")
        #expect(h.actions.contains(.iso15118(.evCertificate(requestID: 7, exiAnswer))))
    }
}
