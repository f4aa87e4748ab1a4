#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// A source that can limit the current a connector signals, in the order the chain lists them (on a tie the first
/// one is named as binding).
///
/// - SeeAlso: the design principle "explainable control" (every limit names its source); seeds/004 §7.2.
public enum LimitSource: String, Sendable, Codable, CaseIterable {
    case hardware
    case installation
    case `operator`
    case singleFeedLine
    /// The Maximum Current Scheduler's window for the time of day (seeds/004 DLM screen).
    case scheduler
    /// Load shedding by the utility through "Opto 1 In" (seeds/000 "Lastabwurf konfigurieren").
    case loadShedding
    /// The energy manager's limit in Modbus register 1000 (0 pauses), seeds/000 MODBUS-REGISTERSATZ.
    case hems
    /// The Modbus safe current after the energy manager stopped communicating (registers 131/132).
    case modbusSafeCurrent
    /// The dynamic load management master's allocation (seeds/004 §7.4–7.8), or the Disconnected Limit when the
    /// master is silent.
    case dlm
    /// The house connection as the external meter sees it, on a station without a DLM role: Main Distribution Limit
    /// − External Load Headroom − the measured non-EV load (External Load Fallback while the meter does not answer),
    /// divided among the station's connectors (seeds/000 "Externen Zähler einbinden").
    case externalMeter
    /// PV surplus charging (an energy manager's surplus signal).
    case pvSurplus
    /// SMA Sunny Home Manager via SEMP.
    case semp
    /// EEBUS (VDE-AR-E 2829-6 / the LPC use case).
    case eebus
    /// A switch between 1 and 3 phases is under way: 0 A until the contactors were switched and the pause passed
    /// (issue 25 item 3, ``PhaseSwitcher``).
    case phaseSwitch
    /// The OCPP composite schedule of the connector's charging profiles (OCPP 1.6 §3.13).
    case chargingProfile
    /// "Aktiviere Obere Strombegrenzung [A] bei Netzwerkausfall für SmartCharging" while the backend is unreachable.
    case smartChargingOffline
    /// The backend did not accept the transaction's idTag and StopTransactionOnInvalidId is false: energy stops,
    /// the transaction stays (OCPP 1.6 errata 3.17).
    case invalidIdTag
}

/// One input of the limit chain: a source and the current it allows.
///
/// The control pilot offers one current for all phases (IEC 61851-1 Annex A), so a source that limits the grid
/// phases separately (the single feed line, the DLM allocation) also lists its per-phase values in `gridPhaseAmps`
/// (L1, L2, L3 of the grid), and `amps` is the lowest of them on the grid phases the connector's vehicle uses.
public struct LimitInput: Sendable, Codable, Equatable {
    public var source: LimitSource
    public var amps: Double
    /// The source's limit on grid phases L1, L2, L3 (nil: the same on every phase).
    public var gridPhaseAmps: [Double]?

    public init(_ source: LimitSource, _ amps: Double) { self.source = source; self.amps = amps }

    /// A per-phase input: `amps` is the lowest value on `usedGridPhases` (indices 0 = L1 …).
    public init(_ source: LimitSource, gridPhaseAmps: [Double], usedGridPhases: Set<Int>) {
        self.source = source
        self.gridPhaseAmps = gridPhaseAmps
        self.amps = usedGridPhases.filter { gridPhaseAmps.indices.contains($0) }.map { gridPhaseAmps[$0] }.min() ?? gridPhaseAmps.min() ?? 0
    }
}

/// A limit fed into the chain by a component outside the station controller (the DLM link, PV surplus, SEMP,
/// EEBUS): per grid phase, valid until a time after which `fallbackAmps` applies (nil: the input is dropped) —
/// so a producer that falls silent leaves a safe value behind without having to act.
public struct ExternalLimit: Sendable, Equatable {
    public var source: LimitSource
    /// The limit on grid phases L1, L2, L3.
    public var gridPhaseAmps: [Double]
    public var validUntil: Date?
    public var fallbackAmps: Double?

    public init(_ source: LimitSource, gridPhaseAmps: [Double], validUntil: Date? = nil, fallbackAmps: Double? = nil) {
        self.source = source; self.gridPhaseAmps = gridPhaseAmps; self.validUntil = validUntil; self.fallbackAmps = fallbackAmps
    }

    public init(_ source: LimitSource, amps: Double, validUntil: Date? = nil, fallbackAmps: Double? = nil) {
        self.init(source, gridPhaseAmps: [amps, amps, amps], validUntil: validUntil, fallbackAmps: fallbackAmps)
    }

    /// The chain input at `now` for a connector whose vehicle uses `usedGridPhases`; nil once expired without fallback.
    public func input(at now: Date, usedGridPhases: Set<Int>) -> LimitInput? {
        if let validUntil, now >= validUntil {
            return fallbackAmps.map { LimitInput(source, $0) }
        }
        return LimitInput(source, gridPhaseAmps: gridPhaseAmps, usedGridPhases: usedGridPhases)
    }
}

