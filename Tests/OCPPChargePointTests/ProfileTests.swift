import Foundation
import Testing
import Authorization
import ChargePoint
import EVSECore
import Firmware
import OCPP16
import Persistence

/// The OCTT charge-point cases of the LocalAuthListManagement, RemoteTrigger, Reservation, SmartCharging and
/// FirmwareManagement profiles, and of the offline behaviour, that Tests/Interop/ocpp16 runs against the binary; here
/// against the pure charge point in process.
@Suite("OCTT profiles and offline behaviour, in process")
struct ProfileTests {
    // MARK: LocalAuthListManagement

    @Test("TC_042_2 an empty list has version 0; TC_043_2 Full, Differential, VersionMismatch")
    func TC_042_2_TC_043_2() throws {
        var h = try ChargePointHarness()
        h.connect()
        #expect(try h.call(SendLocalListRequest(listVersion: 1, updateType: .full)).status == .accepted)
        #expect(try h.call(GetLocalListVersionRequest()).listVersion == 0)
        let a1 = [AuthorizationData(idTag: "A1", idTagInfo: IdTagInfo(status: .accepted))]
        #expect(try h.call(SendLocalListRequest(listVersion: 2, localAuthorizationList: a1, updateType: .full)).status == .accepted)
        let a2 = [AuthorizationData(idTag: "A2", idTagInfo: IdTagInfo(status: .accepted))]
        #expect(try h.call(SendLocalListRequest(listVersion: 5, localAuthorizationList: a2, updateType: .differential)).status == .accepted)
        #expect(try h.call(GetLocalListVersionRequest()).listVersion == 5)
        #expect(try h.call(SendLocalListRequest(listVersion: 4, localAuthorizationList: a2, updateType: .differential)).status == .versionMismatch)
        #expect(h.station.authorization.lists.localList.map(\.idTag).sorted() == ["A1", "A2"])
    }

    @Test("TC_042_1/TC_043_1 the local list switched off: version -1, SendLocalList NotSupported; TC_043_3 too long: Failed")
    func TC_043_1_TC_043_3() throws {
        var off = try ChargePointHarness(config: [("LocalAuthListEnabled", "Off")])
        off.connect()
        #expect(try off.call(GetLocalListVersionRequest()).listVersion == -1)
        #expect(try off.call(SendLocalListRequest(listVersion: 1, updateType: .full)).status == .notSupported)
        var h = try ChargePointHarness()
        h.connect()
        let tooMany = (0...1000).map { AuthorizationData(idTag: "T\($0)", idTagInfo: IdTagInfo(status: .accepted)) }
        #expect(try h.call(SendLocalListRequest(listVersion: 1, localAuthorizationList: tooMany, updateType: .full)).status == .failed)
        #expect(try h.call(GetLocalListVersionRequest()).listVersion == 0)
    }

    @Test("TC_008 a card of the local list starts at once while the backend is slow to answer Authorize")
    func TC_008() throws {
        var h = try ChargePointHarness(config: [("LocalPreAuthorize", "On")])
        h.connect()
        let card = [AuthorizationData(idTag: ChargePointHarness.card, idTagInfo: IdTagInfo(status: .accepted))]
        #expect(try h.call(SendLocalListRequest(listVersion: 1, localAuthorizationList: card, updateType: .full)).status == .accepted)
        h.unanswered = [AuthorizeRequest.action]
        try h.plug()
        try h.card()
        h.run(5)
        #expect(h.calls(StartTransactionRequest.action).count == 1)
    }

    // MARK: RemoteTrigger

    @Test("TC_054 TriggerMessage: answered first, then the message; TC_055 an unknown connector Rejected")
    func TC_054_TC_055() throws {
        var h = try ChargePointHarness()
        h.connect()
        for (trigger, action) in [(MessageTrigger.heartbeat, HeartbeatRequest.action), (.statusNotification, StatusNotificationRequest.action),
                                  (.meterValues, MeterValuesRequest.action), (.firmwareStatusNotification, FirmwareStatusNotificationRequest.action),
                                  (.diagnosticsStatusNotification, DiagnosticsStatusNotificationRequest.action)] {
            let mark = h.mark
            #expect(try h.call(TriggerMessageRequest(requestedMessage: trigger, connectorId: 1)).status == .accepted)
            h.run(0.2)
            guard case .callResult = h.sent[mark] else { Issue.record("\(trigger): the answer is not the first frame"); continue }
            #expect(h.calls(action, since: mark).count == 1, "\(trigger)")
        }
        #expect(try h.call(TriggerMessageRequest(requestedMessage: .bootNotification)).status == .rejected, "accepted already (errata 3.35)")
        #expect(try h.call(TriggerMessageRequest(requestedMessage: .heartbeat, connectorId: 3)).status == .rejected)
    }

