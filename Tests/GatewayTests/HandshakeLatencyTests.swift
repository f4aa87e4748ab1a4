import Foundation
import ModbusTCP
import OCPP16
import Testing
@testable import Gateway

/// The latency of the register handshakes (seeds/003 Appendix 1) as the pure central system returns it in its actions,
/// measured on the clock it is given (issue 30 item 1: the gateway's BMS handshake latency histogram and timeouts).
@Suite("Gateway central system: handshake latencies for the metrics")
struct HandshakeLatencyTests {
    /// The handshakes that ended among the actions recorded so far.
    static func ended(_ h: Harness) -> [HandshakeEnded] {
        h.actions.compactMap { if case .handshakeEnded(let e) = $0 { e } else { nil } }
    }

    @Test func seeds003_2_3_2_remoteStartLatencyFromFlagWriteToChargerAnswer() throws {
        var h = Harness()
        #expect(h.write(.cp1(.remoteStartIdTag), text: "REMOTE1") == nil)
        h.now = h.now.addingTimeInterval(5)  // the parameters may be written well before the Flag: not part of the latency
        #expect(h.write(.cp1(.remoteStartFlag), 1) == nil)
        guard case .call(let mid, "RemoteStartTransaction", _)? = h.last() else { Issue.record("no CALL"); return }
        #expect(Self.ended(h).isEmpty, "still running")
        h.now = h.now.addingTimeInterval(1.75)
        h.record(h.cs.received("CP1", text: OCPPFrame.callResult(id: mid, payload: ["status": "Accepted"]).serialized(), now: h.now))
        #expect(Self.ended(h) == [HandshakeEnded(charger: "CP1", block: .messagesFromCS, action: "RemoteStartTransaction", seconds: 1.75, end: .answered)])
    }

    @Test func seeds003_2_3_2_callErrorEndsTheHandshakeAsFailed() throws {
        var h = Harness()
        #expect(h.write(.cp1(.clearCacheFlag), 1) == nil)
        guard case .call(let mid, "ClearCache", _)? = h.last() else { Issue.record("no CALL"); return }
        h.now = h.now.addingTimeInterval(0.5)
        h.record(h.cs.received("CP1", text: OCPPFrame.callError(id: mid, code: "InternalError", description: "busy", details: .object([:])).serialized(), now: h.now))
        #expect(Self.ended(h) == [HandshakeEnded(charger: "CP1", block: .messagesFromCS, action: "ClearCache", seconds: 0.5, end: .failed)])
        #expect(h.int(.cp1(.clearCacheResult)) == CentralSystem.noAnswer)
    }

    @Test func seeds003_2_3_2_unansweredOperationIsATimeout() {
        var h = Harness()
        #expect(h.write(.cp1(.resetFlag), 1) == nil)
        h.tick(Double(h.cs.settings.chargerTimeoutSeconds) - 1)
        #expect(Self.ended(h).isEmpty)
        h.tick(1)
        #expect(Self.ended(h) == [HandshakeEnded(charger: "CP1", block: .messagesFromCS, action: "Reset",
                                                 seconds: Double(h.cs.settings.chargerTimeoutSeconds), end: .timedOut)])
    }

    @Test func seeds003_2_3_2_sendLocalListEndsWithItsSecondCall() throws {
        var h = Harness()
        #expect(h.write(.cp1(.sendLocalListOperation), 1) == nil)
        #expect(h.write(.cp1(.sendLocalListIdTag), text: "CARD7") == nil)
        #expect(h.write(.cp1(.sendLocalListAuthorizationStatus), 0) == nil)
        #expect(h.write(.cp1(.sendLocalListFlag), 1) == nil)
        guard case .call(let q, "GetLocalListVersion", _)? = h.last() else { Issue.record("no GetLocalListVersion"); return }
        h.now = h.now.addingTimeInterval(1)
        h.record(h.cs.received("CP1", text: OCPPFrame.callResult(id: q, payload: ["listVersion": 4]).serialized(), now: h.now))
        #expect(Self.ended(h).isEmpty, "the first of two steps")
        guard case .call(let s, "SendLocalList", _)? = h.last() else { Issue.record("no SendLocalList"); return }
        h.now = h.now.addingTimeInterval(2)
        h.record(h.cs.received("CP1", text: OCPPFrame.callResult(id: s, payload: ["status": "Accepted"]).serialized(), now: h.now))
        #expect(Self.ended(h) == [HandshakeEnded(charger: "CP1", block: .messagesFromCS, action: "SendLocalList", seconds: 3, end: .answered)])
    }

    @Test func seeds003_2_3_1_2_authorizeLatencyFromRequestToProcessed() {
        var h = Harness()
        _ = h.call(AuthorizeRequest(idTag: "04567DAA5F3580"))
        h.now = h.now.addingTimeInterval(2.5)
        #expect(h.write(.cp1(.authorizationResult), 0) == nil)
        #expect(Self.ended(h).isEmpty, "Processed not yet written")
        #expect(h.write(.cp1(.authorizationProcessed), 1) == nil)
        #expect(Self.ended(h) == [HandshakeEnded(charger: "CP1", block: .messagesToCS, action: "Authorize", seconds: 2.5, end: .answered)])
    }

    @Test func seeds003_2_3_1_3_unprocessedStartTransactionIsATimeout() {
        var h = Harness(bmsTimeout: 20)
        _ = h.call(StartTransactionRequest(connectorId: 1, idTag: "CARD1", meterStart: 100, timestamp: h.now))
        h.tick(19.75)
        #expect(Self.ended(h).isEmpty)
        h.tick(0.25)
        #expect(Self.ended(h) == [HandshakeEnded(charger: "CP1", block: .messagesToCS, action: "StartTransaction", seconds: 20, end: .timedOut)])
    }

    @Test func disconnectDropsTheHandshakeWithoutALatency() {
        var h = Harness()
        #expect(h.write(.cp1(.clearCacheFlag), 1) == nil)
        _ = h.call(AuthorizeRequest(idTag: "AAA"))
        h.record(h.cs.disconnected("CP1", connection: 1, now: h.now.addingTimeInterval(3)))
        #expect(Self.ended(h).isEmpty, "a dropped handshake is no latency and no timeout of the BMS's loop")
    }
}
