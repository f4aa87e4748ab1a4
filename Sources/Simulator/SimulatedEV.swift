#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// The description of a simulated vehicle: its on-board charger and battery.
public struct EVSpec: Sendable, Codable, Equatable {
    /// Phases the on-board charger uses (1, 2 or 3).
    public var phases: Int
    /// Maximum current per phase the on-board charger draws, in A.
    public var maxCurrentAmps: Double
    /// Usable battery capacity in Wh.
    public var batteryCapacityWh: Double
    /// State of charge at plug-in, in percent.
    public var stateOfChargePercent: Double
    /// State of charge at which the vehicle stops charging (SuspendedEV), in percent.
    public var targetStateOfChargePercent: Double
    /// Seconds the vehicle needs to follow a new signaled current or pilot signal (IEC 61851-1 allows up to 5 s).
    public var reactionDelaySeconds: Double
    /// Whether the vehicle requests ventilation (state D instead of C).
    public var requiresVentilation: Bool
    /// ISO 15118 EVCCID (the vehicle's MAC address), if the vehicle communicates one.
    public var evccid: String?
    /// The vehicle falls asleep after this long without offered current and then needs a wake-up (nil: never).
    public var sleepsAfterSeconds: Double?
    /// The vehicle's ISO 15118 side is external (a real EVCC on the PLC interface): it asks for energy only after its
    /// session's PowerDeliveryReq Start (``VehicleSessionSignal``), or by the PWM after the link failed. Optional so
    /// that a stored state of an older version decodes.
    public var externalHLC: Bool?

    public init(phases: Int, maxCurrentAmps: Double, batteryCapacityWh: Double = 60_000, stateOfChargePercent: Double = 20,
                targetStateOfChargePercent: Double = 100, reactionDelaySeconds: Double = 2, requiresVentilation: Bool = false,
                evccid: String? = nil, sleepsAfterSeconds: Double? = nil, externalHLC: Bool? = nil) {
        self.phases = phases; self.maxCurrentAmps = maxCurrentAmps; self.batteryCapacityWh = batteryCapacityWh
        self.stateOfChargePercent = stateOfChargePercent; self.targetStateOfChargePercent = targetStateOfChargePercent
        self.reactionDelaySeconds = reactionDelaySeconds; self.requiresVentilation = requiresVentilation; self.evccid = evccid
        self.sleepsAfterSeconds = sleepsAfterSeconds; self.externalHLC = externalHLC
    }

    /// Named profiles for `chargekit sim plug --ev NAME`: `<phases>p-<amps>a`, e.g. `3p-16a` (11 kW),
    /// `3p-32a` (22 kW), `1p-16a` (3.7 kW), `1p-32a` (7.4 kW), `2p-16a`.
    public static func profile(_ name: String) -> EVSpec? {
        let parts = name.lowercased().split(separator: "-")
        guard parts.count == 2, parts[0].hasSuffix("p"), parts[1].hasSuffix("a"),
              let phases = Int(parts[0].dropLast()), (1...3).contains(phases),
              let amps = Double(parts[1].dropLast()), (6...80).contains(amps) else { return nil }
        return EVSpec(phases: phases, maxCurrentAmps: amps)
    }

    /// Checks the values and names the first that is out of range.
    public func validate() throws(SimulatorError) {
        guard (1...3).contains(phases) else { throw .invalid("phases must be 1, 2 or 3 (got \(phases))") }
        guard (1...80).contains(maxCurrentAmps) else { throw .invalid("maxCurrentAmps must be 1 to 80 A (got \(maxCurrentAmps))") }
        guard (1_000...300_000).contains(batteryCapacityWh) else {
            throw .invalid("batteryCapacityWh must be 1000 to 300000 Wh (got \(batteryCapacityWh))")
        }
        guard (0...100).contains(stateOfChargePercent) else { throw .invalid("stateOfChargePercent must be 0 to 100 (got \(stateOfChargePercent))") }
        guard (1...100).contains(targetStateOfChargePercent) else {
            throw .invalid("targetStateOfChargePercent must be 1 to 100 (got \(targetStateOfChargePercent))")
        }
        guard (0...5).contains(reactionDelaySeconds) else { throw .invalid("reactionDelaySeconds must be 0 to 5 s (got \(reactionDelaySeconds))") }
        if let evccid, externalHLC == true {
            throw .invalid("evccid: a vehicle with an external ISO 15118 side (hlc external) sends its own EVCCID (got \(evccid))")
        }
        if let evccid {
            let hex = String(evccid.filter { $0 != ":" })
            guard hex.count == 12, hex.allSatisfy(\.isHexDigit) else { throw .invalid("evccid must be a MAC address like 00:1A:2B:3C:4D:5E (got \(evccid))") }
        }
    }
}

