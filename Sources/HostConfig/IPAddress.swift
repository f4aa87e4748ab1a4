/// IP addresses and prefixes as the Network page and the operating system's network services write them, parsed
/// strictly and without the C library (this target is pure): IPv4 in dotted decimal (RFC 791; no octal, no shortened
/// forms such as `10.1`), IPv6 in the text forms of RFC 4291 §2.2 (with `::` and a trailing dotted IPv4 part), and a
/// prefix as `address/length` (RFC 4632 §3.1, RFC 4291 §2.3).
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(UInt32)
    case v6([UInt8])  // 16 bytes

    /// Parses either family; nil for anything else (a host name, a zone index `%eth0`, spaces).
    public init?(_ text: String) {
        if let v4 = Self.parseV4(Substring(text)) { self = .v4(v4) } else if let v6 = Self.parseV6(text) { self = .v6(v6) } else { return nil }
    }

    public var isV4: Bool { if case .v4 = self { true } else { false } }
    /// 32 or 128.
    public var bitCount: Int { isV4 ? 32 : 128 }

    /// The address's bytes in network order.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let a): [UInt8(a >> 24), UInt8(a >> 16 & 0xFF), UInt8(a >> 8 & 0xFF), UInt8(a & 0xFF)]
        case .v6(let b): b
        }
    }

    /// Dotted decimal, or the RFC 5952 canonical IPv6 form (lower case, the longest run of two or more zero groups as `::`).
    public var description: String {
        switch self {
        case .v4: return bytes.map(String.init).joined(separator: ".")
        case .v6(let b):
            let groups = (0..<8).map { UInt16(b[2 * $0]) << 8 | UInt16(b[2 * $0 + 1]) }
            var best = (start: -1, length: 0), i = 0
            while i < 8 {
                guard groups[i] == 0 else { i += 1; continue }
                var j = i
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - i > best.length && j - i >= 2 { best = (i, j - i) }
                i = j
            }
            let hex = groups.map { String($0, radix: 16) }
            guard best.start >= 0 else { return hex.joined(separator: ":") }
            return hex[..<best.start].joined(separator: ":") + "::" + hex[(best.start + best.length)...].joined(separator: ":")
        }
    }

    static func parseV4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }), p == "0" || p.first != "0",
                  let octet = UInt32(p), octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    static func parseV6(_ text: String) -> [UInt8]? {
        guard text.count >= 2, text.count <= 45, text.contains(":") else { return nil }
        var halves: [String] = []
        var rest = Substring(text)
        while let r = rest.firstRange(of: "::") {
            halves.append(String(rest[..<r.lowerBound])); rest = rest[r.upperBound...]
        }
        halves.append(String(rest))
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String, allowV4Tail: Bool) -> [UInt16]? {
            guard !s.isEmpty else { return [] }
            let parts = s.split(separator: ":", omittingEmptySubsequences: false)
            var result: [UInt16] = []
            for (i, p) in parts.enumerated() {
                if i == parts.count - 1, allowV4Tail, p.contains("."), let v4 = parseV4(p) {
                    result += [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
                } else {
                    guard (1...4).contains(p.count), p.allSatisfy(\.isHexDigit), let g = UInt16(p, radix: 16) else { return nil }
                    result.append(g)
                }
            }
            return result
        }
        let all: [UInt16]
        if halves.count == 2 {
            guard let head = groups(halves[0], allowV4Tail: false), let tail = groups(halves[1], allowV4Tail: true),
                  head.count + tail.count <= 7 else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let g = groups(text, allowV4Tail: true), g.count == 8 else { return nil }
            all = g
        }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}

/// An address with its prefix length (`192.168.1.20/24`, `2001:db8::5/64`): an interface's address, or a network.
public struct IPPrefix: Sendable, Hashable, CustomStringConvertible {
    public var address: IPAddress
    public var length: Int

    public init?(address: IPAddress, length: Int) {
        guard (0...address.bitCount).contains(length) else { return nil }
        self.address = address; self.length = length
    }

    /// `address/length`; nil when either part is malformed or the length exceeds the family's bits.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let a = IPAddress(String(parts[0])), !parts[1].isEmpty, parts[1].count <= 3,
              parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(parts[1]) else { return nil }
        self.init(address: a, length: n)
    }

    public var description: String { "\(address)/\(length)" }

    /// Whether `other` is in this prefix's network (same family, the first `length` bits equal).
    public func contains(_ other: IPAddress) -> Bool {
        guard other.isV4 == address.isV4 else { return false }
        let a = address.bytes, b = other.bytes
        var bits = length, i = 0
        while bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
            if a[i] & mask != b[i] & mask { return false }
            bits -= 8; i += 1
        }
        return true
    }

    /// The IPv4 netmask in dotted decimal (`255.255.255.0` for /24), as seeds/002 §1.4 shows it; nil for IPv6.
    public var netmask: String? {
        guard address.isV4 else { return nil }
        let mask: UInt32 = length == 0 ? 0 : ~UInt32(0) << UInt32(32 - length)
        return IPAddress.v4(mask).description
    }

    /// The prefix length of a dotted IPv4 netmask (`255.255.255.0` → 24); nil when the ones are not contiguous.
    public static func length(ofNetmask text: String) -> Int? {
        guard case .v4(let m)? = IPAddress(text) else { return nil }
        let ones = m.nonzeroBitCount
        return (ones == 0 ? 0 : ~UInt32(0) << UInt32(32 - ones)) == m ? ones : nil
    }
}
