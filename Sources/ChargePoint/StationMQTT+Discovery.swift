#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import LoadManagement
import MQTTIntegration
import OCPP16

/// Home Assistant MQTT discovery: one retained config message per entity under
/// `homeassistant/<component>/<node_id>/<object_id>/config`, so the station appears in Home Assistant by itself.
/// Per connector: sensors for status, power, session energy and the meter's energy, a `number` for the operator
/// current limit, a `select` for the PV charge mode and a `switch` for its availability; all tied to one device and to the availability topic (online /
/// offline, the last will), so Home Assistant shows them unavailable when the station is gone.
///
/// - SeeAlso: Home Assistant's documentation "MQTT Discovery" (topic format, `device`, `availability`), and of the
///   MQTT Sensor, Number, Select and Switch integrations (state_topic, command_topic, min/max/step, options,
///   payload_on/off).
extension StationMQTT {
    /// node_id and object_id may contain `[a-zA-Z0-9_-]` only (Home Assistant's discovery topic format).
    static func discoveryId(_ s: String) -> String { HomeAssistantDiscovery.id(s) }

    public var nodeId: String { Self.discoveryId("chargekit_\(identity)") }

    /// The config messages of every entity, retained; written with sorted keys (deterministic payloads, so a retained
    /// config is only replaced when it changes).
    public func discovery(_ state: StationMQTTState) -> [Message] {
        let device = HomeAssistantDiscovery.device(identifier: nodeId, name: "ChargeKit \(identity)", model: "ChargeKit station", version: version)
        var out: [Message] = []
        for (i, c) in state.connectors.enumerated() {
            let n = i + 1
            func config(_ component: String, _ object: String, _ name: String, _ extra: [String: JSONValue]) -> Message {
                HomeAssistantDiscovery.config(component: component, nodeId: nodeId, objectId: "connector\(n)_\(object)",
                                              name: state.connectors.count > 1 ? "Connector \(n) \(name)" : name,
                                              availabilityTopic: availabilityTopic, device: device, extra)
            }
            out.append(config("sensor", "status", "status", [
                "state_topic": .string(connectorTopic(n, "status")),
                "device_class": .string("enum"),
                "options": .array(ConnectorStatus.allCases.map { .string($0.rawValue) }),
            ]))
            out.append(config("sensor", "power", "power", [
                "state_topic": .string(connectorTopic(n, "power")), "device_class": .string("power"),
                "state_class": .string("measurement"), "unit_of_measurement": .string("W"),
            ]))
            out.append(config("sensor", "session_energy", "session energy", [
                "state_topic": .string(connectorTopic(n, "session_energy")), "device_class": .string("energy"),
                "state_class": .string("total_increasing"), "unit_of_measurement": .string("Wh"),
            ]))
            out.append(config("sensor", "energy", "energy", [
                "state_topic": .string(connectorTopic(n, "energy")), "device_class": .string("energy"),
                "state_class": .string("total_increasing"), "unit_of_measurement": .string("Wh"),
            ]))
            out.append(config("sensor", "current_limit", "offered current", [
                "state_topic": .string(connectorTopic(n, "current_limit")), "device_class": .string("current"),
                "state_class": .string("measurement"), "unit_of_measurement": .string("A"),
            ]))
            out.append(config("number", "operator_current_limit", "current limit", [
                "state_topic": .string(connectorTopic(n, "operator_current_limit")),
                "command_topic": .string(connectorTopic(n, "operator_current_limit") + "/set"),
                "min": .integer(6), "max": .integer(Int64(max(6, c.installationCurrentLimitA))), "step": .integer(1),
                "mode": .string("box"), "device_class": .string("current"), "unit_of_measurement": .string("A"),
            ]))
            out.append(config("select", "charge_mode", "charge mode", [
                "state_topic": .string(connectorTopic(n, "charge_mode")),
                "command_topic": .string(connectorTopic(n, "charge_mode") + "/set"),
                "options": .array(ChargeMode.allCases.map { .string($0.rawValue) }),
            ]))
            out.append(config("switch", "operative", "available", [
                "state_topic": .string(connectorTopic(n, "operative")),
                "command_topic": .string(connectorTopic(n, "operative") + "/set"),
                "payload_on": .string("ON"), "payload_off": .string("OFF"), "state_on": .string("ON"), "state_off": .string("OFF"),
            ]))
        }
        return out
    }
}
