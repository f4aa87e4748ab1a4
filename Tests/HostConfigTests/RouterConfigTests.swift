import Testing
@testable import HostConfig

/// The service port's DHCP server and WAN router as text (seeds/004 §4 "3.2 Gateway Configuratie"): dnsmasq's
/// configuration, its lease file, the nftables ruleset, the pool rules and the restart back-off.
@Suite("DHCP server and WAN router configuration (seeds/004 §4)")
struct RouterConfigTests {
    let paths = DHCPServerPaths(directory: "/var/lib/chargekit/")
    var seedDefaults: DHCPServerConfiguration {
        DHCPServerConfiguration(interface: "eth0", address: IPPrefix("172.16.23.1/24")!, poolStart: 100, poolEnd: 254,
                                leaseSeconds: 3600, routerMode: false)
    }

    @Test("seeds/004 §4: 172.16.23.1/24 leasing .100–.254, bound to the service interface only, no DNS without the router")
    func seeds004_4_dnsmasqConfigurationGolden() {
        #expect(DnsmasqConfiguration.render(seedDefaults, paths: paths) == """
            # Written by ChargeKit from its parameters (DHCPServer*, WANRouter); changes here are overwritten.
            interface=eth0
            except-interface=lo
            bind-interfaces
            dhcp-range=172.16.23.100,172.16.23.254,255.255.255.0,3600
            dhcp-authoritative
            dhcp-leasefile=/var/lib/chargekit/dnsmasq.leases
            pid-file=/var/lib/chargekit/dnsmasq.pid
            log-facility=-
            port=0
            no-resolv
            dhcp-option=3
            dhcp-option=6

            """)
    }

    @Test("seeds/004 §4: with the WAN router the station is the clients' gateway and DNS relay (172.16.23.1)")
    func seeds004_4_routerModeOffersGatewayAndDNS() {
        var c = seedDefaults
        c.routerMode = true
        let text = DnsmasqConfiguration.render(c, paths: paths)
        #expect(text.contains("dhcp-option=3,172.16.23.1\ndhcp-option=6,172.16.23.1\n"))
        #expect(!text.contains("port=0") && !text.contains("no-resolv"))
        #expect(text.contains("interface=eth0\nexcept-interface=lo\nbind-interfaces\n"))
    }

    @Test("a /16 network: host numbers beyond 255 and the netmask follow the prefix")
    func widerPrefix() {
        let c = DHCPServerConfiguration(interface: "lan0", address: IPPrefix("10.20.0.1/16")!, poolStart: 256, poolEnd: 1000,
                                        leaseSeconds: 120, routerMode: false)
        #expect(c.problem == nil)
        #expect(DnsmasqConfiguration.render(c, paths: paths).contains("dhcp-range=10.20.1.0,10.20.3.232,255.255.0.0,120\n"))
        #expect(c.network.description == "10.20.0.0/16")
    }

    @Test("pool rules: in order, inside the prefix, not the station's own address, not network or broadcast")
    func seeds004_4_poolRules() {
        let a = IPPrefix("172.16.23.1/24")!
        #expect(DHCPServerConfiguration.problems(address: a, poolStart: 100, poolEnd: 254).isEmpty)
        #expect(DHCPServerConfiguration.problems(address: a, poolStart: 200, poolEnd: 150).first?.contains("above its last") == true)
        #expect(DHCPServerConfiguration.problems(address: a, poolStart: 100, poolEnd: 255).first?.contains("host numbers 1–254") == true)
        #expect(DHCPServerConfiguration.problems(address: a, poolStart: 1, poolEnd: 99).first?.contains("own address 172.16.23.1") == true)
        #expect(DHCPServerConfiguration.problems(address: IPPrefix("172.16.23.0/24")!, poolStart: 100, poolEnd: 254).first?.contains("network address") == true)
        #expect(DHCPServerConfiguration.problems(address: IPPrefix("172.16.23.255/24")!, poolStart: 100, poolEnd: 254).first?.contains("broadcast") == true)
        #expect(DHCPServerConfiguration.problems(address: IPPrefix("2001:db8::1/64")!, poolStart: 100, poolEnd: 254).first?.contains("IPv4") == true)
        #expect(DHCPServerConfiguration.problems(address: IPPrefix("172.16.23.1/31")!, poolStart: 1, poolEnd: 1).first?.contains("IPv4") == true)
    }

    @Test("dnsmasq's lease file: expiry, MAC, IP, host name, client id; malformed lines skipped and counted")
    func dnsmasqLeaseFileStrict() {
        let text = """
            1796479000 52:54:00:AB:cd:01 172.16.23.150 laptop 01:52:54:00:ab:cd:01
            0 52:54:00:ab:cd:02 172.16.23.101 * *
            duid 00:01:00:01:2c:5f:6a:7b:52:54:00:ab:cd:03

            1796479000 52:54:00:ab:cd:04 172.16.23.102 evil;rm * 
            1796479000 52:54:00:ab:cd 172.16.23.103 short-mac *
            1796479000 52:54:00:ab:cd:05 172.16.23.999 bad-ip *
            -5 52:54:00:ab:cd:06 172.16.23.104 negative *
            1796479000 52:54:00:ab:cd:07 fd00::7 v6 *
            1796479000  52:54:00:ab:cd:08 172.16.23.105 double-space *
            1796479000 52:54:00:ab:cd:09 172.16.23.106 cid zz
            1796479000 52:54:00:ab:cd:0a 172.16.23.107
            """
        let parsed = DnsmasqLeaseFile.parse(text)
        #expect(parsed.leases == [
            DHCPLease(expiresEpochSeconds: nil, mac: "52:54:00:ab:cd:02", address: IPAddress("172.16.23.101")!, hostname: nil, clientID: nil),
            DHCPLease(expiresEpochSeconds: 1_796_479_000, mac: "52:54:00:ab:cd:01", address: IPAddress("172.16.23.150")!, hostname: "laptop",
                      clientID: "01:52:54:00:ab:cd:01"),
        ])
        #expect(parsed.skipped == 9)
        #expect(DnsmasqLeaseFile.parse("").leases.isEmpty)
    }

    @Test("nft(8): its own tables replaced in one transaction; LAN to uplink forwarded and masqueraded, nothing opened from the uplink")
    func seeds004_4_routerRulesetGolden() {
        #expect(RouterRuleset.apply(lan: "eth0", uplink: "wwan0", network: IPPrefix("172.16.23.0/24")!) == """
            table inet chargekit
            delete table inet chargekit
            table ip chargekit_nat
            delete table ip chargekit_nat
            table inet chargekit {
            \tchain forward {
            \t\ttype filter hook forward priority filter; policy accept;
            \t\tiifname "eth0" oifname "wwan0" accept
            \t\toifname "eth0" ct state established,related accept
            \t\toifname "eth0" iifname != "eth0" drop
            \t}
            }
            table ip chargekit_nat {
            \tchain postrouting {
            \t\ttype nat hook postrouting priority srcnat; policy accept;
            \t\toifname "wwan0" ip saddr 172.16.23.0/24 masquerade
            \t}
            }

            """)
        #expect(!RouterRuleset.remove.contains("flush"), "never the whole ruleset")
        #expect(RouterRuleset.remove.hasSuffix("delete table ip chargekit_nat\n"))
        #expect(RouterRuleset.isInterfaceName("wwan0") && RouterRuleset.isInterfaceName("enp0s31f6.100"))
        for bad in ["", "eth0\"; flush ruleset", "a very long name0", "..", "eth 0"] { #expect(!RouterRuleset.isInterfaceName(bad), "\(bad)") }
    }

    @Test("restart back-off: at once, then 1, 2, 4 … 60 s; a healthy run of 30 s starts over")
    func restartBackoff() {
        #expect((0...9).map { RestartBackoff.delaySeconds(afterFailures: $0) } == [0, 1, 2, 4, 8, 16, 32, 60, 60, 60])
        var b = RestartBackoff()
        #expect(b.ended(afterRunningSeconds: 0) == 1)
        #expect(b.ended(afterRunningSeconds: 3) == 2)
        #expect(b.ended(afterRunningSeconds: 40) == 1)
        b.reset()
        #expect(b.failures == 0)
    }
}
