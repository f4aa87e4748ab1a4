import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HostServices
import App
import Gateway
import Hosting
import Logging

/// `chargekit gateway`: the OCPP 1.6J central system with the seeds/003 Modbus register map.
struct GatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "Run the OCPP-to-Modbus gateway (central system for up to 20 chargers, seeds/003 register map).",
        discussion: """
            Chargers connect to ws://<host>:<ocpp-port>/<ChargerID>; a building management system reads and writes the
            Modbus registers of seeds/003 Appendix 2 (docs/integrator.md, "Gateway"). The web configuration at
            http://<http-host>:<http-port>/ sets everything below and shows the diagnostics; the initial passwords are
            printed at the first start. Settings given here are saved in the data directory and apply to later starts too;
            --charger replaces the charger list (slots 0, 1, … in the order given).
            """)

    @Option(name: .customLong("data-dir"), help: "Directory for the gateway's database and runtime file.")
    var dataDir = "./chargekit-gateway"
    @Option(help: "Address or interface the OCPP and Modbus servers listen on; saved as the settings ocppBindAddress and modbusTCPBindAddress (default 0.0.0.0).")
    var host: String?
    @Option(name: .customLong("http-host"), help: "Address of the web configuration and the API, HTTP and HTTPS (0.0.0.0: every interface; default: the setting webBindAddress, 0.0.0.0).")
    var httpHost: String?
    @Option(name: .customLong("http-port"), help: "Port of the web configuration over HTTP (0 = any free port, see gateway.json).")
    var httpPort = GatewayOptions.defaultHTTPPort
    @Option(name: .customLong("https-port"), help: "Port of the web configuration over HTTPS (0 = any free port, see gateway.json; default: the setting httpsPort, 8444).")
    var httpsPort: Int?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"
    @Option(help: "BMS (the BMS is the central system) or External (bridge to an external central system).")
    var mode: String?
    @Option(name: .customLong("charger"), help: "A charger as ChargerID or ChargerID:connectors (1…7; default 1). Repeat for each.")
    var chargers: [String] = []
    @Option(name: .customLong("ocpp-port"), help: "OCPP WebSocket port (default 9000; 0 = any free port, see gateway.json).")
    var ocppPort: Int?
    @Option(name: .customLong("modbus-port"), help: "Modbus TCP port (default 502; 0 = any free port).")
    var modbusPort: Int?
    @Option(name: .customLong("modbus-tcp"), help: "on or off: the Modbus TCP server.")
    var modbusTCP: String?
    @Option(name: .customLong("modbus-unit-id"), help: "Unit id the gateway answers to (1…247; 0 = any).")
    var modbusUnitID: Int?
    @Option(name: .customLong("rtu-device"), help: "Serial device of the Modbus RTU slave (e.g. /dev/ttyUSB0); 'off' disables it.")
    var rtuDevice: String?
    @Option(name: .customLong("rtu-baud"), help: "RTU baud rate: 1200 … 115200 (default 19200).")
    var rtuBaud: Int?
    @Option(name: .customLong("rtu-parity"), help: "RTU parity: none, even or odd (default even).")
    var rtuParity: String?
    @Option(name: .customLong("rtu-stop-bits"), help: "RTU stop bits: 1 or 2.")
    var rtuStopBits: Int?
    @Option(name: .customLong("heartbeat-interval"), help: "Heartbeat interval handed out in BootNotification, seconds.")
    var heartbeatInterval: Int?
    @Option(name: .customLong("bms-timeout"), help: "Seconds a charger's Authorize/Start/Stop waits for the BMS before the gateway answers Invalid.")
    var bmsTimeout: Int?
    @Option(name: .customLong("charger-timeout"),
            help: "Seconds the gateway waits for an answer: a charger's to a BMS operation; in External mode either side's to a relayed CALL.")
    var chargerTimeout: Int?
    @Option(name: .customLong("external-url"), help: "External mode: the central system's ws:// or wss:// URL; each charger is relayed to <url>/<ChargerID>.")
    var externalURL: String?
    @Option(name: .customLong("external-password"),
            help: "External mode: HTTP Basic password for the central system (user = ChargerID); '' for none. Stored, never logged.")
    var externalPassword: String?
    @Option(name: .customLong("accept-unconfigured"),
            help: "on: accept every ChargerID; those not configured have no registers (BMS mode: their Authorize/Start/Stop are answered Invalid). off (default): refuse and list them in the OCPP scan.")
    var acceptUnconfigured: String?
    @Option(name: .customLong("ocpp-tls-cert"), help: "wss for the chargers: PEM certificate (chain) file; '' for plain ws.")
    var ocppTLSCert: String?
    @Option(name: .customLong("ocpp-tls-key"), help: "wss for the chargers: PEM private key file; '' for plain ws.")
    var ocppTLSKey: String?
    @Option(name: .customLong("ocpp-security-profile"),
            help: "How chargers authenticate: 0 none, 1 HTTP Basic over ws, 2 TLS + Basic, 3 TLS + client certificate (OCPP 1.6 security whitepaper). Passwords are set per charger on the web page or the API.")
    var ocppSecurityProfile: Int?
    @Option(name: .customLong("ocpp-client-ca"), help: "Security profile 3: PEM file of the CA that signs the chargers' client certificates.")
    var ocppClientCA: String?
    @Option(name: .customLong("bms-time-zone"), help: "Time zone of the date registers 1…6 the BMS writes and reads (IANA name such as Europe/Berlin; default UTC).")
    var bmsTimeZone: String?
    @Option(name: .customLong("metrics"), help: "on or off: Prometheus metrics on /metrics of the web configuration's port (served only with a token).")
    var metrics: String?
    @Option(name: .customLong("metrics-token-file"),
            help: "File holding the bearer token Prometheus must send to /metrics (read once; a file keeps the secret out of the process list). Stored, never logged.")
    var metricsTokenFile: String?
    @OptionGroup var mqtt: GatewayMQTTOptions

    func validate() throws {
        guard (0...65535).contains(httpPort) else { throw ValidationError("--http-port must be 0…65535 (got \(httpPort))") }
        if let p = httpsPort, !(0...65535).contains(p) { throw ValidationError("--https-port must be 0…65535 (got \(p))") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical (got \(logLevel))")
        }
        if let mode, GatewayMode(rawValue: mode) == nil { throw ValidationError("--mode must be BMS or External (got \(mode))") }
        for (option, value) in [("modbus-tcp", modbusTCP), ("accept-unconfigured", acceptUnconfigured), ("metrics", metrics)] {
            if let value, !["on", "off"].contains(value) { throw ValidationError("--\(option) must be on or off (got \(value))") }
        }
        _ = try parsedChargers()
    }

    func parsedChargers() throws -> [ChargerEntry] {
        try chargers.enumerated().map { slot, text in
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard let id = parts.first, !id.isEmpty else { throw ValidationError("--charger needs a ChargerID (got '\(text)')") }
            var connectors = 1
            if parts.count == 2 {
                guard let n = Int(parts[1]) else { throw ValidationError("--charger \(text): connectors must be a number 1…7") }
                connectors = n
            }
            return ChargerEntry(id: id, slot: slot, connectors: connectors)
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var h = SanitizingLogHandler(StreamLogHandler.standardError(label: label))
            h.logLevel = level
            return h
        }
        let chargers = try parsedChargers()
        let (mode, ocppPort, modbusPort, modbusTCP, unit, heartbeat, bmsTimeout, chargerTimeout) =
            (self.mode, self.ocppPort, self.modbusPort, self.modbusTCP, modbusUnitID, heartbeatInterval, self.bmsTimeout, self.chargerTimeout)
        let (rtuDevice, rtuBaud, rtuParity, rtuStopBits) = (self.rtuDevice, self.rtuBaud, self.rtuParity, self.rtuStopBits)
        let (externalURL, externalPassword, tlsCert, tlsKey) = (self.externalURL, self.externalPassword, ocppTLSCert, ocppTLSKey)
        let (acceptUnconfigured, bmsTimeZone) = (self.acceptUnconfigured, self.bmsTimeZone)
        let (securityProfile, clientCA) = (ocppSecurityProfile, ocppClientCA)
        let metrics = self.metrics
        let metricsToken = try metricsTokenFile.map { path in
            do { return GatewaySettingField.trimmed(try SystemFile.readText(path)) } catch {
                throw fail("--metrics-token-file cannot be read: \(error)")
            }
        }
        let mqttChanges = try mqtt.changes()
        // Each option sets its parameter of the gateway registry (GatewayParameters) through its typed key; the values are
        // checked against the declarations with the stored ones at start, as the web configuration's are.
        let options = GatewayOptions(dataDirectory: dataDir, logLevel: level, host: host, httpHost: httpHost, httpPort: httpPort, httpsPort: httpsPort) { s in
            if let rtuDevice { s.set(.rtuDevice, rtuDevice == "off" ? "" : rtuDevice) }
            if let rtuBaud { s.set(.rtuBaudRate, rtuBaud) }
            if let rtuParity { s.set(.rtuParity, rtuParity) }
            if let rtuStopBits { s.set(.rtuStopBits, rtuStopBits) }
            if let mode = mode.flatMap(GatewayMode.init(rawValue:)) { s.set(.mode, mode) }
            // The stored password hash of a ChargerID stays (passwords are set on the web page or the API only).
            if !chargers.isEmpty { s.chargers = chargers.map { c in var c = c; c.passwordHash = s.charger(id: c.id)?.passwordHash; return c } }
            if let ocppPort { s.set(.ocppPort, ocppPort) }
            if let modbusPort { s.set(.modbusTCPPort, modbusPort) }
            if let modbusTCP { s.set(.modbusTCPEnabled, modbusTCP == "on") }
            if let unit { s.set(.modbusUnitID, unit) }
            if let heartbeat { s.set(.heartbeatIntervalSeconds, heartbeat) }
            if let bmsTimeout { s.set(.bmsTimeoutSeconds, bmsTimeout) }
            if let chargerTimeout { s.set(.chargerTimeoutSeconds, chargerTimeout) }
            if let externalURL { s.set(.externalURL, externalURL) }
            if let externalPassword { s.set(.externalPassword, externalPassword) }
            if let acceptUnconfigured { s.set(.acceptUnconfiguredChargers, acceptUnconfigured == "on") }
            if let tlsCert { s.set(.ocppTLSCertificateFile, tlsCert) }
            if let tlsKey { s.set(.ocppTLSKeyFile, tlsKey) }
            if let securityProfile { s.set(.ocppSecurityProfile, securityProfile) }
            if let clientCA { s.set(.ocppClientCAFile, clientCA) }
            if let bmsTimeZone { s.set(.bmsTimeZone, bmsTimeZone) }
            if let metrics { s.set(.gatewayMetricsEnabled, metrics == "on") }
            if let metricsToken { s.set(.gatewayMetricsToken, metricsToken) }
            mqttChanges(&s)
        }
        do {
            try await GatewayApp.run(options)
        } catch {
            throw fail("\(error)")
        }
    }
}
