/// An answer of the board that does not have the form the RAPI document gives: the command and what was wrong.
public struct RAPIParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The typed answers ChargeKit reads, each from the command's description in `rapi_proc.h` (RAPI 5.2.1; see ``RAPI``).
/// Every initializer takes the checked ``RAPIMessage`` and throws a ``RAPIParseError`` naming the command and field
/// when it is a `$NK` or its parameters do not fit.
enum RAPIField {
    static func require(_ m: RAPIMessage, _ command: String, atLeast count: Int) throws(RAPIParseError) {
        guard m.isOK else { throw RAPIParseError("$\(command) answered $NK \(m.parameters.joined(separator: " "))") }
        guard m.parameters.count >= count else {
            throw RAPIParseError("$\(command) answered \(m.parameters.count) value(s), expected \(count): \(m.parameters.joined(separator: " "))")
        }
    }

    static func hex<T: FixedWidthInteger & UnsignedInteger>(_ m: RAPIMessage, _ i: Int, _ command: String, _ field: String) throws(RAPIParseError) -> T {
        guard let v = T(m.parameters[i], radix: 16), m.parameters[i].utf8.allSatisfy(RAPIFramer.isHexDigit) else {
            throw RAPIParseError("$\(command) \(field): expected hex digits, got \(m.parameters[i])")
        }
        return v
    }

    static func decimal(_ m: RAPIMessage, _ i: Int, _ command: String, _ field: String) throws(RAPIParseError) -> Int {
        guard let v = Int(m.parameters[i]), v > Int(Int32.min), v < Int(UInt32.max) else {
            throw RAPIParseError("$\(command) \(field): expected a decimal number, got \(m.parameters[i])")
        }
        return v
    }
}

/// `$GS` (get state): `$OK evsestate elapsed pilotstate vflags` — EVSE state (hex, `EVSE_STATE_xxx`), elapsed charge
/// time of the current or last session in seconds (decimal), the pilot state (hex, `EVSE_STATE_xxx`), the flags
/// (hex). Firmware before the pilot state and flags were added answers only the first two; they are nil then.
public struct OpenEVSEStateReport: Sendable, Equatable {
    public var evseState: UInt8
    public var elapsedSeconds: Int
    public var pilotState: UInt8?
    public var flags: UInt16?

    public init(evseState: UInt8, elapsedSeconds: Int = 0, pilotState: UInt8? = nil, flags: UInt16? = nil) {
        self.evseState = evseState; self.elapsedSeconds = elapsedSeconds; self.pilotState = pilotState; self.flags = flags
    }

    public init(_ m: RAPIMessage) throws(RAPIParseError) {
        try RAPIField.require(m, "GS", atLeast: 2)
        evseState = try RAPIField.hex(m, 0, "GS", "evsestate")
        elapsedSeconds = try RAPIField.decimal(m, 1, "GS", "elapsed")
        pilotState = try m.parameters.count >= 3 ? RAPIField.hex(m, 2, "GS", "pilotstate") as UInt8 : nil
        flags = try m.parameters.count >= 4 ? RAPIField.hex(m, 3, "GS", "vflags") as UInt16 : nil
    }
}

/// The asynchronous state notifications: `$AT evsestate pilotstate currentcapacity vflags` (RAPI 5: EVSE and pilot
/// state in hex, the current capacity in amperes, decimal, the flags in hex), sent whenever the EVSE state changes;
/// and `$ST state` (RAPI 4.0.1 and earlier: the EVSE state in hex only).
public struct OpenEVSETransition: Sendable, Equatable {
    public var evseState: UInt8
    public var pilotState: UInt8?
    public var currentCapacityAmps: Int?
    public var flags: UInt16?

    public init(evseState: UInt8, pilotState: UInt8? = nil, currentCapacityAmps: Int? = nil, flags: UInt16? = nil) {
        self.evseState = evseState; self.pilotState = pilotState; self.currentCapacityAmps = currentCapacityAmps; self.flags = flags
    }

    /// The notification `m` if it is an `$AT` or `$ST`; nil for any other message.
    public init?(_ m: RAPIMessage) throws(RAPIParseError) {
        switch m.name {
        case "AT":
            guard m.parameters.count >= 4 else { throw RAPIParseError("$AT: expected 4 values, got \(m.parameters.joined(separator: " "))") }
            self.init(evseState: try RAPIField.hex(m, 0, "AT", "evsestate"), pilotState: try RAPIField.hex(m, 1, "AT", "pilotstate") as UInt8,
                      currentCapacityAmps: try RAPIField.decimal(m, 2, "AT", "currentcapacity"), flags: try RAPIField.hex(m, 3, "AT", "vflags") as UInt16)
        case "ST":
            guard m.parameters.count >= 1 else { throw RAPIParseError("$ST: expected the EVSE state") }
            self.init(evseState: try RAPIField.hex(m, 0, "ST", "state"))
        default:
            return nil
        }
    }
}

/// `$GG` (get charging current and voltage): `$OK milliamps millivolts`. A board without an ammeter answers −1 for the
/// current (and one without a voltmeter −1 for the voltage): nil here.
public struct OpenEVSECurrentReading: Sendable, Equatable {
    public var milliamps: Int?
    public var millivolts: Int?

    public init(milliamps: Int?, millivolts: Int?) { self.milliamps = milliamps; self.millivolts = millivolts }

