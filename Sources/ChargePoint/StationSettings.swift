#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CivilDate
import Authorization
import EVSECore
import LoadManagement
import SEMP
import ModbusTCP
import Parameters
import StationModbus

/// A Modbus TCP meter to read.
public struct MeterEndpoint: Sendable, Equatable {
    public var model: MeterModel
    public var host: String
    public var port: Int
    public var unitID: Int
    public var layout: MeterLayout
}

/// The Modbus TCP server settings.
public struct ModbusSettings: Sendable, Equatable {
    public var enabled: Bool
    public var basePort: Int
    public var allowStartStop: Bool
    public var allowUIDDisclose: Bool
    public var safeCurrentAmps: Double
    public var commTimeoutSeconds: Double
    /// Connections each port holds at most (``StationParameters/modbusMaxConnections``).
    public var maxConnections: Int
    /// A connection without a complete request for this long is closed (``StationParameters/modbusIdleTimeout``).
    public var idleTimeout: Duration
}

/// The typed view of the parameters the station controller uses.
public struct StationSettings: Sendable, Equatable {
    public struct ConnectorSettings: Sendable, Equatable {
        public var hardwareMaxCurrentAmps: Double
        public var installationCurrentLimitAmps: Double
        public var operatorCurrentLimitAmps: Double
        public var phasesConnected: PhasesConnected
        /// A socket with a locking actuator (false: a fixed cable).
        public var hasLockActuator: Bool
        public var phaseRotation: PhaseRotation
        /// How the connector's sessions use PV surplus (``SurplusController``).
        public var chargeMode: ChargeMode = .fast
        /// Automatic 1-phase/3-phase switching with the board's phase contactor (``PhaseSwitcher``).
        public var phaseSwitching = false
    }

    public var chargeBoxIdentity: String
    public var serialNumber: String
    public var connectorCount: Int
    public var powerSourceVoltageV: Double
    public var singleFeedLine: Bool
    public var feedLineCapacityAmps: Double
    public var vehicleConnectionTimeout: Duration
    public var lockActuatorOnlyIfAuthorized: Bool
    public var restartTransactionAfterPowerLoss: Bool
    /// Authorization → HLC 15118: the ISO 15118 mode, Autocharge and its prefix.
    public var hlc = HLCSettings()
    public var authorization: AuthorizationSettings
    public var sendAuthorizeForRemoteStart: Bool
    public var uidDisclose: Bool
    /// Meter samples older than this are deleted (``RetentionPolicy``).
    public var meterSampleRetentionDays: Int
    public var modbus: ModbusSettings
    /// The grid (second) meter, when External Meter Support is On.
    public var gridMeter: MeterEndpoint?
    /// PV surplus charging's thresholds, delays and step.
    public var surplus = SurplusSettings()
    /// The SMA interface (SEMP for the Sunny Home Manager).
    public var semp = SEMPSettings()
    /// The EEBUS interface (SHIP and SPINE for energy managers and grid control boxes).
    public var eebus = EEBUSInterfaceSettings()
    /// Where the Modbus TCP server, the SEMP interface and the DLM link bind (issue 23 item 7).
    public var listeners: ListenerSettings
    /// Automatic phase switching's delay, pause and per-hour limit.
    public var phaseSwitching = PhaseSwitchSettings()
    /// "Require signed meter values" (issue 28 item 6): charge only with a meter that signs its readings.
    public var requireSignedMeterValues = false
    /// `SampledDataSignReadings` (the OCA's signed meter values whitepaper): MeterValues of a transaction also carry a
    /// signed reading of the meter.
    public var signSampledReadings = false
    /// Modbus charge meters per connector (index 0 = connector 1); nil = the controller's own meter.
    public var chargeMeters: [MeterEndpoint?]
    public var reservations: ReservationSettings
    /// seeds/004 "Minimum Current Limit [A]": below it a connector pauses.
    public var minimumCurrentAmps: Double
    /// Load shedding through "Opto 1 In": the limit while it is signalled (nil: off), and whether a closed contact
    /// (input on) signals it.
    public var loadSheddingAmps: Double?
    public var loadSheddingActiveHigh: Bool
    /// The upper limit while the backend is unreachable (nil: off).
    public var offlineLimitAmps: Double?
    /// The Maximum Current Scheduler's windows (empty: off), in local time of `timeZone`.
    public var currentSchedule: [TimeWindowLimit]
    /// The site's time zone (parameter Timezone, seeds/002 §1.6): what local times such as the scheduler's windows mean.
    /// UTC when the stored name is no zone this system knows.
    public var timeZone: TimeZoneRules
    /// seeds/004 "Allow EV Wakeup".
    public var allowEVWakeup: Bool
    /// Dynamic load management between stations (seeds/004 §7.4–7.8).
    public var dlm: DLMSettings
    public var meterPollInterval: Duration
    public var meterFailedPolls: Int
    /// The supply's voltage limits and the backend-disconnect display (issue 22 item 6).
    public var supplyProtection: SupplyProtectionSettings
    /// Settings per connector, index 0 = connector 1.
    public var connectors: [ConnectorSettings]

