import Foundation
import Testing
import Authorization
import ChargePoint
import EVSECore
import OCPP16
import Persistence
import Simulator

/// More OCTT charge-point cases of the Core profile that Tests/Interop/ocpp16/test_core_more.py and test_core.py run
/// against the binary (authorization cache, timeouts, lock faults, power loss, faults, aligned meter values), here
/// against the pure charge point in process.
@Suite("OCTT Core profile, more cases, in process")
struct CoreMoreTests {
    typealias H = ChargePointHarness

    @Test("TC_005_2 UnlockConnectorOnEVSideDisconnect is fixed at true: the socket unlocks when the vehicle side is pulled")
    func TC_005_2() throws {
        var h = try H()
        h.connect()
        #expect(try h.call(ChangeConfigurationRequest(key: "UnlockConnectorOnEVSideDisconnect", value: "false")).status == .rejected)
        try h.charging()
        let mark = h.mark
        try h.unplug(force: true)
        h.run(1)
        #expect(h.calls(StopTransactionRequest.action, since: mark).count == 1)
        #expect(try h.call(UnlockConnectorRequest(connectorId: 1)).status == .unlocked)
    }

    @Test("TC_005_3 StopTransactionOnEVSideDisconnect false: unplugging suspends (SuspendedEV), the transaction goes on until stopped remotely")
    func TC_005_3() throws {
        var h = try H(config: [("StopTransactionMode", "rfidOrRemoteOnly")])
        h.connect()
        let keys = try h.call(GetConfigurationRequest(key: ["StopTransactionOnEVSideDisconnect"])).configurationKey ?? []
        #expect(keys.first { $0.key == "StopTransactionOnEVSideDisconnect" }?.value == "false")
        try h.charging()
        let mark = h.mark
        try h.unplug(force: true)
        h.run(1)
        #expect(h.statuses(1, since: mark).last == "SuspendedEV")
        #expect(h.calls(StopTransactionRequest.action, since: mark).isEmpty)
        try h.plug()
        h.run(5)
        #expect(h.statuses(1, since: mark).last == "Charging")
        #expect(try h.call(RemoteStopTransactionRequest(transactionId: h.lastTransactionID)).status == .accepted)
        h.run(1)
        let stops = h.calls(StopTransactionRequest.action, since: mark)
        #expect(stops.count == 1)
        #expect(stops.first?["reason"] == .string("Remote") && stops.first?["transactionId"] == .integer(Int64(h.lastTransactionID)))
        #expect(h.statuses(1, since: mark).last == "Finishing")
    }

    @Test("TC_007 a cached Accepted idTag starts without Authorize (LocalPreAuthorize, AuthorizationCacheEnabled)")
    func TC_007() throws {
        var h = try H(config: [("LocalPreAuthorize", "On"), ("AuthorizationCacheEnabled", "On")])
        h.connect()
        try h.charging()
        #expect(h.calls(AuthorizeRequest.action).count == 1, "the first time the backend is asked")
        var mark = h.mark
        try h.card()
        h.run(1)
        #expect(h.calls(StopTransactionRequest.action, since: mark).count == 1)
        try h.unplug()
        h.run(1)
        #expect(h.statuses(1, since: mark).last == "Available")
        mark = h.mark
        try h.plug()
        try h.card()
        h.run(5)
        #expect(h.calls(StartTransactionRequest.action, since: mark).first?["idTag"] == .string(H.tag))
        #expect(!h.callNames(since: mark).contains(AuthorizeRequest.action))
    }

    @Test("TC_011_2 remote start without a vehicle: Preparing, then Available after VehicleConnectionTimeout, no transaction")
    func TC_011_2() throws {
        var h = try H(config: [("VehicleConnectionTimeout", "5")])
        h.connect()
        let mark = h.mark
        #expect(try h.call(RemoteStartTransactionRequest(connectorId: 1, idTag: "REMOTE1")).status == .accepted)
        h.run(1)
        #expect(h.statuses(1, since: mark) == ["Preparing"])
        h.run(5)
        #expect(h.statuses(1, since: mark) == ["Preparing", "Available"])
        #expect(!h.callNames(since: mark).contains(StartTransactionRequest.action))
    }