    // MARK: Reservation

    @Test("TC_046_1 a reserved connector takes its card; TC_048 Occupied, Unavailable; TC_051/052 cancel")
    func reservations() throws {
        var h = try ChargePointHarness()
        h.connect()
        let expiry = h.now.addingTimeInterval(600)
        #expect(try h.call(ReserveNowRequest(connectorId: 1, expiryDate: expiry, idTag: ChargePointHarness.card, reservationId: 1)).status == .accepted)
        h.run(0.5)
        #expect(h.statuses(1).last == "Reserved")
        try h.charging(1)
        let start = try #require(h.calls(StartTransactionRequest.action).first)
        #expect(start["reservationId"] == .integer(1))
        #expect(try h.call(ReserveNowRequest(connectorId: 1, expiryDate: expiry, idTag: "BBBBBBBB", reservationId: 2)).status == .occupied)
        #expect(try h.call(ChangeAvailabilityRequest(connectorId: 2, type: .inoperative)).status == .accepted)
        #expect(try h.call(ReserveNowRequest(connectorId: 2, expiryDate: expiry, idTag: "BBBBBBBB", reservationId: 3)).status == .unavailable)
        #expect(try h.call(ChangeAvailabilityRequest(connectorId: 2, type: .operative)).status == .accepted)
        #expect(try h.call(ReserveNowRequest(connectorId: 2, expiryDate: expiry, idTag: "BBBBBBBB", reservationId: 4)).status == .accepted)
        #expect(try h.call(CancelReservationRequest(reservationId: 4)).status == .accepted)
        #expect(try h.call(CancelReservationRequest(reservationId: 4)).status == .rejected)
    }

    // MARK: SmartCharging

    @Test("TC_056 a TxDefaultProfile shapes the composite schedule; ClearChargingProfile Accepted, then Unknown")
    func TC_056() throws {
        var h = try ChargePointHarness()
        h.connect()
        let schedule = ChargingSchedule(duration: 120, startSchedule: h.now, chargingRateUnit: "A",
                                        chargingSchedulePeriod: [ChargingSchedulePeriod(startPeriod: 0, limit: 6), ChargingSchedulePeriod(startPeriod: 60, limit: 10)])
        let profile = ChargingProfile(chargingProfileId: 1, stackLevel: 0, chargingProfilePurpose: "TxDefaultProfile", chargingProfileKind: "Absolute",
                                      chargingSchedule: schedule)
        #expect(try h.call(SetChargingProfileRequest(connectorId: 1, csChargingProfiles: profile)).status == .accepted)
        let composite = try h.call(GetCompositeScheduleRequest(connectorId: 1, duration: 180))
        #expect(composite.status == .accepted)
        #expect(composite.chargingSchedule?.chargingSchedulePeriod.map(\.limit) == [6, 10, 32])
        #expect(try h.call(ClearChargingProfileRequest(id: 1)).status == .accepted)
        #expect(try h.call(ClearChargingProfileRequest(id: 1)).status == .unknown)
        #expect(try h.call(GetCompositeScheduleRequest(connectorId: 9, duration: 60)).status == .rejected)
    }

    // MARK: FirmwareManagement

