import Foundation
import MQTTIntegration
import OCPP16
import Parameters
import Testing
@testable import Gateway

/// Issue 30 item 2 for the gateway: its MQTT world, pure — the settings (off by default, the password a secret), the
/// topics and retained state per charger from what the chargers report, meters at most every N seconds, Home Assistant
/// discovery with a device per charger, and commands through the central system with the BMS's checks (seeds/003
/// Appendix 1 "Messages from CS"), answered with the charger's answer.
@Suite("Gateway MQTT")
struct GatewayMQTTTests {
    static let settings = MQTTSettings(host: "broker", topicPrefix: "ck", meterIntervalSeconds: 10)
    static let base = "ck/gw1"

    static func mqtt() -> GatewayMQTT { GatewayMQTT(settings: settings, gatewayId: "gw1", version: "1.0") }

    /// The charger answers the gateway's last CALL.
    static func answerLast(_ h: inout Harness, _ payload: JSONValue, charger: String = "CP1") -> (action: String, payload: JSONValue)? {
        guard case .call(let mid, let action, let request)? = h.last(charger) else { return nil }
        h.record(h.cs.received(charger, text: OCPPFrame.callResult(id: mid, payload: payload).serialized(), now: h.now))
        return (action, request)
    }

    static func operatorAnswers(_ actions: [GatewayAction]) -> [GatewayAction] {
        actions.filter { if case .operatorAnswer = $0 { true } else { false } }
    }

    @Test("off by default: no client without MQTT client On and a broker host; the password is a secret, never in a project file")
    func offByDefault() throws {
        var s = GatewaySettings()
        #expect(s.mqttClient == nil)
        s.mqttEnabled = true
        #expect(s.mqttClient == nil, "no broker host")
        s.mqttBrokerHost = "ha.local"
        s.mqttTopicPrefix = "/home//ev/"
        #expect(s.mqttClient == MQTTSettings(host: "ha.local", topicPrefix: "home/ev"))
        #expect(GatewayParameters.registry.definition("mqttPassword")?.secret == true)
        #expect(GatewayProject.secretKeys.contains("mqttPassword"))
        #expect(GatewaySettings.fields.filter { $0.section == .mqtt }.count == 9 && GatewaySettingField.Section.mqtt.menu == .gatewayGeneral)
    }

    @Test("a form entry out of range is named with its field and range, as the other settings")
    func settingsChecked() throws {
        var s = GatewaySettings()
        let port = try #require(GatewaySettings.fields.first { $0.key == "mqttBrokerPort" })
        #expect(port.apply("70000", to: &s) == nil)
        #expect(s.problems().contains(SettingProblem("mqttBrokerPort", "70000 is outside 1…65535")))
        let prefix = try #require(GatewaySettings.fields.first { $0.key == "mqttTopicPrefix" })
        s = GatewaySettings()
        #expect(prefix.apply("a/#", to: &s) == nil)
        #expect(s.problems().map(\.field) == ["mqttTopicPrefix"], "a wildcard in the prefix")
    }

