import EVSECore

/// The Modbus TCP register map of the Phoenix Contact EV Charge Control charging controllers with Ethernet: the
/// EM-CP-PP-ETH and the EV-CC-AC1-M3-…-ETH family (EV-CC-AC1-M3-CBC-RCM-ETH, …-ETH-3G, EV-CC-AC1-M3-RCM-ETH-XP), the
/// controllers inside Wallbe, Compleo and Scapo wallboxes. The controller runs the control pilot itself (IEC 61851-1
/// Mode 3): ChargeKit releases charging (coil 400) and sets the current; the controller closes its contactor in state
/// C/D while released.
///
/// Sources (as public documents; Phoenix Contact's own register table is in the user manual of each controller,
/// chapter "Modbus/TCP", which the project could not store): the register numbers, types and byte order below agree in
/// three independent public implementations that were written from that table: evcc's `charger/phoenix-em-eth.go`
/// (EM-CP-PP-ETH: input 100 status as an ASCII character in the low byte, input 102 charging time as 32 bits low word
/// first, holding 300 charging current, coil 400 enable charging, unit id 180) and `charger/phoenix-ev-eth.go`
/// (EV-CC-AC1-M3-…-ETH: the same plus input 105 firmware as ASCII low byte first, holding 528 maximum charging current),
/// and nymea's `phoenixconnect/phoenixconnect-registers.json` (the same, plus input 107 error code with its 16 values,
/// holding 300 as the charging current the controller applies). The input 101 "proximity charging current" (the cable's
/// capacity from PP) and discrete input 200 onwards (the controller's digital inputs) come from a fourth
/// (JNX::PhoenixCharger, unit 180). The error numbers' meaning agrees bit for bit with Phoenix Contact's own EV Charge
/// Control Basic manual (106377_en_04, Table 9-2, register 24025 "Error status": 2 = 13 A cable rejected, 3 = invalid PP,
/// 4 = invalid CP, 5 = status F, 6 locking, 7 unlocking, 8 lock detection unavailable, 11 = status D rejected,
/// 12 = charging contactor error, 13 = no diode, 15 = EV-RCM residual current), which is the Modbus RTU sibling with a
/// different register map (24000…; not this driver's).
public enum PhoenixEVCC {
    /// The unit id the EM-CP-PP-ETH answers on (evcc's default for it: 180). The EV-CC-AC1-M3-…-ETH controllers answer
    /// on 255 (evcc's `phoenix-ev-eth` default), the unit id the Modbus TCP guide recommends for a device addressed by
    /// its IP address (Modbus Messaging on TCP/IP Implementation Guide V1.0b §4.4.2).
    public static let defaultUnitID: UInt8 = 180
    public static let defaultPort = 502

    /// Input registers (function 4) 100–107, read in one request: status, PP capacity, charging time, firmware, error.
    public static let statusBlockStart: UInt16 = 100
    public static let statusBlockCount: UInt16 = 8
    /// Input 100: the IEC 61851-1 status as an ASCII character, "A" … "F".
    public static let statusRegister: UInt16 = 100
    /// Input 101: the current capacity of the plugged cable from PP, in amperes (13, 20, 32, 63; 0 = none).
    public static let cableCapacityRegister: UInt16 = 101
    /// Input 102–103: the charging time in seconds, 32 bits, low word first.
    public static let chargingTimeRegister: UInt16 = 102
    /// Input 105–106: the firmware version, four ASCII characters, low byte of each register first.
    public static let firmwareRegister: UInt16 = 105
    /// Input 107: the error code (``errorIDs(code:)``).
    public static let errorRegister: UInt16 = 107
    /// Holding 300: the charging current in amperes. The EM-CP-PP-ETH takes its set-point here; on the EV-CC-…-ETH
    /// controllers it is the current the controller applies (read only) and the set-point is 528.
    public static let chargingCurrentRegister: UInt16 = 300
    /// Holding 528: the maximum charging current in amperes (EV-CC-AC1-M3-…-ETH only).
    public static let maximumCurrentRegister: UInt16 = 528
    /// Coil 400: charging enabled (the release): off withholds the PWM and opens the contactor.
    public static let enableChargingCoil: UInt16 = 400
    /// Discrete input 200 + n − 1: the controller's digital input n.
    public static let firstInput: UInt16 = 200
    /// The currents the controller takes: 6 A (IEC 61851-1 Table A.8, the lowest PWM current) to 80 A.
    public static let currentRange: ClosedRange<Int> = 6...80

