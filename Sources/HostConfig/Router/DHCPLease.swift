/// One lease of the service port's DHCP server, as dnsmasq records it in its lease file.
public struct DHCPLease: Sendable, Equatable {
    /// When the lease ends, in seconds since 1970 (UTC); nil for an infinite lease (dnsmasq writes 0).
    public var expiresEpochSeconds: Int64?
    /// The client's Ethernet address, lower case `aa:bb:cc:dd:ee:ff`.
    public var mac: String
    public var address: IPAddress
    /// The host name the client sent (nil: none, dnsmasq writes `*`).
    public var hostname: String?
    /// The client identifier (option 61) as dnsmasq writes it, hex bytes with colons (nil: none).
    public var clientID: String?

    public init(expiresEpochSeconds: Int64?, mac: String, address: IPAddress, hostname: String?, clientID: String?) {
        self.expiresEpochSeconds = expiresEpochSeconds; self.mac = mac; self.address = address
        self.hostname = hostname; self.clientID = clientID
    }
}

/// dnsmasq's lease file (`dhcp-leasefile=`): one IPv4 lease a line, `expiry mac ip hostname client-id`, separated by
/// single spaces, `*` for a missing host name or client id, expiry 0 for an infinite lease; DHCPv6 adds a `duid …`
/// line and lines with an IAID instead of a MAC, which this server never has (it serves IPv4 only). The parser is
/// strict: a line that is not exactly such an IPv4 lease of an Ethernet client is skipped and counted, never guessed —
/// the file is written by another program and a torn write must not show a wrong lease.
public enum DnsmasqLeaseFile {
    public struct Parsed: Sendable, Equatable {
        public var leases: [DHCPLease]
        /// Lines that were not a valid lease (empty lines do not count).
        public var skipped: Int

        public init(leases: [DHCPLease], skipped: Int) { self.leases = leases; self.skipped = skipped }
    }

    public static func parse(_ text: String) -> Parsed {
        var leases: [DHCPLease] = [], skipped = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed.isEmpty { continue }
            if let lease = lease(trimmed) { leases.append(lease) } else { skipped += 1 }
        }
        return Parsed(leases: leases.sorted { $0.address.bytes.lexicographicallyPrecedes($1.address.bytes) }, skipped: skipped)
    }

    static func lease(_ line: Substring) -> DHCPLease? {
        let f = line.split(separator: " ", omittingEmptySubsequences: false)
        guard f.count == 5, !f[0].isEmpty, f[0].count <= 19, f[0].allSatisfy({ $0.isASCII && $0.isNumber }),
              let expiry = Int64(f[0]), let mac = mac(f[1]), case .v4? = IPAddress(String(f[2])),
              let address = IPAddress(String(f[2])) else { return nil }
        var hostname: String?
        if f[3] != "*" {
            guard isHostname(f[3]) else { return nil }
            hostname = String(f[3])
        }
        var clientID: String?
        if f[4] != "*" {
            let bytes = f[4].split(separator: ":", omittingEmptySubsequences: false)
            guard (1...255).contains(bytes.count), bytes.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isHexDigit) }) else { return nil }
            clientID = f[4].lowercased()
        }
        return DHCPLease(expiresEpochSeconds: expiry == 0 ? nil : expiry, mac: mac, address: address, hostname: hostname, clientID: clientID)
    }

    /// Six hex byte pairs with colons.
    static func mac(_ s: Substring) -> String? {
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy { $0.isASCII && $0.isHexDigit } }) else { return nil }
        return s.lowercased()
    }

    /// A host name as dnsmasq keeps one (RFC 1123 labels: letters, digits, hyphens; dnsmasq also allows `_`), at most
    /// 253 characters.
    static func isHostname(_ s: Substring) -> Bool {
        guard (1...253).contains(s.count), !s.hasPrefix("."), !s.hasSuffix("."), !s.contains("..") else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }
    }
}
