#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HostConfig

/// The service port's DHCP server and the WAN router as the Network page and `GET /api/network/dhcp` show them
/// (seeds/004 §4 "3.2 Gateway Configuratie"): the server's state with what to check when it failed, its leases, and
/// the router's state.
public struct DHCPRouterStatus: Sendable, Codable, Equatable {
    /// One client with its address (dnsmasq's lease file).
    public struct Lease: Sendable, Codable, Equatable {
        public var mac: String
        public var ip: String
        /// The name the client sent, if any.
        public var hostname: String?
        /// When the lease ends; nil for an infinite one.
        public var expiresAt: Date?

        public init(mac: String, ip: String, hostname: String?, expiresAt: Date?) {
            self.mac = mac; self.ip = ip; self.hostname = hostname; self.expiresAt = expiresAt
        }

        public init(_ l: DHCPLease) {
            self.init(mac: l.mac, ip: l.address.description, hostname: l.hostname,
                      expiresAt: l.expiresEpochSeconds.map { Date(timeIntervalSince1970: Double($0)) })
        }
    }

    public struct Router: Sendable, Codable, Equatable {
        public var state: RouterState
        public var uplink: String
        public var message: String?

        public init(state: RouterState, uplink: String, message: String?) { self.state = state; self.uplink = uplink; self.message = message }

        /// The state's name (`off`, `active`, `failed`), for adapters that do not import HostConfig.
        public var stateName: String { state.rawValue }
    }

    public var state: DHCPServerState
    /// Why the server failed, or what to check.
    public var message: String?
    /// The service interface and the station's address on it.
    public var interface: String
    public var address: String
    /// The first and last address of the pool.
    public var poolFirst: String?
    public var poolLast: String?
    public var leases: [Lease]
    public var router: Router

    public init(state: DHCPServerState, message: String?, interface: String, address: String, poolFirst: String?, poolLast: String?,
                leases: [Lease], router: Router) {
        self.state = state; self.message = message; self.interface = interface; self.address = address
        self.poolFirst = poolFirst; self.poolLast = poolLast; self.leases = leases; self.router = router
    }

    /// The DHCP server state's name (`off`, `starting`, `running`, `failed`), for adapters that do not import HostConfig.
    public var stateName: String { state.rawValue }

    /// Both off, as a station without the service reports (and the factory setting).
    public static func off(_ p: ParameterSet) -> DHCPRouterStatus {
        let s = RouterSettings(p)
        return DHCPRouterStatus(state: .off, message: nil, interface: s.interface, address: p[.dhcpServerAddress],
                                poolFirst: nil, poolLast: nil, leases: [],
                                router: .init(state: .off, uplink: p[.wanRouterUplinkInterface], message: nil))
    }
}
