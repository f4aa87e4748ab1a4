import EVSECore
import ModbusTCP

/// The hardware of one station, as the installer or manufacturer describes it in the file given to
/// `chargekit station --board FILE` (JSON; the format and a full example per board are in docs/hardware.md): which
/// board driver, how it is reached, and per connector its charge meter, lock and LEDs; the RFID reader; the digital
/// inputs with their polarity.
///
/// The description is checked whole before anything is opened: a wrong one stops the start with the field's path,
/// what was found and what is allowed (``BoardDescriptionError``).
public struct BoardDescription: Sendable, Equatable {
    public var driver: BoardDriverKind
    /// How the board is reached: a serial line (OpenEVSE, EVSE-DIN) or Modbus TCP (Phoenix Contact); none for the simulator.
    public var link: DeviceLink?
    /// How often the board (and each meter) is polled.
    public var pollIntervalMilliseconds: Int
    /// One per connector, in order (connector 1 first).
    public var connectors: [ConnectorHardware]
    public var rfid: RFIDReaderDescription?
    /// The digital inputs that are wired, with where they are read.
    public var inputs: [BoardInput: InputSource]
    /// The Linux LED class directory (`/sys/class/leds`; a test points it at a directory tree of its own).
    public var ledRoot: String

    public init(driver: BoardDriverKind, link: DeviceLink? = nil, pollIntervalMilliseconds: Int = 100, connectors: [ConnectorHardware],
                rfid: RFIDReaderDescription? = nil, inputs: [BoardInput: InputSource] = [:], ledRoot: String = "/sys/class/leds") {
        self.driver = driver; self.link = link; self.pollIntervalMilliseconds = pollIntervalMilliseconds; self.connectors = connectors
        self.rfid = rfid; self.inputs = inputs; self.ledRoot = ledRoot
    }
}

/// The board drivers ChargeKit has.
public enum BoardDriverKind: String, Sendable, Equatable, CaseIterable {
    /// The built-in simulator (what `--simulate` chooses).
    case simulated
    /// OpenEVSE controller over RAPI (serial).
    case openEVSE = "openevse"
    /// EVSE-DIN / SimpleEVSE-WB over Modbus RTU.
    case evseDIN = "evse-din"
    /// Phoenix Contact EV Charge Control (EM-CP-PP-ETH family) over Modbus TCP.
    case phoenixEVCC = "phoenix-ev-charge-control"

    /// The link the driver needs.
    public var linkKind: DeviceLink.Kind? {
        switch self {
        case .simulated: nil
        case .openEVSE, .evseDIN: .serial
        case .phoenixEVCC: .tcp
        }
    }

    /// How many connectors one board of this kind drives (EVSE-DIN boards share one bus, one unit id each).
    public var connectorRange: ClosedRange<Int> {
        switch self {
        case .simulated, .evseDIN: 1...2
        case .openEVSE, .phoenixEVCC: 1...1
        }
    }
}

/// How a device is reached.
public enum DeviceLink: Sendable, Equatable {
    case serial(SerialSettings)
    case tcp(host: String, port: Int)

    public enum Kind: String, Sendable { case serial, tcp }
    public var kind: Kind { if case .serial = self { .serial } else { .tcp } }

    /// The device path or address, as start-up errors and logs name it.
    public var address: String {
        switch self {
        case .serial(let s): s.device
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }
}

/// One connector's hardware around the board.
public struct ConnectorHardware: Sendable, Equatable {
    /// The board's Modbus unit id for this connector (EVSE-DIN: one board per connector on a shared bus; Phoenix: the
    /// controller's unit id); nil for boards that are not addressed by unit.
    public var unitID: UInt8?
    /// Whether the socket's lock actuator is driven and sensed by the board (`board`) or there is none (`none`, a
    /// tethered cable).
    public var lock: LockWiring
    public var meter: ChargeMeterDescription?
    /// The connector's LEDs: names under the LED root (Linux LED class).
    public var leds: [LEDOutput: String]
    /// The network interface of the connector's HomePlug Green PHY powerline modem (e.g. `eth1`, `qca0` for a QCA7000 on
    /// SPI), on which the station runs ISO 15118-3 SLAC; nil: the connector has no modem (no ISO 15118).
    public var plcInterface: String?

    public init(unitID: UInt8? = nil, lock: LockWiring = .none, meter: ChargeMeterDescription? = nil, leds: [LEDOutput: String] = [:],
                plcInterface: String? = nil) {
        self.unitID = unitID; self.lock = lock; self.meter = meter; self.leds = leds; self.plcInterface = plcInterface
    }
}

public enum LockWiring: String, Sendable, Equatable, CaseIterable {
    case none
    case board
}

/// A connector's LED outputs: the red, green and blue status LEDs (seeds/004 §6: green, yellow = red + green, blue,
/// white = all three) and the ring around the card reader's antenna that turns when a card is read.
public enum LEDOutput: String, Sendable, Equatable, CaseIterable, Hashable {
    case red, green, blue, ring
}

/// A connector's charge meter.
public struct ChargeMeterDescription: Sendable, Equatable {
    public var model: ChargeMeterModel
    public var unitID: UInt8
    /// Where the meter is reached; nil: on the board's own serial bus (shared with an EVSE-DIN board).
    public var link: DeviceLink?

    public init(model: ChargeMeterModel, unitID: UInt8, link: DeviceLink? = nil) {
        self.model = model; self.unitID = unitID; self.link = link
    }
}

/// The charge meters with a built-in register layout.
public enum ChargeMeterModel: String, Sendable, Equatable, CaseIterable {
    case sdm630 = "eastron-sdm630"
    case sdm72d = "eastron-sdm72d"
    case abbB23 = "abb-b23"
    case em340 = "carlo-gavazzi-em340"
}

/// The RFID reader.
public enum RFIDReaderDescription: Sendable, Equatable {
    /// A PC/SC reader (pcscd): the first whose name contains `reader` (empty: the first reader).
    case pcsc(reader: String)
}

/// The digital inputs a board description can wire.
///
/// - SeeAlso: seeds/000 "Lastabwurf konfigurieren" ("Opto 1 In"), seeds/004 §7.4 "External Input 2 Config"; seeds/004 §9
///   "MCB of type 2 socket triggered", "RCD-Fault", "Surge Protection Device (SPD) tripped" (auxiliary contacts).
public enum BoardInput: String, Sendable, Equatable, Hashable, CaseIterable {
    case opto1
    case input2
    case mcbTrip
    case surgeProtector
    case rcdFault
}

/// Where a digital input is read.
public struct InputSource: Sendable, Equatable {
    public enum Origin: Sendable, Equatable {
        /// A digital input of the board itself (Phoenix Contact: IN1…), by number.
        case board(index: Int)
        /// A file whose first character is `0` or `1` (a Linux GPIO's `value`, `/sys/class/gpio/gpioN/value`).
        case file(path: String)
    }
    public var origin: Origin
    /// The contact is active when the line is low (a normally closed auxiliary contact).
    public var activeLow: Bool
    /// The connector the input concerns (MCB and RCD contacts); nil: the whole station.
    public var connector: Int?

    public init(_ origin: Origin, activeLow: Bool = false, connector: Int? = nil) {
        self.origin = origin; self.activeLow = activeLow; self.connector = connector
    }

    /// The input's meaning from the line level.
    public func isActive(level: Bool) -> Bool { level != activeLow }
}
