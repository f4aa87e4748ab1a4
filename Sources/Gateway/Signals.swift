import ModbusTCP
import OCPP16

/// How a signal of seeds/003 Appendix 2 is laid out in 16-bit holding registers. The seed names the formats
/// (Integer, String, Float, DateTime) and how many registers each occupies; ChargeKit fixes the byte layout:
///
/// - **Integer**: one register, unsigned 0…65535, most significant byte first. 65535 in a parameter register
///   means "not set" where the OCPP field is optional.
/// - **Signed integer** (only the local list version, which OCPP lets be -1): one register, two's complement.
/// - **String**: ASCII, two characters per register, the first character in the high byte, padded with NUL
///   (0x00). The register count is the OCPP field's length: 10 registers for an IdToken (CiString20), 13 for a
///   serial number (CiString25). Only printable ASCII (0x20…0x7E) may be written; a NUL ends the text and only
///   NULs may follow it.
/// - **Float**: IEEE 754 single precision in two registers, high word first ("ABCD").
/// - **DateTime**: Unix time (seconds since 1970-01-01T00:00:00Z, "Epoch time" in the seed) as an unsigned 32-bit
///   number in two registers, high word first; 0 means "no date".
///
/// - SeeAlso: seeds/003 Appendix 2 (Format column).
public enum SignalFormat: Sendable, Equatable {
    case integer
    case signedInteger
    case string(registers: Int)
    case float
    case dateTime

    /// The codec type of ``ModbusTCP``.
    public var registerType: RegisterType {
        switch self {
        case .integer: .uint16
        case .signedInteger: .int16
        case .string(let n): .ascii(registers: n)
        case .float: .float32
        case .dateTime: .uint32
        }
    }

    public var registerCount: Int { registerType.registerCount }
}

/// One signal: offset inside its block, name, format and who writes it (the seed's R/W/RW column, seen from the
/// BMS). W registers read back what was last written, so a BMS can read whole blocks at once.
public struct SignalSpec: Sendable, Equatable {
    public var offset: Int
    public var name: String
    public var format: SignalFormat
    public var access: RegisterAccess
    /// "Only available in BMS Central system model": absent from the map in External mode.
    public var bmsOnly: Bool

    init(_ offset: Int, _ name: String, _ format: SignalFormat = .integer, _ access: RegisterAccess, bmsOnly: Bool = true) {
        self.offset = offset; self.name = name; self.format = format; self.access = access; self.bmsOnly = bmsOnly
    }
}

/// The per-charger signals at `100 + xx*2000 + offset` (xx = 0…19).
///
/// - SeeAlso: seeds/003 Appendix 2 "Charger Signals", "Messages to CS", "Messages from CS".
public enum ChargerSignal: String, CaseIterable, Sendable {
    // Charger information. The seed lists the string registers 1…46 without boundaries; they follow the OCPP field
    // lengths of BootNotification.req (serial numbers CiString25 → 13 registers, vendor and model CiString20 → 10).
    case communicationStatus, chargeBoxSerialNumber, chargePointSerialNumber, chargePointVendor, chargePointModel
    // Messages to CS: Authorization.
    case authorizationFlag, authorizationIdTag, authorizationProcessed, authorizationParentIdTag, authorizationExpiration
    case authorizationResult
    // Messages to CS: Start Transaction.
    case startFlag, startConnectorId, startIdTag, startMeterValue, startReservationId, startTimestamp, startProcessed
    case startParentIdTag, startExpiration, startResult, startTransactionId
    // Messages to CS: Stop Transaction.
    case stopFlag, stopIdTag, stopMeterValue, stopTimestamp, stopTransactionId, stopReason, stopProcessed, stopParentIdTag
    case stopExpiration, stopResult
    // Messages from CS.
    case cancelReservationFlag, cancelReservationId, cancelReservationResult
    case clearCacheFlag, clearCacheResult
    case clearChargingProfileFlag, clearChargingProfileId, clearChargingProfileConnectorId, clearChargingProfilePurpose
    case clearChargingProfileStackLevel, clearChargingProfileResult
    case getLocalListVersionFlag, localListVersion
    case reserveNowFlag, reserveNowConnectorId, reserveNowExpiration, reserveNowIdTag, reserveNowParentIdTag
    case reserveNowReservationId, reserveNowResult
    case resetFlag, resetStatus
    case sendLocalListFlag, sendLocalListOperation, sendLocalListIdTag, sendLocalListParentIdTag, sendLocalListExpiration
    case sendLocalListAuthorizationStatus, sendLocalListResult
    case triggerMessageFlag, triggerMessageRequestedMessage, triggerMessageConnectorId, triggerMessageStatus
    case remoteStartFlag, remoteStartConnectorId, remoteStartIdTag, remoteStartResult
    case remoteStopFlag, remoteStopTransactionId, remoteStopStatus

