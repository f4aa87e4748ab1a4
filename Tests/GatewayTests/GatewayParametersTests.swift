import Foundation
import Parameters
import Testing
@testable import Gateway

/// Issue 21 item 3: the gateway's settings are the parameters of its registry — declared once (type, range, default),
/// read through typed keys, checked against the declarations — while the settings, their pages, options and stored JSON
/// stay as they were.
@Suite("Gateway settings as parameters")
struct GatewayParametersTests {
    @Test("every setting but the charger list is a declared parameter, bound to the property of its name, in page order")
    func everySettingIsDeclared() {
        let properties = Mirror(reflecting: GatewaySettings()).children.compactMap(\.label).filter { $0 != "chargers" && $0 != "signalsOff" }
        let fields = GatewaySettings.fields.map(\.key)
        #expect(Set(properties) == Set(fields) && properties.count == fields.count, "a property without its parameter, or the reverse")
        #expect(fields == GatewayParameters.registry.definitions.map(\.key), "the fields follow the declarations")
        // Each field writes its own property and no other.
        for f in GatewaySettings.fields {
            var s = GatewaySettings()
            let before = Mirror(reflecting: s).children.map { "\($0.value)" }
            let changed: ParameterValue = switch f.definition.type {
            case .bool: .bool(!(f.get(s) == .bool(true)))
            case .integer(let r, _): .integer(r.upperBound)
            case .choice(let cs): .string(cs.last!.value)
            default: .string("changed")
            }
            f.set(&s, changed)
            let after = Mirror(reflecting: s).children.map { "\($0.value)" }
            let labels = Mirror(reflecting: s).children.compactMap(\.label)
            let differing = zip(labels, zip(before, after)).filter { $0.1.0 != $0.1.1 }.map(\.0)
            #expect(differing == [f.key], "\(f.key) changed \(differing)")
            #expect(f.get(s) == changed)
        }
    }

    @Test("the defaults are the declared ones, which are the earlier version's")
    func defaults() {
        let s = GatewaySettings()
        for f in GatewaySettings.fields { #expect(f.get(s) == f.definition.defaultValue, "\(f.key)") }
        #expect(s.mode == .bms && s.heartbeatIntervalSeconds == 300 && s.ocppPort == 9000 && s.bmsTimeoutSeconds == 20)
        #expect(s.chargerTimeoutSeconds == 30 && s.bmsHeartbeatTimeoutSeconds == 60 && s.modbusTCPEnabled && s.modbusTCPPort == 502)
        #expect(s.modbusUnitID == 1 && s.rtuDevice.isEmpty && s.rtuBaudRate == 19200 && s.rtuParity == "even" && s.rtuStopBits == 1)
        #expect(s.externalURL.isEmpty && s.externalPassword.isEmpty && !s.acceptUnconfiguredChargers && s.chargers.isEmpty)
        #expect(s.ocppTLSCertificateFile.isEmpty && s.ocppTLSKeyFile.isEmpty && s.problems().isEmpty)
    }

    @Test("the settings round-trip through the registry's values and typed keys")
    func roundTrip() {
        var s = GatewaySettings()
        s.mode = .external
        s.externalURL = "wss://cs.example/ocpp"
        s.rtuBaudRate = 9600
        s.rtuParity = "odd"
        s.acceptUnconfiguredChargers = true
        s.chargers = [ChargerEntry(id: "CP1", slot: 2, connectors: 2)]
        let p = s.parameters
        #expect(p[.mode] == .external && p[.rtuBaudRate] == 9600 && p.value("rtuBaudRate") == .string("9600"))
        #expect(GatewaySettings(p, chargers: s.chargers) == s)
    }

    @Test("a setting out of its declaration is named with the allowed range or values, as the form and the command line show it",
          arguments: [
              ("heartbeatIntervalSeconds", "9", "9 is outside 10…86400 s"),
              ("heartbeatIntervalSeconds", "86401", "86401 is outside 10…86400 s"),
              ("bmsTimeoutSeconds", "0", "0 is outside 1…300 s"),
              ("chargerTimeoutSeconds", "301", "301 is outside 1…300 s"),
              ("bmsHeartbeatTimeoutSeconds", "4", "4 is outside 5…3600 s"),
              ("ocppPort", "65536", "65536 is outside 0…65535"),
              ("modbusTCPPort", "-1", "-1 is outside 0…65535"),
              ("modbusUnitID", "248", "248 is outside 0…247"),
              ("rtuStopBits", "3", "3 is outside 1…2"),
              ("rtuBaudRate", "12345", "'12345' is not one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200"),
              ("rtuParity", "mark", "'mark' is not one of none, even, odd"),
              ("externalURL", "http://cs.example", "'http://cs.example' is not a ws:// or wss:// URL with a host"),
              ("externalPassword", String(repeating: "p", count: 65), "at most 64 characters, no control characters"),
          ])
    func outOfDeclaration(field: String, text: String, message: String) throws {
        var s = GatewaySettings()
        let f = try #require(GatewaySettings.fields.first { $0.key == field })
        #expect(f.apply(text, to: &s) == nil, "the form takes the entry; the check names the problem")
        #expect(s.problems() == [SettingProblem(field, message)])
        #expect(message.contains(GatewayParameters.allowed(f.definition.type)) || !f.input.isRange,
                "the message names what the declaration allows")
    }

