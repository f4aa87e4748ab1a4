#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One value per phase (L1, L2, L3), e.g. currents in amperes or a limit triple.
///
/// - SeeAlso: seeds/004 §7.4 "EVSE Sub-Distribution Limit (L1/L2/L3) [A]".
public struct PhaseValues: Sendable, Codable, Equatable, Hashable {
    public var l1: Double
    public var l2: Double
    public var l3: Double

    public init(l1: Double, l2: Double, l3: Double) {
        self.l1 = l1; self.l2 = l2; self.l3 = l3
    }

    /// The same value on every phase.
    public init(all value: Double) { self.init(l1: value, l2: value, l3: value) }

    public static let zero = PhaseValues(all: 0)

    /// The values as an array [L1, L2, L3].
    public var array: [Double] { [l1, l2, l3] }
    /// Sum of the three phases.
    public var sum: Double { l1 + l2 + l3 }
    /// The largest of the three phases.
    public var maximum: Double { max(l1, l2, l3) }

    public subscript(phase: Int) -> Double {
        get { phase == 0 ? l1 : phase == 1 ? l2 : l3 }
        set { if phase == 0 { l1 = newValue } else if phase == 1 { l2 = newValue } else { l3 = newValue } }
    }
}

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
