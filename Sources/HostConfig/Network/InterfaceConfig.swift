/// One network interface's configuration as the Network page edits it (seeds/002 §1.4 "Interfaces": IPv4 and IPv6,
/// each "Auto (DHCP)" or "Manual" with address, netmask, gateway and DNS; seeds/004 §3.2 "Modus voor
/// netwerkconfiguratie: Auto (DHCP-client) of Handmatige configuratie" with "Statische netwerkconfiguratie IP,
/// netmasker, gateway, DNS"). A validated value: a manual address always carries its prefix, so an address outside its
/// own prefix cannot be expressed; ``InterfaceForm/validate(others:)`` is the only way from typed text to this value.
public struct InterfaceConfig: Sendable, Hashable {
    /// The kernel's interface name (`eth0`, `enp1s0`).
    public var name: String
    public var ipv4: IPv4
    public var ipv6: IPv6

    public init(name: String, ipv4: IPv4 = IPv4(), ipv6: IPv6 = IPv6()) { self.name = name; self.ipv4 = ipv4; self.ipv6 = ipv6 }

    /// IPv4: DHCP client (the seeds' default, "Auto (DHCP)") or a static address.
    public struct IPv4: Sendable, Hashable {
        public enum Method: String, Sendable, CaseIterable { case dhcp, manual }
        public var method: Method
        /// The station's address with its prefix length (Manual only).
        public var address: IPPrefix?
        /// The default gateway (Manual only; DHCP brings its own).
        public var gateway: IPAddress?
        /// Name servers, used with either method (with DHCP in addition to the ones it brings).
        public var dns: [IPAddress]

        public init(method: Method = .dhcp, address: IPPrefix? = nil, gateway: IPAddress? = nil, dns: [IPAddress] = []) {
            self.method = method; self.address = address; self.gateway = gateway; self.dns = dns
        }
    }

    /// IPv6: router advertisements (SLAAC, DHCPv6 when the router says so), a static address, or none at all.
    public struct IPv6: Sendable, Hashable {
        public enum Method: String, Sendable, CaseIterable { case auto, manual, off }
        public var method: Method
        public var address: IPPrefix?
        public var gateway: IPAddress?
        public var dns: [IPAddress]

        public init(method: Method = .auto, address: IPPrefix? = nil, gateway: IPAddress? = nil, dns: [IPAddress] = []) {
            self.method = method; self.address = address; self.gateway = gateway; self.dns = dns
        }
    }

    /// The static addresses this configuration puts on the interface.
    public var staticAddresses: [IPAddress] {
        [ipv4.method == .manual ? ipv4.address?.address : nil, ipv6.method == .manual ? ipv6.address?.address : nil].compactMap { $0 }
    }

    /// The form's text fields for this configuration (what the page shows before any edit).
    public var form: InterfaceForm {
        InterfaceForm(name: name, fields: [
            "ipv4.method": ipv4.method.rawValue,
            "ipv4.address": ipv4.address.map { $0.address.description } ?? "",
            "ipv4.prefix": ipv4.address.map { String($0.length) } ?? "",
            "ipv4.gateway": ipv4.gateway?.description ?? "",
            "ipv4.dns": ipv4.dns.map(\.description).joined(separator: ", "),
            "ipv6.method": ipv6.method.rawValue,
            "ipv6.address": ipv6.address.map { $0.address.description } ?? "",
            "ipv6.prefix": ipv6.address.map { String($0.length) } ?? "",
            "ipv6.gateway": ipv6.gateway?.description ?? "",
            "ipv6.dns": ipv6.dns.map(\.description).joined(separator: ", "),
        ])
    }
}

/// What the operating system reports about an interface next to its configuration: the Network page shows it beside
/// the editable card, and the change guard reads the addresses the browser may be using.
public struct InterfaceState: Sendable, Hashable {
    public var name: String
    /// Addresses with prefixes, as the kernel has them now (static, from DHCP or SLAAC).
    public var addresses: [IPPrefix]
    /// Administratively up.
    public var up: Bool
    /// A cable with a link partner (IFF_LOWER_UP, NetworkManager's carrier, networkd's carrier state).
    public var carrier: Bool
    /// The service's own word for the state ("routable", "configured", "activated", "unavailable" …).
    public var serviceState: String
    /// The DHCPv4 lease's address and server, when DHCP gave one.
    public var dhcpLease: String?
    /// The configuration the service holds for it (nil: the service does not manage it, or it has none).
    public var config: InterfaceConfig?

    public init(name: String, addresses: [IPPrefix] = [], up: Bool = false, carrier: Bool = false, serviceState: String = "",
                dhcpLease: String? = nil, config: InterfaceConfig? = nil) {
        self.name = name; self.addresses = addresses; self.up = up; self.carrier = carrier; self.serviceState = serviceState
        self.dhcpLease = dhcpLease; self.config = config
    }
}

/// A field that was refused: which one (`ipv4.gateway`), and a sentence that says what is allowed.
public struct InterfaceFieldError: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(field: String, message: String) { self.field = field; self.message = message }
    public var description: String { "\(field): \(message)" }
}

/// Every refused field of one form at once (the page shows each next to its field).
public struct InterfaceConfigErrors: Error, Sendable, Hashable, CustomStringConvertible {
    public var errors: [InterfaceFieldError]
    public init(_ errors: [InterfaceFieldError]) { self.errors = errors }
    /// By field, the first message of each.
    public var byField: [String: String] {
        var result: [String: String] = [:]
        for e in errors where result[e.field] == nil { result[e.field] = e.message }
        return result
    }
    public var description: String { errors.map(\.description).joined(separator: "; ") }
}
