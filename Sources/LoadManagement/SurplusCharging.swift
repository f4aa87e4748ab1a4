#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How a connector's sessions use the sun (seeds/000 "PV-gesteuertes Laden aktivieren"; the three modes home energy
/// managers such as evcc and Tinkerforge WARP offer and owners compare against).
public enum ChargeMode: String, Sendable, Codable, CaseIterable {
    /// The limit chain as without PV: as fast as every other limit allows.
    case fast = "Fast"
    /// The minimum current always (from the grid when the sun is not enough), more from the surplus.
    case minPV = "MinPV"
    /// Only the surplus: pauses when there is not enough for the minimum current.
    case pv = "PV"
}

/// The surplus controller's settings (menu Load Management, section PV surplus).
public struct SurplusSettings: Sendable, Equatable {
    /// Surplus above the minimum charging power needed before the start delay runs (PV mode), W.
    public var startThresholdW: Double
    /// Grid import tolerated below the minimum charging power before the stop delay runs (PV mode), W.
    public var stopThresholdW: Double
    /// How long the surplus must be enough before a paused PV session starts, s.
    public var startDelaySeconds: Double
    /// How long the surplus must be too low before a charging PV session pauses, s.
    public var stopDelaySeconds: Double
    /// Once started, a PV session charges at least this long (at the minimum current if need be), s: a contactor and
    /// a vehicle are not switched for every cloud.
    public var minimumChargingSeconds: Double
    /// A new current is signalled only when it differs from the signalled one by at least this much, A (a vehicle
    /// takes seconds to follow; chasing every watt makes it oscillate).
    public var currentStepAmps: Double
    /// The lowest current a vehicle is offered (the station's Minimum Current Limit), A.
    public var minimumAmps: Double
    /// The voltage to neutral the power is converted with, V.
    public var voltageV: Double

    public init(startThresholdW: Double = 0, stopThresholdW: Double = 0, startDelaySeconds: Double = 30, stopDelaySeconds: Double = 180,
                minimumChargingSeconds: Double = 300, currentStepAmps: Double = 1, minimumAmps: Double = 6, voltageV: Double = 230) {
        self.startThresholdW = startThresholdW; self.stopThresholdW = stopThresholdW; self.startDelaySeconds = startDelaySeconds
        self.stopDelaySeconds = stopDelaySeconds; self.minimumChargingSeconds = minimumChargingSeconds
        self.currentStepAmps = currentStepAmps; self.minimumAmps = minimumAmps; self.voltageV = voltageV
    }
}

/// One connector as the surplus controller sees it.
public struct SurplusConnector: Sendable, Equatable {
    public var id: Int
    public var mode: ChargeMode
    /// A session runs (a vehicle is plugged in and authorized).
    public var sessionActive: Bool
    /// The phases the vehicle draws on (or the connector's, before it is known).
    public var phases: Int
    /// `phases` was measured (the vehicle draws now). A paused vehicle draws nothing: the controller keeps what it
    /// measured while the vehicle drew, so that a 1-phase car on a 3-phase connector needs 1-phase power to start again.
    public var phasesMeasured: Bool
    /// What the connector draws now, W (added back to the surplus: the station's own draw is what it controls).
    public var powerW: Double
    /// The highest current the rest of the chain allows, A.
    public var maximumAmps: Double

    public init(id: Int, mode: ChargeMode, sessionActive: Bool, phases: Int, phasesMeasured: Bool = false, powerW: Double,
                maximumAmps: Double) {
        self.id = id; self.mode = mode; self.sessionActive = sessionActive; self.phases = phases; self.phasesMeasured = phasesMeasured
        self.powerW = powerW; self.maximumAmps = maximumAmps
    }
}

/// What the controller decided for one connector in PV or Min+PV mode: its limit in the chain (source `pvSurplus`; 0
/// pauses) and why, in words for the status API, the dashboard and the event log.
public struct SurplusDecision: Sendable, Equatable, Codable {
    public var connector: Int
    public var mode: ChargeMode
    public var amps: Double
    public var reason: String
    /// The surplus the connector's share was computed from, W (nil without a grid meter reading).
    public var surplusW: Double?
    /// What the connector draws now, split into the part its surplus share covers and the part from the grid, W (nil
    /// without a session or a grid meter reading).
    public var fromPVW: Double?
    public var fromGridW: Double?
    /// The part of the surplus left for this connector after those before it, W (what phase switching decides from; nil
    /// without a session or a grid meter reading).
    public var shareW: Double?