    /// The identity a Chargebox ID template gives for `serial` ({serial}, {serial:N} = its last N characters),
    /// or nil for an empty template (seeds/002 §1.5 "Chargebox ID (Template)").
    public static func identity(template: String, serial: String) -> String? {
        guard !template.isEmpty else { return nil }
        var out = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { out += rest[open...]; rest = ""; break }
            let field = rest[rest.index(after: open)..<close]
            if field == "serial" {
                out += serial
            } else if field.hasPrefix("serial:"), let n = Int(field.dropFirst(7)), n > 0 {
                out += serial.suffix(n)
            } else {
                out += rest[open...close]
            }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        return String(out.prefix(48))
    }

    /// Reads the settings from the parameters through their typed keys (StationParameterKeys.swift).
    public init(_ p: ParameterSet) {
        serialNumber = p[.chargeBoxSerialNumber]
        chargeBoxIdentity = Self.identity(template: p[.chargeBoxIdentityTemplate], serial: serialNumber) ?? p[.chargeBoxIdentity]
        connectorCount = p[.connectorCount]
        powerSourceVoltageV = p[.powerSourceVoltage]
        singleFeedLine = p[.singleFeedLine]
        feedLineCapacityAmps = p[.feedLineCapacity]
        vehicleConnectionTimeout = .seconds(p[.vehicleConnectionTimeout])
        lockActuatorOnlyIfAuthorized = p[.lockActuatorOnlyIfAuthorized]
        restartTransactionAfterPowerLoss = p[.restartTransactionAfterPowerLoss]
        hlc = HLCSettings(p)
        sendAuthorizeForRemoteStart = p[.sendAuthorizeForRemoteStart]
        uidDisclose = p[.uidDisclose]
        meterSampleRetentionDays = p[.meterSampleRetention]
        timeZone = TimeZoneRules.named(p[.timezone]) ?? .utc
        dlm = DLMSettings(p)
        listeners = ListenerSettings(p)
        modbus = ModbusSettings(enabled: p[.modbusServer], basePort: p[.modbusBasePort],
                                allowStartStop: p[.modbusAllowStartStop], allowUIDDisclose: p[.modbusAllowUIDDisclose],
                                safeCurrentAmps: p[.modbusSafeCurrent], commTimeoutSeconds: p[.modbusCommTimeout],
                                maxConnections: p[.modbusMaxConnections], idleTimeout: .seconds(p[.modbusIdleTimeout]))
        var g = GenericMeterSettings()
        g.function = p[.genericMeterFunction].functionCode
        g.type = p[.genericMeterType].registerType
        g.wordOrder = p[.genericMeterWordOrder].wordOrder
        func regs(_ key: ParameterKey<PhaseValues>) -> [UInt16] { p[key].array.map { UInt16(max(0, min(65535, $0))) } }
        g.currentRegisters = regs(.genericMeterCurrentRegisters)
        g.currentScale = p[.genericMeterCurrentScale]
        g.voltageRegisters = regs(.genericMeterVoltageRegisters)
        g.voltageScale = p[.genericMeterVoltageScale]
        g.powerRegisters = regs(.genericMeterPowerRegisters)
        g.powerScale = p[.genericMeterPowerScale]
        g.energyRegister = UInt16(p[.genericMeterEnergyRegister])
        g.energyType = p[.genericMeterEnergyType].registerType
        g.energyScale = p[.genericMeterEnergyScale]
        func endpoint(_ model: MeterModel?, _ host: String, _ port: Int, _ unit: Int) -> MeterEndpoint? {
            guard let m = model, !host.isEmpty else { return nil }
            return MeterEndpoint(model: m, host: host, port: port, unitID: unit == 0 ? m.defaultUnitID : unit, layout: m.layout(generic: g))
        }
        gridMeter = p[.externalMeterSupport]
            ? endpoint(p[.secondMeterConfiguration], p[.secondMeterAddress], p[.secondMeterPort], p[.secondMeterUnitID])
            : nil
        let count = max(1, min(2, connectorCount))
        chargeMeters = (1...count).map { n in
            endpoint(p[.meterConfiguration, connector: n], p[.meterAddress, connector: n], p[.meterPort, connector: n],
                     p[.meterUnitID, connector: n])
        }
        meterPollInterval = .milliseconds(Int64(p[.meterPollInterval] * 1000))
        meterFailedPolls = p[.meterFailedPolls]
        supplyProtection = SupplyProtectionSettings(p)
        var a = AuthorizationSettings()
        a.freeCharging = p[.freeCharging]
        a.freeChargingMode = p[.freeChargingMode]
        a.freeChargingIdTag = p[.freeChargingRfidTag]
        a.dummyEnabled = p[.dummyRfidEnabled]
        a.dummyIdTag = p[.dummyRfidTag]
        a.dummyAllowStop = p[.dummyAllowStop]
        a.ifInDoubt = p[.ifInDoubtAllowCharging]
        a.stopMode = p[.stopTransactionMode]
        a.letterCase = p[.rfidTagLetterCase]
        a.enforceMasterRFID = p[.enforceMasterRFID]
        a.masterIdTags = p[.masterRFIDs]
        a.enforceSecureRFID = p[.enforceSecureRFID]
        a.localWhitelistEnabled = p[.enableLocalWhitelist]
        a.localWhitelistMode = p[.localWhitelistMode]
        a.cacheEnabled = p[.authorizationCacheEnabled]
        a.cacheExpiryMode = p[.ocppWhitelistExpiryMode]
        a.localListEnabled = p[.localAuthListEnabled]
        a.localPreAuthorize = p[.localPreAuthorize]
        a.localAuthorizeOffline = p[.localAuthorizeOffline]
        a.allowOfflineTxForUnknownId = p[.allowOfflineTxForUnknownId]
        authorization = a
        minimumCurrentAmps = p[.minimumCurrentLimit]
        loadSheddingAmps = p[.externalInputEnergyManagement] == .opto1 ? p[.externalInputCurrentLimit] : nil
        loadSheddingActiveHigh = p[.externalInputPolarity] == .highActive
        offlineLimitAmps = p[.smartChargingOfflineLimit] > 0 ? p[.smartChargingOfflineLimit] : nil
        allowEVWakeup = p[.allowEVWakeup]
        currentSchedule = p[.maximumCurrentScheduler] ? p[.maximumCurrentSchedule] : []
        reservations = ReservationSettings(enabled: p[.reservationsEnabled], connectorZeroSupported: p[.reserveConnectorZeroSupported])
        connectors = (1...max(1, min(2, connectorCount))).map { n in
            ConnectorSettings(
                hardwareMaxCurrentAmps: p[.hardwareMaxCurrent, connector: n],
                installationCurrentLimitAmps: p[.installationCurrentLimit, connector: n],
                operatorCurrentLimitAmps: p[.operatorCurrentLimit, connector: n],
                phasesConnected: p[.phasesConnected, connector: n],
                hasLockActuator: p[.connectorKind, connector: n] != .cable,
                phaseRotation: p[.phaseRotation, connector: n],
                chargeMode: p[.chargeMode, connector: n], phaseSwitching: p[.phaseSwitching, connector: n])
        }
        surplus = SurplusSettings(p)
        semp = SEMPSettings(p)
        eebus = EEBUSInterfaceSettings(p)
        phaseSwitching = PhaseSwitchSettings(p)
        requireSignedMeterValues = p[.requireSignedMeterValues]
        signSampledReadings = p[.sampledDataSignReadings]
        // seeds/004 §7.2–7.3: with a single feed line the installation limit is one value for the station, at most the
        // feed line's capacity (the registry refuses anything else; a configuration stored before that rule reads as
        // the lowest of its values).
        if singleFeedLine && connectors.count > 1, let lowest = connectors.map(\.installationCurrentLimitAmps).min() {
            for i in connectors.indices { connectors[i].installationCurrentLimitAmps = min(lowest, feedLineCapacityAmps) }
        }
    }
}

