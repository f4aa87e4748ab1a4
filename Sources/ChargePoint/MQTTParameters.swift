#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import MQTTIntegration
import Parameters

private typealias K = StationParameters

/// The MQTT client's parameters (menu Network, section MQTT). The seeds know no MQTT: it is ChargeKit's own integration
/// for home automation (Home Assistant, openHAB, Node-RED, ioBroker), off by default. Every one takes effect at the next
/// start, when the client is built from them.
extension StationParameters {
    public static let mqttEnabled = "MQTTEnabled"
    public static let mqttBrokerHost = "MQTTBrokerHost"
    public static let mqttBrokerPort = "MQTTBrokerPort"
    public static let mqttTLS = "MQTTTLS"
    public static let mqttUser = "MQTTUser"
    public static let mqttPassword = "MQTTPassword"
    public static let mqttTopicPrefix = "MQTTTopicPrefix"
    public static let mqttMeterInterval = "MQTTMeterInterval"
    public static let mqttDiscovery = "MQTTHomeAssistantDiscovery"
    public static let mqttAllowStartStop = "MQTTAllowStartStop"

    /// Letters of a topic level the station builds (shared with the gateway's MQTT settings).
    static var topicPrefixCharacters: String { MQTTSettings.topicPrefixCharacters }

    static let mqttDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .mqttEnabled, label: "MQTT client", type: .bool, defaultValue: .bool(false),
            role: .operator, menu: .network, section: "MQTT", restartRequired: true,
            help: "On: the station connects to the MQTT broker below, publishes its state (retained) under <prefix>/<ChargeBoxIdentity>/ and accepts commands on …/set topics. Off (factory setting): no connection.",
            seeAlso: "MQTT 3.1.1; docs/integrator.md MQTT"),
        ParameterDefinition(
            key: .mqttBrokerHost, label: "MQTT broker host", type: .string(length: 0...253, allowed: hostCharacters),
            defaultValue: .string(""), role: .operator, menu: .network, section: "MQTT", restartRequired: true,
            help: "Host name or IP address of the MQTT broker (e.g. the Home Assistant host). Empty: no connection.",
            seeAlso: "MQTT 3.1.1 §4.2"),
        ParameterDefinition(
            key: .mqttBrokerPort, label: "MQTT broker port", type: .integer(1...65535, unit: nil),
            defaultValue: .integer(1883), role: .operator, menu: .network, section: "MQTT", restartRequired: true,
            help: "TCP port of the broker: 1883 without TLS, 8883 with TLS by convention.",
            seeAlso: "MQTT 3.1.1 §4.2"),
        ParameterDefinition(
            key: .mqttTLS, label: "MQTT over TLS", type: .bool, defaultValue: .bool(false),
            role: .operator, menu: .network, section: "MQTT", restartRequired: true,
            help: "On: the connection is encrypted with TLS (1.2 or later) and the broker's certificate is checked: a chain to a trusted CA (the system's, or the PEM bundle named by the environment variable CHARGEKIT_CA_FILE), the host name and the validity period.",
            seeAlso: "MQTT 3.1.1 §5.4.6"),
        ParameterDefinition(
            key: .mqttUser, label: "MQTT user name", type: .string(length: 0...64, allowed: nil),
            defaultValue: .string(""), role: .operator, menu: .network, section: "MQTT", restartRequired: true,
            help: "User name for the broker. Empty: the station connects without user name and password.",
            seeAlso: "MQTT 3.1.1 §3.1.3.4"),
        ParameterDefinition(
            key: .mqttPassword, label: "MQTT password", type: .string(length: 0...128, allowed: nil),
            defaultValue: .string(""), role: .operator, menu: .network, section: "MQTT", restartRequired: true, secret: true,
            help: "Password for the broker (only sent with a user name). Never shown, logged or exported.",
            seeAlso: "MQTT 3.1.1 §3.1.3.5"),
        ParameterDefinition(
            key: .mqttTopicPrefix, label: "MQTT topic prefix", type: .string(length: 1...64, allowed: topicPrefixCharacters),
            defaultValue: .string("chargekit"), role: .operator, menu: .network, section: "MQTT", restartRequired: true,
            help: "First level(s) of every topic: the station publishes under <prefix>/<ChargeBoxIdentity>/.",
            seeAlso: "MQTT 3.1.1 §4.7"),
        ParameterDefinition(
            key: .mqttMeterInterval, label: "MQTT meter publish interval", type: .integer(1...3600, unit: "s"),
            defaultValue: .integer(10), role: .operator, menu: .network, section: "MQTT", restartRequired: true,
            help: "Power and energy are published at most this often (seconds); status and limits at once when they change.",
            seeAlso: "docs/integrator.md MQTT"),
        ParameterDefinition(
            key: .mqttDiscovery, label: "Home Assistant discovery", type: .bool, defaultValue: .bool(true),
            role: .operator, menu: .network, section: "MQTT", restartRequired: true,
            help: "On: the station announces its sensors, current limit and availability switches to Home Assistant (retained config messages under homeassistant/), so it appears by itself.",
            seeAlso: "Home Assistant MQTT discovery"),
        // Off by default like Modbus "Allow Start/Stop Transaction" (seeds/000): whoever may publish to the broker could
        // otherwise start charging; the identifier is still authorized like a card.
        ParameterDefinition(
            key: .mqttAllowStartStop, label: "Allow start/stop over MQTT", type: .bool, defaultValue: .bool(false),
            role: .operator, menu: .network, section: "MQTT", restartRequired: true,
            help: "On: an identifier published to …/connector/<n>/start/set or …/stop/set is presented at that connector like a card (the whitelist, the backend and the free charging mode decide, as for a card). Off (factory setting): those commands are refused.",
            seeAlso: "docs/integrator.md MQTT"),
    ]
}

extension ParameterKey {
    public static var mqttEnabled: ParameterKey<Bool> { .init(K.mqttEnabled, .bool) }
    public static var mqttBrokerHost: ParameterKey<String> { .init(K.mqttBrokerHost, .text) }
    public static var mqttBrokerPort: ParameterKey<Int> { .init(K.mqttBrokerPort, .integer) }
    public static var mqttTLS: ParameterKey<Bool> { .init(K.mqttTLS, .bool) }
    public static var mqttUser: ParameterKey<String> { .init(K.mqttUser, .text) }
    public static var mqttPassword: ParameterKey<String> { .init(K.mqttPassword, .text) }
    public static var mqttTopicPrefix: ParameterKey<String> { .init(K.mqttTopicPrefix, .text) }
    public static var mqttMeterInterval: ParameterKey<Int> { .init(K.mqttMeterInterval, .integer) }
    public static var mqttDiscovery: ParameterKey<Bool> { .init(K.mqttDiscovery, .bool) }
    public static var mqttAllowStartStop: ParameterKey<Bool> { .init(K.mqttAllowStartStop, .bool) }
}

extension MQTTSettings {
    /// The station's MQTT settings, read from its parameters; nil when the client is off (MQTT client Off, or no broker
    /// host).
    public init?(_ p: ParameterSet) {
        guard p[.mqttEnabled], !p[.mqttBrokerHost].isEmpty else { return nil }
        self.init(host: p[.mqttBrokerHost], port: p[.mqttBrokerPort], tls: p[.mqttTLS], user: p[.mqttUser], password: p[.mqttPassword],
                  topicPrefix: Self.normalizedPrefix(p[.mqttTopicPrefix]), meterIntervalSeconds: p[.mqttMeterInterval], discovery: p[.mqttDiscovery],
                  allowStartStop: p[.mqttAllowStartStop])
    }
}
