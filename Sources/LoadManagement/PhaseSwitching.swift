#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Automatic 1-phase/3-phase switching's settings (menu Load Management, section PV surplus; issue 25 item 3).
public struct PhaseSwitchSettings: Sendable, Equatable {
    /// How long the contactors stay open after the phase contactor switched, before the current returns, s. Tinkerforge
    /// WARP's EVSE firmware keeps the pilot disconnected for 2 s around the switch, the Heidelberg 1p3p adapter made for
    /// evcc pauses 2 s; the default of 5 s leaves vehicles that restart their on-board charger slowly some margin.
    public var pauseSeconds: Double
    /// At most this many switches (attempts) in any hour: every switch interrupts the vehicle and wears the contactors.
    public var maximumSwitchesPerHour: Int
    /// How long the surplus must be too low for three phases before a 3-phase connection goes to 1 phase, s (the PV
    /// stop delay: the same patience as pausing, as evcc scales phases down after its disable delay).
    public var downDelaySeconds: Double
    /// How long the surplus must be enough for three phases before a 1-phase connection goes back to 3, s (the PV start
    /// delay, as evcc scales up after its enable delay).
    public var upDelaySeconds: Double
    /// How far the surplus must fall below the three-phase minimum before the down delay runs, W (the PV stop threshold:
    /// the grid import tolerated), and how far above it before the up delay runs, W (the PV start threshold).
    public var downThresholdW: Double
    public var upThresholdW: Double
    /// How long the vehicle is given to stop drawing after the PWM was removed before the contactors open anyway, s:
    /// IEC 61851-1 gives a vehicle 3 s to follow a change of the duty cycle (WARP waits 3.1 s).
    public var stopTimeoutSeconds: Double
    /// How long the main contactors' feedback may take to show them open before the switch is abandoned, s.
    public var openTimeoutSeconds: Double
    /// How long the board may take to report the new phase count before the switch counts as refused, s.
    public var confirmTimeoutSeconds: Double
    /// The lowest current a vehicle is offered, A, and the voltage to neutral, V: three phases need 3 × both.
    public var minimumAmps: Double
    public var voltageV: Double

    public init(pauseSeconds: Double = 5, maximumSwitchesPerHour: Int = 10, downDelaySeconds: Double = 180, upDelaySeconds: Double = 60,
                downThresholdW: Double = 0, upThresholdW: Double = 0, stopTimeoutSeconds: Double = 3, openTimeoutSeconds: Double = 5, confirmTimeoutSeconds: Double = 5,
                minimumAmps: Double = 6, voltageV: Double = 230) {
        self.pauseSeconds = pauseSeconds; self.maximumSwitchesPerHour = maximumSwitchesPerHour
        self.downDelaySeconds = downDelaySeconds; self.upDelaySeconds = upDelaySeconds
        self.downThresholdW = downThresholdW; self.upThresholdW = upThresholdW; self.stopTimeoutSeconds = stopTimeoutSeconds
        self.openTimeoutSeconds = openTimeoutSeconds; self.confirmTimeoutSeconds = confirmTimeoutSeconds
        self.minimumAmps = minimumAmps; self.voltageV = voltageV
    }

    /// The least surplus three phases can charge from (the minimum current on each), W.
    public var threePhaseMinimumW: Double { 3 * minimumAmps * voltageV }
}

/// Where a phase switch is in its sequence.
public enum PhaseSwitchStage: String, Sendable, Codable, Equatable {
    /// No switch under way.
    case idle
    /// The current is 0 A (no PWM); the contactors stay closed until the vehicle stopped drawing (state B) or the
    /// stop timeout passed.
    case stopping
    /// The contactors are commanded open; waiting for their feedback.
    case opening
    /// The phase contactor is commanded; waiting for the board to report the new phase count.
    case switching
    /// Switched: the contactors stay open for the pause before the current returns.
    case pausing
}

