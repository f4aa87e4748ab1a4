#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16

/// The command line's JSON: request bodies built as dictionaries of Swift values, answers read field by field — with
/// OCPP16's JSON value rather than Foundation's JSONSerialization (which is not part of FoundationEssentials).
extension JSONValue {
    /// A JSON value of a dictionary, array, string, boolean or number built by a command (any other value: null).
    static func from(_ value: Any) -> JSONValue {
        switch value {
        case let b as Bool: .bool(b)
        case let i as Int: .integer(Int64(i))
        case let d as Double: .number(d)
        case let s as String: .string(s)
        case let a as [Any]: .array(a.map(from))
        case let o as [String: Any]: .object(JSONObject(o.mapValues(from)))
        default: .null
        }
    }

    var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }
    var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    /// An integer or a number as a Double.
    var numberValue: Double? {
        switch self {
        case .integer(let i): Double(i)
        case .number(let d): d
        default: nil
        }
    }

    /// A scalar as a person reads it ("3", "16.5", "B1", "true"); arrays and objects as their JSON text.
    var plainText: String {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .integer(let i): String(i)
        case .number(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .string(let s): s
        case .array, .object: (try? JSONEncoder().encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
    }
}
