#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Parameters

private typealias K = StationParameters

/// The limits of the supply the station watches with its meters (issue 22 item 6), and whether a lost backend shows as
/// an error: UnderVoltage and OverVoltage come from the connector meters' phase voltages against Power Source
/// Voltage, with EN 50160's ±10 % as the defaults (EN 50160:2010 §4.2.2: supply voltage variations within Un ± 10 %)
/// and a hold time so that a dip or a spike does not stop a session.
extension StationParameters {
    public static let underVoltageLimit = "UnderVoltageLimit"
    public static let overVoltageLimit = "OverVoltageLimit"
    public static let voltageErrorHoldTime = "VoltageErrorHoldTime"
    public static let displayBackendDisconnectAsError = "DisplayBackendDisconnectAsError"

    static let supplyProtectionDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .underVoltageLimit, label: "Undervoltage limit [%]", type: .integer(50...99, unit: "%"), defaultValue: .integer(90),
            role: .installer, menu: .installation, section: "Installation",
            help: "A wired phase measured by a connector's meter below this share of Power Source Voltage for the hold time raises UnderVoltage (a missing phase too) and stops charging; 90 % is EN 50160's lower limit.",
            seeAlso: "seeds/002 §3 UnderVoltage; EN 50160 §4.2.2"),
        ParameterDefinition(
            key: .overVoltageLimit, label: "Overvoltage limit [%]", type: .integer(101...150, unit: "%"), defaultValue: .integer(110),
            role: .installer, menu: .installation, section: "Installation",
            help: "A wired phase above this share of Power Source Voltage for the hold time raises OverVoltage and stops charging; 110 % is EN 50160's upper limit.",
            seeAlso: "OCPP 1.6 §7.6 OverVoltage; EN 50160 §4.2.2"),
        ParameterDefinition(
            key: .voltageErrorHoldTime, label: "Voltage error hold time [s]", type: .integer(1...600, unit: "s"), defaultValue: .integer(10),
            role: .installer, menu: .installation, section: "Installation",
            help: "How long a voltage must stay outside the limits before the error is raised, and inside them again before it is resolved.",
            seeAlso: "docs/installer.md"),
        ParameterDefinition(
            key: .displayBackendDisconnectAsError, label: "Display backend disconnect as error", type: .bool, defaultValue: .bool(false),
            role: .operator, menu: .backend, section: "More settings",
            help: "On: when the connection to the backend is lost for longer than the Backend connection timeout, the station raises \"Backend disconnected\" and its LEDs show the error; charging goes on.",
            seeAlso: "seeds/004 §4 Display backend disconnect as error"),
    ]
}

extension ParameterKey {
    public static var underVoltageLimit: ParameterKey<Int> { .init(K.underVoltageLimit, .integer) }
    public static var overVoltageLimit: ParameterKey<Int> { .init(K.overVoltageLimit, .integer) }
    public static var voltageErrorHoldTime: ParameterKey<Int> { .init(K.voltageErrorHoldTime, .integer) }
    public static var displayBackendDisconnectAsError: ParameterKey<Bool> { .init(K.displayBackendDisconnectAsError, .bool) }
}

/// The supply limits as the controller applies them.
public struct SupplyProtectionSettings: Sendable, Equatable {
    public var underVoltageV: Double
    public var overVoltageV: Double
    public var holdSeconds: Double
    public var displayBackendDisconnect: Bool
    /// How long the backend may be away before "Backend disconnected" (Backend connection timeout).
    public var backendGraceSeconds: Double

    public init(_ p: ParameterSet) {
        let nominal = p[.powerSourceVoltage]
        underVoltageV = nominal * Double(p[.underVoltageLimit]) / 100
        overVoltageV = nominal * Double(p[.overVoltageLimit]) / 100
        holdSeconds = Double(p[.voltageErrorHoldTime])
        displayBackendDisconnect = p[.displayBackendDisconnectAsError]
        backendGraceSeconds = Double(p[.backendConnectionTimeout])
    }
}
