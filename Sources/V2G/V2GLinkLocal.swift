/// The IPv6 link-local address of the PLC interface, on which the SECC's servers listen and which SDP announces
/// (ISO 15118-2:2014 §7.6: the V2G communication uses IPv6 link-local addresses; IETF RFC 4291 §2.5.6).
///
/// Linux lists every IPv6 address in `/proc/net/if_inet6`, one a line: the address (32 hex digits), the interface
/// index, the prefix length, the scope, the flags (all hex) and the interface name. The flags say whether duplicate
/// address detection (IETF RFC 4862 §5.4) still runs (tentative: the address cannot be bound yet) or found the
/// address in use (failed: it never becomes usable). The adapter reads the file; this parses it.
public struct V2GLinkLocalAddress: Hashable, Sendable, CustomStringConvertible {
    public enum State: String, Hashable, Sendable {
        case usable
        /// Duplicate address detection runs (IFA_F_TENTATIVE).
        case tentative
        /// Duplicate address detection found the address in use (IFA_F_DADFAILED).
        case duplicate
    }

    /// The 16 bytes of the address.
    public var bytes: [UInt8]
    public var interfaceIndex: UInt32
    public var interfaceName: String
    public var state: State

    public init(bytes: [UInt8], interfaceIndex: UInt32, interfaceName: String, state: State) {
        self.bytes = bytes; self.interfaceIndex = interfaceIndex; self.interfaceName = interfaceName; self.state = state
    }

    /// The address with its zone, as `ip` and the JSON of the installer command write it: `fe80::1%eth1`.
    public var description: String { Self.text(bytes) + "%" + interfaceName }

    /// RFC 5952 text form (lower case, the longest run of zero groups of at least two shortened to `::`).
    public static func text(_ bytes: [UInt8]) -> String {
        precondition(bytes.count == 16)
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var best = (start: -1, length: 0), run = (start: -1, length: 0)
        for (i, g) in groups.enumerated() {
            if g == 0 {
                run = run.start < 0 ? (i, 1) : (run.start, run.length + 1)
                if run.length > best.length { best = run }
            } else {
                run = (-1, 0)
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return hex.joined(separator: ":") }
        return hex[..<best.start].joined(separator: ":") + "::" + hex[(best.start + best.length)...].joined(separator: ":")
    }

    /// The link-local addresses (fe80::/10, scope 0x20) in the text of `/proc/net/if_inet6`; other lines are skipped.
    public static func parse(procIfInet6 text: String) -> [V2GLinkLocalAddress] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count == 6, f[0].count == 32, let index = UInt32(f[1], radix: 16), let scope = UInt8(f[3], radix: 16),
                  let flags = UInt32(f[4], radix: 16) else { return nil }
            let digits = Array(f[0])
            let bytes = stride(from: 0, to: 32, by: 2).compactMap { UInt8(String(digits[$0...$0 + 1]), radix: 16) }
            guard bytes.count == 16, bytes[0] == 0xFE, bytes[1] & 0xC0 == 0x80, scope == 0x20 else { return nil }
            let state: State = flags & 0x08 != 0 ? .duplicate : flags & 0x40 != 0 ? .tentative : .usable
            return V2GLinkLocalAddress(bytes: bytes, interfaceIndex: index, interfaceName: String(f[5]), state: state)
        }
    }
}
