#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A strict RFC 8259 JSON parser from UTF-8 bytes straight into ``JSONValue`` (no intermediate objects),
/// with a depth limit so that hostile input cannot exhaust the stack. Integers that fit Int64 stay integers.
public struct JSONParser {
    /// Deepest nesting accepted.
    public static let maximumDepth = 64
    private static let ones: UInt64 = 0x0101_0101_0101_0101

    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var i = 0
    /// Known names handed out instead of new Strings (see ``NameTable``).
    private let names = NameTable.ocpp16

    /// Parses a complete JSON text.
    public static func parse(_ text: String) throws(Failure) -> JSONValue {
        var text = text
        text.makeContiguousUTF8()
        let result: Result<JSONValue, Failure> = text.utf8.withContiguousStorageIfAvailable { buffer in
            var p = JSONParser(bytes: buffer)
            do throws(Failure) { return .success(try p.document()) } catch { return .failure(error) }
        } ?? .failure(Failure(offset: 0, reason: "text is not contiguous UTF-8"))
        return try result.get()
    }

    /// Parses complete JSON bytes.
    public static func parse(_ bytes: [UInt8]) throws(Failure) -> JSONValue {
        let result: Result<JSONValue, Failure> = bytes.withUnsafeBufferPointer { buffer in
            var p = JSONParser(bytes: buffer)
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

    /// Skips JSON whitespace; one comparison for the usual case of none.
    @inline(__always)
    private mutating func skipSpace() {
        while i < bytes.count {
            let c = bytes[i]
            guard c <= 0x20, c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    private mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard depth < Self.maximumDepth else { throw fail("nested deeper than \(Self.maximumDepth)") }
        skipSpace()
        guard i < bytes.count else { throw fail("unexpected end") }
        switch bytes[i] {
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "{"):
            i += 1
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(JSONObject(parsed: [])) }
            var members: [JSONObject.Member] = []
            members.reserveCapacity(8)
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a property name") }
                let key = try string()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                i += 1
                members.append(JSONObject.Member(key: key, value: try value(depth: depth + 1)))
                skipSpace()
                guard i < bytes.count else { throw fail("unexpected end in an object") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(JSONObject(parsed: members)) }
                throw fail("expected ',' or '}'")
            }
        case UInt8(ascii: "["):
            i += 1
            var array: [JSONValue] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(array) }
            array.reserveCapacity(4)
            while true {
                array.append(try value(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw fail("unexpected end in an array") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(array) }
                throw fail("expected ',' or ']'")
            }
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

    /// A string from its opening quote. The fast path covers strings without escapes: eight bytes at a time (SWAR) up
    /// to the first that is a quote, a backslash or a control character, then byte by byte; the String is made once from
    /// the bytes (or taken from the name table). An escape or a control character hands over to ``escapedString(from:)``.
    private mutating func string() throws(Failure) -> String {
        i += 1
        let start = i
        let base = bytes.baseAddress!
        let count = bytes.count
        // The bytes seen, OR-ed together: a set top bit means non-ASCII (no name table, UTF-8 validated by String).
        var high: UInt64 = 0
        while i + 8 <= count {
            let w = UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
            let quote = w ^ 0x2222_2222_2222_2222, backslash = w ^ 0x5C5C_5C5C_5C5C_5C5C
            // The lowest flagged byte is exact (borrows only flag bytes above a true one).
            let stop = (((quote &- Self.ones) & ~quote) | ((backslash &- Self.ones) & ~backslash) | ((w &- 0x2020_2020_2020_2020) & ~w))
                & 0x8080_8080_8080_8080
            if stop == 0 { high |= w; i += 8; continue }
            let k = stop.trailingZeroBitCount >> 3
            high |= w & ((1 << (UInt64(k) << 3)) &- 1)
            i += k
            guard base[i] == UInt8(ascii: "\"") else { return try escapedString(from: start) }
            return closedString(from: start, high: high)
        }
        while i < count {
            let c = base[i]
            if c == UInt8(ascii: "\"") { return closedString(from: start, high: high) }
            if c == UInt8(ascii: "\\") || c < 0x20 { return try escapedString(from: start) }
            high |= UInt64(c)
            i += 1
        }
        throw fail("unterminated string")
    }

    /// The string from `start` up to its closing quote at `i` (no escapes in between): a name of the table, or a new
    /// String (small and inline up to 15 bytes, as ``JSONObject/smallKeys`` relies on).
    @inline(__always)
    private mutating func closedString(from start: Int, high: UInt64) -> String {
        let base = bytes.baseAddress!
        let count = i - start
        i += 1
        if high & 0x8080_8080_8080_8080 == 0, count > 0, count <= NameTable.maximumLength,
           let name = names.name(base + start, count, available: bytes.count - start) {
            return name
        }
        return String(decoding: UnsafeBufferPointer(start: base + start, count: count), as: UTF8.self)
    }

    /// The rest of a string with escapes (or a control character, refused), from `i` on; `start` is its first byte.
    @inline(never)
    private mutating func escapedString(from start: Int) throws(Failure) -> String {
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
