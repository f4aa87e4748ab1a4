import Crypto
import EXI
import Foundation
@testable import SECC
import SwiftASN1
import Testing
import V2G
import X509

/// Messages of an independent vehicle: Josev's (iso15118 0.31.2) PaymentDetailsReq and signed AuthorizationReq, encoded
/// by its EXIficient codec, with the certificates of its PKI script (Fixtures/josev-pnc.json, written by
/// Tests/Interop/iso15118/pnc_fixture.py).
struct JosevPnC: Decodable {
    var sessionID: String
    var genChallenge: String
    var eMAID: String
    var paymentDetailsReq: String
    var authorizationReq: String
    var authorizationReqZeroChallenge: String
    var moRoot: String
    var v2gRoot: String

    static func load() throws -> JosevPnC {
        let dir = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return try JSONDecoder().decode(JosevPnC.self, from: Data(contentsOf: dir.appendingPathComponent("josev-pnc.json")))
    }

    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var it = hex.makeIterator()
        while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
        return out
    }

    func certificate(_ hex: String) throws -> Certificate { try Certificate(derEncoded: Self.bytes(hex)) }
}

@Suite("Plug & Charge in the ISO 15118-2 session: the contract chain, the challenge and the signature, against Josev's vehicle")
struct SECCPlugAndChargeTests {
    /// A vehicle that chose the contract and is about to send PaymentDetailsReq.
    static func atPaymentDetails(_ f: JosevPnC, roots: [Certificate], central: Bool = false) throws -> Vehicle {
        var ev = Vehicle(configuration: SECCConfiguration(contract: SECCContractSettings(roots: roots, centralValidationAllowed: central)),
                         newSessionID: JosevPnC.bytes(f.sessionID), genChallenge: JosevPnC.bytes(f.genChallenge))
        _ = try ev.setUp()
        guard case .serviceDiscoveryRes(let services)? = try ev.send(.serviceDiscoveryReq(ISO2ServiceDiscoveryReqType())) else {
            Issue.record("no ServiceDiscoveryRes"); return ev
        }
        #expect(services.paymentOptionList.paymentOption == [.contract, .externalPayment])
        let contract = ISO2PaymentServiceSelectionReqType(selectedPaymentOption: .contract,
                                                          selectedServiceList: Vehicle.externalPayment.selectedServiceList)
        #expect(code(try ev.send(.paymentServiceSelectionReq(contract))) == "OK")
        return ev
    }

