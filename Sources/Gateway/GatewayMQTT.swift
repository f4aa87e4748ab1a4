#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MQTTIntegration
import OCPP16

/// What the gateway shows over MQTT: per charger its connection and, for a configured charger, per connector what its
/// registers hold (status, power, energy, offered current, availability) and whether a transaction runs. No idTag:
/// an idTag identifies a person's card (personal data), and a broker's retained topics are readable by every client
/// the broker lets subscribe, so the gateway publishes that a transaction runs, never whose.
public struct GatewayMQTTState: Sendable, Equatable {
    public struct Connector: Sendable, Equatable {
        /// The OCPP connector id (1…).
        public var number: Int
        /// The last StatusNotification's status, as the status register holds it.
        public var status: String
        /// Operative (the availability register: 1 unless the charger reported Unavailable or a ChangeAvailability
        /// made it inoperative).
        public var available: Bool
        /// From MeterValues; nil while the charger has not reported the measurand.
        public var powerW: Double?
        public var energyWh: Double?
        /// Current.Offered: the current the charger offers the vehicle (the limit the gateway knows of).
        public var currentOfferedA: Double?
        public var transactionActive: Bool

        public init(number: Int, status: String, available: Bool = true, powerW: Double? = nil, energyWh: Double? = nil,
                    currentOfferedA: Double? = nil, transactionActive: Bool = false) {
            self.number = number; self.status = status; self.available = available; self.powerW = powerW; self.energyWh = energyWh
            self.currentOfferedA = currentOfferedA; self.transactionActive = transactionActive
        }
    }

    public struct Charger: Sendable, Equatable {
        /// The ChargerID.
        public var id: String
        public var online: Bool
        /// Empty for a charger accepted without being configured (``GatewayMQTTState/unconfigured``): it has no registers
        /// the state could come from.
        public var connectors: [Connector]
        public init(id: String, online: Bool, connectors: [Connector]) { self.id = id; self.online = online; self.connectors = connectors }
    }

    /// The configured chargers, in slot order.
    public var chargers: [Charger]
    /// The connected chargers accepted without configuration, by ChargerID in ascending order: online, without
    /// connectors (they have no registers the state could come from).
    public var unconfigured: [String]
    public init(chargers: [Charger], unconfigured: [String] = []) { self.chargers = chargers; self.unconfigured = unconfigured }
}

/// A command of a `…/set` topic, checked for its form; ``CentralSystem/operatorCommand(_:_:replyTo:now:)`` checks it
/// against the charger and carries it out as the BMS's operations are.
public enum GatewayOperatorCommand: Sendable, Equatable {
    /// ChangeAvailability (connector 0: the charger as a whole), as the BMS's Availability register (seeds/003 §2.3.2.x,
    /// Appendix 2).
    case availability(connector: Int, operative: Bool)
    /// RemoteStartTransaction with an idTag (connector 0: the charger chooses), as the BMS's Remote Start block.
    case remoteStart(connector: Int, idTag: String)
    /// RemoteStopTransaction of the transaction running on the connector, as the BMS's Remote Stop block.
    case remoteStop(connector: Int)
}

/// A command that cannot be carried out, with a message naming the field and what is allowed.
public struct GatewayCommandError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The gateway's MQTT world, pure: topics, the retained state of every charger published on change (meters at most
/// every N seconds), Home Assistant discovery with one device per charger, and the commands of the `…/set` topics.
/// Values in, messages out; the adapter owns the connection. Shares the retained-diff publisher, payload conventions
/// and discovery building blocks with the station's ``MQTTIntegration``.
///
/// Topics (all under `<prefix>/<gateway id>`, the gateway id being the host name — see ``init(settings:gatewayId:version:)``):
/// `availability` (online/offline, retained, the last will); per charger `charger/<ChargerID>/connection`
/// (online/offline) and per connector `charger/<ChargerID>/connector/<n>/{status, available, power, energy,
/// current_offered, transaction}`; commands `charger/<ChargerID>/connector/<n>/{available, start, stop}/set`, answered
/// on the same path's `…/result`.
///
/// - SeeAlso: MQTT 3.1.1 §3.3.1.3 (RETAIN), §3.1.2.5 (will); Home Assistant's MQTT discovery documentation.
public struct GatewayMQTT: Sendable {
    public let settings: MQTTSettings
    public let gatewayId: String
    public let version: String
    private var publisher = RetainedPublisher()
    /// The configured chargers and the chargers without configuration whose topics were published on this connection
    /// (the topics of a charger that leaves the state, one accepted without configuration, are removed).
    private var publishedConfigured: [String] = []
    private var publishedUnconfigured: [String] = []
    private var discovered: Set<String> = []

