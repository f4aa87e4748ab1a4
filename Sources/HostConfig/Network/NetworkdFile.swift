/// An interface's configuration as a systemd-networkd `.network` file (systemd.network(5), systemd 252 as in Debian 12):
/// `[Match] Name=`, `[Network] DHCP=`, `Address=`, `Gateway=`, `DNS=`, `IPv6AcceptRA=`, `LinkLocalAddressing=`; and
/// such a file read back, so that the Network page shows what is on the disk. The file is ChargeKit's own
/// (`50-chargekit-<name>.network`, sorted before the distribution's catch-all `*.network` files, which networkd would
/// otherwise match first: the first file in lexical order whose [Match] fits the link wins).
public enum NetworkdFile {
    /// The file name for an interface: `50-chargekit-eth0.network`.
    public static func fileName(for interface: String) -> String { "50-chargekit-\(interface).network" }

    /// The first line: a person opening the file learns who wrote it.
    public static let header = "# Written by ChargeKit (Network page). Changes made here are overwritten by the next change there."

    /// The file's text. IPv4: `DHCP=ipv4` or a static `Address=`/`Gateway=`; IPv6 "auto" accepts router advertisements
    /// (SLAAC; DHCPv6 when the router asks for it), "manual" a static address with RAs off, "off" no IPv6 at all
    /// (no router advertisements, no link-local address). DNS entries are written in both methods: with DHCP they are
    /// used next to the ones the lease brings.
    public static func render(_ c: InterfaceConfig) -> String {
        var lines = [header, "", "[Match]", "Name=\(c.name)", "", "[Network]"]
        lines.append("DHCP=\(c.ipv4.method == .dhcp ? "ipv4" : "no")")
        switch c.ipv6.method {
        case .auto: lines += ["IPv6AcceptRA=yes", "LinkLocalAddressing=ipv6"]
        case .manual: lines += ["IPv6AcceptRA=no", "LinkLocalAddressing=ipv6"]
        case .off: lines += ["IPv6AcceptRA=no", "LinkLocalAddressing=no"]
        }
        if c.ipv4.method == .manual, let a = c.ipv4.address { lines.append("Address=\(a)") }
        if c.ipv6.method == .manual, let a = c.ipv6.address { lines.append("Address=\(a)") }
        if c.ipv4.method == .manual, let g = c.ipv4.gateway { lines.append("Gateway=\(g)") }
        if c.ipv6.method == .manual, let g = c.ipv6.gateway { lines.append("Gateway=\(g)") }
        let dns = c.ipv4.dns + (c.ipv6.method == .off ? [] : c.ipv6.dns)
        if !dns.isEmpty { lines.append("DNS=\(dns.map(\.description).joined(separator: " "))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// What could not be read back: a line that is no `key=value`, a value that is not an address, a key ChargeKit does
    /// not set (kept in the file by nobody: the next change rewrites it).
    public struct Parsed: Sendable, Equatable {
        public var config: InterfaceConfig
        public var ignored: [String]
    }

    /// Reads a `.network` file: the [Match] section's `Name=` (one name, no glob) and the [Network] keys ChargeKit
    /// writes (also `Address=` in [Address] sections and `DHCP=yes|true|both`); nil when the file matches no single name.
    public static func parse(_ text: String) -> Parsed? {
        var section = "", name: String?, ignored: [String] = []
        var c = InterfaceConfig(name: "", ipv4: .init(method: .manual), ipv6: .init(method: .auto))
        var acceptRA: Bool?, linkLocalV6 = true, dhcpV6 = false, dhcpV4 = false
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = String(raw).trimmingASCIIWhitespace
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") && line.hasSuffix("]") { section = String(line.dropFirst().dropLast()); continue }
            guard let eq = line.firstIndex(of: "=") else { ignored.append(line); continue }
            let key = String(line[..<eq]).trimmingASCIIWhitespace, value = String(line[line.index(after: eq)...]).trimmingASCIIWhitespace
            switch (section, key) {
            case ("Match", "Name"):
                let names = value.split(separator: " ")
                if names.count == 1, !value.contains("*"), !value.contains("?") { name = value } else { ignored.append(line) }
            case ("Network", "DHCP"):
                switch value.lowercased() {
                case "yes", "true", "1", "both": dhcpV4 = true; dhcpV6 = true
                case "ipv4", "v4": dhcpV4 = true
                case "ipv6", "v6": dhcpV6 = true
                case "no", "false", "0", "none": break
                default: ignored.append(line)
                }
            case ("Network", "Address"), ("Address", "Address"):
                guard let p = IPPrefix(value) else { ignored.append(line); continue }
                if p.address.isV4 { if c.ipv4.address == nil { c.ipv4.address = p } else { ignored.append(line) } }
                else if c.ipv6.address == nil { c.ipv6.address = p } else { ignored.append(line) }
            case ("Network", "Gateway"):
                guard let g = IPAddress(value) else { ignored.append(line); continue }
                if g.isV4 { c.ipv4.gateway = g } else { c.ipv6.gateway = g }
            case ("Network", "DNS"):
                for entry in value.split(separator: " ") {
                    guard let a = IPAddress(String(entry)) else { ignored.append("DNS=\(entry)"); continue }
                    if a.isV4 { c.ipv4.dns.append(a) } else { c.ipv6.dns.append(a) }
                }
            case ("Network", "IPv6AcceptRA"):
                acceptRA = ["yes", "true", "1", "on"].contains(value.lowercased())
            case ("Network", "LinkLocalAddressing"):
                linkLocalV6 = ["yes", "true", "1", "ipv6", "both"].contains(value.lowercased())
            default:
                ignored.append(line)
            }
        }
        guard let name else { return nil }
        c.name = name
        if dhcpV4 { c.ipv4 = .init(method: .dhcp, dns: c.ipv4.dns) } else if c.ipv4.address == nil { c.ipv4.method = .dhcp; c.ipv4.gateway = nil }
        if c.ipv6.address != nil && !dhcpV6 && acceptRA != true {
            c.ipv6.method = .manual
        } else if !linkLocalV6 && acceptRA != true && !dhcpV6 {
            c.ipv6 = .init(method: .off)
        } else {
            c.ipv6 = .init(method: .auto, dns: c.ipv6.dns)
        }
        return Parsed(config: c, ignored: ignored)
    }
}
