#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import LoadManagement
import Parameters

private typealias K = StationParameters

extension ChargeMode: ParameterChoice {
    /// The codes of Modbus register 2000 CHARGEKIT_CHARGE_MODE: 0 Fast, 1 Min+PV, 2 PV.
    static let modbusOrder: [ChargeMode] = [.fast, .minPV, .pv]
}

/// PV surplus charging from the grid meter (menu Load Management, section PV surplus; issue 25 item 2): the charge mode
/// per connector, and the thresholds, delays and step that keep clouds from switching the vehicle. The surplus is read
/// from the external grid meter (External Meter Support, seeds/000 "Externen Zähler einbinden"); without it PV mode
/// pauses and Min+PV charges at the minimum current. Every one takes effect at once.
extension StationParameters {
    public static let chargeMode = "ChargeMode"
    public static let pvStartThreshold = "PVStartThreshold"
    public static let pvStopThreshold = "PVStopThreshold"
    public static let pvStartDelay = "PVStartDelay"
    public static let pvStopDelay = "PVStopDelay"
    public static let pvMinimumChargingTime = "PVMinimumChargingTime"
    public static let pvCurrentStep = "PVCurrentStep"

    static let surplusDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .chargeMode, label: "Charge mode",
            type: .choice([ChargeMode.fast: "Fast (as fast as the other limits allow)",
                           .minPV: "Min+PV (minimum current always, more from PV surplus)",
                           .pv: "PV (only PV surplus; pauses without it)"]),
            defaultValue: .choice(ChargeMode.fast), role: .operator, menu: .loadManagement, section: "PV surplus",
            help: "How this connector's sessions use solar power. Min+PV and PV read the surplus from the external grid meter (External Meter Support): what the grid meter exports plus what the connector draws itself.",
            seeAlso: "seeds/000 PV-gesteuertes Laden; docs/operator.md PV surplus charging"),
        ParameterDefinition(
            key: .pvStartThreshold, label: "PV start threshold [W]", type: .integer(0...20000, unit: "W"), defaultValue: .integer(0),
            role: .operator, menu: .loadManagement, section: "PV surplus",
            help: "PV mode: surplus needed above the minimum charging power (Minimum Current Limit × voltage × phases) before the start delay runs.",
            seeAlso: "docs/operator.md PV surplus charging"),
        ParameterDefinition(
            key: .pvStopThreshold, label: "PV stop threshold [W]", type: .integer(0...20000, unit: "W"), defaultValue: .integer(0),
            role: .operator, menu: .loadManagement, section: "PV surplus",
            help: "PV mode: how far the surplus may fall below the minimum charging power (drawing the rest from the grid) before the stop delay runs.",
            seeAlso: "docs/operator.md PV surplus charging"),
        ParameterDefinition(
            key: .pvStartDelay, label: "PV start delay [s]", type: .integer(0...3600, unit: "s"), defaultValue: .integer(30),
            role: .operator, menu: .loadManagement, section: "PV surplus",
            help: "PV mode: how long the surplus must be enough before a paused session starts.",
            seeAlso: "docs/operator.md PV surplus charging"),
        ParameterDefinition(
            key: .pvStopDelay, label: "PV stop delay [s]", type: .integer(0...3600, unit: "s"), defaultValue: .integer(180),
            role: .operator, menu: .loadManagement, section: "PV surplus",
            help: "PV mode: how long the surplus must be too low before a charging session pauses; meanwhile it charges at the minimum current.",
            seeAlso: "docs/operator.md PV surplus charging"),
        ParameterDefinition(
            key: .pvMinimumChargingTime, label: "PV minimum charging time [s]", type: .integer(0...7200, unit: "s"), defaultValue: .integer(300),
            role: .operator, menu: .loadManagement, section: "PV surplus",
            help: "PV mode: once started, a session charges at least this long (at the minimum current if the surplus is too low), so that clouds do not switch the vehicle on and off.",
            seeAlso: "docs/operator.md PV surplus charging"),
        ParameterDefinition(
            key: .pvCurrentStep, label: "PV current step [A]", type: .integer(0...5, unit: "A"), defaultValue: .integer(1),
            role: .operator, menu: .loadManagement, section: "PV surplus",
            help: "Min+PV and PV: a new current is signalled only when the surplus moves it by at least this much (a vehicle takes seconds to follow).",
            seeAlso: "docs/operator.md PV surplus charging"),
    ]
}

extension ParameterKey {
    public static var pvStartThreshold: ParameterKey<Int> { .init(K.pvStartThreshold, .integer) }
    public static var pvStopThreshold: ParameterKey<Int> { .init(K.pvStopThreshold, .integer) }
    public static var pvStartDelay: ParameterKey<Int> { .init(K.pvStartDelay, .integer) }
    public static var pvStopDelay: ParameterKey<Int> { .init(K.pvStopDelay, .integer) }
    public static var pvMinimumChargingTime: ParameterKey<Int> { .init(K.pvMinimumChargingTime, .integer) }
    public static var pvCurrentStep: ParameterKey<Int> { .init(K.pvCurrentStep, .integer) }
}

extension ConnectorParameterKey {
    public static var chargeMode: ConnectorParameterKey<ChargeMode> { .init(K.chargeMode, .choice) }
}

extension SurplusSettings {
    /// The surplus controller's settings from the parameters (the minimum current and the voltage are the station's).
    public init(_ p: ParameterSet) {
        self.init(startThresholdW: Double(p[.pvStartThreshold]), stopThresholdW: Double(p[.pvStopThreshold]),
                  startDelaySeconds: Double(p[.pvStartDelay]), stopDelaySeconds: Double(p[.pvStopDelay]),
                  minimumChargingSeconds: Double(p[.pvMinimumChargingTime]), currentStepAmps: Double(p[.pvCurrentStep]),
                  minimumAmps: p[.minimumCurrentLimit], voltageV: p[.powerSourceVoltage])
    }
}
