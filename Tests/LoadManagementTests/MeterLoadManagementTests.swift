import Foundation
import Testing
import EVSECore
@testable import LoadManagement

/// The load management of a single station with an external meter as a machine (seeds/000 "Externen Zähler
/// einbinden"): the house connection and the station's connectors in, each connector's limit and log lines out.
@Suite("MeterLoadManagement: the house connection divided among one station's connectors")
struct MeterLoadManagementTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func settings(main: Double = 160, headroom: Double = 10, fallback: Double = 9999,
                         location: ExternalMeterLocation = .excluding) -> DLMSettings {
        DLMSettings(mode: .off, sampleSeconds: 30, subDistributionLimitAmps: PhaseValues(all: 32),
                    operatorSubDistributionLimitAmps: PhaseValues(all: 32), sheddingOffsetAmps: PhaseValues(all: -10),
                    sheddingActiveHigh: false, mainDistributionLimitAmps: PhaseValues(all: main), headroomAmps: PhaseValues(all: headroom),
                    fallbackAmps: PhaseValues(all: fallback), meterLocation: location, imbalanceLimitAmps: nil, itNetwork: false,
                    rotationIntervalSeconds: 900, networkId: 0, networkKey: "", discoveryBroadcastingDisabled: false, masterAddress: "",
                    disconnectedLimitAmps: 7, linkPort: 7520, discoveryPort: 7521, broadcastAddress: "255.255.255.255")
    }

    static func car(_ n: Int, demanding: Bool = true, measured: Double = 0) -> DLMChargePoint {
        DLMChargePoint(id: "local/\(n)", demanding: demanding, maximumAmps: 32, measuredAmps: PhaseValues(all: measured))
    }

    func limits(_ actions: [MeterLoadManagement.Action]) -> [Double] {
        actions.compactMap { if case .limit(_, let amps) = $0 { amps } else { nil } }
    }

    func lines(_ actions: [MeterLoadManagement.Action]) -> [String] {
        actions.compactMap { if case .availableChanged(let line) = $0 { line } else { nil } }
    }

    @Test("seeds000 example: 160 A main, 10 A headroom, 135 A house load: 15 A left, shared by two cars at 7.5 A each")
    func seeds000_160A_example() {
        var m = MeterLoadManagement()
        let site = Self.settings().houseConnectionSite(meterReading: PhaseValues(all: 135))
        let first = m.step(site: site, connectors: [Self.car(1), Self.car(2)], sampleSeconds: 30, now: Self.t0)
        #expect(limits(first) == [7.5, 7.5])
        #expect(lines(first) == ["External meter: the house connection leaves 15/15/15 A per phase for the vehicles"])
        #expect(site.subDistributionLimitAmps == PhaseValues(all: 160) && site.loadSheddingOffsetAmps == nil,
                "no DLM network: the sub-distribution limits and the DLM shedding offset do not apply")
        let again = m.step(site: Self.settings().houseConnectionSite(meterReading: PhaseValues(all: 140)),
                           connectors: [Self.car(1), Self.car(2)], sampleSeconds: 30, now: Self.t0.addingTimeInterval(1))
        #expect(limits(again).sorted() == [0, 10], "10 A left: one car at 10 A, the other waits (below two minimums)")
        #expect(lines(again).isEmpty, "a new reading is not logged; only the fallback and recovery are")
    }

    @Test("seeds000 Rückfallebene: no reading → External Load Fallback, logged once; the reading returns → logged once")
    func seeds000_fallback() {
        var m = MeterLoadManagement()
        let s = Self.settings(main: 40, headroom: 0, fallback: 20)
        _ = m.step(site: s.houseConnectionSite(meterReading: PhaseValues(all: 5)), connectors: [Self.car(1)], sampleSeconds: 30, now: Self.t0)
        let failed = m.step(site: s.houseConnectionSite(meterReading: nil), connectors: [Self.car(1)], sampleSeconds: 30,
                            now: Self.t0.addingTimeInterval(1))
        #expect(limits(failed) == [20])
        #expect(lines(failed) == ["External meter: no reading, External Load Fallback applies: 20/20/20 A per phase left for the vehicles"])
        let still = m.step(site: s.houseConnectionSite(meterReading: nil), connectors: [Self.car(1)], sampleSeconds: 30,
                           now: Self.t0.addingTimeInterval(60))
        #expect(lines(still).isEmpty)
        let back = m.step(site: s.houseConnectionSite(meterReading: PhaseValues(all: 5)), connectors: [Self.car(1)], sampleSeconds: 30,
                          now: Self.t0.addingTimeInterval(61))
        #expect(limits(back) == [32] && lines(back).count == 1)
    }

    @Test("Including: the station's own measured draw is not counted as house load")
    func including() {
        var m = MeterLoadManagement()
        let s = Self.settings(main: 40, headroom: 0, location: .including)
        let a = m.step(site: s.houseConnectionSite(meterReading: PhaseValues(all: 30)), connectors: [Self.car(1, measured: 20)],
                       sampleSeconds: 30, now: Self.t0)
        #expect(limits(a) == [30], "house = 30 − 20 = 10 A; 40 − 10")
    }
}
