#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16
import Parameters

/// A project file that cannot be imported: every problem, each with its field.
public struct ProjectRejected: Error, Sendable, Equatable {
    public var problems: [SettingProblem]
    public init(_ problems: [SettingProblem]) { self.problems = problems }
}

/// The gateway's whole configuration as one file, to keep it, restore it or copy it to another gateway — what the
/// vendor's tool does with its project files (seeds/003 §2.2: a project started from a template, sent to the gateway
/// with "Receive/Send").
///
/// The file is JSON: `{"format": "chargekit-gateway-project", "formatVersion": 1, "secretsOmitted": [...],
/// "settings": {...}}`, where `settings` is what the gateway stores — every setting of the registry by its name, the
/// charger list (`chargers`: id, slot, connectors) and the signals switched off (`signalsOff`: first register
/// addresses). **Secrets are never exported** (the external central system's password, the chargers' password hashes):
/// `secretsOmitted` names them, and an import keeps the gateway's own value of a secret the file leaves out — a
/// charger's password hash by its ChargerID; a hash in a file is ignored, so that a file cannot set a password. Accounts of the web interface are not
/// part of the project.
///
/// An import is checked whole before anything is applied: a file that is no project file, an unknown setting, a value
/// of the wrong type or out of range is refused with the field named, and the configuration stays as it was. Settings
/// a file from an older version does not have get their defaults.
public enum GatewayProject {
    public static let format = "chargekit-gateway-project"
    public static let formatVersion = 1
    /// The largest project file accepted (a full one with 20 chargers and every signal switched off is about 200 kB).
    public static let maximumBytes = 1_000_000

    /// The settings that are secrets: never in a project file.
    public static var secretKeys: [String] { GatewaySettings.fields.filter { $0.definition.secret }.map(\.key) }
    /// How `secretsOmitted` names the chargers' password hashes (security profiles 1 and 2).
    public static let chargerPasswordKey = "chargers[].passwordHash"

    /// The charger list without password hashes.
    static func withoutPasswords(_ chargers: JSONValue?) -> JSONValue? {
        guard case .array(let list)? = chargers else { return chargers }
        return .array(list.map { entry in
            guard case .object(var o) = entry else { return entry }
            o["passwordHash"] = nil
            return .object(o)
        })
    }

    /// The project file of `settings` (pretty-printed JSON, keys sorted).
    public static func export(_ settings: GatewaySettings) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard case .object(var object) = try JSONParser.parse(Array(try encoder.encode(settings))) else { return "" }
        for key in secretKeys { object[key] = nil }
        if let chargers = withoutPasswords(object["chargers"]) { object["chargers"] = chargers }
        let file: JSONValue = .object(["format": .string(format), "formatVersion": .integer(Int64(formatVersion)),
                                       "secretsOmitted": .array((secretKeys + [chargerPasswordKey]).map { .string($0) }), "settings": .object(object)])
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return String(decoding: try encoder.encode(file), as: UTF8.self) + "\n"
    }

    /// The settings of a project file, with `stored`'s secrets where the file has none; every problem, each with its
    /// field, when the file cannot be taken.
    public static func read(_ bytes: [UInt8], keepingSecretsOf stored: GatewaySettings) throws(ProjectRejected) -> GatewaySettings {
        guard bytes.count <= maximumBytes else { throw ProjectRejected([SettingProblem("file", "larger than \(maximumBytes) bytes")]) }
        let root: JSONValue
        do { root = try JSONParser.parse(bytes) } catch {
            throw ProjectRejected([SettingProblem("file", "not a project file: \(error.description)")])
        }
        guard case .object(let file) = root, file["format"] == .string(format) else {
            throw ProjectRejected([SettingProblem("format", "not a ChargeKit gateway project file (format must be \"\(format)\")")])
        }
        guard case .integer(let version)? = file["formatVersion"], version >= 1, version <= formatVersion else {
            throw ProjectRejected([SettingProblem("formatVersion", "must be 1…\(formatVersion)")])
        }
        guard case .object(var settings)? = file["settings"] else {
            throw ProjectRejected([SettingProblem("settings", "missing or not an object")])
        }
        let known = Set(GatewaySettings.fields.map(\.key) + ["chargers", "signalsOff"])
        let unknown = settings.keys.filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty { throw ProjectRejected(unknown.map { SettingProblem($0, "is no setting of the gateway") }) }
        // A null would read as a setting left out (its default, or the gateway's own secret): refused like any value of
        // the wrong type, so that a damaged file is not half taken (found by fuzzing the API's project import).
        let nulls = settings.members.filter { $0.value == JSONValue.null }.map(\.key).sorted()
        if !nulls.isEmpty { throw ProjectRejected(nulls.map { SettingProblem($0, "is null; leave a setting out to take its default") }) }
        for key in secretKeys {
            if case .string(let s)? = settings[key], !s.isEmpty { continue }
            settings[key] = nil
        }
        var result: GatewaySettings
        do {
            result = try JSONDecoder().decode(GatewaySettings.self, from: Data(JSONEncoder().encode(JSONValue.object(settings))))
        } catch let error as DecodingError {
            throw ProjectRejected([problem(error)])
        } catch {
            throw ProjectRejected([SettingProblem("settings", "\(error)")])
        }
        for key in secretKeys where settings[key] == nil {
            guard let f = GatewaySettings.fields.first(where: { $0.key == key }) else { continue }
            f.set(&result, f.get(stored))
        }
        for i in result.chargers.indices { result.chargers[i].passwordHash = stored.charger(id: result.chargers[i].id)?.passwordHash }
        let problems = result.problems()
        guard problems.isEmpty else { throw ProjectRejected(problems) }
        return result
    }

    /// A decoding error as a problem of the setting it concerns.
    static func problem(_ error: DecodingError) -> SettingProblem {
        let (path, what): ([any CodingKey], String) = switch error {
        case .typeMismatch(let type, let c): (c.codingPath, "is not a \(typeName(type))")
        case .valueNotFound(let type, let c): (c.codingPath, "is missing a \(typeName(type))")
        case .keyNotFound(let key, let c): (c.codingPath + [key], "is missing")
        case .dataCorrupted(let c): (c.codingPath, "is not allowed: \(c.debugDescription)")
        @unknown default: ([], "is not readable")
        }
        let field = path.first?.stringValue ?? "settings"
        let detail = path.dropFirst().map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return SettingProblem(field, (detail.isEmpty ? "" : "\(field)\(detail) ") + what)
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "whole number"
        case is Bool.Type: "true or false"
        case is String.Type: "text"
        default: "\(type)"
        }
    }
}
