/// The service port's DHCP server as ChargeKit runs it (seeds/004 §4 "3.2 Gateway Configuratie", scenario 1: the
/// controller in "DHCP server" mode takes 172.16.23.1/255.255.255.0 and leases 172.16.23.100–172.16.23.254, so that
/// .2–.99 stay free for static addresses; with the WAN router on it is also the clients' gateway and DNS relay).
/// ChargeKit does not implement DHCP itself: it renders a configuration for `dnsmasq` and supervises it.
public struct DHCPServerConfiguration: Sendable, Equatable {
    /// The service interface (the only one dnsmasq binds to).
    public var interface: String
    /// The station's own address on it with the network's prefix length (172.16.23.1/24).
    public var address: IPPrefix
    /// The pool's first and last host number inside the prefix (100 and 254: 172.16.23.100–172.16.23.254).
    public var poolStart: Int
    public var poolEnd: Int
    public var leaseSeconds: Int
    /// With the WAN router on, the clients get the station as their gateway (option 3) and DNS server (option 6), and
    /// dnsmasq relays DNS to the resolvers the operating system uses ("DNS-relay", seeds/004 §4). Without it the
    /// clients get no gateway and no DNS server, and dnsmasq answers no DNS at all (`port=0`): nothing listens on 53.
    public var routerMode: Bool

    public init(interface: String, address: IPPrefix, poolStart: Int, poolEnd: Int, leaseSeconds: Int, routerMode: Bool) {
        self.interface = interface; self.address = address; self.poolStart = poolStart; self.poolEnd = poolEnd
        self.leaseSeconds = leaseSeconds; self.routerMode = routerMode
    }

    /// The address with host number `n` in the station's IPv4 network (nil for IPv6 or outside the prefix's hosts).
    public static func host(_ n: Int, in prefix: IPPrefix) -> IPAddress? {
        guard case .v4(let a) = prefix.address, (8...30).contains(prefix.length) else { return nil }
        let hostBits = UInt32(32 - prefix.length)
        let size = UInt64(1) << UInt64(hostBits)
        guard n > 0, UInt64(n) < size - 1 else { return nil }
        let network = a & ~((UInt32(1) << hostBits) - 1)
        return .v4(network | UInt32(n))
    }

    /// The host number of the station's own address in its network.
    public static func hostNumber(of prefix: IPPrefix) -> Int? {
        guard case .v4(let a) = prefix.address, (8...30).contains(prefix.length) else { return nil }
        return Int(a & ((UInt32(1) << UInt32(32 - prefix.length)) - 1))
    }

    /// The network itself (172.16.23.0/24), for the router's masquerade rule.
    public var network: IPPrefix {
        guard case .v4(let a) = address.address else { return address }
        let mask: UInt32 = address.length == 0 ? 0 : ~UInt32(0) << UInt32(32 - address.length)
        return IPPrefix(address: .v4(a & mask), length: address.length) ?? address
    }

    /// What is wrong with the settings (nil: dnsmasq can be configured with them): the same rules as the parameters'
    /// (``problems(address:poolStart:poolEnd:)``), checked again here because a stored configuration may predate them.
    public var problem: String? {
        Self.problems(address: address, poolStart: poolStart, poolEnd: poolEnd).first
    }

    /// The rules between the address and the pool: an IPv4 address with a prefix of /8–/30 that is neither the network
    /// nor the broadcast address; the pool's host numbers in order, inside the prefix, and not the station's own.
    public static func problems(address: IPPrefix, poolStart: Int, poolEnd: Int) -> [String] {
        guard address.address.isV4, (8...30).contains(address.length), let own = hostNumber(of: address) else {
            return ["the service address must be an IPv4 address with a prefix length of 8 to 30, e.g. 172.16.23.1/24"]
        }
        let last = (1 << (32 - address.length)) - 2
        var found: [String] = []
        if own == 0 || own == last + 1 {
            found.append("\(address) is the \(own == 0 ? "network" : "broadcast") address of its prefix, not a host address")
        }
        if poolStart > poolEnd { found.append("the pool's first host number (\(poolStart)) is above its last (\(poolEnd))") }
        if poolEnd > last || poolStart < 1 {
            found.append("the pool \(poolStart)–\(poolEnd) does not fit into /\(address.length): host numbers 1–\(last)")
        }
        if (poolStart...max(poolStart, poolEnd)).contains(own) {
            found.append("the station's own address \(address.address) (host \(own)) lies in the pool \(poolStart)–\(poolEnd)")
        }
        return found
    }
}

/// The files of the DHCP server in the station's data directory.
public struct DHCPServerPaths: Sendable, Equatable {
    public var configuration: String
    public var leases: String
    public var pid: String

    /// `dnsmasq.conf`, `dnsmasq.leases`, `dnsmasq.pid` in `directory`.
    public init(directory: String) {
        let d = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        configuration = d + "/dnsmasq.conf"; leases = d + "/dnsmasq.leases"; pid = d + "/dnsmasq.pid"
    }
}

/// The dnsmasq configuration file (dnsmasq(8), "CONFIG FILE": one long option per line without its `--`).
public enum DnsmasqConfiguration {
    /// Renders `c` for `dnsmasq --keep-in-foreground --conf-file=…` (which reads no other file).
    ///
    /// - `interface=` + `except-interface=lo` + `bind-interfaces`: dnsmasq binds its sockets to the service interface's
    ///   address only, so it never answers on the uplink or another network (secure by default).
    /// - `dhcp-range=first,last,netmask,lease`; `dhcp-authoritative`: it is the only DHCP server of this network.
    /// - `dhcp-option=3`/`6` with no value send no gateway/DNS (dnsmasq's defaults would name itself); in router mode
    ///   both are the station's address.
    /// - `port=0`: no DNS, unless in router mode (the DNS relay, forwarding to the OS's resolvers of /etc/resolv.conf;
    ///   `domain-needed` and `bogus-priv` keep names without a dot and private reverse lookups off the upstream servers).
    /// - `log-facility=-`: its messages go to standard error, which the supervisor logs; `log-dhcp` (every packet) off.
    public static func render(_ c: DHCPServerConfiguration, paths: DHCPServerPaths) -> String {
        let first = DHCPServerConfiguration.host(c.poolStart, in: c.address)?.description ?? "?"
        let last = DHCPServerConfiguration.host(c.poolEnd, in: c.address)?.description ?? "?"
        let own = c.address.address.description
        var lines = [
            "# Written by ChargeKit from its parameters (DHCPServer*, WANRouter); changes here are overwritten.",
            "interface=\(c.interface)",
            "except-interface=lo",
            "bind-interfaces",
            "dhcp-range=\(first),\(last),\(c.address.netmask ?? "255.255.255.0"),\(c.leaseSeconds)",
            "dhcp-authoritative",
            "dhcp-leasefile=\(paths.leases)",
            "pid-file=\(paths.pid)",
            "log-facility=-",
        ]
        if c.routerMode {
            lines += ["dhcp-option=3,\(own)", "dhcp-option=6,\(own)", "domain-needed", "bogus-priv"]
        } else {
            lines += ["port=0", "no-resolv", "dhcp-option=3", "dhcp-option=6"]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
