#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CivilDate

/// Writes the payload and signature sections deterministically: keys in the order of the OCMF 1.2 tables (1 general,
/// 2 pagination, 3 meter, 4 user assignment, 7 readings; 8 signature), no white space, absent fields left out. The same
/// values always give the same bytes, so a signed payload can be rebuilt and compared in tests.
public enum OCMFJSONWriter {
    public static func payload(_ p: OCMFPayload) -> String {
        var f: [(String, String)] = []
        func add(_ key: String, _ value: String?) { if let value { f.append((key, string(value))) } }
        add("FV", p.formatVersion); add("GI", p.gatewayIdentification); add("GS", p.gatewaySerial); add("GV", p.gatewayVersion)
        add("PG", p.pagination)
        add("MV", p.meterVendor); add("MM", p.meterModel); add("MS", p.meterSerial); add("MF", p.meterFirmware)
        if let status = p.identificationStatus {
            f.append(("IS", status ? "true" : "false"))
            add("IL", p.identificationLevel)
            f.append(("IF", "[" + p.identificationFlags.map(string).joined(separator: ",") + "]"))
            add("IT", p.identificationType ?? "NONE")
            add("ID", p.identificationData)
        }
        add("TT", p.tariffText)
        f.append(("RD", "[" + p.readings.map(reading).joined(separator: ",") + "]"))
        return object(f)
    }

    static func reading(_ r: OCMFReading) -> String {
        var f: [(String, String)] = [("TM", string(OCMFTime.format(r.time, status: r.timeStatus)))]
        if let tx = r.transaction { f.append(("TX", string(tx.rawValue))) }
        f.append(("RV", r.value))
        if let v = r.identification { f.append(("RI", string(v))) }
        f.append(("RU", string(r.unit)))
        if let v = r.currentType { f.append(("RT", string(v))) }
        if let v = r.errorFlags { f.append(("EF", string(v))) }
        f.append(("ST", string(r.status)))
        return object(f)
    }

    public static func signature(_ s: OCMFSignature) -> String {
        var f: [(String, String)] = []
        if let v = s.algorithm { f.append(("SA", string(v))) }
        if let v = s.encoding { f.append(("SE", string(v))) }
        if let v = s.mimeType { f.append(("SM", string(v))) }
        f.append(("SD", string(s.data)))
        return object(f)
    }

    static func object(_ fields: [(String, String)]) -> String {
        "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// A JSON string; `|` is escaped as `\u007C` because it separates the sections (OCMF 1.2 "JSON based OCMF Format":
    /// the pipe character is not allowed within the sections), and so are `"`, `\` and control characters.
    static func string(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "|": out += "\\u007C"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

/// The `TM` field: `2018-07-24T13:22:04,000+0200 S` (OCMF 1.2 table 7: ISO 8601 with milliseconds after a comma, a
/// four-digit zone offset, a space and the time status of table 19).
public enum OCMFTime {
    /// Written in UTC (`+0000`): the station keeps no time-zone data, and UTC is what the readings mean.
    public static func format(_ date: Date, status: OCMFTimeStatus) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let seconds = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let millis = Int(ms - seconds * 1000)
        let c = CivilDate.split(secondsSince1970: seconds)
        let s = c.secondOfDay
        let year = String(c.year)
        let pad = String(repeating: "0", count: max(0, 4 - year.count)) + year
        let m = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(pad)-\(CivilDate.two(c.month))-\(CivilDate.two(c.day))T\(CivilDate.two(s / 3600)):\(CivilDate.two(s / 60 % 60)):"
            + "\(CivilDate.two(s % 60)),\(m)+0000 \(status.rawValue)"
    }

    /// Parses a `TM` value (any zone offset); nil if it is not of that form.
    public static func parse(_ text: String) -> (date: Date, status: OCMFTimeStatus)? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, let status = OCMFTimeStatus(rawValue: String(parts[1])) else { return nil }
        let t = Array(parts[0].utf8)
        // YYYY-MM-DDTHH:MM:SS,mmm+HHMM = 28 characters
        guard t.count == 28, t[4] == 0x2D, t[7] == 0x2D, t[10] == 0x54, t[13] == 0x3A, t[16] == 0x3A, t[19] == 0x2C,
              t[23] == 0x2B || t[23] == 0x2D else { return nil }
        func num(_ from: Int, _ count: Int) -> Int? {
            var v = 0
            for b in t[from..<(from + count)] {
                guard (0x30...0x39).contains(b) else { return nil }
                v = v * 10 + Int(b - 0x30)
            }
            return v
        }
        guard let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2), let s = num(17, 2),
              let ms = num(20, 3), let oh = num(24, 2), let om = num(26, 2),
              (1...12).contains(mo), (1...CivilDate.daysIn(month: mo, year: y)).contains(d), h < 24, mi < 60, s < 61, oh < 24, om < 60
        else { return nil }
        let offset = (oh * 3600 + om * 60) * (t[23] == 0x2B ? 1 : -1)
        let seconds = Int64(CivilDate.days(fromCivil: y, mo, d)) * 86_400 + Int64(h * 3600 + mi * 60 + s) - Int64(offset)
        return (Date(timeIntervalSince1970: Double(seconds) + Double(ms) / 1000), status)
    }
}

