import Foundation
import Testing
import EVSECore
import LoadManagement
import TestSupport

/// A scenario file of Tests/LoadManagementTests/DLMScenarios: a site, its charge points and the expected allocation.
/// Times are seconds relative to the cycle's "now"; phase triples are [L1, L2, L3].
struct DLMScenario: Decodable {
    struct Meter: Decodable {
        var main: [Double]; var headroom: [Double]?; var fallback: [Double]?; var location: String?; var reading: [Double]?
    }
    struct Site: Decodable {
        var sub: [Double]; var operatorSub: [Double]?; var meter: Meter?; var shedding: [Double]?; var imbalance: Double?
        var it: Bool?; var rotation: Double?
    }
    struct ChargePoint: Decodable {
        var id: String; var max: Double; var min: Double?; var phases: Int?; var rotation: String?; var used: [Int]?
        var demanding: Bool?; var measured: [Double]?; var previous: Double?; var since: Double?; var chargingSince: Double?
    }
    struct Expect: Decodable {
        var available: [Double]?; var applied: [Double]?; var grants: [String: Double]; var reasons: [String: String]?
        var sinceNow: [String]?
    }
    var name: String; var source: String; var site: Site; var chargePoints: [ChargePoint]; var expect: Expect

    static func phases(_ a: [Double]) -> PhaseValues { PhaseValues(l1: a[0], l2: a[1], l3: a[2]) }

    func run(now: Date) -> DLMAllocation {
        let meter = site.meter.map { m in
            DLMExternalMeter(mainDistributionLimitAmps: Self.phases(m.main), headroomAmps: Self.phases(m.headroom ?? [0, 0, 0]),
                             fallbackAmps: Self.phases(m.fallback ?? [9999, 9999, 9999]),
                             location: ExternalMeterLocation(rawValue: m.location ?? "Including")!, readingAmps: m.reading.map(Self.phases))
        }
        let s = DLMSite(subDistributionLimitAmps: Self.phases(site.sub), operatorSubDistributionLimitAmps: site.operatorSub.map(Self.phases),
                        externalMeter: meter, loadSheddingOffsetAmps: site.shedding.map(Self.phases), imbalanceLimitAmps: site.imbalance,
                        itNetwork: site.it ?? false, rotationIntervalSeconds: site.rotation ?? 900)
        let cps = chargePoints.map { c in
            DLMChargePoint(id: c.id, rotation: PhaseRotation(rawValue: c.rotation ?? "RST")!, phasesConnected: c.phases ?? 3, usedPhases: c.used,
                           demanding: c.demanding ?? true, maximumAmps: c.max, minimumAmps: c.min ?? 6,
                           measuredAmps: Self.phases(c.measured ?? [0, 0, 0]), previousAmps: c.previous ?? 0,
                           since: c.since.map { now.addingTimeInterval($0) }, chargingSince: c.chargingSince.map { now.addingTimeInterval($0) })
        }
        return DLM.allocate(site: s, chargePoints: cps, now: now)
    }

    static func all() throws -> [(String, DLMScenario)] {
        let dir = try #require(Bundle.module.url(forResource: "DLMScenarios", withExtension: nil))
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil).filter { $0.pathExtension == "json" }
        return try files.sorted { $0.lastPathComponent < $1.lastPathComponent }.map {
            ($0.lastPathComponent, try JSONDecoder().decode(DLMScenario.self, from: Data(contentsOf: $0)))
        }
    }
}