/// The current a connector may offer, the limit that binds it and every input that was considered.
public struct CurrentLimit: Sendable, Codable, Equatable {
    /// 0 (pause) or at least the minimum current.
    public var amps: Double
    public var binding: LimitSource
    /// The chain's lowest input was below the minimum current: the connector pauses (SuspendedEVSE).
    public var paused: Bool
    public var inputs: [LimitInput]

    public init(amps: Double, binding: LimitSource, paused: Bool = false, inputs: [LimitInput] = []) {
        self.amps = amps; self.binding = binding; self.paused = paused; self.inputs = inputs
    }
}

/// The limit chain: every source's limit for a connector, combined into the one current to signal.
///
/// - The result never exceeds any input; below the minimum current (seeds/004 "Minimum Current Limit", 6 A by
///   default) the connector pauses with 0 A instead of signalling an illegal value (IEC 61851-1 Table A.7: 6 A is
///   the lowest PWM current).
/// - The binding source is the input with the lowest value (the first in ``LimitSource`` order on a tie).
/// - Deterministic: the same inputs give the same answer.
///
/// - SeeAlso: seeds/004 §7.2 (Maximum current ≥ Installation current limit ≥ Operator current limit),
///   §7.3 (two charge points on a single feed line share its capacity).
public enum CurrentLimits {
    /// Combines `inputs` (at least one) with the minimum current rule.
    public static func decide(_ inputs: [LimitInput], minimumAmps: Double) -> CurrentLimit {
        // On a tie the source listed first binds — except the allocations (DLM, external meter), which take the
        // connector's other limits as its maximum: when they give exactly that, the other limit is the reason.
        func rank(_ s: LimitSource) -> Int {
            (s == .dlm || s == .externalMeter ? LimitSource.allCases.count : 0) + (LimitSource.allCases.firstIndex(of: s) ?? 0)
        }
        let ordered = inputs.sorted { rank($0.source) < rank($1.source) }
        guard let lowest = ordered.min(by: { $0.amps < $1.amps }) else { return CurrentLimit(amps: 0, binding: .hardware, paused: true) }
        let binding = ordered.first { $0.amps == lowest.amps } ?? lowest
        let amps = max(0, lowest.amps)
        if amps < minimumAmps {
            return CurrentLimit(amps: 0, binding: binding.source, paused: true, inputs: ordered)
        }
        return CurrentLimit(amps: amps, binding: binding.source, inputs: ordered)
    }

    /// The static inputs of every connector: hardware, installation and operator limits, and the single feed line.
    ///
    /// Single feed line (seeds/004 §7.3): its capacity is per grid phase. Every connector with a running transaction
    /// claims a share on the grid phases it uses — the vehicle's phases (`usedPhases`, charge point phase indices
    /// 0 = L1 …; the connected phases when not known) mapped through the connector's phase rotation — and gets the
    /// smallest share among them. An idle connector is offered what it would get if it started now. So two
    /// single-phase vehicles on differently rotated connectors each get the full capacity; on the same grid phase
    /// they share it.
    public static func staticInputs(_ settings: StationSettings, demanding: Set<Int>, usedPhases: [Int: [Int]] = [:]) -> [[LimitInput]] {
        func gridPhases(_ n: Int) -> Set<Int> { usedGridPhases(settings, connector: n, usedPhases: usedPhases[n]) }
        return settings.connectors.enumerated().map { index, c in
            let n = index + 1
            var inputs = [LimitInput(.hardware, c.hardwareMaxCurrentAmps), LimitInput(.installation, c.installationCurrentLimitAmps),
                          LimitInput(.operator, c.operatorCurrentLimitAmps)]
            if settings.singleFeedLine && settings.connectorCount > 1 {
                let sharers = demanding.union([n]).filter { $0 <= settings.connectors.count }
                let shares = (0..<3).map { g in
                    let users = sharers.filter { gridPhases($0).contains(g) }.count
                    return (settings.feedLineCapacityAmps / Double(max(1, users))).rounded(.down)
                }
                inputs.append(LimitInput(.singleFeedLine, gridPhaseAmps: shares, usedGridPhases: gridPhases(n)))
            }
            return inputs
        }
    }

    /// The grid phases (0 = L1 …) connector `n`'s vehicle draws from: its charge point phases (`usedPhases`; the
    /// connected phases when not known) mapped through the connector's phase rotation (seeds/004 §7.6).
    public static func usedGridPhases(_ settings: StationSettings, connector n: Int, usedPhases: [Int]?) -> Set<Int> {
        let c = settings.connectors[n - 1]
        let local = usedPhases ?? (c.phasesConnected.phaseCount == 3 ? [0, 1, 2] : [0])
        let map = c.phaseRotation.gridPhaseIndices
        return Set(local.filter { (0..<3).contains($0) }.map { map[$0] })
    }

    /// The static limit of every connector (what it may offer with no dynamic source active).
    public static func compute(_ settings: StationSettings, demanding: Set<Int>) -> [CurrentLimit] {
        staticInputs(settings, demanding: demanding).map { decide($0, minimumAmps: 0) }
    }
}
