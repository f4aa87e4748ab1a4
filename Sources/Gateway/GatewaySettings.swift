#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One configured charger: its OCPP ChargerID (the last path segment of `ws://<gateway>:9000/<ChargerID>`), its
/// register slot xx (0…19) and how many connectors it has besides connector 0.
///
/// - SeeAlso: seeds/003 §2.1 ("Note down the ChargerID"), §2.2 step 4.
public struct ChargerEntry: Sendable, Codable, Equatable {
    public var id: String
    public var slot: Int
    public var connectors: Int

    /// The slot of a charger accepted without being configured (``GatewaySettings/acceptUnconfiguredChargers``): it
    /// has no registers.
    public static let noSlot = -1

    public init(id: String, slot: Int, connectors: Int) { self.id = id; self.slot = slot; self.connectors = connectors }
}

/// A setting that is out of range, with the field it concerns and what is allowed.
public struct SettingProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(_ field: String, _ message: String) { self.field = field; self.message = message }
    public var description: String { "\(field): \(message)" }
}

/// Everything the gateway is configured with; the single definition of its settings, their defaults and ranges
/// (used by the CLI, the database and the web configuration).
///
/// - SeeAlso: seeds/003 §2.2 (MAPS: General, Modbus Slave and OCPP tabs).
public struct GatewaySettings: Sendable, Codable, Equatable {
    public var mode: GatewayMode = .bms
    public var chargers: [ChargerEntry] = []
    /// Handed to the chargers in BootNotification.conf (seeds/003 §2.2 "Heartbeat interval").
    public var heartbeatIntervalSeconds: Int = 300
    /// The OCPP WebSocket port (seeds/003 §2.1: "The TCP port by default is 9000").
    public var ocppPort: Int = 9000
    /// How long a charger's Authorize/StartTransaction/StopTransaction waits for the BMS before the gateway answers
    /// safely by itself (Invalid; the transaction is kept in the gateway only).
    public var bmsTimeoutSeconds: Int = 20
    /// How long the gateway waits for an answer to a CALL it sent: a charger's answer to an operation the BMS
    /// requested; in External mode either side's answer to a relayed CALL, after which the next one goes out.
    public var chargerTimeoutSeconds: Int = 30
    /// The BMS counts as offline when it has not set the Heartbeat register (0) for this long.
    public var bmsHeartbeatTimeoutSeconds: Int = 60
    /// The Modbus TCP server (seeds/003 §2.2 step 3, "Modbus Slave tab").
    public var modbusTCPEnabled: Bool = true
    /// Its port (0 = any free port, published in gateway.json).
    public var modbusTCPPort: Int = 502
    /// The unit id the gateway answers to (seeds/003 §2.2 step 3, "Modbus Slave tab"); 0 answers every unit id.
    public var modbusUnitID: Int = 1
    /// Modbus RTU slave: serial device path (empty = off), line settings.
    public var rtuDevice: String = ""
    public var rtuBaudRate: Int = 19200
    public var rtuParity: String = "even"
    public var rtuStopBits: Int = 1
    /// External mode: the external central system's URL (`ws://` or `wss://`); each charger is relayed to
    /// `<url>/<ChargerID>`.
    public var externalURL: String = ""
    /// External mode: HTTP Basic password sent upstream (user = ChargerID); empty: none.
    public var externalPassword: String = ""
    /// Off (seeds/003): a ChargerID that is not configured is refused and listed by the OCPP scan. On: every ChargerID
    /// is accepted, and those not configured are served without registers (the gateway as a central system for more
    /// chargers than the register map has slots). In BMS mode their Authorize/StartTransaction/StopTransaction, which
    /// the BMS cannot see, are answered at once as on a BMS timeout; in External mode they are relayed.
    public var acceptUnconfiguredChargers: Bool = false
    /// wss for the chargers: PEM certificate (chain) and private key files of the OCPP server; both empty: ws.
    public var ocppTLSCertificateFile: String = ""
    public var ocppTLSKeyFile: String = ""

    public init() {}