    public init(connector: Int, mode: ChargeMode, amps: Double, reason: String, surplusW: Double?, fromPVW: Double? = nil,
                fromGridW: Double? = nil, shareW: Double? = nil) {
        self.connector = connector; self.mode = mode; self.amps = amps; self.reason = reason; self.surplusW = surplusW
        self.fromPVW = fromPVW; self.fromGridW = fromGridW; self.shareW = shareW
    }
}

/// PV surplus charging from the grid meter (issue 25 item 2), for sites without an energy manager: the surplus is what
/// the grid meter exports (its power is negative) plus what the PV-mode connectors draw themselves. It is shared among
/// the sessions in PV and Min+PV mode, those already charging first (so that a second vehicle does not make the first
/// one pause), then by connector number.
///
/// Against clouds: a paused PV session starts only after the surplus has been enough for the start delay, and pauses
/// only after it has been too low for the stop delay and the minimum charging time has passed — meanwhile it charges
/// at the minimum current; a new current is signalled only when it moves by at least the current step.
///
/// A state machine: readings and the time in, decisions out; the caller puts them into the limit chain.
public struct SurplusController: Sendable, Equatable {
    struct Track: Sendable, Equatable {
        var charging = false
        var chargingSince: Date?
        /// Since when the surplus has been enough (paused) or too low (charging).
        var conditionSince: Date?
        var amps: Double = 0
        /// The phases measured while the vehicle drew in this session.
        var phases: Int?
    }

    var tracks: [Int: Track] = [:]

    public init() {}

    /// A control step. `gridPowerW` is the grid meter's total active power (+ import, − export); nil while it is not
    /// configured or does not answer. Returns a decision for every connector in PV or Min+PV mode, and the lines worth
    /// an event log entry (a PV session starting or pausing).
    public mutating func step(gridPowerW: Double?, connectors: [SurplusConnector], settings s: SurplusSettings,
                              now: Date) -> (decisions: [SurplusDecision], log: [(connector: Int, line: String)]) {
        let managed = connectors.filter { $0.mode != .fast }
        for id in tracks.keys where !managed.contains(where: { $0.id == id && $0.sessionActive }) { tracks[id] = nil }
        // A meter's garbage (NaN, infinity) is no reading: it must not reach the chain or the status API's JSON.
        guard let grid = gridPowerW, grid.isFinite else {
            return (managed.map { c in
                let amps = c.mode == .minPV && c.sessionActive ? min(s.minimumAmps, c.maximumAmps) : 0
                if c.sessionActive {
                    tracks[c.id] = Track(charging: amps > 0, chargingSince: amps > 0 ? now : nil, amps: amps, phases: tracks[c.id]?.phases)
                }
                let reason = c.sessionActive ? "no grid meter reading: \(c.mode == .minPV ? "minimum current" : "paused")" : "no session"
                return SurplusDecision(connector: c.id, mode: c.mode, amps: amps, reason: reason, surplusW: nil)
            }, [])
        }
        let surplusW = -grid + managed.reduce(0) { $0 + ($1.powerW.isFinite ? max(0, $1.powerW) : 0) }
        var leftW = surplusW
        // What is left of the surplus after the draws of the connectors before, for the split of each draw (the
        // allocation above shares what the vehicles will draw; the split says where today's draw comes from).
        var uncoveredW = max(0, surplusW)
        var decisions: [SurplusDecision] = []
        var log: [(connector: Int, line: String)] = []
        let order = managed.sorted { a, b in
            let ca = tracks[a.id]?.charging == true, cb = tracks[b.id]?.charging == true
            return ca != cb ? ca : a.id < b.id
        }
        for c in order {
            guard c.sessionActive else {
                decisions.append(SurplusDecision(connector: c.id, mode: c.mode, amps: 0, reason: "no session", surplusW: surplusW))
                continue
            }
            var t = tracks[c.id] ?? Track()
            if c.phasesMeasured { t.phases = c.phases }
            let wattsPerAmp = s.voltageV * Double(max(1, c.phasesMeasured ? c.phases : t.phases ?? c.phases))
            let minimumW = s.minimumAmps * wattsPerAmp
            let share = max(0, leftW)
            let drawnW = c.powerW.isFinite ? max(0, c.powerW) : 0
            let fromPVW = min(drawnW, uncoveredW)
            uncoveredW -= fromPVW
            var amps: Double
            var reason: String
            switch c.mode {
            case .fast:
                continue
            case .minPV:
                amps = max(s.minimumAmps, share / wattsPerAmp)
                t.charging = true
                t.chargingSince = t.chargingSince ?? now
                reason = share >= minimumW ? "surplus \(Self.kW(share)) kW" : "surplus \(Self.kW(share)) kW: minimum current"
            case .pv:
                (amps, reason) = pv(&t, shareW: share, minimumW: minimumW, wattsPerAmp: wattsPerAmp, s, now: now, log: &log, connector: c.id)
            }
            amps = min(Self.held(min(amps, c.maximumAmps), previous: t.amps, step: s.currentStepAmps, minimum: s.minimumAmps), c.maximumAmps)
            if amps < s.minimumAmps { amps = 0 }
            t.amps = amps
            tracks[c.id] = t
            leftW -= amps * wattsPerAmp
            decisions.append(SurplusDecision(connector: c.id, mode: c.mode, amps: amps, reason: reason, surplusW: surplusW,
                                             fromPVW: fromPVW, fromGridW: drawnW - fromPVW, shareW: share))
        }
        return (decisions.sorted { $0.connector < $1.connector }, log)
    }

