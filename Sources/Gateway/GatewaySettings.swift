#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CivilDate
import Parameters

/// One configured charger: its OCPP ChargerID (the last path segment of `ws://<gateway>:9000/<ChargerID>`), its
/// register slot xx (0…19) and how many connectors it has besides connector 0.
///
/// - SeeAlso: seeds/003 §2.1 ("Note down the ChargerID"), §2.2 step 4.
public struct ChargerEntry: Sendable, Codable, Equatable {
    public var id: String
    public var slot: Int
    public var connectors: Int
    /// Security profiles 1 and 2: the bcrypt hash of the charger's HTTP Basic password (its AuthorizationKey, OCPP 1.6
    /// security whitepaper ed. 3 A00.FR.2xx), never the clear text; nil: none set. The web interface and the API hash
    /// what the installer enters (``ChargerPassword/canonical(_:)``) and never show it back; a project file leaves it
    /// out (``GatewayProject``).
    public var passwordHash: String?

    /// The slot of a charger accepted without being configured (``GatewaySettings/acceptUnconfiguredChargers``): it
    /// has no registers.
    public static let noSlot = -1

    public init(id: String, slot: Int, connectors: Int, passwordHash: String? = nil) {
        self.id = id; self.slot = slot; self.connectors = connectors; self.passwordHash = passwordHash
    }
}

/// A setting that is out of range, with the field it concerns and what is allowed.
public struct SettingProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(_ field: String, _ message: String) { self.field = field; self.message = message }
    public var description: String { "\(field): \(message)" }
}

/// Everything the gateway is configured with. Each setting but the charger list is a parameter of the gateway's
/// registry (``GatewayParameters``), which declares its type, range, default and help; the settings read it through
/// its typed key, and ``fields`` binds each key to its property for the web configuration, the command line and the
/// stored JSON (whose keys are the property names, as before).
///
/// - SeeAlso: seeds/003 §2.2 (MAPS: General, Modbus Slave and OCPP tabs).
public struct GatewaySettings: Sendable, Codable, Equatable {
    public var mode: GatewayMode
    public var chargers: [ChargerEntry] = []
    /// Handed to the chargers in BootNotification.conf (seeds/003 §2.2 "Heartbeat interval").
    public var heartbeatIntervalSeconds: Int
    /// The OCPP WebSocket port (seeds/003 §2.1: "The TCP port by default is 9000").
    public var ocppPort: Int
    /// Where the OCPP server and the Modbus TCP server bind: an address or an interface name (issue 23 item 7).
    public var ocppBindAddress: String
    public var modbusTCPBindAddress: String
    /// How long a charger's Authorize/StartTransaction/StopTransaction waits for the BMS before the gateway answers
    /// safely by itself (Invalid; the transaction is kept in the gateway only).
    public var bmsTimeoutSeconds: Int
    /// How long the gateway waits for an answer to a CALL it sent: a charger's answer to an operation the BMS
    /// requested; in External mode either side's answer to a relayed CALL, after which the next one goes out.
    public var chargerTimeoutSeconds: Int
    /// The BMS counts as offline when it has not set the Heartbeat register (0) for this long.
    public var bmsHeartbeatTimeoutSeconds: Int
    /// The Modbus TCP server (seeds/003 §2.2 step 3, "Modbus Slave tab").
    public var modbusTCPEnabled: Bool
    /// Its port (0 = any free port, published in gateway.json).
    public var modbusTCPPort: Int
    /// The unit id the gateway answers to (seeds/003 §2.2 step 3, "Modbus Slave tab"); 0 answers every unit id.
    public var modbusUnitID: Int
    /// Modbus RTU slave: serial device path (empty = off), line settings.
    public var rtuDevice: String
    public var rtuBaudRate: Int
    public var rtuParity: String
    public var rtuStopBits: Int
    /// External mode: the external central system's URL (`ws://` or `wss://`); each charger is relayed to
    /// `<url>/<ChargerID>`.
    public var externalURL: String
    /// External mode: HTTP Basic password sent upstream (user = ChargerID); empty: none.
    public var externalPassword: String
    /// Off (seeds/003): a ChargerID that is not configured is refused and listed by the OCPP scan. On: every ChargerID
    /// is accepted, and those not configured are served without registers (the gateway as a central system for more
    /// chargers than the register map has slots). In BMS mode their Authorize/StartTransaction/StopTransaction, which
    /// the BMS cannot see, are answered at once as on a BMS timeout; in External mode they are relayed.
    public var acceptUnconfiguredChargers: Bool
    /// wss for the chargers: PEM certificate (chain) and private key files of the OCPP server; both empty: ws.
    public var ocppTLSCertificateFile: String
    public var ocppTLSKeyFile: String
    /// How chargers authenticate (``ChargerSecurityProfile``, OCPP 1.6 security whitepaper ed. 3 §2): 0 none, 1 Basic
    /// over ws, 2 Basic over wss, 3 client certificates over wss.
    public var ocppSecurityProfile: Int
    /// Profile 3: the PEM file of the CA(s) the chargers' client certificates must chain to.
    public var ocppClientCAFile: String
    /// The time zone of the date registers 1…6 (IANA name; seeds/003 §2.3.1.1): BMS clocks often run on local time.
    public var bmsTimeZone: String
    /// The signals switched off on the Signals page (seeds/003 §2.2 step 6), by their first register address: each
    /// answers as the seed's "Not used" registers (reads 0; a write answers exception 02). Not a parameter: like the
    /// charger list it has its own page and check.
    public var signalsOff: [Int] = []
    /// Prometheus metrics on the web configuration's `/metrics` (issue 30 item 1): served while on and a token is set.
    public var metricsEnabled: Bool
    /// The bearer token of `/metrics` (secret).
    public var metricsToken: String
    /// The MQTT client (ChargeKit's own, not in the seeds; ``mqttClient`` reads them as the station's settings type).
    public var mqttEnabled: Bool
    public var mqttBrokerHost: String
    public var mqttBrokerPort: Int
    public var mqttTLS: Bool
    public var mqttUser: String
    public var mqttPassword: String
    public var mqttTopicPrefix: String
    public var mqttMeterIntervalSeconds: Int
    public var mqttHomeAssistantDiscovery: Bool
    /// The web configuration's listener (issue 23 item 2): its address, the HTTPS port, HTTP redirected to HTTPS.
    public var webBindAddress: String
    public var httpsPort: Int
    public var httpRedirect: Bool