    /// Settings stored by an earlier version lack the newer fields: those get their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T { try c.decodeIfPresent(T.self, forKey: key) ?? fallback }
        let d = GatewaySettings()
        mode = try value(.mode, d.mode)
        chargers = try value(.chargers, d.chargers)
        heartbeatIntervalSeconds = try value(.heartbeatIntervalSeconds, d.heartbeatIntervalSeconds)
        ocppPort = try value(.ocppPort, d.ocppPort)
        bmsTimeoutSeconds = try value(.bmsTimeoutSeconds, d.bmsTimeoutSeconds)
        chargerTimeoutSeconds = try value(.chargerTimeoutSeconds, d.chargerTimeoutSeconds)
        bmsHeartbeatTimeoutSeconds = try value(.bmsHeartbeatTimeoutSeconds, d.bmsHeartbeatTimeoutSeconds)
        modbusTCPEnabled = try value(.modbusTCPEnabled, d.modbusTCPEnabled)
        modbusTCPPort = try value(.modbusTCPPort, d.modbusTCPPort)
        modbusUnitID = try value(.modbusUnitID, d.modbusUnitID)
        rtuDevice = try value(.rtuDevice, d.rtuDevice)
        rtuBaudRate = try value(.rtuBaudRate, d.rtuBaudRate)
        rtuParity = try value(.rtuParity, d.rtuParity)
        rtuStopBits = try value(.rtuStopBits, d.rtuStopBits)
        externalURL = try value(.externalURL, d.externalURL)
        externalPassword = try value(.externalPassword, d.externalPassword)
        acceptUnconfiguredChargers = try value(.acceptUnconfiguredChargers, d.acceptUnconfiguredChargers)
        ocppTLSCertificateFile = try value(.ocppTLSCertificateFile, d.ocppTLSCertificateFile)
        ocppTLSKeyFile = try value(.ocppTLSKeyFile, d.ocppTLSKeyFile)
    }

    public static let allowedParities = ["none", "even", "odd"]
    public static let allowedBaudRates = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200]

    /// The charger in slot `xx`.
    public func charger(slot: Int) -> ChargerEntry? { chargers.first { $0.slot == slot } }
    public func charger(id: String) -> ChargerEntry? { chargers.first { $0.id == id } }

    /// How chargers connect: `wss` with a certificate and key, else `ws`.
    public var ocppScheme: String { ocppTLSCertificateFile.isEmpty ? "ws" : "wss" }

    /// The unit id the gateway answers to, as the console and the Diagnostic page show it.
    public var unitIDDescription: String { modbusUnitID == 0 ? "any" : String(modbusUnitID) }

    /// The RTU slave's line ("/dev/ttyUSB0, 19200 baud, parity even, 1 stop bit(s)"); nil when it is off.
    public var rtuDescription: String? {
        rtuDevice.isEmpty ? nil : "\(rtuDevice), \(rtuBaudRate) baud, parity \(rtuParity), \(rtuStopBits) stop bit(s)"
    }

    /// The first free register slot.
    public var freeSlot: Int? { (0..<RegisterLayout.maximumChargers).first { s in !chargers.contains { $0.slot == s } } }

    /// Every problem of the settings (empty when they are valid).
    public func problems() -> [SettingProblem] {
        var p: [SettingProblem] = []
        for field in Self.fields {
            let value = field.value(self)
            switch field.input {
            case .number(let r, let unit):
                if let v = Int(value), !r.contains(v) { p.append(SettingProblem(field.key, "\(v) is outside \(r.lowerBound)…\(r.upperBound)\(unit)")) }
            case .choice(let allowed) where !allowed.contains(value):
                p.append(SettingProblem(field.key, "'\(value)' is not one of \(allowed.joined(separator: ", "))"))
            default: break
            }
        }
        if chargers.count > RegisterLayout.maximumChargers {
            p.append(SettingProblem("chargers", "\(chargers.count) chargers; at most \(RegisterLayout.maximumChargers)"))
        }
        var ids = Set<String>(), slots = Set<Int>()
        for c in chargers {
            if let problem = Self.chargerIDProblem(c.id) { p.append(SettingProblem("chargers", problem)) }
            if !ids.insert(c.id).inserted { p.append(SettingProblem("chargers", "ChargerID '\(c.id)' is configured twice")) }
            if !(0..<RegisterLayout.maximumChargers).contains(c.slot) {
                p.append(SettingProblem("chargers", "slot \(c.slot) of '\(c.id)' is outside 0…\(RegisterLayout.maximumChargers - 1)"))
            } else if !slots.insert(c.slot).inserted {
                p.append(SettingProblem("chargers", "slot \(c.slot) is used twice"))
            }
            if !(1...RegisterLayout.maximumConnectors).contains(c.connectors) {
                p.append(SettingProblem("chargers", "'\(c.id)' has \(c.connectors) connectors; allowed 1…\(RegisterLayout.maximumConnectors)"))
            }
        }
        if ocppTLSCertificateFile.isEmpty != ocppTLSKeyFile.isEmpty {
            p.append(SettingProblem(ocppTLSCertificateFile.isEmpty ? "ocppTLSCertificateFile" : "ocppTLSKeyFile",
                                    "wss needs both the certificate and the private key file"))
        }
        if let problem = externalURLProblem { p.append(SettingProblem("externalURL", problem)) }
        if externalPassword.count > 64 || externalPassword.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            p.append(SettingProblem("externalPassword", "at most 64 characters, no control characters"))
        }
        return p
    }

    /// Why the external central system's URL cannot be used (External mode needs one; BMS mode only checks a given one).
    var externalURLProblem: String? {
        if externalURL.isEmpty { return mode == .external ? "External mode needs the central system's ws:// or wss:// URL" : nil }
        guard let url = URL(string: externalURL), let scheme = url.scheme?.lowercased(), ["ws", "wss"].contains(scheme),
              let host = url.host, !host.isEmpty else {
            return "'\(externalURL)' is not a ws:// or wss:// URL with a host"
        }
        if url.user != nil || url.password != nil { return "put the password in externalPassword, not in the URL" }
        if url.query != nil || url.fragment != nil { return "the URL may not have a query or fragment (the ChargerID is appended as a path segment)" }
        return nil
    }

    /// Why a ChargerID cannot be used, or nil: OCPP-J §3.1.1 identities are CiString20… in practice up to 48
    /// characters; ChargeKit allows 1…48 characters without '/', whitespace or control characters.
    public static func chargerIDProblem(_ id: String) -> String? {
        if id.isEmpty || id.count > 48 { return "ChargerID '\(id)' must have 1…48 characters" }
        if id.unicodeScalars.contains(where: { $0 == "/" || $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
            return "ChargerID '\(id)' may not contain '/', spaces or control characters"
        }
        return nil
    }

    /// The connectors per slot, for the register layout.
    public var connectorsBySlot: [Int: Int] { Dictionary(uniqueKeysWithValues: chargers.map { ($0.slot, $0.connectors) }) }
}