/// What the phase switcher wants done.
public enum PhaseSwitchAction: Sendable, Equatable {
    /// Command the phase-switching contactor (the main contactors are open).
    case switchPhases(Int)
    /// A line for the event log.
    case log(String)
}

/// What the phase switcher reads in one control step.
public struct PhaseSwitchInput: Sendable, Equatable {
    /// The phases wanted (nil: no wish; a wish equal to `switchedPhases` is none either).
    public var wantedPhases: Int?
    /// The phases the board reports its phase contactor feeds.
    public var switchedPhases: Int
    /// The vehicle requests energy (pilot C or D).
    public var vehicleRequestsEnergy: Bool
    /// The main contactors' feedback shows them open.
    public var contactorsOpen: Bool

    public init(wantedPhases: Int?, switchedPhases: Int, vehicleRequestsEnergy: Bool, contactorsOpen: Bool) {
        self.wantedPhases = wantedPhases; self.switchedPhases = switchedPhases
        self.vehicleRequestsEnergy = vehicleRequestsEnergy; self.contactorsOpen = contactorsOpen
    }
}

/// Switching a connector's supply between 3 phases and 1 (issue 25 item 3), in the sequence IEC 61851-1 requires for
/// changing the supply of a connected vehicle: stop the current (no PWM, 0 A), wait until the vehicle stopped drawing
/// (state B) or it had the 3 s the standard gives it, open the main contactors, switch the phase contactor only with
/// them open, keep them open for a pause, then let the current return. Tinkerforge WARP's EVSE firmware and the evcc
/// adapters for other wallboxes do the same.
///
/// The current returns through the limit chain like after any pause, so that a vehicle that fell asleep meanwhile is
/// woken by the station's wake-up rule (Allow EV Wakeup). At most ``PhaseSwitchSettings/maximumSwitchesPerHour``
/// switches start in any hour.
///
/// A state machine: the inputs and the time in, actions out; ``holdsCurrent`` and ``holdsContactors`` say what the
/// caller puts into the limit chain and the connector.
public struct PhaseSwitcher: Sendable, Equatable {
    public private(set) var stage: PhaseSwitchStage = .idle
    /// The phases the running switch goes to.
    public private(set) var targetPhases: Int?
    /// When the current stage began.
    public private(set) var stageSince: Date?
    /// When the switches of the last hour started.
    public private(set) var switchTimes: [Date] = []
    /// The per-hour limit held a wish back (logged once until it clears).
    public private(set) var limitReached = false

    public init() {}

    /// The current must be 0 A: a switch is under way.
    public var holdsCurrent: Bool { stage != .idle }
    /// The contactors stay closed while the vehicle stops drawing.
    public var holdsContactors: Bool { stage == .stopping }

    /// Switches started in the hour before `now`.
    public func switchesInLastHour(now: Date) -> Int { switchTimes.filter { now.timeIntervalSince($0) < 3600 }.count }

    /// One control step.
    public mutating func step(_ input: PhaseSwitchInput, _ s: PhaseSwitchSettings, now: Date) -> [PhaseSwitchAction] {
        switchTimes.removeAll { now.timeIntervalSince($0) >= 3600 }
        let elapsed = stageSince.map { now.timeIntervalSince($0) } ?? 0
        switch stage {
        case .idle:
            guard let wanted = input.wantedPhases, wanted == 1 || wanted == 3, wanted != input.switchedPhases else {
                limitReached = false
                return []
            }
            guard switchTimes.count < s.maximumSwitchesPerHour else {
                if limitReached { return [] }
                limitReached = true
                return [.log("Phase switch to \(Self.phases(wanted)) held back: \(s.maximumSwitchesPerHour) switches in the last hour")]
            }
            limitReached = false
            switchTimes.append(now)
            targetPhases = wanted
            enter(.stopping, now)
            return [.log("Switching to \(Self.phases(wanted)): stopping the current")] + step(input, s, now: now)
        case .stopping:
            guard !input.vehicleRequestsEnergy || elapsed >= s.stopTimeoutSeconds else { return [] }
            enter(.opening, now)
            return step(input, s, now: now)
        case .opening:
            guard input.contactorsOpen else {
                guard elapsed >= s.openTimeoutSeconds else { return [] }
                return abandon(now, "the contactors did not open")
            }
            let target = targetPhases ?? 3
            enter(.switching, now)
            return [.switchPhases(target)]
        case .switching:
            guard input.switchedPhases == targetPhases else {
                guard elapsed >= s.confirmTimeoutSeconds else { return [] }
                return abandon(now, "the board did not report \(Self.phases(targetPhases ?? 3))")
            }
            enter(.pausing, now)
            return [.log("Phase contactor switched to \(Self.phases(input.switchedPhases)); pausing \(Int(s.pauseSeconds)) s")]
        case .pausing:
            guard elapsed >= s.pauseSeconds else { return [] }
            let target = targetPhases ?? input.switchedPhases
            enter(.idle, now)
            targetPhases = nil
            stageSince = nil
            return [.log("Phase switch done: charging resumes on \(Self.phases(target))")]
        }
    }

