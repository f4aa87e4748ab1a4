/// The Network page's (and `PUT /api/network/interfaces/{name}`'s) fields of one interface as typed, and their
/// validation into an ``InterfaceConfig``. Every refusal names its field and says what is allowed, so that the page can
/// show it next to the field with the typed values kept (seeds/002 §1.4; the quality bar: "a form error naming the field
/// and range"). The fields:
///
/// | field | allowed |
/// |---|---|
/// | `ipv4.method` | `dhcp` (seeds: "Auto (DHCP)") or `manual` |
/// | `ipv4.address` | an IPv4 host address (optionally `address/length`) |
/// | `ipv4.prefix` | a length 1–32 or a netmask such as `255.255.255.0` (seeds/002 §1.4 and seeds/004 §3.2 show netmasks) |
/// | `ipv4.gateway` | empty, or an IPv4 address inside the interface's prefix |
/// | `ipv4.dns` | up to 3 IPv4 addresses, separated by commas or spaces |
/// | `ipv6.method` | `auto` (router advertisements), `manual` or `off` |
/// | `ipv6.address`, `ipv6.prefix`, `ipv6.gateway`, `ipv6.dns` | as for IPv4; length 1–128; a link-local gateway (fe80::/10) is allowed |
public struct InterfaceForm: Sendable, Hashable {
    public var name: String
    /// By field name (the table above); a missing field is empty.
    public var fields: [String: String]

    public init(name: String, fields: [String: String]) { self.name = name; self.fields = fields }

    public subscript(_ field: String) -> String { (fields[field] ?? "").trimmingASCIIWhitespace }

    /// The field names, in the page's order.
    public static let fieldNames = ["ipv4.method", "ipv4.address", "ipv4.prefix", "ipv4.gateway", "ipv4.dns",
                                    "ipv6.method", "ipv6.address", "ipv6.prefix", "ipv6.gateway", "ipv6.dns"]
    /// At most this many name servers per family: the C library's resolver reads no more than three (MAXNS).
    public static let maximumDNSServers = 3

