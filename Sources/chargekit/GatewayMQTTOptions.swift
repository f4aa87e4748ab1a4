import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Gateway

/// The gateway's MQTT options (`chargekit gateway --mqtt on --mqtt-broker-host …`): each sets its parameter of the
/// gateway registry's MQTT section, saved like the web configuration's. The password is read from a file, so that it
/// never stands on a command line (which every user of the machine can read in the process list).
struct GatewayMQTTOptions: ParsableArguments {
    @Option(name: .customLong("mqtt"), help: "on or off: the MQTT client (off by default).")
    var enabled: String?
    @Option(name: .customLong("mqtt-broker-host"), help: "MQTT broker host name or address.")
    var host: String?
    @Option(name: .customLong("mqtt-broker-port"), help: "MQTT broker port (default 1883).")
    var port: Int?
    @Option(name: .customLong("mqtt-tls"), help: "on or off: TLS to the broker, with its certificate checked.")
    var tls: String?
    @Option(name: .customLong("mqtt-user"), help: "User name for the broker.")
    var user: String?
    @Option(name: .customLong("mqtt-password-file"), help: "File whose first line is the broker password (never given on the command line).")
    var passwordFile: String?
    @Option(name: .customLong("mqtt-topic-prefix"), help: "First topic level(s) (default chargekit).")
    var topicPrefix: String?
    @Option(name: .customLong("mqtt-meter-interval"), help: "Seconds between meter publications at most (default 10).")
    var meterInterval: Int?
    @Option(name: .customLong("mqtt-discovery"), help: "on or off: Home Assistant discovery (default on).")
    var discovery: String?

    func validate() throws {
        for (option, value) in [("mqtt", enabled), ("mqtt-tls", tls), ("mqtt-discovery", discovery)] {
            if let value, !["on", "off"].contains(value) { throw ValidationError("--\(option) must be on or off (got \(value))") }
        }
    }

    /// The changes to the settings; reads the password file now.
    func changes() throws -> @Sendable (inout GatewaySettings) -> Void {
        var password: String?
        if let passwordFile {
            do {
                password = String(try String(contentsOfFile: passwordFile, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
            } catch {
                throw ValidationError("--mqtt-password-file: cannot read \(passwordFile)")
            }
        }
        let (enabled, host, port, tls, user, topicPrefix, meterInterval, discovery) =
            (self.enabled, self.host, self.port, self.tls, self.user, self.topicPrefix, self.meterInterval, self.discovery)
        return { [password] s in
            if let enabled { s.set(.gatewayMQTTEnabled, enabled == "on") }
            if let host { s.set(.gatewayMQTTBrokerHost, host) }
            if let port { s.set(.gatewayMQTTBrokerPort, port) }
            if let tls { s.set(.gatewayMQTTTLS, tls == "on") }
            if let user { s.set(.gatewayMQTTUser, user) }
            if let password { s.set(.gatewayMQTTPassword, password) }
            if let topicPrefix { s.set(.gatewayMQTTTopicPrefix, topicPrefix) }
            if let meterInterval { s.set(.gatewayMQTTMeterIntervalSeconds, meterInterval) }
            if let discovery { s.set(.gatewayMQTTDiscovery, discovery == "on") }
        }
    }
}
