import Foundation
import ModbusTCP
import OCPP16
import Testing
@testable import Gateway

/// External mode (seeds/003 §2.4): frames relayed unchanged, one CALL outstanding per direction, CALLs held while the
/// central system is away, registers updated from what passes through.
@Suite("Gateway bridge (External mode)")
struct BridgeTests {
    /// A bridge whose CP1 is connected and whose upstream connection is open.
    static func open() -> Harness {
        var h = Harness(mode: .external)
        h.record(h.cs.upstreamConnected("CP1", now: h.now))
        return h
    }

    static func callResult(_ id: String, _ payload: JSONValue) -> String { OCPPFrame.callResult(id: id, payload: payload).serialized() }

    static let start = StartTransactionRequest(connectorId: 2, idTag: "TAG-1", meterStart: 1500, timestamp: Date(timeIntervalSince1970: 1_800_000_000))

    @Test("a connecting charger gets an upstream connection; its CALLs wait for it and then go out as they came")
    func heldUntilUpstreamOpens() throws {
        var h = Harness(mode: .external)
        #expect(h.actions.contains(.openUpstream(charger: "CP1")))
        let text = #"[2, "boot-1", "BootNotification", {"chargePointVendor": "ACME", "chargePointModel": "W22"}]"#
        h.record(h.cs.received("CP1", text: text, now: h.now))
        #expect(h.upstream["CP1"] == nil, "held while the central system is not connected")
        #expect(h.text(.cp1(.chargePointVendor)) == "ACME", "registers update as the frame arrives")

        h.record(h.cs.upstreamConnected("CP1", now: h.now))
        #expect(h.upstream["CP1"] == [text], "the frame is relayed byte for byte")
        let answer = #"[3,"boot-1",{"status":"Accepted","currentTime":"2027-01-15T08:00:00Z","interval":120}]"#
        h.record(h.cs.upstreamReceived("CP1", text: answer, now: h.now))
        #expect(h.actions.contains(.send(charger: "CP1", text: answer)), "the answer is relayed unchanged")
    }

    @Test("one CALL outstanding towards the central system: the next goes out after the answer")
    func oneOutstandingUpstream() {
        var h = Self.open()
        let a = h.call(HeartbeatRequest())
        let b = h.call(StatusNotificationRequest(connectorId: 1, errorCode: "NoError", status: "Preparing"))
        #expect(h.upstream["CP1"]?.count == 1)
        #expect(h.int(.cp1(1, .status)) == 1, "Preparing is shown at once")
        h.record(h.cs.upstreamReceived("CP1", text: Self.callResult(a, ["currentTime": "2027-01-15T08:00:00Z"]), now: h.now))
        #expect(h.upstream["CP1"]?.count == 2)
        #expect(h.upstream["CP1"]?.last?.contains("\"\(b)\"") == true)
    }

    @Test("one CALL outstanding towards the charger; answers go upstream unchanged")
    func oneOutstandingToCharger() throws {
        var h = Self.open()
        let first = #"[2,"cs-1","RemoteStartTransaction",{"idTag":"TAG-9","connectorId":1}]"#
        let second = #"[2,"cs-2","TriggerMessage",{"requestedMessage":"MeterValues","connectorId":1}]"#
        h.record(h.cs.upstreamReceived("CP1", text: first, now: h.now))
        h.record(h.cs.upstreamReceived("CP1", text: second, now: h.now))
        #expect(h.sent["CP1"]?.map(\.id) == ["cs-1"])
        let reply = #"[3,"cs-1",{"status":"Accepted"}]"#
        h.record(h.cs.received("CP1", text: reply, now: h.now))
        #expect(h.upstream["CP1"] == [reply])
        #expect(h.sent["CP1"]?.map(\.id) == ["cs-1", "cs-2"])
    }

