#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A value that builds itself from a schema-validated ``JSONValue`` without the Codable machinery.
public protocol JSONValueDecodable {
    init(json: JSONValue) throws(OCPPError)
}

/// Typed access to the fields of a JSON object for ``JSONValueDecodable`` initializers. Payloads are validated
/// against their schema first, so a failure here means the schema and the type disagree.
public struct JSONFields {
    let object: JSONObject

    public init(_ value: JSONValue) throws(OCPPError) {
        guard case .object(let o) = value else { throw OCPPError(.formationViolation, "expected an object, found \(value.typeName)") }
        object = o
    }

    func missing(_ key: String) -> OCPPError { OCPPError(.occurenceConstraintViolation, "\(key) is required") }
    func wrong(_ key: String, _ type: String) -> OCPPError { OCPPError(.typeConstraintViolation, "\(key) must be \(type)") }

    public func string(_ key: String) throws(OCPPError) -> String {
        guard let v = try optionalString(key) else { throw missing(key) }
        return v
    }
    public func optionalString(_ key: String) throws(OCPPError) -> String? {
        // By index rather than through the subscript: the value is looked at in place, not copied out first.
        guard let i = object.lastIndex(of: key) else { return nil }
        return try object.members.withUnsafeBufferPointer { (members) throws(OCPPError) -> String? in
            switch members[inPlace: i].value {
            case .null: return nil
            case .string(let s): return s
            default: throw wrong(key, "a string")
            }
        }
    }
    public func int(_ key: String) throws(OCPPError) -> Int {
        guard let v = try optionalInt(key) else { throw missing(key) }
        return v
    }
    public func optionalInt(_ key: String) throws(OCPPError) -> Int? {
        guard let i = object.lastIndex(of: key) else { return nil }
        return try object.members.withUnsafeBufferPointer { (members) throws(OCPPError) -> Int? in
            switch members[inPlace: i].value {
            case .null: return nil
            case .integer(let i): guard let v = Int(exactly: i) else { throw wrong(key, "an integer") }; return v
            case .number(let d) where d == d.rounded() && abs(d) < 9e18: return Int(d)
            default: throw wrong(key, "an integer")
            }
        }
    }
    public func double(_ key: String) throws(OCPPError) -> Double {
        guard let v = try optionalDouble(key) else { throw missing(key) }
        return v
    }
    public func optionalDouble(_ key: String) throws(OCPPError) -> Double? {
        switch object[key] {
        case nil, .null?: return nil
        case .integer(let i)?: return Double(i)
        case .number(let d)?: return d
        default: throw wrong(key, "a number")
        }
    }
    public func bool(_ key: String) throws(OCPPError) -> Bool {
        guard case .bool(let b)? = object[key] else { throw object[key] == nil ? missing(key) : wrong(key, "a boolean") }
        return b
    }
    public func date(_ key: String) throws(OCPPError) -> Date {
        guard let v = try optionalDate(key) else { throw missing(key) }
        return v
    }
    public func optionalDate(_ key: String) throws(OCPPError) -> Date? {
        guard let s = try optionalString(key) else { return nil }
        guard let d = OCPPDate.parse(s) else { throw OCPPError(.propertyConstraintViolation, "\(key) is not a date-time") }
        return d
    }
    public func object<T: JSONValueDecodable>(_ key: String, _ type: T.Type) throws(OCPPError) -> T {
        guard let v = try optionalObject(key, type) else { throw missing(key) }
        return v
    }
    public func optionalObject<T: JSONValueDecodable>(_ key: String, _ type: T.Type) throws(OCPPError) -> T? {
        guard let v = object[key], v != .null else { return nil }
        return try T(json: v)
    }
    public func array<T>(_ key: String, _ element: (JSONValue) throws(OCPPError) -> T) throws(OCPPError) -> [T] {
        guard let v = try optionalArray(key, element) else { throw missing(key) }
        return v
    }
    public func optionalArray<T>(_ key: String, _ element: (JSONValue) throws(OCPPError) -> T) throws(OCPPError) -> [T]? {
        guard let i = object.lastIndex(of: key) else { return nil }
        return try object.members.withUnsafeBufferPointer { (members) throws(OCPPError) -> [T]? in
            switch members[inPlace: i].value {
            case .null: return nil
            case .array(let items):
                var out: [T] = []
                out.reserveCapacity(items.count)
                try items.withUnsafeBufferPointer { (buffer) throws(OCPPError) in
                    for k in buffer.indices { out.append(try element(buffer[inPlace: k])) }
                }
                return out
            default: throw wrong(key, "an array")
            }
        }
    }
    /// A required array of objects, each built by its own initializer: the same as `array(key, JSONElement.object(T.self))`,
    /// without the closure in between (which copied each element once more, callgrind, issue 31).
    public func array<T: JSONValueDecodable>(_ key: String, of type: T.Type) throws(OCPPError) -> [T] {
        guard let i = object.lastIndex(of: key) else { throw missing(key) }
        return try object.members.withUnsafeBufferPointer { (members) throws(OCPPError) -> [T] in
            switch members[inPlace: i].value {
            case .null: throw missing(key)
            case .array(let items):
                var out: [T] = []
                out.reserveCapacity(items.count)
                try items.withUnsafeBufferPointer { (buffer) throws(OCPPError) in
                    for k in buffer.indices { out.append(try T(json: buffer[inPlace: k])) }
                }
                return out
            default: throw wrong(key, "an array")
            }
        }
    }
}

/// Element readers for ``JSONFields/array(_:_:)``.
public enum JSONElement {
    public static func string(_ v: JSONValue) throws(OCPPError) -> String {
        guard case .string(let s) = v else { throw OCPPError(.typeConstraintViolation, "expected a string") }
        return s
    }
    public static func object<T: JSONValueDecodable>(_ type: T.Type) -> (JSONValue) throws(OCPPError) -> T {
        { (v: JSONValue) throws(OCPPError) -> T in try T(json: v) }
    }
}
