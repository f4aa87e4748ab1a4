#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore
import LoadManagement
import ModbusTCP
import StationModbus

/// The ISO 15118 modes of the charge controller.
///
/// - SeeAlso: seeds/004 §7.3 "ISO 15118 Configuratie" (Mode 1 Off … Mode 5 Ed2).
public enum HLCMode: String, Sendable, Codable, CaseIterable {
    case off
    case encouragement
    case offer
    case force
    case ed2

    /// The label of the seed.
    public var label: String {
        switch self {
        case .off: "Off"
        case .encouragement: "On (Encouragement)"
        case .offer: "On (Offer)"
        case .force: "On (Force)"
        case .ed2: "On (Ed2)"
        }
    }

    /// How long the 5 % duty cycle is signaled at the start of a transaction in Encouragement mode.
    public static let encouragementDuration = Duration.seconds(2)
}

/// A Modbus TCP meter to read.
public struct MeterEndpoint: Sendable, Equatable {
    public var model: MeterModel
    public var host: String
    public var port: Int
    public var unitID: Int
    public var layout: MeterLayout
}

extension StationSettings {
    static func registerType(_ name: String) -> RegisterType? {
        switch name {
        case "uint16": .uint16
        case "int16": .int16
        case "uint32": .uint32
        case "int32": .int32
        case "float32": .float32
        case "uint64": .uint64
        case "float64": .float64
        default: nil
        }
    }
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
    public var hlcMode: HLCMode
    public var authorization: AuthorizationSettings
    public var sendAuthorizeForRemoteStart: Bool
    public var uidDisclose: Bool
    /// Meter samples older than this are deleted (``RetentionPolicy``).
    public var meterSampleRetentionDays: Int
    public var modbus: ModbusSettings
    /// The grid (second) meter, when External Meter Support is On.
    public var gridMeter: MeterEndpoint?
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
    /// The Maximum Current Scheduler's windows (empty: off).
    public var currentSchedule: [TimeWindowLimit]
    /// seeds/004 "Allow EV Wakeup".
    public var allowEVWakeup: Bool
    /// Dynamic load management between stations (seeds/004 §7.4–7.8).
    public var dlm: DLMSettings
    public var meterPollInterval: Duration
    public var meterFailedPolls: Int
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