/// A small JSON reader for OCMF sections: numbers stay as their literal text (the reading value's decimals are part of
/// what was signed), objects keep their key order; bounded depth.
indirect enum OCMFJSON: Equatable {
    case string(String), number(String), bool(Bool), null, array([OCMFJSON]), object([(String, OCMFJSON)])

    static func == (a: OCMFJSON, b: OCMFJSON) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)), (.number(let x), .number(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.null, .null): return true
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x.map(\.0) == y.map(\.0) && x.map(\.1) == y.map(\.1)
        default: return false
        }
    }

    subscript(key: String) -> OCMFJSON? {
        if case .object(let fields) = self { return fields.first { $0.0 == key }?.1 }
        return nil
    }
    var text: String? { if case .string(let s) = self { return s }; return nil }

    static func parse(_ text: String) throws(OCMFError) -> OCMFJSON {
        var p = Parser(bytes: Array(text.utf8))
        p.skip()
        let v = try p.value(depth: 0)
        p.skip()
        guard p.i == p.bytes.count else { throw OCMFError("trailing characters after the JSON value at byte \(p.i)") }
        return v
    }

    struct Parser {
        let bytes: [UInt8]
        var i = 0
        static let maxDepth = 8

        mutating func skip() { while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 } }

        mutating func value(depth: Int) throws(OCMFError) -> OCMFJSON {
            guard depth <= Self.maxDepth else { throw OCMFError("JSON nested deeper than \(Self.maxDepth)") }
            guard i < bytes.count else { throw OCMFError("JSON ends early") }
            switch bytes[i] {
            case 0x7B:
                i += 1; skip()
                var fields: [(String, OCMFJSON)] = []
                if i < bytes.count, bytes[i] == 0x7D { i += 1; return .object(fields) }
                while true {
                    skip()
                    guard i < bytes.count, bytes[i] == 0x22 else { throw OCMFError("expected a key at byte \(i)") }
                    let key = try string()
                    skip()
                    guard i < bytes.count, bytes[i] == 0x3A else { throw OCMFError("expected ':' at byte \(i)") }
                    i += 1; skip()
                    let v = try value(depth: depth + 1)
                    guard !fields.contains(where: { $0.0 == key }) else { throw OCMFError("duplicate key \(key)") }
                    fields.append((key, v))
                    skip()
                    guard i < bytes.count else { throw OCMFError("JSON ends early") }
                    if bytes[i] == 0x2C { i += 1; continue }
                    if bytes[i] == 0x7D { i += 1; return .object(fields) }
                    throw OCMFError("expected ',' or '}' at byte \(i)")
                }
            case 0x5B:
                i += 1; skip()
                var items: [OCMFJSON] = []
                if i < bytes.count, bytes[i] == 0x5D { i += 1; return .array(items) }
                while true {
                    skip()
                    items.append(try value(depth: depth + 1))
                    skip()
                    guard i < bytes.count else { throw OCMFError("JSON ends early") }
                    if bytes[i] == 0x2C { i += 1; continue }
                    if bytes[i] == 0x5D { i += 1; return .array(items) }
                    throw OCMFError("expected ',' or ']' at byte \(i)")
                }
            case 0x22: return .string(try string())
            case 0x74: try literal("true"); return .bool(true)
            case 0x66: try literal("false"); return .bool(false)
            case 0x6E: try literal("null"); return .null
            default: return .number(try number())
            }
        }

        mutating func literal(_ word: String) throws(OCMFError) {
            let w = Array(word.utf8)
            guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else { throw OCMFError("unexpected value at byte \(i)") }
            i += w.count
        }

        mutating func number() throws(OCMFError) -> String {
            let start = i
            if i < bytes.count, bytes[i] == 0x2D { i += 1 }
            var digits = 0
            while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1; digits += 1 }
            guard digits > 0 else { throw OCMFError("unexpected value at byte \(start)") }
            if i < bytes.count, bytes[i] == 0x2E {
                i += 1
                var frac = 0
                while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1; frac += 1 }
                guard frac > 0 else { throw OCMFError("number without decimals at byte \(start)") }
            }
            if i < bytes.count, bytes[i] == 0x65 || bytes[i] == 0x45 {
                i += 1
                if i < bytes.count, bytes[i] == 0x2B || bytes[i] == 0x2D { i += 1 }
                var exp = 0
                while i < bytes.count, (0x30...0x39).contains(bytes[i]) { i += 1; exp += 1 }
                guard exp > 0 else { throw OCMFError("number without exponent digits at byte \(start)") }
            }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        mutating func string() throws(OCMFError) -> String {
            i += 1
            var out: [UInt8] = []
            while i < bytes.count {
                let b = bytes[i]
                i += 1
                if b == 0x22 { return String(decoding: out, as: UTF8.self) }
                guard b >= 0x20 else { throw OCMFError("control character in a string at byte \(i - 1)") }
                guard b == 0x5C else { out.append(b); continue }
                guard i < bytes.count else { break }
                let e = bytes[i]
                i += 1
                switch e {
                case 0x22, 0x5C, 0x2F: out.append(e)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x74: out.append(0x09)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x75:
                    guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16),
                          let scalar = Unicode.Scalar(v) else { throw OCMFError("bad \\u escape at byte \(i)") }
                    i += 4
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: throw OCMFError("bad escape at byte \(i - 1)")
                }
            }
            throw OCMFError("unterminated string")
        }
    }
}