/// One setting as the web configuration shows and edits it. ``GatewaySettings/fields`` lists them in page order with
/// their ranges and choices, which ``GatewaySettings/problems()`` checks: the one definition of what is allowed.
public struct GatewaySettingField: Sendable {
    public enum Input: Sendable, Equatable {
        /// A whole number in a range, with its unit (" s") for messages.
        case number(ClosedRange<Int>, unit: String)
        case choice([String])
        case onOff
        case text
        /// Shown masked; an empty entry keeps the stored value.
        case secret
    }

    /// The groups of the web configuration, after the tabs of the vendor's tool (seeds/003 §2.2 steps 2–4).
    public enum Section: String, Sendable {
        case ocpp, external, timeouts, modbusTCP, modbusRTU
    }

    /// The settings property's name (the form field and ``SettingProblem/field``).
    public let key: String
    public let section: Section
    public let input: Input
    /// Where the setting comes from.
    public let seeAlso: String
    /// Shown only while another field has one of some values (key, values).
    public let visibleWhen: (key: String, values: [String])?
    let get: @Sendable (GatewaySettings) -> String
    let set: @Sendable (inout GatewaySettings, String) -> Bool

    public static func trimmed(_ text: String) -> String {
        String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    /// The setting's value as the form shows it ("On"/"Off" for switches).
    public func value(_ s: GatewaySettings) -> String { get(s) }

    /// Sets the value from a form entry; a number that is not a whole number is a problem (the range is checked by
    /// ``GatewaySettings/problems()``).
    public func apply(_ text: String, to s: inout GatewaySettings) -> SettingProblem? {
        set(&s, text) ? nil : SettingProblem(key, "'\(text)' is not a whole number")
    }

    static func number(_ key: String, _ path: WritableKeyPath<GatewaySettings, Int> & Sendable, _ range: ClosedRange<Int>, unit: String = "",
                       _ section: Section, _ seeAlso: String, visibleWhen: (String, [String])? = nil) -> Self {
        Self(key: key, section: section, input: .number(range, unit: unit), seeAlso: seeAlso, visibleWhen: visibleWhen,
             get: { String($0[keyPath: path]) },
             set: { s, text in
                 guard let v = Int(Self.trimmed(text)) else { return false }
                 s[keyPath: path] = v
                 return true
             })
    }

    static func string(_ key: String, _ path: WritableKeyPath<GatewaySettings, String> & Sendable, _ input: Input, _ section: Section,
                       _ seeAlso: String, visibleWhen: (String, [String])? = nil) -> Self {
        Self(key: key, section: section, input: input, seeAlso: seeAlso, visibleWhen: visibleWhen, get: { $0[keyPath: path] },
             set: { s, text in s[keyPath: path] = input == .secret ? text : Self.trimmed(text); return true })
    }

    static func onOff(_ key: String, _ path: WritableKeyPath<GatewaySettings, Bool> & Sendable, _ section: Section, _ seeAlso: String) -> Self {
        Self(key: key, section: section, input: .onOff, seeAlso: seeAlso, visibleWhen: nil, get: { $0[keyPath: path] ? "On" : "Off" },
             set: { s, text in s[keyPath: path] = text == "On"; return true })
    }
}

extension GatewaySettings {
    /// Every setting of the web configuration except the charger list, in page order.
    public static let fields: [GatewaySettingField] = [
        .init(key: "mode", section: .ocpp, input: .choice(GatewayMode.allCases.map(\.rawValue)), seeAlso: "seeds/003 §2.2 step 4a",
              visibleWhen: nil, get: { $0.mode.rawValue },
              set: { s, text in if let m = GatewayMode(rawValue: text) { s.mode = m }; return true }),
        .number("heartbeatIntervalSeconds", \.heartbeatIntervalSeconds, 10...86400, unit: " s", .ocpp, "seeds/003 §2.2 step 4"),
        .number("ocppPort", \.ocppPort, 0...65535, .ocpp, "seeds/003 §2.1, §2.2 step 4"),
        .string("ocppTLSCertificateFile", \.ocppTLSCertificateFile, .text, .ocpp, "OCPP-J 1.6 §7"),
        .string("ocppTLSKeyFile", \.ocppTLSKeyFile, .text, .ocpp, "OCPP-J 1.6 §7"),
        .onOff("acceptUnconfiguredChargers", \.acceptUnconfiguredChargers, .ocpp, "seeds/003 §2.2 step 4b"),
        .string("externalURL", \.externalURL, .text, .external, "seeds/003 §2.4", visibleWhen: ("mode", [GatewayMode.external.rawValue])),
        .string("externalPassword", \.externalPassword, .secret, .external, "OCPP-J 1.6 §6.1.3", visibleWhen: ("mode", [GatewayMode.external.rawValue])),
        .number("bmsTimeoutSeconds", \.bmsTimeoutSeconds, 1...300, unit: " s", .timeouts, "seeds/003 §2.3.1.2–§2.3.1.4"),
        .number("chargerTimeoutSeconds", \.chargerTimeoutSeconds, 1...300, unit: " s", .timeouts, "OCPP-J 1.6 §4.1.1"),
        .number("bmsHeartbeatTimeoutSeconds", \.bmsHeartbeatTimeoutSeconds, 5...3600, unit: " s", .timeouts, "seeds/003 Appendix 2, register 0"),
        .onOff("modbusTCPEnabled", \.modbusTCPEnabled, .modbusTCP, "seeds/003 §2.2 step 3"),
        .number("modbusTCPPort", \.modbusTCPPort, 0...65535, .modbusTCP, "seeds/003 §2.2 step 3"),
        .number("modbusUnitID", \.modbusUnitID, 0...247, .modbusTCP, "seeds/003 §2.2 step 3"),
        .string("rtuDevice", \.rtuDevice, .text, .modbusRTU, "seeds/003 §2.2 step 3"),
        .init(key: "rtuBaudRate", section: .modbusRTU, input: .choice(allowedBaudRates.map(String.init)), seeAlso: "seeds/003 §2.2 step 3",
              visibleWhen: nil, get: { String($0.rtuBaudRate) },
              set: { s, text in guard let v = Int(text) else { return false }; s.rtuBaudRate = v; return true }),
        .string("rtuParity", \.rtuParity, .choice(allowedParities), .modbusRTU, "seeds/003 §2.2 step 3"),
        .number("rtuStopBits", \.rtuStopBits, 1...2, .modbusRTU, "seeds/003 §2.2 step 3"),
    ]
}