    /// The two register sets: where the current set-point is written.
    public enum Family: String, Sendable, Equatable {
        case emCPPPETH = "EM-CP-PP-ETH"
        case evCCETH = "EV-CC-AC1-M3-ETH"

        public var currentSetPointRegister: UInt16 {
            switch self {
            case .emCPPPETH: PhoenixEVCC.chargingCurrentRegister
            case .evCCETH: PhoenixEVCC.maximumCurrentRegister
            }
        }

        /// Which set the controller has: the EV-CC-…-ETH answer holding 528, the EM-CP-PP-ETH answer it with exception 02.
        public static func detected(answersRegister528: Bool) -> Family { answersRegister528 ? .evCCETH : .emCPPPETH }
    }

    /// The status character of input 100 (low byte; a controller that puts it in the high byte is read too).
    public static func pilot(_ register: UInt16) -> PilotState? {
        let low = UInt8(register & 0xFF), high = UInt8(register >> 8)
        let byte = low != 0 ? low : high
        return PilotState(rawValue: String(UnicodeScalar(byte)))
    }

    /// The cable capacity of input 101: nil for no cable or a value that is not a PP rating (IEC 61851-1 Table B.2).
    public static func cableCapacityAmps(_ register: UInt16) -> Double? {
        [13, 20, 32, 63].contains(register) ? Double(register) : nil
    }

    /// The charging time of inputs 102–103 (low word first), in seconds.
    public static func chargingTimeSeconds(low: UInt16, high: UInt16) -> Int { Int(high) << 16 | Int(low) }

    /// The firmware version of inputs 105–106: the printable characters, low byte of each register first.
    public static func firmware(_ registers: [UInt16]) -> String {
        let bytes = registers.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        return String(decoding: bytes.filter { (0x21...0x7E).contains($0) }, as: UTF8.self)
    }

    /// What input 107's error code means for the station: the ``ErrorCatalogue`` ids it raises. Each mapping, by the
    /// code's meaning in the sources above:
    /// - 1, 2 (a 13 A or 20 A cable rejected): none. The controller refuses a cable below its configured current; the
    ///   controller's cable capacity (input 101) already caps ChargeKit's current, and the driver shows the refusal as
    ///   the vehicle staying in B.
    /// - 3 (invalid PP value), 4 (invalid CP value), 11 (vehicle in state D rejected): `vehicleError` — the vehicle or its
    ///   cable signals something Mode 3 does not allow ("Vehicle signals error", mode3Error).
    /// - 5 (status F, station unavailable): none — the controller's answer to its XR input or to ChargeKit, not a fault.
    /// - 6 (locking failed): `plugLockingFailed`; 7 (unlocking failed): `actuatorStuck` ("cannot unlock"); 8 (lock
    ///   detection unavailable while locking): `actuatorNotDetected`.
    /// - 9 (overload protection: the vehicle draws more than offered): `overCurrentProtection` (OverCurrentFailure).
    /// - 10 (the controller's meter does not answer): `meterNotCommunicating` (PowerMeterFailure, seeds/004 §9 "OCPP
    ///   meter not communicating"; the controller keeps it while either the board or the description's meter reports it).
    /// - 12 (charging contactor error, from its monitoring contact): `contactorWelded` (PowerSwitchFailure).
    /// - 13 (no diode in the vehicle's pilot circuit): `vehicleDiodeCheckFailed`.
    /// - 15 (EV-RCM residual current detected): `rcmbResidualCurrent` (GroundFailure).
    /// - 0 (none), 14 (unknown) and codes beyond the table: none.
    public static func errorIDs(code: UInt16) -> Set<String> {
        switch code {
        case 3, 4, 11: ["vehicleError"]
        case 6: ["plugLockingFailed"]
        case 7: ["actuatorStuck"]
        case 8: ["actuatorNotDetected"]
        case 9: ["overCurrentProtection"]
        case 10: ["meterNotCommunicating"]
        case 12: ["contactorWelded"]
        case 13: ["vehicleDiodeCheckFailed"]
        case 15: ["rcmbResidualCurrent"]
        default: []
        }
    }

