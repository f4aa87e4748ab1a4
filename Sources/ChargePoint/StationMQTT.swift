#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import LoadManagement
import MQTTIntegration
import OCPP16
import Parameters

/// What the station shows over MQTT, per connector: the values of the retained state topics.
public struct StationMQTTState: Sendable, Equatable {
    public struct Connector: Sendable, Equatable {
        public var status: ConnectorStatus
        /// Operative (ChangeAvailability, or the MQTT switch) — "ON" / "OFF".
        public var operative: Bool
        /// The operator current limit parameter (what the `number` sets).
        public var operatorCurrentLimitA: Double
        /// The installation limit: the highest operator limit allowed (the `number`'s maximum).
        public var installationCurrentLimitA: Double
        /// The current the connector may offer now (the lowest of its limit chain).
        public var currentLimitA: Double
        public var powerW: Double
        public var sessionEnergyWh: Double
        /// The meter's cumulative register.
        public var energyWh: Double
        /// The PV charge mode (ChargeMode.<n>, what the `select` sets).
        public var chargeMode: ChargeMode

        public init(status: ConnectorStatus, operative: Bool, operatorCurrentLimitA: Double, installationCurrentLimitA: Double,
                    currentLimitA: Double, powerW: Double, sessionEnergyWh: Double, energyWh: Double, chargeMode: ChargeMode = .fast) {
            self.status = status; self.operative = operative; self.operatorCurrentLimitA = operatorCurrentLimitA
            self.installationCurrentLimitA = installationCurrentLimitA; self.currentLimitA = currentLimitA; self.powerW = powerW
            self.sessionEnergyWh = sessionEnergyWh; self.energyWh = energyWh; self.chargeMode = chargeMode
        }
    }

    public var connectors: [Connector]
    public init(connectors: [Connector]) { self.connectors = connectors }
}

extension StationController {
    /// The station's state for the MQTT client.
    public func mqttState(now: Date) -> StationMQTTState {
        let snapshot = snapshot(now: now)
        return StationMQTTState(connectors: snapshot.connectors.map { c in
            let s = settings.connectors[c.id - 1]
            return .init(status: c.status, operative: connectors[c.id - 1].machine.isOperative,
                         operatorCurrentLimitA: s.operatorCurrentLimitAmps, installationCurrentLimitA: s.installationCurrentLimitAmps,
                         currentLimitA: c.currentLimit.amps, powerW: c.meter.totalPowerW, sessionEnergyWh: c.session?.energyWh ?? 0,
                         energyWh: c.meter.energyWh, chargeMode: s.chargeMode)
        })
    }
}

/// A command received on a `…/set` topic, checked for its form; the runtime carries it out with the operator's role,
/// through the same paths as the web form (the parameter registry's validation and role rule).
public enum StationMQTTCommand: Sendable, Equatable {
    /// `<base>/connector/<n>/operator_current_limit/set`, the value as typed (validated by the registry).
    case operatorCurrentLimit(connector: Int, text: String)
    /// `<base>/connector/<n>/operative/set`, ON or OFF (OCPP ChangeAvailability's Operative / Inoperative).
    case operative(connector: Int, Bool)
    /// `<base>/connector/<n>/charge_mode/set`: Fast, MinPV or PV (validated by the registry as ChargeMode.<n>).
    case chargeMode(connector: Int, text: String)
    /// `<base>/connector/<n>/start/set`, the payload an identifier presented like a card (MQTTAllowStartStop).
    case start(connector: Int, idTag: String)
    /// `<base>/connector/<n>/stop/set`, the payload the identifier that may stop the session (Stop Transaction Mode).
    case stop(connector: Int, idTag: String)
}

/// The station's MQTT world, pure: topics, the retained state published on change (meters at most every N seconds),
/// Home Assistant discovery, and the commands of the `…/set` topics. Values in, messages out; the adapter owns the
/// connection.
///
/// Topics (all under `<prefix>/<ChargeBoxIdentity>`): `availability` (online/offline, retained, the last will), and per
/// connector `connector/<n>/{status, operative, operator_current_limit, charge_mode, current_limit, power, session_energy, energy}`;
/// commands `connector/<n>/{operator_current_limit, charge_mode, operative, start, stop}/set`, answered on the same path's `…/result`.
///
/// - SeeAlso: MQTT 3.1.1 §3.3.1.3 (RETAIN), §3.1.2.5 (will); Home Assistant's MQTT discovery documentation.
public struct StationMQTT: Sendable {
    public typealias Message = MQTTMessage

    public let settings: MQTTSettings
    public let identity: String
    public let version: String
    /// The prefix of Home Assistant's discovery topics (its default).
    public static let discoveryPrefix = HomeAssistantDiscovery.prefix
    public static let online = MQTTPayload.online, offline = MQTTPayload.offline

    /// The retained values last published; reset on every new connection so that everything goes out again (a broker
    /// restarted without persistence has lost them).
    private var publisher = RetainedPublisher()

    /// `identity` is the ChargeBoxIdentity; as a topic level its wildcards and separators (`+`, `#`, `/`, MQTT 3.1.1
    /// §4.7.1) become `_`, so that the command filter stays valid.
    public init(settings: MQTTSettings, identity: String, version: String) {
        self.settings = settings; self.version = version
        self.identity = MQTTPayload.topicLevel(identity)
    }