    /// Whether `name` can be a Linux interface name (1–15 bytes, no `/`, no whitespace, not `.` or `..`).
    public static func isValidInterfaceName(_ name: String) -> Bool {
        (1...15).contains(name.utf8.count) && name != "." && name != ".."
            && name.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7F && $0 != "/" && $0 != ":" }
    }

    /// The configuration, or every refused field. `others` are the other interfaces' configurations: only one interface
    /// may hold a family's default gateway, and two interfaces may not share a network.
    public func validate(others: [InterfaceConfig] = []) -> Result<InterfaceConfig, InterfaceConfigErrors> {
        var errors: [InterfaceFieldError] = []
        func fail(_ field: String, _ message: String) { errors.append(InterfaceFieldError(field: field, message: message)) }
        if !Self.isValidInterfaceName(name) {
            fail("name", "'\(name)' is not an interface name (1–15 characters, no spaces, '/' or ':')")
        }
        let others = others.filter { $0.name != name }
        var config = InterfaceConfig(name: name)

        // IPv4
        switch self["ipv4.method"].lowercased() {
        case "dhcp", "auto", "": config.ipv4.method = .dhcp
        case "manual", "static": config.ipv4.method = .manual
        case let other: fail("ipv4.method", "'\(other)' is not a method: dhcp (Auto) or manual")
        }
        if config.ipv4.method == .manual {
            (config.ipv4.address, config.ipv4.gateway) = manual(
                family: 4, others: others.filter { $0.ipv4.method == .manual }.map { ($0.name, $0.ipv4.address, $0.ipv4.gateway) }, fail)
        }
        config.ipv4.dns = dns(family: 4, fail)

        // IPv6
        switch self["ipv6.method"].lowercased() {
        case "auto", "dhcp", "": config.ipv6.method = .auto
        case "manual", "static": config.ipv6.method = .manual
        case "off", "disabled": config.ipv6.method = .off
        case let other: fail("ipv6.method", "'\(other)' is not a method: auto, manual or off")
        }
        if config.ipv6.method == .manual {
            (config.ipv6.address, config.ipv6.gateway) = manual(
                family: 6, others: others.filter { $0.ipv6.method == .manual }.map { ($0.name, $0.ipv6.address, $0.ipv6.gateway) }, fail)
        }
        if config.ipv6.method != .off { config.ipv6.dns = dns(family: 6, fail) }
        return errors.isEmpty ? .success(config) : .failure(InterfaceConfigErrors(errors))
    }

    private func familyName(_ family: Int) -> String { family == 4 ? "IPv4" : "IPv6" }

    /// A manual family's address and gateway, checked against the other interfaces' manual configurations of that
    /// family: one default gateway per family, and no two interfaces in overlapping networks.
    private func manual(family: Int, others: [(name: String, address: IPPrefix?, gateway: IPAddress?)],
                        _ fail: (String, String) -> Void) -> (IPPrefix?, IPAddress?) {
        let key = family == 4 ? "ipv4" : "ipv6"
        let address = hostPrefix(family: family, fail)
        let gateway = gateway(family: family, on: address, fail)
        if gateway != nil, let holder = others.first(where: { $0.gateway != nil }) {
            fail("\(key).gateway", "\(holder.name) already has the \(familyName(family)) default gateway \(holder.gateway!); only one interface may "
                 + "have one: leave this empty or remove it on \(holder.name) first")
        }
        if let address, let clash = others.first(where: { $0.address.map(address.overlaps) == true }) {
            fail("\(key).address", "\(address.network) overlaps \(clash.name)'s \(clash.address!); each interface needs a network of its own")
        }
        return (address, gateway)
    }

    /// `ipv4.address` + `ipv4.prefix` (or `address/length` in the address field) as a host's address in its network.
    private func hostPrefix(family: Int, _ fail: (String, String) -> Void) -> IPPrefix? {
        let f = "ipv\(family)", bits = family == 4 ? 32 : 128, example = family == 4 ? "192.168.1.20" : "2001:db8::20"
        var addressText = self["\(f).address"], prefixText = self["\(f).prefix"]
        if let slash = addressText.firstIndex(of: "/") {
            let typed = String(addressText[addressText.index(after: slash)...])
            if prefixText.isEmpty || prefixText == typed { prefixText = typed }
            addressText = String(addressText[..<slash])
        }
        var address: IPAddress?
        if addressText.isEmpty {
            fail("\(f).address", "required with Manual: the station's \(familyName(family)) address, e.g. \(example)")
        } else if let a = IPAddress(addressText), a.bitCount == bits {
            if let why = Self.unusableHostReason(a) { fail("\(f).address", "\(a) is \(why); use a unicast address such as \(example)") } else { address = a }
        } else {
            fail("\(f).address", "'\(addressText)' is not an \(familyName(family)) address (e.g. \(example))")
        }
        var length: Int?
        let allowed = family == 4 ? "a prefix length 1–32 or a netmask such as 255.255.255.0" : "a prefix length 1–128, e.g. 64"
        let lengthText = prefixText.hasPrefix("/") ? String(prefixText.dropFirst()) : prefixText
        if prefixText.isEmpty {
            fail("\(f).prefix", "required with Manual: \(allowed)")
        } else if !lengthText.isEmpty, lengthText.utf8.count <= 3, lengthText.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(lengthText) {
            if (1...bits).contains(n) { length = n } else { fail("\(f).prefix", "\(n) is out of range: \(allowed)") }
        } else if family == 4, IPAddress(prefixText)?.isV4 == true {
            if let n = IPPrefix.length(ofNetmask: prefixText), n >= 1 { length = n } else {
                fail("\(f).prefix", "\(prefixText) is not a netmask (ones then zeros, at least one): \(allowed)")
            }
        } else {
            fail("\(f).prefix", "'\(prefixText)' is not \(allowed)")
        }
        guard let address, let length, let prefix = IPPrefix(address: address, length: length) else { return nil }
        if prefix.hasHostRange {
            if address == prefix.network.address {
                fail("\(f).address", "\(address) is the \(family == 4 ? "network" : "subnet-router anycast") address of \(prefix.network); "
                     + "use a host address from \(prefix.hostRangeText)")
                return nil
            }
            if family == 4, address == prefix.broadcast {
                fail("\(f).address", "\(address) is the broadcast address of \(prefix.network); use a host address from \(prefix.hostRangeText)")
                return nil
            }
        }
        return prefix
    }

    /// The gateway field: empty, or an address reachable on the interface (inside its prefix; for IPv6 also a
    /// link-local address, which every IPv6 interface reaches).
    private func gateway(family: Int, on prefix: IPPrefix?, _ fail: (String, String) -> Void) -> IPAddress? {
        let field = "ipv\(family).gateway", text = self[field]
        guard !text.isEmpty else { return nil }
        guard let g = IPAddress(text), g.bitCount == (family == 4 ? 32 : 128) else {
            fail(field, "'\(text)' is not an \(familyName(family)) address; leave it empty for no default gateway")
            return nil
        }
        if let why = Self.unusableHostReason(g), !(family == 6 && g.isIPv6LinkLocal) {
            fail(field, "\(g) is \(why); the gateway must be a router's unicast address")
            return nil
        }
        guard let prefix else { return g }  // the address field's own error is enough
        if g == prefix.address {
            fail(field, "\(g) is the station's own address; the gateway is the router's address in \(prefix.network)")
            return nil
        }
        if family == 6 && g.isIPv6LinkLocal { return g }
        guard prefix.contains(g) else {
            fail(field, "\(g) is not reachable on the interface: it is outside \(prefix.network); use an address from \(prefix.hostRangeText)")
            return nil
        }
        if prefix.hasHostRange, g == prefix.network.address || (family == 4 && g == prefix.broadcast) {
            fail(field, "\(g) is the \(g == prefix.network.address ? "network" : "broadcast") address of \(prefix.network); use an address from \(prefix.hostRangeText)")
            return nil
        }
        return g
    }

    private func dns(family: Int, _ fail: (String, String) -> Void) -> [IPAddress] {
        let field = "ipv\(family).dns"
        let entries = self[field].split(whereSeparator: { $0 == "," || $0 == " " || $0 == ";" || $0 == "\t" }).map(String.init)
        var result: [IPAddress] = []
        for entry in entries {
            guard let a = IPAddress(entry), a.bitCount == (family == 4 ? 32 : 128) else {
                fail(field, "'\(entry)' is not an \(familyName(family)) address; name servers are given by address, separated by commas")
                return []
            }
            if !result.contains(a) { result.append(a) }
        }
        if result.count > Self.maximumDNSServers {
            fail(field, "\(result.count) name servers: at most \(Self.maximumDNSServers) (the resolver reads no more)")
            return []
        }
        return result
    }

    /// Why an address cannot be a host's or a gateway's unicast address, nil when it can.
    static func unusableHostReason(_ a: IPAddress) -> String? {
        let b = a.bytes
        if a.isV4 {
            switch b[0] {
            case 0: return "in 0.0.0.0/8 (\"this network\")"
            case 127: return "a loopback address"
            case 224...239: return "a multicast address"
            case 240...255: return a == .v4(.max) ? "the limited broadcast address" : "a reserved address (240.0.0.0/4)"
            default: return nil
            }
        }
        if b.allSatisfy({ $0 == 0 }) { return "the unspecified address" }
        if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return "the loopback address" }
        if b[0] == 0xFF { return "a multicast address" }
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xFF && b[11] == 0xFF { return "an IPv4-mapped address" }
        return nil
    }
}

