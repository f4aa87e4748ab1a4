#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// Where the grid (second) meter sits (seeds/004 §7.4.2 "External Meter Location").
public enum ExternalMeterLocation: String, Sendable, Codable, Equatable, CaseIterable {
    /// The meter measures the building and the charging stations together: their own draw is subtracted.
    case including = "Including"
    /// The meter measures only the other consumers (seeds/004: the recommended variant).
    case excluding = "Excluding"
}

/// The grid meter of a DLM site (seeds/004 §7.4.2, seeds/000 "Externen Zähler einbinden").
public struct DLMExternalMeter: Sendable, Codable, Equatable {
    /// "Main Distribution Limit (L1/L2/L3)": the main fuse where the meter sits.
    public var mainDistributionLimitAmps: PhaseValues
    /// "External Load Headroom (L1/L2/L3)": a safety margin kept free.
    public var headroomAmps: PhaseValues
    /// "External Load Fallback (L1/L2/L3)": the external load assumed while the meter fails (9999: no current left).
    public var fallbackAmps: PhaseValues
    public var location: ExternalMeterLocation
    /// The meter's phase currents; nil while it does not answer.
    public var readingAmps: PhaseValues?

    public init(mainDistributionLimitAmps: PhaseValues, headroomAmps: PhaseValues = .zero, fallbackAmps: PhaseValues = PhaseValues(all: 9999),
                location: ExternalMeterLocation = .including, readingAmps: PhaseValues?) {
        self.mainDistributionLimitAmps = mainDistributionLimitAmps; self.headroomAmps = headroomAmps; self.fallbackAmps = fallbackAmps
        self.location = location; self.readingAmps = readingAmps
    }
}

/// The shared grid connection that DLM divides (seeds/004 §7.4).
public struct DLMSite: Sendable, Codable, Equatable {
    /// "EVSE Sub-Distribution Limit (L1/L2/L3)": the fuse of the charging stations' sub-distribution.
    public var subDistributionLimitAmps: PhaseValues
    /// "Operator EVSE Sub-Distribution Limit (L1/L2/L3)": ≤ the former, changeable by the operator (Modbus 613–615).
    public var operatorSubDistributionLimitAmps: PhaseValues
    public var externalMeter: DLMExternalMeter?
    /// "External Input 1 Current Offset (L1/L2/L3)" while load shedding is signalled (values ≤ 0; nil: not signalled).
    /// seeds/000: 16 A distributed, offset −10 A → 6 A.
    public var loadSheddingOffsetAmps: PhaseValues?
    /// "Current Imbalance Prevention": the largest difference allowed between the phases' EV currents (nil: off).
    public var imbalanceLimitAmps: Double?
    /// "IT Network": no neutral, so a single-phase vehicle draws from two grid phases.
    public var itNetwork: Bool
    /// How long a charge point keeps its current while others wait, before it may be paused in their favour.
    public var rotationIntervalSeconds: Double

    public init(subDistributionLimitAmps: PhaseValues, operatorSubDistributionLimitAmps: PhaseValues? = nil,
                externalMeter: DLMExternalMeter? = nil, loadSheddingOffsetAmps: PhaseValues? = nil, imbalanceLimitAmps: Double? = nil,
                itNetwork: Bool = false, rotationIntervalSeconds: Double = 900) {
        self.subDistributionLimitAmps = subDistributionLimitAmps
        self.operatorSubDistributionLimitAmps = operatorSubDistributionLimitAmps ?? subDistributionLimitAmps
        self.externalMeter = externalMeter; self.loadSheddingOffsetAmps = loadSheddingOffsetAmps
        self.imbalanceLimitAmps = imbalanceLimitAmps; self.itNetwork = itNetwork; self.rotationIntervalSeconds = rotationIntervalSeconds
    }
}

/// One charge point (connector) as the DLM master sees it: from its own connectors or from a slave's report.
public struct DLMChargePoint: Sendable, Codable, Equatable {
    /// Unique and stable (e.g. "<slave id>/<connector>"); ties are broken by it, so allocations are deterministic.
    public var id: String
    /// The connector's phase rotation relative to the grid (seeds/004 §7.8).
    public var rotation: PhaseRotation
    /// Phases wired to the charge point (1 or 3).
    public var phasesConnected: Int
    /// The charge point phases (0 = L1 …) the vehicle draws from, detected from the measured currents; nil: not known.
    public var usedPhases: [Int]?
    /// A transaction runs and the vehicle may draw current.
    public var demanding: Bool
    /// The most the connector may offer from its own limit chain (hardware, installation, operator, …).
    public var maximumAmps: Double
    /// Below this the vehicle cannot charge (seeds/004 "Minimum Current Limit", 6–8 A).
    public var minimumAmps: Double
    /// Measured current per charge point phase.
    public var measuredAmps: PhaseValues
    /// The allocation of the previous cycle (0: paused or idle).
    public var previousAmps: Double
    /// When the charge point last changed between served and waiting (for the fair rotation).
    public var since: Date?
    /// When the vehicle started drawing current in this session (nil: not drawing).
    public var chargingSince: Date?
    /// A charge point that cannot be controlled now (a silent slave, seeds/004 §7.7): this much stays reserved on its
    /// phases, whatever else happens; it is neither raised nor paused.
    public var reservedAmps: Double?