    /// The declared defaults, no chargers.
    public init() { self.init(GatewayParameters.defaults) }

    /// Reads the settings from the gateway's parameters through their typed keys; the charger list is not one of them.
    public init(_ p: ParameterSet, chargers: [ChargerEntry] = []) {
        mode = p[.mode]
        self.chargers = chargers
        heartbeatIntervalSeconds = p[.heartbeatIntervalSeconds]
        ocppPort = p[.ocppPort]
        ocppBindAddress = p[.ocppBindAddress]
        modbusTCPBindAddress = p[.modbusTCPBindAddress]
        bmsTimeoutSeconds = p[.bmsTimeoutSeconds]
        chargerTimeoutSeconds = p[.chargerTimeoutSeconds]
        bmsHeartbeatTimeoutSeconds = p[.bmsHeartbeatTimeoutSeconds]
        modbusTCPEnabled = p[.modbusTCPEnabled]
        modbusTCPPort = p[.modbusTCPPort]
        modbusUnitID = p[.modbusUnitID]
        rtuDevice = p[.rtuDevice]
        rtuBaudRate = p[.rtuBaudRate]
        rtuParity = p[.rtuParity]
        rtuStopBits = p[.rtuStopBits]
        externalURL = p[.externalURL]
        externalPassword = p[.externalPassword]
        acceptUnconfiguredChargers = p[.acceptUnconfiguredChargers]
        ocppTLSCertificateFile = p[.ocppTLSCertificateFile]
        ocppTLSKeyFile = p[.ocppTLSKeyFile]
        ocppSecurityProfile = p[.ocppSecurityProfile]
        ocppClientCAFile = p[.ocppClientCAFile]
        bmsTimeZone = p[.bmsTimeZone]
        metricsEnabled = p[.gatewayMetricsEnabled]
        metricsToken = p[.gatewayMetricsToken]
        mqttEnabled = p[.gatewayMQTTEnabled]; mqttBrokerHost = p[.gatewayMQTTBrokerHost]; mqttBrokerPort = p[.gatewayMQTTBrokerPort]
        mqttTLS = p[.gatewayMQTTTLS]; mqttUser = p[.gatewayMQTTUser]; mqttPassword = p[.gatewayMQTTPassword]
        mqttTopicPrefix = p[.gatewayMQTTTopicPrefix]; mqttMeterIntervalSeconds = p[.gatewayMQTTMeterIntervalSeconds]
        mqttHomeAssistantDiscovery = p[.gatewayMQTTDiscovery]
        webBindAddress = p[.gatewayWebBindAddress]; httpsPort = p[.gatewayHTTPSPort]; httpRedirect = p[.gatewayHTTPRedirect]
    }