@Suite("DLM allocation (seeds/004 §7.4–7.8, seeds/000)")
struct DLMAllocationTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("every scenario file (the seeds' worked examples and more) gives the expected allocation")
    func scenarios() throws {
        let scenarios = try DLMScenario.all()
        #expect(scenarios.count >= 15)
        for (file, scenario) in scenarios {
            let result = scenario.run(now: now)
            let grants = Dictionary(uniqueKeysWithValues: result.grants.map { ($0.id, $0) })
            for (id, amps) in scenario.expect.grants {
                #expect(abs((grants[id]?.amps ?? -1) - amps) < 1e-6, "\(file): \(id) got \(grants[id]?.amps ?? -1) A, expected \(amps) A")
            }
            for (id, reason) in scenario.expect.reasons ?? [:] {
                #expect(grants[id]?.reason.rawValue == reason, "\(file): \(id) reason \(grants[id]?.reason.rawValue ?? "-"), expected \(reason)")
            }
            if let a = scenario.expect.available {
                #expect(result.availableAmps.array.enumerated().allSatisfy { abs($1 - a[$0]) < 1e-6 }, "\(file): available \(result.availableAmps.array)")
            }
            if let a = scenario.expect.applied {
                #expect(result.appliedAmps.array.enumerated().allSatisfy { abs($1 - a[$0]) < 1e-6 }, "\(file): applied \(result.appliedAmps.array)")
            }
            for id in scenario.expect.sinceNow ?? [] { #expect(grants[id]?.since == now, "\(file): \(id) changed state now") }
        }
    }

    @Test("property: over random sites no grid phase is over what is available, grants are 0 or within [minimum, maximum], deterministic")
    func property() {
        var rng = SplitMix64(seed: 7)
        let rotations = PhaseRotation.allCases
        for round in 0..<400 {
            func triple(_ r: ClosedRange<Int>) -> PhaseValues {
                PhaseValues(l1: Double(Int.random(in: r, using: &rng)), l2: Double(Int.random(in: r, using: &rng)), l3: Double(Int.random(in: r, using: &rng)))
            }
            let meter: DLMExternalMeter? = Bool.random(using: &rng) ? DLMExternalMeter(
                mainDistributionLimitAmps: triple(40...250), headroomAmps: triple(0...20), fallbackAmps: triple(0...100),
                location: Bool.random(using: &rng) ? .including : .excluding,
                readingAmps: Int.random(in: 0...4, using: &rng) == 0 ? nil : triple(0...200)) : nil
            let site = DLMSite(subDistributionLimitAmps: triple(0...200), operatorSubDistributionLimitAmps: triple(0...200), externalMeter: meter,
                               loadSheddingOffsetAmps: Bool.random(using: &rng) ? triple(-20...0) : nil,
                               imbalanceLimitAmps: Bool.random(using: &rng) ? Double(Int.random(in: 0...32, using: &rng)) : nil,
                               itNetwork: Int.random(in: 0...5, using: &rng) == 0, rotationIntervalSeconds: 900)
            let cps = (0..<Int.random(in: 0...40, using: &rng)).map { i -> DLMChargePoint in
                let phases = Bool.random(using: &rng) ? 3 : 1
                let used: [Int]? = Bool.random(using: &rng) ? nil : (phases == 3 ? [[0], [0, 1], [0, 1, 2]].randomElement(using: &rng)! : [0])
                let previous = Bool.random(using: &rng) ? Double(Int.random(in: 6...32, using: &rng)) : 0
                return DLMChargePoint(
                    id: "cp\(i)", rotation: rotations.randomElement(using: &rng)!, phasesConnected: phases, usedPhases: used,
                    demanding: Int.random(in: 0...4, using: &rng) > 0, maximumAmps: Double(Int.random(in: 0...32, using: &rng)),
                    minimumAmps: Double(Int.random(in: 6...8, using: &rng)), measuredAmps: triple(0...32), previousAmps: previous,
                    since: now.addingTimeInterval(-Double(Int.random(in: 0...3600, using: &rng))),
                    chargingSince: Bool.random(using: &rng) ? now.addingTimeInterval(-Double(Int.random(in: 0...600, using: &rng))) : nil)
            }
            let result = DLM.allocate(site: site, chargePoints: cps, now: now)
            var load = PhaseValues.zero
            for (cp, g) in zip(cps, result.grants) {
                #expect(g.amps == 0 || (g.amps >= cp.minimumAmps - 1e-9 && g.amps <= cp.maximumAmps + 1e-9), "round \(round): \(g)")
                #expect(cp.demanding || g.amps == 0)
                for p in g.gridPhases { load[p] += g.amps }
            }
            for p in 0..<3 {
                #expect(load[p] <= result.availableAmps[p] + 1e-6, "round \(round): phase L\(p + 1) \(load[p]) A > \(result.availableAmps[p]) A")
                #expect(result.availableAmps[p] <= min(site.subDistributionLimitAmps[p], site.operatorSubDistributionLimitAmps[p]))
            }
            if let limit = site.imbalanceLimitAmps { #expect(load.maximum - min(load.l1, load.l2, load.l3) <= limit + 1e-6, "round \(round)") }
            var shuffled = cps
            shuffled.shuffle(using: &rng)
            let again = DLM.allocate(site: site, chargePoints: shuffled, now: now)
            let byID = Dictionary(uniqueKeysWithValues: again.grants.map { ($0.id, $0) })
            #expect(result.grants.allSatisfy { byID[$0.id] == $0 }, "round \(round): the order of the input changed the result")
        }
    }
}