    @Test("TC_023 an invalid tag starts nothing; the plug-in is reported only once it lasted MinimumStatusDuration")
    func TC_023() throws {
        var h = try H(config: [("MinimumStatusDuration", "10")])
        h.idTags = [H.tag: .invalid]
        h.connect()
        let mark = h.mark
        try h.card()
        #expect(h.calls(AuthorizeRequest.action, since: mark).first?["idTag"] == .string(H.tag))
        let plugged = h.now
        try h.plug()
        h.run(9)
        #expect(h.statuses(1, since: mark).isEmpty, "not before it lasted 10 s")
        h.run(1.5)
        let reports = h.statusReports(1, since: mark)
        #expect(reports.map(\.status) == ["Preparing"])
        #expect((reports.first?.timestamp).map { $0.timeIntervalSince(plugged) >= 10 } == true, "reported once it lasted 10 s")
        #expect(!h.callNames(since: mark).contains(StartTransactionRequest.action))
        let view = try #require(h.station.backendView(connector: 1))
        #expect(view.status == .preparing && view.session == nil)
    }

    @Test("TC_024 a lock that never locks: ConnectorLockFailure, the contactors stay open, no Charging")
    func TC_024() throws {
        var h = try H()
        h.connect()
        try h.fault(.lock, 1)
        let mark = h.mark
        #expect(try h.call(RemoteStartTransactionRequest(connectorId: 1, idTag: "REMOTE1")).status == .accepted)
        try h.plug()
        h.run(15)
        let reports = h.statusReports(1, since: mark)
        #expect(reports.contains { $0.errorCode == "ConnectorLockFailure" })
        #expect(!reports.contains { $0.status == "Charging" })
        #expect(h.station.snapshot(now: h.now).connectors[0].relays == .open)
    }

    @Test("UnlockConnector repeated while the first waits for the lock detect: both are answered, with the same outcome")
    func unlockRepeated() throws {
        var h = try H()
        h.connect()
        try h.charging()
        try h.fault(.lockStuck, 1)
        let unlock = OCPPCoding.encode(UnlockConnectorRequest(connectorId: 1))
        h.event(.received(OCPPFrame.call(id: "u1", action: UnlockConnectorRequest.action, payload: unlock).serialized()))
        h.event(.received(OCPPFrame.call(id: "u2", action: UnlockConnectorRequest.action, payload: unlock).serialized()))
        h.run(3)
        for id in ["u1", "u2"] {
            guard case .callResult(_, let payload)? = h.sent.last(where: { if case .call = $0 { false } else { $0.id == id } }) else {
                Issue.record("\(id) not answered"); continue
            }
            #expect(payload["status"] == .string("UnlockFailed"))
        }
    }

    @Test("TC_030 unlock failure: UnlockFailed, the transaction stops (UnlockCommand), ConnectorLockFailure")
    func TC_030() throws {
        var h = try H()
        h.connect()
        try h.charging()
        try h.fault(.lockStuck, 1)
        let mark = h.mark
        #expect(try h.call(UnlockConnectorRequest(connectorId: 1)).status == .unlockFailed)
        h.run(15)
        #expect(h.calls(StopTransactionRequest.action, since: mark).first?["reason"] == .string("UnlockCommand"))
        #expect(h.statusReports(1, since: mark).contains { $0.errorCode == "ConnectorLockFailure" })
    }