    /// The settings as the gateway registry's values (the charger list aside).
    public var parameters: ParameterSet {
        var p = GatewayParameters.defaults
        for f in Self.fields { p.set(f.key, f.get(self)) }
        return p
    }

    /// Sets one setting through its typed key (the command line's options).
    public mutating func set<V>(_ key: ParameterKey<V>, _ value: V) {
        guard let f = Self.fields.first(where: { $0.key == key.name }) else { preconditionFailure("\(key) is no gateway setting") }
        f.set(&self, key.codec.encode(value))
    }

    /// Settings stored by an earlier version lack the newer fields: those get their declared defaults. The keys are the
    /// parameters' names (the property names).
    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: SettingsCodingKey.self)
        for f in Self.fields { try f.decode(c, &self) }
        chargers = try c.decodeIfPresent([ChargerEntry].self, forKey: .chargers) ?? []
        signalsOff = try c.decodeIfPresent([Int].self, forKey: .signalsOff) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: SettingsCodingKey.self)
        for f in Self.fields { try f.encode(&c, self) }
        try c.encode(chargers, forKey: .chargers)
        try c.encode(signalsOff, forKey: .signalsOff)
    }

    /// The charger in slot `xx`.
    public func charger(slot: Int) -> ChargerEntry? { chargers.first { $0.slot == slot } }
    public func charger(id: String) -> ChargerEntry? { chargers.first { $0.id == id } }

    /// The charger security profile (``ocppSecurityProfile``; an undeclared number reads as 0, and is a problem).
    public var securityProfile: ChargerSecurityProfile { ChargerSecurityProfile(rawValue: ocppSecurityProfile) ?? .none }

    /// What the security profile needs of the other settings (OCPP 1.6 security whitepaper ed. 3 §2.1): profile 1 is
    /// Basic over plain ws, 2 and 3 need the wss certificate and key, 3 the client CA file.
    func securityProblems() -> [SettingProblem] {
        let profile = ocppSecurityProfile, hasTLS = !ocppTLSCertificateFile.isEmpty
        var p: [SettingProblem] = []
        if profile == 1, hasTLS {
            p.append(SettingProblem("ocppSecurityProfile", "profile 1 is HTTP Basic over plain ws; with the wss certificate set, choose profile 2"))
        }
        if profile >= 2, !hasTLS {
            p.append(SettingProblem("ocppTLSCertificateFile", "security profile \(profile) needs wss: set the certificate and the private key file"))
        }
        if profile == 3, ocppClientCAFile.isEmpty {
            p.append(SettingProblem("ocppClientCAFile", "security profile 3 needs the CA file the chargers' client certificates are signed by"))
        }
        return p
    }

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

    /// Every problem of the settings (empty when they are valid): each setting against its declaration and what
    /// concerns several of them (the charger list, the wss pair, the external central system's URL) — numbers and
    /// choices first, then the lists, then texts, in page order.
    public func problems() -> [SettingProblem] {
        let url = ParameterKey<String>.externalURL.name
        let own = Self.fields.compactMap { f in f.problem(in: self).map { (ranged: f.input.isRange, problem: $0) } }
        var p = own.filter(\.ranged).map(\.problem)
        var texts = own.filter { !$0.ranged }.map(\.problem)
        if let i = texts.firstIndex(where: { $0.field == url }) {
            texts.insert(texts.remove(at: i), at: 0)
        } else if let problem = externalURLProblem {
            texts.insert(SettingProblem(url, problem), at: 0)
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
        for a in signalsOff where RegisterLayout.signal(forAddress: a) == nil {
            p.append(SettingProblem("signalsOff", "\(a) is not the first register of a signal of the register map"))
        }
        if ocppTLSCertificateFile.isEmpty != ocppTLSKeyFile.isEmpty {
            p.append(SettingProblem(ocppTLSCertificateFile.isEmpty ? "ocppTLSCertificateFile" : "ocppTLSKeyFile",
                                    "wss needs both the certificate and the private key file"))
        }
        p += securityProblems()
        if !texts.contains(where: { $0.field == "bmsTimeZone" }), TimeZoneRules.named(bmsTimeZone) == nil {
            texts.append(SettingProblem("bmsTimeZone", "'\(bmsTimeZone)' is not a time zone (an IANA name such as Europe/Berlin, or UTC)"))
        }
        return p + texts
    }

    /// Why the external central system's URL cannot be used beyond its declared format (External mode needs one; the
    /// password belongs in its own setting; the ChargerID is appended, so no query or fragment).
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