    public init(id: String, rotation: PhaseRotation = .rst, phasesConnected: Int = 3, usedPhases: [Int]? = nil, demanding: Bool,
                maximumAmps: Double, minimumAmps: Double = 6, measuredAmps: PhaseValues = .zero, previousAmps: Double = 0,
                since: Date? = nil, chargingSince: Date? = nil) {
        self.id = id; self.rotation = rotation; self.phasesConnected = phasesConnected; self.usedPhases = usedPhases
        self.demanding = demanding; self.maximumAmps = maximumAmps; self.minimumAmps = minimumAmps; self.measuredAmps = measuredAmps
        self.previousAmps = previousAmps; self.since = since; self.chargingSince = chargingSince
    }
}

/// Why a charge point got what it got.
public enum DLMGrantReason: String, Sendable, Codable, Equatable {
    /// No transaction, or the vehicle does not draw.
    case idle
    /// It got its own maximum.
    case ownMaximum
    /// It draws less than it was given; it keeps what it uses plus a ramp step, the rest goes to others.
    case selfLimited
    /// A grid phase it uses is fully allocated.
    case phaseLimit
    /// Reduced so that the phases stay within the imbalance limit.
    case imbalance
    /// Not enough current for its minimum: paused until its turn comes (fair rotation).
    case paused
    /// Out of reach (a silent slave): its last grant or Disconnected Limit stays reserved.
    case reserved
}

/// The allocation of one charge point.
public struct DLMGrant: Sendable, Codable, Equatable {
    public var id: String
    /// 0 (pause) or between the charge point's minimum and maximum.
    public var amps: Double
    /// The grid phases (0 = L1 …) this grant loads.
    public var gridPhases: [Int]
    public var reason: DLMGrantReason
    /// For ``DLMChargePoint/since`` of the next cycle.
    public var since: Date?
}

/// The result of one DLM cycle.
public struct DLMAllocation: Sendable, Codable, Equatable {
    /// In the order of the input.
    public var grants: [DLMGrant]
    /// What the site has for the vehicles per grid phase (Modbus 633–635 "Overall Current available").
    public var availableAmps: PhaseValues
    /// The sum of the grants per grid phase (Modbus 630–632 "Overall Current applied").
    public var appliedAmps: PhaseValues
}

/// Dynamic load management: divides the current a site may draw among its charge points, per grid phase, every cycle.
///
/// 1. **Available per grid phase** = min(EVSE Sub-Distribution Limit, Operator EVSE Sub-Distribution Limit), and with an
///    external meter also ≤ Main Distribution Limit − External Load Headroom − external load, where the external load is
///    the meter's current minus the stations' own measured draw when the meter includes the sub-distribution, the
///    meter's current when it excludes it, and External Load Fallback while the meter fails (seeds/004 §7.4.2, seeds/000
///    "Externen Zähler einbinden"). Load shedding adds External Input 1 Current Offset (≤ 0; seeds/000: 16 A − 10 A = 6 A).
/// 2. **Phases per charge point**: a vehicle reserves current only on the grid phases it uses (seeds/004 §7.6) — the
///    detected phases, or the connected ones until it draws — mapped through the phase rotation (§7.8). In an IT
///    network a single-phase vehicle loads two grid phases.
/// 3. **Reserved** charge points (silent slaves, seeds/004 §7.7) keep their reservation on their phases before anything
///    else is given out. **Admission** of the others at the minimum current, in this order: charge points served for
///    less than the rotation interval (the longest-served of them is paused first when current shrinks), then waiting
///    ones (longest-waiting first), then those served longer than the rotation interval (so a waiting vehicle takes
///    over from one that has charged for the interval); ties by id. One that does not fit on every one of its phases
///    is paused (0 A).
/// 4. **Max-min fair filling**: the admitted charge points rise together from their minimum until a phase is full or
///    they reach their maximum; a vehicle that has drawn for 30 s at least 2 A less than it was given is capped at its
///    draw + 2 A (the ramp step), so unused current goes to others and returns step by step.
/// 5. **Current Imbalance Prevention**: while two phases differ by more than the limit, the latest-admitted charge
///    point that loads the heavier phase but not the lighter one is reduced, down to its minimum, then paused.
///
/// Grants are rounded down to 0.1 A. The result never exceeds any phase of any limit, is 0 or ≥ each minimum, and is
/// deterministic (same input, same output). O(n log n) in the number of charge points.
public enum DLM {
    /// The cap step for self-limiting vehicles and the time they must have drawn before they count as self-limiting.
    public static let rampStepAmps = 2.0
    public static let selfLimitAfterSeconds = 30.0

