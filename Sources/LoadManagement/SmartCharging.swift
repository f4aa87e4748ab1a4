#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16

/// An OCPP charging profile installed on a connector (0 = the station).
public struct InstalledProfile: Sendable, Codable, Equatable {
    public var connector: Int
    public var profile: ChargingProfile

    public init(connector: Int, profile: ChargingProfile) { self.connector = connector; self.profile = profile }

    /// The chargingProfileId.
    public var id: Int { profile.chargingProfileId }

    var purpose: ChargingProfiles.Purpose? { ChargingProfiles.Purpose(rawValue: profile.chargingProfilePurpose) }
}

/// The OCPP 1.6 smart charging profiles of the station: validation, storage rules, stacking and the composite
/// schedule. Pure: time, the running transactions and the electrical facts come in as arguments.
///
/// Rules (OCPP 1.6 §3.13, §5.5, §5.7, §5.16; errata 3.7, 3.8, 3.37–3.45, 3.56, 3.65–3.70, 3.79; checklist §1.5):
/// - At a time t each purpose uses its valid profile (validFrom ≤ t < validTo) with the highest stackLevel whose
///   schedule is running at t; a profile whose schedule has ended falls back to the next lower stackLevel.
/// - Composite(t) = min(ChargePointMaxProfile(t), TxProfile(t) if the transaction has a TxProfile, else
///   TxDefaultProfile(t)). **TC_066 decision**: OCPP 1.6 §3.13.1 says a TxProfile overrides the TxDefaultProfile
///   "for the duration of the current transaction", so once a transaction has a TxProfile its TxDefault does not
///   come back when the TxProfile's schedule ends (the 2024-04 OCTT expectation 0:8, 50:10, 200:6, 240:10), unlike
///   libocpp's period-by-period merge.
/// - A TxDefaultProfile on connector N replaces the connector-0 ones for that connector.
/// - Schedule start: Absolute = startSchedule (installation time when absent); Relative = the transaction's start
///   (the request time without one); Recurring = every 24 h / 7 days from startSchedule, periods and duration cut
///   at the recurrence.
/// - W limits become amperes per phase: W ÷ (voltage × numberPhases, default 3), as given (errata 3.34).
/// - ChargePointMaxProfile limits the sum of all connectors: the running transactions share it equally.
public struct ChargingProfiles: Sendable, Equatable {
    /// OCPP 1.6's ChargingProfilePurposeType (one enum for the wire and the stacking rules).
    public typealias Purpose = ChargingProfilePurpose

    /// The limits the station announces (read-only configuration keys of the SmartCharging profile).
    public struct Limits: Sendable, Equatable {
        public var maxStackLevel = 10
        public var maxPeriods = 24
        public var maxProfiles = 20
        public init() {}
    }

    /// What the rules need to know about a connector's transaction.
    public struct Transaction: Sendable, Equatable {
        public var transactionID: Int?
        public var startedAt: Date
        public init(transactionID: Int?, startedAt: Date) { self.transactionID = transactionID; self.startedAt = startedAt }
    }

    public private(set) var installed: [InstalledProfile]
    public var limits = Limits()
    /// Seconds after a schedule boundary at which the composite schedule evaluates it.
    static let boundaryEpsilon = 0.001

    public init(_ installed: [InstalledProfile] = []) { self.installed = installed }

    // MARK: SetChargingProfile

