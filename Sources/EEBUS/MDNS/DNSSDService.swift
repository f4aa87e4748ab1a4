/// An IPv4 or IPv6 address as the octets of an A or AAAA record.
public struct MDNSAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let octets: [UInt8]

    /// Four octets (IPv4) or sixteen (IPv6); nil for any other length.
    public init?(octets: [UInt8]) {
        guard octets.count == 4 || octets.count == 16 else { return nil }
        self.octets = octets
    }

    /// Parses `192.168.1.2` or an IPv6 text form (RFC 4291 §2.2, with `::`; no zone, no embedded IPv4).
    public init?(_ text: String) {
        if text.contains(":") {
            let halves = text.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            func groups(_ s: String) -> [UInt16]? {
                if s.isEmpty { return [] }
                var out: [UInt16] = []
                for g in s.split(separator: ":", omittingEmptySubsequences: false) {
                    guard (1...4).contains(g.count), let v = UInt16(g, radix: 16) else { return nil }
                    out.append(v)
                }
                return out
            }
            guard let head = groups(halves[0]), let tail = halves.count == 2 ? groups(halves[1]) : [] else { return nil }
            let fill = 8 - head.count - tail.count
            guard halves.count == 2 ? fill >= 1 : fill == 0 else { return nil }
            let all = head + [UInt16](repeating: 0, count: fill) + tail
            octets = all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        } else {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false).map { UInt8($0) }
            guard parts.count == 4, parts.allSatisfy({ $0 != nil }) else { return nil }
            octets = parts.map { $0! }
        }
    }

    public var isIPv6: Bool { octets.count == 16 }
    /// fe80::/10 (RFC 4291 §2.5.6): usable only together with the interface it was seen on.
    public var isIPv6LinkLocal: Bool { isIPv6 && octets[0] == 0xFE && octets[1] & 0xC0 == 0x80 }

    /// Dotted IPv4, or IPv6 in the recommended text form (RFC 5952 §4: lower case, the longest run of two or more zero
    /// groups as `::`).
    public var description: String {
        guard isIPv6 else { return octets.map(String.init).joined(separator: ".") }
        let groups = (0..<8).map { UInt16(octets[2 * $0]) << 8 | UInt16(octets[2 * $0 + 1]) }
        var best = (start: -1, length: 0), run = (start: -1, length: 0)
        for (i, g) in groups.enumerated() {
            if g == 0 {
                run = run.start < 0 ? (i, 1) : (run.start, run.length + 1)
                if run.length > best.length { best = run }
            } else { run = (-1, 0) }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return hex.joined(separator: ":") }
        return hex[..<best.start].joined(separator: ":") + "::" + hex[(best.start + best.length)...].joined(separator: ":")
    }

    /// IPv4 before IPv6, IPv6 link-local addresses last (they need the interface to be used), then by octets.
    public static func < (a: MDNSAddress, b: MDNSAddress) -> Bool {
        func rank(_ x: MDNSAddress) -> Int { x.isIPv6 ? (x.isIPv6LinkLocal ? 2 : 1) : 0 }
        return rank(a) != rank(b) ? rank(a) < rank(b) : a.octets.lexicographicallyPrecedes(b.octets)
    }
}

/// A service this host offers over DNS-SD (RFC 6763 §4.1): the instance `<instanceName>.<serviceType>` on
/// `<hostName>.local:<port>`, with its TXT pairs and the host's addresses.
public struct DNSSDServiceDescription: Hashable, Sendable {
    /// The instance's own label (RFC 6763 §4.1.1: any UTF-8 up to 63 octets, dots included), e.g. "ChargeKit 0042".
    public var instanceName: String
    /// The service type with its domain, e.g. `_ship._tcp.local` (SHIP TS 1.0.1 §7.3).
    public var serviceType: DNSName
    /// The host's own label; the host name is `<hostName>.local` (RFC 6762 §3).
    public var hostName: String
    public var port: UInt16
    public var txt: DNSSDTXT
    /// The addresses the host answers for its name: A and AAAA records (RFC 6762 §6.2).
    public var addresses: [MDNSAddress]

    public init(instanceName: String, serviceType: DNSName = DNSSDServiceDescription.shipServiceType, hostName: String, port: UInt16,
                txt: DNSSDTXT, addresses: [MDNSAddress]) {
        self.instanceName = instanceName; self.serviceType = serviceType; self.hostName = hostName; self.port = port
        self.txt = txt; self.addresses = addresses
    }

    /// `_ship._tcp.local`: the SHIP service type (SHIP TS 1.0.1 §7.3.1).
    public static let shipServiceType = DNSName("_ship._tcp.local")
    /// The DNS-SD meta-query name that lists the service types of a domain (RFC 6763 §9).
    public static let serviceTypeEnumeration = DNSName("_services._dns-sd._udp.local")

    public var instance: DNSName { serviceType.prepending(instanceName) }
    public var host: DNSName { DNSName(labels: [hostName, "local"]) }

    /// Checks what the wire would refuse, with the field named: the labels' lengths (RFC 1035 §2.3.4) and the TXT pairs
    /// (RFC 6763 §6).
    public func validate() throws {
        guard !instanceName.isEmpty, instanceName.utf8.count <= DNSName.maximumLabelOctets else {
            throw DNSMessageError("instance name '\(instanceName)': \(instanceName.utf8.count) octets (allowed 1...63, RFC 6763 §4.1.1)")
        }
        guard !hostName.isEmpty, hostName.utf8.count <= DNSName.maximumLabelOctets, !hostName.contains(".") else {
            throw DNSMessageError("host name '\(hostName)': one label of 1...63 octets without dots (RFC 6762 §3)")
        }
        _ = try txt.strings()
    }
}

/// A service instance found by browsing (RFC 6763 §4): what a SHIP client needs to connect to it.
public struct DNSSDDiscoveredService: Hashable, Sendable {
    /// The instance's own label, e.g. "Energy Manager 7".
    public var instanceName: String
    public var serviceType: DNSName
    /// The SRV record's target, e.g. `hems.local` (without the trailing dot).
    public var hostName: String
    public var port: UInt16
    public var txt: DNSSDTXT
    /// The A and AAAA addresses of `hostName` known now: IPv4 first, IPv6 link-local last (``MDNSAddress``'s order).
    public var addresses: [MDNSAddress]

    public init(instanceName: String, serviceType: DNSName, hostName: String, port: UInt16, txt: DNSSDTXT, addresses: [MDNSAddress]) {
        self.instanceName = instanceName; self.serviceType = serviceType; self.hostName = hostName; self.port = port
        self.txt = txt; self.addresses = addresses
    }

    public var instance: DNSName { serviceType.prepending(instanceName) }
}
