import Foundation
import ModbusTCP
import OCPP16
import Testing
@testable import Gateway

/// Issue #20 item 6, the gateway's part: whatever it holds per event is bounded in count and in bytes.
@Suite("Gateway bounds (issue #20 item 6)")
struct GatewayBoundsTests {
    /// A DataTransfer CALL whose frame is about `bytes` long.
    static func bulky(_ n: Int, bytes: Int) -> DataTransferRequest {
        DataTransferRequest(vendorId: "Bulk", messageId: "\(n)", data: String(repeating: "x", count: bytes))
    }

    @Test("held CALLs are bounded in bytes per charger; the oldest non-transaction CALL gives way")
    func heldBytesPerCharger() {
        var h = Harness(mode: .external)
        let start = h.call(BridgeTests.start)
        let size = 500_000
        for n in 0..<20 { _ = h.call(Self.bulky(n, bytes: size)) }
        let relay = h.cs.chargers["CP1"]!.relay
        #expect(relay.bytes <= CentralSystem.maximumHeldBytes)
        #expect(relay.toCentral.count == 1 + CentralSystem.maximumHeldBytes / (size + 100), "the StartTransaction and what fits")
        #expect(relay.toCentral.first?.messageID == start, "transaction messages are kept")
        #expect(h.cs.chargers.relayBytes == relay.bytes, "the gateway-wide sum follows every change")
        let warnings = h.actions.filter { if case .log(let e) = $0 { e.message.contains("MB held") } else { false } }
        #expect(warnings.count == 1, "the first drop is logged, the others counted")
        h.record(h.cs.upstreamConnected("CP1", now: h.now))
        #expect(h.actions.contains { if case .log(let e) = $0 { e.message.contains("were dropped by the bounds") } else { false } })
        #expect(h.upstream["CP1"]?.first?.contains("\"\(start)\"") == true)
    }

    @Test("held CALLs are bounded for all chargers together")
    func heldBytesTotal() {
        var h = Harness(mode: .external)
        h.cs.settings.acceptUnconfiguredChargers = true
        let perCharger = CentralSystem.maximumHeldBytes - 200_000
        let chargers = CentralSystem.maximumHeldBytesTotal / perCharger + 2
        for i in 0..<chargers {
            h.record(h.cs.connected("X\(i)", connection: UInt64(100 + i), now: h.now))
            _ = h.call(Self.bulky(i, bytes: perCharger), from: "X\(i)")
        }
        #expect(h.cs.chargers.relayBytes <= CentralSystem.maximumHeldBytesTotal)
        #expect(h.cs.chargers["X\(chargers - 1)"]?.relay.toCentral.isEmpty == true, "the CALL beyond the total is not held")
        h.record(h.cs.disconnected("X0", connection: 100, now: h.now))
        #expect(h.cs.chargers.relayBytes <= CentralSystem.maximumHeldBytesTotal - perCharger, "a charger's bytes go with it")
    }