    public var base: String { "\(settings.topicPrefix)/\(identity)" }
    public var availabilityTopic: String { "\(base)/availability" }
    /// The topic filter of the commands (§4.7.1.2: `+` matches one level).
    public var commandFilter: String { "\(base)/connector/+/+/set" }
    /// The last will: offline, retained (§3.1.2.5).
    public var willPayload: String { Self.offline }

    func connectorTopic(_ n: Int, _ name: String) -> String { "\(base)/connector/\(n)/\(name)" }

    /// The connection was accepted: online, the discovery configuration, and every state value published anew.
    public mutating func connected(_ state: StationMQTTState, nowSeconds now: Double) -> [Message] {
        publisher.reset()
        var out = [Message(topic: availabilityTopic, payload: Self.online, retain: true)]
        if settings.discovery { out += discovery(state) }
        return out + update(state, nowSeconds: now)
    }

    /// The state values that changed since they were last published; power and energy at most every
    /// `meterIntervalSeconds` (the newest value goes out once the interval has passed).
    public mutating func update(_ state: StationMQTTState, nowSeconds now: Double) -> [Message] {
        var values: [MQTTStateValue] = []
        for (i, c) in state.connectors.enumerated() {
            let n = i + 1
            values += [
                MQTTStateValue(connectorTopic(n, "status"), c.status.rawValue),
                MQTTStateValue(connectorTopic(n, "operative"), c.operative ? "ON" : "OFF"),
                MQTTStateValue(connectorTopic(n, "operator_current_limit"), Self.number(c.operatorCurrentLimitA)),
                MQTTStateValue(connectorTopic(n, "charge_mode"), c.chargeMode.rawValue),
                MQTTStateValue(connectorTopic(n, "current_limit"), Self.number(c.currentLimitA)),
                MQTTStateValue(connectorTopic(n, "power"), Self.number(c.powerW), meter: true),
                MQTTStateValue(connectorTopic(n, "session_energy"), Self.number(c.sessionEnergyWh), meter: true),
                MQTTStateValue(connectorTopic(n, "energy"), Self.number(c.energyWh), meter: true),
            ]
        }
        return publisher.changes(values, meterIntervalSeconds: settings.meterIntervalSeconds, nowSeconds: now)
    }

    /// A message on a command topic: the command and the topic of its answer; nil for a topic that is not a command.
    /// A command of the wrong form comes back as `.failure` with the message naming the field and what is allowed.
    public func command(topic: String, payload: [UInt8]) -> (resultTopic: String, command: Result<StationMQTTCommand, StationMQTTError>)? {
        let prefix = "\(base)/connector/"
        guard topic.hasPrefix(prefix), topic.hasSuffix("/set") else { return nil }
        let parts = topic.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        let resultTopic = "\(prefix)\(parts[0])/\(parts[1])/result"
        let text = MQTTPayload.text(payload)
        guard let n = Int(parts[0]), n >= 1 else {
            return (resultTopic, .failure(StationMQTTError("connector: '\(parts[0])' is not allowed; allowed is a connector number")))
        }
        switch parts[1] {
        case "operator_current_limit":
            // A number is never longer; the registry's message echoes the value, so a long payload is cut first.
            return (resultTopic, .success(.operatorCurrentLimit(connector: n, text: String(text.prefix(32)))))
        case "charge_mode":
            return (resultTopic, .success(.chargeMode(connector: n, text: String(text.prefix(32)))))
        case "operative":
            switch text.uppercased() {
            case "ON": return (resultTopic, .success(.operative(connector: n, true)))
            case "OFF": return (resultTopic, .success(.operative(connector: n, false)))
            default:
                return (resultTopic, .failure(StationMQTTError("operative: '\(text.prefix(40))' is not allowed; allowed is ON or OFF")))
            }
        case "start", "stop":
            let name = String(parts[1])
            guard settings.allowStartStop else {
                return (resultTopic, .failure(StationMQTTError("\(name): not allowed on this station; the operator switches on 'Allow start/stop over MQTT' (MQTTAllowStartStop)")))
            }
            // OCPP 1.6 IdToken: CiString20Type; printable ASCII as the Modbus identifier registers 1110–1119 take it.
            guard (1...20).contains(text.count), text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
                return (resultTopic, .failure(StationMQTTError("\(name): '\(text.prefix(40))' is not an identifier; allowed are 1–20 printable ASCII characters without spaces")))
            }
            return (resultTopic, .success(name == "start" ? .start(connector: n, idTag: text) : .stop(connector: n, idTag: text)))
        default:
            return (resultTopic, .failure(StationMQTTError("'\(parts[1].prefix(40))' is not a command; allowed are operator_current_limit, charge_mode, operative, start and stop")))
        }
    }

    /// The answer of a command (not retained): `{"ok":true}` (with `"state"` when the command starts something that
    /// goes on, e.g. `"awaiting backend"`) or `{"ok":false,"error":"…"}`.
    public static func result(topic: String, error: String?, state: String? = nil) -> Message {
        MQTTPayload.result(topic: topic, error: error, state: state)
    }

    /// A number as text: integers without a fraction, else one decimal (W, Wh, A).
    static func number(_ v: Double) -> String { MQTTPayload.number(v) }
}

/// A command of the wrong form.
public struct StationMQTTError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
