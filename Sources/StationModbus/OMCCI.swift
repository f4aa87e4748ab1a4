#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CivilDate
import EVSECore
import ModbusTCP

/// The "Open Modbus Charge Control Interface" register set of Bender CC612/CC613 controllers
/// (address set "Ebee / Bender / MENNEKES"), every register of seeds/000 MODBUS-REGISTERSATZ.
///
/// Choices where the sources leave room (Bender CC612/CC613 OMCCI register set as published by Bender and Mennekes, and how evcc uses it):
/// - FIRMWARE_VERSION (100–101) reports "5.22", the compatibility level whose semantics ChargeKit follows:
///   register 124 reads and takes **1 = available, 0 = unavailable** (the meaning since firmware 5.22),
///   HEMS_CURRENT_LIMIT (1000) starts at 32 A, and registers 134, 152, 218–227, 715–719 are filled.
/// - Inside the blocks 100–152, 200–227, 600–635, 700–746 undefined addresses read 0; every other address
///   (e.g. 1001, 1002, which energy managers probe) answers exception 02.
/// - 2000 CHARGEKIT_CHARGE_MODE is ChargeKit's own (no seed names one; an address far from the OMCCI blocks, so
///   that energy managers probing 1001/1002 still see exception 02): the PV charge mode of the connector, 0 Fast,
///   1 Min+PV, 2 PV (parameter ChargeMode.<n>); other values → 03.
/// - Only function 03 reads and 06/16 writes are served (holding registers); 01, 02, 04, 05, 15 answer 01.
/// - Writes: read-only registers → 02; values out of range → 03 (124: 0/1; 131: 0–80 A; 132: 0–3600 s;
///   1000: 0 or 6–80 A; 1110–1119: 1–20 printable characters); 1110–1119 with "Allow Start/Stop
///   Transaction" Off and 613–615 on a station that is not a DLM master → 01 (server in the wrong state).
///   1110–1119 may be written register by register (``OMCCIRegisterWrites``: complete when its last register is
///   written, discarded 15 s after its latest piece).
/// - 712 is the station's Minimum Current Limit; 701/703 (the vehicle's departure, ISO 15118), 707/710 are UTC (the seeds' Bender controllers keep their clock in
///   UTC; seeds/004's screens show "… UTC").
public enum OMCCI {
    public static let firmwareVersion = "5.22"
    public static let protocolVersion = "0.14"
    public static let deviceID: Int64 = 0xEBEE

    /// ERROR_CODES bits (reference §8.7) of the catalogued errors. Bit 4 ("MCB of domestic socket") is never set:
    /// ChargeKit drives no domestic socket, and the catalogue has no such entry.
    public static let errorBits: [String: Int] = [
        "rcmbResidualCurrent": 0, "vehicleError": 1, "vehicleDiodeCheckFailed": 2, "mcbType2Triggered": 3,
        "rcdFault": 5, "contactorWelded": 6, "backendDisconnected": 7, "plugLockingFailed": 8,
        "actuatorStuck": 10, "actuatorNotDetected": 11,
    ]

    private static func r(_ a: UInt16, _ n: String, _ t: RegisterType, _ access: RegisterAccess = .read, unit: String? = nil,
                          word: WordOrder = .highFirst, byte: ByteOrder = .bigEndian) -> RegisterDefinition {
        RegisterDefinition(a, n, t, access: access, unit: unit, wordOrder: word, byteOrder: byte)
    }

