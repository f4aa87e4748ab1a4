import HostConfig
import Parameters

/// The gateway's settings pages (seeds/003 §2.2: the vendor tool's General and Modbus Slave tabs).
extension Menu {
    public static let gatewayGeneral = Menu(rawValue: "General")
    public static let gatewayModbus = Menu(rawValue: "Modbus Slave")
}

extension GatewayMode: ParameterChoice {}

/// The typed keys of the gateway's parameters. Each is named like the ``GatewaySettings`` property it is read into,
/// which is also the web form's field, the key of the stored settings' JSON and ``SettingProblem/field``.
extension ParameterKey {
    public static var mode: ParameterKey<GatewayMode> { .init("mode", .choice) }
    public static var heartbeatIntervalSeconds: ParameterKey<Int> { .init("heartbeatIntervalSeconds", .integer) }
    public static var ocppPort: ParameterKey<Int> { .init("ocppPort", .integer) }
    public static var ocppBindAddress: ParameterKey<String> { .init("ocppBindAddress", .text) }
    public static var modbusTCPBindAddress: ParameterKey<String> { .init("modbusTCPBindAddress", .text) }
    public static var ocppTLSCertificateFile: ParameterKey<String> { .init("ocppTLSCertificateFile", .text) }
    public static var ocppTLSKeyFile: ParameterKey<String> { .init("ocppTLSKeyFile", .text) }
    public static var ocppSecurityProfile: ParameterKey<Int> { .init("ocppSecurityProfile", .integerChoice) }
    public static var ocppClientCAFile: ParameterKey<String> { .init("ocppClientCAFile", .text) }
    public static var acceptUnconfiguredChargers: ParameterKey<Bool> { .init("acceptUnconfiguredChargers", .bool) }
    public static var externalURL: ParameterKey<String> { .init("externalURL", .text) }
    public static var externalPassword: ParameterKey<String> { .init("externalPassword", .text) }
    public static var bmsTimeoutSeconds: ParameterKey<Int> { .init("bmsTimeoutSeconds", .integer) }
    public static var chargerTimeoutSeconds: ParameterKey<Int> { .init("chargerTimeoutSeconds", .integer) }
    public static var bmsHeartbeatTimeoutSeconds: ParameterKey<Int> { .init("bmsHeartbeatTimeoutSeconds", .integer) }
    public static var modbusTCPEnabled: ParameterKey<Bool> { .init("modbusTCPEnabled", .bool) }
    public static var modbusTCPPort: ParameterKey<Int> { .init("modbusTCPPort", .integer) }
    public static var modbusUnitID: ParameterKey<Int> { .init("modbusUnitID", .integer) }
    public static var rtuDevice: ParameterKey<String> { .init("rtuDevice", .text) }
    public static var rtuBaudRate: ParameterKey<Int> { .init("rtuBaudRate", .integerChoice) }
    public static var rtuParity: ParameterKey<String> { .init("rtuParity", .text) }
    public static var rtuStopBits: ParameterKey<Int> { .init("rtuStopBits", .integer) }
    public static var bmsTimeZone: ParameterKey<String> { .init("bmsTimeZone", .text) }
}