    public init(_ p: ParameterSet) {
        typealias K = StationParameters
        serialNumber = p.string(K.chargeBoxSerialNumber)
        chargeBoxIdentity = Self.identity(template: p.string(K.chargeBoxIdentityTemplate), serial: serialNumber)
            ?? p.string(K.chargeBoxIdentity)
        connectorCount = Int(p.number(K.connectorCount))
        powerSourceVoltageV = p.number(K.powerSourceVoltage)
        singleFeedLine = p.bool(K.singleFeedLine)
        feedLineCapacityAmps = p.number(K.feedLineCapacity)
        vehicleConnectionTimeout = .seconds(Int(p.number(K.vehicleConnectionTimeout)))
        lockActuatorOnlyIfAuthorized = p.bool(K.lockActuatorOnlyIfAuthorized)
        restartTransactionAfterPowerLoss = p.bool(K.restartTransactionAfterPowerLoss)
        hlcMode = p.choice(K.hlcMode, HLCMode.self)
        sendAuthorizeForRemoteStart = p.bool(K.sendAuthorizeForRemoteStart)
        uidDisclose = p.bool(K.uidDisclose)
        meterSampleRetentionDays = Int(p.number(K.meterSampleRetention))
        dlm = DLMSettings(p)
        modbus = ModbusSettings(enabled: p.bool(K.modbusServer), basePort: Int(p.number(K.modbusBasePort)),
                                allowStartStop: p.bool(K.modbusAllowStartStop), allowUIDDisclose: p.bool(K.modbusAllowUIDDisclose),
                                safeCurrentAmps: p.number(K.modbusSafeCurrent), commTimeoutSeconds: p.number(K.modbusCommTimeout),
                                maxConnections: Int(p.number(K.modbusMaxConnections)), idleTimeout: .seconds(p.number(K.modbusIdleTimeout)))
        var g = GenericMeterSettings()
        g.function = p.choice(K.genericMeterFunction, GenericMeterFunction.self) == .readInputRegisters ? .readInputRegisters : .readHoldingRegisters
        g.type = Self.registerType(p.string(K.genericMeterType)) ?? .float32
        g.wordOrder = p.choice(K.genericMeterWordOrder, GenericMeterWordOrder.self) == .cdab ? .lowFirst : .highFirst
        func regs(_ key: String) -> [UInt16] { p.triple(key).array.map { UInt16(max(0, min(65535, $0))) } }
        g.currentRegisters = regs(K.genericMeterCurrentRegisters)
        g.currentScale = p.number(K.genericMeterCurrentScale)
        g.voltageRegisters = regs(K.genericMeterVoltageRegisters)
        g.voltageScale = p.number(K.genericMeterVoltageScale)
        g.powerRegisters = regs(K.genericMeterPowerRegisters)
        g.powerScale = p.number(K.genericMeterPowerScale)
        g.energyRegister = UInt16(p.number(K.genericMeterEnergyRegister))
        g.energyType = Self.registerType(p.string(K.genericMeterEnergyType)) ?? .float64
        g.energyScale = p.number(K.genericMeterEnergyScale)
        func endpoint(_ model: String, _ host: String, _ port: Double, _ unit: Double) -> MeterEndpoint? {
            guard let m = MeterModel(rawValue: model), !host.isEmpty else { return nil }
            return MeterEndpoint(model: m, host: host, port: Int(port), unitID: unit == 0 ? m.defaultUnitID : Int(unit), layout: m.layout(generic: g))
        }
        gridMeter = p.bool(K.externalMeterSupport)
            ? endpoint(p.string(K.secondMeterConfiguration), p.string(K.secondMeterAddress), p.number(K.secondMeterPort), p.number(K.secondMeterUnitID))
            : nil
        let count = max(1, min(2, Int(p.number(K.connectorCount))))
        chargeMeters = (1...count).map { n in
            endpoint(p.string("\(K.meterConfiguration).\(n)"), p.string("\(K.meterAddress).\(n)"), p.number("\(K.meterPort).\(n)"),
                     p.number("\(K.meterUnitID).\(n)"))
        }
        meterPollInterval = .milliseconds(Int64(p.number(K.meterPollInterval) * 1000))
        meterFailedPolls = Int(p.number(K.meterFailedPolls))
        var a = AuthorizationSettings()
        a.freeCharging = p.bool(K.freeCharging)
        a.freeChargingMode = p.choice(K.freeChargingMode, FreeChargingMode.self)
        a.freeChargingIdTag = p.string(K.freeChargingRfidTag)
        a.ifInDoubt = p.choice(K.ifInDoubtAllowCharging, IfInDoubtAllowCharging.self)
        a.stopMode = p.choice(K.stopTransactionMode, StopTransactionMode.self)
        a.letterCase = p.choice(K.rfidTagLetterCase, RFIDLetterCase.self)
        a.enforceMasterRFID = p.bool(K.enforceMasterRFID)
        if case .list(let ids)? = p.value(K.masterRFIDs) { a.masterIdTags = ids }
        a.enforceSecureRFID = p.bool(K.enforceSecureRFID)
        a.localWhitelistEnabled = p.bool(K.enableLocalWhitelist)
        a.localWhitelistMode = p.choice(K.localWhitelistMode, LocalWhitelistMode.self)
        a.cacheEnabled = p.bool(K.authorizationCacheEnabled)
        a.cacheExpiryMode = p.choice(K.ocppWhitelistExpiryMode, CacheExpiryMode.self)
        a.localListEnabled = p.bool(K.localAuthListEnabled)
        a.localPreAuthorize = p.bool(K.localPreAuthorize)
        a.localAuthorizeOffline = p.bool(K.localAuthorizeOffline)
        a.allowOfflineTxForUnknownId = p.bool(K.allowOfflineTxForUnknownId)
        authorization = a
        minimumCurrentAmps = p.number(K.minimumCurrentLimit)
        loadSheddingAmps = p.choice(K.externalInputEnergyManagement, ExternalInputFunction.self) == .opto1 ? p.number(K.externalInputCurrentLimit) : nil
        loadSheddingActiveHigh = p.choice(K.externalInputPolarity, InputPolarity.self) == .highActive
        offlineLimitAmps = p.number(K.smartChargingOfflineLimit) > 0 ? p.number(K.smartChargingOfflineLimit) : nil
        allowEVWakeup = p.bool(K.allowEVWakeup)
        if p.bool(K.maximumCurrentScheduler), case .list(let windows)? = p.value(K.maximumCurrentSchedule) {
            currentSchedule = windows.compactMap(TimeWindowLimit.init(text:))
        } else {
            currentSchedule = []
        }
        reservations = ReservationSettings(enabled: p.bool(K.reservationsEnabled), connectorZeroSupported: p.bool(K.reserveConnectorZeroSupported))
        connectors = (1...max(1, min(2, connectorCount))).map { n in
            ConnectorSettings(
                hardwareMaxCurrentAmps: p.number("\(K.hardwareMaxCurrent).\(n)"),
                installationCurrentLimitAmps: p.number("\(K.installationCurrentLimit).\(n)"),
                operatorCurrentLimitAmps: p.number("\(K.operatorCurrentLimit).\(n)"),
                phasesConnected: p.choice("\(K.phasesConnected).\(n)", PhasesConnected.self),
                hasLockActuator: p.choice("\(K.connectorKind).\(n)", ConnectorKind.self) != .cable,
                phaseRotation: p.choice("\(K.phaseRotation).\(n)", PhaseRotation.self))
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
}

/// The word order of a generic meter's 32/64-bit values.
public enum GenericMeterWordOrder: String, ParameterChoice {
    /// High word first.
    case abcd = "ABCD"
    /// Low word first.
    case cdab = "CDAB"
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
