#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MQTTIntegration
import OCPP16

/// Home Assistant MQTT discovery for the gateway: each charger is a device of its own (node id
/// `chargekit_<gateway id>_<ChargerID>`), with a connectivity binary sensor for its connection and per connector
/// sensors for status, power, energy and offered current, a binary sensor for a running transaction, a switch for its
/// availability (ChangeAvailability) and a button that stops its transaction (RemoteStopTransaction). Every entity
/// follows the gateway's availability topic (online / offline, the last will).
///
/// - SeeAlso: Home Assistant's documentation "MQTT Discovery" and of the MQTT Sensor, Binary sensor, Switch and Button
///   integrations.
extension GatewayMQTT {
    public func nodeId(_ charger: String) -> String { HomeAssistantDiscovery.id("chargekit_\(gatewayId)_\(charger)") }

    /// The config messages of one charger's entities, retained.
    public func discovery(_ c: GatewayMQTTState.Charger) -> [MQTTMessage] {
        let node = nodeId(c.id)
        let device = HomeAssistantDiscovery.device(identifier: node, name: "Charger \(c.id)", model: "OCPP 1.6 charger via the ChargeKit gateway",
                                                   version: version)
        func config(_ component: String, _ object: String, _ name: String, _ extra: [String: JSONValue]) -> MQTTMessage {
            HomeAssistantDiscovery.config(component: component, nodeId: node, objectId: object, name: name, availabilityTopic: availabilityTopic,
                                          device: device, extra)
        }
        var out = [config("binary_sensor", "connection", "connection", [
            "state_topic": .string(chargerTopic(c.id, "connection")), "device_class": .string("connectivity"),
            "payload_on": .string(MQTTPayload.online), "payload_off": .string(MQTTPayload.offline),
        ])]
        for k in c.connectors {
            let n = k.number
            let label = c.connectors.count > 1 ? "Connector \(n) " : ""
            func topic(_ name: String) -> JSONValue { .string(connectorTopic(c.id, n, name)) }
            out.append(config("sensor", "connector\(n)_status", "\(label)status", [
                "state_topic": topic("status"), "device_class": .string("enum"), "options": .array(ConnectorStatusCode.names.map { .string($0) }),
            ]))
            out.append(config("sensor", "connector\(n)_power", "\(label)power", [
                "state_topic": topic("power"), "device_class": .string("power"), "state_class": .string("measurement"),
                "unit_of_measurement": .string("W"),
            ]))
            out.append(config("sensor", "connector\(n)_energy", "\(label)energy", [
                "state_topic": topic("energy"), "device_class": .string("energy"), "state_class": .string("total_increasing"),
                "unit_of_measurement": .string("Wh"),
            ]))
            out.append(config("sensor", "connector\(n)_current_offered", "\(label)offered current", [
                "state_topic": topic("current_offered"), "device_class": .string("current"), "state_class": .string("measurement"),
                "unit_of_measurement": .string("A"),
            ]))
            out.append(config("binary_sensor", "connector\(n)_transaction", "\(label)transaction", [
                "state_topic": topic("transaction"), "device_class": .string("running"), "payload_on": .string("ON"), "payload_off": .string("OFF"),
            ]))
            out.append(config("switch", "connector\(n)_available", "\(label)available", [
                "state_topic": topic("available"), "command_topic": .string(connectorTopic(c.id, n, "available") + "/set"),
                "payload_on": .string("ON"), "payload_off": .string("OFF"), "state_on": .string("ON"), "state_off": .string("OFF"),
            ]))
            out.append(config("button", "connector\(n)_stop", "\(label)stop charging", [
                "command_topic": .string(connectorTopic(c.id, n, "stop") + "/set"), "payload_press": .string("STOP"),
            ]))
        }
        return out
    }
}
