/// The IPv4 configuration of a connected bearer as ModemManager reports it (ModemManager API reference,
/// "org.freedesktop.ModemManager1.Bearer" property `Ip4Config`: method, address, prefix, gateway, dns1–dns3, mtu) and
/// the `ip` commands (iproute2, ip-address(8), ip-route(8)) that put it on the modem's network interface. ModemManager
/// connects the bearer but leaves the interface to whoever manages the network; on a station without NetworkManager
/// the station does it.
public struct BearerIPConfig: Sendable, Equatable {
    /// MMBearerIpMethod.
    public enum Method: Int, Sendable { case unknown = 0, ppp = 1, `static` = 2, dhcp = 3 }

    public var interface: String
    public var method: Method
    public var address: IPAddress?
    public var prefixLength: Int?
    public var gateway: IPAddress?
    public var dns: [IPAddress]
    public var mtu: Int?

    public init(interface: String, method: Method, address: IPAddress? = nil, prefixLength: Int? = nil, gateway: IPAddress? = nil,
                dns: [IPAddress] = [], mtu: Int? = nil) {
        self.interface = interface; self.method = method; self.address = address; self.prefixLength = prefixLength
        self.gateway = gateway; self.dns = dns; self.mtu = mtu
    }

    /// The route metric of the mobile default route: below the usual metrics of DHCP on Ethernet (100 and more), so
    /// that with Connection Type GSM the backend traffic takes the modem while the LAN stays connected (seeds/004 §1.3).
    public static let routeMetric = 50

    /// Why this configuration cannot be applied by the station, or nil.
    public var problem: String? {
        guard Self.isInterfaceName(interface) else { return "the bearer names no usable network interface (\(interface))" }
        switch method {
        case .static:
            guard let address, address.isV4, let prefixLength, (1...32).contains(prefixLength) else {
                return "the bearer's IPv4 address or prefix is missing or invalid"
            }
            if let gateway, !gateway.isV4 { return "the bearer's gateway is no IPv4 address" }
            return nil
        case .ppp: return "the modem connects over PPP, which needs NetworkManager (or pppd) to manage it"
        case .dhcp: return "the modem hands out its address by DHCP, which needs NetworkManager (or a DHCP client) on \(interface)"
        case .unknown: return "ModemManager reports no IP method for the bearer"
        }
    }

    /// The `ip` argument lists that configure the interface (replace, so that running them again changes nothing).
    public var ipCommands: [[String]] {
        guard problem == nil, let address, let prefixLength else { return [] }
        var commands: [[String]] = [["link", "set", "dev", interface, "up"] + (mtu.map { ["mtu", String($0)] } ?? [])]
        commands.append(["address", "replace", "\(address)/\(prefixLength)", "dev", interface])
        if let gateway {
            commands.append(["route", "replace", "default", "via", gateway.description, "dev", interface, "metric", String(Self.routeMetric)])
        } else {
            commands.append(["route", "replace", "default", "dev", interface, "metric", String(Self.routeMetric)])
        }
        return commands
    }

    /// The commands that take the configuration off the interface again (back to LAN).
    public var removalCommands: [[String]] {
        guard Self.isInterfaceName(interface) else { return [] }
        return [["route", "del", "default", "dev", interface, "metric", String(Self.routeMetric)], ["address", "flush", "dev", interface]]
    }

    /// A Linux interface name: 1–15 characters, no slash, no whitespace (IFNAMSIZ − 1; dev_valid_name).
    public static func isInterfaceName(_ name: String) -> Bool {
        (1...15).contains(name.utf8.count) && name != "." && name != ".." && !name.contains { $0 == "/" || $0 == ":" || $0.isWhitespace }
    }
}
