import EVSECore
import ModbusTCP
import OCPP16

/// A board description that cannot be used: the field's path (`connectors[0].meter.unitId`), what is wrong and what
/// is allowed.
public struct BoardDescriptionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(_ path: String, _ message: String) { self.path = path; self.message = message }
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

extension BoardDescription {
    /// Reads a board description from the file's bytes (JSON, RFC 8259). Every field is checked; an unknown field is
    /// an error too, so that a misspelt one is not silently ignored.
    public static func read(_ bytes: [UInt8]) throws(BoardDescriptionError) -> BoardDescription {
        let root: JSONValue
        do { root = try JSONParser.parse(bytes) } catch { throw BoardDescriptionError("", "not valid JSON: \(error)") }
        let r = try Field(root, path: "").object(["driver", "serial", "tcp", "pollIntervalMs", "connectors", "rfid", "inputs", "ledRoot"])
        let driverName = try r.required("driver").string()
        guard let driver = BoardDriverKind(rawValue: driverName) else {
            throw BoardDescriptionError("driver", "unknown driver \"\(driverName)\"; drivers: "
                                        + BoardDriverKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        // OpenEVSE: 115200 8N1 (RAPI); EVSE-DIN: 9600 8N1, its datasheet's defaults (``EVSEDINRegisters``); other
        // Modbus RTU devices: 9600 with even parity, Modbus over Serial Line V1.02 §2.5.1's default.
        let link = try readLink(r, required: driver.linkKind, defaultBaud: driver == .openEVSE ? 115200 : 9600,
                                defaultParity: driver == .openEVSE || driver == .evseDIN ? "none" : "even")
        let poll = try r.optional("pollIntervalMs")?.integer(in: 50...10_000) ?? 100
        let list = try r.required("connectors").array()
        guard driver.connectorRange.contains(list.count) else {
            throw BoardDescriptionError("connectors", "the \(driver.rawValue) driver drives \(rangeText(driver.connectorRange)) connector(s) (got \(list.count))")
        }
        var connectors: [ConnectorHardware] = []
        for field in list {
            let c = try field.object(["unitId", "lock", "meter", "leds", "plcInterface"])
            var hw = ConnectorHardware()
            if driver == .evseDIN || driver == .phoenixEVCC {
                // Modbus TCP addresses the device by IP, and the unit id 255 is the one its guide recommends for that
                // (Modbus Messaging on TCP/IP Implementation Guide V1.0b §4.4.2); the EV-CC-…-ETH controllers answer on it.
                let units = driver == .phoenixEVCC ? 1...255 : 1...247
                hw.unitID = try UInt8(c.optional("unitId")?.integer(in: units) ?? (driver == .phoenixEVCC ? 180 : connectors.count + 1))
            } else if c.optional("unitId") != nil {
                throw BoardDescriptionError(c.path + ".unitId", "the \(driver.rawValue) driver has no unit ids")
            }
            if let lock = try c.optional("lock")?.string() {
                guard let l = LockWiring(rawValue: lock) else { throw BoardDescriptionError(c.path + ".lock", "must be none or board (got \"\(lock)\")") }
                guard l == .none || driver == .phoenixEVCC || driver == .simulated else {
                    throw BoardDescriptionError(c.path + ".lock", "the \(driver.rawValue) board has no lock actuator output; use none (a tethered cable)")
                }
                hw.lock = l
            } else {
                hw.lock = driver == .simulated ? .board : .none
            }
            if let m = try c.optional("meter")?.object(["model", "unitId", "serial", "tcp"]) {
                let name = try m.required("model").string()
                guard let model = ChargeMeterModel(rawValue: name) else {
                    throw BoardDescriptionError(m.path + ".model", "unknown meter \"\(name)\"; meters: " + ChargeMeterModel.allCases.map(\.rawValue).joined(separator: ", "))
                }
                let unit = try UInt8(m.required("unitId").integer(in: 1...247))
                var meterLink = try readLink(m, required: nil, defaultBaud: 9600, defaultParity: "none")
                if meterLink == nil {
                    // OpenEVSE's serial line speaks RAPI, not Modbus: its meter needs a bus of its own.
                    guard driver != .openEVSE else {
                        throw BoardDescriptionError(m.path, "say how the meter is reached (serial or tcp): the OpenEVSE line speaks RAPI, not Modbus, so the meter needs an RS-485 bus of its own")
                    }
                    guard case .serial = link else {
                        throw BoardDescriptionError(m.path, "say how the meter is reached (serial or tcp): the board has no serial bus to share")
                    }
                } else if case .serial(let s)? = meterLink, case .serial(let b)? = link, s.device == b.device, s != b {
                    let m: ObjectField = m
                    throw BoardDescriptionError(m.path + ".serial", "\(s.device) is the board's bus: its line settings must be the board's (\(b.baudRate) baud, parity \(b.parity), \(b.stopBits) stop bits) or be left out")
                }
                if let own = meterLink, own == link { meterLink = nil }
                hw.meter = ChargeMeterDescription(model: model, unitID: unit, link: meterLink)
            }
            if let leds = try c.optional("leds")?.object(LEDOutput.allCases.map(\.rawValue)) {
                for colour in LEDOutput.allCases {
                    if let name = try leds.optional(colour.rawValue)?.string() {
                        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
                            throw BoardDescriptionError(leds.path + "." + colour.rawValue, "must be the name of an LED under the LED root, without /")
                        }
                        hw.leds[colour] = name
                    }
                }
            }
            if let f = c.optional("plcInterface") {
                hw.plcInterface = try plcInterface(f)
                if let other = connectors.firstIndex(where: { $0.plcInterface == hw.plcInterface }) {
                    throw BoardDescriptionError(f.path, "\(hw.plcInterface ?? "") is connectors[\(other)]'s modem too: each connector has a powerline modem of its own")
                }
            }
            connectors.append(hw)
        }
        try checkUnits(connectors, boardLink: link)
        var rfid: RFIDReaderDescription?
        if let f = try r.optional("rfid")?.object(["pcsc"]) {
            let p = try f.required("pcsc").object(["reader"])
            rfid = .pcsc(reader: try p.optional("reader")?.string() ?? "")
        }
        var inputs: [BoardInput: InputSource] = [:]
        if let f = try r.optional("inputs")?.object(BoardInput.allCases.map(\.rawValue)) {
            for input in BoardInput.allCases {
                guard let i = try f.optional(input.rawValue)?.object(["board", "file", "activeLow", "connector"]) else { continue }
                let origin: InputSource.Origin
                switch (i.optional("board"), i.optional("file")) {
                case (let b?, nil):
                    guard driver == .phoenixEVCC || driver == .simulated else {
                        throw BoardDescriptionError(i.path + ".board", "the \(driver.rawValue) board has no digital inputs; wire the contact to a GPIO and give its file")
                    }
                    origin = .board(index: try b.integer(in: 1...8))
                case (nil, let p?):
                    let path = try p.string()
                    guard path.hasPrefix("/") else { throw BoardDescriptionError(i.path + ".file", "must be an absolute path (got \"\(path)\")") }
                    origin = .file(path: path)
                default:
                    throw BoardDescriptionError(i.path, "give exactly one of board (the board's input number) or file (a GPIO value file)")
                }
                let activeLow = try i.optional("activeLow")?.bool() ?? false
                let perConnector = input == .mcbTrip || input == .rcdFault
                var connector: Int?
                if let c = i.optional("connector") {
                    guard perConnector else { throw BoardDescriptionError(i.path + ".connector", "\(input.rawValue) concerns the whole station") }
                    connector = try c.integer(in: 1...connectors.count)
                } else if perConnector {
                    connector = 1
                    if connectors.count > 1 { throw BoardDescriptionError(i.path + ".connector", "required with two connectors: which connector's \(input.rawValue) contact this is") }
                }
                inputs[input] = InputSource(origin, activeLow: activeLow, connector: connector)
            }
        }
        let ledRoot = try r.optional("ledRoot")?.string() ?? "/sys/class/leds"
        guard ledRoot.hasPrefix("/") else { throw BoardDescriptionError("ledRoot", "must be an absolute path (got \"\(ledRoot)\")") }
        return BoardDescription(driver: driver, link: link, pollIntervalMilliseconds: poll, connectors: connectors, rfid: rfid,
                                inputs: inputs, ledRoot: ledRoot)
    }

    /// A Linux network interface name as the kernel accepts it (`dev_valid_name`): 1 to 15 characters, not `.` or `..`,
    /// without `/`, `:` or white space.
    private static func plcInterface(_ f: Field) throws(BoardDescriptionError) -> String {
        let name = try f.string()
        guard (1...15).contains(name.utf8.count), name != ".", name != "..",
              !name.contains(where: { $0 == "/" || $0 == ":" || $0.isWhitespace }) else {
            throw BoardDescriptionError(f.path, "must be a network interface name of 1 to 15 characters without /, : or spaces, e.g. eth1 (got \"\(name)\")")
        }
        return name
    }

    private static func rangeText(_ r: ClosedRange<Int>) -> String { r.lowerBound == r.upperBound ? "\(r.lowerBound)" : "\(r.lowerBound) or \(r.upperBound)" }

    /// Two devices on one link (the board's bus, or a meter's own link) cannot share a unit id.
    private static func checkUnits(_ connectors: [ConnectorHardware], boardLink: DeviceLink?) throws(BoardDescriptionError) {
        var seen: [String: String] = [:]
        for (i, c) in connectors.enumerated() {
            var devices: [(field: String, link: DeviceLink?, unit: UInt8)] = []
            if let u = c.unitID { devices.append(("unitId", boardLink, u)) }
            if let m = c.meter { devices.append(("meter.unitId", m.link ?? boardLink, m.unitID)) }
            for d in devices {
                let key = "\(d.link?.address ?? "")#\(d.unit)", field = "connectors[\(i)].\(d.field)"
                if let other = seen[key] {
                    throw BoardDescriptionError(field, "unit id \(d.unit) on \(d.link?.address ?? "the bus") is \(other)'s too")
                }
                seen[key] = field
            }
        }
    }

    /// The `serial` or `tcp` member of `f`. `required`: the kind the driver needs (nil: optional, either kind).
    private static func readLink(_ f: ObjectField, required: DeviceLink.Kind?, defaultBaud: Int, defaultParity: String) throws(BoardDescriptionError) -> DeviceLink? {
        let serial = f.optional("serial"), tcp = f.optional("tcp")
        if serial != nil && tcp != nil { throw BoardDescriptionError(f.path, "give serial or tcp, not both") }
        if let s = serial {
            if required == .tcp { throw BoardDescriptionError(s.path, "this device is reached over Modbus TCP: give tcp") }
            let o = try s.object(["device", "baudRate", "parity", "stopBits"])
            let device = try o.required("device").string()
            guard device.hasPrefix("/") else { throw BoardDescriptionError(o.path + ".device", "must be the device's absolute path, e.g. /dev/ttyUSB0 (got \"\(device)\")") }
            let baud = try o.optional("baudRate")?.integer(in: 1...1_000_000) ?? defaultBaud
            guard SerialSettings.baudRates.contains(baud) else {
                throw BoardDescriptionError(o.path + ".baudRate", "must be one of " + SerialSettings.baudRates.map(String.init).joined(separator: ", ") + " (got \(baud))")
            }
            let parity = try o.optional("parity")?.string() ?? defaultParity
            guard SerialSettings.parities.contains(parity) else { throw BoardDescriptionError(o.path + ".parity", "must be none, even or odd (got \"\(parity)\")") }
            let stop = try o.optional("stopBits")?.integer(in: 1...2) ?? 1
            return .serial(SerialSettings(device: device, baudRate: baud, parity: parity, stopBits: stop))
        }
        if let t = tcp {
            if required == .serial { throw BoardDescriptionError(t.path, "this device is reached over a serial line: give serial") }
            let o = try t.object(["host", "port"])
            let host = try o.required("host").string()
            guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:".contains($0) }) else {
                throw BoardDescriptionError(o.path + ".host", "must be a host name or IP address (got \"\(host)\")")
            }
            return .tcp(host: host, port: try o.optional("port")?.integer(in: 1...65535) ?? 502)
        }
        if let kind = required { throw BoardDescriptionError(f.path.isEmpty ? kind.rawValue : f.path + "." + kind.rawValue, "missing: the driver needs its \(kind == .serial ? "serial line" : "Modbus TCP address")") }
        return nil
    }
}