    @Test("TC_032_2 kill -9 while charging, Restart transaction after power loss Off: after the start the transaction stops (PowerLoss), once")
    func TC_032_2() throws {
        var h = try H(config: [("RestartTransactionAfterPowerLoss", "Off")])
        h.connect()
        try h.charging()
        let transaction = h.lastTransactionID
        #expect(h.calls(StopTransactionRequest.action).isEmpty)
        let mark = h.mark
        try h.kill9()
        h.run(2)
        let stops = h.calls(StopTransactionRequest.action, since: mark)
        #expect(stops.count == 1)
        #expect(stops.first?["reason"] == .string("PowerLoss") && stops.first?["transactionId"] == .integer(Int64(transaction)))
        #expect(h.callNames(since: mark).first == BootNotificationRequest.action)
    }

    @Test("kill -9 while charging with a board that holds its contactors: the session resumes, no false Contactor welded")
    func kill9WithContactorsHeld() throws {
        var h = try H(config: [("RestartTransactionAfterPowerLoss", "On")])
        h.connect()
        try h.charging()
        let mark = h.mark
        try h.kill9()
        h.run(5)
        #expect(h.calls(StopTransactionRequest.action, since: mark).isEmpty)
        #expect(!h.station.errors.isActive("contactorWelded", connector: 1))
        #expect(h.statuses(1, since: mark).last == "Charging")
    }

