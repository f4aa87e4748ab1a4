#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ChargePoint
import EVSECore
import Hosting
import MQTT
import MQTTIntegration
import OCPP16
import Parameters
import Persistence
import Transport

extension StationRuntime {
    /// The station's state for the MQTT client.
    package func mqttState() -> StationMQTTState { controller.mqttState(now: clock.now()) }

    /// Makes connector `n` operative or inoperative, as OCPP ChangeAvailability does (persisted first, so it survives a
    /// restart; a running session finishes first, Scheduled). Throws a message naming the connector range.
    ///
    /// - SeeAlso: OCPP 1.6 §5.2.
    package func setAvailability(connector n: Int, operative: Bool, by: String) throws -> AvailabilityOutcome {
        guard (1...controller.connectorCount).contains(n) else {
            throw StationMQTTError("connector: '\(n)' is not allowed; allowed is 1–\(controller.connectorCount)")
        }
        try database.setPersistedAvailability(connector: n, operative: operative)
        let outcome = controller.changeAvailability(connector: n, operative: operative, now: clock.now())
        logger.notice("connector \(n) made \(operative ? "operative" : "inoperative") by \(by)")
        tick()
        return outcome
    }

    /// An identifier of an MQTT start or stop command, presented at connector `n` like a card (see
    /// ``StationController/presentCommand(_:connector:start:method:now:)``); the authorization request or the session
    /// change goes out with the next tick.
    package func presentCommand(_ idTag: String, connector n: Int, start: Bool) -> Result<CommandProgress, StationCommandError> {
        let result = controller.presentCommand(idTag, connector: n, start: start, method: .mqtt, now: clock.now())
        if case .success = result { logger.notice("MQTT \(start ? "start" : "stop") on connector \(n)") }
        tick()
        return result
    }
}

/// The MQTT client's delegate for the station: the pure ``StationMQTT`` (topics, retained state, discovery, commands)
/// fed from the runtime, and commands carried out with the operator's role through the runtime's own calls — the
/// operator current limit through the parameter registry like the web form, availability like ChangeAvailability.
package actor StationMQTTLink<Board: HardwarePort>: MQTTClientDelegate {
    let runtime: StationRuntime<Board>
    var bridge: StationMQTT
    let start = ContinuousClock.now
    /// Who changes parameters over MQTT, in the audit trail and event log.
    static var changedBy: String { "mqtt" }

    package init(runtime: StationRuntime<Board>, bridge: StationMQTT) {
        self.runtime = runtime; self.bridge = bridge
    }

    /// The client's configuration: client id `chargekit-<identity>`, keep-alive 30 s, the retained offline will,
    /// the user and password when a user is set (MQTT 3.1.1 §3.1.2.9: no password without a user name).
    package static func configuration(_ settings: MQTTSettings, bridge: StationMQTT) -> MQTTClientConfiguration {
        .chargeKit(settings, clientId: "chargekit-\(bridge.identity)", availabilityTopic: bridge.availabilityTopic, willPayload: bridge.willPayload,
                   commandFilter: bridge.commandFilter)
    }

    var nowSeconds: Double { start.secondsSince }

    package func mqttConnected() async -> [MQTTOutgoing] {
        let state = await runtime.mqttState()
        return Self.outgoing(bridge.connected(state, nowSeconds: nowSeconds))
    }

    package func mqttTick() async -> [MQTTOutgoing] {
        let state = await runtime.mqttState()
        return Self.outgoing(bridge.update(state, nowSeconds: nowSeconds))
    }

    package func mqttReceived(topic: String, payload: [UInt8]) async -> [MQTTOutgoing] {
        guard let received = bridge.command(topic: topic, payload: payload) else { return [] }
        let (resultTopic, parsed) = received
        var failure: String?, progress: String?
        switch parsed {
        case .failure(let e):
            failure = e.description
        case .success(.operatorCurrentLimit(let n, let text)):
            failure = await setConnectorParameter(StationParameters.operatorCurrentLimit, connector: n, text)
        case .success(.chargeMode(let n, let text)):
            failure = await setConnectorParameter(StationParameters.chargeMode, connector: n, text)
        case .success(.operative(let n, let on)):
            do { _ = try await runtime.setAvailability(connector: n, operative: on, by: Self.changedBy) } catch { failure = "\(error)" }
        case .success(.start(let n, let idTag)), .success(.stop(let n, let idTag)):
            var start = false
            if case .success(.start) = parsed { start = true }
            switch await runtime.presentCommand(idTag, connector: n, start: start) {
            case .success(let p): progress = p.rawValue
            case .failure(let e): failure = e.description
            }
        }
        // The changed state goes out with the answer, so a client sees the new value as soon as the result.
        let state = await runtime.mqttState()
        return Self.outgoing(bridge.update(state, nowSeconds: nowSeconds) + [StationMQTT.result(topic: resultTopic, error: failure, state: progress)])
    }

    /// Sets `<key>.<n>` to `text` with the operator's role through the registry, as the web form does: its validation,
    /// role rule and audit trail. Returns the error message, or nil.
    func setConnectorParameter(_ key: String, connector n: Int, _ text: String) async -> String? {
        let count = await runtime.mqttState().connectors.count
        guard (1...count).contains(n) else { return "connector: '\(n)' is not allowed; allowed is 1–\(count)" }
        do {
            _ = try await runtime.setParameters([(key: "\(key).\(n)", text: text)], role: .operator, changedBy: Self.changedBy)
            return nil
        } catch let batch as ParameterBatchError {
            return batch.errors.values.map(\.message).sorted().joined(separator: "; ")
        } catch {
            return "\(error)"
        }
    }

    static func outgoing(_ messages: [StationMQTT.Message]) -> [MQTTOutgoing] {
        messages.map { MQTTOutgoing(topic: $0.topic, payload: Array($0.payload.utf8), retain: $0.retain) }
    }
}