    static let idTag = SignalFormat.string(registers: 10)

    /// The offsets of the operation this signal belongs to: seeds/003 Appendix 2 lists every message as a block that
    /// starts with its Flag, so a block runs from its Flag up to the next block's Flag.
    var blockOffsets: Range<Int> {
        let flags = Self.flagOffsets
        let start = flags.last { $0 <= spec.offset } ?? 0
        return start..<(flags.first { $0 > spec.offset } ?? Int.max)
    }

    private static let flagOffsets = allCases.filter { $0.rawValue.hasSuffix("Flag") }.map(\.spec.offset).sorted()

    /// Offset, name, format and access exactly as seeds/003 Appendix 2 lists them.
    public var spec: SignalSpec {
        switch self {
        case .communicationStatus: SignalSpec(0, "Charger Communication status", .integer, .read, bmsOnly: false)
        case .chargeBoxSerialNumber: SignalSpec(1, "Charge Box Serial Number", .string(registers: 13), .read, bmsOnly: false)
        case .chargePointSerialNumber: SignalSpec(14, "Charge Point Serial Number", .string(registers: 13), .read, bmsOnly: false)
        case .chargePointVendor: SignalSpec(27, "Charge Point Vendor", .string(registers: 10), .read, bmsOnly: false)
        case .chargePointModel: SignalSpec(37, "Charge Point Model", .string(registers: 10), .read, bmsOnly: false)

        case .authorizationFlag: SignalSpec(64, "Authorization Flag", .integer, .read)
        case .authorizationIdTag: SignalSpec(65, "Id Tag Authorization", Self.idTag, .read)
        case .authorizationProcessed: SignalSpec(77, "Authorization processed", .integer, .write)
        case .authorizationParentIdTag: SignalSpec(78, "Authorization Parent Id Tag", Self.idTag, .write)
        case .authorizationExpiration: SignalSpec(88, "Authorization Expiration Date", .dateTime, .write)
        case .authorizationResult: SignalSpec(90, "Authorization result", .integer, .write)

        case .startFlag: SignalSpec(94, "Start Transaction Flag", .integer, .read)
        case .startConnectorId: SignalSpec(95, "Start Transaction Connector ID", .integer, .read)
        case .startIdTag: SignalSpec(96, "Start Transaction Id Tag", Self.idTag, .read)
        case .startMeterValue: SignalSpec(106, "Start Transaction Meter Value", .float, .read)
        case .startReservationId: SignalSpec(108, "Start Transaction Reservation ID", .integer, .read)
        case .startTimestamp: SignalSpec(109, "Start Transaction Timestamp", .dateTime, .read)
        case .startProcessed: SignalSpec(114, "Start Transaction Processed", .integer, .write)
        case .startParentIdTag: SignalSpec(115, "Start Transaction Parent Id Tag", Self.idTag, .write)
        case .startExpiration: SignalSpec(125, "Start Transaction Expiration Date", .dateTime, .write)
        case .startResult: SignalSpec(127, "Start Transaction Authorization result", .integer, .write)
        case .startTransactionId: SignalSpec(128, "Start Transaction Transaction ID", .integer, .write)

        case .stopFlag: SignalSpec(134, "Stop Transaction Flag", .integer, .read)
        case .stopIdTag: SignalSpec(135, "Stop Transaction Id Tag", Self.idTag, .read)
        case .stopMeterValue: SignalSpec(145, "Stop Transaction Meter Value", .float, .read)
        case .stopTimestamp: SignalSpec(147, "Stop Transaction Timestamp", .dateTime, .read)
        case .stopTransactionId: SignalSpec(149, "Stop Transaction Transaction ID", .integer, .read)
        case .stopReason: SignalSpec(150, "Stop Transaction Reason", .integer, .read)
        case .stopProcessed: SignalSpec(155, "Stop Transaction Processed", .integer, .write)
        case .stopParentIdTag: SignalSpec(156, "Stop Transaction Parent Id Tag", Self.idTag, .write)
        case .stopExpiration: SignalSpec(166, "Stop Transaction Expiration Date", .dateTime, .write)
        case .stopResult: SignalSpec(168, "Stop Transaction Authorization result", .integer, .write)

        case .cancelReservationFlag: SignalSpec(256, "Cancel Reservation Flag", .integer, .readWrite)
        case .cancelReservationId: SignalSpec(257, "Cancel Reservation Reservation ID", .integer, .write)
        case .cancelReservationResult: SignalSpec(261, "Cancel Reservation Result", .integer, .read)
        case .clearCacheFlag: SignalSpec(266, "Clear Caché Flag", .integer, .readWrite)
        case .clearCacheResult: SignalSpec(271, "Clear Caché Result", .integer, .read)
        case .clearChargingProfileFlag: SignalSpec(276, "Clear Charging Profile Flag", .integer, .readWrite)
        case .clearChargingProfileId: SignalSpec(277, "Clear Charging Profile Profile ID", .integer, .write)
        case .clearChargingProfileConnectorId: SignalSpec(278, "Clear Charging Profile Connector ID", .integer, .write)
        case .clearChargingProfilePurpose: SignalSpec(279, "Clear Charging Profile Charging Profile Purpose", .integer, .write)
        case .clearChargingProfileStackLevel: SignalSpec(280, "Clear Charging Profile Stack Level", .integer, .write)
        case .clearChargingProfileResult: SignalSpec(283, "Clear Charging Profile Result", .integer, .read)
        case .getLocalListVersionFlag: SignalSpec(286, "Get Local List Flag", .integer, .readWrite)
        case .localListVersion: SignalSpec(291, "Get Local List Version Version", .signedInteger, .read)
        case .reserveNowFlag: SignalSpec(296, "Reserve Now Flag", .integer, .readWrite)
        case .reserveNowConnectorId: SignalSpec(297, "Reserve Now Connector ID", .integer, .write)
        case .reserveNowExpiration: SignalSpec(298, "Reserve Now Expiration Date", .dateTime, .write)
        case .reserveNowIdTag: SignalSpec(300, "Reserve Now Id Tag", Self.idTag, .write)
        case .reserveNowParentIdTag: SignalSpec(310, "Reserve Now Parent Id Tag", Self.idTag, .write)
        case .reserveNowReservationId: SignalSpec(320, "Reserve Now Reservation ID", .integer, .write)
        case .reserveNowResult: SignalSpec(323, "Reserve Now Result of the request", .integer, .read)
        case .resetFlag: SignalSpec(326, "Reset Flag", .integer, .readWrite)
        case .resetStatus: SignalSpec(331, "Reset Status", .integer, .read)
        case .sendLocalListFlag: SignalSpec(336, "Send Local List Flag", .integer, .readWrite)
        case .sendLocalListOperation: SignalSpec(337, "Send Local List Operation", .integer, .write)
        case .sendLocalListIdTag: SignalSpec(338, "Send Local List Id Tag", Self.idTag, .write)
        case .sendLocalListParentIdTag: SignalSpec(348, "Send Local List Parent Id Tag", Self.idTag, .write)
        case .sendLocalListExpiration: SignalSpec(358, "Send Local List Expiration Date", .dateTime, .write)
        case .sendLocalListAuthorizationStatus: SignalSpec(360, "Send Local List Authorization Status", .integer, .write)
        case .sendLocalListResult: SignalSpec(363, "Send Local List Result of the request", .integer, .read)
        case .triggerMessageFlag: SignalSpec(366, "Trigger Message Flag", .integer, .readWrite)
        case .triggerMessageRequestedMessage: SignalSpec(367, "Trigger Message Requested Message", .integer, .write)
        case .triggerMessageConnectorId: SignalSpec(368, "Trigger Message Connector ID", .integer, .write)
        case .triggerMessageStatus: SignalSpec(371, "Trigger Message Status", .integer, .read)
        case .remoteStartFlag: SignalSpec(376, "Remote Start Flag", .integer, .readWrite)
        case .remoteStartConnectorId: SignalSpec(377, "Remote Start Connector ID", .integer, .write)
        case .remoteStartIdTag: SignalSpec(378, "Remote Start Id Tag", Self.idTag, .write)
        case .remoteStartResult: SignalSpec(392, "Remote Start Result of the request", .integer, .read)
        case .remoteStopFlag: SignalSpec(396, "Remote Stop Flag", .integer, .readWrite)
        case .remoteStopTransactionId: SignalSpec(397, "Remote Stop Transaction ID", .integer, .write)
        case .remoteStopStatus: SignalSpec(401, "Remote Stop Status", .integer, .read)
        }
    }

