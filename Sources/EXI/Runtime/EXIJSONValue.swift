#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A JSON value of ``EXIJSON``'s form (RFC 8259), with integers kept as integers — the form's xs:long time stamps
/// and xs:unsignedLong values must not pass through a double, which rounds beyond 2^53.
///
/// Written here (a few dozen lines) rather than with Foundation's JSONSerialization, which is not part of
/// FoundationEssentials and would bring the whole of Foundation and ICU into the binary.
public enum EXIJSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case integer(Int64)
    case unsigned(UInt64)
    case number(Double)
    case string(String)
    case array([EXIJSONValue])
    case object([String: EXIJSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int64.self) { self = .integer(i); return }
        if let u = try? c.decode(UInt64.self) { self = .unsigned(u); return }
        if let d = try? c.decode(Double.self) { self = .number(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([EXIJSONValue].self) { self = .array(a); return }
        if let o = try? c.decode([String: EXIJSONValue].self) { self = .object(o); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a JSON value")
    }

    var array: [EXIJSONValue]? { if case .array(let a) = self { a } else { nil } }

    /// The value as JSON text on one line (error messages, untyped characters).
    var text: String {
        if case .string(let s) = self { return s }
        var out = ""
        write(to: &out, indent: nil)
        return out
    }

    /// Writes the value with its object keys sorted; `indent` nil writes one line, a number pretty-prints at that
    /// depth with two spaces a level and " : " after a key (the layout JSONSerialization's `.prettyPrinted` had).
    func write(to out: inout String, indent: Int?) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .integer(let i): out += String(i)
        case .unsigned(let u): out += String(u)
        case .number(let d): out += d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
        case .string(let s): Self.quote(s, to: &out)
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "["
            for (n, item) in items.enumerated() {
                if n > 0 { out += "," }
                Self.newline(indent.map { $0 + 1 }, to: &out)
                item.write(to: &out, indent: indent.map { $0 + 1 })
            }
            Self.newline(indent, to: &out)
            out += "]"
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{"
            for (n, key) in members.keys.sorted().enumerated() {
                if n > 0 { out += "," }
                Self.newline(indent.map { $0 + 1 }, to: &out)
                Self.quote(key, to: &out)
                out += indent == nil ? ":" : " : "
                members[key]!.write(to: &out, indent: indent.map { $0 + 1 })
            }
            Self.newline(indent, to: &out)
            out += "}"
        }
    }

    private static func newline(_ indent: Int?, to out: inout String) {
        guard let indent else { return }
        out += "\n" + String(repeating: "  ", count: indent)
    }

    /// A JSON string (RFC 8259 §7): quotation mark, reverse solidus and the control characters escaped; "/" is not.
    static func quote(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
