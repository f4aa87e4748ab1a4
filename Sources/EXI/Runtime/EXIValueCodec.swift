/// Values of attributes and simple content (W3C EXI 1.0 Second Edition §7): each datatype's representation, the facet
/// checks of the schema type, and the string table of §7.3 (local partitions per qualified name, one global
/// partition) — decoded always, used by the encoder only where the peer codecs do (see `usesStringTableHits`).

/// Hexadecimal text of octets (upper case, as the xs:hexBinary canonical form and the oracle's JSON use).
public enum EXIHex {
    public static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 65...70: return c - 55
            case 97...102: return c - 87
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

/// The most characters (or octets) a string (or binary) without a maxLength facet may have: a documented bound so a
/// forged length never makes the decoder allocate more than the stream could carry anyway.
public let exiMaximumUnboundedLength = 65_536

struct EXIStringTable {
    private var global: [String] = []
    private var globalIndex: [String: Int] = [:]
    private var local: [Int: [String]] = [:]
    private var localIndex: [Int: [String: Int]] = [:]

    mutating func add(_ s: String, qname: Int) {
        globalIndex[s] = global.count
        global.append(s)
        localIndex[qname, default: [:]][s] = local[qname]?.count ?? 0
        local[qname, default: []].append(s)
    }

    func localHit(_ s: String, qname: Int) -> (id: Int, count: Int)? {
        guard let id = localIndex[qname]?[s] else { return nil }
        return (id, local[qname]!.count)
    }

    func globalHit(_ s: String) -> (id: Int, count: Int)? {
        guard let id = globalIndex[s] else { return nil }
        return (id, global.count)
    }

    func localCount(_ qname: Int) -> Int { local[qname]?.count ?? 0 }
    func localValue(_ qname: Int, _ id: Int) -> String { local[qname]![id] }
    var globalCount: Int { global.count }
    func globalValue(_ id: Int) -> String { global[id] }
}

extension EXIDatatype {
    /// Checks a value against the facets; returns the reason it is out of range, nil when it fits.
    func violation(_ value: EXIValue) -> String? {
        switch (self, value) {
        case (.string(let lo, let hi), .string(let s)):
            let n = s.unicodeScalars.count
            if let lo, n < lo { return "length \(n) below minLength \(lo)" }
            if let hi, n > hi { return "length \(n) above maxLength \(hi)" }
            return nil
        case (.enumeration(let values), .string(let s)):
            return values.contains(s) ? nil : "\"\(s)\" is not one of \(values.joined(separator: ", "))"
        case (.boolean, .boolean):
            return nil
        case (.boundedInteger(let lo, let hi), .integer(let v)), (.integer(let lo?, let hi?), .integer(let v)):
            return v < lo || v > hi ? "\(v) outside \(lo)…\(hi)" : nil
        case (.integer(let lo, let hi), .integer(let v)):
            if let lo, v < lo { return "\(v) below \(lo)" }
            if let hi, v > hi { return "\(v) above \(hi)" }
            return nil
        case (.unsignedInteger(let lo, let hi), .unsigned(let v)):
            if v < lo { return "\(v) below \(lo)" }
            if let hi, v > hi { return "\(v) above \(hi)" }
            return nil
        case (.binary(false, let lo, let hi), .binary(let b)), (.binary(true, let lo, let hi), .base64Binary(let b)):
            if let lo, b.count < lo { return "\(b.count) octets, below minLength \(lo)" }
            if let hi, b.count > hi { return "\(b.count) octets, above maxLength \(hi)" }
            return nil
        default:
            return "a \(value) value where the schema expects \(self)"
        }
    }
}

struct EXIValueDecoder {
    static func decode(
        _ type: EXIDatatype, qname: Int, field: String, reader: inout EXIBitReader, strings: inout EXIStringTable
    ) throws -> EXIValue {
        let start = reader.position
        let value: EXIValue
        switch type {
        case .string(_, let maxLength):
            value = .string(try decodeString(qname: qname, maxLength: maxLength, reader: &reader, strings: &strings))
        case .enumeration(let values):
            let i = Int(try reader.read(bits: exiBitWidth(values.count)))
            guard i < values.count else {
                throw EXIError(bitPosition: start, "\(field): enumeration index \(i), the schema has \(values.count) values")
            }
            value = .string(values[i])
        case .boolean:
            value = .boolean(try reader.readBoolean())
        case .boundedInteger(let lo, let hi):
            let raw = try reader.read(bits: exiBitWidth(Int(hi - lo) + 1))
            value = .integer(lo + Int64(raw))
        case .unsignedInteger:
            value = .unsigned(try reader.readUnsigned())
        case .integer:
            value = .integer(try reader.readSigned())
        case .binary(let base64, _, let maxLength):
            let n = try reader.readUnsigned()
            let bound = maxLength ?? exiMaximumUnboundedLength
            guard n <= UInt64(bound), n <= UInt64(reader.remainingBits / 8) else {
                throw EXIError(bitPosition: start, "\(field): binary length \(n) above \(min(bound, reader.remainingBits / 8))")
            }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(Int(n))
            for _ in 0..<n { bytes.append(UInt8(try reader.read(bits: 8))) }
            value = base64 ? .base64Binary(bytes) : .binary(bytes)
        }
        if let why = type.violation(value) { throw EXIError(bitPosition: start, "\(field): \(why)") }
        return value
    }

