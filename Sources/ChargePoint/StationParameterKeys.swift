#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore
import LoadManagement
import Parameters
import StationModbus

// The station's registry, its menus, and its parameters' names and typed keys (issue 21 item 3). The name is what
// the API, the CLI, the web forms and OCPP use; the typed key is how the code reads the value
// (`values[.hardwareMaxCurrent, connector: 1]` is a Double, `values[.hlcMode]` an HLCMode). Each definition in
// StationParameters.swift is declared with its key, which checks that the key's type fits the declared type and
// default. DLM's keys are in DLMParameters.swift, the backend's in OCPP/BackendParameters.swift.

extension ParameterRegistry {
    /// The station's registry: every parameter of ``StationParameters/all`` with the station's rules, connector
    /// parameters for `connectorCount` connectors.
    public init(connectorCount: Int = 2) {
        self.init(definitions: StationParameters.all, rules: StationParameters.rules, connectorCount: connectorCount)
    }
}

/// The station's menus.
///
/// - SeeAlso: seeds/004 §3 "Configuratie-interface 2.0" (DASHBOARD, NETWORK, BACKEND, AUTHORIZATION,
///   WHITELISTS, LOAD MANAGEMENT, INSTALLATION, SYSTEM).
extension Menu {
    public static let dashboard = Menu(rawValue: "Dashboard")
    public static let network = Menu(rawValue: "Network")
    public static let backend = Menu(rawValue: "Backend")
    public static let authorization = Menu(rawValue: "Authorization")
    public static let whitelists = Menu(rawValue: "Whitelists")
    public static let loadManagement = Menu(rawValue: "Load Management")
    public static let installation = Menu(rawValue: "Installation")
    public static let system = Menu(rawValue: "System")

    /// The station's menus in the order of its navigation.
    public static let allCases: [Menu] = [
        .dashboard, .network, .backend, .authorization, .whitelists, .loadManagement, .installation, .system,
    ]
}

private typealias K = StationParameters

