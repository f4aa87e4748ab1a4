#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// A source that can limit the current a connector signals.
///
/// - SeeAlso: ../shared/DESIGN.md principle 6 "Explainable control"; seeds/004 §7.2.
public enum LimitSource: String, Sendable, Codable, CaseIterable {
    case hardware
    case installation
    case `operator`
    case singleFeedLine
    /// The energy manager's limit in Modbus register 1000 (0 pauses), seeds/000 MODBUS-REGISTERSATZ.
    case hems
    /// The Modbus safe current after the energy manager stopped communicating (registers 131/132).
    case modbusSafeCurrent
    /// The backend did not accept the transaction's idTag and StopTransactionOnInvalidId is false: energy stops,
    /// the transaction stays (OCPP 1.6 errata 3.17).
    case invalidIdTag
    /// The OCPP composite schedule of the connector's charging profiles (OCPP 1.6 §3.13).
    case chargingProfile
}

/// The current a connector may offer and the limit that binds it.
public struct CurrentLimit: Sendable, Codable, Equatable {
    public var amps: Double
    public var binding: LimitSource

    public init(amps: Double, binding: LimitSource) { self.amps = amps; self.binding = binding }
}

/// Combines the static current limits of the station into one value per connector.
///
/// - SeeAlso: seeds/004 §7.2 (Maximum current ≥ Installation current limit ≥ Operator current limit),
///   §7.3 (two charge points on a single feed line share its capacity).
public enum CurrentLimits {
    /// Limits for every connector. `demanding` are the connectors with a running transaction; on a single
    /// feed line they share its capacity equally, an idle connector claims nothing.
    public static func compute(_ settings: StationSettings, demanding: Set<Int>, external: [Int: CurrentLimit] = [:]) -> [CurrentLimit] {
        settings.connectors.enumerated().map { index, c in
            let n = index + 1
            var limit = CurrentLimit(amps: c.hardwareMaxCurrentAmps, binding: .hardware)
            func apply(_ amps: Double, _ source: LimitSource) {
                if amps < limit.amps { limit = CurrentLimit(amps: amps, binding: source) }
            }
            apply(c.installationCurrentLimitAmps, .installation)
            apply(c.operatorCurrentLimitAmps, .operator)
            if settings.singleFeedLine && settings.connectorCount > 1 {
                let sharers = max(1, demanding.contains(n) ? demanding.count : demanding.count + 1)
                apply((settings.feedLineCapacityAmps / Double(sharers)).rounded(.down), .singleFeedLine)
            }
            if let e = external[n] { apply(e.amps, e.binding) }
            return limit
        }
    }
}