    @Test("a CALL of the central system beyond the bounds is answered with a CALLERROR, not held")
    func heldTowardsTheCharger() {
        var h = BridgeTests.open()
        let first = #"[2,"cs-1","Reset",{"type":"Soft"}]"#
        h.record(h.cs.upstreamReceived("CP1", text: first, now: h.now))
        for n in 2...(CentralSystem.maximumHeldCalls + 1) {
            h.record(h.cs.upstreamReceived("CP1", text: #"[2,"cs-\#(n)","ClearCache",{}]"#, now: h.now))
        }
        #expect(h.cs.chargers["CP1"]?.relay.toCharger.count == CentralSystem.maximumHeldCalls)
        #expect(h.upstream["CP1"]?.last?.hasPrefix(#"[4,"cs-\#(CentralSystem.maximumHeldCalls + 1)","GenericError""#) == true)
    }

    @Test("a held CALL repeated by the charger is merged by payload, also without the parsed payload kept")
    func retryMergedByHash() {
        var h = Harness(mode: .external)
        let request = MeterValuesRequest(connectorId: 1, meterValue: [MeterValue(timestamp: h.now, sampledValue: [SampledValue(value: "1")])])
        _ = h.call(request)
        let retry = h.call(request)
        _ = h.call(MeterValuesRequest(connectorId: 1, meterValue: [MeterValue(timestamp: h.now, sampledValue: [SampledValue(value: "2")])]))
        #expect(h.cs.chargers["CP1"]?.relay.toCentral.map(\.messageID) == [retry, "m3"])
        #expect(h.cs.chargers["CP1"]?.relay.toCentral.allSatisfy { $0.payload == nil } == true, "only StartTransaction keeps its payload")
    }

    @Test("BMS mode: at most 8 requests of a kind wait for the BMS; more are answered with a CALLERROR")
    func bmsQueue() {
        var h = Harness()
        let ids = (0...CentralSystem.maximumQueuedRequests).map { _ in h.call(AuthorizeRequest(idTag: "TAG-1")) }
        #expect(h.cs.chargers["CP1"]?.incoming[.authorize]?.count == CentralSystem.maximumQueuedRequests)
        #expect(h.error(ids.last!) == "GenericError")
        #expect(ids.dropLast().allSatisfy { h.error($0) == nil })
    }

    @Test("a connector has one open transaction: one whose stop never came is superseded")
    func openTransactionsPerConnector() {
        var h = BridgeTests.open()
        for n in 1...50 {
            let id = h.call(StartTransactionRequest(connectorId: 1, idTag: "TAG-\(n)", meterStart: n, timestamp: h.now))
            h.record(h.cs.upstreamReceived("CP1", text: BridgeTests.callResult(id, ["transactionId": .integer(Int64(n)), "idTagInfo": ["status": "Accepted"]]),
                                           now: h.now))
        }
        #expect(h.cs.openTransactions.count == 1)
        #expect(h.cs.openTransactions[OpenTransaction(charger: "CP1", transactionId: 50)] == 1)
    }

    @Test("refused connections: distinct ChargerIDs bounded, IDs that could never be configured only counted")
    func refusedConnections() {
        var r = RefusedConnections()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        for n in 0..<(RefusedConnections.capacity + 50) { r.record("FLOOD-\(n)", .unknown, remoteAddress: "10.0.0.9", at: t0) }
        r.record("FLOOD-0", .unknown, remoteAddress: "10.0.0.8", at: t0.addingTimeInterval(1))
        r.record(String(repeating: "X", count: 49), .unknown, remoteAddress: nil, at: t0)
        r.record("CP1", .alreadyConnected, remoteAddress: "10.0.0.7", at: t0)
        let (attempts, uncounted) = r.drain()
        #expect(attempts.count == RefusedConnections.capacity)
        #expect(attempts.first == RefusedConnections.Attempt(id: "FLOOD-0", cause: .unknown, remoteAddress: "10.0.0.8", firstAt: t0,
                                                             lastAt: t0.addingTimeInterval(1), count: 2))
        #expect(uncounted == 50 + 1 + 1)
        #expect(r.isEmpty)
        let entries = RefusedConnections.logEntries(attempts, uncounted: uncounted)
        #expect(entries.count == 1)
        #expect(entries[0].message.contains("and \(RefusedConnections.capacity - 10) more") && entries[0].message.contains("52 more connection attempt"))
    }

    @Test("the event log keeps 200 entries of at most 500 characters")
    func eventLog() {
        var log = EventLog()
        for n in 0..<(EventLog.capacity + 10) { log.record(GatewayLogEntry(.info, nil, "\(n) " + String(repeating: "y", count: 2000)), at: Date()) }
        #expect(log.events.count == EventLog.capacity)
        #expect(log.events.allSatisfy { $0.entry.message.count <= EventLog.maximumCharacters + 1 })
    }
}
