#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// The memory of the allocation cycle (``DLM/allocate(site:chargePoints:now:)``) that every user of it needs: the last
/// allocation (each charge point's previous grant and the fair rotation's times), when it ran, what its inputs were
/// (a change reallocates at once), and since when each vehicle draws (the self-limit rule).
///
/// The DLM master (seeds/004 §7.4) and the load management of a single station with an external meter (seeds/000
/// "Externen Zähler einbinden", ``MeterLoadManagement``) both run their allocation through it, so the rules live once.
public struct DLMCycle: Sendable, Equatable {
    /// The last allocation.
    public private(set) var allocation: DLMAllocation?
    /// When it was made.
    public private(set) var lastRun: Date?
    /// The time between the last two allocations (the cycle as it runs: the sample period, or less when an input
    /// changed); nil before the second one.
    public private(set) var cycleSeconds: Double?
    /// The inputs of the last run; a change triggers a new allocation at once.
    var signature: DLMSignature?
    /// Per charge point id: when its vehicle began to draw in this session (the self-limit rule).
    var chargingSince: [String: Date] = [:]

    public init() {}

    /// The previous allocation's grants by charge point id.
    public var previousGrants: [String: DLMGrant] {
        Dictionary((allocation?.grants ?? []).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// `points` with their previous grant and its time filled in from the last allocation.
    public func carryingOver(_ points: [DLMChargePoint]) -> [DLMChargePoint] {
        let previous = previousGrants
        return points.map { p in
            var p = p
            p.previousAmps = previous[p.id]?.amps ?? 0
            p.since = previous[p.id]?.since
            return p
        }
    }

    /// Allocates `site` among `points` when `sampleSeconds` have passed since the last run (or the clock went back) or
    /// an input of the allocation changed — demand, detected phases, own maxima, a self-limiting vehicle, a reserved
    /// charge point, the site's available current. Returns whether it allocated; ``allocation`` is the result.
    public mutating func runIfDue(site: DLMSite, points: [DLMChargePoint], sampleSeconds: Double, now: Date) -> Bool {
        updateChargingSince(points, now: now)
        var points = points
        for i in points.indices { points[i].chargingSince = chargingSince[points[i].id] }
        let signature = Self.signature(points, site)
        let due = lastRun.map { now.timeIntervalSince($0) >= sampleSeconds || now < $0 } ?? true
        guard due || signature != self.signature else { return false }
        allocation = DLM.allocate(site: site, chargePoints: points, now: now)
        if let lastRun, now >= lastRun { cycleSeconds = now.timeIntervalSince(lastRun) }
        lastRun = now
        self.signature = signature
        return true
    }

    /// The wall clock was stepped: the cycle's times keep their distance from now.
    public mutating func shiftTimers(by seconds: Double) {
        lastRun = lastRun?.addingTimeInterval(seconds)
        chargingSince = chargingSince.mapValues { $0.addingTimeInterval(seconds) }
        allocation?.shiftTimers(by: seconds)
    }

    /// Tracks when each charge point's vehicle began to draw (for the self-limit rule).
    private mutating func updateChargingSince(_ points: [DLMChargePoint], now: Date) {
        var next: [String: Date] = [:]
        for p in points where p.demanding && p.reservedAmps == nil {
            if let t = chargingSince[p.id] { next[p.id] = t } else if p.measuredAmps.maximum > 1 { next[p.id] = now }
        }
        chargingSince = next
    }

    /// What makes a new allocation necessary before the sample period ends: demand, detected phases, own maxima, a
    /// self-limiting vehicle, a silent slave, the site's available current (meter readings, shedding, meter failure).
    static func signature(_ points: [DLMChargePoint], _ site: DLMSite) -> DLMSignature {
        let available = DLM.available(site, evseDrawAmps: DLM.evseDraw(points))
        return DLMSignature(availableDeciAmps: (0..<3).map { Int(available[$0] * 10) }, points: points.map { p in
            DLMSignature.Point(id: p.id, demanding: p.demanding, usedPhases: p.usedPhases, maximumAmps: p.maximumAmps, minimumAmps: p.minimumAmps,
                               charging: p.chargingSince != nil, reservedAmps: p.reservedAmps)
        })
    }
}

/// What makes a new DLM allocation necessary before the sample period ends (see ``DLMCycle/signature(_:_:)``).
struct DLMSignature: Sendable, Equatable {
    struct Point: Sendable, Equatable {
        var id: String
        var demanding: Bool
        var usedPhases: [Int]?
        var maximumAmps: Double
        var minimumAmps: Double
        var charging: Bool
        var reservedAmps: Double?
    }
    /// The site's available current per grid phase, in 0.1 A.
    var availableDeciAmps: [Int]
    var points: [Point]
}
