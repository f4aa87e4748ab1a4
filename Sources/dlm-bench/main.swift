// dlm-bench: time of one DLM allocation cycle (DLM.allocate) for sites of N charge points with three limit levels
// (EVSE sub-distribution, operator sub-distribution, main distribution with an external meter), mixed one- and
// three-phase vehicles on all six phase rotations, some self-limiting, some waiting. Used by scripts/bench-dlm.sh.
// `dlm-bench N [CYCLES]` prints {"chargePoints", "cycles", "meanUs", "p99Us", "paused", "checksum"} as JSON.
import EVSECore
import Foundation
import LoadManagement

/// xorshift64*: a fixed seed gives the same site every run.
struct Rng {
    var state: UInt64
    mutating func next() -> UInt64 {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
}

let arguments = CommandLine.arguments
let count = Int(arguments.dropFirst().first ?? "") ?? 250
let cycles = arguments.count > 2 ? Int(arguments[2]) ?? 200 : 200
let now = Date(timeIntervalSince1970: 1_800_000_000)
var rng = Rng(state: 0x9E37_79B9_7F4A_7C15 ^ UInt64(count))

// The site is sized so that about a third of the vehicles must wait: allocation, admission and rotation all work.
let perPhase = Double(count) * 4
let site = DLMSite(
    subDistributionLimitAmps: PhaseValues(all: perPhase * 1.2), operatorSubDistributionLimitAmps: PhaseValues(all: perPhase),
    externalMeter: DLMExternalMeter(mainDistributionLimitAmps: PhaseValues(all: perPhase * 1.5), headroomAmps: PhaseValues(all: 10),
                                    fallbackAmps: PhaseValues(all: 9999), location: .including,
                                    readingAmps: PhaseValues(l1: perPhase * 0.9, l2: perPhase * 0.8, l3: perPhase * 0.85)),
    imbalanceLimitAmps: nil, rotationIntervalSeconds: 900)
let rotations = PhaseRotation.allCases
var points = (0..<count).map { i -> DLMChargePoint in
    let phases = rng.int(0...3) == 0 ? 1 : 3
    let drawing = Double(rng.int(0...16))
    return DLMChargePoint(
        id: "slave\(i / 2)/\(i % 2 + 1)", rotation: rotations[rng.int(0...5)], phasesConnected: phases,
        usedPhases: phases == 1 ? [0] : (rng.int(0...4) == 0 ? [0] : nil), demanding: rng.int(0...9) > 0,
        maximumAmps: Double([16, 20, 32][rng.int(0...2)]), minimumAmps: Double(rng.int(6...8)),
        measuredAmps: PhaseValues(l1: drawing, l2: phases == 3 ? drawing : 0, l3: phases == 3 ? drawing : 0),
        previousAmps: rng.int(0...2) == 0 ? 0 : 16, since: now.addingTimeInterval(-Double(rng.int(0...3600))),
        chargingSince: now.addingTimeInterval(-Double(rng.int(0...600))))
}

var samples: [Double] = []
samples.reserveCapacity(cycles)
var checksum = 0.0
var paused = 0
let clock = ContinuousClock()
for cycle in 0..<cycles {
    let t0 = clock.now
    let result = DLM.allocate(site: site, chargePoints: points, now: now.addingTimeInterval(Double(cycle)))
    let elapsed = clock.now - t0
    samples.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
    checksum += result.appliedAmps.sum
    paused = result.grants.filter { $0.reason == .paused }.count
    // The next cycle starts from this one's grants, as the master's does.
    for i in points.indices {
        points[i].previousAmps = result.grants[i].amps
        points[i].since = result.grants[i].since
    }
}
samples.sort()
let mean = samples.reduce(0, +) / Double(samples.count)
let p99 = samples[min(samples.count - 1, Int(Double(samples.count) * 0.99))]
print(#"{"chargePoints":\#(count),"cycles":\#(cycles),"meanUs":\#((mean * 10).rounded() / 10),"p99Us":\#((p99 * 10).rounded() / 10),"paused":\#(paused),"checksum":\#(checksum)}"#)