    /// Signals whose only values are 0 and 1: also served as coils and discrete inputs (functions 1, 2, 5, 15).
    public var isBoolean: Bool {
        switch self {
        case .communicationStatus, .authorizationFlag, .authorizationProcessed, .startFlag, .startProcessed, .stopFlag, .stopProcessed,
             .cancelReservationFlag, .clearCacheFlag, .clearChargingProfileFlag, .getLocalListVersionFlag, .reserveNowFlag,
             .sendLocalListFlag, .triggerMessageFlag, .remoteStartFlag, .remoteStopFlag:
            true
        default:
            // Including the Reset Flag: 2 requests a Hard reset (ChargeKit extension), so it is not a plain bit.
            false
        }
    }
}

/// The OCPP measurands with a register in each connector block, with the offset of their value (one register pair
/// per phase for the phase-wise ones) and of their unit register.
///
/// - SeeAlso: seeds/003 Appendix 2 "Connectors (yy = 0 to 7)" offsets 4…85.
public enum Measurement: String, CaseIterable, Sendable {
    case currentExport = "Current.Export"
    case currentImport = "Current.Import"
    case currentOffered = "Current.Offered"
    case energyActiveExportRegister = "Energy.Active.Export.Register"
    case energyActiveImportRegister = "Energy.Active.Import.Register"
    case energyReactiveExportRegister = "Energy.Reactive.Export.Register"
    case energyReactiveImportRegister = "Energy.Reactive.Import.Register"
    case energyActiveExportInterval = "Energy.Active.Export.Interval"
    case energyActiveImportInterval = "Energy.Active.Import.Interval"
    case energyReactiveExportInterval = "Energy.Reactive.Export.Interval"
    case energyReactiveImportInterval = "Energy.Reactive.Import.Interval"
    case frequency = "Frequency"
    case powerActiveExport = "Power.Active.Export"
    case powerActiveImport = "Power.Active.Import"
    case powerFactor = "Power.Factor"
    case powerOffered = "Power.Offered"
    case powerReactiveExport = "Power.Reactive.Export"
    case powerReactiveImport = "Power.Reactive.Import"
    case rpm = "RPM"
    case soc = "SoC"
    case temperature = "Temperature"
    case voltage = "Voltage"