    /// The grid phases a charge point loads.
    public static func gridPhases(_ cp: DLMChargePoint, itNetwork: Bool) -> [Int] {
        var local = cp.usedPhases.map { $0.filter { (0..<3).contains($0) } } ?? []
        if local.isEmpty { local = cp.phasesConnected >= 3 ? [0, 1, 2] : [0] }
        if itNetwork && local.count == 1 { local.append((local[0] + 1) % 3) }
        let map = cp.rotation.gridPhaseIndices
        return Array(Set(local.map { map[$0] })).sorted()
    }

    /// What the site has for the vehicles per grid phase, given the stations' measured draw per grid phase.
    public static func available(_ site: DLMSite, evseDrawAmps: PhaseValues) -> PhaseValues {
        var out = PhaseValues.zero
        for g in 0..<3 {
            var a = min(site.subDistributionLimitAmps[g], site.operatorSubDistributionLimitAmps[g])
            if let meter = site.externalMeter {
                let external: Double
                if let reading = meter.readingAmps {
                    external = max(0, meter.location == .including ? reading[g] - evseDrawAmps[g] : reading[g])
                } else {
                    external = meter.fallbackAmps[g]
                }
                a = min(a, meter.mainDistributionLimitAmps[g] - meter.headroomAmps[g] - external)
            }
            if let offset = site.loadSheddingOffsetAmps { a += min(0, offset[g]) }
            out[g] = max(0, a)
        }
        return out
    }

    /// The charge points' measured draw per grid phase.
    public static func evseDraw(_ cps: [DLMChargePoint]) -> PhaseValues {
        var draw = PhaseValues.zero
        for cp in cps {
            let grid = cp.rotation.toGrid(cp.measuredAmps)
            for g in 0..<3 { draw[g] += grid[g] }
        }
        return draw
    }