    @Test("what the pages show as allowed comes from the declarations")
    func allowed() throws {
        func field(_ key: String) throws -> GatewaySettingField { try #require(GatewaySettings.fields.first { $0.key == key }) }
        #expect(try field("heartbeatIntervalSeconds").input == .number(10...86400, unit: " s"))
        #expect(try GatewayParameters.allowed(field("heartbeatIntervalSeconds").definition.type) == "10…86400 s")
        #expect(try GatewayParameters.allowed(field("modbusUnitID").definition.type) == "0…247")
        #expect(try field("rtuParity").input == .choice(["none", "even", "odd"]))
        #expect(try field("mode").input == .choice(["BMS", "External"]) && field("modbusTCPEnabled").input == .onOff)
        #expect(try field("externalPassword").input == .secret && field("externalURL").input == .text)
        #expect(try field("externalURL").visibleWhen?.key == "mode" && field("externalURL").visibleWhen?.values == ["External"])
        #expect(try field("externalURL").definition.menu == .gatewayGeneral && field("rtuParity").definition.menu == .gatewayModbus)
    }

    @Test("the command line sets a setting through its typed key, as the form does through its text")
    func typedSet() throws {
        var s = GatewaySettings(), t = GatewaySettings()
        s.set(.heartbeatIntervalSeconds, 120)
        s.set(.rtuBaudRate, 9600)
        s.set(.modbusTCPEnabled, false)
        s.set(.mode, .external)
        for (key, text) in [("heartbeatIntervalSeconds", "120"), ("rtuBaudRate", "9600"), ("modbusTCPEnabled", "Off"), ("mode", "External")] {
            #expect(try #require(GatewaySettings.fields.first { $0.key == key }).apply(text, to: &t) == nil)
        }
        #expect(s == t && s.heartbeatIntervalSeconds == 120 && s.rtuBaudRate == 9600 && !s.modbusTCPEnabled && s.mode == .external)
    }

    /// The MQTT settings' defaults as stored (sorted keys).
    static let mqttDefaultsJSON = #""mqttBrokerHost":"","mqttBrokerPort":1883,"mqttEnabled":false,"mqttHomeAssistantDiscovery":true,"mqttMeterIntervalSeconds":10,"mqttPassword":"","mqttTLS":false,"mqttTopicPrefix":"chargekit","mqttUser":"""#

    @Test("stored JSON: the earlier version's keys and values, an earlier version's row without the newer settings gets the defaults")
    func storedJSON() throws {
        // Written by the version before the registry (JSONEncoder, sorted keys), for defaults and for changed settings.
        let oldDefaults = #"{"acceptUnconfiguredChargers":false,"bmsHeartbeatTimeoutSeconds":60,"bmsTimeoutSeconds":20,"chargerTimeoutSeconds":30,"chargers":[],"externalPassword":"","externalURL":"","heartbeatIntervalSeconds":300,"modbusTCPEnabled":true,"modbusTCPPort":502,"modbusUnitID":1,"mode":"BMS","ocppPort":9000,"ocppTLSCertificateFile":"","ocppTLSKeyFile":"","rtuBaudRate":19200,"rtuDevice":"","rtuParity":"even","rtuStopBits":1}"#
        let oldChanged = #"{"acceptUnconfiguredChargers":false,"bmsHeartbeatTimeoutSeconds":60,"bmsTimeoutSeconds":20,"chargerTimeoutSeconds":30,"chargers":[{"connectors":3,"id":"CP1","slot":4}],"externalPassword":"secret","externalURL":"ws:\/\/cs.example:9000\/ocpp","heartbeatIntervalSeconds":120,"modbusTCPEnabled":true,"modbusTCPPort":502,"modbusUnitID":7,"mode":"External","ocppPort":9000,"ocppTLSCertificateFile":"","ocppTLSKeyFile":"","rtuBaudRate":9600,"rtuDevice":"\/dev\/ttyUSB0","rtuParity":"odd","rtuStopBits":2}"#
        var changed = GatewaySettings()
        changed.mode = .external
        changed.externalURL = "ws://cs.example:9000/ocpp"
        changed.externalPassword = "secret"
        changed.chargers = [ChargerEntry(id: "CP1", slot: 4, connectors: 3)]
        changed.rtuDevice = "/dev/ttyUSB0"
        changed.rtuBaudRate = 9600
        changed.rtuParity = "odd"
        changed.rtuStopBits = 2
        changed.modbusUnitID = 7
        changed.heartbeatIntervalSeconds = 120
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        for (settings, json) in [(GatewaySettings(), oldDefaults), (changed, oldChanged)] {
            // The same keys and values, plus the settings added since (issue 29: the BMS time zone, the signals off; issue 30:
            // the metrics, the MQTT client, off; issue 28: the charger security profile 0 and no client CA; issue 23: the
            // listeners' bind addresses, 0.0.0.0, the web listener's HTTPS port and redirect).
            let now = json.replacingOccurrences(of: #""bmsTimeoutSeconds""#, with: #""bmsTimeZone":"UTC","bmsTimeoutSeconds""#)
                .replacingOccurrences(of: #""modbusTCPEnabled""#, with: #""httpRedirect":true,"httpsPort":8444,"metricsEnabled":false,"metricsToken":"","modbusTCPBindAddress":"0.0.0.0","modbusTCPEnabled""#)
                .replacingOccurrences(of: #""ocppPort""#, with: Self.mqttDefaultsJSON + #","ocppBindAddress":"0.0.0.0","ocppClientCAFile":"","ocppPort""#)
                .replacingOccurrences(of: #""ocppTLSCertificateFile""#, with: #""ocppSecurityProfile":0,"ocppTLSCertificateFile""#).dropLast()
                + #","signalsOff":[],"webBindAddress":"0.0.0.0"}"#
            #expect(String(decoding: try e.encode(settings), as: UTF8.self) == now)
            #expect(try JSONDecoder().decode(GatewaySettings.self, from: Data(json.utf8)) == settings)
        }
        // A row of the first version: no Modbus unit id, BMS heartbeat or answer timeout, External mode, unconfigured
        // chargers or wss yet.
        let first = #"{"bmsTimeoutSeconds":7,"chargers":[{"connectors":2,"id":"CP9","slot":0}],"heartbeatIntervalSeconds":600,"mode":"BMS","modbusTCPEnabled":false,"modbusTCPPort":1502,"ocppPort":9100,"rtuBaudRate":9600,"rtuDevice":"","rtuParity":"none","rtuStopBits":1}"#
        var expected = GatewaySettings()
        expected.bmsTimeoutSeconds = 7
        expected.chargers = [ChargerEntry(id: "CP9", slot: 0, connectors: 2)]
        expected.heartbeatIntervalSeconds = 600
        expected.modbusTCPEnabled = false
        expected.modbusTCPPort = 1502
        expected.ocppPort = 9100
        expected.rtuBaudRate = 9600
        expected.rtuParity = "none"
        #expect(try JSONDecoder().decode(GatewaySettings.self, from: Data(first.utf8)) == expected)
        #expect(throws: DecodingError.self, "a value of the wrong type is refused, as before") {
            try JSONDecoder().decode(GatewaySettings.self, from: Data(#"{"ocppPort":"9000"}"#.utf8))
        }
    }
}

/// The gateway's metrics settings (issue 30 item 1): off by default, the token a secret of the registry.
@Suite struct GatewayMetricsSettingsTests {
    @Test func issue30_1_metricsTokenIsASecretNeverExported() throws {
        var s = GatewaySettings()
        #expect(s.metricsEnabled == false && s.metricsToken == "")
        let field = try #require(GatewaySettings.fields.first { $0.key == "metricsToken" })
        #expect(field.input == .secret && field.section == .metrics)
        #expect(GatewayProject.secretKeys.contains("metricsToken"))
        s.metricsEnabled = true
        s.metricsToken = "project-export-token-0815"
        let file = try GatewayProject.export(s)
        #expect(!file.contains("project-export-token-0815"), "a project file never carries the token")
        #expect(file.contains("\"metricsEnabled\" : true"))
        let back = try GatewayProject.read(Array(file.utf8), keepingSecretsOf: s)
        #expect(back.metricsToken == "project-export-token-0815", "an import keeps the gateway's own token")
    }

    @Test func issue30_1_badMetricsTokenIsRefusedWithoutEchoingIt() {
        var s = GatewaySettings()
        s.metricsToken = "has space and ü"
        let problem = s.problems().first { $0.field == "metricsToken" }
        #expect(problem != nil)
        #expect(problem.map { !$0.message.contains("has space") } == true, "the message does not show the secret")
    }
}