/// One value of the description with its path, for errors that name the field.
struct Field {
    let value: JSONValue
    let path: String
    init(_ value: JSONValue, path: String) { self.value = value; self.path = path }

    func fail(_ message: String) -> BoardDescriptionError { BoardDescriptionError(path, message) }

    func object(_ allowed: [String]) throws(BoardDescriptionError) -> ObjectField {
        guard case .object(let o) = value else { throw fail("must be an object (got \(value.typeName))") }
        for key in o.keys where !allowed.contains(key) {
            throw BoardDescriptionError(path.isEmpty ? key : "\(path).\(key)", "unknown field; allowed here: " + allowed.joined(separator: ", "))
        }
        return ObjectField(object: o, path: path)
    }

    func array() throws(BoardDescriptionError) -> [Field] {
        guard case .array(let a) = value else { throw fail("must be an array (got \(value.typeName))") }
        return a.enumerated().map { Field($0.element, path: "\(path)[\($0.offset)]") }
    }

    func string() throws(BoardDescriptionError) -> String {
        guard case .string(let s) = value else { throw fail("must be a string (got \(value.typeName))") }
        return s
    }

    func bool() throws(BoardDescriptionError) -> Bool {
        guard case .bool(let b) = value else { throw fail("must be true or false (got \(value.typeName))") }
        return b
    }

    func integer(in range: ClosedRange<Int>) throws(BoardDescriptionError) -> Int {
        guard case .integer(let i) = value else { throw fail("must be an integer from \(range.lowerBound) to \(range.upperBound) (got \(value.typeName))") }
        guard i >= range.lowerBound, i <= range.upperBound else { throw fail("must be from \(range.lowerBound) to \(range.upperBound) (got \(i))") }
        return Int(i)
    }
}

struct ObjectField {
    let object: JSONObject
    let path: String
    func optional(_ key: String) -> Field? {
        guard let v = object[key], v != .null else { return nil }
        return Field(v, path: path.isEmpty ? key : "\(path).\(key)")
    }
    func required(_ key: String) throws(BoardDescriptionError) -> Field {
        guard let f = optional(key) else { throw BoardDescriptionError(path.isEmpty ? key : "\(path).\(key)", "missing") }
        return f
    }
}