    @Test("connected: online, each charger's device, and every charger's retained state; no idTag anywhere")
    func connectedPublishesEverything() throws {
        var h = Harness()
        _ = h.call(StatusNotificationRequest(connectorId: 1, errorCode: "NoError", status: "Charging"))
        _ = h.call(StartTransactionRequest(connectorId: 1, idTag: "SECRET-TAG", meterStart: 100, timestamp: h.now))
        h.tick(21)  // no BMS: the gateway answers by itself and records the transaction
        _ = h.call(MeterValuesRequest(connectorId: 1, meterValue: [MeterValue(timestamp: h.now, sampledValue: [
            SampledValue(value: "7.4", measurand: "Power.Active.Import", unit: "kW"),
            SampledValue(value: "12.5", measurand: "Energy.Active.Import.Register", unit: "kWh"),
            SampledValue(value: "16", measurand: "Current.Offered", unit: "A"),
        ])]))
        var m = Self.mqtt()
        let out = m.connected(h.cs.operatorState(), nowSeconds: 0)
        #expect(out.first == MQTTMessage(topic: "\(Self.base)/availability", payload: "online", retain: true))
        let cp1 = "\(Self.base)/charger/CP1"
        for (topic, payload) in [("connection", "online"), ("connector/1/status", "Charging"), ("connector/1/power", "7400"),
                                 ("connector/1/energy", "12500"), ("connector/1/current_offered", "16"), ("connector/1/transaction", "ON"),
                                 ("connector/1/available", "ON"), ("connector/2/transaction", "OFF")] {
            #expect(out.contains(MQTTMessage(topic: "\(cp1)/\(topic)", payload: payload, retain: true)), "\(topic)")
        }
        #expect(!out.contains { $0.topic == "\(cp1)/connector/2/power" }, "never reported: not published")
        #expect(out.contains(MQTTMessage(topic: "\(Self.base)/charger/CP2/connection", payload: "offline", retain: true)))
        #expect(out.allSatisfy { $0.retain })
        #expect(!out.contains { $0.payload.contains("SECRET-TAG") }, "idTags are personal data")
        // CP1: connection + 7 per connector; CP2: connection + 7.
        #expect(out.filter { $0.topic.hasPrefix("homeassistant/") }.count == (1 + 2 * 7) + (1 + 7))
        // A new connection publishes everything again (a broker without persistence lost it).
        #expect(m.connected(h.cs.operatorState(), nowSeconds: 1).count == out.count)
    }

    @Test("state on change at once; power and energy at most every meter interval, the newest value after it")
    func stateOnChangeMetersRateLimited() {
        var h = Harness()
        var m = Self.mqtt()
        _ = m.connected(h.cs.operatorState(), nowSeconds: 0)
        #expect(m.update(h.cs.operatorState(), nowSeconds: 1) == [], "nothing changed")
        func meter(_ w: String) -> MeterValuesRequest {
            MeterValuesRequest(connectorId: 1, meterValue: [MeterValue(timestamp: h.now, sampledValue: [SampledValue(value: w, measurand: "Power.Active.Import", unit: "W")])])
        }
        _ = h.call(meter("3680"))
        #expect(m.update(h.cs.operatorState(), nowSeconds: 2) == [MQTTMessage(topic: "\(Self.base)/charger/CP1/connector/1/power", payload: "3680", retain: true)])
        _ = h.call(meter("3700"))
        _ = h.call(StatusNotificationRequest(connectorId: 1, errorCode: "NoError", status: "SuspendedEV"))
        #expect(m.update(h.cs.operatorState(), nowSeconds: 5) == [MQTTMessage(topic: "\(Self.base)/charger/CP1/connector/1/status", payload: "SuspendedEV", retain: true)])
        #expect(m.update(h.cs.operatorState(), nowSeconds: 12) == [MQTTMessage(topic: "\(Self.base)/charger/CP1/connector/1/power", payload: "3700", retain: true)])
        h.record(h.cs.disconnected("CP1", connection: 1, now: h.now))
        #expect(m.update(h.cs.operatorState(), nowSeconds: 13) == [MQTTMessage(topic: "\(Self.base)/charger/CP1/connection", payload: "offline", retain: true)])
    }

