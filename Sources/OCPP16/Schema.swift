#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A JSON schema of the subset the OCPP 1.6 schemas use, declared in code and checked before decoding, so
/// that every violation gets its CALLERROR code (OCPP-J §4.2.3):
/// - not an object where one is required, or an unknown property (`additionalProperties: false`) →
///   FormationViolation;
/// - a required property missing → OccurenceConstraintViolation;
/// - a value of the wrong JSON type → TypeConstraintViolation;
/// - a value outside its enumeration, length, range or date-time format → PropertyConstraintViolation.
public indirect enum Schema: Sendable {
    case string(maxLength: Int? = nil, values: Set<String>? = nil, dateTime: Bool = false)
    case integer(minimum: Int64? = nil, maximum: Int64? = nil)
    /// A number with at most `decimals` decimal places (e.g. charging limits: one decimal).
    case number(minimum: Double? = nil, decimals: Int? = nil)
    case boolean
    case array(Schema, minItems: Int = 0)
    case object([SchemaProperty])

    /// CiString of at most `n` characters.
    public static func ci(_ n: Int) -> Schema { .string(maxLength: n) }
    /// One of the values.
    public static func enumeration(_ values: [String]) -> Schema { .string(values: Set(values)) }
    /// An OCPP dateTime.
    public static let dateTime = Schema.string(dateTime: true)

    /// Checks `value`; throws the CALLERROR to answer with.
    public func validate(_ value: JSONValue) throws(OCPPError) {
        try validate(value, at: "payload")
    }

    /// `path` names the field in error messages; it is only built when a check fails.
    func validate(_ value: JSONValue, at path: @autoclosure () -> String) throws(OCPPError) {
        switch (self, value) {
        case (.string(let maxLength, let values, let dateTime), .string(let s)):
            if let maxLength, s.count > maxLength {
                throw OCPPError(.propertyConstraintViolation, "\(path()) is longer than \(maxLength) characters")
            }
            if let values, !values.contains(s) {
                throw OCPPError(.propertyConstraintViolation, "\(path()) '\(s)' is not one of \(values.sorted().joined(separator: ", "))")
            }
            if dateTime, OCPPDate.parse(s) == nil {
                throw OCPPError(.propertyConstraintViolation, "\(path()) '\(s)' is not a date-time like 2026-01-31T12:00:00Z")
            }
        case (.integer(let minimum, let maximum), _):
            let i: Int64
            switch value {
            case .integer(let v): i = v
            case .number(let d) where d == d.rounded() && abs(d) < 9e18: i = Int64(d)
            default: throw OCPPError(.typeConstraintViolation, "\(path()) must be an integer, not \(value.typeName)")
            }
            if let minimum, i < minimum { throw OCPPError(.propertyConstraintViolation, "\(path()) must be at least \(minimum)") }
            if let maximum, i > maximum { throw OCPPError(.propertyConstraintViolation, "\(path()) must be at most \(maximum)") }
        case (.number(let minimum, let decimals), _):
            let d: Double
            switch value {
            case .integer(let v): d = Double(v)
            case .number(let v): d = v
            default: throw OCPPError(.typeConstraintViolation, "\(path()) must be a number, not \(value.typeName)")
            }
            if let minimum, d < minimum { throw OCPPError(.propertyConstraintViolation, "\(path()) must be at least \(minimum)") }
            if let decimals {
                var scale = 1.0
                for _ in 0..<decimals { scale *= 10 }
                if abs((d * scale).rounded() - d * scale) > 1e-6 {
                    throw OCPPError(.propertyConstraintViolation, "\(path()) has more than \(decimals) decimal place(s)")
                }
            }
        case (.boolean, .bool):
            break
        case (.array(let item, let minItems), .array(let items)):
            if items.count < minItems { throw OCPPError(.occurenceConstraintViolation, "\(path()) needs at least \(minItems) item(s)") }
            for (i, v) in items.enumerated() { try item.validate(v, at: "\(path())[\(i)]") }
        case (.object(let properties), .object(let fields)):
            for p in properties {
                if let v = fields[p.name] {
                    try p.schema.validate(v, at: "\(path()).\(p.name)")
                } else if p.required {
                    throw OCPPError(.occurenceConstraintViolation, "\(path()).\(p.name) is required")
                }
            }
            if fields.count > properties.count || fields.keys.contains(where: { k in !properties.contains { $0.name == k } }) {
                let unknown = fields.keys.filter { k in !properties.contains { $0.name == k } }.sorted()
                throw OCPPError(.formationViolation, "\(path()) has no property '\(unknown.first ?? "")'")
            }
        case (.object, _):
            throw OCPPError(value == .null ? .formationViolation : .typeConstraintViolation, "\(path()) must be an object, not \(value.typeName)")
        default:
            throw OCPPError(.typeConstraintViolation, "\(path()) has the wrong type \(value.typeName)")
        }
    }
}

/// A property of an object schema.
public struct SchemaProperty: Sendable {
    public var name: String
    public var schema: Schema
    public var required: Bool

    public init(_ name: String, _ schema: Schema, required: Bool = false) {
        self.name = name; self.schema = schema; self.required = required
    }
}

/// A required property.
public func req(_ name: String, _ schema: Schema) -> SchemaProperty { SchemaProperty(name, schema, required: true) }
/// An optional property.
public func opt(_ name: String, _ schema: Schema) -> SchemaProperty { SchemaProperty(name, schema) }

/// A payload of an OCPP message with its schema.
public protocol OCPPPayload: Codable, Sendable, Equatable, JSONValueDecodable {
    static var schema: Schema { get }
}

/// A request (CALL) with its action name and response type.
public protocol OCPPRequest: OCPPPayload {
    associatedtype Response: OCPPPayload
    static var action: String { get }
}

extension OCPPRequest {
    /// The schema of the answer (CALLRESULT payload).
    public static var responseSchema: Schema { Response.schema }
}

/// Turning payloads into JSON and back, with schema validation and OCPP date coding.
public enum OCPPCoding {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(OCPPDate.format(date))
        }
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// Used by ``encode(_:)`` to turn the encoder's output back into a ``JSONValue``.
    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let s = try c.decode(String.self)
            guard let date = OCPPDate.parse(s) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an OCPP date-time: \(s)")
            }
            return date
        }
        return d
    }()

    /// Validates and decodes a payload.
    public static func decode<P: OCPPPayload>(_ type: P.Type, from json: JSONValue) throws(OCPPError) -> P {
        try P.schema.validate(json)
        return try P(json: json)
    }

    /// Encodes a payload.
    public static func encode<P: OCPPPayload>(_ payload: P) -> JSONValue {
        guard let data = try? encoder.encode(payload), let json = try? decoder.decode(JSONValue.self, from: data) else {
            return .object([:])
        }
        return json
    }
}
