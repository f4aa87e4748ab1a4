#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The states of a Controllable System in Limitation of Power Consumption (EEBUS UC TS LimitationOfPowerConsumption
/// V1.0.0, the Controllable System's state diagram: "init", "unlimited/controlled", "limited", "failsafe state",
/// "unlimited/autonomous"); the raw values are those names in the API's camel case.
public enum LPCState: String, Sendable, Codable, CaseIterable {
    /// After the start, until the energy guard has stated a limit (or given up on after 120 s).
    case initial = "init"
    /// The energy guard is there (heartbeat) and has no active limit.
    case unlimitedControlled
    /// The energy guard's active power consumption limit applies.
    case limited
    /// The energy guard's heartbeat is missing: the failsafe consumption limit applies for at least the failsafe
    /// duration minimum.
    case failsafe
    /// No energy guard: the station runs without an LPC limit.
    case unlimitedAutonomous
}

/// The Controllable System's side of LPC as a pure state machine with injected time. The application feeds it the
/// energy guard's writes and heartbeats; ``evaluate(now:timeoutSeconds:)`` moves it on (every tick and after every
/// event).
///
/// Rules (EEBUS UC TS LimitationOfPowerConsumption V1.0.0 and its test specification V1.0.1, rule numbers as there):
/// - init → limited / unlimited/controlled: a limit write (active or not) while the writer's heartbeat is present;
///   init → unlimited/autonomous when no limit came within 120 s of the start ([LPC-906]); init → failsafe when the
///   guard that wrote went quiet before its heartbeat was ever confirmed together with a limit.
/// - limited ↔ unlimited/controlled: the limit is activated, deactivated, or its duration ends.
/// - limited / unlimited/controlled → failsafe: no heartbeat of the energy guard for longer than the station's
///   "Zeit bis Verbindungsausfall" (seeds/000 §3; the specification's 120 s is the upper bound a station may choose).
/// - failsafe stays at least the failsafe duration minimum ([LPC-TS-012]) unless a heartbeat and a following limit
///   write arrive ([LPC-916]), which apply at once; after the minimum it goes to unlimited/controlled when the
///   heartbeat is back, else to unlimited/autonomous ([LPC-921]).
/// - unlimited/autonomous → limited / unlimited/controlled: the energy guard is back (heartbeat) or writes a limit.
///
/// The energy guard is the remote (SKI) that last wrote LPC data; only its heartbeat counts, so that a home energy
/// manager that only uses OPEV/OSCEV (and sends heartbeats of its own) never starts a failsafe.
public struct LPCControllableSystem: Sendable, Equatable {
    /// The active power consumption limit as the energy guard wrote it (`loadControlLimitData`).
    public struct Limit: Sendable, Equatable, Codable {
        public var isActive: Bool
        public var valueW: Double
        /// When the limit ends (`timePeriod.endTime`), nil = until changed.
        public var endTime: Date?
        public init(isActive: Bool, valueW: Double, endTime: Date? = nil) {
            self.isActive = isActive
            self.valueW = valueW
            self.endTime = endTime
        }
    }

    /// LPC 1.0.0: the failsafe duration minimum lies within 2 h … 24 h; 2 h until the energy guard writes one.
    public static let failsafeDurationRangeSeconds: ClosedRange<Double> = 7_200...86_400
    /// [LPC-906]: how long init waits for a limit before the station runs autonomously.
    public static let initTimeoutSeconds: Double = 120

    public private(set) var state: LPCState = .initial
    public private(set) var stateSince: Date
    public private(set) var limit = Limit(isActive: false, valueW: 0)
    /// The failsafe consumption active power limit the energy guard wrote, nil while it never wrote one.
    public private(set) var failsafeLimitW: Double?
    public private(set) var failsafeDurationMinimumSeconds: Double = 7_200
    /// The SKI of the energy guard (the remote that last wrote LPC data).
    public private(set) var energyGuard: String?
    /// The last heartbeat of every remote, by SKI.
    public private(set) var lastHeartbeats: [String: Date] = [:]
    private var started: Date
    private var limitWritten = false
    private var limitWrittenInState = false

