#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The state of a connector's contactors (relays).
///
/// - SeeAlso: seeds/000 MODBUS-REGISTERSATZ register 140 "Relays State".
public enum RelayState: String, Sendable, Codable, Equatable {
    case open
    /// Only the L1 contactor is closed (single-phase charging).
    case onePhase
    /// All three phase contactors are closed.
    case threePhase

    public var isClosed: Bool { self != .open }
}

/// How the station is connected to the grid.
///
/// - SeeAlso: seeds/004 §7.1 "Phases connected to the ChargePoint".
public enum PhasesConnected: String, Sendable, Codable, CaseIterable, Equatable {
    case singlePhase = "single"
    case singlePhaseIT = "singleIT"
    case threePhase = "three"

    /// Number of phases that can carry current.
    public var phaseCount: Int { self == .threePhase ? 3 : 1 }
}

/// Phase rotation of a charge point relative to the grid: which grid line feeds the charge point's
/// L1, L2, L3.
///
/// - SeeAlso: seeds/004 §7.8 Faserotatie ("RST (L1/L2/L3, Standard Phasenlage)").
public enum PhaseRotation: String, Sendable, Codable, CaseIterable, Equatable {
    case rst = "RST", rts = "RTS", srt = "SRT", str = "STR", trs = "TRS", tsr = "TSR"

    /// For each charge point phase (0 = L1 …), the grid phase index it is connected to.
    public var gridPhaseIndices: [Int] {
        rawValue.map { c in c == "R" ? 0 : c == "S" ? 1 : 2 }
    }

    /// Maps currents measured on the charge point's L1/L2/L3 onto the grid's L1/L2/L3.
    public func toGrid(_ local: PhaseValues) -> PhaseValues {
        var grid = PhaseValues.zero
        for (i, g) in gridPhaseIndices.enumerated() { grid[g] += local[i] }
        return grid
    }
}