    private mutating func enter(_ next: PhaseSwitchStage, _ now: Date) {
        stage = next
        stageSince = now
    }

    private mutating func abandon(_ now: Date, _ why: String) -> [PhaseSwitchAction] {
        let target = targetPhases ?? 3
        stage = .idle
        stageSince = nil
        targetPhases = nil
        return [.log("Phase switch to \(Self.phases(target)) abandoned: \(why)")]
    }

    /// "1 phase", "3 phases".
    public static func phases(_ n: Int) -> String { n == 1 ? "1 phase" : "\(n) phases" }
}

/// The PV surplus side of phase switching: a 3-phase connection is wanted on 1 phase once the connector's share of the
/// surplus has stayed below what three phases need at the minimum current (3 × 6 A × 230 V = 4.14 kW, less the stop
/// threshold) for the down delay, and on 3 phases again once it has stayed at or above that (plus the start threshold)
/// for the up delay. The delays, the band between the thresholds and the per-hour limit keep a cloudy day from toggling
/// the contactors.
public struct PhaseChoice: Sendable, Equatable {
    var belowSince: Date?
    var aboveSince: Date?

    public init() {}

    /// The phases wanted for a connector switched to `switchedPhases` with `shareW` of surplus (nil: no reading, no
    /// wish), and why, in words for the status API.
    public mutating func wanted(shareW: Double?, switchedPhases: Int, _ s: PhaseSwitchSettings, now: Date) -> (phases: Int?, reason: String?) {
        guard let share = shareW, share.isFinite else {
            belowSince = nil; aboveSince = nil
            return (nil, nil)
        }
        let needed = s.threePhaseMinimumW
        let kW = SurplusController.kW(needed)
        // Between the two thresholds the connector stays as it is switched.
        let low = share < needed - s.downThresholdW, high = share >= needed + s.upThresholdW
        guard low || high else {
            belowSince = nil; aboveSince = nil
            return (nil, nil)
        }
        if low {
            aboveSince = nil
            guard switchedPhases == 3 else { belowSince = nil; return (1, nil) }
            let since = belowSince ?? now
            belowSince = since
            let waited = now.timeIntervalSince(since)
            guard waited >= s.downDelaySeconds else {
                return (nil, "below the \(kW) kW of three phases: 1 phase in \(Int((s.downDelaySeconds - waited).rounded(.up))) s")
            }
            return (1, "below the \(kW) kW of three phases")
        }
        belowSince = nil
        guard switchedPhases == 1 else { aboveSince = nil; return (3, nil) }
        let since = aboveSince ?? now
        aboveSince = since
        let waited = now.timeIntervalSince(since)
        guard waited >= s.upDelaySeconds else {
            return (nil, "enough for three phases: 3 phases in \(Int((s.upDelaySeconds - waited).rounded(.up))) s")
        }
        return (3, "enough for three phases")
    }
}
