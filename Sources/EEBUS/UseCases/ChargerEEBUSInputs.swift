#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Parameters

/// One phase of an AC connection as SPINE names it (`ElectricalConnectionPhaseNameType` a, b, c; EEBUS SPINE TS
/// resource specification 1.3.0, ElectricalConnection): a = L1, b = L2, c = L3.
public enum EEBUSPhase: String, Sendable, CaseIterable, Codable, Comparable {
    case a, b, c

    /// 0 for L1, 1 for L2, 2 for L3 (the index of ``PhaseValues``).
    public var index: Int { self == .a ? 0 : self == .b ? 1 : 2 }

    public static func < (x: EEBUSPhase, y: EEBUSPhase) -> Bool { x.index < y.index }
}

/// An operating state as DeviceDiagnosis reports it (`DeviceDiagnosisOperatingStateType`; EEBUS UC TS EVSE
/// Commissioning and Configuration V1.0.1 scenario 2 "error state", EV Commissioning and Configuration V1.0.1
/// scenario 7 "sleep": standby).
public enum EEBUSOperatingState: Sendable, Equatable, Codable {
    case normalOperation
    case standby
    /// A failure with the text shown to the manager (`lastErrorCode`).
    case failure(error: String)

    var spineName: String {
        switch self {
        case .normalOperation: "normalOperation"
        case .standby: "standby"
        case .failure: "failure"
        }
    }
}

/// What the station tells the EEBUS application about one connector, every second or on change. The lead fills it
/// from the station's status snapshot.
public struct EEBUSConnectorStatus: Sendable, Equatable {
    /// The connector's number, 1-based: its EVSE is entity [n], its vehicle entity [n, 1].
    public var connector: Int
    /// A vehicle is plugged in (IEC 61851 state B, C or D): the EV entity exists only then (EEBUS UC TS EV
    /// Commissioning and Configuration V1.0.1 scenarios 1 and 8).
    public var pluggedIn: Bool
    /// The vehicle draws current (IEC 61851 state C or D with the contactor closed): `normalOperation` of the EV
    /// entity's DeviceDiagnosis, `standby` otherwise.
    public var charging: Bool
    /// The state of the charge point itself (EVSECC scenario 2).
    public var evseState: EEBUSOperatingState
    /// The state of the vehicle (EV DeviceDiagnosis).
    public var vehicleState: EEBUSOperatingState
    /// The vehicle is asleep (EVCC scenario 7), nil when unknown.
    public var vehicleAsleep: Bool?
    /// The phases the connector supplies, 1 or 3 of them.
    public var phases: [EEBUSPhase]
    /// The lowest current a charge may use (IEC 61851-1: 6 A).
    public var minimumCurrentA: Double
    /// The highest current the connector may offer now (cable, installation, operator limit).
    public var maximumCurrentA: Double
    public var currentA: PhaseValues
    public var powerW: PhaseValues
    public var totalPowerW: Double
    /// The energy charged in the present session.
    public var sessionEnergyWh: Double
    /// The EV communication controller's id (ISO 15118-2 EVCCID, a MAC address), nil when unknown (IEC 61851).
    public var evccid: String?
    /// `communicationsStandard` of EVCC scenario 2: `iec61851` for PWM only, later `iso15118-2ed1`.
    public var communicationsStandard: String

    public init(connector: Int, pluggedIn: Bool = false, charging: Bool = false,
                evseState: EEBUSOperatingState = .normalOperation, vehicleState: EEBUSOperatingState = .normalOperation,
                vehicleAsleep: Bool? = nil, phases: [EEBUSPhase] = [.a, .b, .c], minimumCurrentA: Double = 6,
                maximumCurrentA: Double = 16, currentA: PhaseValues = .zero, powerW: PhaseValues = .zero,
                totalPowerW: Double = 0, sessionEnergyWh: Double = 0, evccid: String? = nil,
                communicationsStandard: String = "iec61851") {
        self.connector = connector
        self.pluggedIn = pluggedIn
        self.charging = charging
        self.evseState = evseState
        self.vehicleState = vehicleState
        self.vehicleAsleep = vehicleAsleep
        self.phases = phases
        self.minimumCurrentA = minimumCurrentA
        self.maximumCurrentA = maximumCurrentA
        self.currentA = currentA
        self.powerW = powerW
        self.totalPowerW = totalPowerW
        self.sessionEnergyWh = sessionEnergyWh
        self.evccid = evccid
        self.communicationsStandard = communicationsStandard
    }

    /// The phases in order a, b, c, each once.
    var connectedPhases: [EEBUSPhase] { Set(phases).sorted() }
}

/// The station's manufacturer data (DeviceClassification `manufacturerData`: EEBUS UC TS EVSECC V1.0.1 scenario 1)
/// and its nominal maximum power.
public struct EEBUSStationInfo: Sendable, Equatable {
    public var brand: String
    public var model: String
    public var serialNumber: String
    public var softwareVersion: String
    public var vendor: String
    /// The station's nominal maximum consumption: LPC's `contractualConsumptionNominalMax` (EEBUS UC TS
    /// LimitationOfPowerConsumption V1.0.0 scenario 4).
    public var nominalMaximumPowerW: Double

    public init(brand: String, model: String, serialNumber: String, softwareVersion: String, vendor: String,
                nominalMaximumPowerW: Double) {
        self.brand = brand
        self.model = model
        self.serialNumber = serialNumber
        self.softwareVersion = softwareVersion
        self.vendor = vendor
        self.nominalMaximumPowerW = nominalMaximumPowerW
    }
}

/// The station's own EEBUS settings (seeds/000 §3 "EEBUS-Schnittstelle").
public struct EEBUSSettings: Sendable, Equatable {
    /// "Strom bei Verbindungsausfall [A]" (default 6): the current per connector while the energy guard's heartbeat
    /// is missing and it never wrote a failsafe power limit.
    public var fallbackCurrentA: Double
    /// "Zeit bis Verbindungsausfall [s]" (default 4): how long the energy guard's heartbeat may be missing before the
    /// failsafe applies.
    public var connectionTimeoutSeconds: Double

    public init(fallbackCurrentA: Double = 6, connectionTimeoutSeconds: Double = 4) {
        self.fallbackCurrentA = fallbackCurrentA
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
    }
}
