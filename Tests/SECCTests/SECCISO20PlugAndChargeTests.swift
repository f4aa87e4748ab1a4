import EXI
import Foundation
@testable import SECC
import SwiftASN1
import Testing
import V2G
import X509

/// Josev's (iso15118 0.31.2) ISO 15118-20 AuthorizationReq selecting PnC, signed with the contract key of its -20 PKI
/// and encoded by its EXIficient codec (Fixtures/josev-pnc20.json, written by Tests/Interop/iso15118/pnc20_fixture.py).
struct JosevPnC20: Decodable {
    var sessionID: String
    var genChallenge: String
    var eMAID: String
    var authorizationReq: String
    var authorizationReqZeroChallenge: String
    var moRoot: String
    var v2gRoot: String

    static func load() throws -> JosevPnC20 {
        let dir = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return try JSONDecoder().decode(JosevPnC20.self, from: Data(contentsOf: dir.appendingPathComponent("josev-pnc20.json")))
    }

    func certificate(_ hex: String) throws -> Certificate { try Certificate(derEncoded: JosevPnC.bytes(hex)) }
}

@Suite("Plug & Charge in the ISO 15118-20 session: AuthorizationSetup's challenge, the contract chain and its signature, against Josev's vehicle")
struct SECCISO20PlugAndChargeTests {
    /// A vehicle over TLS whose AuthorizationSetupRes offered the contract; next comes AuthorizationReq.
    static func atAuthorization(_ f: JosevPnC20, roots: [Certificate], central: Bool = false, installation: Bool = false) throws -> Vehicle20 {
        let contract = SECCContractSettings(roots: roots, centralValidationAllowed: central, certificateInstallation: installation)
        var ev = Vehicle20(configuration: SECCConfiguration(protocols: [.iso15118_2, .iso15118_20AC], contract: contract, tls13: true),
                           newSessionID: JosevPnC.bytes(f.sessionID), genChallenge: JosevPnC.bytes(f.genChallenge))
        try ev.setUp()
        guard case .authorizationSetupRes(let setup)? = try ev.send(.authorizationSetupReq(ISO20CommonAuthorizationSetupReqType(header: ev.header))) else {
            Issue.record("no AuthorizationSetupRes"); return ev
        }
        #expect(setup.authorizationServices == [.eim, .pnC] && setup.certificateInstallationService == installation)
        #expect(setup.pnCASResAuthorizationMode?.genChallenge == JosevPnC.bytes(f.genChallenge) && setup.eimASResAuthorizationMode == nil)
        return ev
    }

    static func roots(_ f: JosevPnC20) throws -> [Certificate] { [try f.certificate(f.v2gRoot), try f.certificate(f.moRoot)] }

    @Test("Josev's signed contract is accepted: Ongoing while the station asks the backend, Finished once it authorized")
    func accepted() throws {
        let f = try JosevPnC20.load()
        var ev = try Self.atAuthorization(f, roots: try Self.roots(f))
        guard case .authorizationRes(let waiting)? = try ev.send(raw: JosevPnC.bytes(f.authorizationReq)) else {
            Issue.record("no AuthorizationRes: \(ev.events)"); return
        }
        #expect(waiting.responseCode == .ok && waiting.evseProcessing == .ongoing_WaitingForCustomerInteraction)
        let presented = ev.events.compactMap { if case .contractPresented(let e, let pem) = $0 { (e, pem) } else { nil } }
        #expect(presented.count == 1 && presented.first?.0 == f.eMAID && presented.first?.0 == "UKSWI123456791A")
        #expect(presented.first?.1.components(separatedBy: "BEGIN CERTIFICATE").count == 4, "leaf and two sub-CAs")

        // The vehicle repeats the unaltered request ([V2G20-1582]): not presented again.
        try ev.send(raw: JosevPnC.bytes(f.authorizationReq))
        #expect(ev.events.filter { if case .contractPresented = $0 { true } else { false } }.count == 1)
        ev.view.authorized = true
        guard case .authorizationRes(let done)? = try ev.send(raw: JosevPnC.bytes(f.authorizationReq)) else { return }
        #expect(done.responseCode == .ok && done.evseProcessing == .finished)
        #expect(code20(try ev.send(.serviceDiscoveryReq(ISO20CommonServiceDiscoveryReqType(header: ev.header)))) == "OK", "the session goes on")
    }

