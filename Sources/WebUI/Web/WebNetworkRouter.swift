import FoundationEssentials
import ChargePoint

/// The Network page's "DHCP server and WAN router" card (seeds/004 §4 "3.2 Gateway Configuratie"): the DHCP server's
/// state with what to check when it failed, the service interface with its address and pool, the clients that have a
/// lease (MAC, IP, host name, expiry), and the WAN router's state. The settings are the parameters of the section of
/// the same name further down the page; this card shows what the station made of them.
extension WebInterface {
    struct ServicePortCard {
        struct LeaseRow {
            var mac: String
            var ip: String
            var hostname: String
            var expires: String
        }

        var dhcpState: String
        var dhcpClass: String
        var dhcpMessage: String?
        var interface: String
        var pool: String?
        var leases: [LeaseRow]
        var hasLeases: Bool
        var routerState: String
        var routerClass: String
        var routerMessage: String?
        var uplink: String
    }

    func servicePortCard(t: [String: String]) async -> ServicePortCard? {
        guard let s = await station.dhcpStatus() else { return nil }
        let tz = await Self.timeZone(station)
        func badge(_ state: String) -> String {
            switch state {
            case "running", "active": "ok"
            case "failed": "blocked"
            case "starting": "restart"
            default: "muted"
            }
        }
        let leases = s.leases.map { l in
            ServicePortCard.LeaseRow(mac: l.mac, ip: l.ip, hostname: l.hostname ?? "–",
                                     expires: l.expiresAt.map { WebHTTP.time($0, tz: tz) } ?? (t["dhcp.infinite"] ?? "∞"))
        }
        return ServicePortCard(
            dhcpState: t["dhcp.state.\(s.stateName)"] ?? s.stateName, dhcpClass: badge(s.stateName),
            dhcpMessage: s.message, interface: s.address.isEmpty ? s.interface : "\(s.interface) · \(s.address)",
            pool: s.poolFirst.flatMap { first in s.poolLast.map { "\(first) – \($0)" } },
            leases: leases, hasLeases: !leases.isEmpty,
            routerState: t["dhcp.router.\(s.router.stateName)"] ?? s.router.stateName, routerClass: badge(s.router.stateName),
            routerMessage: s.router.message, uplink: s.router.uplink)
    }
}
