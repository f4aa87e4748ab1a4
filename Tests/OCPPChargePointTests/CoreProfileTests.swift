import Foundation
import Testing
import ChargePoint
import EVSECore
import OCPP16
import Persistence

/// The OCTT charge-point cases of the Core profile that Tests/Interop/ocpp16/test_core.py runs against the binary,
/// here against the pure charge point in process (OCA OCPP 1.6 compliance test case list, §3 Core).
@Suite("OCTT Core profile, in process")
struct CoreProfileTests {
    @Test("TC_001 cold boot: Rejected waits the interval, then Accepted; statuses of 0, 1, 2; heartbeats")
    func TC_001() throws {
        var h = try ChargePointHarness()
        h.bootAnswers = [(.rejected, 3), (.accepted, 2)]
        h.connect(run: 2.5)
        #expect(h.callNames() == [BootNotificationRequest.action], "Rejected: nothing else, and no new boot before the interval")
        #expect(h.calls(BootNotificationRequest.action).first?["chargePointVendor"] == .string("ChargeKit"))
        h.run(1)
        #expect(h.calls(BootNotificationRequest.action).count == 2)
        for n in 0...2 { #expect(h.statuses(n) == ["Available"]) }
        let mark = h.mark
        h.run(4.1)
        #expect(h.calls(HeartbeatRequest.action, since: mark).count == 2, "the interval of the accepted BootNotification (2 s)")
    }

    @Test("TC_002 cold boot pending: configuration is read and changed while Pending; only BootNotification is sent")
    func TC_002() throws {
        var h = try ChargePointHarness()
        h.bootAnswers = [(.pending, 4), (.accepted, 300)]
        h.connect(run: 1)
        let conf = try h.call(GetConfigurationRequest())
        #expect(Set(["HeartbeatInterval", "MeterValueSampleInterval", "SupportedFeatureProfiles"]).isSubset(of: Set(conf.configurationKey?.map(\.key) ?? [])))
        #expect(try h.call(ChangeConfigurationRequest(key: "MeterValueSampleInterval", value: "30")).status == .accepted)
        #expect(Set(h.callNames()) == [BootNotificationRequest.action])
        h.run(3.5)
        #expect(h.calls(BootNotificationRequest.action).count == 2)
        for n in 0...2 { #expect(h.statuses(n) == ["Available"]) }
        #expect(h.cp.settings.sampleIntervalSeconds == 30)
    }

    @Test("TC_003 plug-in first: Preparing, Authorize, StartTransaction, Charging")
    func TC_003() throws {
        var h = try ChargePointHarness()
        h.connect()
        try h.plug()
        #expect(h.statuses(1).last == "Preparing")
        try h.card()
        #expect(h.calls(AuthorizeRequest.action).first?["idTag"] == .string(ChargePointHarness.card.lowercased()))
        h.run(5)
        let start = try #require(h.calls(StartTransactionRequest.action).first)
        #expect(start["connectorId"] == .integer(1) && start["idTag"] == .string(ChargePointHarness.card.lowercased()))
        #expect(h.statuses(1).last == "Charging")
    }

    @Test("TC_004_1 identification first, then the vehicle")
    func TC_004_1() throws {
        var h = try ChargePointHarness()
        h.connect()
        try h.card()
        #expect(h.calls(AuthorizeRequest.action).count == 1)
        #expect(h.statuses(1).last == "Preparing")
        try h.plug()
        h.run(5)
        #expect(h.calls(StartTransactionRequest.action).count == 1)
        #expect(h.statuses(1).last == "Charging")
    }

    @Test("TC_004_2 identification first, no vehicle within the connection timeout: Available again, no transaction")
    func TC_004_2() throws {
        var h = try ChargePointHarness(config: [("VehicleConnectionTimeout", "5")])
        h.connect()
        try h.card()
        #expect(h.statuses(1).last == "Preparing")
        h.run(6)
        #expect(h.statuses(1).last == "Available")
        #expect(h.calls(StartTransactionRequest.action).isEmpty)
    }

    @Test("TC_068 the same card stops the transaction: reason Local, no Authorize, Begin and End values in transactionData")
    func TC_068() throws {
        var h = try ChargePointHarness()
        h.connect()
        try h.charging()
        let mark = h.mark
        try h.card()
        h.run(1)
        let stop = try #require(h.calls(StopTransactionRequest.action, since: mark).first)
        #expect(stop["transactionId"] == .integer(Int64(h.lastTransactionID)))
        #expect(stop["reason"] == nil || stop["reason"] == .string("Local"))
        #expect(stop["idTag"] == .string(ChargePointHarness.card.lowercased()))
        #expect(h.calls(AuthorizeRequest.action, since: mark).isEmpty)
        #expect(h.statuses(1, since: mark).last == "Finishing")
        let r = try StopTransactionRequest(json: stop)
        #expect(r.transactionData?.flatMap { $0.sampledValue.compactMap(\.context) } == ["Transaction.Begin", "Transaction.End"])
    }

    @Test("TC_005_1 the vehicle side is disconnected: StopTransaction EVDisconnected, then Available")
    func TC_005_1() throws {
        var h = try ChargePointHarness()
        h.connect()
        try h.charging()
        let mark = h.mark
        try h.unplug(force: true)
        h.run(1)
        #expect(h.calls(StopTransactionRequest.action, since: mark).first?["reason"] == .string("EVDisconnected"))
        #expect(h.statuses(1, since: mark).last == "Available")
    }

    @Test("TC_010 remote start with the cable plugged in first")
    func TC_010() throws {
        var h = try ChargePointHarness()
        h.connect()
        try h.plug()
        #expect(try h.call(RemoteStartTransactionRequest(connectorId: 1, idTag: ChargePointHarness.card)).status == .accepted)
        h.run(5)
        #expect(h.calls(StartTransactionRequest.action).first?["idTag"] == .string(ChargePointHarness.card))
        #expect(h.statuses(1).last == "Charging")
    }

    @Test("TC_011_1 remote start first, then the cable")
    func TC_011_1() throws {
        var h = try ChargePointHarness()
        h.connect()
        #expect(try h.call(RemoteStartTransactionRequest(connectorId: 1, idTag: ChargePointHarness.card)).status == .accepted)
        h.run(1)
        #expect(h.statuses(1).last == "Preparing")
        try h.plug()
        h.run(5)
        #expect(h.calls(StartTransactionRequest.action).count == 1)
        #expect(h.statuses(1).last == "Charging")
    }

    @Test("TC_012 remote stop by transactionId: StopTransaction Remote")
    func TC_012() throws {
        var h = try ChargePointHarness()
        h.connect()
        try h.charging()
        let mark = h.mark
        #expect(try h.call(RemoteStopTransactionRequest(transactionId: h.lastTransactionID)).status == .accepted)
        h.run(1)
        #expect(h.calls(StopTransactionRequest.action, since: mark).first?["reason"] == .string("Remote"))
    }

    @Test("TC_013 hard reset without a transaction: accepted, the services restart")
    func TC_013() throws {
        var h = try ChargePointHarness()
        h.connect()
        #expect(try h.call(ResetRequest(type: .hard)).status == .accepted)
        h.run(0.2)
        #expect(h.actions.contains(.restartServices(drained: true)))
    }

    @Test("TC_016 soft reset with a transaction: StopTransaction SoftReset is delivered before the restart")
    func TC_016() throws {
        var h = try ChargePointHarness()
        h.connect()
        try h.charging()
        let mark = h.mark
        #expect(try h.call(ResetRequest(type: .soft)).status == .accepted)
        h.run(1)
        let stop = try #require(h.calls(StopTransactionRequest.action, since: mark).first)
        #expect(stop["reason"] == .string("SoftReset"))
        #expect(h.actions.last == .restartServices(drained: true))
        #expect(try h.db.transactionQueueCount() == 0)
    }

    @Test("TC_017_1 unlock without a session; TC_031 unlock of an unknown connector")
    func TC_017_1_and_TC_031() throws {
        var h = try ChargePointHarness()
        h.connect()
        #expect(try h.call(UnlockConnectorRequest(connectorId: 1)).status == .unlocked)
        #expect(try h.call(UnlockConnectorRequest(connectorId: 9)).status == .notSupported)
    }

    @Test("TC_018_1 unlock with a session: the transaction stops first (UnlockCommand)")
    func TC_018_1() throws {
        var h = try ChargePointHarness()
        h.connect()
        try h.charging()
        let mark = h.mark
        #expect(try h.call(UnlockConnectorRequest(connectorId: 1)).status == .unlocked)
        h.run(1)
        #expect(h.calls(StopTransactionRequest.action, since: mark).first?["reason"] == .string("UnlockCommand"))
    }

    @Test("TC_019 GetConfiguration: all keys, or the asked ones with the unknown ones named")
    func TC_019() throws {
        var h = try ChargePointHarness()
        h.connect()
        let all = try h.call(GetConfigurationRequest())
        let keys = Set(all.configurationKey?.map(\.key) ?? [])
        #expect(["HeartbeatInterval", "ConnectionTimeOut", "MeterValueSampleInterval", "NumberOfConnectors"].allSatisfy(keys.contains))
        let some = try h.call(GetConfigurationRequest(key: ["HeartbeatInterval", "NoSuchKey"]))
        #expect(some.configurationKey?.map(\.key) == ["HeartbeatInterval"] && some.unknownKey == ["NoSuchKey"])
    }

    @Test("TC_021 ChangeConfiguration: accepted and in effect; an unknown key NotSupported; a bad value Rejected")
    func TC_021() throws {
        var h = try ChargePointHarness()
        h.connect()
        #expect(try h.call(ChangeConfigurationRequest(key: "MeterValueSampleInterval", value: "15")).status == .accepted)
        #expect(h.cp.settings.sampleIntervalSeconds == 15)
        #expect(try h.call(GetConfigurationRequest(key: ["MeterValueSampleInterval"])).configurationKey?.first?.value == "15")
        #expect(try h.call(ChangeConfigurationRequest(key: "NoSuchKey", value: "1")).status == .notSupported)
        #expect(try h.call(ChangeConfigurationRequest(key: "MeterValueSampleInterval", value: "soon")).status == .rejected)
        #expect(h.cp.settings.sampleIntervalSeconds == 15)
    }

    @Test("TC_026 remote start on a connector in use; TC_027 on connector 0; TC_028 remote stop of an unknown transaction")
    func TC_026_TC_027_TC_028() throws {
        var h = try ChargePointHarness()
        h.connect()
        try h.charging()
        #expect(try h.call(RemoteStartTransactionRequest(connectorId: 1, idTag: "BBBBBBBB")).status == .rejected)
        // OCTT accepts Rejected or a CALLERROR; the schema check answers PropertyConstraintViolation.
        let zero = try h.send(RemoteStartTransactionRequest.action, .object(["connectorId": .integer(0), "idTag": .string("BBBBBBBB")]))
        guard case .callError(_, let code, _, _) = zero else { Issue.record("connector 0 answered \(zero)"); return }
        #expect(code == "PropertyConstraintViolation")
        #expect(try h.call(RemoteStopTransactionRequest(transactionId: 999)).status == .rejected)
    }

    @Test("TC_061 ClearCache; TC_062 DataTransfer of an unknown vendor")
    func TC_061_TC_062() throws {
        var h = try ChargePointHarness()
        h.connect()
        #expect(try h.call(ClearCacheRequest()).status == .accepted)
        #expect(try h.call(DataTransferRequest(vendorId: "com.example")).status == .unknownVendorId)
    }

    @Test("TC_070 sampled meter values every MeterValueSampleInterval, in the transaction, through the durable queue")
    func TC_070() throws {
        var h = try ChargePointHarness(config: [("MeterValueSampleInterval", "10")])
        h.connect()
        try h.charging()
        let mark = h.mark
        h.run(21)
        let values = h.calls(MeterValuesRequest.action, since: mark)
        #expect(values.count == 2)
        #expect(values.allSatisfy { $0["transactionId"] == .integer(Int64(h.lastTransactionID)) })
        let contexts = values.compactMap { try? MeterValuesRequest(json: $0) }.flatMap { $0.meterValue.flatMap { $0.sampledValue.compactMap(\.context) } }
        #expect(!contexts.isEmpty && contexts.allSatisfy { $0 == "Sample.Periodic" })
    }

    @Test("ChangeAvailability: the station Inoperative, a charging connector Scheduled, persisted")
    func changeAvailability() throws {
        var h = try ChargePointHarness()
        h.connect()
        try h.charging()
        #expect(try h.call(ChangeAvailabilityRequest(connectorId: 2, type: .inoperative)).status == .accepted)
        h.run(1)
        #expect(h.statuses(2).last == "Unavailable")
        #expect(try h.call(ChangeAvailabilityRequest(connectorId: 1, type: .inoperative)).status == .scheduled)
        #expect(try h.db.persistedInoperative(connector: 1) && h.db.persistedInoperative(connector: 2))
        #expect(try h.call(ChangeAvailabilityRequest(connectorId: 7, type: .operative)).status == .rejected)
    }

    @Test("TimeSource Heartbeat: the station clock follows the backend's; the statuses after the accepted boot carry its time")
    func backendTime() throws {
        var h = try ChargePointHarness()
        h.backendClockOffsetSeconds = 3600
        let before = h.now
        h.connect()
        let status = try StatusNotificationRequest(json: #require(h.calls(StatusNotificationRequest.action).first))
        #expect(abs(try #require(status.timestamp).timeIntervalSince(before) - 3600) < 5)
        #expect(h.actions.contains { if case .stepClock = $0 { true } else { false } })
    }

    @Test("a backend two hours behind: the clock steps back once; heartbeats keep their interval and the session its energy")
    func backendBehind() throws {
        var h = try ChargePointHarness(config: [("HeartbeatInterval", "10")])
        h.backendClockOffsetSeconds = -7200
        h.bootAnswers = [(.accepted, 10)]
        let before = h.now
        h.connect()
        try h.charging()
        #expect(abs(h.now.timeIntervalSince(before) + 7200) < 60, "stepped back by the backend's two hours")
        let energy = h.station.backendView(connector: 1)?.meter.energyWh ?? 0
        let mark = h.mark
        h.run(35)
        #expect((3...4).contains(h.calls(HeartbeatRequest.action, since: mark).count), "every 10 s")
        #expect((h.station.backendView(connector: 1)?.meter.energyWh ?? 0) > energy + 50)
        #expect(h.actions.filter { if case .stepClock = $0 { true } else { false } }.count == 1, "once: afterwards the clocks agree")
    }

    @Test("a ChangeConfiguration of a secret that is refused logs neither the value nor a message repeating it")
    func secretNotLogged() throws {
        var h = try ChargePointHarness()
        h.connect()
        let value = "not-a-valid-key-\u{7}-xyz"
        #expect(try h.call(ChangeConfigurationRequest(key: "AuthorizationKey", value: value)).status == .rejected)
        #expect(h.logs.contains { $0.contains("AuthorizationKey") }, "the refusal is logged")
        #expect(!h.logs.contains { $0.contains("xyz") }, "\(h.logs)")
    }
}
