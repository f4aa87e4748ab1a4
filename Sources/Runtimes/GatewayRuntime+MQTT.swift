#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Gateway
import MQTT
import MQTTIntegration
import Transport

extension GatewayRuntime {
    /// At most this many answers wait for the MQTT client (without a client they are dropped oldest first).
    static let maximumOperatorAnswers = 64

    func recordOperatorAnswer(replyTo: String, error: String?) {
        operatorAnswers.append((replyTo, error))
        if operatorAnswers.count > Self.maximumOperatorAnswers { operatorAnswers.removeFirst(operatorAnswers.count - Self.maximumOperatorAnswers) }
    }

    /// The chargers' answers to operator commands since the last call.
    package func takeOperatorAnswers() -> [(replyTo: String, error: String?)] {
        defer { operatorAnswers = [] }
        return operatorAnswers
    }

    /// What the MQTT client publishes.
    package func operatorState() -> GatewayMQTTState { central.operatorState() }

    /// An operator's command (MQTT) through the pure central system; the actions are executed like the BMS's. Returns
    /// the error of a command refused at once; the charger's answer follows through ``takeOperatorAnswers()``.
    package func operatorCommand(_ charger: String, _ command: GatewayOperatorCommand, replyTo: String) -> String? {
        switch central.operatorCommand(charger, command, replyTo: replyTo, now: now()) {
        case .success(let actions):
            execute(actions)
            return nil
        case .failure(let e):
            var l = logger
            l[metadataKey: "cp.id"] = "\(charger)"
            l.info("MQTT command refused: \(e.description)")
            return e.description
        }
    }
}

/// The MQTT client's delegate for the gateway: the pure ``GatewayMQTT`` (topics, retained state, discovery, commands)
/// fed from the runtime's central system, and commands carried out through it as the BMS's operations are.
package actor GatewayMQTTLink: MQTTClientDelegate {
    let runtime: GatewayRuntime
    var bridge: GatewayMQTT
    let start = ContinuousClock.now

    package init(runtime: GatewayRuntime, bridge: GatewayMQTT) { self.runtime = runtime; self.bridge = bridge }

    /// The gateway's id in the topics: its host name (see ``GatewayMQTT/init(settings:gatewayId:version:)``), the first
    /// label only ("gw1.example.org" → "gw1").
    package static var hostGatewayId: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "gateway" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.split(separator: ".").first.map(String.init) ?? "gateway"
    }

    /// The client's configuration: client id `chargekit-gateway-<gateway id>`, keep-alive 30 s, the retained offline
    /// will, the user and password when a user is set (MQTT 3.1.1 §3.1.2.9: no password without a user name).
    package static func configuration(_ settings: MQTTSettings, bridge: GatewayMQTT) -> MQTTClientConfiguration {
        .chargeKit(settings, clientId: "chargekit-gateway-\(bridge.gatewayId)", availabilityTopic: bridge.availabilityTopic, willPayload: bridge.willPayload,
                   commandFilter: bridge.commandFilter)
    }

    var nowSeconds: Double { start.secondsSince }

    package func mqttConnected() async -> [MQTTOutgoing] {
        _ = await runtime.takeOperatorAnswers()  // answers of a former connection: their askers' session is gone
        let state = await runtime.operatorState()
        return Self.outgoing(bridge.connected(state, nowSeconds: nowSeconds))
    }

    package func mqttTick() async -> [MQTTOutgoing] {
        let answers = await runtime.takeOperatorAnswers().map { MQTTPayload.result(topic: $0.replyTo, error: $0.error) }
        let state = await runtime.operatorState()
        // The changed state first, so that a client sees the new value no later than the answer.
        return Self.outgoing(bridge.update(state, nowSeconds: nowSeconds) + answers)
    }

    package func mqttReceived(topic: String, payload: [UInt8]) async -> [MQTTOutgoing] {
        let state = await runtime.operatorState()
        guard let received = bridge.command(topic: topic, payload: payload, state: state) else { return [] }
        let (resultTopic, parsed) = received
        switch parsed {
        case .failure(let e):
            return Self.outgoing([MQTTPayload.result(topic: resultTopic, error: e.description)])
        case .success(let (charger, command)):
            // Accepted commands are answered with the charger's answer, on a later tick.
            guard let error = await runtime.operatorCommand(charger, command, replyTo: resultTopic) else { return [] }
            return Self.outgoing([MQTTPayload.result(topic: resultTopic, error: error)])
        }
    }

    static func outgoing(_ messages: [MQTTMessage]) -> [MQTTOutgoing] {
        messages.map { MQTTOutgoing(topic: $0.topic, payload: Array($0.payload.utf8), retain: $0.retain) }
    }
}

extension GatewayRuntime {
    /// The MQTT client of `settings` when it is on (built with the services, so it follows the settings' restarts).
    package nonisolated func mqttClient(_ settings: GatewaySettings, logger: Logger) -> MQTTClient? {
        guard let mqtt = settings.mqttClient else { return nil }
        let bridge = GatewayMQTT(settings: mqtt, gatewayId: GatewayMQTTLink.hostGatewayId, version: ChargeKitVersion.current)
        logger.info("MQTT client for \(mqtt.host):\(mqtt.port), topics under \(bridge.base)/")
        return MQTTClient(configuration: GatewayMQTTLink.configuration(mqtt, bridge: bridge), delegate: GatewayMQTTLink(runtime: self, bridge: bridge),
                          logger: logger)
    }
}
