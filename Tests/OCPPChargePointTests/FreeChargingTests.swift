import Foundation
import Testing
import Authorization
import ChargePoint
import EVSECore
import OCPP16
import Persistence

/// The six free charging modes of seeds/004 §5.2 as the backend sees them: modes 1–3 carry no transaction id (the
/// backend sees the connector's StatusNotifications only, so it cannot stop the session), modes 4–6 send
/// Start/StopTransaction and the session's MeterValues.
@Suite("seeds/004 §5.2 free charging modes, in process")
struct FreeChargingTests {
    typealias H = ChargePointHarness

    /// Runs one free charging session in `mode`: plug in (and present the card where the mode needs one), charge for a
    /// minute with sampled meter values every 10 s, unplug. Returns the harness and the mark before the session.
    private func session(_ mode: FreeChargingMode) throws -> (H, Int) {
        var h = try H(config: [("FreeCharging", "On"), ("FreeChargingMode", mode.rawValue), ("MeterValueSampleInterval", "10")])
        h.connect()
        let mark = h.mark
        try h.plug()
        if !mode.startsOnPlugIn { try h.card() }
        h.run(60)
        #expect(h.station.snapshot(now: h.now).connectors[0].session != nil, "the \(mode.label) session charges")
        try h.unplug(force: true)
        h.run(2)
        return (h, mark)
    }

    @Test("seeds004_5_2 modes 2 and 3 (With OCPP status notif …) send StatusNotifications only: no Authorize, no transaction",
          arguments: [FreeChargingMode.statusWithoutAuth, .statusWithAuth])
    func seeds004_5_2_statusOnly(mode: FreeChargingMode) throws {
        let (h, mark) = try session(mode)
        let names = Set(h.callNames(since: mark))
        #expect(!names.contains(StartTransactionRequest.action) && !names.contains(StopTransactionRequest.action))
        #expect(!names.contains(AuthorizeRequest.action))
        #expect(h.calls(MeterValuesRequest.action, since: mark).allSatisfy { $0["transactionId"] == nil },
                "no MeterValues of a transaction")
        #expect(h.statuses(1, since: mark).contains("Charging") && h.statuses(1, since: mark).last == "Available",
                "the backend sees the connector occupied and free again")
        #expect(try h.db.transactionQueueCount() == 0, "nothing waits in the transaction queue")
    }

    @Test("seeds004_5_2 modes 4–6 (With OCPP Full …) send a transaction with its MeterValues; 4 and 5 carry the fixed tag",
          arguments: [FreeChargingMode.fullFixedRFIDWithAuth, .fullFixedRFIDWithoutAuth, .fullAnyRFID])
    func seeds004_5_2_fullTransaction(mode: FreeChargingMode) throws {
        let (h, mark) = try session(mode)
        let starts = h.calls(StartTransactionRequest.action, since: mark)
        #expect(starts.count == 1 && h.calls(StopTransactionRequest.action, since: mark).count == 1)
        #expect(starts.first?["idTag"] == .string(mode.usesFixedIdTag ? "freecharging" : H.tag))
        #expect(h.calls(MeterValuesRequest.action, since: mark).filter { $0["transactionId"] != nil }.count >= 5)
    }

    @Test("seeds004_5_2 a status-only session has no transaction id: RemoteStopTransaction is Rejected and the session goes on")
    func seeds004_5_2_statusOnlyNoRemoteStop() throws {
        var h = try H(config: [("FreeCharging", "On"), ("FreeChargingMode", FreeChargingMode.statusWithoutAuth.rawValue)])
        h.connect()
        try h.plug()
        h.run(5)
        #expect(try h.call(RemoteStopTransactionRequest(transactionId: 1)).status == .rejected)
        h.run(1)
        #expect(h.station.snapshot(now: h.now).connectors[0].session != nil)
    }

    @Test("seeds004_5_2 a status-only session stays one after kill -9: its close sends no StopTransaction")
    func seeds004_5_2_statusOnlyAfterKill9() throws {
        var h = try H(config: [("FreeCharging", "On"), ("FreeChargingMode", FreeChargingMode.statusWithAuth.rawValue),
                               ("RestartTransactionAfterPowerLoss", "On"), ("MeterValueSampleInterval", "10")])
        h.connect()
        try h.plug()
        try h.card()
        h.run(5)
        #expect(h.station.snapshot(now: h.now).connectors[0].session != nil, "the session charges")
        let mark = h.mark
        try h.kill9()
        h.run(30)
        #expect(h.station.snapshot(now: h.now).connectors[0].session != nil, "the session was resumed")
        try h.unplug(force: true)
        h.run(2)
        let names = Set(h.callNames(since: mark))
        #expect(!names.contains(StopTransactionRequest.action) && !names.contains(StartTransactionRequest.action))
        #expect(h.calls(MeterValuesRequest.action, since: mark).allSatisfy { $0["transactionId"] == nil })
    }
}