    @Test("a charger accepted without configuration: its connection and device; both removed from the broker once it is forgotten")
    func unconfiguredCharger() {
        var h = Harness { $0.acceptUnconfiguredChargers = true }
        var m = Self.mqtt()
        _ = m.connected(h.cs.operatorState(), nowSeconds: 0)
        h.record(h.cs.connected("CP77", connection: 9, now: h.now))
        let joined = m.update(h.cs.operatorState(), nowSeconds: 1)
        #expect(joined.contains(MQTTMessage(topic: "\(Self.base)/charger/CP77/connection", payload: "online", retain: true)))
        #expect(joined.contains { $0.topic == "homeassistant/binary_sensor/chargekit_gw1_CP77/connection/config" })
        h.record(h.cs.disconnected("CP77", connection: 9, now: h.now))
        // MQTT 3.1.1 §3.3.1.3: an empty retained message deletes the retained one.
        #expect(m.update(h.cs.operatorState(), nowSeconds: 2) == [
            MQTTMessage(topic: "\(Self.base)/charger/CP77/connection", payload: "", retain: true),
            MQTTMessage(topic: "homeassistant/binary_sensor/chargekit_gw1_CP77/connection/config", payload: "", retain: true),
        ])
        #expect(m.update(h.cs.operatorState(), nowSeconds: 3) == [], "forgotten")
        // It comes back: published and announced anew.
        h.record(h.cs.connected("CP77", connection: 10, now: h.now))
        #expect(m.update(h.cs.operatorState(), nowSeconds: 4).count == 2)
    }

    @Test("commands: the ChargerID, the command and its result topic; a wrong form names the field and what is allowed")
    func commandsParsed() throws {
        let h = Harness()
        let m = Self.mqtt()
        let state = h.cs.operatorState()
        func parse(_ topic: String, _ payload: String) -> (resultTopic: String, command: Result<(charger: String, GatewayOperatorCommand), GatewayCommandError>)? {
            m.command(topic: "\(Self.base)/charger/\(topic)", payload: Array(payload.utf8), state: state)
        }
        func ok(_ topic: String, _ payload: String) -> String? {
            guard case .success(let (charger, command))? = parse(topic, payload)?.command else { return nil }
            return "\(charger) \(command)"
        }
        let off = try #require(parse("CP1/connector/0/available/set", " off\n"))
        #expect(off.resultTopic == "\(Self.base)/charger/CP1/connector/0/available/result")
        #expect(ok("CP1/connector/0/available/set", " off\n") == "CP1 \(GatewayOperatorCommand.availability(connector: 0, operative: false))")
        #expect(ok("CP2/connector/1/start/set", "TAG-1") == "CP2 \(GatewayOperatorCommand.remoteStart(connector: 1, idTag: "TAG-1"))")
        #expect(ok("CP1/connector/2/stop/set", "STOP") == "CP1 \(GatewayOperatorCommand.remoteStop(connector: 2))")
        func error(_ topic: String, _ payload: String) -> String? {
            if case .failure(let e)? = parse(topic, payload)?.command { e.description } else { nil }
        }
        #expect(error("CP1/connector/1/available/set", "maybe") == "available: 'maybe' is not allowed; allowed is ON or OFF")
        #expect(error("CP1/connector/1/start/set", "") == "idTag: the payload must be the idTag, 1–20 printable ASCII characters without spaces")
        #expect(error("CP1/connector/1/start/set", String(repeating: "A", count: 21))?.hasPrefix("idTag:") == true)
        #expect(error("CP1/connector/x/stop/set", "") == "connector: 'x' is not allowed; allowed is a connector number")
        #expect(error("CP1/connector/1/reset/set", "") == "'reset' is not a command; allowed are available, start and stop")
        #expect(error("CP9/connector/1/stop/set", "")
                == "charger: 'CP9' is not known to the gateway; allowed are the configured ChargerIDs and connected chargers")
        #expect(parse("CP1/connector/1/available", "ON") == nil, "a state topic")
        #expect(m.command(topic: "ck/other/charger/CP1/connector/1/available/set", payload: [], state: state) == nil, "another gateway")
        #expect(error("CP1/connector/1/available/set", String(decoding: [0xFF, 0xFE], as: UTF8.self)) != nil, "invalid UTF-8 is an error, never a crash")
    }

    @Test("seeds003_appendix1_availabilityCommandIsTheBMSOperation: ChangeAvailability to the charger, the register follows, the charger's answer answers")
    func seeds003_appendix1_availabilityCommandIsTheBMSOperation() throws {
        var h = Harness()
        let topic = "\(Self.base)/charger/CP1/connector/1/available/result"
        h.record(try h.cs.operatorCommand("CP1", .availability(connector: 1, operative: false), replyTo: topic, now: h.now).get())
        #expect(h.int(.cp1(1, .availability)) == 0, "the BMS sees the change running")
        let sent = try #require(Self.answerLast(&h, ["status": "Accepted"]))
        #expect(sent.action == "ChangeAvailability" && field(sent.payload, "type") == .string("Inoperative") && field(sent.payload, "connectorId") == .integer(1))
        #expect(Self.operatorAnswers(h.actions) == [.operatorAnswer(replyTo: topic, error: nil)])
        // Rejected: an error naming the answer, and the register back as it was.
        h.actions = []
        h.record(try h.cs.operatorCommand("CP1", .availability(connector: 1, operative: true), replyTo: topic, now: h.now).get())
        _ = Self.answerLast(&h, ["status": "Rejected"])
        #expect(Self.operatorAnswers(h.actions) == [.operatorAnswer(replyTo: topic, error: "CP1 answered ChangeAvailability with Rejected")])
        #expect(h.int(.cp1(1, .availability)) == 0)
    }

    @Test("seeds003_appendix1_remoteStartStop: start with the payload's idTag, stop the connector's transaction, both as the BMS's blocks")
    func seeds003_appendix1_remoteStartStop() throws {
        var h = Harness()
        h.record(try h.cs.operatorCommand("CP1", .remoteStart(connector: 2, idTag: "TAG-1"), replyTo: "r", now: h.now).get())
        #expect(h.int(.cp1(.remoteStartFlag)) == 1)
        #expect(h.cs.operatorCommand("CP1", .remoteStart(connector: 1, idTag: "TAG-2"), replyTo: "r", now: h.now)
                == .failure(GatewayCommandError("the previous RemoteStartTransaction of CP1 is still running; try again when it is answered")))
        let start = try #require(Self.answerLast(&h, ["status": "Accepted"]))
        #expect(start.action == "RemoteStartTransaction" && field(start.payload, "idTag") == .string("TAG-1") && field(start.payload, "connectorId") == .integer(2))
        #expect(h.int(.cp1(.remoteStartFlag)) == 0 && h.int(.cp1(.remoteStartResult)) == 0)
        #expect(h.cs.operatorCommand("CP1", .remoteStop(connector: 2), replyTo: "r", now: h.now)
                == .failure(GatewayCommandError("connector 2 of CP1 has no transaction to stop")))
        _ = h.call(StartTransactionRequest(connectorId: 2, idTag: "TAG-1", meterStart: 0, timestamp: h.now))
        h.tick(21)
        let id = try #require(h.cs.openTransactions.transaction(charger: "CP1", connector: 2)?.transactionId)
        h.record(try h.cs.operatorCommand("CP1", .remoteStop(connector: 2), replyTo: "r", now: h.now).get())
        let stop = try #require(Self.answerLast(&h, ["status": "Accepted"]))
        #expect(stop.action == "RemoteStopTransaction" && field(stop.payload, "transactionId") == .integer(Int64(id)))
    }

    @Test("a command the gateway cannot carry out fails at once with a clear error, and sends nothing")
    func refusedCommands() throws {
        var h = Harness()
        let before = h.sent["CP1"]?.count
        #expect(h.cs.operatorCommand("CP2", .availability(connector: 1, operative: false), replyTo: "r", now: h.now)
                == .failure(GatewayCommandError("charger CP2 is not connected")))
        #expect(h.cs.operatorCommand("CP9", .remoteStop(connector: 1), replyTo: "r", now: h.now)
                == .failure(GatewayCommandError("charger: 'CP9' is not known to the gateway; allowed are the configured ChargerIDs and connected chargers")))
        #expect(h.cs.operatorCommand("CP1", .availability(connector: 3, operative: false), replyTo: "r", now: h.now)
                == .failure(GatewayCommandError("connector: '3' is not allowed; allowed is 0–2 (0: the charger as a whole)")))
        #expect(h.cs.operatorCommand("CP1", .remoteStop(connector: 0), replyTo: "r", now: h.now)
                == .failure(GatewayCommandError("connector: '0' is not allowed; allowed is 1–2")))
        #expect(h.sent["CP1"]?.count == before)
        var external = Harness(mode: .external)
        #expect(external.cs.operatorCommand("CP1", .availability(connector: 1, operative: false), replyTo: "r", now: external.now)
                == .failure(GatewayCommandError("commands are refused in External mode: the external central system operates the chargers")))
    }

    @Test("an operator's operation the charger never answers, or that a disconnection ends, is answered with the reason")
    func unansweredOperations() throws {
        var h = Harness()
        h.record(try h.cs.operatorCommand("CP1", .availability(connector: 0, operative: false), replyTo: "r1", now: h.now).get())
        h.tick(31)
        #expect(Self.operatorAnswers(h.actions) == [.operatorAnswer(replyTo: "r1", error: "CP1 did not carry out ChangeAvailability: not answered within 30 s")])
        h.actions = []
        h.record(try h.cs.operatorCommand("CP1", .remoteStart(connector: 0, idTag: "T"), replyTo: "r2", now: h.now).get())
        h.record(h.cs.disconnected("CP1", connection: 1, now: h.now))
        #expect(Self.operatorAnswers(h.actions) == [.operatorAnswer(replyTo: "r2", error: "CP1 did not carry out RemoteStartTransaction: the charger disconnected")])
        // The BMS's own operations get no operator answer.
        h.actions = []
        h.record(h.cs.connected("CP1", connection: 2, now: h.now))
        #expect(h.write(.cp1(1, .availability), 0) == nil)
        _ = Self.answerLast(&h, ["status": "Accepted"])
        #expect(Self.operatorAnswers(h.actions).isEmpty)
    }

    @Test("Home Assistant discovery: a device per charger, ids of [a-zA-Z0-9_-], every entity tied to the gateway's availability")
    func discovery() throws {
        let h = Harness()
        let m = Self.mqtt()
        let cp1 = try #require(h.cs.operatorState().chargers.first)
        let configs = m.discovery(cp1)
        #expect(Set(configs.map(\.topic)).count == configs.count)
        for c in configs {
            let parts = c.topic.split(separator: "/")
            #expect(parts.count == 5 && parts[0] == "homeassistant" && parts[4] == "config")
            #expect(["sensor", "binary_sensor", "switch", "button"].contains(String(parts[1])))
            #expect(parts[2...3].allSatisfy { $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") } })
            let body = try JSONParser.parse(c.payload)
            #expect(field(body, "availability_topic") == .string("\(Self.base)/availability"))
            #expect(field(body, "device", "identifiers") == .array([.string("chargekit_gw1_CP1")]))
            #expect(field(body, "unique_id") == .string("chargekit_gw1_CP1_\(parts[3])"))
        }
        let available = try #require(configs.first { $0.topic == "homeassistant/switch/chargekit_gw1_CP1/connector1_available/config" })
        #expect(field(try JSONParser.parse(available.payload), "command_topic") == .string("\(Self.base)/charger/CP1/connector/1/available/set"))
        // A ChargerID with topic wildcards is one safe topic level and one safe node id.
        let odd = GatewayMQTTState.Charger(id: "a+b/c#", online: true, connectors: [])
        #expect(m.discovery(odd).first?.topic == "homeassistant/binary_sensor/chargekit_gw1_a_b_c_/connection/config")
        #expect(m.chargerTopic(odd.id, "connection") == "\(Self.base)/charger/a_b_c_/connection")
    }
}