    /// Why `profile` may not be installed on `connector` (nil: it may). `transaction` is the connector's running one.
    public func rejection(connector: Int, _ p: ChargingProfile, connectorCount: Int, transaction: Transaction?, now: Date) -> String? {
        guard (0...connectorCount).contains(connector) else { return "connector \(connector) does not exist" }
        guard let purpose = Purpose(rawValue: p.chargingProfilePurpose) else { return "unknown purpose \(p.chargingProfilePurpose)" }
        switch purpose {
        case .chargePointMaxProfile where connector != 0: return "a ChargePointMaxProfile belongs to connector 0"
        case .txProfile where connector == 0: return "a TxProfile needs a connector"
        case .txProfile where transaction == nil: return "a TxProfile needs a running transaction on connector \(connector)"
        case .txProfile where p.transactionId != nil && transaction?.transactionID != nil && p.transactionId != transaction?.transactionID:
            return "transaction \(p.transactionId ?? 0) is not the one running on connector \(connector)"
        default: break
        }
        guard p.stackLevel <= limits.maxStackLevel else { return "stackLevel above ChargeProfileMaxStackLevel \(limits.maxStackLevel)" }
        let s = p.chargingSchedule
        guard ["A", "W"].contains(s.chargingRateUnit) else { return "chargingRateUnit \(s.chargingRateUnit)" }
        guard !s.chargingSchedulePeriod.isEmpty, s.chargingSchedulePeriod.count <= limits.maxPeriods else {
            return "1 to \(limits.maxPeriods) periods (ChargingScheduleMaxPeriods)"
        }
        guard s.chargingSchedulePeriod[0].startPeriod == 0 else { return "the first period must start at 0 (errata 3.45)" }
        guard zip(s.chargingSchedulePeriod, s.chargingSchedulePeriod.dropFirst()).allSatisfy({ $0.startPeriod < $1.startPeriod }) else {
            return "periods must start in increasing order"
        }
        guard s.chargingSchedulePeriod.allSatisfy({ $0.limit >= 0 && ($0.numberPhases.map { (1...3).contains($0) } ?? true) }) else {
            return "limits must be ≥ 0 and numberPhases 1 to 3"
        }
        switch p.chargingProfileKind {
        case "Absolute", "Relative":
            guard p.recurrencyKind == nil else { return "recurrencyKind only with kind Recurring (errata 3.56)" }
        case "Recurring":
            guard p.recurrencyKind == "Daily" || p.recurrencyKind == "Weekly" else { return "a Recurring profile needs recurrencyKind Daily or Weekly" }
            guard s.startSchedule != nil else { return "a Recurring profile needs startSchedule" }
        default:
            return "unknown kind \(p.chargingProfileKind)"
        }
        if let from = p.validFrom, let to = p.validTo, to <= from { return "validTo must be after validFrom" }
        if let to = p.validTo, to <= now { return "validTo is in the past" }
        let after = replacing(connector: connector, p).installed.count
        guard after <= limits.maxProfiles else { return "more than MaxChargingProfilesInstalled \(limits.maxProfiles) profiles" }
        return nil
    }

    /// Installs a checked profile: it replaces one with the same id, or the same stackLevel and purpose on the same
    /// connector. An Absolute profile without startSchedule starts now.
    public mutating func install(connector: Int, _ p: ChargingProfile, now: Date) -> InstalledProfile {
        var p = p
        if p.chargingProfileKind == "Absolute", p.chargingSchedule.startSchedule == nil { p.chargingSchedule.startSchedule = now }
        self = replacing(connector: connector, p)
        return InstalledProfile(connector: connector, profile: p)
    }

    private func replacing(connector: Int, _ p: ChargingProfile) -> ChargingProfiles {
        var copy = self
        copy.installed.removeAll {
            $0.profile.chargingProfileId == p.chargingProfileId
                || ($0.connector == connector && $0.profile.stackLevel == p.stackLevel && $0.profile.chargingProfilePurpose == p.chargingProfilePurpose)
        }
        copy.installed.append(InstalledProfile(connector: connector, profile: p))
        return copy
    }

    // MARK: Removal

    /// ClearChargingProfile: by id (other fields ignored), else every profile matching all given fields. Returns the
    /// ids removed (empty: Unknown).
    public mutating func clear(id: Int?, connector: Int?, purpose: String?, stackLevel: Int?) -> [Int] {
        let match: (InstalledProfile) -> Bool
        if let id {
            match = { $0.profile.chargingProfileId == id }
        } else {
            match = { p in
                (connector.map { p.connector == $0 } ?? true) && (purpose.map { p.profile.chargingProfilePurpose == $0 } ?? true)
                    && (stackLevel.map { p.profile.stackLevel == $0 } ?? true)
            }
        }
        let removed = installed.filter(match).map(\.profile.chargingProfileId)
        installed.removeAll(where: match)
        return removed
    }

    /// The TxProfiles of a connector end with its transaction. Returns the ids removed.
    public mutating func transactionEnded(connector: Int) -> [Int] {
        clear(id: nil, connector: connector, purpose: Purpose.txProfile.rawValue, stackLevel: nil)
    }

    /// Profiles whose validTo has passed. Returns the ids removed.
    public mutating func removeExpired(now: Date) -> [Int] {
        let gone = installed.filter { ($0.profile.validTo ?? .distantFuture) <= now }.map(\.profile.chargingProfileId)
        installed.removeAll { ($0.profile.validTo ?? .distantFuture) <= now }
        return gone
    }

    // MARK: Limits

    /// The electrical facts to turn W into A.
    public struct Electrical: Sendable, Equatable {
        public var voltageV: Double
        public init(voltageV: Double) { self.voltageV = voltageV }
    }

