#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HostConfig
import Parameters

private typealias K = StationParameters

/// The service port's DHCP server and the WAN router (menu Network, section "DHCP server and WAN router"; issue 24
/// item 2). seeds/004 §4 "3.2 Gateway Configuratie", scenario 1: with "Modus voor netwerkconfiguratie: DHCP-server" the
/// controller takes 172.16.23.1 with netmask 255.255.255.0 and leases 172.16.23.100–172.16.23.254 (.2–.99 stay for
/// static addresses); "WAN-router: Aan" makes it the gateway and DNS relay of that network, sharing its uplink (GSM in
/// the seed). Both are Off by default — nothing listens and nothing is forwarded until an installer switches them on —
/// and a change takes effect at once (the DHCP/router service follows the parameters), not only after a restart.
///
/// The pool is given as host numbers inside the service address's prefix (the seed's ".100–.254"), so that moving the
/// network (another address or prefix) does not invalidate the pool in between.
extension StationParameters {
    public static let dhcpServer = "DHCPServer"
    public static let dhcpServerInterface = "DHCPServerInterface"
    public static let dhcpServerAddress = "DHCPServerAddress"
    public static let dhcpServerPoolStart = "DHCPServerPoolStart"
    public static let dhcpServerPoolEnd = "DHCPServerPoolEnd"
    public static let dhcpServerLeaseMinutes = "DHCPServerLeaseMinutes"
    public static let wanRouter = "WANRouter"
    public static let wanRouterUplinkInterface = "WANRouterUplinkInterface"

    static let routerSection = "DHCP server and WAN router"
    static let interfaceCharacters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."

    /// The service address's own format check (``ParameterRules/textChecks``): IPv4 `address/prefix`.
    static let routerTextChecks: [String: @Sendable (String) -> String?] = [
        dhcpServerAddress: { text in
            guard let p = IPPrefix(text), p.address.isV4, (8...30).contains(p.length) else {
                return "an IPv4 address with its prefix length 8–30, e.g. 172.16.23.1/24"
            }
            return nil
        },
    ]

    /// The rules between the service address and the pool (the pool's host numbers in order, inside the prefix, not the
    /// station's own), and between the two interfaces (the uplink is not the service interface).
    static let routerConstraints: [ParameterConstraint] = [
        ParameterConstraint(keys: [dhcpServerAddress, dhcpServerPoolStart, dhcpServerPoolEnd]) { p in
            guard let address = IPPrefix(p[.dhcpServerAddress]) else { return nil }  // its own text check answers
            let (start, end) = (p[.dhcpServerPoolStart], p[.dhcpServerPoolEnd])
            guard let problem = DHCPServerConfiguration.problems(address: address, poolStart: start, poolEnd: end).first else { return nil }
            let last = address.length <= 30 ? (1 << (32 - address.length)) - 2 : 0
            let own = DHCPServerConfiguration.hostNumber(of: address) ?? 0
            return (allowed: "\(dhcpServerPoolStart) ≤ \(dhcpServerPoolEnd), both within 1–\(last) for /\(address.length), not \(own) (the station's own address \(address.address))",
                    message: "\(problem) (\(dhcpServerAddress) \(address), \(dhcpServerPoolStart) \(start), \(dhcpServerPoolEnd) \(end))")
        },
        ParameterConstraint(keys: [dhcpServerInterface, wanRouterUplinkInterface]) { p in
            guard p[.dhcpServerInterface] == p[.wanRouterUplinkInterface] else { return nil }
            return (allowed: "an interface other than \(dhcpServerInterface) (\(p[.dhcpServerInterface]))",
                    message: "the uplink cannot be the service interface \(p[.dhcpServerInterface]) itself (\(wanRouterUplinkInterface), \(dhcpServerInterface))")
        },
    ]

