import FoundationEssentials
import Hummingbird
import HTTPTypes
import ChargePoint
import Gateway

/// `GET` and `PATCH /api/settings`: the settings of the General and Modbus pages (every parameter of the gateway
/// registry, ``GatewaySettings/fields``) as typed JSON values. A PATCH is the pages' Save: each value goes through the
/// field's form parsing (``GatewaySettingField/apply(_:to:)``), the whole is checked by ``GatewayService/apply(_:by:)``
/// (``GatewaySettings/problems()``, the wss files), and one refused value changes nothing; every problem is named by its
/// field with what it allows. Secrets are never returned, only whether they are set.
extension GatewayAPI {
    /// The JSON type a setting takes: what ``GatewaySettings``' stored JSON has for it.
    enum Kind: Sendable { case bool, integer, string }

    /// A value of a PATCH body, by its JSON type.
    enum PatchValue: Decodable, Sendable {
        case bool(Bool), integer(Int), string(String), other

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .bool(b) } else if let i = try? c.decode(Int.self) { self = .integer(i) }
            else if (try? c.decode(Double.self)) != nil { self = .other } else if let s = try? c.decode(String.self) { self = .string(s) }
            else { self = .other }
        }

        var given: String {
            switch self {
            case .bool(let b): String(b)
            case .integer(let i): String(i)
            case .string(let s): String(s.prefix(64))
            case .other: "(not a number, text or true/false)"
            }
        }
    }

    struct SettingsPatch: Decodable, Sendable { var values: [String: PatchValue] }

    /// The settings' values by key as typed JSON (secrets left out), read from their stored JSON.
    struct SettingValues: Decodable {
        var values: [String: ParameterValue] = [:]
        var kinds: [String: Kind] = [:]

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: SettingsKey.self)
            for f in GatewaySettings.fields {
                let key = SettingsKey(f.key)
                if let b = try? c.decode(Bool.self, forKey: key) {
                    values[f.key] = ParameterValue.bool(b)
                    kinds[f.key] = Kind.bool
                } else if let i = try? c.decode(Int.self, forKey: key) {
                    values[f.key] = ParameterValue.integer(i)
                    kinds[f.key] = Kind.integer
                } else if let s = try? c.decode(String.self, forKey: key) {
                    values[f.key] = ParameterValue.string(s)
                    kinds[f.key] = Kind.string
                }
                if f.definition.secret { values[f.key] = nil }
            }
        }

        init(_ settings: GatewaySettings) {
            self = (try? JSONDecoder().decode(Self.self, from: JSONEncoder().encode(settings))) ?? Self()
        }

        private init() {}
    }

    struct SettingsKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The JSON type of each setting.
    static let kinds = SettingValues(GatewaySettings()).kinds

    /// `GET /api/settings`.
    struct SettingsView: Encodable {
        var values: [String: ParameterValue]
        /// Each secret setting: whether it is set (its value is never returned).
        var secretsSet: [String: Bool]
        /// PATCH only: whether anything changed (the gateway services restarted with the new settings).
        var changed: Bool?

        init(_ settings: GatewaySettings, changed: Bool? = nil) {
            values = SettingValues(settings).values
            secretsSet = Dictionary(uniqueKeysWithValues: GatewaySettings.fields.filter(\.definition.secret).map { ($0.key, !$0.value(settings).isEmpty) })
            self.changed = changed
        }
    }

    /// Where the charger list and the signals are changed, for a PATCH that names them.
    static let elsewhere = ["chargers": "PUT /api/chargers", "signalsOff": "PUT /api/signals"]

    static func addSettingsRoutes(_ router: Router<WebRequestContext>, _ gateway: any GatewayService) {
        router.get("api/settings") { _, _ in json(SettingsView(try await gateway.settings())) }
        router.patch("api/settings") { request, _ in
            if let refusal = roleRefusal() { return refusal }
            let body: SettingsPatch
            do { body = try await StationAPI.decode(SettingsPatch.self, request) } catch let e as StationAPI.BodyError { return e.response }
            guard !body.values.isEmpty else { return StationAPI.error(.badRequest, "values is empty: name at least one setting", field: "values") }
            let stored = try await gateway.settings()
            var settings = stored
            var problems: [SettingProblem] = [], given: [String: String] = [:]
            for (key, value) in body.values.sorted(by: { $0.key < $1.key }) {
                given[key] = value.given
                guard let f = GatewaySettings.fields.first(where: { $0.key == key }) else {
                    problems.append(SettingProblem(key, elsewhere[key].map { "is changed with \($0)" } ?? "is no setting of the gateway (GET /api/settings lists them)"))
                    continue
                }
                switch formText(value, for: f) {
                case .success(let text):
                    if let p = f.apply(text, to: &settings) { problems.append(p) }
                case .failure(let p):
                    problems.append(p)
                }
            }
            guard problems.isEmpty else {
                // The other values' problems too, all at once, as the page shows them.
                let named = Set(problems.map(\.field))
                return rejected(problems + settings.problems().filter { !named.contains($0.field) }, what: "settings refused", given: given)
            }
            return try await apply(settings, over: stored, gateway, what: "settings refused", given: given) { json(SettingsView($0, changed: $1)) }
        }
    }

    /// A JSON value as the form entry the page would send for `f`, or the problem when it is of the wrong type or (for
    /// a choice) none of the allowed values.
    static func formText(_ value: PatchValue, for f: GatewaySettingField) -> Result<String, SettingProblem> {
        let kind = kinds[f.key] ?? .string
        let text: String? = switch (kind, value) {
        case (.bool, .bool(let b)): b ? "On" : "Off"
        case (.integer, .integer(let i)): String(i)
        case (.string, .string(let s)): s
        default: nil
        }
        let what = switch kind {
        case .bool: "true or false"
        case .integer: "a whole number"
        case .string: "text"
        }
        guard let text else { return .failure(SettingProblem(f.key, "must be \(what); allowed: \(allowed(f))")) }
        if case .choice(let values) = f.input, !values.contains(text) {
            return .failure(SettingProblem(f.key, "'\(value.given)' is not one of \(allowed(f))"))
        }
        return .success(text)
    }
}