    /// The register map.
    public static let map = RegisterMap(definitions: [
        r(100, "FIRMWARE_VERSION", .ascii(registers: 2)),
        r(104, "OCPP_CP_STATUS", .uint16),
        r(105, "ERROR_CODES_1", .uint32, word: .lowFirst, byte: .littleEndian),
        r(107, "ERROR_CODES_2", .uint32, word: .lowFirst, byte: .littleEndian),
        r(109, "ERROR_CODES_3", .uint32, word: .lowFirst, byte: .littleEndian),
        r(111, "ERROR_CODES_4", .uint32, word: .lowFirst, byte: .littleEndian),
        r(120, "PROTOCOL_VERSION", .ascii(registers: 2)),
        r(122, "VEHICLE_STATE", .uint16),
        r(123, "VEHICLE_STATE_HEX", .uint16),
        r(124, "CP_AVAILABILITY", .uint16, .readWrite),
        r(131, "SAFE_CURRENT", .uint16, .readWrite, unit: "A"),
        r(132, "COMM_TIMEOUT", .uint16, .readWrite, unit: "s"),
        r(133, "HARDWARE_CURRENT_LIMIT", .uint16, unit: "A"),
        r(134, "OPERATOR_CURRENT_LIMIT", .uint16, unit: "A"),
        r(135, "RCMB_MODE", .uint16),
        r(136, "RCMB_RMS_INTEGRAL", .uint16, unit: "mA"),
        r(137, "RCMB_RMS_FRACTIONAL", .uint16, unit: "0.01 mA"),
        r(138, "RCMB_DC_INTEGRAL", .uint16, unit: "mA"),
        r(139, "RCMB_DC_FRACTIONAL", .uint16, unit: "0.01 mA"),
        r(140, "RELAY_STATE", .uint16),
        r(141, "DEVICE_ID", .uint16),
        r(142, "CHARGEPOINT_MODEL", .ascii(registers: 10)),
        r(152, "PLUG_LOCK_DETECT", .uint16),
        r(200, "METER_ENERGY_L1", .uint32, unit: "Wh"), r(202, "METER_ENERGY_L2", .uint32, unit: "Wh"),
        r(204, "METER_ENERGY_L3", .uint32, unit: "Wh"),
        r(206, "METER_POWER_L1", .uint32, unit: "W"), r(208, "METER_POWER_L2", .uint32, unit: "W"),
        r(210, "METER_POWER_L3", .uint32, unit: "W"),
        r(212, "METER_CURRENT_L1", .uint32, unit: "mA"), r(214, "METER_CURRENT_L2", .uint32, unit: "mA"),
        r(216, "METER_CURRENT_L3", .uint32, unit: "mA"),
        r(218, "METER_TOTAL_ENERGY", .uint32, unit: "Wh"), r(220, "METER_TOTAL_POWER", .uint32, unit: "W"),
        r(222, "METER_VOLTAGE_L1", .uint32, unit: "V"), r(224, "METER_VOLTAGE_L2", .uint32, unit: "V"),
        r(226, "METER_VOLTAGE_L3", .uint32, unit: "V"),
        r(600, "DLM_MODE", .uint16),
        r(610, "DLM_EVSE_SUB_DISTRIBUTION_LIMIT_L1", .uint16, unit: "A"), r(611, "DLM_EVSE_SUB_DISTRIBUTION_LIMIT_L2", .uint16, unit: "A"),
        r(612, "DLM_EVSE_SUB_DISTRIBUTION_LIMIT_L3", .uint16, unit: "A"),
        r(613, "DLM_OPERATOR_EVSE_SUB_DISTRIBUTION_LIMIT_L1", .uint16, .readWrite, unit: "A"),
        r(614, "DLM_OPERATOR_EVSE_SUB_DISTRIBUTION_LIMIT_L2", .uint16, .readWrite, unit: "A"),
        r(615, "DLM_OPERATOR_EVSE_SUB_DISTRIBUTION_LIMIT_L3", .uint16, .readWrite, unit: "A"),
        r(620, "DLM_EXTERNAL_METER_SUPPORT", .uint16),
        r(621, "DLM_NUM_SLAVES_CONNECTED", .uint16),
        r(630, "DLM_OVERALL_CURRENT_APPLIED_L1", .uint16, unit: "A"), r(631, "DLM_OVERALL_CURRENT_APPLIED_L2", .uint16, unit: "A"),
        r(632, "DLM_OVERALL_CURRENT_APPLIED_L3", .uint16, unit: "A"),
        r(633, "DLM_OVERALL_CURRENT_AVAILABLE_L1", .uint16, unit: "A"), r(634, "DLM_OVERALL_CURRENT_AVAILABLE_L2", .uint16, unit: "A"),
        r(635, "DLM_OVERALL_CURRENT_AVAILABLE_L3", .uint16, unit: "A"),
        r(700, "REQ_ENERGY_15118_16", .uint16, unit: "Wh"),
        r(701, "SCHED_DEP_TIME_15118", .bcd(registers: 2)),
        r(703, "SCHED_DEP_DATE_15118", .bcd(registers: 2)),
        r(705, "CHARGED_ENERGY_16", .uint16, unit: "Wh"),
        r(706, "SIGNALED_CURRENT", .uint16, unit: "A"),
        r(707, "START_TIME", .bcd(registers: 2)),
        r(709, "CHARGE_DURATION_16", .uint16, unit: "s"),
        r(710, "END_TIME", .bcd(registers: 2)),
        r(712, "MINIMUM_CURRENT_LIMIT", .uint16, unit: "A"),
        r(713, "REQ_ENERGY_15118", .uint32, unit: "Wh"),
        r(715, "MAX_CURRENT_EV", .uint16, unit: "A"),
        r(716, "CHARGED_ENERGY", .uint32, unit: "Wh"),
        r(718, "CHARGE_DURATION", .uint32, unit: "s"),
        r(720, "IDTAG", .ascii(registers: 10)),
        r(730, "EV_BATTERY_STATE", .uint16, unit: "%"),
        r(740, "SMART_VEHICLE_DETECTED", .uint16),
        r(741, "EVCCID", .ascii(registers: 6)),
        r(1000, "HEMS_CURRENT_LIMIT", .uint16, .readWrite, unit: "A"),
        r(1110, "WRITE_IDTAG", .ascii(registers: 10), .write),
        r(2000, "CHARGEKIT_CHARGE_MODE", .uint16, .readWrite),
    ], blocks: [100...152, 200...227, 600...635, 700...746, 1000...1000, 1110...1119, 2000...2000])

