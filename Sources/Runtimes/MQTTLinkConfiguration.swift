import MQTT
import MQTTIntegration
import Transport

extension MQTTClientConfiguration {
    /// The MQTT client of the station and the gateway: clean session, keep-alive 30 s, the retained offline will on
    /// the availability topic, the user and password when a user is set (MQTT 3.1.1 §3.1.2.9: no password without a
    /// user name), and one subscription to the command topics.
    static func chargeKit(_ settings: MQTTSettings, clientId: String, availabilityTopic: String, willPayload: String,
                          commandFilter: String) -> MQTTClientConfiguration {
        let connect = MQTTConnect(clientId: clientId, cleanSession: true, keepAliveSeconds: 30,
                                  will: MQTTWill(topic: availabilityTopic, payload: Array(willPayload.utf8), qos: .atLeastOnce, retain: true),
                                  username: settings.user.isEmpty ? nil : settings.user,
                                  password: settings.user.isEmpty || settings.password.isEmpty ? nil : Array(settings.password.utf8))
        return MQTTClientConfiguration(host: settings.host, port: settings.port, tls: settings.tls, connect: connect,
                                       subscriptions: [MQTTSubscription(commandFilter, qos: .atLeastOnce)])
    }
}
