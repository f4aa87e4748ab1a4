import Foundation
import Testing
import LoadManagement
import TestSupport

/// Issue 25's benchmark as a deterministic test: the recorded PV day of scripts/bench/pv-day.csv through the station's
/// controller on a manual clock (no timing involved: the same figures every run). The PV energy charged must reach 95 %
/// of what a perfect controller following the surplus within 6–16 A could have charged.
@Suite("PV day: share of the ideal surplus")
struct PVDayBenchmarkTests {
    static func curve() throws -> [PVDayMinute] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/bench/pv-day.csv")
        return try PVDayMinute.parse(csv: String(contentsOf: url, encoding: .utf8))
    }

    /// The figure is the PV energy charged against the ideal (`sharePercent`, goal ≥ 95 %). The stricter
    /// `capturedPercent` counts each second's PV only up to what the ideal charged then; both modes reach 95 % of it
    /// with the factory settings (in PV mode thanks to the 30 s start delay: the 60 s of evcc's default captured 92.7 %,
    /// see docs/testing.md).
    @Test("issue25_benchmark: a cloudy PV day charges at least 95 % of the ideal surplus from PV, in PV and in Min+PV mode",
          arguments: [ChargeMode.pv, .minPV])
    func pvDayShareOfIdeal(mode: ChargeMode) throws {
        let curve = try Self.curve()
        #expect(curve.count == 1440)
        let r = try PVDay.run(curve, mode: mode)
        #expect(r.idealPVWh > 30_000, "a day with real surplus: \(r)")
        #expect(r.sharePercent >= 95, "\(r)")
        #expect(r.capturedPercent >= 95, "\(r)")
        #expect(abs(r.fromPVWh + r.fromGridWh - r.chargedWh) < 0.01)
        if mode == .pv { #expect(r.contactorCloses <= 20, "clouds must not toggle the contactor: \(r)") }
        let recorded = try #require(r.recordedSolarSharePercent, "the history has the session's solar share")
        #expect(abs(recorded - r.fromPVWh / r.chargedWh * 100) < 0.5, "the station's own split agrees with the simulation's: \(r)")
    }
}