    /// `gatewayId` names this gateway in the topics and the MQTT client id: its host name, so that several gateways on one
    /// broker stay apart without configuration and the topics stay the same across restarts. As a topic level its
    /// wildcards and separators become `_` (MQTT 3.1.1 §4.7.1).
    public init(settings: MQTTSettings, gatewayId: String, version: String) {
        self.settings = settings; self.version = version
        let id = MQTTPayload.topicLevel(gatewayId)
        self.gatewayId = id.isEmpty ? "gateway" : id
    }

    public var base: String { "\(settings.topicPrefix)/\(gatewayId)" }
    public var availabilityTopic: String { "\(base)/availability" }
    /// The topic filter of the commands (§4.7.1.2: `+` matches one level).
    public var commandFilter: String { "\(base)/charger/+/connector/+/+/set" }
    public var willPayload: String { MQTTPayload.offline }

    func chargerTopic(_ id: String, _ name: String) -> String { "\(base)/charger/\(MQTTPayload.topicLevel(id))/\(name)" }
    func connectorTopic(_ id: String, _ n: Int, _ name: String) -> String { chargerTopic(id, "connector/\(n)/\(name)") }

    /// The connection was accepted: online, the discovery configuration, and every state value published anew.
    public mutating func connected(_ state: GatewayMQTTState, nowSeconds now: Double) -> [MQTTMessage] {
        publisher.reset(); publishedConfigured = []; publishedUnconfigured = []; discovered = []
        return [MQTTMessage(topic: availabilityTopic, payload: MQTTPayload.online, retain: true)] + update(state, nowSeconds: now)
    }

    /// The state values that changed since they were last published (and the discovery of chargers not announced yet).
    ///
    /// The configured chargers (at most 20) are compared value by value. The chargers without configuration have no
    /// value but being online: they are published when they come and removed when they go, found by comparing the two
    /// ordered lists of ChargerIDs — and not at all while the list is the one published (the same array: the table's,
    /// unchanged), so that a tick with 50,000 such chargers connected costs nothing when none came or went.
    public mutating func update(_ state: GatewayMQTTState, nowSeconds now: Double) -> [MQTTMessage] {
        var out: [MQTTMessage] = []
        var values: [MQTTStateValue] = []
        for c in state.chargers {
            out += announce(c)
            values.append(MQTTStateValue(chargerTopic(c.id, "connection"), c.online ? MQTTPayload.online : MQTTPayload.offline))
            for k in c.connectors {
                values.append(MQTTStateValue(connectorTopic(c.id, k.number, "status"), k.status))
                values.append(MQTTStateValue(connectorTopic(c.id, k.number, "available"), k.available ? "ON" : "OFF"))
                values.append(MQTTStateValue(connectorTopic(c.id, k.number, "transaction"), k.transactionActive ? "ON" : "OFF"))
                if let v = k.powerW { values.append(MQTTStateValue(connectorTopic(c.id, k.number, "power"), MQTTPayload.number(v), meter: true)) }
                if let v = k.energyWh { values.append(MQTTStateValue(connectorTopic(c.id, k.number, "energy"), MQTTPayload.number(v), meter: true)) }
                if let v = k.currentOfferedA {
                    values.append(MQTTStateValue(connectorTopic(c.id, k.number, "current_offered"), MQTTPayload.number(v), meter: true))
                }
            }
        }
        let configured = state.chargers.map(\.id)
        var gone = Set(publishedConfigured).subtracting(configured)
        if state.unconfigured != publishedUnconfigured {
            let (came, left) = Self.difference(from: publishedUnconfigured, to: state.unconfigured)
            for id in came {
                out += announce(GatewayMQTTState.Charger(id: id, online: true, connectors: []))
                values.append(MQTTStateValue(chargerTopic(id, "connection"), MQTTPayload.online))
            }
            gone.formUnion(left)
            publishedUnconfigured = state.unconfigured
        }
        publishedConfigured = configured
        out += publisher.changes(values, meterIntervalSeconds: settings.meterIntervalSeconds, nowSeconds: now)
        // A charger no longer in the state: one accepted without configuration, which the gateway forgets with its
        // connection. Its retained topics go too (its connection and its discovery config, which removes it from Home
        // Assistant), so that chargers coming and going with ever new ChargerIDs fill neither the broker nor this memory.
        // A charger that only moved between the two lists (its configuration changed) stays.
        for id in gone.subtracting(configured).sorted() where !state.unconfigured.containsSorted(id) {
            let leaving = GatewayMQTTState.Charger(id: id, online: false, connectors: [])
            out += publisher.remove([chargerTopic(id, "connection")] + (discovered.contains(id) ? discovery(leaving).map(\.topic) : []))
            discovered.remove(id)
        }
        return out
    }

