import DBus

/// An interface's configuration as NetworkManager's connection settings (`a{sa{sv}}`), as the NetworkManager D-Bus API
/// reference 1.42.4 (Debian 12's NetworkManager) describes them under "Settings": the `connection` group (`id`,
/// `uuid`, `type` 802-3-ethernet, `interface-name`, `autoconnect`), `ipv4` (`method` auto|manual, `address-data` as an
/// array of `{address: s, prefix: u}`, `gateway` s, `dns` au) and `ipv6` (`method` auto|manual|disabled, `address-data`,
/// `gateway`, `dns` aay). NetworkManager's IPv4 `dns` entries are in_addr_t values passed through as uint32 — the
/// address's network-order bytes read as the (little-endian) host reads memory, so 192.168.1.1 is 0x0101A8C0.
public enum NetworkManagerSettings {
    public typealias Groups = [String: [String: DBusValue]]

    /// The connection's name in NetworkManager (`nmcli con show` lists it): `chargekit-eth0`.
    public static func connectionID(for interface: String) -> String { "chargekit-\(interface)" }

    /// The settings groups for `config`. `existing` is the connection's current settings (GetSettings), whose other
    /// groups and keys are kept (802-3-ethernet's MAC address, the connection's zone …); the ipv4/ipv6 keys ChargeKit
    /// edits are replaced, and the deprecated `addresses` (which NetworkManager would prefer) removed. `uuid` is used
    /// when `existing` has none (a new connection; the runtime draws it).
    public static func groups(for config: InterfaceConfig, existing: Groups? = nil, uuid: String) -> Groups {
        var g = existing ?? [:]
        var connection = g["connection"] ?? [:]
        if connection["uuid"]?.string == nil { connection["uuid"] = .string(uuid) }
        if connection["id"]?.string == nil { connection["id"] = .string(connectionID(for: config.name)) }
        if connection["type"]?.string == nil { connection["type"] = .string("802-3-ethernet") }
        connection["interface-name"] = .string(config.name)
        connection["autoconnect"] = .boolean(true)
        g["connection"] = connection

        var v4 = g["ipv4"] ?? [:]
        for key in ["addresses", "address-data", "gateway", "dns"] { v4[key] = nil }
        v4["method"] = .string(config.ipv4.method == .dhcp ? "auto" : "manual")
        if config.ipv4.method == .manual, let a = config.ipv4.address {
            v4["address-data"] = addressData([a])
            if let gw = config.ipv4.gateway { v4["gateway"] = .string(gw.description) }
        }
        v4["dns"] = .array(elementSignature: "u", config.ipv4.dns.map { .uint32(inAddr($0)) })
        g["ipv4"] = v4

        var v6 = g["ipv6"] ?? [:]
        for key in ["addresses", "address-data", "gateway", "dns"] { v6[key] = nil }
        v6["method"] = .string(config.ipv6.method == .auto ? "auto" : config.ipv6.method == .manual ? "manual" : "disabled")
        if config.ipv6.method == .manual, let a = config.ipv6.address {
            v6["address-data"] = addressData([a])
            if let gw = config.ipv6.gateway { v6["gateway"] = .string(gw.description) }
        }
        v6["dns"] = .array(elementSignature: "ay", (config.ipv6.method == .off ? [] : config.ipv6.dns).map { bytes($0) })
        g["ipv6"] = v6
        return g
    }

    /// The groups as the one D-Bus value `a{sa{sv}}` (AddConnection, Update2, AddAndActivateConnection take it).
    public static func value(_ groups: Groups) -> DBusValue {
        .array(elementSignature: "{sa{sv}}", groups.sorted { $0.key < $1.key }.map { .dictEntry(.string($0.key), .stringVariantDictionary($0.value)) })
    }

    /// The groups of a reply's `a{sa{sv}}` (GetSettings, GetAppliedConnection), inner variants unwrapped; nil for another type.
    public static func groups(_ value: DBusValue) -> Groups? {
        guard let outer = value.dictionary else { return nil }
        var result: Groups = [:]
        for (name, inner) in outer {
            guard let keys = inner.dictionary else { return nil }
            result[name] = keys.mapValues(\.unwrapped)
        }
        return result
    }

