import Foundation
import Testing
@testable import OCPP16

/// The OCPP 2.0.1 payloads of the OCA application note "Using ISO 15118 Plug & Charge with OCPP 1.6" v1.0 and their
/// schemas (OCPP 2.0.1 Part 2 §1, Part 3): closed objects, CustomDataType open, the bounds of 2.0.1.
@Suite("ISO 15118 Plug & Charge payloads")
struct ISO15118PnCMessageTests {
    func decode<P: OCPPPayload>(_ type: P.Type, _ text: String) throws -> P {
        try OCPPCoding.decode(P.self, from: try JSONParser.parse(text))
    }

    func violation<P: OCPPPayload>(_ type: P.Type, _ text: String) -> OCPPError? {
        do { _ = try decode(type, text); return nil } catch let e as OCPPError { return e } catch { return nil }
    }

    @Test("requests decode; customData is allowed with any members, anything else unknown is a FormationViolation")
    func customData() throws {
        let r = try decode(ISO15118PnC.InstallCertificateRequest.self,
                           #"{"customData":{"vendorId":"x","more":[1,2]},"certificateType":"MORootCertificate","certificate":"pem"}"#)
        #expect(r.certificateType == .moRootCertificate && r.certificate == "pem")
        #expect(violation(ISO15118PnC.InstallCertificateRequest.self, #"{"certificateType":"MORootCertificate","certificate":"p","x":1}"#)?.code == .formationViolation)
        #expect(violation(ISO15118PnC.InstallCertificateRequest.self, #"{"customData":{},"certificateType":"MORootCertificate","certificate":"p"}"#)?.code
                == .occurenceConstraintViolation, "customData needs its vendorId")
    }

    @Test("2.0.1 bounds: enumerations, lengths, array sizes")
    func bounds() {
        #expect(violation(ISO15118PnC.InstallCertificateRequest.self, #"{"certificateType":"CentralSystemRootCertificate","certificate":"p"}"#)?.code
                == .propertyConstraintViolation, "the 1.6 name is not a 2.0.1 InstallCertificateUse")
        let long = String(repeating: "a", count: 10_001)
        #expect(violation(ISO15118PnC.CertificateSignedRequest.self, #"{"certificateChain":"\#(long)"}"#)?.code == .propertyConstraintViolation)
        let hash = #"{"hashAlgorithm":"SHA256","issuerNameHash":"a","issuerKeyHash":"b","serialNumber":"1","responderURL":""}"#
        let five = Array(repeating: hash, count: 5).joined(separator: ",")
        let e = violation(ISO15118PnC.AuthorizeRequest.self, #"{"idToken":{"idToken":"E","type":"eMAID"},"iso15118CertificateHashData":[\#(five)]}"#)
        #expect(e?.code == .occurenceConstraintViolation && e?.description.contains("more than 4") == true)
        #expect(violation(ISO15118PnC.GetInstalledCertificateIdsRequest.self, #"{"certificateType":[]}"#)?.code == .occurenceConstraintViolation)
    }

    @Test("the station's requests encode to what the 2.0.1 schema accepts")
    func roundTrip() throws {
        let data = ISO15118PnC.OCSPRequestData(hashAlgorithm: .sha256, issuerNameHash: "aa", issuerKeyHash: "bb", serialNumber: "1", responderURL: "http://o")
        let authorize = ISO15118PnC.AuthorizeRequest(idToken: .init(idToken: "DE8AACA2B3C4D5N", type: .eMAID), iso15118CertificateHashData: [data])
        let json = OCPPCoding.encode(authorize)
        // The encoder writes keys sorted; absent optionals are left out.
        #expect(json.serialized == #"{"idToken":{"idToken":"DE8AACA2B3C4D5N","type":"eMAID"},"iso15118CertificateHashData":[{"hashAlgorithm":"SHA256","issuerKeyHash":"bb","issuerNameHash":"aa","responderURL":"http://o","serialNumber":"1"}]}"#)
        #expect(try OCPPCoding.decode(ISO15118PnC.AuthorizeRequest.self, from: json) == authorize)
        let answer = try decode(ISO15118PnC.AuthorizeResponse.self,
                                #"{"idTokenInfo":{"status":"Accepted","cacheExpiryDateTime":"2030-01-01T00:00:00Z","groupIdToken":{"idToken":"G","type":"Central"}},"certificateStatus":"CertificateRevoked"}"#)
        #expect(answer.idTokenInfo.status == .accepted && answer.idTokenInfo.groupIdToken?.idToken == "G" && answer.certificateStatus == .certificateRevoked)
        let sign = ISO15118PnC.SignCertificateRequest(csr: "csr", certificateType: .v2gCertificate)
        #expect(OCPPCoding.encode(sign).serialized == #"{"certificateType":"V2GCertificate","csr":"csr"}"#)
    }
}