    public init(_ m: RAPIMessage) throws(RAPIParseError) {
        try RAPIField.require(m, "GG", atLeast: 2)
        let ma = try RAPIField.decimal(m, 0, "GG", "milliamps"), mv = try RAPIField.decimal(m, 1, "GG", "millivolts")
        milliamps = ma < 0 ? nil : ma
        millivolts = mv < 0 ? nil : mv
    }
}

/// `$GU` (get energy usage): `$OK Wattseconds Whacc` — the energy of this charging session in watt-seconds and the
/// total over all sessions in watt-hours, both decimal.
public struct OpenEVSEEnergy: Sendable, Equatable {
    public var sessionWattSeconds: Int
    public var totalWh: Int
    /// The session's energy in watt-hours (the document: divide the watt-seconds by 3600).
    public var sessionWh: Double { Double(sessionWattSeconds) / 3600 }

    public init(sessionWattSeconds: Int, totalWh: Int) { self.sessionWattSeconds = sessionWattSeconds; self.totalWh = totalWh }

    public init(_ m: RAPIMessage) throws(RAPIParseError) {
        try RAPIField.require(m, "GU", atLeast: 2)
        sessionWattSeconds = try RAPIField.decimal(m, 0, "GU", "Wattseconds")
        totalWh = try RAPIField.decimal(m, 1, "GU", "Whacc")
        guard sessionWattSeconds >= 0, totalWh >= 0 else { throw RAPIParseError("$GU: negative energy \(m.parameters.joined(separator: " "))") }
    }
}

/// `$GE` (get settings): `$OK amps flags` — the current capacity in amperes (decimal) and the settings flags (hex).
public struct OpenEVSESettings: Sendable, Equatable {
    public var currentCapacityAmps: Int
    public var flags: UInt16

    public init(currentCapacityAmps: Int, flags: UInt16) { self.currentCapacityAmps = currentCapacityAmps; self.flags = flags }

    public init(_ m: RAPIMessage) throws(RAPIParseError) {
        try RAPIField.require(m, "GE", atLeast: 2)
        currentCapacityAmps = try RAPIField.decimal(m, 0, "GE", "amps")
        flags = try RAPIField.hex(m, 1, "GE", "flags")
    }
}

/// `$GC` (get current capacity info): `$OK minamps hmaxamps pilotamps cmaxamps` — the lowest current the board
/// allows, the hardware maximum, the current the pilot advertises now and the configured maximum (decimal amperes).
/// Older firmware answers only the first two.
public struct OpenEVSECurrentRange: Sendable, Equatable {
    public var minimumAmps: Int
    public var hardwareMaximumAmps: Int
    public var pilotAmps: Int?
    public var configuredMaximumAmps: Int?

    public init(minimumAmps: Int, hardwareMaximumAmps: Int, pilotAmps: Int? = nil, configuredMaximumAmps: Int? = nil) {
        self.minimumAmps = minimumAmps; self.hardwareMaximumAmps = hardwareMaximumAmps
        self.pilotAmps = pilotAmps; self.configuredMaximumAmps = configuredMaximumAmps
    }

    public init(_ m: RAPIMessage) throws(RAPIParseError) {
        try RAPIField.require(m, "GC", atLeast: 2)
        minimumAmps = try RAPIField.decimal(m, 0, "GC", "minamps")
        hardwareMaximumAmps = try RAPIField.decimal(m, 1, "GC", "hmaxamps")
        pilotAmps = try m.parameters.count >= 3 ? RAPIField.decimal(m, 2, "GC", "pilotamps") : nil
        configuredMaximumAmps = try m.parameters.count >= 4 ? RAPIField.decimal(m, 3, "GC", "cmaxamps") : nil
        guard minimumAmps > 0, minimumAmps <= hardwareMaximumAmps else {
            throw RAPIParseError("$GC: minimum \(minimumAmps) A above the maximum \(hardwareMaximumAmps) A")
        }
    }

    /// The highest current the board takes: the configured maximum where it reports one, else the hardware's.
    public var maximumAmps: Int { min(configuredMaximumAmps ?? hardwareMaximumAmps, hardwareMaximumAmps) }
}

/// `$GV` (get version): `$OK firmware_version protocol_version`. The document calls the protocol version deprecated
/// ("test commands for compatibility, instead"): ChargeKit shows it and tests the commands it uses.
public struct OpenEVSEVersion: Sendable, Equatable {
    public var firmware: String
    public var protocolVersion: String?

    public init(firmware: String, protocolVersion: String? = nil) { self.firmware = firmware; self.protocolVersion = protocolVersion }

    public init(_ m: RAPIMessage) throws(RAPIParseError) {
        try RAPIField.require(m, "GV", atLeast: 1)
        firmware = m.parameters[0]
        protocolVersion = m.parameters.count >= 2 ? m.parameters[1] : nil
    }

    /// As the start banner shows it.
    public var description: String { "OpenEVSE firmware \(firmware)" + (protocolVersion.map { " (RAPI \($0))" } ?? "") }
}

/// The answer to `$SC amps`: `$OK ampsset` when taken, `$NK ampsset` when the board set its minimum or maximum instead
/// (or refused to raise the current in over-temperature); `ampsset` is the current capacity in force either way.
public struct OpenEVSECurrentAnswer: Sendable, Equatable {
    public var accepted: Bool
    public var ampsSet: Int?

    public init(accepted: Bool, ampsSet: Int?) { self.accepted = accepted; self.ampsSet = ampsSet }

    public init(_ m: RAPIMessage) throws(RAPIParseError) {
        accepted = m.isOK
        ampsSet = m.parameters.isEmpty ? nil : try RAPIField.decimal(m, 0, "SC", "ampsset")
    }
}