/// A simulated vehicle connected to a connector: pilot state, battery, and the current it draws.
public struct SimulatedEV: Sendable, Codable, Equatable {
    public var spec: EVSpec
    /// Energy in the battery, in Wh.
    public var batteryWh: Double
    /// The pilot state the vehicle presents (B, C or D).
    public var pilot: PilotState
    /// The pilot state the vehicle is switching to, and when it gets there.
    var pendingPilot: PilotState?
    var pendingPilotAt: Date?
    /// The signaled current the vehicle currently obeys (it follows changes after the reaction delay).
    var obeyedAmps: Double = 0
    var signalSeenAmps: Double = 0
    var signalChangedAt: Date?
    /// Since when no current has been offered (for vehicles that fall asleep).
    var unpoweredSince: Date?
    /// The vehicle sleeps: it ignores PWM until the pilot wakes it (state F). Optional so that a stored state of an
    /// older version still decodes.
    var sleeping: Bool?
    public var asleep: Bool { sleeping ?? false }
    /// The external ISO 15118 session's state (``EVSpec/externalHLC``): PowerDelivery Start received and not stopped;
    /// the link failed on this plug-in (basic charging by the PWM).
    var sessionCharging: Bool?
    var sessionLinkFailed: Bool?

    mutating func session(_ signal: VehicleSessionSignal) {
        switch signal {
        case .powerDeliveryStart: sessionCharging = true
        case .powerDeliveryStop: sessionCharging = false
        case .linkFailed: sessionLinkFailed = true; sessionCharging = false
        }
    }

    public init(spec: EVSpec) {
        self.spec = spec
        self.batteryWh = spec.batteryCapacityWh * spec.stateOfChargePercent / 100
        self.pilot = .b
    }

    /// State of charge in percent.
    public var stateOfChargePercent: Double { min(100, batteryWh / spec.batteryCapacityWh * 100) }
    /// The vehicle is charged to its target.
    public var isFull: Bool { stateOfChargePercent >= spec.targetStateOfChargePercent - 1e-9 }

    /// Current per phase the battery management accepts: full current up to 80 % SoC, then tapering
    /// linearly to a tenth at 100 %.
    public var acceptedAmps: Double {
        let soc = stateOfChargePercent
        guard soc > 80 else { return spec.maxCurrentAmps }
        return max(spec.maxCurrentAmps * 0.1, spec.maxCurrentAmps * (100 - soc) / 20)
    }

    /// Advances the vehicle's reaction to the EVSE's pilot signal.
    mutating func react(to signal: PilotSignal, now: Date) {
        let amps = signal.signaledAmps
        if signal == .stateF { sleeping = false; unpoweredSince = nil }
        if let after = spec.sleepsAfterSeconds, !isFull {
            if amps < PWM.minimumAmps && signal != .stateF {
                if unpoweredSince == nil { unpoweredSince = now }
                if let since = unpoweredSince, now.timeIntervalSince(since) >= after { sleeping = true }
            } else {
                unpoweredSince = nil
            }
        }
        if amps != signalSeenAmps {
            signalSeenAmps = amps
            signalChangedAt = now
        }
        if let at = signalChangedAt, now.timeIntervalSince(at) >= spec.reactionDelaySeconds {
            obeyedAmps = signalSeenAmps
            signalChangedAt = nil
        }
        // Under the 5 % signal only a vehicle that speaks ISO 15118 (has an EVCCID) may charge. A vehicle whose ISO
        // 15118 side is external waits for its session's PowerDelivery Start, unless that link failed.
        let allowed: Bool
        if spec.externalHLC == true && sessionLinkFailed != true {
            allowed = sessionCharging == true
        } else {
            allowed = !signal.requiresHighLevelCommunication || spec.evccid != nil
        }
        let wantsEnergy = !isFull && amps >= PWM.minimumAmps && allowed && !asleep
        let desired: PilotState = wantsEnergy ? (spec.requiresVentilation ? .d : .c) : .b
        if desired == pilot {
            pendingPilot = nil; pendingPilotAt = nil
        } else if pendingPilot != desired {
            pendingPilot = desired
            pendingPilotAt = now.addingTimeInterval(spec.reactionDelaySeconds)
        }
        if let p = pendingPilot, let at = pendingPilotAt, now >= at {
            pilot = p
            pendingPilot = nil; pendingPilotAt = nil
        }
    }
}

/// Errors of simulator commands.
public enum SimulatorError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A value is out of range.
    case invalid(String)
    /// The command does not fit the simulator's state (e.g. unplugging an empty connector).
    case conflict(String)
    /// No such connector.
    case unknownConnector(Int, count: Int)

    public var description: String {
        switch self {
        case .invalid(let m), .conflict(let m): m
        case .unknownConnector(let n, let count): "connector \(n) does not exist; this station has \(count) connector(s)"
        }
    }
}
