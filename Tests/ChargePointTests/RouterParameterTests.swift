import Foundation
import Testing
import HostConfig
import TestSupport
@testable import ChargePoint

/// The DHCP server and WAN router parameters (seeds/004 §4 "3.2 Gateway Configuratie", issue 24 item 2): the seed's
/// defaults, off by default, and the rules between the address, the pool and the interfaces with errors naming fields.
@Suite("DHCP server and WAN router parameters (seeds/004 §4)")
struct RouterParameterTests {
    let t0 = Date(timeIntervalSince1970: 1_796_478_970)

    @Test("seeds/004 §4: 172.16.23.1/24, pool .100–.254; both off by default (nothing listens, nothing forwarded)")
    func seeds004_4_defaultsAreTheSeedsAndOff() throws {
        let service = try ParameterService(store: InMemoryParameterStore())
        let p = service.values
        #expect(p[.dhcpServer] == false && p[.wanRouter] == false)
        #expect(p[.dhcpServerAddress] == "172.16.23.1/24" && p[.dhcpServerPoolStart] == 100 && p[.dhcpServerPoolEnd] == 254)
        let off = RouterSettings(p)
        #expect(off.dhcp == nil && off.router == nil && off.problem == nil)
        var on = p
        on.set(StationParameters.dhcpServer, .bool(true))
        on.set(StationParameters.wanRouter, .bool(true))
        let s = RouterSettings(on)
        #expect(s.dhcp == DHCPServerConfiguration(interface: "eth0", address: IPPrefix("172.16.23.1/24")!, poolStart: 100, poolEnd: 254,
                                                  leaseSeconds: 3600, routerMode: true))
        #expect(s.router == RouterSettings.Router(lan: "eth0", uplink: "wwan0", network: IPPrefix("172.16.23.0/24")!))
    }

    @Test("the pool is checked against the address: start ≤ end, inside the prefix, not the station's own — the error names the field")
    func seeds004_4_poolValidatedAgainstAddress() throws {
        var service = try ParameterService(store: InMemoryParameterStore())
        func refused(_ changes: [(String, String)], field: String, saying words: String) {
            do {
                try service.set(texts: changes.map { (key: $0.0, text: $0.1) }, role: .installer, changedBy: "t", now: t0)
                Issue.record("accepted \(changes)")
            } catch let e as ParameterBatchError {
                let message = e.errors[field]?.message ?? ""
                #expect(message.hasPrefix(field) && message.contains(words), "\(message)")
            } catch { Issue.record("\(error)") }
        }
        refused([(StationParameters.dhcpServerPoolStart, "200"), (StationParameters.dhcpServerPoolEnd, "150")],
                field: StationParameters.dhcpServerPoolEnd, saying: "first host number (200) is above its last (150)")
        refused([(StationParameters.dhcpServerPoolEnd, "255")], field: StationParameters.dhcpServerPoolEnd, saying: "host numbers 1–254")
        refused([(StationParameters.dhcpServerAddress, "172.16.23.120/24")], field: StationParameters.dhcpServerAddress,
                saying: "own address 172.16.23.120 (host 120) lies in the pool 100–254")
        refused([(StationParameters.dhcpServerAddress, "172.16.23.1")], field: StationParameters.dhcpServerAddress, saying: "prefix length")
        refused([(StationParameters.dhcpServerAddress, "172.16.23.1/31")], field: StationParameters.dhcpServerAddress, saying: "prefix length")
        refused([(StationParameters.wanRouterUplinkInterface, "eth0")], field: StationParameters.wanRouterUplinkInterface,
                saying: "cannot be the service interface eth0")
        refused([(StationParameters.dhcpServerInterface, "eth0; reboot")], field: StationParameters.dhcpServerInterface, saying: "1 to 15 characters")
        // Moving the network together with a pool that only fits the new prefix is one form's change.
        try service.set(texts: [(StationParameters.dhcpServerAddress, "10.20.0.1/16"), (StationParameters.dhcpServerPoolEnd, "1000")],
                        role: .installer, changedBy: "t", now: t0)
        #expect(service.values[.dhcpServerPoolEnd] == 1000)
        // The operator may not switch the DHCP server on: it is an installer's setting.
        #expect(throws: ParameterError.self) {
            try service.set(StationParameters.dhcpServer, .bool(true), role: .operator, changedBy: "t", now: t0)
        }
    }
}
