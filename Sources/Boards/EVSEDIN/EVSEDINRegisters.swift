import EVSECore

/// The Modbus registers of the EVSE-DIN / EVSE-WB / SimpleEVSE-WB board (EV Racing, Stegen), and how ChargeKit reads
/// its status and gives it its set-point.
///
/// Source: the manufacturer's datasheet "EVSE Wallbox, DIN, W16" (evracing, document update 1 September 2020,
/// chapter "Modbus", register table for firmware revision 17 and later), which is the document every EVSE-DIN
/// integration refers to. What it says and ChargeKit relies on:
/// - the board is a Modbus RTU slave on RS-485, 9600 baud, 8 data bits, no parity, 1 stop bit, unit id 1 by default
///   (register 2001 holds the address; Modbus must be enabled on the board, the factory default is off); holding
///   registers are read with function 3 and written with function 16 (Write Multiple Registers);
/// - 1000 "configured amps": the current the board offers by PWM (whole amperes). It is volatile: after power-up the
///   board takes 2000 "current after boot". With 0 the board generates no PWM (1006 "EVSE state" stays 1, steady
///   12 V): that is how charging is withheld (1006: "PWM is being generated, only if 1000 ≥ 6");
/// - 1001 "amps output": the current the PWM signals now;
/// - 1002 "vehicle state": 1 ready (no vehicle), 2 EV is present, 3 charging, 4 charging with ventilation, 5 failure
///   (e.g. diode check, RCD failure);
/// - 1003 "cable current limit": what the proximity pilot (PP) resistor allows, in amperes (13, 20, 32, 63);
/// - 1004 "turn off / self test": bit 0 turn off charging now, bit 1 self test and RCD test, bit 2 clear RCD error;
/// - 1005 "firmware revision";
/// - 1006 "EVSE state": 1 steady 12 V, 2 PWM is being generated, 3 OFF (steady 12 V, charging disabled);
/// - 1007 "EVSE status and fails": bit 0 relay on/off, bit 1 diode check fail, bit 2 vent required fail, bit 3 waiting
///   for pilot release (error recovery delay), bit 4 RCD check error;
/// - 2000–2017 configuration (EEPROM): 2000 current after boot, 2001 Modbus address/enable, 2002 minimum current,
///   2005 the behaviour bits (bit 13 "disable EVSE after charge", bit 14 "disable EVSE"), 2007 PP detection.
///
/// ChargeKit writes only 1000 (never the EEPROM block, whose cells wear): released → the controller's current in whole
/// amperes (rounded down, so that the board never offers more than allowed), withheld or state F → 0. The board has
/// no state F (−12 V) output and the datasheet lists no communication watchdog: see ``EVSEDINRegisters/silenceNote``.
public enum EVSEDINRegisters {
    public static let configuredAmps: UInt16 = 1000
    public static let ampsOutput: UInt16 = 1001
    public static let vehicleState: UInt16 = 1002
    public static let cableLimit: UInt16 = 1003
    public static let turnOff: UInt16 = 1004
    public static let firmware: UInt16 = 1005
    public static let evseState: UInt16 = 1006
    public static let statusAndFails: UInt16 = 1007
    /// The status block read in each exchange: 1000…1007.
    public static let statusBlock: (address: UInt16, quantity: UInt16) = (1000, 8)
    public static let currentAfterBoot: UInt16 = 2000
    public static let behaviour: UInt16 = 2005

    /// The largest current register 1000 takes (the datasheet: 80 A).
    public static let maximumAmps = 80

    /// What the board does when ChargeKit goes silent, for docs and logs.
    public static let silenceNote = "the EVSE-DIN has no communication watchdog: it keeps the last current of register 1000 until "
        + "the vehicle is unplugged or the board is powered off (then it takes register 2000, current after boot)"

    /// The value of register 1000 for `control`.
    public static func configuredAmps(for control: SupervisedConnectorControl) -> UInt16 {
        guard control.released, !control.stateF, control.currentAmps >= PWM.minimumAmps else { return 0 }
        return UInt16(min(Double(maximumAmps), control.currentAmps.rounded(.down)))
    }

    /// A status block that cannot be a board's answer (out-of-range vehicle state): the exchange fails on it.
    public struct UnknownState: Error, Sendable, Equatable, CustomStringConvertible {
        public var register: UInt16
        public var value: UInt16
        public init(register: UInt16, value: UInt16) { self.register = register; self.value = value }
        public var description: String { "register \(register) holds \(value), which the EVSE-DIN datasheet does not define" }
    }

    /// The connector status from the registers 1000…1007.
    public static func status(_ r: [UInt16]) throws(UnknownState) -> SupervisedConnectorStatus {
        guard r.count == Int(statusBlock.quantity) else { throw UnknownState(register: statusBlock.address, value: UInt16(r.count)) }
        let fails = r[7]
        let diodeFail = fails & (1 << 1) != 0
        let ventFail = fails & (1 << 2) != 0
        let rcdFail = fails & (1 << 4) != 0
        let pilot: PilotState
        switch r[2] {
        case 1: pilot = .a
        case 2: pilot = .b
        case 3: pilot = .c
        case 4: pilot = .d
        // "failure (e.g. diode check, RCD failure)": the vehicle is there; a failure without its cause in 1007 is the
        // vehicle's (pilot E), a diode check or RCD failure is reported as what it is and the vehicle stays in B.
        case 5: pilot = ventFail ? .d : (diodeFail || rcdFail) ? .b : .e
        default: throw UnknownState(register: vehicleState, value: r[2])
        }
        guard (1...3).contains(r[6]) else { throw UnknownState(register: evseState, value: r[6]) }
        let pwm = r[6] == 2
        var errors: Set<String> = []
        if rcdFail { errors.insert("rcdFault") }
        // The board closes its relay in vehicle state C or D while it generates the PWM (bit 0 of 1007 says "relay
        // on/off" without its polarity, so the state is derived from what the datasheet does define).
        let closed = pwm && (r[2] == 3 || r[2] == 4)
        return SupervisedConnectorStatus(pilot: pilot, relayClosed: closed,
                                         cableCapacityAmps: r[3] > 0 && pilot != .a ? Double(r[3]) : nil, lockLocked: nil,
                                         signaledAmps: pwm ? Double(r[1]) : 0, errors: errors, diodeCheckOK: !diodeFail)
    }
}
