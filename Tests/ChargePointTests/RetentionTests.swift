import Foundation
import Testing
import Authorization
import EVSECore
import Simulator
import TestSupport
@testable import ChargePoint

/// Issue #20 item 6: the controller applies the retention of `MeterSampleRetentionDays` with every persist.
@Suite("Retention of meter samples")
struct RetentionControllerTests {
    @Test("MeterSampleRetentionDays: 30 days by default, 1…365, read into the settings")
    func parameter() throws {
        let registry = ParameterRegistry(connectorCount: 1)
        let d = try #require(registry.definition(StationParameters.meterSampleRetention))
        #expect(d.defaultValue == .integer(30))
        #expect(Rig.settings().meterSampleRetentionDays == 30)
        #expect(Rig.settings { $0.set(StationParameters.meterSampleRetention, .integer(2)) }.meterSampleRetentionDays == 2)
        #expect(RetentionPolicy(Rig.settings()).meterSampleMaxAgeSeconds == 30 * 86_400)
    }

    @Test("the authorization cache keeps the most recently answered identifiers")
    func authorizationCache() {
        var lists = AuthorizationLists()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        for (n, tag) in ["A1", "B2", "C3", "a1", "D4"].enumerated() {
            lists.remember(ListedIdentifier(idTag: tag, status: .accepted, expiry: nil, parentIdTag: nil, updatedAt: t0.addingTimeInterval(Double(n))),
                           capacity: 3)
        }
        #expect(lists.cache.map(\.idTag) == ["C3", "a1", "D4"], "A1 answered again as a1 moved to the end; B2 went first")
        var rig = Rig()
        rig.controller.backendAuthorization(idTag: "TAG1", status: .accepted, parentIdTag: nil, expiry: nil, now: rig.clock.now)
        #expect(rig.controller.authorization.lists.cache.map(\.idTag) == ["TAG1"] && rig.store.snapshot.lists.cache.map(\.idTag) == ["TAG1"])
    }

    @Test("a charging session's samples older than the retention are deleted while it charges; its newest stays")
    func samplesPrunedWhileCharging() throws {
        var rig = Rig { $0.set(StationParameters.meterSampleRetention, .integer(1)) }
        try rig.plug(1)
        try rig.card()
        rig.run(5 * 3_600, every: 5)  // five hours of samples every 5 s
        let before = rig.store.snapshot.samples.count
        #expect(before > 3_000)
        rig.run(86_400 + 600, every: 60)
        let samples = rig.store.snapshot.samples
        let oldest = try #require(samples.first).at
        #expect(rig.clock.now.timeIntervalSince(oldest) <= 86_400 + 60 * 60, "nothing much older than a day")
        #expect(samples.last?.at == rig.clock.now, "the newest sample is kept")
    }
}