    /// PV mode: start after the surplus has covered the minimum power plus the start threshold for the start delay;
    /// pause after it has been below the minimum power minus the stop threshold for the stop delay, not before the
    /// minimum charging time.
    private func pv(_ t: inout Track, shareW: Double, minimumW: Double, wattsPerAmp: Double, _ s: SurplusSettings, now: Date,
                    log: inout [(connector: Int, line: String)], connector: Int) -> (Double, String) {
        let kW = Self.kW(shareW)
        if !t.charging {
            guard shareW >= minimumW + s.startThresholdW else {
                t.conditionSince = nil
                return (0, "surplus \(kW) kW, below the \(Self.kW(minimumW + s.startThresholdW)) kW to start")
            }
            let since = t.conditionSince ?? now
            t.conditionSince = since
            let waited = now.timeIntervalSince(since)
            guard waited >= s.startDelaySeconds else {
                return (0, "surplus \(kW) kW, waiting \(Int((s.startDelaySeconds - waited).rounded(.up))) s before start")
            }
            t.charging = true
            t.chargingSince = now
            t.conditionSince = nil
            log.append((connector, "PV surplus \(kW) kW: connector \(connector) starts charging"))
            return (shareW / wattsPerAmp, "surplus \(kW) kW")
        }
        guard shareW < minimumW - s.stopThresholdW else {
            t.conditionSince = nil
            return (max(s.minimumAmps, shareW / wattsPerAmp), "surplus \(kW) kW")
        }
        let charged = t.chargingSince.map { now.timeIntervalSince($0) } ?? .infinity
        if charged < s.minimumChargingSeconds {
            t.conditionSince = nil
            return (s.minimumAmps, "surplus \(kW) kW: minimum charging time, \(Int((s.minimumChargingSeconds - charged).rounded(.up))) s left")
        }
        let since = t.conditionSince ?? now
        t.conditionSince = since
        let waited = now.timeIntervalSince(since)
        guard waited >= s.stopDelaySeconds else {
            return (s.minimumAmps, "surplus \(kW) kW, pausing in \(Int((s.stopDelaySeconds - waited).rounded(.up))) s")
        }
        t.charging = false
        t.chargingSince = nil
        t.conditionSince = nil
        log.append((connector, "PV surplus \(kW) kW: connector \(connector) pauses"))
        return (0, "surplus \(kW) kW, below the \(Self.kW(minimumW)) kW to charge: paused")
    }

    /// Forgets the phases measured while connector `id`'s vehicle drew: its supply was switched between 1 and 3 phases
    /// (issue 25 item 3), so until it draws again the connector's phases count.
    public mutating func forgetPhases(connector id: Int) { tracks[id]?.phases = nil }

    /// The current to signal: 0.1 A resolution; kept at `previous` while it moves less than `step` (a pause or a start
    /// always goes through).
    static func held(_ amps: Double, previous: Double, step: Double, minimum: Double) -> Double {
        let a = amps < minimum ? 0 : (amps * 10).rounded(.down) / 10
        guard a > 0, previous > 0 else { return a }
        return abs(a - previous) < step ? previous : a
    }

    /// Watts as kilowatts with one decimal, for the reasons.
    static func kW(_ w: Double) -> String {
        guard w.isFinite else { return "?" }
        let tenths = Int((w / 100).rounded())
        return "\(tenths < 0 ? "-" : "")\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }
}
