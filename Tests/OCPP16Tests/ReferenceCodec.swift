#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
@testable import OCPP16

// The codec components replaced for issue 31 (item 4), verbatim but renamed: CodecEquivalenceTests feeds both the
// reference and the production code the same seeded random inputs and requires the same answers.

extension JSONObject {
    /// The lookup before issue 31: the last member whose key equals `key`.
    func referenceValue(_ key: String) -> JSONValue? {
        for i in members.indices.reversed() where sameKey(members[i].key, key) { return members[i].value }
        return nil
    }
}

extension ReferenceSchema {
    /// The reference form of a production schema.
    init(_ node: Schema.Node) {
        switch node.kind {
        case .string: self = .string(maxLength: node.maxLength, values: node.values, dateTime: node.dateTime)
        case .integer: self = .integer(minimum: node.minimumInteger, maximum: node.maximumInteger)
        case .number: self = .number(minimum: node.minimumNumber, decimals: node.decimals)
        case .boolean: self = .boolean
        case .array: self = .array(ReferenceSchema(node.item!), minItems: node.minItems)
        case .object: self = .object(node.properties.map { ($0.name, ReferenceSchema($0.schema.node), $0.required) })
        }
    }
}

/// The JSON parser before issue 31 (a strict RFC 8259 JSON parser from UTF-8 bytes straight into ``JSONValue`` (no intermediate objects),
/// with a depth limit), kept verbatim as the reference the faster parser is compared with.
struct ReferenceJSONParser {
    /// Deepest nesting accepted.
    static let maximumDepth = 64

    typealias Failure = JSONParser.Failure

    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0

    /// Parses a complete JSON text.
    static func parse(_ text: String) throws(Failure) -> JSONValue {
        var text = text
        text.makeContiguousUTF8()
        let result: Result<JSONValue, Failure> = text.utf8.withContiguousStorageIfAvailable { buffer in
            var p = ReferenceJSONParser(bytes: buffer)
            do throws(Failure) { return .success(try p.document()) } catch { return .failure(error) }
        } ?? .failure(Failure(offset: 0, reason: "text is not contiguous UTF-8"))
        return try result.get()
    }

    /// Parses complete JSON bytes.
    static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        let result: Result<JSONValue, Failure> = bytes.withUnsafeBufferPointer { buffer in
            var p = ReferenceJSONParser(bytes: buffer)
            do throws(Failure) { return .success(try p.document()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    private mutating func document() throws(Failure) -> JSONValue {
        let v = try value(depth: 0)
        skipSpace()
        guard i == bytes.count else { throw fail("unexpected data after the value") }
        return v
    }

    private func fail(_ reason: String) -> Failure { Failure(offset: i, reason: reason) }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard depth < Self.maximumDepth else { throw fail("nested deeper than \(Self.maximumDepth)") }
        skipSpace()
        guard i < bytes.count else { throw fail("unexpected end") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var object = JSONObject(reservingCapacity: 8)
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(object) }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a property name") }
                let key = try string()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                object.append(key, try value(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw fail("unexpected end in an object") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(object) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var array: [JSONValue] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(array) }
            while true {
                array.append(try value(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw fail("unexpected end in an array") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(array) }
                throw fail("expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        default:
            return try number()
        }
    }

    private mutating func literal(_ word: String, _ v: JSONValue) throws(Failure) -> JSONValue {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.count, bytes[i..<(i + w.count)].elementsEqual(w) else { throw fail("unknown literal") }
        i += w.count
        return v
    }

    private mutating func number() throws(Failure) -> JSONValue {
        let start = i
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 else { throw fail("expected a value") }
        if bytes[i] == 0x30 { i += 1 } else { while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 } }
        var integral = true
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            integral = false
            i += 1
            guard i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 else { throw fail("expected digits after '.'") }
            while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            integral = false
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 else { throw fail("expected exponent digits") }
            while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
        }
        if integral, i - start <= 18 {
            // Up to 18 digits always fit Int64.
            var v: Int64 = 0
            var k = start
            let negative = bytes[k] == UInt8(ascii: "-")
            if negative { k += 1 }
            while k < i { v = v * 10 + Int64(bytes[k] - 0x30); k += 1 }
            return .integer(negative ? -v : v)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        if integral, let v = Int64(text) { return .integer(v) }
        guard let d = Double(text), d.isFinite else { throw fail("number out of range") }
        return .number(d)
    }

    private mutating func string() throws(Failure) -> String {
        i += 1
        let start = i
        // Fast path: no escapes.
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
                i += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            guard c >= 0x20 else { throw fail("control character in a string") }
            i += 1
        }
        var out = Array(bytes[start..<i])
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") { i += 1; return String(decoding: out, as: UTF8.self) }
            guard c >= 0x20 else { throw fail("control character in a string") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < bytes.count else { break }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate")
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("invalid surrogate pair") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw fail("unpaired surrogate")
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("invalid escape") }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw fail("invalid escape")
            }
        }
        throw fail("unterminated string")
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("short \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[i]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw fail("invalid hex digit")
            }
            v = v << 4 | d
            i += 1
        }
        return v
    }
}

/// The schema check before issue 31 (an enum walked with an autoclosure path), kept as the reference the node-based
/// check is compared with.
indirect enum ReferenceSchema {
    /// `values`: the enumeration, if any (a short list: a linear scan beats hashing here).
    case string(maxLength: Int? = nil, values: [String]? = nil, dateTime: Bool = false)
    case integer(minimum: Int64? = nil, maximum: Int64? = nil)
    /// A number with at most `decimals` decimal places (e.g. charging limits: one decimal).
    case number(minimum: Double? = nil, decimals: Int? = nil)
    case boolean
    case array(ReferenceSchema, minItems: Int = 0)
    case object([(name: String, schema: ReferenceSchema, required: Bool)])


    /// Checks `value`; throws the CALLERROR to answer with.
    func validate(_ value: JSONValue) throws(OCPPError) {
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
                guard fields.referenceValue(properties[j].name) == nil else { continue }
                throw OCPPError(.occurenceConstraintViolation, "\(path()).\(properties[j].name) is required")
            }
        }
    }
}


extension JSONValue {
    /// The serializer before issue 31 (String appends scalar by scalar), kept as the reference of the byte writer.
    var referenceSerialized: String {
        var out = ""
        out.reserveCapacity(256)
        referenceWrite(into: &out)
        return out
    }

    func referenceWrite(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .integer(let i): out += String(i)
        case .number(let d):
            if d == d.rounded(), abs(d) < 1e15 { out += String(Int64(d)); out += ".0" } else { out += "\(d)" }
        case .string(let s): JSONValue.referenceWriteString(s, into: &out)
        case .array(let a):
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                v.referenceWrite(into: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            // Keys in sorted order, each once: a key a parsed text repeated is written with its last value.
            let members = o.members.indices.filter { i in !o.members[(i + 1)...].contains { sameKey($0.key, o.members[i].key) } }
                .map { o.members[$0] }.sorted { $0.key < $1.key }
            for (i, m) in members.enumerated() {
                if i > 0 { out += "," }
                JSONValue.referenceWriteString(m.key, into: &out)
                out += ":"
                m.value.referenceWrite(into: &out)
            }
            out += "}"
        }
    }

    static func referenceWriteString(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}
