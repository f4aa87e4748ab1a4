#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LoadManagement
import Parameters

private typealias K = StationParameters

/// Automatic 1-phase/3-phase switching (menu Load Management, section PV surplus; issue 25 item 3): per connector On or
/// Off, and the delay, the pause and the per-hour limit of the switch. It acts only on a connector wired for three
/// phases whose board has a phase-switching contactor. Off by default: switching interrupts the vehicle, and the
/// operator decides that it is worth it. Every one takes effect at once.
extension StationParameters {
    public static let phaseSwitching = "PhaseSwitching"
    public static let phaseSwitchDelay = "PhaseSwitchDelay"
    public static let phaseSwitchPause = "PhaseSwitchPause"
    public static let phaseSwitchesPerHour = "PhaseSwitchesPerHour"

    static let phaseSwitchDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .phaseSwitching, label: "Automatic phase switching", type: .bool, defaultValue: .bool(false),
            role: .operator, menu: .loadManagement, section: "PV surplus",
            help: "Min+PV and PV: a 3-phase connector whose board has a phase-switching contactor charges on 1 phase while the surplus is below what three phases need at the minimum current (3 × Minimum Current Limit × voltage, 4.1 kW at 6 A and 230 V), and on three again once it is enough. The switch stops the current, opens the contactors, switches, pauses and resumes.",
            seeAlso: "docs/operator.md PV surplus charging"),
        ParameterDefinition(
            key: .phaseSwitchDelay, label: "Phase switch delay [s]", type: .integer(10...3600, unit: "s"), defaultValue: .integer(60),
            role: .operator, menu: .loadManagement, section: "PV surplus",
            help: "How long the surplus must stay below (or above) what three phases need before the connector switches to 1 phase (or back to 3). Keep it shorter than the PV stop delay so that a session goes to 1 phase before it would pause.",
            seeAlso: "docs/operator.md PV surplus charging"),
        ParameterDefinition(
            key: .phaseSwitchPause, label: "Phase switch pause [s]", type: .integer(2...120, unit: "s"), defaultValue: .integer(5),
            role: .operator, menu: .loadManagement, section: "PV surplus",
            help: "How long the contactors stay open after the phases were switched before the current returns (some vehicles need a few seconds to restart their charger).",
            seeAlso: "docs/operator.md PV surplus charging"),
        ParameterDefinition(
            key: .phaseSwitchesPerHour, label: "Phase switches per hour", type: .integer(1...60, unit: nil), defaultValue: .integer(10),
            role: .operator, menu: .loadManagement, section: "PV surplus",
            help: "At most this many phase switches start in any hour; a switch held back waits until an older one is an hour old.",
            seeAlso: "docs/operator.md PV surplus charging"),
    ]
}

extension ParameterKey {
    public static var phaseSwitchDelay: ParameterKey<Int> { .init(K.phaseSwitchDelay, .integer) }
    public static var phaseSwitchPause: ParameterKey<Int> { .init(K.phaseSwitchPause, .integer) }
    public static var phaseSwitchesPerHour: ParameterKey<Int> { .init(K.phaseSwitchesPerHour, .integer) }
}

extension ConnectorParameterKey {
    public static var phaseSwitching: ConnectorParameterKey<Bool> { .init(K.phaseSwitching, .bool) }
}

extension PhaseSwitchSettings {
    /// The phase switch's settings from the parameters: the delay both ways, the pause, the per-hour limit; the PV start
    /// and stop thresholds widen the band between the two directions; the minimum current and the voltage are the station's.
    public init(_ p: ParameterSet) {
        self.init(pauseSeconds: Double(p[.phaseSwitchPause]), maximumSwitchesPerHour: p[.phaseSwitchesPerHour],
                  downDelaySeconds: Double(p[.phaseSwitchDelay]), upDelaySeconds: Double(p[.phaseSwitchDelay]),
                  downThresholdW: Double(p[.pvStopThreshold]), upThresholdW: Double(p[.pvStartThreshold]),
                  minimumAmps: p[.minimumCurrentLimit], voltageV: p[.powerSourceVoltage])
    }
}