/// The gateway's settings declared as the parameters of its registry: type and range, default, section, help — the
/// one declaration the settings (``GatewaySettings``), their check (``GatewaySettings/problems()``), the web
/// configuration's pages and the command line's options use. The charger list is not a parameter: it has its own
/// page and checks. Labels and help are the English texts of the web configuration (`gw.field.*`, `gw.help.*`), which
/// a test compares.
///
/// - SeeAlso: seeds/003 §2.1, §2.2 (MAPS: General, Modbus Slave and OCPP tabs).
public enum GatewayParameters {
    /// The role that may change the gateway's settings.
    public static let role = Role.installer
    public static let allowedParities = ["none", "even", "odd"]
    public static let allowedBaudRates = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200]
    /// A file or device path of at most this many characters (Linux PATH_MAX).
    static let maximumPathLength = 4096

    static func path(_ key: ParameterKey<String>, _ label: String, section: GatewaySettingField.Section, help: String,
                     seeAlso: String) -> ParameterDefinition {
        ParameterDefinition(key: key, label: label, type: .string(length: 0...maximumPathLength, allowed: nil), defaultValue: .string(""),
                            role: role, menu: section.menu, section: section.rawValue, help: help, seeAlso: seeAlso)
    }

    static func seconds(_ key: ParameterKey<Int>, _ label: String, _ range: ClosedRange<Int>, default value: Int,
                        section: GatewaySettingField.Section, help: String, seeAlso: String) -> ParameterDefinition {
        ParameterDefinition(key: key, label: label, type: .integer(range, unit: "s"), defaultValue: .integer(value), role: role,
                            menu: section.menu, section: section.rawValue, help: help, seeAlso: seeAlso)
    }

    static func port(_ key: ParameterKey<Int>, _ label: String, default value: Int, section: GatewaySettingField.Section, help: String,
                     seeAlso: String) -> ParameterDefinition {
        ParameterDefinition(key: key, label: label, type: .integer(0...65535, unit: nil), defaultValue: .integer(value), role: role,
                            menu: section.menu, section: section.rawValue, help: help, seeAlso: seeAlso)
    }

    /// Where a listener binds (issue 23 item 7): an address or an interface name (``HostConfig/ListenAddress``),
    /// checked by the registry's text rule.
    static func bindAddress(_ key: ParameterKey<String>, _ label: String, section: GatewaySettingField.Section, help: String) -> ParameterDefinition {
        ParameterDefinition(key: key, label: label, type: .string(length: 1...45, allowed: nil), defaultValue: .string("0.0.0.0"),
                            role: role, menu: section.menu, section: section.rawValue, restartRequired: false, help: help,
                            seeAlso: "docs/installer.md Listeners")
    }

    /// Every setting except the charger list, in the order of the web configuration's pages.
    public static let definitions: [ParameterDefinition] = [
        // MARK: OCPP central system (seeds/003 §2.1, §2.2 step 4)
        ParameterDefinition(
            key: .mode, label: "Central system", type: .choice([GatewayMode.bms: "BMS", .external: "External"]),
            defaultValue: .choice(GatewayMode.bms), role: role, menu: .gatewayGeneral, section: "ocpp",
            help: "BMS: the Modbus BMS acts as the central system through the registers (use case 1). External: the gateway relays every charger to an external central system and the BMS reads the measurements (use case 2).",
            seeAlso: "seeds/003 §2.2 step 4a"),
        seconds(.heartbeatIntervalSeconds, "Heartbeat interval (s)", 10...86400, default: 300, section: .ocpp,
                help: "Handed to the chargers in the BootNotification answer.", seeAlso: "seeds/003 §2.2 step 4"),
        port(.ocppPort, "OCPP port", default: 9000, section: .ocpp,
             help: "TCP port of the chargers' WebSocket connections (0: any free port).", seeAlso: "seeds/003 §2.1, §2.2 step 4"),
        bindAddress(.ocppBindAddress, "OCPP bind address", section: .ocpp,
                    help: "Where the OCPP server listens: an IP address of this machine, 0.0.0.0 for all IPv4 addresses (:: for all), or a network interface name such as eth0 (its address when the server starts). Choose the chargers' network."),
        path(.ocppTLSCertificateFile, "wss certificate file", section: .ocpp,
             help: "PEM certificate (chain) of the OCPP server for wss; empty for ws. The file must be readable by the gateway.",
             seeAlso: "OCPP-J 1.6 §7"),
        path(.ocppTLSKeyFile, "wss private key file", section: .ocpp,
             help: "PEM private key that belongs to the certificate; empty for ws.", seeAlso: "OCPP-J 1.6 §7"),
        ParameterDefinition(
            key: .ocppSecurityProfile, label: "Charger security profile",
            type: .choice(ChargerSecurityProfile.allCases.map { Choice(String($0.rawValue), $0.label) }), defaultValue: .string("0"),
            role: role, menu: .gatewayGeneral, section: "ocpp",
            help: "How chargers authenticate. 0: not at all (ws, or wss with the certificate above). 1: HTTP Basic with each charger's password over ws. 2: TLS (wss, the certificate above) with HTTP Basic. 3: TLS with a client certificate signed by the client CA; its CN must be the ChargerID.",
            seeAlso: "OCPP 1.6 security whitepaper ed. 3 §2"),
        path(.ocppClientCAFile, "Client CA file", section: .ocpp,
             help: "Security profile 3: PEM certificate(s) of the CA that signs the chargers' client certificates.",
             seeAlso: "OCPP 1.6 security whitepaper ed. 3 A00.FR.4xx"),
        ParameterDefinition(
            key: .acceptUnconfiguredChargers, label: "Accept unconfigured chargers", type: .bool, defaultValue: .bool(false), role: role,
            menu: .gatewayGeneral, section: "ocpp",
            help: "Off: a ChargerID that is not configured is refused and listed in the OCPP scan. On: it is served without registers (BMS mode: its Authorize, StartTransaction and StopTransaction are answered Invalid at once).",
            seeAlso: "seeds/003 §2.2 step 4b"),
        // MARK: External central system (seeds/003 §2.4)
        ParameterDefinition(
            key: .externalURL, label: "Central system URL", type: .url(schemes: ["ws", "wss"], maxLength: 2048), defaultValue: .string(""),
            role: role, menu: .gatewayGeneral, section: "external", visibleWhen: .when(.mode, is: .external),
            help: "ws:// or wss:// URL of the external central system; each charger is relayed to <URL>/<ChargerID>.",
            seeAlso: "seeds/003 §2.4"),
        ParameterDefinition(
            key: .externalPassword, label: "Central system password", type: .string(length: 0...64, allowed: nil), defaultValue: .string(""),
            role: role, menu: .gatewayGeneral, section: "external", secret: true, visibleWhen: .when(.mode, is: .external),
            help: "HTTP Basic password sent with the ChargerID as the user name. Leave the field empty to keep the stored password.",
            seeAlso: "OCPP-J 1.6 §6.1.3"),
        // MARK: Timeouts
        seconds(.bmsTimeoutSeconds, "BMS timeout (s)", 1...300, default: 20, section: .timeouts,
                help: "How long a charger's Authorize, StartTransaction or StopTransaction waits for the BMS before the gateway answers Invalid by itself.",
                seeAlso: "seeds/003 §2.3.1.2–§2.3.1.4"),
        seconds(.chargerTimeoutSeconds, "Answer timeout (s)", 1...300, default: 30, section: .timeouts,
                help: "How long the gateway waits for an answer to a CALL: a charger's to an operation of the BMS; in External mode either side's to a relayed CALL.",
                seeAlso: "OCPP-J 1.6 §4.1.1"),
        seconds(.bmsHeartbeatTimeoutSeconds, "BMS heartbeat timeout (s)", 5...3600, default: 60, section: .timeouts,
                help: "The BMS counts as offline when it has not set the Heartbeat register for this long.",
                seeAlso: "seeds/003 Appendix 2, register 0"),
        // MARK: Modbus TCP (seeds/003 §2.2 step 3, "Modbus Slave tab")
        ParameterDefinition(
            key: .modbusTCPEnabled, label: "Modbus TCP server", type: .bool, defaultValue: .bool(true), role: role, menu: .gatewayModbus,
            section: "modbusTCP", help: "The Modbus TCP server the BMS reads and writes the registers through.",
            seeAlso: "seeds/003 §2.2 step 3"),
        port(.modbusTCPPort, "Modbus TCP port", default: 502, section: .modbusTCP,
             help: "TCP port of the Modbus server (0: any free port).", seeAlso: "seeds/003 §2.2 step 3"),
        bindAddress(.modbusTCPBindAddress, "Modbus TCP bind address", section: .modbusTCP,
                    help: "Where the Modbus TCP server listens: an IP address of this machine, 0.0.0.0 for all IPv4 addresses (:: for all), or a network interface name such as eth0 (its address when the server starts). Choose the BMS's network."),
        ParameterDefinition(
            key: .modbusUnitID, label: "Unit id", type: .integer(0...247, unit: nil), defaultValue: .integer(1), role: role,
            menu: .gatewayModbus, section: "modbusTCP",
            help: "The Modbus unit id (slave address) the gateway answers to, TCP and RTU; 0 answers every unit id.",
            seeAlso: "seeds/003 §2.2 step 3"),
        // MARK: Modbus RTU (seeds/003 §2.2 step 3)
        path(.rtuDevice, "RTU serial device", section: .modbusRTU,
             help: "Serial device of the Modbus RTU slave, such as /dev/ttyUSB0; empty: off.", seeAlso: "seeds/003 §2.2 step 3"),
        ParameterDefinition(
            key: .rtuBaudRate, label: "Baud rate", type: .choice(allowedBaudRates.map { Choice(String($0), String($0)) }),
            defaultValue: .string("19200"), role: role, menu: .gatewayModbus, section: "modbusRTU", help: "Baud rate of the serial line.",
            seeAlso: "seeds/003 §2.2 step 3"),
        ParameterDefinition(
            key: .rtuParity, label: "Parity", type: .choice(allowedParities.map { Choice($0, $0) }), defaultValue: .string("even"), role: role,
            menu: .gatewayModbus, section: "modbusRTU", help: "Parity of the serial line.", seeAlso: "seeds/003 §2.2 step 3"),
        ParameterDefinition(
            key: .rtuStopBits, label: "Stop bits", type: .integer(1...2, unit: nil), defaultValue: .integer(1), role: role,
            menu: .gatewayModbus, section: "modbusRTU", help: "Stop bits of the serial line.", seeAlso: "seeds/003 §2.2 step 3"),
        // MARK: Time synchronisation (seeds/003 §2.3.1.1, Appendix 2 registers 1…6)
        ParameterDefinition(
            key: .bmsTimeZone, label: "BMS time zone", type: .string(length: 1...64, allowed: nil), defaultValue: .string("UTC"), role: role,
            menu: .gatewayModbus, section: "timeSync",
            help: "Time zone of the date and time registers 1…6 (IANA name such as Europe/Berlin, or UTC): what the BMS writes there is read in this zone, and they read back the gateway's clock in it. BMS clocks often run on local time. The OCPP times stay UTC.",
            seeAlso: "seeds/003 §2.3.1.1"),
    ] + metricsDefinitions + mqttDefinitions + webDefinitions

    /// The gateway's registry.
    public static let registry = ParameterRegistry(
        definitions: definitions,
        rules: ParameterRules(textChecks: [ParameterKey<String>.ocppBindAddress.name: { ListenAddress.problem($0) },
                                           ParameterKey<String>.modbusTCPBindAddress.name: { ListenAddress.problem($0) }]),
        connectorCount: 1)

    /// The declared defaults.
    public static var defaults: ParameterSet { ParameterSet(registry: registry) }

    /// What `type` allows, in the gateway's short form: `10…86400 s`, `none, even, odd`.
    public static func allowed(_ type: ParameterType) -> String {
        switch type {
        case .integer(let r, let unit): "\(r.lowerBound)…\(r.upperBound)" + (unit.map { " \($0)" } ?? "")
        case .choice(let cs): cs.map(\.value).joined(separator: ", ")
        default: type.allowedDescription
        }
    }

    /// Why `value` does not fit `type`, as the gateway words it ("5 is outside 10…86400 s").
    static func problem(_ value: ParameterValue, _ type: ParameterType) -> String {
        switch type {
        case .integer: "\(value) is outside \(allowed(type))"
        case .choice: "'\(value)' is not one of \(allowed(type))"
        case .string(let length, nil):
            (length.lowerBound == 0 ? "at most \(length.upperBound)" : "\(length.lowerBound)…\(length.upperBound)") + " characters, no control characters"
        case .string(let length, .some):
            // Without the value: the only such setting is a secret (the metrics token).
            (length.lowerBound == 0 ? "at most \(length.upperBound)" : "\(length.lowerBound)…\(length.upperBound)")
                + " characters of A–Z, a–z, 0–9 and - . _ ~ + /"
        case .url(let schemes, let maxLength):
            value.description.count > maxLength ? "at most \(maxLength) characters"
                : "'\(value)' is not a \(schemes.map { "\($0)://" }.joined(separator: " or ")) URL with a host"
        default: "'\(value)' is not allowed; allowed is \(type.allowedDescription)"
        }
    }
}

extension GatewaySettingField.Section {
    /// The settings page the section is on.
    public var menu: Menu {
        switch self {
        case .ocpp, .external, .timeouts, .mqtt: .gatewayGeneral
        case .modbusTCP, .modbusRTU, .timeSync: .gatewayModbus
        case .metrics, .web: .gatewayGeneral
        }
    }
}
