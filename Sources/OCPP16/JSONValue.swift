#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A JSON value as received, so that payloads can be validated against their schema before they are
/// decoded into typed messages.
public enum JSONValue: Sendable, Equatable, Hashable, Codable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int64.self) { self = .integer(i); return }
        if let d = try? c.decode(Double.self) { self = .number(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        if let o = try? c.decode(JSONObject.self) { self = .object(o); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a JSON value")
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .integer(let i): try c.encode(i)
        case .number(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// The JSON type name (for error messages).
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer: "integer"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

extension UnsafeBufferPointer {
    /// The element at `i`, read in place: the buffer's own subscript returns a copy (for a JSON value: an outlined
    /// copy, a retain and a release per element read, callgrind, issue 31), a pointer's is an address.
    @inline(__always)
    subscript(inPlace i: Int) -> Element { unsafeAddress { baseAddress! + i } }
}

extension UnsafePointer where Pointee == JSONObject.Member {
    /// The address of the member's value, to read it in place.
    @inline(__always)
    var valueAddress: UnsafePointer<JSONValue> {
        (UnsafeRawPointer(self) + JSONObject.Member.valueOffset).assumingMemoryBound(to: JSONValue.self)
    }
}

/// String equality that rejects keys of different lengths without calling into the string comparison (most keys
/// compared during a lookup differ, and usually in length).
@inline(__always)
func sameKey(_ a: String, _ b: String) -> Bool { a.utf8.count == b.utf8.count && a == b }

/// A JSON object as one array of members in document order. OCPP objects have a handful of keys, so a linear search
/// is cheaper than hashing every key into a dictionary (callgrind: hashing was about a quarter of the instructions of
/// decoding a MeterValues). Equality ignores key order, as JSON's does.
public struct JSONObject: Sendable, Hashable, Codable, ExpressibleByDictionaryLiteral {
    /// One member, in document order.
    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: JSONValue

        /// Where `value` lies within a member (see `UnsafePointer.valueAddress`): after `key`, aligned. A constant, where
        /// `MemoryLayout.offset(of:)` is a lazily initialized global checked on every read; `JSONParserTests` checks that
        /// the two agree.
        static var valueOffset: Int {
            let a = MemoryLayout<JSONValue>.alignment
            return (MemoryLayout<String>.size + a - 1) / a * a
        }
    }

    /// The members in document order (one array: one allocation per object).
    public private(set) var members: [Member] = []

    /// Set only by ``JSONParser``: every key of at most 15 UTF-8 bytes is a small (inline) String, so that an ASCII key
    /// of that size is equal to a small key exactly when their bits are (see ``StringBits/isSmallASCII``). Any other
    /// change of the members clears it.
    private(set) var smallKeys = false

    public init() {}

    /// An empty object with room for `n` members.
    public init(reservingCapacity n: Int) { members.reserveCapacity(n) }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        for (k, v) in elements { self[k] = v }
    }

    public init(_ dictionary: [String: JSONValue]) {
        for k in dictionary.keys.sorted() { self[k] = dictionary[k] }
    }

    public var keys: [String] { members.map(\.key) }
    public var values: [JSONValue] { members.map(\.value) }
    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }

    /// The value of `key`; setting replaces an existing value or appends.
    public subscript(key: String) -> JSONValue? {
        get {
            guard let i = lastIndex(of: key) else { return nil }
            return members[i].value
        }
        set {
            smallKeys = false
            if let i = members.firstIndex(where: { sameKey($0.key, key) }) {
                if let newValue { members[i].value = newValue } else { members.remove(at: i) }
            } else if let newValue {
                members.append(Member(key: key, value: newValue))
            }
        }
    }

    /// The index of the member `key`: the last one when a parsed text repeats a key (RFC 8259 leaves duplicates open).
    /// Bitwise first: a parsed key is usually the very String the caller names (see NameTable); through a buffer
    /// pointer, so that looking at a member does not copy (retain and release) it.
    @inline(__always)
    func lastIndex(of key: String) -> Int? {
        let bits = StringBits(key)
        if smallKeys && bits.isSmallASCII {
            // A parsed object and a short ASCII key (every key a decoder asks for): bits alone decide, both ways.
            return members.withUnsafeBufferPointer { buffer -> Int? in
                var i = buffer.count - 1
                while i >= 0 {
                    if StringBits(buffer[inPlace: i].key) == bits { return i }
                    i -= 1
                }
                return nil
            }
        }
        return members.withUnsafeBufferPointer { buffer -> Int? in
            var i = buffer.count - 1
            while i >= 0 {
                if StringBits(buffer[inPlace: i].key) == bits || sameKey(buffer[inPlace: i].key, key) { return i }
                i -= 1
            }
            return nil
        }
    }

    /// Appends a member, without looking for an earlier one with the same key (lookups take the last).
    mutating func append(_ key: String, _ value: JSONValue) { smallKeys = false; members.append(Member(key: key, value: value)) }

    /// The members as ``JSONParser`` read them: their keys of at most 15 bytes are small Strings (see ``smallKeys``).
    init(parsed members: [Member]) { self.members = members; smallKeys = true }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        guard a.count == b.count else { return false }
        for m in a.members where b[m.key] != m.value { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        for k in keys.sorted() { hasher.combine(k); hasher.combine(self[k]) }
    }

    public init(from decoder: any Decoder) throws {
        self.init(try [String: JSONValue](from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        var d: [String: JSONValue] = [:]
        for m in members { d[m.key] = m.value }
        try d.encode(to: encoder)
    }
}
