import Foundation
import ModbusTCP
import OCPP16
import Testing
@testable import Gateway

/// Issue #20 item 10: a second connection does not take over a charger; read-only registers answer 02 whole and in
/// part; a finished session leaves no load in the registers; a failed upstream connection is logged with its reason.
@Suite("Gateway details (issue #20 item 10)")
struct GatewayDetailsTests {
    @Test("a second connection of a connected charger is refused and logged; the first keeps the charger")
    func secondConnection() {
        var h = Harness()
        _ = h.call(AuthorizeRequest(idTag: "TAG-1"))
        h.record(h.cs.connected("CP1", connection: 2, now: h.now))
        #expect(h.cs.connection(of: "CP1") == 1)
        #expect(h.actions.contains { if case .log(let e) = $0 { e.level == .warning && e.message.contains("second connection") } else { false } })
        #expect(h.int(.cp1(.authorizationFlag)) == 1, "what waits for the BMS stays")
        h.record(h.cs.received("CP1", text: OCPPFrame.call(id: "x", action: "Heartbeat", payload: [:]).serialized(), now: h.now))
        #expect(h.answer("x") != nil, "the first connection's frames are served")
        h.record(h.cs.disconnected("CP1", connection: 2, now: h.now))
        #expect(h.cs.isConnected("CP1"), "the refused connection's close changes nothing")
        h.record(h.cs.disconnected("CP1", connection: 1, now: h.now))
        h.record(h.cs.connected("CP1", connection: 3, now: h.now))
        #expect(h.cs.connection(of: "CP1") == 3, "once the first is gone a new connection is taken")
    }

    @Test("a write to any register of a read-only value answers 02 (Modbus Application Protocol V1.1b3 §7)", arguments: [
        (ConnectorSignal.value(.currentImport, phase: 0), 1), (.value(.currentImport, phase: 0), 2), (.status, 1),
        (.transactionIdTag, 1), (.transactionIdTag, 10), (.transactionTimestamp, 1),
    ])
    func readOnlyWrites(signal: ConnectorSignal, registers: Int) {
        var h = Harness()
        #expect(h.write(SignalAddress.cp1(1, signal).address, Array(repeating: 0x4142, count: registers)) == .illegalDataAddress)
    }

    @Test("a write to part of a read-only charger string answers 02; part of a writable one is taken register by register")
    func partialStrings() {
        var h = Harness()
        #expect(h.write(SignalAddress.cp1(.chargePointVendor).address, [0x4142]) == .illegalDataAddress)
        #expect(h.write(SignalAddress.cp1(.chargePointVendor).address + 1, [0x4142]) == .illegalDataAddress, "inside it")
        #expect(h.write(SignalAddress.cp1(.remoteStartIdTag).address, [0x4142]) == nil, "a writable string in part (seeds/003 §2.3.1.7)")
    }

    static func samples(_ at: Date) -> [MeterValue] {
        [MeterValue(timestamp: at, sampledValue: [
            SampledValue(value: "16.0", measurand: "Current.Import", phase: "L1", unit: "A"),
            SampledValue(value: "15.0", measurand: "Current.Import", phase: "L3", unit: "A"),
            SampledValue(value: "16.0", measurand: "Current.Offered", phase: "L1", unit: "A"),
            SampledValue(value: "11000", measurand: "Power.Active.Import", unit: "W"),
            SampledValue(value: "2500", measurand: "Energy.Active.Import.Register", unit: "Wh"),
            SampledValue(value: "231", measurand: "Voltage", phase: "L1-N", unit: "V")])]
    }

    static func loadCleared(_ h: Harness, connector: Int) {
        for s in [ConnectorSignal.value(.currentImport, phase: 0), .value(.currentImport, phase: 2), .value(.currentOffered, phase: 0),
                  .value(.powerActiveImport, phase: 0)] {
            #expect(h.value(.cp1(connector, s)) == .float(0), "\(s)")
        }
        #expect(h.value(.cp1(connector, .value(.energyActiveImportRegister, phase: 0))) == .float(2500), "energy stays")
        #expect(h.value(.cp1(connector, .value(.voltage, phase: 0))) == .float(231), "voltage stays")
    }

    @Test("External mode: StopTransaction leaves no current and power in the connector's registers")
    func loadClearedOnStopExternal() {
        var h = BridgeTests.open()
        let start = h.call(BridgeTests.start)
        h.record(h.cs.upstreamReceived("CP1", text: BridgeTests.callResult(start, ["transactionId": 77, "idTagInfo": ["status": "Accepted"]]), now: h.now))
        _ = h.call(MeterValuesRequest(connectorId: 2, transactionId: 77, meterValue: Self.samples(h.now)))
        #expect(h.value(.cp1(2, .value(.currentImport, phase: 0))) == .float(16))
        _ = h.call(StopTransactionRequest(meterStop: 2500, timestamp: h.now, transactionId: 77, reason: "EVDisconnected"))
        Self.loadCleared(h, connector: 2)
    }

    @Test("BMS mode: the answered StopTransaction leaves no current and power in the connector's registers")
    func loadClearedOnStopBMS() {
        var h = Harness()
        _ = h.call(StartTransactionRequest(connectorId: 1, idTag: "TAG-1", meterStart: 0, timestamp: h.now))
        #expect(h.write(.cp1(.startResult), 0) == nil)
        #expect(h.write(.cp1(.startTransactionId), 31) == nil)
        #expect(h.write(.cp1(.startProcessed), 1) == nil)
        _ = h.call(MeterValuesRequest(connectorId: 1, transactionId: 31, meterValue: Self.samples(h.now)))
        _ = h.call(StopTransactionRequest(meterStop: 2500, timestamp: h.now, transactionId: 31, reason: "Local"))
        #expect(h.write(.cp1(.stopResult), 0) == nil)
        #expect(h.write(.cp1(.stopProcessed), 1) == nil)
        Self.loadCleared(h, connector: 1)
    }

    @Test("StatusNotification Available clears the load too (a session whose end the gateway did not see)")
    func loadClearedOnAvailable() {
        var h = Harness()
        _ = h.call(MeterValuesRequest(connectorId: 1, meterValue: Self.samples(h.now)))
        _ = h.call(StatusNotificationRequest(connectorId: 1, errorCode: "NoError", status: "Finishing"))
        #expect(h.value(.cp1(1, .value(.powerActiveImport, phase: 0))) == .float(11000), "Finishing: as reported")
        _ = h.call(StatusNotificationRequest(connectorId: 1, errorCode: "NoError", status: "Available"))
        Self.loadCleared(h, connector: 1)
    }

    @Test("a failed upstream connection is logged with its reason, once per reason")
    func upstreamFailures() {
        var h = Harness(mode: .external)
        let refused401 = "the backend refused the WebSocket upgrade with HTTP 401 Unauthorized"
        h.record(h.cs.upstreamDisconnected("CP1", reason: refused401, now: h.now))
        h.record(h.cs.upstreamDisconnected("CP1", reason: refused401, now: h.now))
        h.record(h.cs.upstreamDisconnected("CP1", reason: "the backend refused the WebSocket upgrade with HTTP 404 Not Found", now: h.now))
        let logged = h.actions.compactMap { if case .log(let e) = $0, e.message.hasPrefix("cannot connect") { e.message } else { nil } }
        #expect(logged.count == 2)
        #expect(logged.first?.contains("HTTP 401") == true && logged.last?.contains("HTTP 404") == true)
    }
}
