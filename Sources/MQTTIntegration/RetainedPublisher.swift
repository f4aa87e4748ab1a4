#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16

/// One application message to publish.
public struct MQTTMessage: Sendable, Equatable {
    public var topic: String
    public var payload: String
    public var retain: Bool
    public init(topic: String, payload: String, retain: Bool) { self.topic = topic; self.payload = payload; self.retain = retain }
}

/// One value of a retained state topic, as the station or the gateway has it now.
public struct MQTTStateValue: Sendable, Equatable {
    public var topic: String
    public var payload: String
    /// A meter value (power, energy): published at most every meter interval.
    public var meter: Bool
    public init(_ topic: String, _ payload: String, meter: Bool = false) { self.topic = topic; self.payload = payload; self.meter = meter }
}

/// Retained state published on change: remembers what went out per topic, so only values that changed go out again,
/// and meter values at most every `meterIntervalSeconds` (the newest value goes out once the interval has passed).
/// ``reset()`` on every new connection, so that everything goes out again (a broker restarted without persistence has
/// lost it). Shared by the station's and the gateway's MQTT worlds.
///
/// - SeeAlso: MQTT 3.1.1 §3.3.1.3 (RETAIN).
public struct RetainedPublisher: Sendable {
    private var published: [String: String] = [:]
    private var meterPublishedAt: [String: Double] = [:]

    public init() {}

    public mutating func reset() { published = [:]; meterPublishedAt = [:] }

    /// Removes retained topics: an empty retained message each, which makes the broker delete what it keeps for the topic
    /// (MQTT 3.1.1 §3.3.1.3), and forgets them here.
    public mutating func remove(_ topics: [String]) -> [MQTTMessage] {
        topics.map { t in
            published[t] = nil; meterPublishedAt[t] = nil
            return MQTTMessage(topic: t, payload: "", retain: true)
        }
    }

    /// Whether `topic` was published since the last reset.
    public func hasPublished(_ topic: String) -> Bool { published[topic] != nil }

    /// The values that changed since they were last published, as retained messages, in the given order.
    public mutating func changes(_ values: [MQTTStateValue], meterIntervalSeconds: Int, nowSeconds now: Double) -> [MQTTMessage] {
        var out: [MQTTMessage] = []
        for v in values {
            guard published[v.topic] != v.payload else { continue }
            if v.meter, published[v.topic] != nil, let last = meterPublishedAt[v.topic], now - last < Double(meterIntervalSeconds) { continue }
            published[v.topic] = v.payload
            if v.meter { meterPublishedAt[v.topic] = now }
            out.append(MQTTMessage(topic: v.topic, payload: v.payload, retain: true))
        }
        return out
    }
}

/// The payload conventions both MQTT worlds share.
public enum MQTTPayload {
    public static let online = "online", offline = "offline"

    /// A number as text: integers without a fraction, else one decimal (W, Wh, A).
    public static func number(_ v: Double) -> String {
        let r = (v * 10).rounded() / 10
        return r == r.rounded() && abs(r) < 1e15 ? String(Int(r)) : String(r)
    }

    /// A received payload as text without surrounding white space; invalid UTF-8 is empty text (an invalid value,
    /// never a crash).
    public static func text(_ payload: [UInt8]) -> String {
        let raw = String(validating: payload, as: UTF8.self) ?? ""
        return String(raw.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    /// A name as one topic level: its wildcards and separators (`+`, `#`, `/`, MQTT 3.1.1 §4.7.1) become `_`, so that
    /// the command filter stays valid.
    public static func topicLevel(_ s: String) -> String { String(s.map { "+#/".contains($0) ? "_" : $0 }) }

    /// The answer of a command (not retained): `{"ok":true}` (with `"state"` when the command starts something that
    /// goes on, e.g. `"awaiting backend"`) or `{"ok":false,"error":"…"}`.
    public static func result(topic: String, error: String?, state: String? = nil) -> MQTTMessage {
        var ok: JSONObject = ["ok": .bool(true)]
        if let state { ok["state"] = .string(state) }
        let body: JSONObject = error.map { ["ok": .bool(false), "error": .string($0)] } ?? ok
        return MQTTMessage(topic: topic, payload: JSONValue.object(body).serialized, retain: false)
    }
}

/// Home Assistant MQTT discovery's building blocks: one retained config message per entity under
/// `homeassistant/<component>/<node_id>/<object_id>/config`, tied to a device and to an availability topic.
///
/// - SeeAlso: Home Assistant's documentation "MQTT Discovery" (topic format, `device`, `availability`).
public enum HomeAssistantDiscovery {
    /// The prefix of Home Assistant's discovery topics (its default).
    public static let prefix = "homeassistant"

    /// node_id and object_id may contain `[a-zA-Z0-9_-]` only (Home Assistant's discovery topic format).
    public static func id(_ s: String) -> String {
        String(s.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") ? $0 : "_" })
    }

    public static func device(identifier: String, name: String, model: String, version: String) -> JSONValue {
        .object([
            "identifiers": .array([.string(identifier)]),
            "name": .string(name),
            "manufacturer": .string("ChargeKit"),
            "model": .string(model),
            "sw_version": .string(version),
        ])
    }

    /// The config message of one entity, retained; written with sorted keys (deterministic payloads, so a retained
    /// config is only replaced when it changes).
    public static func config(component: String, nodeId: String, objectId: String, name: String, availabilityTopic: String, device: JSONValue,
                              _ extra: [String: JSONValue]) -> MQTTMessage {
        var body: [String: JSONValue] = [
            "name": .string(name),
            "unique_id": .string("\(nodeId)_\(objectId)"),
            "availability_topic": .string(availabilityTopic),
            "payload_available": .string(MQTTPayload.online),
            "payload_not_available": .string(MQTTPayload.offline),
            "device": device,
        ]
        body.merge(extra) { _, new in new }
        return MQTTMessage(topic: "\(prefix)/\(component)/\(nodeId)/\(objectId)/config", payload: JSONValue.object(JSONObject(body)).serialized,
                           retain: true)
    }
}
