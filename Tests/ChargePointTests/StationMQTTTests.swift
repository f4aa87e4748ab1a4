import Foundation
import Testing
@testable import ChargePoint
import EVSECore
import LoadManagement
import MQTTIntegration
import Parameters

/// The station's MQTT world, pure: topics, retained state on change, meters at most every N seconds, commands and
/// their answers, Home Assistant discovery.
@Suite struct StationMQTTTests {
    static let settings = MQTTSettings(host: "broker", topicPrefix: "ck", meterIntervalSeconds: 10)

    static func connector(status: ConnectorStatus = .available, powerW: Double = 0, sessionWh: Double = 0, limit: Double = 16) -> StationMQTTState.Connector {
        .init(status: status, operative: true, operatorCurrentLimitA: limit, installationCurrentLimitA: 32, currentLimitA: limit,
              powerW: powerW, sessionEnergyWh: sessionWh, energyWh: 1000 + sessionWh)
    }

    /// Off by default: without MQTT client On and a broker host there are no settings, so no client.
    @Test func offByDefault() {
        let registry = ParameterRegistry(connectorCount: 2)
        #expect(MQTTSettings(ParameterSet(registry: registry)) == nil)
        #expect(MQTTSettings(ParameterSet(registry: registry, stored: [StationParameters.mqttEnabled: .bool(true)])) == nil, "no broker host")
        #expect(MQTTSettings(ParameterSet(registry: registry, stored: [StationParameters.mqttEnabled: .bool(true),
                                                                       StationParameters.mqttBrokerHost: .string("ha.local")]))?.topicPrefix == "chargekit")
        #expect(registry.definition(StationParameters.mqttPassword)?.secret == true)
    }

    @Test func connectedPublishesOnlineDiscoveryAndTheWholeStateRetained() {
        var m = StationMQTT(settings: Self.settings, identity: "CP1", version: "1.0")
        let out = m.connected(StationMQTTState(connectors: [Self.connector()]), nowSeconds: 0)
        #expect(out.first == .init(topic: "ck/CP1/availability", payload: "online", retain: true))
        #expect(out.contains(.init(topic: "ck/CP1/connector/1/status", payload: "Available", retain: true)))
        #expect(out.contains(.init(topic: "ck/CP1/connector/1/operator_current_limit", payload: "16", retain: true)))
        #expect(out.contains(.init(topic: "ck/CP1/connector/1/operative", payload: "ON", retain: true)))
        #expect(out.filter { $0.topic.hasPrefix("homeassistant/") }.count == 8)
        #expect(out.allSatisfy { $0.retain })
        // A second connection publishes everything again (the broker may have lost it).
        #expect(m.connected(StationMQTTState(connectors: [Self.connector()]), nowSeconds: 1).count == out.count)
    }

    /// Status and limits on change at once; meters at most every `meterIntervalSeconds`, the newest value after it.
    @Test func stateOnChangeMetersRateLimited() {
        var m = StationMQTT(settings: Self.settings, identity: "CP1", version: "1.0")
        _ = m.connected(StationMQTTState(connectors: [Self.connector()]), nowSeconds: 0)
        #expect(m.update(StationMQTTState(connectors: [Self.connector()]), nowSeconds: 1) == [], "nothing changed")
        let charging = m.update(StationMQTTState(connectors: [Self.connector(status: .charging, powerW: 3680, sessionWh: 1)]), nowSeconds: 2)
        #expect(charging == [.init(topic: "ck/CP1/connector/1/status", payload: "Charging", retain: true)])
        #expect(m.update(StationMQTTState(connectors: [Self.connector(status: .charging, powerW: 3700, sessionWh: 2)]), nowSeconds: 9.9) == [])
        let meters = m.update(StationMQTTState(connectors: [Self.connector(status: .charging, powerW: 3700, sessionWh: 2.5)]), nowSeconds: 10)
        #expect(meters == [.init(topic: "ck/CP1/connector/1/power", payload: "3700", retain: true),
                           .init(topic: "ck/CP1/connector/1/session_energy", payload: "2.5", retain: true),
                           .init(topic: "ck/CP1/connector/1/energy", payload: "1002.5", retain: true)])
        #expect(m.update(StationMQTTState(connectors: [Self.connector(status: .charging, powerW: 3700, sessionWh: 2.5, limit: 10)]), nowSeconds: 11)
                == [.init(topic: "ck/CP1/connector/1/operator_current_limit", payload: "10", retain: true),
                    .init(topic: "ck/CP1/connector/1/current_limit", payload: "10", retain: true)])
    }

    @Test func commandsParsedWithTheirResultTopic() throws {
        let m = StationMQTT(settings: Self.settings, identity: "CP1", version: "1.0")
        let limit = try #require(m.command(topic: "ck/CP1/connector/2/operator_current_limit/set", payload: Array(" 16\n".utf8)))
        #expect(limit.resultTopic == "ck/CP1/connector/2/operator_current_limit/result")
        #expect(limit.command == .success(.operatorCurrentLimit(connector: 2, text: "16")))
        #expect(m.command(topic: "ck/CP1/connector/1/operative/set", payload: Array("off".utf8))?.command == .success(.operative(connector: 1, false)))
        #expect(m.command(topic: "ck/CP1/connector/1/operative/set", payload: Array("maybe".utf8))?.command
                == .failure(StationMQTTError("operative: 'maybe' is not allowed; allowed is ON or OFF")))
        #expect(m.command(topic: "ck/CP1/connector/x/operative/set", payload: [])?.command
                == .failure(StationMQTTError("connector: 'x' is not allowed; allowed is a connector number")))
        #expect(m.command(topic: "ck/CP1/connector/1/reboot/set", payload: [])?.resultTopic == "ck/CP1/connector/1/reboot/result")
        #expect(m.command(topic: "ck/CP2/connector/1/operative/set", payload: []) == nil, "another station's topic")
        #expect(m.command(topic: "ck/CP1/connector/1/operative", payload: []) == nil, "a state topic")
        // Invalid UTF-8 is an empty (invalid) value, never a crash.
        #expect(m.command(topic: "ck/CP1/connector/1/operative/set", payload: [0xFF, 0xFE])?.command
                == .failure(StationMQTTError("operative: '' is not allowed; allowed is ON or OFF")))
    }

    /// Issue 30 item 2: start and stop with an identifier, only where the operator allowed it (MQTTAllowStartStop,
    /// off by default like Modbus "Allow Start/Stop Transaction"), the identifier an OCPP IdToken (CiString20Type).
    @Test func issue30_2_startStopWithAnIdentifierWhereAllowed() throws {
        let off = StationMQTT(settings: Self.settings, identity: "CP1", version: "1.0")
        #expect(off.command(topic: "ck/CP1/connector/1/start/set", payload: Array("AAAAAAAA".utf8))?.command
                == .failure(StationMQTTError("start: not allowed on this station; the operator switches on 'Allow start/stop over MQTT' (MQTTAllowStartStop)")))
        var allowed = Self.settings
        allowed.allowStartStop = true
        let m = StationMQTT(settings: allowed, identity: "CP1", version: "1.0")
        let start = try #require(m.command(topic: "ck/CP1/connector/2/start/set", payload: Array(" AAAAAAAA\n".utf8)))
        #expect(start.resultTopic == "ck/CP1/connector/2/start/result")
        #expect(start.command == .success(.start(connector: 2, idTag: "AAAAAAAA")))
        #expect(m.command(topic: "ck/CP1/connector/1/stop/set", payload: Array("AAAAAAAA".utf8))?.command == .success(.stop(connector: 1, idTag: "AAAAAAAA")))
        for bad in ["", "A B", String(repeating: "A", count: 21), "Ä"] {
            #expect(m.command(topic: "ck/CP1/connector/1/start/set", payload: Array(bad.utf8))?.command
                    == .failure(StationMQTTError("start: '\(bad)' is not an identifier; allowed are 1–20 printable ASCII characters without spaces")))
        }
        let registry = ParameterRegistry(connectorCount: 1)
        #expect(registry.definition(StationParameters.mqttAllowStartStop)?.defaultValue == .bool(false))
    }

    /// Issue 30 item 2 / issue 25 item 2: the PV charge mode is published retained and set on `…/charge_mode/set`.
    @Test func issue30_2_chargeModeStateAndCommand() throws {
        var m = StationMQTT(settings: Self.settings, identity: "CP1", version: "1.0")
        var c = Self.connector()
        c.chargeMode = .minPV
        let out = m.connected(StationMQTTState(connectors: [c]), nowSeconds: 0)
        #expect(out.contains(.init(topic: "ck/CP1/connector/1/charge_mode", payload: "MinPV", retain: true)))
        #expect(m.command(topic: "ck/CP1/connector/1/charge_mode/set", payload: Array("PV".utf8))?.command == .success(.chargeMode(connector: 1, text: "PV")))
    }

    @Test func resultPayloads() {
        #expect(StationMQTT.result(topic: "t", error: nil) == .init(topic: "t", payload: #"{"ok":true}"#, retain: false))
        #expect(StationMQTT.result(topic: "t", error: "a \"b\"\n").payload == #"{"error":"a \"b\"\n","ok":false}"#)
        #expect(StationMQTT.result(topic: "t", error: nil, state: "awaiting backend").payload == #"{"ok":true,"state":"awaiting backend"}"#)
    }

    /// Home Assistant MQTT discovery: `<discovery_prefix>/<component>/<node_id>/<object_id>/config`, ids of
    /// [a-zA-Z0-9_-], with the keys its sensor, number and switch integrations document.
    @Test func homeAssistantDiscoveryConfig() throws {
        let m = StationMQTT(settings: Self.settings, identity: "CP+1/#", version: "1.0")
        let configs = m.discovery(StationMQTTState(connectors: [Self.connector(), Self.connector()]))
        #expect(configs.count == 16)
        for c in configs {
            let parts = c.topic.split(separator: "/")
            #expect(parts.count == 5 && parts[0] == "homeassistant" && parts[4] == "config")
            #expect(parts[2].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") })
            let json = try #require(try JSONSerialization.jsonObject(with: Data(c.payload.utf8)) as? [String: Any])
            for key in ["name", "unique_id", "state_topic", "availability_topic", "device"] { #expect(json[key] != nil, "\(c.topic) lacks \(key)") }
            #expect(json["availability_topic"] as? String == "ck/CP_1__/availability")
            if parts[1] == "number" {
                #expect(json["command_topic"] as? String == "ck/CP_1__/connector/\(parts[3].dropFirst(9).prefix(1))/operator_current_limit/set")
                #expect(json["min"] as? Double == 6 && json["max"] as? Double == 32)
            }
            if parts[1] == "switch" { #expect(json["payload_on"] as? String == "ON") }
            if parts[1] == "select" {
                #expect(json["options"] as? [String] == ["Fast", "MinPV", "PV"])
                #expect(json["command_topic"] as? String == (json["state_topic"] as? String).map { $0 + "/set" })
            }
        }
        #expect(Set(configs.map { $0.topic.split(separator: "/")[1] }) == ["sensor", "number", "select", "switch"])
        #expect(Set(configs.map(\.topic)).count == configs.count)
    }

    /// The numbers' text: whole numbers without a fraction.
    @Test func numbers() {
        #expect(StationMQTT.number(16) == "16")
        #expect(StationMQTT.number(2.46) == "2.5")
        #expect(StationMQTT.number(-3) == "-3")
    }
}