    @Test("StartTransaction opens the transaction under the central system's id; StopTransaction closes it")
    func transactions() throws {
        var h = Self.open()
        let id = h.call(Self.start)
        h.record(h.cs.upstreamReceived("CP1", text: Self.callResult(id, ["transactionId": 7342, "idTagInfo": ["status": "Accepted"]]), now: h.now))
        #expect(h.text(.cp1(2, .transactionIdTag)) == "TAG-1")
        #expect(h.value(.cp1(2, .transactionMeterValueOnStart)) == .float(1500))
        #expect(h.int(.cp1(2, .transactionTimestamp)) == 1_800_000_000)
        let started = h.actions.compactMap { if case .transactionStarted(let t) = $0 { t } else { nil } }
        #expect(started.map(\.transactionId) == [7342] && started.first?.decidedBy == .external)

        let stop = StopTransactionRequest(idTag: "TAG-1", meterStop: 9500, timestamp: h.now.addingTimeInterval(3600), transactionId: 7342,
                                          reason: "EVDisconnected", transactionData: [MeterValue(timestamp: h.now.addingTimeInterval(3600),
                                          sampledValue: [SampledValue(value: "9.5", measurand: "Energy.Active.Import.Register", unit: "kWh")])])
        _ = h.call(stop)
        #expect(h.text(.cp1(2, .transactionIdTag)) == "")
        #expect(h.value(.cp1(2, .value(.energyActiveImportRegister, phase: 0))) == .float(9.5))
        #expect(h.actions.contains(.transactionStopped(GatewayTransactionStop(charger: "CP1", transactionId: 7342, meterStopWh: 9500,
                                                                             stoppedAt: h.now.addingTimeInterval(3600), reason: "EVDisconnected",
                                                                             decidedBy: .external))))
    }

    @Test("the CALL on the wire when the central system goes away is not sent again; held ones go out when it is back")
    func upstreamReconnect() throws {
        var h = Self.open()
        let trigger = MeterValuesRequest(connectorId: 1, meterValue: [MeterValue(timestamp: h.now, sampledValue: [SampledValue(value: "3.2")])])
        let first = h.call(trigger)
        // The central system may have processed it (its answer lost in the close): sending it again would make it
        // arrive twice with the same message id (issue #20 item 10).
        h.record(h.cs.upstreamDisconnected("CP1", reason: "closed by the backend (1000)", now: h.now))
        let heartbeat = h.call(HeartbeatRequest())
        #expect(h.upstream["CP1"]?.count == 1, "nothing goes out while the central system is away")
        h.upstream = [:]

        h.record(h.cs.upstreamConnected("CP1", now: h.now))
        #expect(h.upstream["CP1"]?.count == 1 && h.upstream["CP1"]?.first?.contains("\"\(heartbeat)\"") == true)
        #expect(h.upstream["CP1"]?.contains { $0.contains("\"\(first)\"") } == false)
        h.record(h.cs.upstreamReceived("CP1", text: Self.callResult(heartbeat, ["currentTime": "2027-01-15T08:00:00Z"]), now: h.now))
        #expect(h.answer(heartbeat) != nil)
        #expect(h.actions.contains { if case .log(let e) = $0 { e.message.contains("\(first) was on the wire and is not sent again") } else { false } })
    }

    @Test("a charger's retry of the CALL that was on the wire when the central system went away is sent once, as the retry")
    func retryAfterOutage() {
        var h = Self.open()
        let stop = StopTransactionRequest(meterStop: 9500, timestamp: h.now, transactionId: 55, reason: "Local")
        _ = h.call(stop)
        h.record(h.cs.upstreamDisconnected("CP1", reason: "closed by the backend (1006)", now: h.now))
        let retry = h.call(stop)
        h.upstream = [:]
        h.record(h.cs.upstreamConnected("CP1", now: h.now))
        h.record(h.cs.upstreamReceived("CP1", text: Self.callResult(retry, [:]), now: h.now))
        #expect(h.upstream["CP1"]?.count == 1 && h.upstream["CP1"]?.first?.contains("\"\(retry)\"") == true)
        #expect(h.answer(retry) != nil)
    }

    @Test("a held CALL repeated with the same payload replaces the held one")
    func retryMerged() {
        var h = Harness(mode: .external)
        let stop = StopTransactionRequest(meterStop: 9500, timestamp: h.now, transactionId: 55, reason: "Local")
        _ = h.call(stop)
        let second = h.call(stop)
        h.record(h.cs.upstreamConnected("CP1", now: h.now))
        h.record(h.cs.upstreamReceived("CP1", text: Self.callResult(second, [:]), now: h.now))
        #expect(h.upstream["CP1"]?.count == 1 && h.upstream["CP1"]?.first?.contains("\"\(second)\"") == true)
    }

    @Test("a charger that disconnects closes its upstream connection and drops what was held for it")
    func chargerDisconnects() {
        var h = Harness(mode: .external)
        _ = h.call(HeartbeatRequest())
        h.record(h.cs.disconnected("CP1", connection: 1, now: h.now))
        #expect(h.actions.contains(.closeUpstream(charger: "CP1")))
        #expect(h.int(.cp1(.communicationStatus)) == 1)
        h.record(h.cs.connected("CP1", connection: 2, now: h.now))
        h.record(h.cs.upstreamConnected("CP1", now: h.now))
        #expect(h.upstream["CP1"] == nil, "the old connection's CALLs are the charger's to send again")
    }

    @Test("a CALL the central system leaves unanswered times out; a late StartTransaction answer still opens the transaction")
    func timeouts() {
        var h = Self.open()
        let start = h.call(Self.start)
        let heartbeat = h.call(HeartbeatRequest())
        h.tick(29)
        #expect(h.upstream["CP1"]?.count == 1)
        h.tick(1)
        #expect(h.upstream["CP1"]?.count == 2, "after the 30 s answer timeout the next CALL goes out")
        #expect(h.upstream["CP1"]?.last?.contains("\"\(heartbeat)\"") == true)
        h.record(h.cs.upstreamReceived("CP1", text: Self.callResult(start, ["transactionId": 12, "idTagInfo": ["status": "Accepted"]]), now: h.now))
        #expect(h.text(.cp1(2, .transactionIdTag)) == "TAG-1")
        #expect(h.answer(start) != nil, "the late answer is relayed; the charger decides what it is worth")
    }

    @Test("malformed frames are answered where they came from and never relayed")
    func malformed() throws {
        var h = Self.open()
        h.record(h.cs.received("CP1", text: #"[2,"bad-1","Heartbeat"]"#, now: h.now))
        #expect(h.error("bad-1") == "FormationViolation")
        #expect(h.upstream["CP1"] == nil)
        h.record(h.cs.upstreamReceived("CP1", text: #"[2,"bad-2","Reset"]"#, now: h.now))
        let answer = try #require(h.upstream["CP1"]?.first)
        #expect(answer.hasPrefix(#"[4,"bad-2","FormationViolation""#))
        #expect(h.sent["CP1"]?.map(\.id) == ["bad-1"], "only the charger's own CALLERROR went to it")
    }

    @Test("at most 1000 CALLs are held; the oldest non-transaction CALL gives way")
    func heldLimit() {
        var h = Harness(mode: .external)
        let start = h.call(Self.start)
        let firstHeartbeat = h.call(MeterValuesRequest(connectorId: 1, meterValue: [MeterValue(timestamp: h.now, sampledValue: [SampledValue(value: "0")])]))
        for i in 1..<CentralSystem.maximumHeldCalls {
            _ = h.call(MeterValuesRequest(connectorId: 1, meterValue: [MeterValue(timestamp: h.now.addingTimeInterval(Double(i)), sampledValue: [SampledValue(value: "\(i)")])]))
        }
        #expect(h.actions.contains { if case .log(let e) = $0 { e.message.contains("\(firstHeartbeat) dropped") } else { false } })
        h.record(h.cs.upstreamConnected("CP1", now: h.now))
        #expect(h.upstream["CP1"]?.first?.contains("\"\(start)\"") == true, "the transaction message is kept")
    }

    @Test("BMS write registers answer exception 01 in External mode; the heartbeat and date registers do not exist")
    func writesRefused() {
        var h = Self.open()
        #expect(h.write(.cp1(.remoteStartFlag), 1) == .illegalFunction)
        #expect(h.write(.cp1(1, .unlockConnector), 1) == .illegalFunction)
    }

    @Test("an unconfigured charger accepted in External mode is relayed like the others")
    func unconfiguredRelayed() {
        var h = Harness(mode: .external)
        h.cs.settings.acceptUnconfiguredChargers = true
        h.record(h.cs.connected("CP77", connection: 9, now: h.now))
        #expect(h.actions.contains(.openUpstream(charger: "CP77")))
        h.record(h.cs.upstreamConnected("CP77", now: h.now))
        _ = h.call(HeartbeatRequest(), from: "CP77")
        #expect(h.upstream["CP77"]?.count == 1)
    }
}