    /// The configuration held in a connection's settings; nil when it has no usable interface name (`interface-name`,
    /// or `fallbackName`: the device it is applied to). Unknown methods (`link-local`, `shared`, `ignore`) read as the
    /// nearest the page offers (DHCP, auto, off).
    public static func config(from g: Groups, fallbackName: String? = nil) -> InterfaceConfig? {
        guard let name = g["connection"]?["interface-name"]?.string.flatMap({ $0.isEmpty ? nil : $0 }) ?? fallbackName else { return nil }
        var c = InterfaceConfig(name: name)
        let v4 = g["ipv4"] ?? [:], v6 = g["ipv6"] ?? [:]
        if v4["method"]?.string == "manual", let a = addresses(v4, v4: true).first {
            c.ipv4 = .init(method: .manual, address: a, gateway: v4["gateway"]?.string.flatMap(IPAddress.init))
        }
        c.ipv4.dns = (v4["dns"]?.elements ?? []).compactMap { $0.int.map { fromInAddr(UInt32(truncatingIfNeeded: $0)) } }
        switch v6["method"]?.string {
        case "manual":
            if let a = addresses(v6, v4: false).first {
                c.ipv6 = .init(method: .manual, address: a, gateway: v6["gateway"]?.string.flatMap(IPAddress.init))
            }
        case "disabled", "ignore": c.ipv6 = .init(method: .off)
        default: break
        }
        if c.ipv6.method != .off {
            c.ipv6.dns = (v6["dns"]?.elements ?? []).compactMap { e in
                let b = (e.elements ?? []).compactMap { $0.int.map(UInt8.init(truncatingIfNeeded:)) }
                return b.count == 16 ? .v6(b) : nil
            }
        }
        return c
    }

    static func addressData(_ prefixes: [IPPrefix]) -> DBusValue {
        .array(elementSignature: "a{sv}", prefixes.map {
            .stringVariantDictionary(["address": .string($0.address.description), "prefix": .uint32(UInt32($0.length))])
        })
    }

    /// `address-data`, else the deprecated `addresses` (IPv4 `aau` in in_addr_t order, IPv6 `a(ayuay)`).
    static func addresses(_ group: [String: DBusValue], v4: Bool) -> [IPPrefix] {
        if let data = group["address-data"]?.elements, !data.isEmpty {
            return data.compactMap { d in
                guard let e = d.dictionary, let a = e["address"]?.string.flatMap(IPAddress.init), let n = e["prefix"]?.int else { return nil }
                return IPPrefix(address: a, length: n)
            }
        }
        return (group["addresses"]?.elements ?? []).compactMap { entry in
            if v4 {
                guard let parts = entry.elements, parts.count >= 2, let a = parts[0].int, let n = parts[1].int else { return nil }
                return IPPrefix(address: fromInAddr(UInt32(truncatingIfNeeded: a)), length: n)
            }
            guard let f = entry.fields, f.count >= 2, let b = f[0].elements?.compactMap({ $0.int.map(UInt8.init(truncatingIfNeeded:)) }),
                  b.count == 16, let n = f[1].int else { return nil }
            return IPPrefix(address: .v6(b), length: n)
        }
    }

    /// in_addr_t as NetworkManager's uint32 (see the type's note).
    public static func inAddr(_ a: IPAddress) -> UInt32 {
        let b = a.bytes
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
    }

    public static func fromInAddr(_ v: UInt32) -> IPAddress {
        .v4(UInt32(v & 0xFF) << 24 | UInt32(v >> 8 & 0xFF) << 16 | UInt32(v >> 16 & 0xFF) << 8 | UInt32(v >> 24))
    }

    static func bytes(_ a: IPAddress) -> DBusValue { .array(elementSignature: "y", a.bytes.map { .byte($0) }) }
}
