import MQTTIntegration
import Parameters

/// The typed keys of the gateway's MQTT settings. Named `gatewayMQTT…` so that they never clash with the station's
/// `mqtt…` keys in a module that sees both registries; the key strings are the ``GatewaySettings`` paths' names (the
/// web form's fields and the stored JSON's keys).
extension ParameterKey {
    public static var gatewayMQTTEnabled: ParameterKey<Bool> { .init("mqttEnabled", .bool) }
    public static var gatewayMQTTBrokerHost: ParameterKey<String> { .init("mqttBrokerHost", .text) }
    public static var gatewayMQTTBrokerPort: ParameterKey<Int> { .init("mqttBrokerPort", .integer) }
    public static var gatewayMQTTTLS: ParameterKey<Bool> { .init("mqttTLS", .bool) }
    public static var gatewayMQTTUser: ParameterKey<String> { .init("mqttUser", .text) }
    public static var gatewayMQTTPassword: ParameterKey<String> { .init("mqttPassword", .text) }
    public static var gatewayMQTTTopicPrefix: ParameterKey<String> { .init("mqttTopicPrefix", .text) }
    public static var gatewayMQTTMeterIntervalSeconds: ParameterKey<Int> { .init("mqttMeterIntervalSeconds", .integer) }
    public static var gatewayMQTTDiscovery: ParameterKey<Bool> { .init("mqttHomeAssistantDiscovery", .bool) }
}

/// The gateway's MQTT client (section "mqtt" of the General page): the same settings as the station's MQTT client,
/// declared in the gateway's registry and read into the station's ``MQTTSettings`` type. The seeds know no MQTT (the gateway's manual knows Modbus and OCPP only): it is ChargeKit's own
/// integration for home automation and building management (Home Assistant, openHAB, Node-RED), off by default; the
/// password is a secret (never shown, logged or in a project file). Saving restarts the gateway services, and the
/// client with them.
extension GatewayParameters {
    /// Letters of a broker host name or address (as the station's broker hosts).
    static let hostCharacters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-:"

    static let mqttDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .gatewayMQTTEnabled, label: "MQTT client", type: .bool, defaultValue: .bool(false), role: role, menu: .gatewayGeneral,
            section: "mqtt",
            help: "On: the gateway connects to the MQTT broker below, publishes each charger's state (retained) under <prefix>/<gateway>/charger/<ChargerID>/ and accepts commands on …/set topics. Off (factory setting): no connection.",
            seeAlso: "MQTT 3.1.1; docs/integrator.md MQTT"),
        ParameterDefinition(
            key: .gatewayMQTTBrokerHost, label: "MQTT broker host", type: .string(length: 0...253, allowed: hostCharacters), defaultValue: .string(""),
            role: role, menu: .gatewayGeneral, section: "mqtt",
            help: "Host name or IP address of the MQTT broker. Empty: no connection.", seeAlso: "MQTT 3.1.1 §4.2"),
        ParameterDefinition(
            key: .gatewayMQTTBrokerPort, label: "MQTT broker port", type: .integer(1...65535, unit: nil), defaultValue: .integer(1883), role: role,
            menu: .gatewayGeneral, section: "mqtt",
            help: "TCP port of the broker: 1883 without TLS, 8883 with TLS by convention.", seeAlso: "MQTT 3.1.1 §4.2"),
        ParameterDefinition(
            key: .gatewayMQTTTLS, label: "MQTT over TLS", type: .bool, defaultValue: .bool(false), role: role, menu: .gatewayGeneral, section: "mqtt",
            help: "On: the connection is encrypted with TLS (1.2 or later) and the broker's certificate is checked: a chain to a trusted CA (the system's, or the PEM bundle named by the environment variable CHARGEKIT_CA_FILE), the host name and the validity period.",
            seeAlso: "MQTT 3.1.1 §5.4.6"),
        ParameterDefinition(
            key: .gatewayMQTTUser, label: "MQTT user name", type: .string(length: 0...64, allowed: nil), defaultValue: .string(""), role: role,
            menu: .gatewayGeneral, section: "mqtt",
            help: "User name for the broker. Empty: the gateway connects without user name and password.", seeAlso: "MQTT 3.1.1 §3.1.3.4"),
        ParameterDefinition(
            key: .gatewayMQTTPassword, label: "MQTT password", type: .string(length: 0...128, allowed: nil), defaultValue: .string(""), role: role,
            menu: .gatewayGeneral, section: "mqtt", secret: true,
            help: "Password for the broker (only sent with a user name). Never shown, logged or exported; leave the field empty to keep the stored password.",
            seeAlso: "MQTT 3.1.1 §3.1.3.5"),
        ParameterDefinition(
            key: .gatewayMQTTTopicPrefix, label: "MQTT topic prefix", type: .string(length: 1...64, allowed: MQTTSettings.topicPrefixCharacters),
            defaultValue: .string("chargekit"), role: role, menu: .gatewayGeneral, section: "mqtt",
            help: "First level(s) of every topic: the gateway publishes under <prefix>/<gateway>/, <gateway> being its host name.",
            seeAlso: "MQTT 3.1.1 §4.7"),
        ParameterDefinition(
            key: .gatewayMQTTMeterIntervalSeconds, label: "MQTT meter publish interval (s)", type: .integer(1...3600, unit: "s"), defaultValue: .integer(10),
            role: role, menu: .gatewayGeneral, section: "mqtt",
            help: "Power and energy from the chargers' MeterValues are published at most this often; connection, status and transactions at once when they change.",
            seeAlso: "docs/integrator.md MQTT"),
        ParameterDefinition(
            key: .gatewayMQTTDiscovery, label: "Home Assistant discovery", type: .bool, defaultValue: .bool(true), role: role, menu: .gatewayGeneral,
            section: "mqtt",
            help: "On: the gateway announces each charger to Home Assistant as a device (retained config messages under homeassistant/), so it appears by itself.",
            seeAlso: "Home Assistant MQTT discovery"),
    ]
}

extension GatewaySettings {
    /// The MQTT client's settings; nil when it is off (MQTT client Off, or no broker host).
    public var mqttClient: MQTTSettings? {
        guard mqttEnabled, !mqttBrokerHost.isEmpty else { return nil }
        return MQTTSettings(host: mqttBrokerHost, port: mqttBrokerPort, tls: mqttTLS, user: mqttUser, password: mqttPassword,
                            topicPrefix: MQTTSettings.normalizedPrefix(mqttTopicPrefix), meterIntervalSeconds: mqttMeterIntervalSeconds,
                            discovery: mqttHomeAssistantDiscovery)
    }

    /// The MQTT settings' fields, in page order.
    static let mqttFields: [GatewaySettingField] = [
        .bind(.gatewayMQTTEnabled, \.mqttEnabled),
        .bind(.gatewayMQTTBrokerHost, \.mqttBrokerHost),
        .bind(.gatewayMQTTBrokerPort, \.mqttBrokerPort),
        .bind(.gatewayMQTTTLS, \.mqttTLS),
        .bind(.gatewayMQTTUser, \.mqttUser),
        .bind(.gatewayMQTTPassword, \.mqttPassword),
        .bind(.gatewayMQTTTopicPrefix, \.mqttTopicPrefix),
        .bind(.gatewayMQTTMeterIntervalSeconds, \.mqttMeterIntervalSeconds),
        .bind(.gatewayMQTTDiscovery, \.mqttHomeAssistantDiscovery),
    ]
}
