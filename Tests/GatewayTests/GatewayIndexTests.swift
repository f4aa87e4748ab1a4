import Foundation
import MQTTIntegration
import Testing
import TestSupport
@testable import Gateway

/// The central system's indexes that keep a tick and a StartTransaction from visiting every charger or every open
/// transaction (issue 31 item 5): they must answer exactly what a scan over everything would.
@Suite("Gateway indexes")
struct GatewayIndexTests {
    @Test("open transactions: one per connector (a new one supersedes), by id across chargers, closed once")
    func openTransactions() {
        var t = OpenTransactions()
        let a = OpenTransaction(charger: "CP1", transactionId: 7), b = OpenTransaction(charger: "CP2", transactionId: 7)
        t.open(a, connector: 1)
        t.open(b, connector: 1)
        #expect(t.count == 2 && t[a] == 1 && t.transaction(charger: "CP2", connector: 1) == b)
        // A new transaction on CP1's connector 1 supersedes the one whose stop never came.
        let c = OpenTransaction(charger: "CP1", transactionId: 8)
        t.open(c, connector: 1)
        #expect(t[a] == nil && t.transaction(charger: "CP1", connector: 1) == c && t.count == 2)
        #expect(t.containsTransactionId(7), "CP2's transaction 7 is still open")
        #expect(t.close(b) == 1 && t.close(b) == nil)
        #expect(!t.containsTransactionId(7) && t.containsTransactionId(8))
        // The same transaction reported again on another connector moves there.
        t.open(c, connector: 2)
        #expect(t.transaction(charger: "CP1", connector: 1) == nil && t.transaction(charger: "CP1", connector: 2) == c && t.count == 1)
    }

    @Test("open transactions: after any sequence of starts and stops the indexes agree with the transactions themselves")
    func openTransactionsAgree() {
        var t = OpenTransactions()
        var model: [OpenTransaction: Int] = [:]
        var random = SplitMix64(seed: 31)
        for _ in 0..<2_000 {
            let key = OpenTransaction(charger: "CP\(Int.random(in: 0..<6, using: &random))", transactionId: Int.random(in: 1...12, using: &random))
            if Bool.random(using: &random) {
                let connector = Int.random(in: 1...3, using: &random)
                for (k, n) in model where k.charger == key.charger && n == connector { model[k] = nil }
                model[key] = connector
                t.open(key, connector: connector)
            } else {
                #expect(t.close(key) == model.removeValue(forKey: key))
            }
        }
        #expect(t.count == model.count)
        for id in 1...12 { #expect(t.containsTransactionId(id) == model.keys.contains { $0.transactionId == id }) }
        for charger in (0..<6).map({ "CP\($0)" }) {
            for connector in 1...3 {
                #expect(t.transaction(charger: charger, connector: connector) == model.first { $0.key.charger == charger && $0.value == connector }?.key)
            }
        }
    }

    @Test("the chargers without configuration stay listed in ChargerID order through connections and disconnections")
    func unconfiguredInOrder() {
        var s = GatewaySettings()
        s.acceptUnconfiguredChargers = true
        s.chargers = [ChargerEntry(id: "M-configured", slot: 0, connectors: 2)]
        var cs = CentralSystem(settings: s)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var random = SplitMix64(seed: 5)
        var connected: [String: UInt64] = [:]
        for step in 0..<600 {
            let id = "CP\(Int.random(in: 0..<80, using: &random))"
            if let connection = connected[id] {
                _ = cs.disconnected(id, connection: connection, now: now)
                connected[id] = nil
            } else {
                _ = cs.connected(id, connection: UInt64(step + 1), now: now)
                connected[id] = UInt64(step + 1)
            }
        }
        _ = cs.connected("M-configured", connection: 9_999, now: now)
        #expect(cs.chargers.unconfigured == connected.keys.sorted())
        let state = cs.operatorState()
        #expect(state.chargers.map(\.id) == ["M-configured"] && state.unconfigured == connected.keys.sorted())
        let listed = cs.chargerStatuses(unconfigured: 5)
        #expect(listed.chargers.map(\.id) == ["M-configured"] + connected.keys.sorted().prefix(5))
        #expect(listed.moreUnconfigured == connected.count - 5)
    }

    @Test("the difference of two ordered ChargerID lists")
    func difference() {
        let d = GatewayMQTT.difference(from: ["A", "C", "D", "F"], to: ["B", "C", "F", "G"])
        #expect(d.added == ["B", "G"] && d.removed == ["A", "D"])
        #expect(GatewayMQTT.difference(from: [], to: ["A"]) == (["A"], []))
        #expect(GatewayMQTT.difference(from: ["A"], to: []) == ([], ["A"]))
        #expect(["A", "C", "E"].containsSorted("C") && !["A", "C", "E"].containsSorted("D") && ![String]().containsSorted("A"))
    }

    @Test("MQTT: a charger whose configuration is removed while it is connected moves to the other list and keeps its topics")
    func movesBetweenLists() {
        var m = GatewayMQTT(settings: MQTTSettings(host: "broker"), gatewayId: "gw1", version: "1")
        let configured = GatewayMQTTState(chargers: [.init(id: "CP1", online: true, connectors: [.init(number: 1, status: "Available")])],
                                          unconfigured: ["CP0"])
        _ = m.connected(configured, nowSeconds: 0)
        let moved = GatewayMQTTState(chargers: [], unconfigured: ["CP0", "CP1"])
        #expect(!m.update(moved, nowSeconds: 1).contains { $0.topic.hasSuffix("/CP1/connection") }, "still online: nothing to publish or remove")
        let gone = m.update(GatewayMQTTState(chargers: [], unconfigured: ["CP1"]), nowSeconds: 2)
        #expect(gone.first == MQTTMessage(topic: "chargekit/gw1/charger/CP0/connection", payload: "", retain: true))
        #expect(m.update(GatewayMQTTState(chargers: [], unconfigured: ["CP1"]), nowSeconds: 3) == [])
    }
}
