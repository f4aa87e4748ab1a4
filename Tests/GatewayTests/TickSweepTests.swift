import Foundation
import OCPP16
import Testing
@testable import Gateway

/// The tick visits only the chargers with something that can time out (`ChargerTable.waiting`), not every charger:
/// a sweep over 19,400 chargers every 250 ms held up every CALL behind it (issue 31 item 5). These tests check that the
/// set follows every path in and out, so that nothing that should time out is left out of the tick.
@Suite("Gateway tick: the chargers that wait")
struct TickSweepTests {
    @Test("an idle booted charger waits for nothing; a request for the BMS makes it wait until it is answered")
    func bmsRequest() {
        var h = Harness(bmsTimeout: 5)
        #expect(h.cs.chargers.waiting.isEmpty)
        let id = h.call(AuthorizeRequest(idTag: "AAA"))
        #expect(h.cs.chargers.waiting == ["CP1"])
        h.tick(5)
        #expect(field(h.answer(id), "idTagInfo", "status") == .string("Invalid"))
        #expect(h.cs.chargers.waiting.isEmpty)
        let next = h.call(AuthorizeRequest(idTag: "BBB"))
        #expect(h.write(.cp1(.authorizationResult), 1) == nil)
        #expect(h.write(.cp1(.authorizationProcessed), 1) == nil)
        #expect(field(h.answer(next), "idTagInfo", "status") == .string("Blocked"))
        #expect(h.cs.chargers.waiting.isEmpty)
    }

    @Test("the chargers without registers are answered at once and never wait, however many")
    func unconfigured() {
        var h = Harness { $0.acceptUnconfiguredChargers = true }
        for n in 0..<500 {
            let charger = "X\(n)"
            h.record(h.cs.connected(charger, connection: UInt64(100 + n), now: h.now))
            let meter = h.call(MeterValuesRequest(connectorId: 1, meterValue: [MeterValue(timestamp: h.now, sampledValue: [SampledValue(value: "1")])]), from: charger)
            #expect(h.answer(meter, charger) != nil)
        }
        #expect(h.cs.chargers.waiting.isEmpty)
    }

    @Test("External mode: CALLs in the bridge wait until answered or timed out, held ones too")
    func relayed() {
        var h = Harness(mode: .external)
        _ = h.call(HeartbeatRequest())
        #expect(h.cs.chargers.waiting == ["CP1"], "held until the upstream connection opens")
        h.record(h.cs.upstreamConnected("CP1", now: h.now))
        let second = h.call(HeartbeatRequest())
        h.tick(30)
        #expect(h.upstream["CP1"]?.last?.contains("\"\(second)\"") == true, "the first timed out, the second is on the wire")
        #expect(h.cs.chargers.waiting == ["CP1"])
        h.record(h.cs.upstreamReceived("CP1", text: OCPPFrame.callResult(id: second, payload: ["currentTime": "2027-01-15T08:00:00Z"]).serialized(), now: h.now))
        #expect(h.answer(second) != nil)
        #expect(h.cs.chargers.waiting.isEmpty)
    }
}
