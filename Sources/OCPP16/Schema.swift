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
    /// `values`: the enumeration, if any (a short list: a linear scan beats hashing here).
    case string(maxLength: Int? = nil, values: [String]? = nil, dateTime: Bool = false)
    case integer(minimum: Int64? = nil, maximum: Int64? = nil)
    /// A number with at most `decimals` decimal places (e.g. charging limits: one decimal).
    case number(minimum: Double? = nil, decimals: Int? = nil)
    case boolean
    case array(Schema, minItems: Int = 0)
    case object([SchemaProperty])

    /// CiString of at most `n` characters.
    public static func ci(_ n: Int) -> Schema { .string(maxLength: n) }
    /// One of the values.
    public static func enumeration(_ values: [String]) -> Schema { .string(values: values) }
    /// An OCPP dateTime.
    public static let dateTime = Schema.string(dateTime: true)

    /// Checks `value`; throws the CALLERROR to answer with.
    public func validate(_ value: JSONValue) throws(OCPPError) {
        try validate(value, at: "payload")
    }

    /// `path` names the field in error messages; it is only built when a check fails.
    func validate(_ value: JSONValue, at path: @autoclosure () -> String) throws(OCPPError) {
        // Switching on `self` first and matching `value` inside avoids copying a tuple of both (ARC traffic).
        switch self {
        case .string(let maxLength, let values, let dateTime):
            guard case .string(let s) = value else { throw OCPPError(.typeConstraintViolation, "\(path()) has the wrong type \(value.typeName)") }
            if let maxLength, s.utf8.count > maxLength, s.count > maxLength {
                throw OCPPError(.propertyConstraintViolation, "\(path()) is longer than \(maxLength) characters")
            }
            if let values, !values.contains(where: { sameKey($0, s) }) {
                throw OCPPError(.propertyConstraintViolation, "\(path()) '\(s)' is not one of \(values.sorted().joined(separator: ", "))")
            }
            if dateTime, OCPPDate.parse(s) == nil {
                throw OCPPError(.propertyConstraintViolation, "\(path()) '\(s)' is not a date-time like 2026-01-31T12:00:00Z")
            }
        case .integer(let minimum, let maximum):
            let i: Int64
            switch value {
            case .integer(let v): i = v
            case .number(let d) where d == d.rounded() && abs(d) < 9e18: i = Int64(d)
            default: throw OCPPError(.typeConstraintViolation, "\(path()) must be an integer, not \(value.typeName)")
            }
            if let minimum, i < minimum { throw OCPPError(.propertyConstraintViolation, "\(path()) must be at least \(minimum)") }
            if let maximum, i > maximum { throw OCPPError(.propertyConstraintViolation, "\(path()) must be at most \(maximum)") }
        case .number(let minimum, let decimals):
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
        case .boolean:
            guard case .bool = value else { throw OCPPError(.typeConstraintViolation, "\(path()) has the wrong type \(value.typeName)") }
        case .array(let item, let minItems):
            guard case .array(let items) = value else { throw OCPPError(.typeConstraintViolation, "\(path()) has the wrong type \(value.typeName)") }
            if items.count < minItems { throw OCPPError(.occurenceConstraintViolation, "\(path()) needs at least \(minItems) item(s)") }
            for i in items.indices { try item.validate(items[i], at: "\(path())[\(i)]") }
        case .object(let properties):
            guard case .object(let fields) = value else {
                throw OCPPError(value == .null ? .formationViolation : .typeConstraintViolation, "\(path()) must be an object, not \(value.typeName)")
            }
            // One pass over the fields (each must be a known property), then the required ones that are missing
            // (a bit per property: a repeated key does not count twice).
            var seen: UInt64 = 0
            let members = fields.members
            for f in members.indices {
                guard let j = properties.firstIndex(where: { sameKey($0.name, members[f].key) }) else {
                    throw OCPPError(.formationViolation, "\(path()) has no property '\(members[f].key)'")
                }
                if j < 64 { seen |= 1 << UInt64(j) }
                try properties[j].schema.validate(members[f].value, at: "\(path()).\(properties[j].name)")
            }
            for j in properties.indices where properties[j].required && (j >= 64 || seen & (1 << UInt64(j)) == 0) {
                guard fields[properties[j].name] == nil else { continue }
                throw OCPPError(.occurenceConstraintViolation, "\(path()).\(properties[j].name) is required")
            }
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
    /// Validates and decodes a payload.
    public static func decode<P: OCPPPayload>(_ type: P.Type, from json: JSONValue) throws(OCPPError) -> P {
        try P.schema.validate(json)
        return try P(json: json)
    }

    /// Encodes a payload (dates as OCPP date-times, absent optionals left out).
    public static func encode<P: OCPPPayload>(_ payload: P) -> JSONValue {
        (try? JSONValueEncoder.encode(payload)) ?? .object([:])
    }
}