    /// The limit of one purpose at `t` in amperes per phase (nil: no profile of this purpose applies).
    func purposeLimit(_ purpose: Purpose, connector: Int, at t: Date, transaction: Transaction?, requestStart: Date,
                      electrical: Electrical) -> Double? {
        runningPeriod(purpose, connector: connector, at: t, start: transaction?.startedAt ?? requestStart).map {
            Self.amps($0.period, unit: $0.profile.chargingSchedule.chargingRateUnit, electrical: electrical)
        }
    }

    /// The running period of the highest-stack profile of `purpose` valid at `t` whose schedule runs then, with its
    /// profile (a TxDefaultProfile of the connector before one of connector 0; the ChargePointMaxProfile of connector 0).
    func runningPeriod(_ purpose: Purpose, connector: Int, at t: Date, start: Date) -> (profile: ChargingProfile, period: ChargingSchedulePeriod)? {
        var candidates = installed.filter { $0.purpose == purpose && $0.connector == connector }
        if purpose == .txDefaultProfile && candidates.isEmpty { candidates = installed.filter { $0.purpose == .txDefaultProfile && $0.connector == 0 } }
        if purpose == .chargePointMaxProfile { candidates = installed.filter { $0.purpose == .chargePointMaxProfile } }
        for c in candidates.sorted(by: { $0.profile.stackLevel > $1.profile.stackLevel }) {
            let p = c.profile
            if let from = p.validFrom, t < from { continue }
            if let to = p.validTo, t >= to { continue }
            if let period = Self.schedulePeriod(p, at: t, start: start) { return (p, period) }
        }
        return nil
    }

    /// The composite limit of connector `connector` (≥ 1) at `t` in amperes per phase, or nil when no profile limits it.
    /// `sharers`: how many transactions share the ChargePointMaxProfile (at least 1).
    public func limit(connector: Int, at t: Date, transaction: Transaction?, electrical: Electrical, sharers: Int = 1) -> Double? {
        var result: Double?
        func apply(_ v: Double?) { if let v { result = min(result ?? v, v) } }
        apply(purposeLimit(.chargePointMaxProfile, connector: 0, at: t, transaction: nil, requestStart: t, electrical: electrical)
            .map { $0 / Double(max(1, sharers)) })
        apply(transactionLimit(connector: connector, at: t, transaction: transaction, electrical: electrical))
        return result
    }

    /// The TxProfile (when the transaction has one) or else the TxDefaultProfile limit of a connector at `t`.
    func transactionLimit(connector: Int, at t: Date, transaction: Transaction?, electrical: Electrical) -> Double? {
        let hasTxProfile = transaction != nil && installed.contains { $0.purpose == .txProfile && $0.connector == connector }
        return purposeLimit(hasTxProfile ? .txProfile : .txDefaultProfile, connector: connector, at: t, transaction: transaction, requestStart: t,
                            electrical: electrical)
    }

    /// The period of a profile's schedule running at `t`, or nil when the schedule is not running then.
    static func schedulePeriod(_ p: ChargingProfile, at t: Date, start relativeStart: Date) -> ChargingSchedulePeriod? {
        let s = p.chargingSchedule
        var elapsed: Double
        var cycle: Double?
        switch p.chargingProfileKind {
        case "Relative":
            elapsed = t.timeIntervalSince(relativeStart)
        case "Recurring":
            guard let base = s.startSchedule else { return nil }
            let period: Double = p.recurrencyKind == "Weekly" ? 7 * 86_400 : 86_400
            let since = t.timeIntervalSince(base)
            guard since >= 0 else { return nil }
            elapsed = since - (since / period).rounded(.down) * period
            cycle = period
        default:
            guard let base = s.startSchedule else { return nil }
            elapsed = t.timeIntervalSince(base)
        }
        guard elapsed >= 0 else { return nil }
        if let d = s.duration, elapsed >= Double(d) { return nil }
        if let cycle, elapsed >= cycle { return nil }
        return s.chargingSchedulePeriod.last(where: { Double($0.startPeriod) <= elapsed })
    }

    static func amps(_ period: ChargingSchedulePeriod, unit: String, electrical: Electrical) -> Double {
        guard unit == "W" else { return period.limit }
        return period.limit / (electrical.voltageV * Double(period.numberPhases ?? 3))
    }