    /// Offsets of the value registers: L1, L2, L3 for currents and voltages (L1-N… for voltages), else one.
    public var valueOffsets: [Int] {
        switch self {
        case .currentExport: [4, 6, 8]
        case .currentImport: [11, 13, 15]
        case .currentOffered: [18, 20, 22]
        case .voltage: [79, 81, 83]
        default: [singleOffset]
        }
    }

    private var singleOffset: Int {
        switch self {
        case .energyActiveExportRegister: 25
        case .energyActiveImportRegister: 28
        case .energyReactiveExportRegister: 31
        case .energyReactiveImportRegister: 34
        case .energyActiveExportInterval: 37
        case .energyActiveImportInterval: 40
        case .energyReactiveExportInterval: 43
        case .energyReactiveImportInterval: 46
        case .frequency: 49
        case .powerActiveExport: 52
        case .powerActiveImport: 55
        case .powerFactor: 58
        case .powerOffered: 61
        case .powerReactiveExport: 64
        case .powerReactiveImport: 67
        case .rpm: 70
        case .soc: 73
        case .temperature: 76
        default: -1
        }
    }

    /// Offset of the unit register (codes of ``MeasurementUnit``).
    public var unitOffset: Int {
        switch self {
        case .currentExport: 10
        case .currentImport: 17
        case .currentOffered: 24
        case .voltage: 85
        default: singleOffset + 2
        }
    }