/// What an external input of the controller does (seeds/004 §7: "Energy management from external input",
/// "External Input 1 Config").
public enum ExternalInputFunction: String, ParameterChoice {
    case off = "Off"
    /// The input "Opto 1 In" switches load shedding.
    case opto1 = "Opto1"
}

/// When an external input counts as active.
public enum InputPolarity: String, ParameterChoice {
    /// Active when the contact closes (normally open).
    case lowActive = "LowActive"
    /// Active when the contact opens (normally closed).
    case highActive = "HighActive"
}

/// How the vehicle is connected (seeds/004 §3): a socket with a locking actuator, or a fixed cable without one.
public enum ConnectorKind: String, ParameterChoice {
    case socket = "Socket"
    case cable = "Cable"
}

/// The Modbus function a generic meter is read with.
public enum GenericMeterFunction: String, ParameterChoice {
    case readHoldingRegisters = "3"
    case readInputRegisters = "4"

    public var functionCode: FunctionCode { self == .readInputRegisters ? .readInputRegisters : .readHoldingRegisters }
}

/// The word order of a generic meter's 32/64-bit values.
public enum GenericMeterWordOrder: String, ParameterChoice {
    /// High word first.
    case abcd = "ABCD"
    /// Low word first.
    case cdab = "CDAB"