/// The station's parameter names: what the API, the CLI, the web forms and OCPP address them by.
extension StationParameters {
    public static let hardwareMaxCurrent = "HardwareMaxCurrent"
    public static let installationCurrentLimit = "InstallationCurrentLimit"
    public static let operatorCurrentLimit = "OperatorCurrentLimit"
    public static let powerSourceVoltage = "PowerSourceVoltage"
    public static let phasesConnected = "PhasesConnected"
    public static let connectorKind = "ConnectorKind"
    public static let minimumCurrentLimit = "MinimumCurrentLimit"
    public static let externalInputEnergyManagement = "ExternalInputEnergyManagement"
    public static let externalInputCurrentLimit = "ExternalInputCurrentLimit"
    public static let externalInputPolarity = "ExternalInputPolarity"
    public static let smartChargingOfflineLimit = "SmartChargingOfflineUpperLimit"
    public static let maximumCurrentScheduler = "MaximumCurrentScheduler"
    public static let allowEVWakeup = "AllowEVWakeup"
    public static let maximumCurrentSchedule = "MaximumCurrentSchedule"
    public static let phaseRotation = "PhaseRotation"
    public static let singleFeedLine = "SingleFeedLine"
    public static let feedLineCapacity = "FeedLineCapacity"
    public static let singleFeedLineInstallerAccess = "SingleFeedLineInstallerAccess"
    public static let chargeBoxIdentity = "ChargeBoxIdentity"
    public static let chargeBoxSerialNumber = "ChargeBoxSerialNumber"
    public static let connectorCount = "ConnectorCount"
    public static let timezone = "Timezone"
    public static let vehicleConnectionTimeout = "VehicleConnectionTimeout"
    public static let lockActuatorOnlyIfAuthorized = "LockActuatorOnlyIfAuthorized"
    public static let restartTransactionAfterPowerLoss = "RestartTransactionAfterPowerLoss"
    public static let freeCharging = "FreeCharging"
    public static let freeChargingMode = "FreeChargingMode"
    public static let freeChargingRfidTag = "FreeChargingRfidTag"
    public static let ifInDoubtAllowCharging = "IfInDoubtAllowCharging"
    public static let sendAuthorizeForRemoteStart = "SendAuthorizeForRemoteStart"
    public static let stopTransactionMode = "StopTransactionMode"
    public static let rfidTagLetterCase = "RFIDTagLetterCase"
    public static let enforceMasterRFID = "EnforceMasterRFID"
    public static let masterRFIDs = "MasterRFIDs"
    public static let enforceSecureRFID = "EnforceSecureRFID"
    public static let enableLocalWhitelist = "EnableLocalWhitelist"
    public static let localWhitelistMode = "LocalWhitelistMode"
    public static let authorizationCacheEnabled = "AuthorizationCacheEnabled"
    public static let ocppWhitelistExpiryMode = "OCPPWhitelistExpiryMode"
    public static let localAuthListEnabled = "LocalAuthListEnabled"
    public static let localPreAuthorize = "LocalPreAuthorize"
    public static let localAuthorizeOffline = "LocalAuthorizeOffline"
    public static let allowOfflineTxForUnknownId = "AllowOfflineTxForUnknownId"
    public static let uidDisclose = "UIDDisclose"
    public static let meterSampleRetention = "MeterSampleRetentionDays"
    public static let modbusServer = "ModbusTCPServer"
    public static let modbusBasePort = "ModbusTCPServerBasePort"
    public static let modbusRegisterSet = "ModbusTCPServerRegisterSet"
    public static let modbusAllowStartStop = "ModbusTCPServerAllowStartStopTransaction"
    public static let modbusAllowUIDDisclose = "ModbusTCPServerAllowUIDDisclose"
    public static let modbusSafeCurrent = "ModbusSafeCurrent"
    public static let modbusCommTimeout = "ModbusCommTimeout"
    public static let modbusMaxConnections = "ModbusTCPServerMaxConnections"
    public static let modbusIdleTimeout = "ModbusTCPServerIdleTimeout"
    public static let externalMeterSupport = "ExternalMeterSupport"
    public static let secondMeterConfiguration = "SecondMeterConfiguration"
    public static let secondMeterAddress = "SecondMeterIPAddress"
    public static let secondMeterPort = "SecondMeterPort"
    public static let secondMeterUnitID = "SecondMeterUnitID"
    public static let meterConfiguration = "MeterConfiguration"
    public static let meterAddress = "MeterIPAddress"
    public static let meterPort = "MeterPort"
    public static let meterUnitID = "MeterUnitID"
    public static let meterPollInterval = "MeterPollInterval"
    public static let meterFailedPolls = "MeterFailedPollsBeforeError"
    public static let genericMeterFunction = "GenericMeterFunctionCode"
    public static let genericMeterType = "GenericMeterValueType"
    public static let genericMeterWordOrder = "GenericMeterWordOrder"
    public static let genericMeterCurrentRegisters = "GenericMeterCurrentRegisters"
    public static let genericMeterCurrentScale = "GenericMeterCurrentScale"
    public static let genericMeterVoltageRegisters = "GenericMeterVoltageRegisters"
    public static let genericMeterVoltageScale = "GenericMeterVoltageScale"
    public static let genericMeterPowerRegisters = "GenericMeterPowerRegisters"
    public static let genericMeterPowerScale = "GenericMeterPowerScale"
    public static let genericMeterEnergyRegister = "GenericMeterEnergyRegister"
    public static let genericMeterEnergyType = "GenericMeterEnergyType"
    public static let genericMeterEnergyScale = "GenericMeterEnergyScale"
}

