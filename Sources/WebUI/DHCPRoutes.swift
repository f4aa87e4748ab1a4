import FoundationEssentials
import Hummingbird
import ChargePoint

/// The service port's DHCP server and WAN router as an API call (seeds/004 §4 "3.2 Gateway Configuratie"; API parity
/// with the Network page's section): state, what to check when it failed, the leases, and the router's state.
extension StationAPI {
    static func addDHCPRoutes(_ router: Router<WebRequestContext>, _ station: any StationService) {
        router.get("api/network/dhcp") { _, _ in
            guard let status = await station.dhcpStatus() else {
                return error(.notFound, "this station runs no DHCP server or router service")
            }
            return json(status)
        }
    }
}