    /// The unit when a sampled value names none: OCPP 1.6 §7.45 defaults energy to Wh; for the others ChargeKit
    /// takes the measurand's natural unit.
    public var defaultUnit: String {
        switch self {
        case .currentExport, .currentImport, .currentOffered: "A"
        case .voltage: "V"
        case .energyActiveExportRegister, .energyActiveImportRegister, .energyActiveExportInterval, .energyActiveImportInterval: "Wh"
        case .energyReactiveExportRegister, .energyReactiveImportRegister, .energyReactiveExportInterval, .energyReactiveImportInterval: "varh"
        case .powerActiveExport, .powerActiveImport, .powerOffered: "W"
        case .powerReactiveExport, .powerReactiveImport: "var"
        case .soc, .powerFactor: "Percent"
        case .temperature: "Celsius"
        case .frequency, .rpm: ""
        }
    }
}

/// The unit codes of the `…Units` registers.
///
/// - SeeAlso: seeds/003 Appendix 2: "0 = Wh 1 = kWh 2 = varh 3 = kvarh 4 = W 5 = kW 6 = VA 7 = kVA 8 = var 9 = kvar
///   10 = A 11 = V 12 = ºC 13 = ºF 14 = ºK 15 = %".
public enum MeasurementUnit {
    /// The code of an OCPP unit; 65535 for a unit the seed's list has no code for (Frequency in Hz and RPM have none).
    public static func code(_ ocppUnit: String) -> UInt16 {
        switch ocppUnit {
        case "Wh": 0
        case "kWh": 1
        case "varh": 2
        case "kvarh": 3
        case "W": 4
        case "kW": 5
        case "VA": 6
        case "kVA": 7
        case "var": 8
        case "kvar": 9
        case "A": 10
        case "V": 11
        case "Celsius", "Celcius": 12
        case "Fahrenheit": 13
        case "K": 14
        case "Percent": 15
        default: 0xFFFF
        }
    }
}

/// The per-connector signals at `512 + 100 + xx*2000 + 100*yy + offset` (yy = 0…7: yy is the OCPP connectorId, so
/// yy = 0 is the charge point as a whole, as in StatusNotification and MeterValues with connectorId 0; the seed's
/// "1 charger + 7 connectors").
///
/// - SeeAlso: seeds/003 Appendix 2 "Connectors (yy = 0 to 7)", "Current Transaction Data"; §2.2 step 4a.
public enum ConnectorSignal: Hashable, Sendable {
    case unlockConnector
    case availability
    case status
    case errorCode
    /// A measurand's value; `phase` 0…2 for L1…L3 (0 for the single-valued ones).
    case value(Measurement, phase: Int)
    case units(Measurement)
    case transactionIdTag
    case transactionMeterValueOnStart
    case transactionTimestamp

    /// Every signal of a connector block.
    public static let all: [ConnectorSignal] = [.unlockConnector, .availability, .status, .errorCode]
        + Measurement.allCases.flatMap { m in m.valueOffsets.indices.map { ConnectorSignal.value(m, phase: $0) } + [.units(m)] }
        + [.transactionIdTag, .transactionMeterValueOnStart, .transactionTimestamp]