    @Test("TC_044_1 UpdateFirmware: Downloading at the retrieve date; downloaded, installed, restart; TC_045_1 GetDiagnostics names its file")
    func firmware() throws {
        var h = try ChargePointHarness()
        h.connect()
        _ = try h.call(UpdateFirmwareRequest(location: "http://files.invalid/fw.ckfw", retrieveDate: h.now.addingTimeInterval(2)))
        #expect(!h.actions.contains(.download(location: "http://files.invalid/fw.ckfw")), "not before the retrieve date")
        h.run(2.5)
        #expect(h.actions.contains(.download(location: "http://files.invalid/fw.ckfw")))
        h.event(.downloadFinished(success: true))
        h.run(0.5)
        #expect(h.actions.contains(.install))
        h.event(.installFinished(version: "2.0"))
        h.run(0.5)
        #expect(h.actions.contains(.restartServices(drained: true)))
        try h.restart()
        #expect(h.calls(BootNotificationRequest.action).last?["firmwareVersion"] == .string("2.0"))
        let statuses = h.calls(FirmwareStatusNotificationRequest.action).compactMap { $0["status"] }
        #expect(statuses == [.string("Downloading"), .string("Downloaded"), .string("Installing"), .string("Installed")])
        #expect(try h.db.firmwareJob() == nil, "done: nothing left for the next restart")

        var d = try ChargePointHarness()
        d.connect()
        let name = try d.call(GetDiagnosticsRequest(location: "ftp://files.invalid/up")).fileName
        #expect(name?.hasPrefix("diagnostics-\(ChargePointHarness.identity)-") == true && name?.hasSuffix(".tar.gz") == true)
        #expect(try d.call(GetDiagnosticsRequest(location: "file:///etc/passwd")).fileName == nil, "only ftp, http and https")
    }

    // MARK: Offline behaviour (OCPP 1.6 §4.10)

    @Test("TC_036/TC_039 a transaction while the connection is down is delivered in order once it is back, nothing twice")
    func offlineTransaction() throws {
        var h = try ChargePointHarness(config: [("LocalAuthorizeOffline", "On"), ("AllowOfflineTxForUnknownId", "On")])
        h.connect()
        h.event(.disconnected)
        try h.charging()
        try h.card()
        h.run(2)
        #expect(h.calls(StartTransactionRequest.action).isEmpty)
        #expect(try h.db.transactionQueueCount() == 2)
        let mark = h.mark
        h.connect(run: 3)
        #expect(h.callNames(since: mark).filter { $0.hasSuffix("Transaction") } == ["StartTransaction", "StopTransaction"])
        #expect(try h.db.transactionQueueCount() == 0)
        h.event(.disconnected)
        h.connect(run: 3)
        #expect(h.calls(StartTransactionRequest.action).count == 1, "delivered once")
    }

    @Test("a CALLERROR to a transaction message retries it after TransactionMessageRetryInterval, then drops it after the attempts")
    func transactionMessageRetries() throws {
        var h = try ChargePointHarness(config: [("TransactionMessageAttempts", "2"), ("TransactionMessageRetryInterval", "5")])
        h.connect()
        h.unanswered = [StartTransactionRequest.action]
        try h.charging()
        let call = try #require(h.sent.last { if case .call(_, StartTransactionRequest.action, _) = $0 { true } else { false } })
        h.event(.received(OCPPFrame.callError(id: call.id, code: "InternalError", description: "busy", details: .object([:])).serialized()))
        h.run(4)
        #expect(h.calls(StartTransactionRequest.action).count == 1, "not before the retry interval")
        h.run(2)
        let again = try #require(h.sent.last { if case .call(_, StartTransactionRequest.action, _) = $0 { true } else { false } })
        #expect(again.id == call.id, "the same message id, so that the backend can recognise it")
        h.event(.received(OCPPFrame.callError(id: again.id, code: "InternalError", description: "busy", details: .object([:])).serialized()))
        #expect(try h.db.transactionQueueCount() == 0, "dropped after 2 attempts")
    }

    @Test("unknown and unsupported actions, and a payload that breaks its schema, get their CALLERRORs")
    func callErrors() throws {
        var h = try ChargePointHarness()
        h.connect()
        guard case .callError(_, let unknown, _, _) = try h.send("FlyToTheMoon", .object([:])) else { Issue.record("no CALLERROR"); return }
        #expect(unknown == "NotImplemented")
        guard case .callError(_, let wrong, _, _) = try h.send(ResetRequest.action, .object(["type": .string("Sideways")])) else {
            Issue.record("no CALLERROR"); return
        }
        #expect(wrong == "PropertyConstraintViolation")
        guard case .callError(_, let sentByCP, _, _) = try h.send(HeartbeatRequest.action, .object([:])) else { Issue.record("no CALLERROR"); return }
        #expect(sentByCP == "NotSupported")
    }
}