    /// Register 104: the OCPP status enumeration.
    public static func statusCode(_ s: ConnectorStatus) -> Int64 {
        switch s {
        case .available: 0
        case .reserved: 2
        case .unavailable: 3
        case .faulted: 4
        case .preparing: 5
        case .charging: 6
        case .suspendedEVSE: 7
        case .suspendedEV: 8
        case .finishing: 9
        }
    }

    /// hhmmss (UTC) as a decimal number for the BCD registers 707/710: the table (seeds/000) names no zone, and the
    /// controllers of this register set run on UTC (seeds/004's web header "… UTC"), so energy managers expect UTC.
    static func hhmmss(_ d: Date?) -> Int64 {
        guard let d else { return 0 }
        let s = Int64(d.timeIntervalSince1970.rounded(.down)) % 86_400
        return (s / 3600) * 10_000 + (s % 3600 / 60) * 100 + s % 60
    }

    /// ddmmyy (UTC) as a decimal number for the BCD register 703, the scheduled departure's date: the table (seeds/000)
    /// gives the format as `ddmmyy` (its name says yymmdd; the format's text is the more specific), in UTC like 701.
    static func ddmmyy(_ d: Date?) -> Int64 {
        guard let d else { return 0 }
        let (year, month, day, _, _) = CivilDate.split(secondsSince1970: Int64(d.timeIntervalSince1970.rounded(.down)))
        return Int64(day) * 10_000 + Int64(month) * 100 + Int64(year % 100)
    }

