/// The MQTT client's settings, shared by the station (read from its Network menu's parameters) and the gateway (read
/// from its own registry's MQTT section): where the broker is, how to log in, the topic prefix, how often meters go out
/// and whether Home Assistant discovery is published.
public struct MQTTSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var tls: Bool
    public var user: String
    public var password: String
    public var topicPrefix: String
    public var meterIntervalSeconds: Int
    public var discovery: Bool
    /// Whether start and stop commands with an identifier are carried out (the station's MQTTAllowStartStop).
    public var allowStartStop: Bool

    public init(host: String, port: Int = 1883, tls: Bool = false, user: String = "", password: String = "", topicPrefix: String = "chargekit",
                meterIntervalSeconds: Int = 10, discovery: Bool = true, allowStartStop: Bool = false) {
        self.host = host; self.port = port; self.tls = tls; self.user = user; self.password = password; self.topicPrefix = topicPrefix
        self.meterIntervalSeconds = meterIntervalSeconds; self.discovery = discovery; self.allowStartStop = allowStartStop
    }

    /// Letters of a topic level ChargeKit builds: no wildcards (+, #), no spaces (MQTT 3.1.1 §4.7.1, §4.7.3); '/' is
    /// allowed in the prefix, which may have several levels.
    public static let topicPrefixCharacters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_./"

    /// A prefix as typed without empty levels ("a//b/" → "a/b"); the factory prefix when nothing is left.
    public static func normalizedPrefix(_ text: String) -> String {
        let p = text.split(separator: "/").joined(separator: "/")
        return p.isEmpty ? "chargekit" : p
    }
}
