import Foundation
import Testing
@testable import OCPP16

@Suite("OCPP-J framing")
struct FramingTests {
    @Test("frames parse and serialize")
    func roundTrip() throws {
        let call = try OCPPFrame.parse(#"[2,"19223201","BootNotification",{"chargePointVendor":"VendorX","chargePointModel":"SingleSocketCharger"}]"#)
        guard case .call(let id, let action, let payload) = call else { Issue.record("not a call"); return }
        #expect(id == "19223201" && action == "BootNotification")
        #expect(payload == .object(["chargePointVendor": .string("VendorX"), "chargePointModel": .string("SingleSocketCharger")]))
        #expect(try OCPPFrame.parse(call.serialized()) == call)
        let result = try OCPPFrame.parse(#"[3,"19223201",{"status":"Accepted","currentTime":"2013-02-01T20:53:32.486Z","interval":300}]"#)
        #expect(result.id == "19223201")
        let error = try OCPPFrame.parse(#"[4,"162376037","NotSupported","SetDisplayMessageRequest not implemented",{}]"#)
        #expect(error == .callError(id: "162376037", code: "NotSupported", description: "SetDisplayMessageRequest not implemented", details: .object([:])))
        #expect(OCPPFrame.error(OCPPError(.formationViolation, "bad"), id: "1").serialized() == #"[4,"1","FormationViolation","bad",{}]"#)
        #expect(OCPPFrame.call(id: "a", action: "Heartbeat", payload: .object([:])).serialized() == #"[2,"a","Heartbeat",{}]"#)
    }

    /// Only a CALL whose id could be read carries the id to answer with (OCPP-J 1.6 §4.2.3: a CALLERROR answers a
    /// CALL; issue 20 item 11): a malformed CALLRESULT or CALLERROR and an unknown message type are not answered.
    @Test("malformed frames are FormationViolations, with the id only for a CALL", arguments: [
        ("not json", nil as String?), ("{}", nil), ("[2]", nil), (#"[2,1,"Heartbeat",{}]"#, nil),
        (#"[2,"0123456789012345678901234567890123456","Heartbeat",{}]"#, nil),
        (#"[2,"1","Heartbeat"]"#, "1"), (#"[2,"1","Heartbeat",[]]"#, "1"), (#"[5,"1",{}]"#, nil), (#"[4,"1","X"]"#, nil),
        (#"[3,"1",{},"extra"]"#, nil), (#"["2","1","Heartbeat",{}]"#, nil),
    ])
    func malformed(text: String, id: String?) {
        do {
            _ = try OCPPFrame.parse(text)
            Issue.record("\(text) parsed")
        } catch {
            #expect(error.code == .formationViolation)
            #expect(error.messageID == id)
        }
    }
}

@Suite("OCPP date coding")
struct DateTests {
    @Test("formats UTC with milliseconds")
    func format() {
        #expect(OCPPDate.format(Date(timeIntervalSince1970: 1_359_751_212.486)) == "2013-02-01T20:40:12.486Z")
        #expect(OCPPDate.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
    }

    @Test("parses fractions and offsets", arguments: [
        ("2013-02-01T20:53:32.486Z", 1_359_752_012.486 as Double?), ("2013-02-01T20:53:32Z", 1_359_752_012),
        ("2013-02-01T21:53:32.486+01:00", 1_359_752_012.486), ("2013-02-01T15:23:32-0530", 1_359_752_012),
        ("2013-02-01T20:53:32.123456789Z", 1_359_752_012.123456789), ("2024-02-29T00:00:00z", 1_709_164_800),
        ("2013-02-01T20:53:32", nil), ("2013-02-30T20:53:32Z", nil), ("2013-02-01 20:53Z", nil), ("", nil), ("2013-02-01T20:53:32.Z", nil),
        ("2013-02-01T20:53:32+25:00", nil), ("2013-02-01T20:53:32Zjunk", nil),
    ])
    func parse(text: String, seconds: Double?) {
        let got = OCPPDate.parse(text)?.timeIntervalSince1970
        if let seconds { #expect(got.map { abs($0 - seconds) < 1e-6 } == true, "\(text)") } else { #expect(got == nil, "\(text)") }
    }
}

@Suite("OCPP 1.6 messages and schemas")
struct MessageTests {
    func validate(_ action: String, _ json: String) -> OCPPErrorCode? {
        guard let payload = try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) else { return .formationViolation }
        do {
            try OCPP16Catalog.validateCall(action: action, payload: payload, supported: Set(FeatureProfile.allCases))
            return nil
        } catch {
            return error.code
        }
    }

    @Test("each violation gets its CALLERROR code", arguments: [
        ("Authorize", #"{"idTag":"04567DAA5F3580"}"#, nil as OCPPErrorCode?),
        ("Authorize", #"{}"#, .occurenceConstraintViolation),
        ("Authorize", #"{"idTag":"012345678901234567890"}"#, .propertyConstraintViolation),
        ("Authorize", #"{"idTag":12}"#, .typeConstraintViolation),
        ("Authorize", #"{"idTag":"A","extra":1}"#, .formationViolation),
        ("ChangeAvailability", #"{"connectorId":1,"type":"Sometimes"}"#, .propertyConstraintViolation),
        ("ChangeAvailability", #"{"connectorId":-1,"type":"Operative"}"#, .propertyConstraintViolation),
        ("ChangeAvailability", #"{"connectorId":"1","type":"Operative"}"#, .typeConstraintViolation),
        ("ChangeAvailability", #"{"connectorId":1.0,"type":"Operative"}"#, nil),
        ("Reset", #"{"type":"Hard"}"#, nil),
        ("GetConfiguration", #"{}"#, nil),
        ("GetConfiguration", #"{"key":["HeartbeatInterval", 5]}"#, .typeConstraintViolation),
        ("RemoteStartTransaction", #"{"idTag":"A","connectorId":0}"#, .propertyConstraintViolation),
        ("SetChargingProfile", #"{"connectorId":1,"csChargingProfiles":{"chargingProfileId":1,"stackLevel":0,"chargingProfilePurpose":"TxDefaultProfile","chargingProfileKind":"Absolute","chargingSchedule":{"chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":0,"limit":16.5}]}}}"#, nil),
        ("SetChargingProfile", #"{"connectorId":1,"csChargingProfiles":{"chargingProfileId":1,"stackLevel":0,"chargingProfilePurpose":"TxDefaultProfile","chargingProfileKind":"Absolute","chargingSchedule":{"chargingRateUnit":"A","chargingSchedulePeriod":[{"startPeriod":0,"limit":16.55}]}}}"#, .propertyConstraintViolation),
        ("SetChargingProfile", #"{"connectorId":1,"csChargingProfiles":{"chargingProfileId":1,"stackLevel":0,"chargingProfilePurpose":"Max","chargingProfileKind":"Absolute","chargingSchedule":{"chargingRateUnit":"A","chargingSchedulePeriod":[]}}}"#, .propertyConstraintViolation),
        ("ReserveNow", #"{"connectorId":0,"expiryDate":"tomorrow","idTag":"A","reservationId":1}"#, .propertyConstraintViolation),
        ("SendLocalList", #"{"listVersion":2,"updateType":"Full","localAuthorizationList":[{"idTag":"A","idTagInfo":{"status":"Accepted"}}]}"#, nil),
        ("SendLocalList", #"{"listVersion":2,"updateType":"Full","localAuthorizationList":[{"idTagInfo":{"status":"Accepted"}}]}"#, .occurenceConstraintViolation),
        ("TriggerMessage", #"{"requestedMessage":"StatusNotification","connectorId":1}"#, nil),
        ("FrobnicateWidget", #"{}"#, .notImplemented),
    ])
    func violations(action: String, json: String, expected: OCPPErrorCode?) {
        #expect(validate(action, json) == expected)
    }

    @Test("unsupported profiles answer NotSupported")
    func notSupported() throws {
        do {
            try OCPP16Catalog.validateCall(action: "SetChargingProfile", payload: .object([:]), supported: [.core])
            Issue.record("accepted")
        } catch {
            #expect(error.code == .notSupported)
        }
    }

    @Test("the catalog has the 28 actions of the six profiles and the 11 of the security extension")
    func catalog() {
        #expect(OCPP16Catalog.entries.values.filter { $0.profile != .security }.count == 28)
        #expect(OCPP16Catalog.entries.values.filter { $0.profile == .security }.count == 11)
        #expect(OCPP16Catalog.entries.values.filter { $0.profile == .core }.count == 16)
        #expect(Set(OCPP16Catalog.entries.values.map(\.profile)) == Set(FeatureProfile.allCases))
    }

    /// The certificate management messages of the security whitepaper ed. 3 (§5) with their schema bounds: csr and
    /// certificate ≤ 5500, certificateChain ≤ 10000, hash fields ≤ 128, serialNumber ≤ 40, the enumerations.
    @Test("whitepaper §5: certificate management messages and their bounds", arguments: [
        ("SignCertificate", "{\"csr\":\"\(String(repeating: "A", count: 5500))\"}", nil as OCPPErrorCode?),
        ("SignCertificate", "{\"csr\":\"\(String(repeating: "A", count: 5501))\"}", .propertyConstraintViolation),
        ("CertificateSigned", "{\"certificateChain\":\"\(String(repeating: "A", count: 10000))\"}", nil),
        ("CertificateSigned", "{\"certificateChain\":\"\(String(repeating: "A", count: 10001))\"}", .propertyConstraintViolation),
        ("InstallCertificate", #"{"certificateType":"ManufacturerRootCertificate","certificate":"x"}"#, nil),
        ("InstallCertificate", #"{"certificateType":"V2GRootCertificate","certificate":"x"}"#, .propertyConstraintViolation),
        ("InstallCertificate", "{\"certificateType\":\"CentralSystemRootCertificate\",\"certificate\":\"\(String(repeating: "A", count: 5501))\"}", .propertyConstraintViolation),
        ("InstallCertificate", #"{"certificate":"x"}"#, .occurenceConstraintViolation),
        ("DeleteCertificate", #"{"certificateHashData":{"hashAlgorithm":"SHA256","issuerNameHash":"ab","issuerKeyHash":"cd","serialNumber":"1f"}}"#, nil),
        ("DeleteCertificate", #"{"certificateHashData":{"hashAlgorithm":"MD5","issuerNameHash":"ab","issuerKeyHash":"cd","serialNumber":"1f"}}"#, .propertyConstraintViolation),
        ("DeleteCertificate", "{\"certificateHashData\":{\"hashAlgorithm\":\"SHA256\",\"issuerNameHash\":\"\(String(repeating: "a", count: 129))\",\"issuerKeyHash\":\"cd\",\"serialNumber\":\"1f\"}}", .propertyConstraintViolation),
        ("DeleteCertificate", "{\"certificateHashData\":{\"hashAlgorithm\":\"SHA256\",\"issuerNameHash\":\"ab\",\"issuerKeyHash\":\"cd\",\"serialNumber\":\"\(String(repeating: "1", count: 41))\"}}", .propertyConstraintViolation),
        ("DeleteCertificate", #"{"certificateHashData":{"hashAlgorithm":"SHA256","issuerNameHash":"ab","serialNumber":"1f"}}"#, .occurenceConstraintViolation),
        ("GetInstalledCertificateIds", #"{"certificateType":"CentralSystemRootCertificate"}"#, nil),
        ("ExtendedTriggerMessage", #"{"requestedMessage":"SignChargePointCertificate"}"#, nil),
        ("ExtendedTriggerMessage", #"{"requestedMessage":"LogStatusNotification","connectorId":0}"#, nil),
        ("ExtendedTriggerMessage", #"{"requestedMessage":"DiagnosticsStatusNotification"}"#, .propertyConstraintViolation),
    ])
    func whitepaper5_certificateMessages(action: String, json: String, expected: OCPPErrorCode?) {
        #expect(validate(action, json) == expected)
        #expect(OCPP16Catalog.entries[action]?.profile == .security)
    }

    @Test("whitepaper §5: GetInstalledCertificateIds.conf encodes its hash data, NotFound without it")
    func whitepaper5_installedIdsEncoding() throws {
        let hash = CertificateHashData(hashAlgorithm: .sha256, issuerNameHash: "aa", issuerKeyHash: "bb", serialNumber: "1")
        let found = GetInstalledCertificateIdsResponse(status: .accepted, certificateHashData: [hash])
        #expect(OCPPCoding.encode(found) == .object(["status": .string("Accepted"), "certificateHashData": .array([.object([
            "hashAlgorithm": .string("SHA256"), "issuerNameHash": .string("aa"), "issuerKeyHash": .string("bb"), "serialNumber": .string("1")])])]))
        #expect(try OCPPCoding.decode(GetInstalledCertificateIdsResponse.self, from: OCPPCoding.encode(found)) == found)
        #expect(OCPPCoding.encode(GetInstalledCertificateIdsResponse(status: .notFound)) == .object(["status": .string("NotFound")]))
        #expect(throws: OCPPError.self) { try GetInstalledCertificateIdsResponse.schema.validate(.object(["status": .string("Accepted"), "certificateHashData": .array([])])) }
    }

    @Test("typed payloads encode to the spec's JSON and decode back (golden)")
    func golden() throws {
        let boot = BootNotificationRequest(chargePointVendor: "ChargeKit", chargePointModel: "CK-2", chargePointSerialNumber: "CK-000001",
                                           firmwareVersion: "0.1.0")
        let json = OCPPCoding.encode(boot)
        #expect(OCPPFrame.call(id: "1", action: BootNotificationRequest.action, payload: json).serialized()
                == #"[2,"1","BootNotification",{"chargePointModel":"CK-2","chargePointSerialNumber":"CK-000001","chargePointVendor":"ChargeKit","firmwareVersion":"0.1.0"}]"#)
        #expect(try OCPPCoding.decode(BootNotificationRequest.self, from: json) == boot)

        let frame = try OCPPFrame.parse(#"[2,"m1","MeterValues",{"connectorId":1,"transactionId":7,"meterValue":[{"timestamp":"2026-11-21T10:00:00.000Z","sampledValue":[{"value":"1234.5","measurand":"Energy.Active.Import.Register","unit":"Wh","context":"Sample.Periodic","location":"Outlet"},{"value":"16.0","measurand":"Current.Import","phase":"L1","unit":"A"}]}]}]"#)
        guard case .call(_, _, let payload) = frame else { Issue.record("not a call"); return }
        let mv = try OCPPCoding.decode(MeterValuesRequest.self, from: payload)
        #expect(mv.connectorId == 1 && mv.transactionId == 7)
        #expect(mv.meterValue[0].timestamp == OCPPDate.parse("2026-11-21T10:00:00Z"))
        #expect(mv.meterValue[0].sampledValue[1].phase == "L1")
        #expect(OCPPCoding.encode(mv) == payload)

        let response = BootNotificationResponse(status: .accepted, currentTime: Date(timeIntervalSince1970: 1_359_751_212.486), interval: 300)
        #expect(OCPPCoding.encode(response) == .object(["status": .string("Accepted"), "currentTime": .string("2013-02-01T20:40:12.486Z"), "interval": .integer(300)]))
        #expect(OCPPCoding.encode(ClearCacheRequest()) == .object([:]), "an empty payload is {}")
    }
}