    /// The value of the register (the first register of a multi-register value) at `address` for a connector's state.
    public static func value(at address: UInt16, _ s: OMCCIState) -> RegisterValue {
        let m = s.meter
        func meter(_ v: Double) -> RegisterValue { m.communicating ? .integer(Int64(max(0, v.rounded()))) : .unavailable }
        func n(_ v: Double) -> RegisterValue { .integer(Int64(max(0, v.rounded(.down)))) }
        switch address {
        case 100: return .text(firmwareVersion)
        case 104: return .integer(statusCode(s.status))
        case 105, 107, 109: return .integer(0)
        case 111: return .integer(Int64(s.activeErrorIDs.compactMap { errorBits[$0] }.reduce(0) { $0 | (1 << $1) }))
        case 120: return .text(protocolVersion)
        case 122: return .integer(s.pilot == .f ? 5 : Int64(s.pilot.modbusCode))
        case 123: return .integer(Int64(s.pilot.modbusHexCode))
        case 124: return .integer(s.operative ? 1 : 0)
        case 131: return n(s.safeCurrentAmps)
        case 132: return n(s.commTimeoutSeconds)
        case 133: return n(s.hardwareLimitAmps)
        case 134: return n(s.operatorLimitAmps)
        case 135: return .integer(Int64(s.residualCurrent.mode))
        case 136: return .integer(Int64(ResidualCurrentReading.registerParts(s.residualCurrent.rmsMilliamps).integral))
        case 137: return .integer(Int64(ResidualCurrentReading.registerParts(s.residualCurrent.rmsMilliamps).fractional))
        case 138: return .integer(Int64(ResidualCurrentReading.registerParts(s.residualCurrent.dcMilliamps).integral))
        case 139: return .integer(Int64(ResidualCurrentReading.registerParts(s.residualCurrent.dcMilliamps).fractional))
        case 140: return .integer(s.relays == .threePhase ? 1 : s.relays == .onePhase ? 5 : 0)
        case 141: return .integer(deviceID)
        case 142: return .text(s.model)
        case 152: return .integer(s.lockDetected ? 1 : 0)
        // The meter keeps one energy register: it is the total, in 200 (compatibility) and 218; 202/204 n/a.
        case 200, 218: return meter(m.energyWh)
        case 202, 204: return .unavailable
        case 206: return meter(m.powerW.l1)
        case 208: return meter(m.powerW.l2)
        case 210: return meter(m.powerW.l3)
        case 212: return meter(m.currentA.l1 * 1000)
        case 214: return meter(m.currentA.l2 * 1000)
        case 216: return meter(m.currentA.l3 * 1000)
        case 220: return meter(m.totalPowerW)
        case 222: return meter(m.voltageV.l1)
        case 224: return meter(m.voltageV.l2)
        case 226: return meter(m.voltageV.l3)
        case 600...635:
            guard let dlm = s.dlm else { return .integer(0) }
            switch address {
            case 600: return .integer(dlm.mode)
            case 610...612: return n(dlm.subDistributionLimitAmps[Int(address) - 610])
            case 613...615: return n(dlm.operatorSubDistributionLimitAmps[Int(address) - 613])
            case 620: return .integer(dlm.externalMeterSupport ? 1 : 0)
            case 621: return .integer(Int64(dlm.slavesConnected))
            case 630...632: return n(dlm.appliedAmps[Int(address) - 630])
            case 633...635: return n(dlm.availableAmps[Int(address) - 633])
            default: return .integer(0)
            }
        case 700: return n(min(65535, s.vehicle?.requiredEnergyWh ?? 0))
        case 701: return .integer(hhmmss(s.vehicle?.departure))
        case 703: return .integer(ddmmyy(s.vehicle?.departure))
        case 705: return n(min(65535, s.sessionEnergyWh))
        case 706: return n(s.signaledCurrentAmps)
        case 707: return .integer(hhmmss(s.sessionStart))
        case 709: return n(min(65535, s.sessionDurationSeconds))
        case 710: return .integer(s.sessionStart == nil ? hhmmss(s.lastSessionEnd) : 0)
        case 712: return n(s.minimumCurrentAmps)
        case 713: return n(s.vehicle?.requiredEnergyWh ?? 0)
        case 715: return n(s.vehicle?.maxCurrentAmps ?? 0)
        case 716: return n(s.sessionEnergyWh)
        case 718: return n(s.sessionDurationSeconds)
        case 720:
            guard s.allowUIDDisclose, let id = s.sessionIdTag, !id.isEmpty else { return .text(String(repeating: " ", count: 20)) }
            let clipped = String(id.prefix(20))
            return .text(String(repeating: " ", count: 20 - clipped.count) + clipped)
        case 730: return s.vehicle?.stateOfChargePercent.map { n($0) } ?? .integer(0)
        case 740: return .integer(s.vehicle != nil ? 1 : 0)
        case 741: return s.evccid.map { .text(String($0.filter { $0 != ":" && $0 != "-" }.uppercased().prefix(12))) } ?? .integer(0)
        case 1000: return n(s.hemsLimitAmps)
        case 2000: return .integer(Int64(s.chargeModeCode))
        default: return .integer(0)
        }
    }