    /// The moments in [from, to) where a connector's composite limit may change.
    func breakpoints(connector: Int, from: Date, to: Date, transaction: Transaction?) -> [Date] {
        var points: Set<Double> = [from.timeIntervalSince1970]
        func add(_ d: Date) { if d > from && d < to { points.insert(d.timeIntervalSince1970) } }
        for c in installed where c.connector == 0 || c.connector == connector {
            let p = c.profile, s = p.chargingSchedule
            if let v = p.validFrom { add(v) }
            if let v = p.validTo { add(v) }
            var starts: [Date] = []
            switch p.chargingProfileKind {
            case "Relative": starts = [transaction?.startedAt ?? from]
            case "Recurring":
                guard let base = s.startSchedule else { continue }
                let period: Double = p.recurrencyKind == "Weekly" ? 7 * 86_400 : 86_400
                var k = max(0, (from.timeIntervalSince(base) / period).rounded(.down))
                while base.addingTimeInterval(k * period) < to {
                    starts.append(base.addingTimeInterval(k * period))
                    k += 1
                }
            default: if let base = s.startSchedule { starts = [base] }
            }
            for start in starts {
                for period in s.chargingSchedulePeriod { add(start.addingTimeInterval(Double(period.startPeriod))) }
                if let d = s.duration { add(start.addingTimeInterval(Double(d))) }
            }
        }
        return points.sorted().map { Date(timeIntervalSince1970: $0) }
    }

    /// GetCompositeSchedule: the connector's limit from `start` for `durationSeconds`, in `unit` ("A" or "W"), as
    /// periods relative to `start`. Where no profile limits the connector, `ceilingAmps` (the station's own limit)
    /// applies; every period is also capped by it. W = A × voltage × phases.
    public func composite(connector: Int, start: Date, durationSeconds: Int, unit: String, transaction: Transaction?,
                          electrical: Electrical, ceilingAmps: Double, phases: Int, sharers: Int = 1) -> ChargingSchedule {
        schedule(start: start, durationSeconds: durationSeconds, unit: unit, electrical: electrical, phases: phases,
                 breakpoints: breakpoints(connector: connector, from: start, to: start.addingTimeInterval(Double(durationSeconds)),
                                          transaction: transaction)) { at in
            min(ceilingAmps, limit(connector: connector, at: at, transaction: transaction, electrical: electrical, sharers: sharers) ?? ceilingAmps)
        }
    }

    /// GetCompositeSchedule for connector 0: the station's expected draw from the grid — the sum of what every
    /// connector may draw (its TxProfile or TxDefaultProfile, capped by its own limit), capped by the
    /// ChargePointMaxProfile. `connectors[i]` is connector i + 1.
    public func stationComposite(start: Date, durationSeconds: Int, unit: String, connectors: [(transaction: Transaction?, ceilingAmps: Double)],
                                 electrical: Electrical) -> ChargingSchedule {
        let end = start.addingTimeInterval(Double(durationSeconds))
        let points = Set(connectors.indices.flatMap { breakpoints(connector: $0 + 1, from: start, to: end, transaction: connectors[$0].transaction) })
        return schedule(start: start, durationSeconds: durationSeconds, unit: unit, electrical: electrical, phases: 3,
                        breakpoints: points.sorted()) { at in
            let sum = connectors.indices.reduce(0.0) { total, i in
                let c = connectors[i]
                return total + min(c.ceilingAmps, transactionLimit(connector: i + 1, at: at, transaction: c.transaction, electrical: electrical) ?? c.ceilingAmps)
            }
            return min(sum, purposeLimit(.chargePointMaxProfile, connector: 0, at: at, transaction: nil, requestStart: at, electrical: electrical) ?? sum)
        }
    }

    /// Periods of `amps(t)` at the breakpoints, merged where the value does not change.
    private func schedule(start: Date, durationSeconds: Int, unit: String, electrical: Electrical, phases: Int, breakpoints: [Date],
                          amps: (Date) -> Double) -> ChargingSchedule {
        var periods: [ChargingSchedulePeriod] = []
        for t in breakpoints {
            // Evaluated just after the breakpoint: a boundary recomputed in floating point may land a hair before it.
            let amps = amps(t.addingTimeInterval(Self.boundaryEpsilon))
            var value = unit == "W" ? amps * electrical.voltageV * Double(phases) : amps
            value = (value * 10).rounded(.down) / 10
            let offset = Int(t.timeIntervalSince(start).rounded())
            if let last = periods.last, last.limit == value { continue }
            periods.append(ChargingSchedulePeriod(startPeriod: offset, limit: value, numberPhases: unit == "W" ? phases : nil))
        }
        return ChargingSchedule(duration: durationSeconds, startSchedule: start, chargingRateUnit: unit, chargingSchedulePeriod: periods)
    }
}