    /// The values the energy guard wrote that must outlive a restart (LPC 1.0.0 scenario 2: the failsafe values are
    /// the Controllable System's configuration). The lead stores them whenever they change, before the engine's
    /// answer to the write goes out (durable before acknowledged), and passes them back at the start.
    public struct StoredValues: Sendable, Equatable, Codable {
        public var failsafeLimitW: Double?
        public var failsafeDurationMinimumSeconds: Double
        public init(failsafeLimitW: Double? = nil, failsafeDurationMinimumSeconds: Double = 7_200) {
            self.failsafeLimitW = failsafeLimitW
            self.failsafeDurationMinimumSeconds = failsafeDurationMinimumSeconds
        }
    }

    public init(now: Date, stored: StoredValues = StoredValues()) {
        started = now
        stateSince = now
        failsafeLimitW = stored.failsafeLimitW.flatMap { $0 >= 0 && $0.isFinite ? $0 : nil }
        if Self.failsafeDurationRangeSeconds.contains(stored.failsafeDurationMinimumSeconds) {
            failsafeDurationMinimumSeconds = stored.failsafeDurationMinimumSeconds
        }
    }

    public var storedValues: StoredValues {
        StoredValues(failsafeLimitW: failsafeLimitW, failsafeDurationMinimumSeconds: failsafeDurationMinimumSeconds)
    }

    /// The energy guard's last heartbeat.
    public var lastGuardHeartbeat: Date? { energyGuard.flatMap { lastHeartbeats[$0] } }

    /// A write of the limit (already validated), by the remote `ski`.
    public mutating func limitWritten(_ newLimit: Limit, by ski: String, now: Date, timeoutSeconds: Double) {
        limit = newLimit
        energyGuard = ski
        limitWritten = true
        limitWrittenInState = true
        evaluate(now: now, timeoutSeconds: timeoutSeconds)
    }

    /// A write of the failsafe values (already validated); nil leaves a value as it is.
    public mutating func failsafeWritten(limitW: Double?, durationMinimumSeconds: Double?, by ski: String, now: Date, timeoutSeconds: Double) {
        if let limitW { failsafeLimitW = limitW }
        if let durationMinimumSeconds { failsafeDurationMinimumSeconds = durationMinimumSeconds }
        energyGuard = ski
        evaluate(now: now, timeoutSeconds: timeoutSeconds)
    }

    /// A heartbeat (DeviceDiagnosis `heartbeatData` notify or reply) of the remote `ski`.
    public mutating func heartbeat(from ski: String, now: Date, timeoutSeconds: Double) {
        lastHeartbeats[ski] = now
        evaluate(now: now, timeoutSeconds: timeoutSeconds)
    }

    /// The energy guard's heartbeat arrived within the timeout.
    public func guardIsAlive(now: Date, timeoutSeconds: Double) -> Bool {
        guard let last = lastGuardHeartbeat else { return false }
        return now.timeIntervalSince(last) <= timeoutSeconds
    }

    /// Moves the machine on: the limit's end, the heartbeat's timeout, the failsafe's minimum, init's 120 s.
    public mutating func evaluate(now: Date, timeoutSeconds: Double) {
        if limit.isActive, let end = limit.endTime, now >= end {
            // The limit's duration has ended: it is no longer active (LPC 1.0.0 scenario 1, the time period).
            limit.isActive = false
            limit.endTime = nil
        }
        let alive = guardIsAlive(now: now, timeoutSeconds: timeoutSeconds)
        let controlled: LPCState = limit.isActive ? .limited : .unlimitedControlled
        switch state {
        case .initial:
            if limitWritten && alive {
                enter(controlled, now: now)
            } else if lastGuardHeartbeat != nil && !alive {
                enter(.failsafe, now: now)
            } else if now.timeIntervalSince(started) >= Self.initTimeoutSeconds && !limitWritten {
                enter(.unlimitedAutonomous, now: now)
            }
        case .unlimitedControlled, .limited:
            if !alive { enter(.failsafe, now: now) } else if state != controlled { enter(controlled, now: now) }
        case .failsafe:
            if limitWrittenInState && alive {
                enter(controlled, now: now)
            } else if now.timeIntervalSince(stateSince) >= failsafeDurationMinimumSeconds {
                enter(alive ? controlled : .unlimitedAutonomous, now: now)
            }
        case .unlimitedAutonomous:
            if alive { enter(controlled, now: now) }
        }
    }

    private mutating func enter(_ next: LPCState, now: Date) {
        state = next
        stateSince = now
        limitWrittenInState = false
    }
}