    /// Whether the server refuses any write to `d` in its state (01, SERVER IN THE WRONG STATE): 1110–1119 while "Allow
    /// Start/Stop Transaction" is Off, 613–615 on a station that is no DLM master. Asked before a piece of a
    /// multi-register value is kept (``OMCCIRegisterWrites``).
    public static func refusesWrite(_ d: RegisterDefinition, allowStartStop: Bool, dlmMaster: Bool) -> ExceptionCode? {
        switch d.address {
        case 1110: allowStartStop ? nil : .illegalFunction
        case 613, 614, 615: dlmMaster ? nil : .illegalFunction
        default: nil
        }
    }

    /// Validates a write to one definition. `allowStartStop` gates 1110–1119; 613–615 take writes only on a DLM master.
    public static func parseWrite(_ d: RegisterDefinition, _ registers: [UInt16], allowStartStop: Bool,
                                  dlmMaster: Bool = false) -> Result<OMCCIWrite, ExceptionCode> {
        let v = registers.first.map(Int.init) ?? -1
        switch d.address {
        case 124:
            guard v == 0 || v == 1 else { return .failure(.illegalDataValue) }
            return .success(.availability(v == 1))
        case 131:
            guard (0...80).contains(v) else { return .failure(.illegalDataValue) }
            return .success(.safeCurrent(v))
        case 132:
            guard (0...3600).contains(v) else { return .failure(.illegalDataValue) }
            return .success(.commTimeout(v))
        case 1000:
            guard v == 0 || (6...80).contains(v) else { return .failure(.illegalDataValue) }
            return .success(.hemsLimit(v))
        case 1110:
            guard allowStartStop else { return .failure(.illegalFunction) }
            guard case .text(let raw) = d.decode(registers) else { return .failure(.illegalDataValue) }
            let id = raw.trimmingSpacesAndNUL
            guard (1...20).contains(id.count), id.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                return .failure(.illegalDataValue)
            }
            return .success(.idTag(id))
        case 2000:
            guard (0...2).contains(v) else { return .failure(.illegalDataValue) }
            return .success(.chargeMode(v))
        case 613, 614, 615:
            guard dlmMaster else { return .failure(.illegalFunction) }
            guard (0...9999).contains(v) else { return .failure(.illegalDataValue) }
            return .success(.operatorSubDistribution(phase: Int(d.address) - 613, amps: v))
        default:
            return .failure(.illegalDataAddress)
        }
    }
}

extension String {
    fileprivate var trimmingSpacesAndNUL: String {
        String(drop(while: { $0 == " " || $0 == "\0" }).reversed().drop(while: { $0 == " " || $0 == "\0" }).reversed())
    }
}

extension OMCCI {
    /// The answer to a Read Holding Registers of `quantity` registers from `address` over one connector's state
    /// (seeds/001 §6.2): the registers, or the exception the map gives (02 for an address it does not hold).
    public static func readAnswer(address: UInt16, quantity: UInt16, _ state: OMCCIState) -> ModbusResponse {
        switch map.read(address: address, quantity: quantity, valueAt: { value(at: $0, state) }) {
        case .success(let registers): .registers(.readHoldingRegisters, registers)
        case .failure(let code): .exception(function: FunctionCode.readHoldingRegisters.rawValue, code)
        }
    }
}
