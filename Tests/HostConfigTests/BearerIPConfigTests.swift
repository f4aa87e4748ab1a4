import Testing
@testable import HostConfig

@Suite("A connected bearer's IPv4 configuration on the modem's interface (ModemManager Bearer.Ip4Config, ip(8))")
struct BearerIPConfigTests {
    @Test("static: link up with the MTU, the address, the default route with the mobile metric")
    func staticCommands() {
        let c = BearerIPConfig(interface: "wwan0", method: .static, address: IPAddress("10.64.12.7"), prefixLength: 30,
                               gateway: IPAddress("10.64.12.8"), dns: [IPAddress("10.11.12.13")!], mtu: 1430)
        #expect(c.problem == nil)
        #expect(c.ipCommands == [
            ["link", "set", "dev", "wwan0", "up", "mtu", "1430"],
            ["address", "replace", "10.64.12.7/30", "dev", "wwan0"],
            ["route", "replace", "default", "via", "10.64.12.8", "dev", "wwan0", "metric", "50"],
        ])
        #expect(c.removalCommands.last == ["address", "flush", "dev", "wwan0"])
    }

    @Test("what the station cannot apply is named, and nothing is run")
    func problems() {
        #expect(BearerIPConfig(interface: "ppp0", method: .ppp).problem?.contains("PPP") == true)
        #expect(BearerIPConfig(interface: "wwan0", method: .dhcp).problem?.contains("DHCP") == true)
        #expect(BearerIPConfig(interface: "wwan0", method: .static, address: IPAddress("10.0.0.1"), prefixLength: nil).ipCommands == [])
        #expect(BearerIPConfig(interface: "../etc", method: .static, address: IPAddress("10.0.0.1"), prefixLength: 8).problem != nil)
        #expect(BearerIPConfig(interface: "wwan0 up", method: .static, address: IPAddress("10.0.0.1"), prefixLength: 8).ipCommands == [])
        #expect(!BearerIPConfig.isInterfaceName(String(repeating: "w", count: 16)))
    }
}