    @Test("another challenge is WARNING_ChallengeInvalid and the vehicle may choose EIM; a changed signature ends the session")
    func challengeAndSignature() throws {
        let f = try JosevPnC20.load()
        var zero = try Self.atAuthorization(f, roots: try Self.roots(f))
        #expect(code20(try zero.send(raw: JosevPnC.bytes(f.authorizationReqZeroChallenge))) == "WARNING_ChallengeInvalid" && !zero.closed)
        zero.view.authorized = true
        #expect(code20(try zero.send(.authorizationReq(ISO20CommonAuthorizationReqType(
            header: zero.header, selectedAuthorizationService: .eim, eimAReqAuthorizationMode: ISO20CommonEIMAReqAuthorizationModeType())))) == "OK")

        guard case .authorizationReq(var tampered) = try EXI.ISO20Common.decode(JosevPnC.bytes(f.authorizationReq)) else {
            Issue.record("not an AuthorizationReq"); return
        }
        tampered.header.signature?.signatureValue.value[7] ^= 0x01
        var bad = try Self.atAuthorization(f, roots: try Self.roots(f))
        #expect(code20(try bad.send(.authorizationReq(tampered))) == "FAILED_SignatureError" && bad.closed)

        tampered.header.signature = nil
        var unsigned = try Self.atAuthorization(f, roots: try Self.roots(f))
        #expect(code20(try unsigned.send(.authorizationReq(tampered))) == "FAILED_SignatureError")
    }

    @Test("the chain: no root, a root that did not sign it, expired, not yet valid, central validation; a refused contract")
    func chainChecks() throws {
        let f = try JosevPnC20.load()
        let request = JosevPnC.bytes(f.authorizationReq)
        var none = try Self.atAuthorization(f, roots: [])
        #expect(code20(try none.send(raw: request)) == "WARNING_NoCertificateAvailable" && !none.closed)
        var foreign = try Self.atAuthorization(f, roots: [try f.certificate(f.v2gRoot)])
        #expect(code20(try foreign.send(raw: request)) == "WARNING_CertificateValidationError")
        var late = try Self.atAuthorization(f, roots: try Self.roots(f))
        late.date = Date(timeIntervalSince1970: 2_000_000_000)  // 2033: the contract leaf expired
        #expect(code20(try late.send(raw: request)) == "WARNING_CertificateExpired")
        var early = try Self.atAuthorization(f, roots: try Self.roots(f))
        early.date = Date(timeIntervalSince1970: 1_700_000_000)  // 2023: before the PKI was made
        #expect(code20(try early.send(raw: request)) == "WARNING_CertificateNotYetValid")
        var central = try Self.atAuthorization(f, roots: [try f.certificate(f.v2gRoot)], central: true)
        #expect(code20(try central.send(raw: request)) == "OK", "the backend validates")

        var refused = try Self.atAuthorization(f, roots: try Self.roots(f))
        refused.view.contractRejected = true
        #expect(code20(try refused.send(raw: request)) == "WARNING_GeneralPnCAuthorizationError" && !refused.closed)
    }

    @Test("without TLS's contract settings or without a challenge only EIM is offered")
    func eimOnly() throws {
        let f = try JosevPnC20.load()
        var noChallenge = Vehicle20(configuration: SECCConfiguration(
            protocols: [.iso15118_20AC], contract: SECCContractSettings(roots: [], centralValidationAllowed: true), tls13: true))
        try noChallenge.setUp()
        guard case .authorizationSetupRes(let setup)? = try noChallenge.send(.authorizationSetupReq(ISO20CommonAuthorizationSetupReqType(header: noChallenge.header))) else {
            Issue.record("no AuthorizationSetupRes"); return
        }
        #expect(setup.authorizationServices == [.eim] && setup.pnCASResAuthorizationMode == nil)
        var plain = Vehicle20(newSessionID: JosevPnC.bytes(f.sessionID), genChallenge: JosevPnC.bytes(f.genChallenge))
        try plain.setUp()
        try plain.send(.authorizationSetupReq(ISO20CommonAuthorizationSetupReqType(header: plain.header)))
        #expect(code20(try plain.send(raw: JosevPnC.bytes(f.authorizationReq))) == "WARNING_AuthorizationSelectionInvalid")
    }
}