    public var spec: SignalSpec {
        switch self {
        case .unlockConnector: SignalSpec(0, "Unlock Connector", .integer, .readWrite, bmsOnly: false)
        case .availability: SignalSpec(1, "Availability", .integer, .readWrite, bmsOnly: false)
        case .status: SignalSpec(2, "status", .integer, .read, bmsOnly: false)
        case .errorCode: SignalSpec(3, "errorCode", .integer, .read, bmsOnly: false)
        case .value(let m, let phase):
            SignalSpec(m.valueOffsets[phase], m.valueOffsets.count == 1 ? m.rawValue : (m == .voltage ? "L\(phase + 1)-N Voltage" : "L\(phase + 1) \(m.rawValue)"),
                       .float, .read, bmsOnly: false)
        case .units(let m): SignalSpec(m.unitOffset, "\(m.rawValue).Units", .integer, .read, bmsOnly: false)
        case .transactionIdTag: SignalSpec(86, "Current Transaction Id Tag", .string(registers: 10), .read, bmsOnly: false)
        case .transactionMeterValueOnStart: SignalSpec(96, "Current Transaction Meter Value on Start", .float, .read, bmsOnly: false)
        case .transactionTimestamp: SignalSpec(98, "Current Transaction Timestamp", .dateTime, .read, bmsOnly: false)
        }
    }

    public var isBoolean: Bool { self == .unlockConnector || self == .availability }
}

/// BMS communication and time synchronisation, registers 0…6.
///
/// - SeeAlso: seeds/003 Appendix 2 "BMS Communication & Time sync", §2.3.1.1.
public enum SystemSignal: Int, CaseIterable, Sendable {
    case heartbeat = 0, second, minute, hour, day, month, year

    public var spec: SignalSpec {
        let names = ["Heartbeat", "SECOND", "MINUTE", "HOUR", "DAY", "MONTH", "YEAR"]
        return SignalSpec(rawValue, names[rawValue], .integer, .readWrite)
    }

    /// The values a write may carry.
    public var allowed: ClosedRange<Int> {
        switch self {
        case .heartbeat: 0...1
        case .second: 0...59
        case .minute: 0...59
        case .hour: 0...23
        case .day: 1...31
        case .month: 1...12
        case .year: 2000...2105
        }
    }
}

/// The status codes of the connector `status` register (seeds/003 Appendix 2).
public enum ConnectorStatusCode {
    public static let names = ["Available", "Preparing", "Charging", "SuspendedEVSE", "SuspendedEV", "Finishing", "Reserved",
                               "Unavailable", "Faulted"]
}

/// The codes of the connector `errorCode` register (seeds/003 Appendix 2).
public enum ConnectorErrorCode {
    public static let names = ["ConnectorLockFailure", "EVCommunicationError", "GroundFailure", "HighTemperature", "InternalError",
                               "LocalListConflict", "NoError", "OtherError", "OverCurrentFailure", "OverVoltage", "PowerMeterFailure",
                               "PowerSwitchFailure", "ReaderFailure", "ResetFailure", "UnderVoltage", "WeakSignal"]
}

/// The authorization result codes the BMS writes (seeds/003 Appendix 2: "0 = Accepted 1 = Blocked 2 = Expired
/// 3 = Invalid 4 = Concurrent Transaction") and the OCPP AuthorizationStatus each stands for.
public enum AuthorizationResultCode {
    public static let statuses: [AuthorizationStatus] = [.accepted, .blocked, .expired, .invalid, .concurrentTx]
}

/// The Stop Transaction reason codes (seeds/003 Appendix 2 "Reason").
public enum StopReasonCode {
    public static let reasons = ["DeAuthorized", "EmergencyStop", "EVDisconnected", "HardReset", "Local", "Other", "PowerLoss", "Reboot",
                                 "Remote", "SoftReset", "UnlockCommand"]
}