    /// What one exchange read from the controller.
    public struct Readings: Sendable, Equatable {
        /// Inputs 100–107.
        public var statusBlock: [UInt16]
        /// Coil 400 as read back.
        public var chargingEnabled: Bool
        /// Holding 300: the current applied (EV-CC-…-ETH) or set (EM-CP-PP-ETH), in amperes.
        public var chargingCurrentAmps: UInt16

        public init(statusBlock: [UInt16], chargingEnabled: Bool, chargingCurrentAmps: UInt16) {
            self.statusBlock = statusBlock; self.chargingEnabled = chargingEnabled; self.chargingCurrentAmps = chargingCurrentAmps
        }
    }

    /// A reading that cannot be a controller's answer (a status register that holds no status character).
    public struct ReadingError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// The connector's status from one exchange's readings.
    ///
    /// The controller has no contactor feedback register in the map: it closes its contactor exactly when charging is
    /// enabled and the vehicle is in C or D, so that is what `relayClosed` says (its own relay command, as
    /// ``SupervisedConnectorStatus/relayClosed`` allows). It has neither a lock command nor a lock feedback register: a
    /// controller with a lock actuator locks by its own rule (its DIP switches: while a vehicle is connected) and reports
    /// a failed locking as error 6 or 8 and a failed unlocking as error 7. So with `lock: board` the plug counts as
    /// locked while ChargeKit wants it locked, a vehicle is connected (B, C, D) and no locking failed; while ChargeKit
    /// wants it unlocked, as locked only when the controller reports that unlocking failed.
    public static func status(_ r: Readings, lock: LockWiring, lockCommanded: Bool) throws(ReadingError) -> SupervisedConnectorStatus {
        guard r.statusBlock.count == Int(statusBlockCount) else {
            throw ReadingError(description: "read \(r.statusBlock.count) status registers, expected \(statusBlockCount)")
        }
        let raw = r.statusBlock[0]
        guard let pilot = pilot(raw) else {
            throw ReadingError(description: "input register 100 holds 0x\(String(raw, radix: 16)), not a status character A–F")
        }
        let code = r.statusBlock[Int(errorRegister - statusBlockStart)]
        let errors = errorIDs(code: code)
        let connected = pilot == .b || pilot == .c || pilot == .d
        let charging = r.chargingEnabled && (pilot == .c || pilot == .d)
        let offering = r.chargingEnabled && connected && currentRange.contains(Int(r.chargingCurrentAmps))
        return SupervisedConnectorStatus(
            pilot: pilot, relayClosed: charging,
            cableCapacityAmps: cableCapacityAmps(r.statusBlock[Int(cableCapacityRegister - statusBlockStart)]),
            lockLocked: lock == .board ? (lockCommanded ? connected && code != 6 && code != 8 : code == 7) : nil,
            signaledAmps: offering ? Double(r.chargingCurrentAmps) : 0,
            errors: errors, diodeCheckOK: code != 13)
    }

    /// The writes one exchange makes.
    public enum Write: Sendable, Equatable {
        case enableCharging(Bool)
        case current(register: UInt16, amps: UInt16)
    }

    /// The controller's set-points as last written (nil: not known, e.g. after a reconnect, so written again).
    public struct Written: Sendable, Equatable {
        public var enabled: Bool?
        public var currentAmps: UInt16?
        public init(enabled: Bool? = nil, currentAmps: UInt16? = nil) { self.enabled = enabled; self.currentAmps = currentAmps }
    }

    /// What to write for `control`, given what was written before and the coil as read back last (a controller that was
    /// restarted has lost its release: the read-back differs and the coil is written again). The current is written
    /// before the release so that the controller never offers the old current with the new release; a withheld
    /// release leaves the current as it was (the controller takes 6–80 A only).
    public static func writes(for control: SupervisedConnectorControl, written: Written, enabledReadBack: Bool?,
                              family: Family) -> [Write] {
        var out: [Write] = []
        let enable = control.released && !control.stateF
        if enable {
            let amps = UInt16(min(max(Int(control.currentAmps.rounded(.down)), currentRange.lowerBound), currentRange.upperBound))
            if written.currentAmps != amps { out.append(.current(register: family.currentSetPointRegister, amps: amps)) }
        }
        if written.enabled != enable || (enabledReadBack != nil && enabledReadBack != enable) { out.append(.enableCharging(enable)) }
        return out
    }
}