    static let routerDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .dhcpServer, label: "DHCP server", type: .bool, defaultValue: .bool(false), role: .installer, menu: .network,
            section: routerSection,
            help: "Lease addresses to the charge points and laptops on the service interface (dnsmasq, started and supervised by the station). Off (factory setting): nothing listens.",
            seeAlso: "seeds/004 §4 3.2 Gateway Configuratie, Modus voor netwerkconfiguratie: DHCP-server"),
        ParameterDefinition(
            key: .dhcpServerInterface, label: "Service interface", type: .string(length: 1...15, allowed: interfaceCharacters),
            defaultValue: .string("eth0"), role: .installer, menu: .network, section: routerSection,
            help: "The network interface of the LAN the DHCP server serves and the WAN router shares the uplink with (e.g. eth0). The station gives it the service address if it lacks it.",
            seeAlso: "seeds/004 §1.4, §4 3.2 Gateway Configuratie"),
        ParameterDefinition(
            key: .dhcpServerAddress, label: "Service address", type: .string(length: 9...18, allowed: "0123456789./"),
            defaultValue: .string("172.16.23.1/24"), role: .installer, menu: .network, section: routerSection,
            help: "The station's address on the service interface with the network's prefix length; the clients' gateway and DNS server in router mode.",
            seeAlso: "seeds/004 §4 3.2 Gateway Configuratie: IP-adres 172.16.23.1, netmasker 255.255.255.0"),
        ParameterDefinition(
            key: .dhcpServerPoolStart, label: "Pool start (host number)", type: .integer(1...65534, unit: nil),
            defaultValue: .integer(100), role: .installer, menu: .network, section: routerSection,
            help: "The first leased address as its host number in the service network: 100 is 172.16.23.100. Addresses below stay free for static ones.",
            seeAlso: "seeds/004 §4 3.2 Gateway Configuratie: 172.16.23.100-172.16.23.254"),
        ParameterDefinition(
            key: .dhcpServerPoolEnd, label: "Pool end (host number)", type: .integer(1...65534, unit: nil),
            defaultValue: .integer(254), role: .installer, menu: .network, section: routerSection,
            help: "The last leased address as its host number: 254 is 172.16.23.254. At least the pool start, below the network's broadcast address.",
            seeAlso: "seeds/004 §4 3.2 Gateway Configuratie"),
        ParameterDefinition(
            key: .dhcpServerLeaseMinutes, label: "Lease time [min]", type: .integer(2...10080, unit: "min"),
            defaultValue: .integer(60), role: .installer, menu: .network, section: routerSection,
            help: "How long a client may keep its address without renewing it (clients renew after half of it).",
            seeAlso: "RFC 2131 §3.3"),
        ParameterDefinition(
            key: .wanRouter, label: "WAN router", type: .bool, defaultValue: .bool(false), role: .installer, menu: .network,
            section: routerSection,
            help: "Share the uplink with the devices on the service interface: forwarding on, their traffic masqueraded behind the station's uplink address, nothing opened from the uplink side. With the DHCP server on, clients get the station as gateway and DNS server.",
            seeAlso: "seeds/004 §1.4, §4 3.2 Gateway Configuratie: WAN-router Aan"),
        ParameterDefinition(
            key: .wanRouterUplinkInterface, label: "Uplink interface", type: .string(length: 1...15, allowed: interfaceCharacters),
            defaultValue: .string("wwan0"), role: .installer, menu: .network, section: routerSection,
            help: "The interface towards the internet or the backend (the mobile modem's wwan0, or a second Ethernet port).",
            seeAlso: "seeds/004 §4 3.1 GSM-netwerkverbinding, 3.2 Gateway Configuratie"),
    ]
}

extension ParameterKey {
    public static var dhcpServer: ParameterKey<Bool> { .init(K.dhcpServer, .bool) }
    public static var dhcpServerInterface: ParameterKey<String> { .init(K.dhcpServerInterface, .text) }
    public static var dhcpServerAddress: ParameterKey<String> { .init(K.dhcpServerAddress, .text) }
    public static var dhcpServerPoolStart: ParameterKey<Int> { .init(K.dhcpServerPoolStart, .integer) }
    public static var dhcpServerPoolEnd: ParameterKey<Int> { .init(K.dhcpServerPoolEnd, .integer) }
    public static var dhcpServerLeaseMinutes: ParameterKey<Int> { .init(K.dhcpServerLeaseMinutes, .integer) }
    public static var wanRouter: ParameterKey<Bool> { .init(K.wanRouter, .bool) }
    public static var wanRouterUplinkInterface: ParameterKey<String> { .init(K.wanRouterUplinkInterface, .text) }
}

/// What the DHCP/router service runs, read from the parameters: the DHCP server's configuration (nil while off) and
/// the router's interfaces and network (nil while off).
public struct RouterSettings: Sendable, Equatable {
    public struct Router: Sendable, Equatable {
        public var lan: String
        public var uplink: String
        public var network: IPPrefix
    }

    public var dhcp: DHCPServerConfiguration?
    public var router: Router?
    /// The service interface and its address, which either needs on the interface.
    public var interface: String
    public var address: IPPrefix?
    /// Why the stored values cannot be used although a function is on (a configuration from before the rules).
    public var problem: String?

    public init(_ p: ParameterSet) {
        interface = p[.dhcpServerInterface]
        address = IPPrefix(p[.dhcpServerAddress])
        let wanted = p[.dhcpServer] || p[.wanRouter]
        guard wanted, let address else {
            problem = wanted ? "\(StationParameters.dhcpServerAddress) \(p[.dhcpServerAddress]) is not an IPv4 address with its prefix" : nil
            return
        }
        let c = DHCPServerConfiguration(interface: interface, address: address, poolStart: p[.dhcpServerPoolStart],
                                        poolEnd: p[.dhcpServerPoolEnd], leaseSeconds: p[.dhcpServerLeaseMinutes] * 60,
                                        routerMode: p[.wanRouter])
        if let problem = c.problem { self.problem = problem; return }
        if p[.dhcpServer] { dhcp = c }
        if p[.wanRouter] {
            if p[.wanRouterUplinkInterface] == interface {
                problem = "the uplink cannot be the service interface \(interface)"
            } else {
                router = Router(lan: interface, uplink: p[.wanRouterUplinkInterface], network: c.network)
            }
        }
    }
}