    public static func allocate(site: DLMSite, chargePoints cps: [DLMChargePoint], now: Date) -> DLMAllocation {
        let n = cps.count
        let available = Self.available(site, evseDrawAmps: evseDraw(cps))
        let phases = cps.map { gridPhases($0, itNetwork: site.itNetwork) }

        // The most each may get: its own maximum, or its draw + a ramp step when it leaves current unused.
        var cap = [Double](repeating: 0, count: n)
        var selfLimited = [Bool](repeating: false, count: n)
        for (i, cp) in cps.enumerated() {
            cap[i] = cp.maximumAmps
            let drawn = max(cp.measuredAmps.l1, cp.measuredAmps.l2, cp.measuredAmps.l3)
            if let since = cp.chargingSince, now.timeIntervalSince(since) >= selfLimitAfterSeconds, cp.previousAmps >= cp.minimumAmps,
               drawn < cp.previousAmps - rampStepAmps {
                let limited = max(cp.minimumAmps, (drawn + rampStepAmps).rounded(.up))
                if limited < cap[i] { cap[i] = limited; selfLimited[i] = true }
            }
        }

        // Admission order (fair rotation), then greedy admission at the minimum.
        func rank(_ i: Int) -> (Int, Double) {
            let cp = cps[i]
            let t = (cp.since ?? now).timeIntervalSinceReferenceDate
            if cp.previousAmps > 0 {
                let served = cp.since.map { now.timeIntervalSince($0) } ?? .infinity
                return served < site.rotationIntervalSeconds ? (0, -t) : (2, -t)
            }
            return (1, t)
        }
        let candidates = (0..<n).filter {
            cps[$0].reservedAmps == nil && cps[$0].demanding && cap[$0] >= cps[$0].minimumAmps && cps[$0].minimumAmps > 0
        }
        let ranks = Dictionary(uniqueKeysWithValues: candidates.map { ($0, rank($0)) })
        let order = candidates.sorted { a, b in
            let ra = ranks[a]!, rb = ranks[b]!
            if ra.0 != rb.0 { return ra.0 < rb.0 }
            if ra.1 != rb.1 { return ra.1 < rb.1 }
            return cps[a].id < cps[b].id
        }
        var level = [Double](repeating: 0, count: n)
        var used = PhaseValues.zero
        var admitted: [Int] = []
        for i in 0..<n {
            guard let r = cps[i].reservedAmps, r > 0 else { continue }
            level[i] = r
            for g in phases[i] { used[g] += r }
        }
        for i in order {
            let m = cps[i].minimumAmps
            guard phases[i].allSatisfy({ used[$0] + m <= available[$0] + 1e-9 }) else { continue }
            level[i] = m
            for g in phases[i] { used[g] += m }
            admitted.append(i)
        }

        // Max-min fair filling: everyone rises by the same amount until a phase is full or it reaches its cap. The
        // order in which caps are reached does not change as all rise together, so one sort suffices.
        var active = [Bool](repeating: false, count: n)
        var count = [0, 0, 0]
        var phaseLimited = [Bool](repeating: false, count: n)
        for i in admitted where cap[i] > level[i] {
            active[i] = true
            for g in phases[i] { count[g] += 1 }
        }
        let byHeadroom = admitted.filter { active[$0] }.sorted { a, b in
            let ha = cap[a] - level[a], hb = cap[b] - level[b]
            return ha != hb ? ha < hb : cps[a].id < cps[b].id
        }
        var raised = 0.0
        var next = 0
        var open = [true, true, true]
        func freeze(_ i: Int) {
            guard active[i] else { return }
            active[i] = false
            level[i] += raised
            for g in phases[i] { count[g] -= 1 }
        }
        while count.contains(where: { $0 > 0 }) {
            while next < byHeadroom.count && !active[byHeadroom[next]] { next += 1 }
            var step = Double.infinity
            if next < byHeadroom.count { let i = byHeadroom[next]; step = cap[i] - level[i] - raised }
            for g in 0..<3 where open[g] && count[g] > 0 { step = min(step, (available[g] - used[g]) / Double(count[g])) }
            step = max(0, step)
            raised += step
            for g in 0..<3 { used[g] += step * Double(count[g]) }
            while next < byHeadroom.count {
                let i = byHeadroom[next]
                if active[i] && cap[i] - level[i] - raised > 1e-9 { break }
                if active[i] { freeze(i) }
                next += 1
            }
            for g in 0..<3 where open[g] && count[g] > 0 && available[g] - used[g] <= 1e-9 {
                open[g] = false
                for i in admitted where active[i] && phases[i].contains(g) { phaseLimited[i] = true; freeze(i) }
            }
        }

        var amps = (0..<n).map { i in level[i] > 0 ? (level[i] * 10 + 1e-9).rounded(.down) / 10 : 0 }
        var reduced = [Bool](repeating: false, count: n)
        for i in 0..<n { if let r = cps[i].reservedAmps { amps[i] = max(0, r) } }

        // Current Imbalance Prevention.
        if let limit = site.imbalanceLimitAmps {
            var load = PhaseValues.zero
            // In admission order, then the reserved by id: the sums (and so the result) do not depend on the input order.
            let reserved = (0..<n).filter { cps[$0].reservedAmps != nil }.sorted { cps[$0].id < cps[$1].id }
            for i in admitted + reserved { for g in phases[i] { load[g] += amps[i] } }
            var guardCount = 0
            while guardCount < 4 * n + 8 {
                guardCount += 1
                let heavy = (0..<3).max { load[$0] < load[$1] }!, light = (0..<3).min { load[$0] < load[$1] }!
                let excess = load[heavy] - load[light] - limit
                guard excess > 1e-9 else { break }
                guard let i = admitted.reversed().first(where: { amps[$0] > 0 && phases[$0].contains(heavy) && !phases[$0].contains(light) })
                else { break }
                let target = amps[i] - excess
                let new = target >= cps[i].minimumAmps ? (target * 10).rounded(.down) / 10 : 0
                for g in phases[i] { load[g] -= amps[i] - new }
                amps[i] = new
                reduced[i] = true
            }
        }

        var applied = PhaseValues.zero
        var grants: [DLMGrant] = []
        grants.reserveCapacity(n)
        for (i, cp) in cps.enumerated() {
            for g in phases[i] { applied[g] += amps[i] }
            let reason: DLMGrantReason
            if cp.reservedAmps != nil { reason = .reserved }
            else if !cp.demanding { reason = .idle }
            else if amps[i] == 0 { reason = reduced[i] ? .imbalance : .paused }
            else if reduced[i] { reason = .imbalance }
            else if phaseLimited[i] { reason = .phaseLimit }
            else if selfLimited[i] { reason = .selfLimited }
            else { reason = .ownMaximum }
            let servedBefore = cp.previousAmps > 0, served = amps[i] > 0
            let since = servedBefore == served && cp.since != nil ? cp.since : now
            grants.append(DLMGrant(id: cp.id, amps: amps[i], gridPhases: phases[i], reason: reason, since: cp.demanding ? since : nil))
        }
        return DLMAllocation(grants: grants, availableAmps: available, appliedAmps: applied)
    }
}

extension DLMAllocation {
    /// The wall clock stepped by `seconds`: the fair rotation's times keep their distance from now.
    public mutating func shiftTimers(by seconds: Double) {
        for i in grants.indices { grants[i].since = grants[i].since?.addingTimeInterval(seconds) }
    }
}
