#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// A source that can limit the current a connector signals, in the order the chain lists them (on a tie the first
/// one is named as binding).
///
/// - SeeAlso: ../shared/DESIGN.md principle 6 "Explainable control"; seeds/004 §7.2.
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
    /// The OCPP composite schedule of the connector's charging profiles (OCPP 1.6 §3.13).
    case chargingProfile
    /// "Aktiviere Obere Strombegrenzung [A] bei Netzwerkausfall für SmartCharging" while the backend is unreachable.
    case smartChargingOffline
    /// The backend did not accept the transaction's idTag and StopTransactionOnInvalidId is false: energy stops,
    /// the transaction stays (OCPP 1.6 errata 3.17).
    case invalidIdTag
}

/// One input of the limit chain: a source and the current it allows per phase.
public struct LimitInput: Sendable, Codable, Equatable {
    public var source: LimitSource
    public var amps: Double
    public init(_ source: LimitSource, _ amps: Double) { self.source = source; self.amps = amps }
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
        let ordered = inputs.sorted { a, b in
            let ia = LimitSource.allCases.firstIndex(of: a.source) ?? 0, ib = LimitSource.allCases.firstIndex(of: b.source) ?? 0
            return ia < ib
        }
        guard let lowest = ordered.min(by: { $0.amps < $1.amps }) else { return CurrentLimit(amps: 0, binding: .hardware, paused: true) }
        let binding = ordered.first { $0.amps == lowest.amps } ?? lowest
        let amps = max(0, lowest.amps)
        if amps < minimumAmps {
            return CurrentLimit(amps: 0, binding: binding.source, paused: true, inputs: ordered)
        }
        return CurrentLimit(amps: amps, binding: binding.source, inputs: ordered)
    }

    /// The static inputs of every connector: hardware, installation and operator limits, and the single feed line.
    /// `demanding` are the connectors with a running transaction; on a single feed line they share its capacity
    /// equally, an idle connector claims nothing.
    public static func staticInputs(_ settings: StationSettings, demanding: Set<Int>) -> [[LimitInput]] {
        settings.connectors.enumerated().map { index, c in
            let n = index + 1
            var inputs = [LimitInput(.hardware, c.hardwareMaxCurrentAmps), LimitInput(.installation, c.installationCurrentLimitAmps),
                          LimitInput(.operator, c.operatorCurrentLimitAmps)]
            if settings.singleFeedLine && settings.connectorCount > 1 {
                let sharers = max(1, demanding.contains(n) ? demanding.count : demanding.count + 1)
                inputs.append(LimitInput(.singleFeedLine, (settings.feedLineCapacityAmps / Double(sharers)).rounded(.down)))
            }
            return inputs
        }
    }

    /// The static limit of every connector (what it may offer with no dynamic source active).
    public static func compute(_ settings: StationSettings, demanding: Set<Int>) -> [CurrentLimit] {
        staticInputs(settings, demanding: demanding).map { decide($0, minimumAmps: 0) }
    }
}