/// The typed keys of the station's parameters that exist once per station.
extension ParameterKey {
    public static var powerSourceVoltage: ParameterKey<Double> { .init(K.powerSourceVoltage, .number) }
    public static var minimumCurrentLimit: ParameterKey<Double> { .init(K.minimumCurrentLimit, .number) }
    public static var externalInputEnergyManagement: ParameterKey<ExternalInputFunction> { .init(K.externalInputEnergyManagement, .choice) }
    public static var externalInputCurrentLimit: ParameterKey<Double> { .init(K.externalInputCurrentLimit, .number) }
    public static var externalInputPolarity: ParameterKey<InputPolarity> { .init(K.externalInputPolarity, .choice) }
    public static var smartChargingOfflineLimit: ParameterKey<Double> { .init(K.smartChargingOfflineLimit, .number) }
    public static var maximumCurrentScheduler: ParameterKey<Bool> { .init(K.maximumCurrentScheduler, .bool) }
    public static var allowEVWakeup: ParameterKey<Bool> { .init(K.allowEVWakeup, .bool) }
    public static var maximumCurrentSchedule: ParameterKey<[TimeWindowLimit]> { .init(K.maximumCurrentSchedule, .timeWindows) }
    public static var singleFeedLine: ParameterKey<Bool> { .init(K.singleFeedLine, .bool) }
    public static var feedLineCapacity: ParameterKey<Double> { .init(K.feedLineCapacity, .number) }
    public static var singleFeedLineInstallerAccess: ParameterKey<Bool> { .init(K.singleFeedLineInstallerAccess, .bool) }
    public static var chargeBoxIdentity: ParameterKey<String> { .init(K.chargeBoxIdentity, .text) }
    public static var chargeBoxSerialNumber: ParameterKey<String> { .init(K.chargeBoxSerialNumber, .text) }
    public static var connectorCount: ParameterKey<Int> { .init(K.connectorCount, .integer) }
    public static var timezone: ParameterKey<String> { .init(K.timezone, .text) }
    public static var vehicleConnectionTimeout: ParameterKey<Int> { .init(K.vehicleConnectionTimeout, .integer) }
    public static var lockActuatorOnlyIfAuthorized: ParameterKey<Bool> { .init(K.lockActuatorOnlyIfAuthorized, .bool) }
    public static var restartTransactionAfterPowerLoss: ParameterKey<Bool> { .init(K.restartTransactionAfterPowerLoss, .bool) }
    public static var freeCharging: ParameterKey<Bool> { .init(K.freeCharging, .bool) }
    public static var freeChargingMode: ParameterKey<FreeChargingMode> { .init(K.freeChargingMode, .choice) }
    public static var freeChargingRfidTag: ParameterKey<String> { .init(K.freeChargingRfidTag, .text) }
    public static var ifInDoubtAllowCharging: ParameterKey<IfInDoubtAllowCharging> { .init(K.ifInDoubtAllowCharging, .choice) }
    public static var sendAuthorizeForRemoteStart: ParameterKey<Bool> { .init(K.sendAuthorizeForRemoteStart, .bool) }
    public static var stopTransactionMode: ParameterKey<StopTransactionMode> { .init(K.stopTransactionMode, .choice) }
    public static var rfidTagLetterCase: ParameterKey<RFIDLetterCase> { .init(K.rfidTagLetterCase, .choice) }
    public static var enforceMasterRFID: ParameterKey<Bool> { .init(K.enforceMasterRFID, .bool) }
    public static var masterRFIDs: ParameterKey<[String]> { .init(K.masterRFIDs, .list) }
    public static var enforceSecureRFID: ParameterKey<Bool> { .init(K.enforceSecureRFID, .bool) }
    public static var enableLocalWhitelist: ParameterKey<Bool> { .init(K.enableLocalWhitelist, .bool) }
    public static var localWhitelistMode: ParameterKey<LocalWhitelistMode> { .init(K.localWhitelistMode, .choice) }
    public static var authorizationCacheEnabled: ParameterKey<Bool> { .init(K.authorizationCacheEnabled, .bool) }
    public static var ocppWhitelistExpiryMode: ParameterKey<CacheExpiryMode> { .init(K.ocppWhitelistExpiryMode, .choice) }
    public static var localAuthListEnabled: ParameterKey<Bool> { .init(K.localAuthListEnabled, .bool) }
    public static var localPreAuthorize: ParameterKey<Bool> { .init(K.localPreAuthorize, .bool) }
    public static var localAuthorizeOffline: ParameterKey<Bool> { .init(K.localAuthorizeOffline, .bool) }
    public static var allowOfflineTxForUnknownId: ParameterKey<Bool> { .init(K.allowOfflineTxForUnknownId, .bool) }
    public static var uidDisclose: ParameterKey<Bool> { .init(K.uidDisclose, .bool) }
    public static var meterSampleRetention: ParameterKey<Int> { .init(K.meterSampleRetention, .integer) }
    public static var modbusServer: ParameterKey<Bool> { .init(K.modbusServer, .bool) }
    public static var modbusBasePort: ParameterKey<Int> { .init(K.modbusBasePort, .integer) }
    public static var modbusRegisterSet: ParameterKey<String> { .init(K.modbusRegisterSet, .text) }
    public static var modbusAllowStartStop: ParameterKey<Bool> { .init(K.modbusAllowStartStop, .bool) }
    public static var modbusAllowUIDDisclose: ParameterKey<Bool> { .init(K.modbusAllowUIDDisclose, .bool) }
    public static var modbusSafeCurrent: ParameterKey<Double> { .init(K.modbusSafeCurrent, .number) }
    public static var modbusCommTimeout: ParameterKey<Double> { .init(K.modbusCommTimeout, .number) }
    public static var modbusMaxConnections: ParameterKey<Int> { .init(K.modbusMaxConnections, .integer) }
    public static var modbusIdleTimeout: ParameterKey<Double> { .init(K.modbusIdleTimeout, .number) }
    public static var externalMeterSupport: ParameterKey<Bool> { .init(K.externalMeterSupport, .bool) }
    public static var secondMeterConfiguration: ParameterKey<MeterModel> { .init(K.secondMeterConfiguration, .choice) }
    public static var secondMeterAddress: ParameterKey<String> { .init(K.secondMeterAddress, .text) }
    public static var secondMeterPort: ParameterKey<Int> { .init(K.secondMeterPort, .integer) }
    public static var secondMeterUnitID: ParameterKey<Int> { .init(K.secondMeterUnitID, .integer) }
    public static var meterPollInterval: ParameterKey<Double> { .init(K.meterPollInterval, .number) }
    public static var meterFailedPolls: ParameterKey<Int> { .init(K.meterFailedPolls, .integer) }
    public static var genericMeterFunction: ParameterKey<GenericMeterFunction> { .init(K.genericMeterFunction, .choice) }
    public static var genericMeterType: ParameterKey<GenericMeterValueType> { .init(K.genericMeterType, .choice) }
    public static var genericMeterWordOrder: ParameterKey<GenericMeterWordOrder> { .init(K.genericMeterWordOrder, .choice) }
    public static var genericMeterCurrentRegisters: ParameterKey<PhaseValues> { .init(K.genericMeterCurrentRegisters, .phases) }
    public static var genericMeterCurrentScale: ParameterKey<Double> { .init(K.genericMeterCurrentScale, .number) }
    public static var genericMeterVoltageRegisters: ParameterKey<PhaseValues> { .init(K.genericMeterVoltageRegisters, .phases) }
    public static var genericMeterVoltageScale: ParameterKey<Double> { .init(K.genericMeterVoltageScale, .number) }
    public static var genericMeterPowerRegisters: ParameterKey<PhaseValues> { .init(K.genericMeterPowerRegisters, .phases) }
    public static var genericMeterPowerScale: ParameterKey<Double> { .init(K.genericMeterPowerScale, .number) }
    public static var genericMeterEnergyRegister: ParameterKey<Int> { .init(K.genericMeterEnergyRegister, .integer) }
    public static var genericMeterEnergyType: ParameterKey<GenericMeterEnergyType> { .init(K.genericMeterEnergyType, .choice) }
    public static var genericMeterEnergyScale: ParameterKey<Double> { .init(K.genericMeterEnergyScale, .number) }
}