    @Test("Josev's contract chain, challenge and signature are accepted; the station learns the eMAID and the chain")
    func accepted() throws {
        let f = try JosevPnC.load()
        var ev = try Self.atPaymentDetails(f, roots: [try f.certificate(f.v2gRoot), try f.certificate(f.moRoot)])
        guard case .paymentDetailsRes(let details)? = try ev.send(raw: JosevPnC.bytes(f.paymentDetailsReq)) else {
            Issue.record("no PaymentDetailsRes: \(ev.events)"); return
        }
        #expect(details.responseCode == .ok && details.genChallenge == JosevPnC.bytes(f.genChallenge))
        #expect(details.evseTimeStamp == 1_798_761_600)
        guard case .contractPresented(let eMAID, let pem)? = ev.events.last else { Issue.record("no contract event"); return }
        #expect(eMAID == "UKSWI123456791A" && eMAID == f.eMAID)
        #expect(pem.components(separatedBy: "BEGIN CERTIFICATE").count == 4, "leaf and two sub-CAs")

        guard case .authorizationRes(let waiting)? = try ev.send(raw: JosevPnC.bytes(f.authorizationReq)) else {
            Issue.record("no AuthorizationRes: \(ev.events)"); return
        }
        #expect(waiting.responseCode == .ok && waiting.evseProcessing == .ongoing_WaitingForCustomerInteraction,
                "signature good; the backend has not answered yet")
        ev.view.authorized = true
        guard case .authorizationRes(let done)? = try ev.send(.authorizationReq(ISO2AuthorizationReqType())) else { return }
        #expect(done.evseProcessing == .finished, "the repeated request of the Ongoing loop is not signed")
    }

    @Test("a signature over another challenge is FAILED_ChallengeInvalid; a changed signature FAILED_SignatureError")
    func challengeAndSignature() throws {
        let f = try JosevPnC.load()
        let roots = [try f.certificate(f.moRoot)]
        var zero = try Self.atPaymentDetails(f, roots: roots)
        try zero.send(raw: JosevPnC.bytes(f.paymentDetailsReq))
        #expect(code(try zero.send(raw: JosevPnC.bytes(f.authorizationReqZeroChallenge))) == "FAILED_ChallengeInvalid" && zero.closed)

        var message = try EXI.ISO2.decode(JosevPnC.bytes(f.authorizationReq))
        message.header.signature?.signatureValue.value[5] ^= 0x01
        var tampered = try Self.atPaymentDetails(f, roots: roots)
        try tampered.send(raw: JosevPnC.bytes(f.paymentDetailsReq))
        #expect(code(try tampered.send(raw: try EXI.ISO2.encode(message))) == "FAILED_SignatureError" && tampered.closed)

        var unsigned = try EXI.ISO2.decode(JosevPnC.bytes(f.authorizationReq))
        unsigned.header.signature = nil
        var bare = try Self.atPaymentDetails(f, roots: roots)
        try bare.send(raw: JosevPnC.bytes(f.paymentDetailsReq))
        #expect(code(try bare.send(raw: try EXI.ISO2.encode(unsigned))) == "FAILED_SignatureError")

        var refused = try Self.atPaymentDetails(f, roots: roots)
        try refused.send(raw: JosevPnC.bytes(f.paymentDetailsReq))
        refused.view.contractRejected = true
        #expect(code(try refused.send(raw: JosevPnC.bytes(f.authorizationReq))) == "FAILED", "the backend refused the contract")
    }

    @Test("the chain: expired, no root installed, a root that did not sign it, central validation, a foreign eMAID")
    func chainChecks() throws {
        let f = try JosevPnC.load()
        var late = try Self.atPaymentDetails(f, roots: [try f.certificate(f.moRoot)])
        late.date = Date(timeIntervalSince1970: 2_000_000_000)  // 2033: the contract leaf expired
        #expect(code(try late.send(raw: JosevPnC.bytes(f.paymentDetailsReq))) == "FAILED_CertificateExpired")
        var none = try Self.atPaymentDetails(f, roots: [])
        #expect(code(try none.send(raw: JosevPnC.bytes(f.paymentDetailsReq))) == "FAILED_NoCertificateAvailable")
        var foreign = try Self.atPaymentDetails(f, roots: [try f.certificate(f.v2gRoot)])
        #expect(code(try foreign.send(raw: JosevPnC.bytes(f.paymentDetailsReq))) == "FAILED_CertChainError")
        var central = try Self.atPaymentDetails(f, roots: [try f.certificate(f.v2gRoot)], central: true)
        #expect(code(try central.send(raw: JosevPnC.bytes(f.paymentDetailsReq))) == "OK", "the backend validates")

        var message = try EXI.ISO2.decode(JosevPnC.bytes(f.paymentDetailsReq))
        guard case .paymentDetailsReq(var r)? = message.body.bodyElement else { Issue.record("not PaymentDetailsReq"); return }
        #expect(ContractChain.normalizedEMAID("uk-swi-123456791-a") == ContractChain.normalizedEMAID(r.eMAID))
        r.eMAID = "DEABC123456789X"
        message.body.bodyElement = .paymentDetailsReq(r)
        var other = try Self.atPaymentDetails(f, roots: [try f.certificate(f.moRoot)])
        #expect(code(try other.send(raw: try EXI.ISO2.encode(message))) == "FAILED_CertChainError")
    }

    @Test("without TLS (no contract settings) or without a challenge the contract is neither offered nor accepted")
    func externalOnly() throws {
        let f = try JosevPnC.load()
        var noChallenge = Vehicle(configuration: SECCConfiguration(contract: SECCContractSettings(roots: [], centralValidationAllowed: true)))
        _ = try noChallenge.setUp()
        guard case .serviceDiscoveryRes(let services)? = try noChallenge.send(.serviceDiscoveryReq(ISO2ServiceDiscoveryReqType())) else { return }
        #expect(services.paymentOptionList.paymentOption == [.externalPayment])
        var plain = Vehicle(genChallenge: JosevPnC.bytes(f.genChallenge))
        _ = try plain.setUp()
        try plain.send(.serviceDiscoveryReq(ISO2ServiceDiscoveryReqType()))
        let contract = ISO2PaymentServiceSelectionReqType(selectedPaymentOption: .contract, selectedServiceList: Vehicle.externalPayment.selectedServiceList)
        #expect(code(try plain.send(.paymentServiceSelectionReq(contract))) == "FAILED_PaymentSelectionInvalid")
        var eim = Vehicle()
        _ = try eim.setUp()
        #expect(try eim.send(raw: JosevPnC.bytes(f.paymentDetailsReq)).map(code) == "FAILED_SequenceError")
    }
}