@Suite("ISO 15118-20 contract certificate installation: offered with the backend's help, forwarded whole, answered as the backend answered")
struct SECCISO20CertificateInstallationTests {
    static func request(_ ev: Vehicle20) -> EXI.ISO20Common.Message {
        .certificateInstallationReq(ISO20CommonCertificateInstallationReqType(
            header: ev.header,
            oemProvisioningCertificateChain: ISO20CommonSignedCertificateChainType(id: "id1", certificate: [0x30, 0x03, 0x02, 0x01, 0x01]),
            listOfRootCertificateIDs: ISO20CommonListOfRootCertificateIDsType(rootCertificateID: [
                ISO20CommonX509IssuerSerialType(x509IssuerName: "CN=V2GRootCA", x509SerialNumber: 12345)
            ]),
            maximumContractCertificateChains: 1))
    }

    static func atInstallation() throws -> (Vehicle20, [UInt8]) {
        let f = try JosevPnC20.load()
        var ev = try SECCISO20PlugAndChargeTests.atAuthorization(f, roots: [], central: true, installation: true)
        let bytes = try EXI.ISO20Common.encode(request(ev))
        let step = ev.secc.receive(V2GTPFrame(payloadType: .iso20Mainstream, payload: bytes), view: ev.view, now: .zero, date: ev.date)
        #expect(step.response == nil && !step.close)
        #expect(step.forward == SECCForward(action: .install, schemaVersion: "urn:iso:std:iso:15118:-20:CommonMessages",
                                            exiRequest: Data(bytes).base64EncodedString()))
        return (ev, bytes)
    }

    @Test("the backend's CertificateInstallationRes goes to the vehicle byte for byte; authorization follows")
    func forwarded() throws {
        var (ev, _) = try Self.atInstallation()
        let answer = try EXI.ISO20Common.encode(.certificateInstallationRes(ISO20Messages.placeholderInstallation(header: ev.header, code: .ok)))
        let sent = ev.secc.backendAnswered(answer, view: ev.view, now: .zero, date: ev.date)
        #expect(sent.response == V2GTPFrame(payloadType: .iso20Mainstream, payload: answer) && !sent.close)
        ev.view.authorized = true
        let f = try JosevPnC20.load()
        #expect(code20(try ev.send(raw: JosevPnC.bytes(f.authorizationReq))) == "OK", "the new contract authorizes next")
    }

    @Test("no answer: WARNING_NoCertificateAvailable and the session goes on; a FAILED answer is sent and ends it")
    func noAnswerOrRefused() throws {
        for answer in [nil, [0x80, 0x98, 0x02] as [UInt8]?] {
            var (ev, _) = try Self.atInstallation()
            let step = ev.secc.backendAnswered(answer, view: ev.view, now: .zero, date: ev.date)
            let frame = try #require(step.response)
            guard case .certificateInstallationRes(let r) = try EXI.ISO20Common.decode(frame.payload) else {
                Issue.record("not a CertificateInstallationRes"); continue
            }
            #expect(r.responseCode == .warning_NoCertificateAvailable && !step.close)
        }
        var (ev, _) = try Self.atInstallation()
        let refusal = try EXI.ISO20Common.encode(.certificateInstallationRes(ISO20Messages.placeholderInstallation(header: ev.header, code: .failed)))
        let step = ev.secc.backendAnswered(refusal, view: ev.view, now: .zero, date: ev.date)
        #expect(step.response?.payload == refusal && step.close)
    }

    @Test("without the service the request is out of sequence, answered in its own type")
    func notOffered() throws {
        let f = try JosevPnC20.load()
        var ev = try SECCISO20PlugAndChargeTests.atAuthorization(f, roots: [], central: true, installation: false)
        #expect(code20(try ev.send(Self.request(ev))) == "FAILED_SequenceError" && ev.closed)
    }
}
