import Foundation
import Testing
import EVSECore
import TestSupport
@testable import ChargePoint

/// seeds/004 §7.2 (case 3: two EVSEs on one feed line — the Installation Current Limit is there for the complete charge
/// point and at most the charging station's limit) and §7.3 "Dubbel Laadpunt met Enkele Voedingslijn" (issue 29 item 9).
@Suite("Single feed line: the installation limit is one value for the station, at most the feed line's capacity")
struct SingleFeedLineRuleTests {
    static let t = Date(timeIntervalSince1970: 1_800_000_000)

    /// A two-connector station with the single feed line switched on by the manufacturer and the operator limits at 16 A.
    func service() throws -> (ParameterService, InMemoryParameterStore) {
        let store = InMemoryParameterStore()
        var s = try ParameterService(store: store, connectorCount: 2)
        try s.set("SingleFeedLine", .bool(true), role: .manufacturer, changedBy: "factory", now: Self.t)
        try s.set(texts: [("OperatorCurrentLimit.1", "16"), ("OperatorCurrentLimit.2", "16")], role: .operator, changedBy: "op", now: Self.t)
        return (s, store)
    }

    @Test("seeds004 §7.3: changing one connector's installation limit changes the station's (both connectors), with the audit trail")
    func seeds004_7_3_installationLimitIsOneValue() throws {
        var (s, store) = try service()
        try s.set("InstallationCurrentLimit.1", text: "20", role: .installer, changedBy: "cli", now: Self.t)
        #expect(s.values.value("InstallationCurrentLimit.1") == .integer(20) && s.values.value("InstallationCurrentLimit.2") == .integer(20))
        #expect(store.audit.suffix(2).map(\.changedBy) == ["cli", "cli (InstallationCurrentLimit.1)"])
        // A form that gives both connectors the same value is fine; different values are refused with the rule.
        try s.set(texts: [("InstallationCurrentLimit.1", "18"), ("InstallationCurrentLimit.2", "18")], role: .installer, changedBy: "web", now: Self.t)
        #expect(s.values.value("InstallationCurrentLimit.2") == .integer(18))
        do {
            try s.set(texts: [("InstallationCurrentLimit.1", "17"), ("InstallationCurrentLimit.2", "19")], role: .installer, changedBy: "web", now: Self.t)
            Issue.record("two installation limits on one feed line accepted")
        } catch let e as ParameterBatchError {
            let error = try #require(e.errors.values.first)
            #expect(error.kind == .conflict && error.message.contains("one value for the whole station"))
        }
        #expect(s.values.value("InstallationCurrentLimit.1") == .integer(18), "nothing of the refused form was stored")
    }

    @Test("seeds004 §7.2 case 3: above the feed line's capacity is refused, naming the rule, both parameters and the range")
    func seeds004_7_2_installationLimitNotAboveFeedLineCapacity() throws {
        var (s, _) = try service()
        #expect(throws: ParameterError.self, "32 A installation limits on a 24 A feed line") {
            try s.set("FeedLineCapacity", text: "24", role: .manufacturer, changedBy: "factory", now: Self.t)
        }
        try s.set("InstallationCurrentLimit.1", text: "20", role: .installer, changedBy: "cli", now: Self.t)
        try s.set("FeedLineCapacity", text: "24", role: .manufacturer, changedBy: "factory", now: Self.t)
        do {
            try s.set("InstallationCurrentLimit.2", text: "25", role: .installer, changedBy: "cli", now: Self.t)
            Issue.record("installation limit above the feed line accepted")
        } catch let e as ParameterError {
            #expect(e.kind == .conflict)
            #expect(e.message.contains("single feed line") && e.message.contains("FeedLineCapacity")
                    && e.message.contains("InstallationCurrentLimit.1 and InstallationCurrentLimit.2") && e.message.contains("between 6 and 24 A"))
            #expect(e.allowed?.contains("6–24 A") == true)
        }
        #expect(s.values.value("InstallationCurrentLimit.2") == .integer(20), "refused: unchanged")
        // Lowering the capacity below the installation limit is refused the same way.
        #expect(throws: ParameterError.self) { try s.set("FeedLineCapacity", text: "16", role: .manufacturer, changedBy: "factory", now: Self.t) }
        #expect(throws: Never.self) { try s.set("FeedLineCapacity", text: "20", role: .manufacturer, changedBy: "factory", now: Self.t) }
    }

    @Test("seeds004 §7.3: the single feed line cannot be switched on while the connectors' installation limits differ or exceed it")
    func seeds004_7_3_switchingOnChecksTheRule() throws {
        let store = InMemoryParameterStore()
        var s = try ParameterService(store: store, connectorCount: 2)
        try s.set(texts: [("OperatorCurrentLimit.1", "16"), ("OperatorCurrentLimit.2", "16")], role: .operator, changedBy: "op", now: Self.t)
        try s.set("InstallationCurrentLimit.1", text: "20", role: .installer, changedBy: "cli", now: Self.t)
        #expect(s.values.value("InstallationCurrentLimit.2") == .integer(32), "without a single feed line each connector has its own")
        #expect(throws: ParameterError.self) { try s.set("SingleFeedLine", .bool(true), role: .manufacturer, changedBy: "factory", now: Self.t) }
        try s.set("InstallationCurrentLimit.2", text: "20", role: .installer, changedBy: "cli", now: Self.t)
        #expect(throws: Never.self) { try s.set("SingleFeedLine", .bool(true), role: .manufacturer, changedBy: "factory", now: Self.t) }
        // A one-connector station has no single feed line to share: no rule.
        var one = try ParameterService(store: InMemoryParameterStore(), connectorCount: 1)
        try one.set("SingleFeedLine", .bool(true), role: .manufacturer, changedBy: "factory", now: Self.t)
        try one.set("FeedLineCapacity", text: "16", role: .manufacturer, changedBy: "factory", now: Self.t)
        #expect(throws: Never.self) { try one.set("OperatorCurrentLimit.1", text: "16", role: .operator, changedBy: "op", now: Self.t) }
    }

    @Test("a configuration stored before the rule reads as one installation limit: the lowest, at most the capacity")
    func storedBeforeTheRule() {
        var p = ParameterSet(registry: ParameterRegistry(connectorCount: 2))
        p.set("ConnectorCount", .integer(2))
        p.set("SingleFeedLine", .bool(true))
        p.set("FeedLineCapacity", .integer(24))
        p.set("InstallationCurrentLimit.1", .integer(30))
        p.set("InstallationCurrentLimit.2", .integer(28))
        #expect(StationSettings(p).connectors.map(\.installationCurrentLimitAmps) == [24, 24])
        p.set("FeedLineCapacity", .integer(63))
        #expect(StationSettings(p).connectors.map(\.installationCurrentLimitAmps) == [28, 28])
    }
}