@Suite("Contract certificate installation: offered with the backend's help, forwarded as it came, answered as the backend answered")
struct SECCCertificateInstallationTests {
    static let installation = ISO2BodyElement.certificateInstallationReq(ISO2CertificateInstallationReqType(
        id: "id1", oemProvisioningCert: [0x30, 0x03, 0x02, 0x01, 0x01],
        listOfRootCertificateIDs: ISO2ListOfRootCertificateIDsType(rootCertificateID: [
            ISO2X509IssuerSerialType(x509IssuerName: "CN=V2GRootCA", x509SerialNumber: 12345)
        ])))

    /// A vehicle that chose the contract and the certificate service.
    static func atInstallation(offered: Bool = true) throws -> Vehicle {
        var ev = Vehicle(configuration: SECCConfiguration(contract: SECCContractSettings(roots: [], centralValidationAllowed: true,
                                                                                          certificateInstallation: offered)),
                         genChallenge: [UInt8](repeating: 9, count: 16))
        _ = try ev.setUp()
        guard case .serviceDiscoveryRes(let services)? = try ev.send(.serviceDiscoveryReq(ISO2ServiceDiscoveryReqType())) else { return ev }
        #expect(services.serviceList?.service.map(\.serviceID) == (offered ? [2] : nil))
        if offered {
            guard case .serviceDetailRes(let detail)? = try ev.send(.serviceDetailReq(ISO2ServiceDetailReqType(serviceID: 2))) else { return ev }
            #expect(detail.serviceParameterList?.parameterSet.map(\.parameter) == [[ISO2ParameterType(name: "Service", stringValue: "Installation")],
                                                                                 [ISO2ParameterType(name: "Service", stringValue: "Update")]])
        }
        let ids = offered ? [1, 2] : [1]
        #expect(code(try ev.send(.paymentServiceSelectionReq(ISO2PaymentServiceSelectionReqType(
            selectedPaymentOption: .contract,
            selectedServiceList: ISO2SelectedServiceListType(selectedService: ids.map { ISO2SelectedServiceType(serviceID: $0) }))))) == "OK")
        return ev
    }

    static func request(_ ev: Vehicle) throws -> [UInt8] {
        try EXI.ISO2.encode(ISO2V2GMessage(header: ISO2MessageHeaderType(sessionID: ev.sessionID), body: ISO2BodyType(bodyElement: installation)))
    }

    @Test("the request goes to the backend whole; its answer goes to the vehicle byte for byte; PaymentDetails follows")
    func forwarded() throws {
        var ev = try Self.atInstallation()
        let bytes = try Self.request(ev)
        let step = ev.secc.receive(V2GTPFrame(payloadType: .exi, payload: bytes), view: ev.view, now: .zero, date: ev.date)
        #expect(step.response == nil && !step.close)
        #expect(step.forward == SECCForward(action: .install, schemaVersion: "urn:iso:15118:2:2013:MsgDef", exiRequest: Data(bytes).base64EncodedString()))
        guard let answerBody = ISO2Messages.failed(Self.installation, .ok, evseID: "ZZ00000", rcd: false) else { Issue.record("no body"); return }
        let answer = try EXI.ISO2.encode(ISO2V2GMessage(header: ISO2MessageHeaderType(sessionID: ev.sessionID), body: ISO2BodyType(bodyElement: answerBody)))
        let sent = ev.secc.backendAnswered(answer, view: ev.view, now: .zero, date: ev.date)
        #expect(sent.response == V2GTPFrame(payloadType: .exi, payload: answer) && !sent.close)
        let f = try JosevPnC.load()
        var message = try EXI.ISO2.decode(JosevPnC.bytes(f.paymentDetailsReq))
        message.header.sessionID = ev.sessionID
        #expect(code(try ev.send(raw: try EXI.ISO2.encode(message))) == "OK", "the new contract is presented next")
    }

    @Test("no answer in time, or not a CertificateInstallationRes: FAILED_NoCertificateAvailable and the session ends")
    func noAnswer() throws {
        for answer in [nil, [0x80, 0x98, 0x02] as [UInt8]?] {
            var ev = try Self.atInstallation()
            _ = ev.secc.receive(V2GTPFrame(payloadType: .exi, payload: try Self.request(ev)), view: ev.view, now: .zero, date: ev.date)
            let step = ev.secc.backendAnswered(answer, view: ev.view, now: .zero, date: ev.date)
            let frame = try #require(step.response)
            guard case .certificateInstallationRes(let r)? = try EXI.ISO2.decode(frame.payload).body.bodyElement else {
                Issue.record("not a CertificateInstallationRes"); continue
            }
            #expect(r.responseCode == .failed_NoCertificateAvailable && step.close)
        }
    }

    @Test("without the service the request is out of sequence, answered in its own type")
    func notOffered() throws {
        var ev = try Self.atInstallation(offered: false)
        #expect(code(try ev.send(Self.installation)) == "FAILED_SequenceError" && ev.closed)
        var update = try Self.atInstallation(offered: false)
        #expect(code(try update.send(raw: try Self.signedUpdate(update.sessionID).bytes)) == "FAILED_SequenceError")
    }

    /// A CertificateUpdateReq signed as ISO 15118-2:2014 §7.9.2.4 asks, with the key of the contract it renews (a
    /// certificate made here; the signature's algorithm is the one Josev's signatures are checked with above).
    static func signedUpdate(_ sessionID: [UInt8], tamper: Bool = false) throws -> (bytes: [UInt8], update: ISO2CertificateUpdateReqType) {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("UKSWI123456791A") }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: Date(timeIntervalSince1970: 1_700_000_000), notValidAfter: Date(timeIntervalSince1970: 1_900_000_000),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256, extensions: Certificate.Extensions(),
            issuerPrivateKey: Certificate.PrivateKey(key))
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        let update = ISO2CertificateUpdateReqType(
            id: "id1", contractSignatureCertChain: ISO2CertificateChainType(certificate: serializer.serializedBytes), eMAID: "UKSWI123456791A",
            listOfRootCertificateIDs: ISO2ListOfRootCertificateIDsType(rootCertificateID: [
                ISO2X509IssuerSerialType(x509IssuerName: "CN=MORootCA", x509SerialNumber: 1)
            ]))
        let fragment = try EXI.ISO2.encodeFragment(ISO2Signature.node(update))
        let info = ISO2SignedInfoType(
            canonicalizationMethod: ISO2CanonicalizationMethodType(algorithm: "http://www.w3.org/TR/canonical-exi/"),
            signatureMethod: ISO2SignatureMethodType(algorithm: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"),
            reference: [ISO2ReferenceType(
                uri: "#id1", transforms: ISO2TransformsType(transform: [ISO2TransformType(algorithm: "http://www.w3.org/TR/canonical-exi/")]),
                digestMethod: ISO2DigestMethodType(algorithm: "http://www.w3.org/2001/04/xmlenc#sha256"),
                digestValue: Array(SHA256.hash(data: fragment)))])
        var value = Array(try key.signature(for: EXI.ISO2.signedInfoFragment(info)).rawRepresentation)
        if tamper { value[3] ^= 0x40 }
        let header = ISO2MessageHeaderType(sessionID: sessionID, signature: ISO2SignatureType(signedInfo: info, signatureValue: ISO2SignatureValueType(value: value)))
        let bytes = try EXI.ISO2.encode(ISO2V2GMessage(header: header, body: ISO2BodyType(bodyElement: .certificateUpdateReq(update))))
        return (bytes, update)
    }

    @Test("an update signed with the present contract's key goes to the backend (action Update); its answer to the vehicle")
    func update() throws {
        var ev = try Self.atInstallation()
        let (bytes, update) = try Self.signedUpdate(ev.sessionID)
        let step = ev.secc.receive(V2GTPFrame(payloadType: .exi, payload: bytes), view: ev.view, now: .zero, date: ev.date)
        #expect(step.forward == SECCForward(action: .update, schemaVersion: "urn:iso:15118:2:2013:MsgDef", exiRequest: Data(bytes).base64EncodedString()))
        guard let answerBody = ISO2Messages.failed(.certificateUpdateReq(update), .ok, evseID: "ZZ00000", rcd: false) else { Issue.record("no body"); return }
        let answer = try EXI.ISO2.encode(ISO2V2GMessage(header: ISO2MessageHeaderType(sessionID: ev.sessionID), body: ISO2BodyType(bodyElement: answerBody)))
        let sent = ev.secc.backendAnswered(answer, view: ev.view, now: .zero, date: ev.date)
        #expect(sent.response == V2GTPFrame(payloadType: .exi, payload: answer) && !sent.close && sent.responseName == "CertificateUpdateRes")

        var wrongType = try Self.atInstallation()
        _ = wrongType.secc.receive(V2GTPFrame(payloadType: .exi, payload: try Self.signedUpdate(wrongType.sessionID).bytes),
                                   view: wrongType.view, now: .zero, date: wrongType.date)
        let installationAnswer = try EXI.ISO2.encode(ISO2V2GMessage(header: ISO2MessageHeaderType(sessionID: wrongType.sessionID), body: ISO2BodyType(
            bodyElement: ISO2Messages.failed(Self.installation, .ok, evseID: "ZZ00000", rcd: false))))
        let refused = wrongType.secc.backendAnswered(installationAnswer, view: wrongType.view, now: .zero, date: wrongType.date)
        guard case .certificateUpdateRes(let r)? = try EXI.ISO2.decode(try #require(refused.response).payload).body.bodyElement else {
            Issue.record("not a CertificateUpdateRes"); return
        }
        #expect(r.responseCode == .failed_NoCertificateAvailable && refused.close, "an installation answer does not answer an update")
    }

    @Test("an update with a changed signature is FAILED_SignatureError; with a chain that is no certificate FAILED_CertChainError")
    func updateRefused() throws {
        var tampered = try Self.atInstallation()
        #expect(code(try tampered.send(raw: try Self.signedUpdate(tampered.sessionID, tamper: true).bytes)) == "FAILED_SignatureError" && tampered.closed)
        var garbage = try Self.atInstallation()
        let request = ISO2BodyElement.certificateUpdateReq(ISO2CertificateUpdateReqType(
            id: "id1", contractSignatureCertChain: ISO2CertificateChainType(certificate: [0x30, 0x00]), eMAID: "UKSWI123456791A",
            listOfRootCertificateIDs: ISO2ListOfRootCertificateIDsType(rootCertificateID: [
                ISO2X509IssuerSerialType(x509IssuerName: "CN=MORootCA", x509SerialNumber: 1)
            ])))
        guard case .certificateUpdateRes(let r)? = try garbage.send(request) else { Issue.record("no CertificateUpdateRes"); return }
        #expect(r.responseCode == .failed_CertChainError && garbage.closed)
    }
}
