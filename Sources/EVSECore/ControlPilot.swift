#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The vehicle state the control pilot circuit reports.
///
/// - SeeAlso: IEC 61851-1:2017 Annex A, table A.3; seeds/000 MODBUS-REGISTERSATZ register 122
///   ("A=1, B=2, C=3, D=4, E=5") and 123 (A = 0x0A, B = 0x0B, …).
public enum PilotState: String, Sendable, Codable, CaseIterable, Equatable {
    /// +12 V: no vehicle connected.
    case a = "A"
    /// +9 V: vehicle connected, not requesting energy.
    case b = "B"
    /// +6 V: vehicle connected and requesting energy.
    case c = "C"
    /// +3 V: vehicle requesting energy and ventilation.
    case d = "D"
    /// 0 V: pilot short circuit / vehicle error.
    case e = "E"
    /// −12 V: EVSE not available (only when the EVSE itself drives −12 V).
    case f = "F"

    /// A vehicle is electrically connected (B, C or D).
    public var vehicleConnected: Bool { self == .b || self == .c || self == .d }
    /// The vehicle asks for energy (C, or D with ventilation).
    public var requestsEnergy: Bool { self == .c || self == .d }
    /// Numeric code of Modbus register 122 (A=1 … E=5, F=6).
    public var modbusCode: UInt16 {
        switch self { case .a: 1; case .b: 2; case .c: 3; case .d: 4; case .e: 5; case .f: 6 }
    }
    /// Hex-letter code of Modbus register 123 (A = 0x0A … F = 0x0F).
    public var modbusHexCode: UInt16 { modbusCode + 9 }
}

/// What the EVSE puts on the control pilot line.
///
/// - SeeAlso: IEC 61851-1:2017 Annex A.2 (duty cycle ↔ current), seeds/004 §7.3 ISO 15118 modes (5 % duty).
public enum PilotSignal: Sendable, Codable, Equatable {
    /// Constant +12 V (oscillator off): the vehicle may not charge (state B1/C1).
    case off
    /// PWM offering the given current in amperes (6 A … 80 A).
    case pwm(amps: Double)
    /// 5 % duty cycle: digital (high-level, ISO 15118) communication; `amps` is the maximum current the
    /// EVSE communicates digitally to the vehicle.
    case highLevelCommunication(amps: Double)
    /// Constant −12 V: state F, EVSE not available (used while faulted).
    case stateF

    /// Duty cycle in percent as generated on the pilot line (100 = constant +12 V, 0 = −12 V).
    public var dutyPercent: Double {
        switch self {
        case .off: 100
        case .stateF: 0
        case .highLevelCommunication: 5
        case .pwm(let amps): PWM.dutyPercent(forAmps: amps)
        }
    }

    /// The current the vehicle may draw according to the signal (PWM, or the digitally communicated
    /// limit with HLC), in amperes; 0 when the signal offers nothing.
    public var signaledAmps: Double {
        switch self {
        case .pwm(let amps), .highLevelCommunication(let amps): amps
        case .off, .stateF: 0
        }
    }

    /// Whether the signal requires ISO 15118 communication (5 % duty).
    public var requiresHighLevelCommunication: Bool {
        if case .highLevelCommunication = self { return true }
        return false
    }
}

/// Conversion between offered current and PWM duty cycle.
///
/// - SeeAlso: IEC 61851-1:2017 table A.8: 6 A ≤ I ≤ 51 A → duty = I / 0.6 %;
///   51 A < I ≤ 80 A → duty = I / 2.5 + 64 %; 96–97 % → 80 A; duty 5 % = HLC; below 8 % or above 97 % no charging.
public enum PWM {
    /// The lowest current an AC EVSE may offer with PWM, in amperes.
    public static let minimumAmps: Double = 6
    /// The highest current PWM can express, in amperes.
    public static let maximumAmps: Double = 80

    /// Duty cycle (percent) that offers `amps`, clamped to the 6–80 A range the standard allows.
    ///
    /// Between 51 A and 52.5 A the two formulas of the standard overlap (51.5 A would give 84.6 %, which a
    /// vehicle reads as 50.8 A); there the duty cycle stays at 85 % (51 A) so the vehicle never reads more
    /// than offered.
    public static func dutyPercent(forAmps amps: Double) -> Double {
        let a = min(max(amps, minimumAmps), maximumAmps)
        if a <= 51 { return a / 0.6 }
        if a <= 52.5 { return 85 }
        return a / 2.5 + 64
    }

    /// The current a vehicle reads from a duty cycle, or `nil` when the duty cycle does not allow
    /// charging (below 8 %, above 97 %, or the 5 % HLC signal).
    public static func amps(forDutyPercent duty: Double) -> Double? {
        switch duty {
        case 8..<10: return 6
        case 10...85: return duty * 0.6
        case 85...96: return (duty - 64) * 2.5
        case 96...97: return 80
        default: return nil
        }
    }
}