/// The station's connector parameters: one value per connector.
extension ConnectorParameterKey {
    public static var hardwareMaxCurrent: ConnectorParameterKey<Double> { .init(K.hardwareMaxCurrent, .number) }
    public static var installationCurrentLimit: ConnectorParameterKey<Double> { .init(K.installationCurrentLimit, .number) }
    public static var operatorCurrentLimit: ConnectorParameterKey<Double> { .init(K.operatorCurrentLimit, .number) }
    public static var phasesConnected: ConnectorParameterKey<PhasesConnected> { .init(K.phasesConnected, .choice) }
    public static var connectorKind: ConnectorParameterKey<ConnectorKind> { .init(K.connectorKind, .choice) }
    public static var phaseRotation: ConnectorParameterKey<PhaseRotation> { .init(K.phaseRotation, .choice) }
    /// The connector's Modbus charge meter, nil for the controller's own (internal) meter.
    public static var meterConfiguration: ConnectorParameterKey<MeterModel?> {
        .init(K.meterConfiguration, .choice(MeterModel.self, none: MeterModel.internalMeter))
    }
    public static var meterAddress: ConnectorParameterKey<String> { .init(K.meterAddress, .text) }
    public static var meterPort: ConnectorParameterKey<Int> { .init(K.meterPort, .integer) }
    public static var meterUnitID: ConnectorParameterKey<Int> { .init(K.meterUnitID, .integer) }
}

extension ParameterCodec where Value == [TimeWindowLimit] {
    /// The Maximum Current Scheduler's windows (`.timeWindows`, stored as their texts `HH:MM-HH:MM=A`).
    static var timeWindows: Self {
        Self(fits: { if case .timeWindows = $0 { true } else { false } },
             decode: { if case .list(let l) = $0 { l.compactMap(TimeWindowLimit.init(text:)) } else { nil } },
             encode: { .list($0.map(\.text)) }, fallback: [])
    }
}
