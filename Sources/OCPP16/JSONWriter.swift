#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension JSONValue {
    /// Compact JSON text with sorted keys.
    ///
    /// Written as UTF-8 bytes and turned into a String once: appending to a String scalar by scalar cost more than
    /// the rest of a MeterValues CALLRESULT together (callgrind, issue 31).
    public var serialized: String {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .integer(let i): JSONValue.writeInteger(i, into: &out)
        case .number(let d):
            if d == d.rounded(), abs(d) < 1e15 {
                JSONValue.writeInteger(Int64(d), into: &out)
                out.append(UInt8(ascii: ".")); out.append(UInt8(ascii: "0"))
            } else {
                out.append(contentsOf: "\(d)".utf8)
            }
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for i in a.indices {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                a[i].write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            let members = o.members
            // Keys in sorted order, each once: a key a parsed text repeated is written with its last value. Members that
            // are already in strictly increasing key order (the common case) are written as they are.
            var ordered = true
            if members.count > 1 {
                for i in 1..<members.count where !(members[i - 1].key < members[i].key) { ordered = false; break }
            }
            if ordered {
                for i in members.indices {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    JSONValue.writeString(members[i].key, into: &out)
                    out.append(UInt8(ascii: ":"))
                    members[i].value.write(into: &out)
                }
            } else {
                let unique = members.indices.filter { i in !members[(i + 1)...].contains { sameKey($0.key, members[i].key) } }
                    .map { members[$0] }.sorted { $0.key < $1.key }
                for (i, m) in unique.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    JSONValue.writeString(m.key, into: &out)
                    out.append(UInt8(ascii: ":"))
                    m.value.write(into: &out)
                }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeInteger(_ i: Int64, into out: inout [UInt8]) {
        if i >= 0 && i < 10 { out.append(0x30 + UInt8(i)); return }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: enough for 20 digits and a sign
        var magnitude = i.magnitude
        var n = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            repeat {
                buf[23 - n] = 0x30 + UInt8(magnitude % 10)
                magnitude /= 10
                n += 1
            } while magnitude > 0
            if i < 0 { buf[23 - n] = UInt8(ascii: "-"); n += 1 }
            out.append(contentsOf: buf[(24 - n)...])
        }
    }

    /// A JSON string literal: `"`, `\`, newline, return and tab as short escapes, other control characters as `\u00XX`,
    /// everything else (non-ASCII included) as its UTF-8 bytes.
    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            var start = 0
            for i in bytes.indices {
                let c = bytes[i]
                guard c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                start = i + 1
                switch c {
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "\\"))
                case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
                case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
                default:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 0xF)]])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        out.append(UInt8(ascii: "\""))
    }
}