    public var wordOrder: WordOrder { self == .cdab ? .lowFirst : .highFirst }
}

/// The type of a generic meter's current, voltage and power registers.
public enum GenericMeterValueType: String, ParameterChoice {
    case uint16, int16, uint32, int32, float32

    public var registerType: RegisterType {
        switch self {
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .float32: .float32
        }
    }

    /// The registry's choices: each type labelled by its name.
    static var choices: [Choice] { allCases.map { Choice($0.rawValue, $0.rawValue) } }
}

/// The type of a generic meter's import energy counter.
public enum GenericMeterEnergyType: String, ParameterChoice {
    case uint32, int32, float32, uint64, float64

    public var registerType: RegisterType {
        switch self {
        case .uint32: .uint32
        case .int32: .int32
        case .float32: .float32
        case .uint64: .uint64
        case .float64: .float64
        }
    }

    /// The registry's choices: each type labelled by its name.
    static var choices: [Choice] { allCases.map { Choice($0.rawValue, $0.rawValue) } }
}

extension HLCMode: ParameterChoice {}
extension FreeChargingMode: ParameterChoice {}
extension IfInDoubtAllowCharging: ParameterChoice {}
extension StopTransactionMode: ParameterChoice {}
extension RFIDLetterCase: ParameterChoice {}
extension LocalWhitelistMode: ParameterChoice {}
extension CacheExpiryMode: ParameterChoice {}
extension PhasesConnected: ParameterChoice {}
extension PhaseRotation: ParameterChoice {}
extension DLMMode: ParameterChoice {}
extension ExternalMeterLocation: ParameterChoice {}
extension MeterModel: ParameterChoice {
    /// The value of a connector's meter configuration that chooses the controller's own meter instead of a model.
    public static let internalMeter = "internal"
}