    /// The discovery configuration of a charger not announced yet on this connection (with discovery on).
    private mutating func announce(_ c: GatewayMQTTState.Charger) -> [MQTTMessage] {
        guard settings.discovery, !discovered.contains(c.id) else { return [] }
        discovered.insert(c.id)
        return discovery(c)
    }

    /// What is in `new` and not in `old`, and what is in `old` and not in `new`; both lists in ascending order.
    static func difference(from old: [String], to new: [String]) -> (added: [String], removed: [String]) {
        var added: [String] = [], removed: [String] = []
        var i = old.startIndex, j = new.startIndex
        while i < old.endIndex || j < new.endIndex {
            if j == new.endIndex || (i < old.endIndex && old[i] < new[j]) {
                removed.append(old[i]); i += 1
            } else if i == old.endIndex || new[j] < old[i] {
                added.append(new[j]); j += 1
            } else {
                i += 1; j += 1
            }
        }
        return (added, removed)
    }

    /// The longest idTag: OCPP 1.6's IdToken (CiString20Type), which also fills the BMS's Id Tag registers exactly.
    public static let maximumIdTagLength = 20

    /// A message on a command topic: the ChargerID, the command and the topic of its answer; nil for a topic that is not
    /// a command. A command of the wrong form, or to a charger the gateway does not know, is a `.failure` naming the
    /// field and what is allowed. `state` resolves a topic level back to its ChargerID.
    public func command(topic: String, payload: [UInt8], state: GatewayMQTTState)
        -> (resultTopic: String, command: Result<(charger: String, GatewayOperatorCommand), GatewayCommandError>)? {
        let prefix = "\(base)/charger/"
        guard topic.hasPrefix(prefix), topic.hasSuffix("/set") else { return nil }
        let parts = topic.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[1] == "connector" else { return nil }
        let resultTopic = prefix + parts[0..<4].joined(separator: "/") + "/result"
        func fail(_ message: String) -> (String, Result<(charger: String, GatewayOperatorCommand), GatewayCommandError>) {
            (resultTopic, .failure(GatewayCommandError(message)))
        }
        let level = String(parts[0])
        guard let charger = state.chargers.first(where: { MQTTPayload.topicLevel($0.id) == level })?.id
                ?? state.unconfigured.first(where: { MQTTPayload.topicLevel($0) == level }) else {
            return fail("charger: '\(level.prefix(48))' is not known to the gateway; allowed are the configured ChargerIDs and connected chargers")
        }
        guard let n = Int(parts[2]), n >= 0 else {
            return fail("connector: '\(parts[2].prefix(16))' is not allowed; allowed is a connector number")
        }
        let text = MQTTPayload.text(payload)
        switch parts[3] {
        case "available":
            switch text.uppercased() {
            case "ON": return (resultTopic, .success((charger, .availability(connector: n, operative: true))))
            case "OFF": return (resultTopic, .success((charger, .availability(connector: n, operative: false))))
            default: return fail("available: '\(text.prefix(40))' is not allowed; allowed is ON or OFF")
            }
        case "start":
            guard (1...Self.maximumIdTagLength).contains(text.utf8.count), text.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                return fail("idTag: the payload must be the idTag, 1–\(Self.maximumIdTagLength) printable ASCII characters without spaces")
            }
            return (resultTopic, .success((charger, .remoteStart(connector: n, idTag: text))))
        case "stop":
            return (resultTopic, .success((charger, .remoteStop(connector: n))))
        default:
            return fail("'\(parts[3].prefix(40))' is not a command; allowed are available, start and stop")
        }
    }
}