    @Test("TC_034 kill -9 with every connector Unavailable: after the start the connectors report Unavailable again")
    func TC_034() throws {
        var h = try H()
        h.connect()
        let mark = h.mark
        #expect(try h.call(ChangeAvailabilityRequest(connectorId: 0, type: .inoperative)).status == .accepted)
        h.run(1)
        for n in 0...2 { #expect(h.statuses(n, since: mark).last == "Unavailable") }
        let restarted = h.mark
        try h.kill9()
        h.run(2)
        #expect(h.callNames(since: restarted).first == BootNotificationRequest.action)
        for n in 1...2 { #expect(h.statuses(n, since: restarted) == ["Unavailable"], "connector \(n)") }
    }

    @Test("TC_032_1 power loss on backup power: StopTransaction PowerLoss goes out before the restart; Finishing survives it")
    func TC_032_1() throws {
        var h = try H()
        h.connect()
        try h.charging()
        let mark = h.mark
        try h.fault(.power, nil)
        h.run(1)
        let stop = try #require(h.calls(StopTransactionRequest.action, since: mark).first)
        #expect(stop["reason"] == .string("PowerLoss") && stop["transactionId"] == .integer(Int64(h.lastTransactionID)))
        #expect(h.statuses(1, since: mark).last == "Finishing")
        #expect(h.actions.last == .restartServices(drained: true), "the station goes down once the StopTransaction is delivered")
        // The simulated board's power returns with the next start.
        try h.board.setFault(.power, connector: nil, active: false)
        let booted = h.mark
        try h.restart()
        h.run(1)
        let names = h.callNames(since: mark)
        let boot = try #require(names.firstIndex(of: BootNotificationRequest.action))
        #expect(try #require(names.firstIndex(of: StopTransactionRequest.action)) < boot)
        #expect(h.statuses(0, since: booted) == ["Available"])
        #expect(h.statuses(1, since: booted) == ["Finishing"], "the transaction ended with the vehicle plugged in")
        #expect(h.statuses(2, since: booted) == ["Available"])
        #expect(!h.callNames(since: booted).contains(StopTransactionRequest.action), "nothing is sent twice after the restart")
    }

    @Test("TC_036 the connection is lost with a MeterValues in flight: after the reconnect the queue is sent at once, not after TransactionMessageRetryInterval")
    func TC_036_inFlightAtConnectionLoss() throws {
        var h = try H(config: [("MeterValueSampleInterval", "1"), ("TransactionMessageRetryInterval", "60")])
        h.connect()
        try h.charging()
        h.unanswered = [MeterValuesRequest.action]  // the backend goes away with the next MeterValues unanswered
        h.run(1.5)
        h.event(.disconnected)
        h.unanswered = []
        h.run(5)
        let mark = h.mark
        h.connect(run: 3)
        let values = h.calls(MeterValuesRequest.action, since: mark)
        #expect(values.count >= 6, "the queued values and the new ones go out within seconds of the reconnect: \(values.count)")
    }

    @Test("TC_037_1 offline start with a cached valid tag: delivered once the connection is back, Charging")
    func TC_037_1() throws {
        var h = try H(config: [("LocalAuthorizeOffline", "On"), ("AuthorizationCacheEnabled", "On")])
        h.connect()
        try h.charging()  // fills the cache
        try h.card()
        try h.unplug()
        h.event(.disconnected)
        try h.plug()
        try h.card()
        h.run(5)
        #expect(h.station.backendView(connector: 1)?.status == .charging)
        let mark = h.mark
        h.connect(run: 3)
        let starts = h.calls(StartTransactionRequest.action, since: mark)
        #expect(starts.count == 1 && starts.first?["idTag"] == .string(H.tag))
        #expect(h.statuses(1, since: mark).last == "Charging")
    }

    /// Offline: plug and card, the transaction runs; the tag turns out Invalid once the connection is back.
    private func offlineStartWithInvalidTag(_ h: inout H) throws -> Int {
        h.connect()
        h.event(.disconnected)
        try h.plug()
        try h.card()
        h.run(5)
        #expect(h.station.backendView(connector: 1)?.status == .charging)
        h.idTags = [H.tag: .invalid]
        let mark = h.mark
        h.connect(run: 3)
        #expect(h.calls(StartTransactionRequest.action, since: mark).count == 1)
        return mark
    }

    @Test("TC_037_2 offline start, the tag Invalid, StopTransactionOnInvalidId false: SuspendedEVSE until stopped remotely")
    func TC_037_2() throws {
        var h = try H(config: [("AllowOfflineTxForUnknownId", "On"), ("StopTransactionOnInvalidId", "Off")])
        let mark = try offlineStartWithInvalidTag(&h)
        h.run(5)
        #expect(h.statuses(1, since: mark).last == "SuspendedEVSE")
        #expect(h.calls(StopTransactionRequest.action, since: mark).isEmpty)
        #expect(try h.call(RemoteStopTransactionRequest(transactionId: h.lastTransactionID)).status == .accepted)
        h.run(1)
        #expect(h.calls(StopTransactionRequest.action, since: mark).map { $0["reason"] } == [.string("Remote")])
    }

    @Test("TC_037_3 offline start, the tag Invalid, StopTransactionOnInvalidId true: StopTransaction DeAuthorized, Finishing")
    func TC_037_3() throws {
        var h = try H(config: [("AllowOfflineTxForUnknownId", "On"), ("StopTransactionOnInvalidId", "On")])
        let mark = try offlineStartWithInvalidTag(&h)
        h.run(2)
        #expect(h.calls(StopTransactionRequest.action, since: mark).map { $0["reason"] } == [.string("DeAuthorized")])
        #expect(h.statuses(1, since: mark).last == "Finishing")
    }

    @Test("TC_038 offline stop: the StopTransaction of the card is delivered once the connection is back")
    func TC_038() throws {
        var h = try H()
        h.connect()
        try h.charging()
        h.event(.disconnected)
        try h.card()
        h.run(1)
        #expect(h.station.backendView(connector: 1)?.status == .finishing)
        let mark = h.mark
        h.connect(run: 3)
        let stops = h.calls(StopTransactionRequest.action, since: mark)
        #expect(stops.count == 1)
        #expect(stops.first?["transactionId"] == .integer(Int64(h.lastTransactionID)))
        #expect(stops.first?["reason"] == nil || stops.first?["reason"] == .string("Local"))
        #expect(h.statuses(1, since: mark).last == "Finishing")
    }

    @Test("TC_041 a faulted connector starts nothing: the card goes to the other connector, where the transaction starts")
    func TC_041() throws {
        var h = try H()
        h.connect()
        let mark = h.mark
        try h.fault(.meter, 1)
        h.run(2)
        #expect(h.statuses(1, since: mark).last == "Faulted")
        try h.plug(1)
        try h.card()
        #expect(h.calls(AuthorizeRequest.action, since: mark).count == 1)
        h.run(1)
        #expect(h.statuses(2, since: mark).last == "Preparing")
        try h.plug(2)
        h.run(5)
        let starts = h.calls(StartTransactionRequest.action, since: mark)
        #expect(starts.count == 1 && starts.first?["connectorId"] == .integer(2))
        #expect(h.station.backendView(connector: 1)?.status == .faulted)
        let cleared = h.mark
        try h.fault(.meter, 1, clear: true)
        h.run(15)
        #expect(h.statuses(1, since: cleared).contains { $0 != "Faulted" })
    }

    @Test("TC_069 a tag of the same group (parentIdTag) stops the transaction after Authorize")
    func TC_069() throws {
        var h = try H()
        h.parents = [H.tag: "FLEET", H.otherCard.lowercased(): "FLEET"]
        h.connect()
        try h.charging()
        let mark = h.mark
        try h.card(H.otherCard)
        h.run(1)
        #expect(h.calls(AuthorizeRequest.action, since: mark).first?["idTag"] == .string(H.otherCard.lowercased()))
        let stops = h.calls(StopTransactionRequest.action, since: mark)
        #expect(stops.count == 1 && stops.first?["idTag"] == .string(H.otherCard.lowercased()))
        #expect(h.statuses(1, since: mark).last == "Finishing")
    }

    @Test("TC_071 clock-aligned MeterValues on interval boundaries; StopTransaction's transactionData with sampled and aligned values")
    func TC_071() throws {
        var h = try H(config: [("ClockAlignedDataInterval", "2"), ("MeterValuesAlignedData", "Energy.Active.Import.Register"),
                               ("StopTxnSampledData", "Energy.Active.Import.Register,Current.Import"),
                               ("StopTxnAlignedData", "Energy.Active.Import.Register")])
        h.connect()
        try h.charging()
        let mark = h.mark
        h.run(5)
        let aligned = h.calls(MeterValuesRequest.action, since: mark).filter { $0["transactionId"] == .integer(Int64(h.lastTransactionID)) }
        #expect(aligned.count >= 2)
        let first = try MeterValuesRequest(json: #require(aligned.first))
        #expect(first.meterValue.first?.sampledValue.map(\.context) == ["Sample.Clock"])
        let seconds = try #require(first.meterValue.first?.timestamp.timeIntervalSince1970)
        #expect(seconds.truncatingRemainder(dividingBy: 2) == 0, "on the 2 s boundary, whole seconds")
        let stopMark = h.mark
        try h.card()
        h.run(1)
        let stop = try StopTransactionRequest(json: #require(h.calls(StopTransactionRequest.action, since: stopMark).first))
        let data = try #require(stop.transactionData)
        let contexts = data.flatMap { $0.sampledValue.compactMap(\.context) }
        #expect(contexts.first == "Transaction.Begin" && contexts.last == "Transaction.End")
        #expect(contexts.filter { $0 == "Sample.Clock" }.count >= 2)
        #expect(Set(data.first?.sampledValue.compactMap(\.measurand) ?? []) == ["Energy.Active.Import.Register", "Current.Import"])
        #expect(data.map(\.timestamp) == data.map(\.timestamp).sorted())
    }

    @Test("TC_014 soft reset without a transaction: an Inoperative connector stays Unavailable after the restart, the others Available")
    func TC_014() throws {
        var h = try H()
        h.connect()
        var mark = h.mark
        #expect(try h.call(ChangeAvailabilityRequest(connectorId: 1, type: .inoperative)).status == .accepted)
        h.run(1)
        #expect(h.statuses(1, since: mark) == ["Unavailable"])
        mark = h.mark
        #expect(try h.call(ResetRequest(type: .soft)).status == .accepted)
        h.run(1)
        #expect(h.actions.last == .restartServices(drained: true))
        try h.restart()
        #expect(h.calls(BootNotificationRequest.action, since: mark).count == 1)
        #expect(h.statuses(0, since: mark) == ["Available"])
        #expect(h.statuses(1, since: mark) == ["Unavailable"], "never anything else")
        #expect(h.statuses(2, since: mark) == ["Available"])
        mark = h.mark
        #expect(try h.call(ChangeAvailabilityRequest(connectorId: 1, type: .operative)).status == .accepted)
        h.run(1)
        #expect(h.statuses(1, since: mark) == ["Available"])
    }

    @Test("TC_015 hard reset with a transaction: StopTransaction HardReset is delivered before the BootNotification")
    func TC_015() throws {
        var h = try H()
        h.connect()
        try h.charging()
        let mark = h.mark
        #expect(try h.call(ResetRequest(type: .hard)).status == .accepted)
        h.run(1)
        #expect(h.calls(StopTransactionRequest.action, since: mark).map { $0["reason"] } == [.string("HardReset")])
        #expect(h.actions.last == .restartServices(drained: true))
        try h.restart()
        let names = h.callNames(since: mark)
        let boot = try #require(names.firstIndex(of: BootNotificationRequest.action))
        #expect(try #require(names.firstIndex(of: StopTransactionRequest.action)) < boot)
        #expect(h.statuses(1, since: mark).contains("Finishing"))
    }

    @Test("TC_017_2/TC_018_2 a fixed cable cannot be unlocked (NotSupported), with or without a transaction; the transaction goes on")
    func TC_017_2_and_TC_018_2() throws {
        var h = try H(config: [("ConnectorKind.1", "Cable")])
        h.connect()
        #expect(try h.call(UnlockConnectorRequest(connectorId: 1)).status == .notSupported)
        try h.charging()
        let mark = h.mark
        #expect(try h.call(UnlockConnectorRequest(connectorId: 1)).status == .notSupported)
        h.run(1)
        #expect(h.calls(StopTransactionRequest.action, since: mark).isEmpty, "not stopped by UnlockConnector")
        #expect(try h.call(RemoteStopTransactionRequest(transactionId: h.lastTransactionID)).status == .accepted)
        h.run(1)
        #expect(h.calls(StopTransactionRequest.action, since: mark).map { $0["reason"] } == [.string("Remote")])
    }

    @Test("TC_043 SendLocalList Full then Differential: a stale version is a VersionMismatch; an entry without idTagInfo is removed")
    func TC_043() throws {
        var h = try H()
        h.connect()
        let full = [AuthorizationData(idTag: "LOCAL1", idTagInfo: IdTagInfo(status: .accepted)),
                    AuthorizationData(idTag: "LOCAL2", idTagInfo: IdTagInfo(status: .blocked))]
        #expect(try h.call(SendLocalListRequest(listVersion: 5, localAuthorizationList: full, updateType: .full)).status == .accepted)
        #expect(try h.call(GetLocalListVersionRequest()).listVersion == 5)
        let stale = [AuthorizationData(idTag: "LOCAL3")]
        #expect(try h.call(SendLocalListRequest(listVersion: 5, localAuthorizationList: stale, updateType: .differential)).status == .versionMismatch)
        let diff = [AuthorizationData(idTag: "LOCAL2"), AuthorizationData(idTag: "LOCAL3", idTagInfo: IdTagInfo(status: .accepted))]
        #expect(try h.call(SendLocalListRequest(listVersion: 6, localAuthorizationList: diff, updateType: .differential)).status == .accepted)
        #expect(h.station.authorization.lists.localList.map(\.idTag).sorted() == ["LOCAL1", "LOCAL3"])
    }
}