extension IPAddress {
    /// fe80::/10 (RFC 4291 §2.5.6).
    public var isIPv6LinkLocal: Bool { !isV4 && bytes[0] == 0xFE && bytes[1] & 0xC0 == 0x80 }
}

extension IPPrefix {
    /// The network itself: the address with its host bits cleared.
    public var network: IPPrefix {
        var b = address.bytes
        for i in b.indices {
            let bitsBefore = i * 8
            if bitsBefore >= length { b[i] = 0 } else if bitsBefore + 8 > length { b[i] &= ~(0xFF >> UInt8(length - bitsBefore)) }
        }
        let a: IPAddress = address.isV4 ? .v4(b.reduce(0) { $0 << 8 | UInt32($1) }) : .v6(b)
        return IPPrefix(address: a, length: length)!
    }

    /// The IPv4 broadcast address (host bits all ones); nil for IPv6.
    public var broadcast: IPAddress? {
        guard case .v4(let a) = address else { return nil }
        let hostMask: UInt32 = length == 32 ? 0 : ~UInt32(0) >> UInt32(length)
        return .v4(a | hostMask)
    }

    /// Whether the network's first (and, for IPv4, last) address is reserved: not for /31 and /32 (RFC 3021) or /127
    /// and /128 (RFC 6164).
    public var hasHostRange: Bool { length <= address.bitCount - 2 }

    /// Whether the two networks share an address (the shorter one contains the other's network).
    public func overlaps(_ other: IPPrefix) -> Bool {
        guard address.isV4 == other.address.isV4 else { return false }
        return length <= other.length ? contains(other.address) : other.contains(address)
    }

    /// "192.168.1.1–192.168.1.254" (IPv4), "2001:db8::1–2001:db8::ffff:ffff:ffff:ffff" (IPv6): the usable addresses.
    public var hostRangeText: String {
        var first = network.address.bytes, last = first
        for i in last.indices {
            let bitsBefore = i * 8
            if bitsBefore >= length { last[i] = 0xFF } else if bitsBefore + 8 > length { last[i] |= 0xFF >> UInt8(length - bitsBefore) }
        }
        if hasHostRange {
            first[first.count - 1] += 1
            if address.isV4 { last[last.count - 1] -= 1 }
        }
        func make(_ b: [UInt8]) -> IPAddress { address.isV4 ? .v4(b.reduce(0) { $0 << 8 | UInt32($1) }) : .v6(b) }
        return "\(make(first))–\(make(last))"
    }
}

extension String {
    var trimmingASCIIWhitespace: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" || f == "\n" || f == "\r" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\n" || l == "\r" { s.removeLast() }
        return String(s)
    }
}