    static func decodeString(
        qname: Int, maxLength: Int?, reader: inout EXIBitReader, strings: inout EXIStringTable
    ) throws -> String {
        let start = reader.position
        let n = try reader.readUnsigned()
        switch n {
        case 0:
            let count = strings.localCount(qname)
            let id = Int(try reader.read(bits: exiBitWidth(count)))
            guard id < count else { throw EXIError(bitPosition: start, "local string table hit \(id) of \(count)") }
            return strings.localValue(qname, id)
        case 1:
            let count = strings.globalCount
            let id = Int(try reader.read(bits: exiBitWidth(count)))
            guard id < count else { throw EXIError(bitPosition: start, "global string table hit \(id) of \(count)") }
            return strings.globalValue(id)
        default:
            let length = n - 2
            let bound = maxLength ?? exiMaximumUnboundedLength
            guard length <= UInt64(bound), length <= UInt64(reader.remainingBits / 8) else {
                throw EXIError(bitPosition: start, "string length \(length) above \(min(bound, reader.remainingBits / 8))")
            }
            var scalars = String.UnicodeScalarView()
            for _ in 0..<length {
                let at = reader.position
                let c = try reader.readUnsigned()
                guard c <= 0x10FFFF, let scalar = Unicode.Scalar(UInt32(c)) else {
                    throw EXIError(bitPosition: at, "code point \(c) is not a Unicode scalar")
                }
                scalars.append(scalar)
            }
            let s = String(scalars)
            if length > 0 { strings.add(s, qname: qname) }
            return s
        }
    }
}

struct EXIValueEncoder {
    static func encode(
        _ value: EXIValue, as type: EXIDatatype, qname: Int, field: String, writer: inout EXIBitWriter,
        strings: inout EXIStringTable
    ) throws {
        if let why = type.violation(value) { throw EXIError(bitPosition: 0, "\(field): \(why)") }
        switch (type, value) {
        case (.string, .string(let s)):
            encodeString(s, qname: qname, writer: &writer, strings: &strings)
        case (.enumeration(let values), .string(let s)):
            writer.write(UInt64(values.firstIndex(of: s)!), bits: exiBitWidth(values.count))
        case (.boolean, .boolean(let b)):
            writer.writeBoolean(b)
        case (.boundedInteger(let lo, let hi), .integer(let v)):
            writer.write(UInt64(v - lo), bits: exiBitWidth(Int(hi - lo) + 1))
        case (.unsignedInteger, .unsigned(let v)):
            writer.writeUnsigned(v)
        case (.integer, .integer(let v)):
            writer.writeSigned(v)
        case (.binary, .binary(let b)), (.binary, .base64Binary(let b)):
            writer.writeUnsigned(UInt64(b.count))
            for byte in b { writer.write(UInt64(byte), bits: 8) }
        default:
            throw EXIError(bitPosition: 0, "\(field): a \(value) value where the schema expects \(type)")
        }
    }

    /// Whether the encoder refers to earlier values through the string table. Off: the V2G codecs (EXIficient as
    /// Josev configures it, and cbexigen's generated C codecs, which refuse string table hits) write every value as
    /// a literal, i.e. a value partition capacity of 0; byte equality with them needs the same. The decoder keeps the
    /// table of §7.3 either way, so a stream of an encoder with the default unbounded capacity decodes too.
    static let usesStringTableHits = false

    static func encodeString(_ s: String, qname: Int, writer: inout EXIBitWriter, strings: inout EXIStringTable) {
        guard usesStringTableHits else {
            let scalars = s.unicodeScalars
            writer.writeUnsigned(UInt64(scalars.count) + 2)
            for c in scalars { writer.writeUnsigned(UInt64(c.value)) }
            return
        }
        if let hit = strings.localHit(s, qname: qname) {
            writer.writeUnsigned(0)
            writer.write(UInt64(hit.id), bits: exiBitWidth(hit.count))
        } else if let hit = strings.globalHit(s) {
            writer.writeUnsigned(1)
            writer.write(UInt64(hit.id), bits: exiBitWidth(hit.count))
        } else {
            let scalars = s.unicodeScalars
            writer.writeUnsigned(UInt64(scalars.count) + 2)
            for c in scalars { writer.writeUnsigned(UInt64(c.value)) }
            if !scalars.isEmpty { strings.add(s, qname: qname) }
        }
    }
}
