import Testing
@testable import HostConfig

@Suite("Interface configuration: the Network page's fields validated (seeds/002 §1.4, seeds/004 §3.2)")
struct InterfaceFormTests {
    func form(_ fields: [String: String], name: String = "eth0") -> InterfaceForm { InterfaceForm(name: name, fields: fields) }

    func errors(_ fields: [String: String], others: [InterfaceConfig] = []) -> [String: String] {
        if case .failure(let e) = form(fields).validate(others: others) { return e.byField }
        return [:]
    }

    @Test("seeds/002 §1.4: Manual IPv4 with address, netmask 255.255.255.0, gateway and primary DNS")
    func seeds002_1_4_manualIPv4WithNetmask() throws {
        let c = try form(["ipv4.method": "manual", "ipv4.address": "192.168.1.20", "ipv4.prefix": "255.255.255.0",
                          "ipv4.gateway": "192.168.1.1", "ipv4.dns": "192.168.1.1, 9.9.9.9", "ipv6.method": "auto"]).validate().get()
        #expect(c.ipv4 == .init(method: .manual, address: IPPrefix("192.168.1.20/24"), gateway: IPAddress("192.168.1.1"),
                                dns: [IPAddress("192.168.1.1")!, IPAddress("9.9.9.9")!]))
        #expect(c.ipv6.method == .auto)
        // The form read back from the value shows the same fields (the length, not the netmask).
        #expect(c.form["ipv4.prefix"] == "24")
        #expect(try c.form.validate().get() == c)
        // address/length in the address field is the same thing.
        #expect(try form(["ipv4.method": "manual", "ipv4.address": "192.168.1.20/24"]).validate().get().ipv4.address == IPPrefix("192.168.1.20/24"))
    }

    @Test("seeds/002 §1.4: Auto (DHCP) needs nothing else; the default of both families")
    func seeds002_1_4_autoDHCP() throws {
        let c = try form([:]).validate().get()
        #expect(c.ipv4.method == .dhcp && c.ipv6.method == .auto && c.staticAddresses.isEmpty)
        // Address fields typed while DHCP is chosen are not applied.
        #expect(try form(["ipv4.method": "dhcp", "ipv4.address": "garbage"]).validate().get().ipv4.address == nil)
    }

    @Test("a gateway outside the interface's prefix is not reachable on the interface, named with the usable range")
    func seeds004_3_2_gatewayNotReachable() {
        let e = errors(["ipv4.method": "manual", "ipv4.address": "192.168.1.20", "ipv4.prefix": "24", "ipv4.gateway": "192.168.2.1"])
        #expect(e == ["ipv4.gateway": "192.168.2.1 is not reachable on the interface: it is outside 192.168.1.0/24; use an address from 192.168.1.1–192.168.1.254"])
        let own = errors(["ipv4.method": "manual", "ipv4.address": "192.168.1.20", "ipv4.prefix": "24", "ipv4.gateway": "192.168.1.20"])
        #expect(own["ipv4.gateway"]?.contains("the station's own address") == true)
        let v6 = errors(["ipv6.method": "manual", "ipv6.address": "2001:db8:1::5", "ipv6.prefix": "64", "ipv6.gateway": "2001:db8:2::1"])
        #expect(v6["ipv6.gateway"]?.contains("not reachable on the interface") == true)
        // A link-local IPv6 router is reachable on every interface.
        #expect(errors(["ipv6.method": "manual", "ipv6.address": "2001:db8:1::5", "ipv6.prefix": "64", "ipv6.gateway": "fe80::1"]).isEmpty)
    }

    @Test("a DNS entry that is not an address of the family is refused and names the field")
    func seeds004_3_2_dnsNotAnAddress() {
        #expect(errors(["ipv4.dns": "dns.google"])["ipv4.dns"] ==
                "'dns.google' is not an IPv4 address; name servers are given by address, separated by commas")
        #expect(errors(["ipv4.dns": "2001:db8::53"])["ipv4.dns"]?.contains("not an IPv4 address") == true)
        #expect(errors(["ipv6.dns": "1.1.1.1"])["ipv6.dns"]?.contains("not an IPv6 address") == true)
        #expect(errors(["ipv4.dns": "1.1.1.1 8.8.8.8 9.9.9.9 1.0.0.1"])["ipv4.dns"] == "4 name servers: at most 3 (the resolver reads no more)")
    }

    @Test("prefix lengths and netmasks out of range or malformed")
    func prefixRange() {
        let base = ["ipv4.method": "manual", "ipv4.address": "10.0.0.5"]
        #expect(errors(base.merging(["ipv4.prefix": "33"]) { $1 })["ipv4.prefix"] == "33 is out of range: a prefix length 1–32 or a netmask such as 255.255.255.0")
        #expect(errors(base.merging(["ipv4.prefix": "0"]) { $1 })["ipv4.prefix"]?.contains("out of range") == true)
        #expect(errors(base.merging(["ipv4.prefix": "255.0.255.0"]) { $1 })["ipv4.prefix"]?.contains("is not a netmask") == true)
        #expect(errors(base.merging(["ipv4.prefix": "abc"]) { $1 })["ipv4.prefix"] == "'abc' is not a prefix length 1–32 or a netmask such as 255.255.255.0")
        #expect(errors(base)["ipv4.prefix"] == "required with Manual: a prefix length 1–32 or a netmask such as 255.255.255.0")
        #expect(errors(["ipv6.method": "manual", "ipv6.address": "2001:db8::5", "ipv6.prefix": "129"])["ipv6.prefix"] == "129 is out of range: a prefix length 1–128, e.g. 64")
    }

    @Test("the network and broadcast addresses are no host addresses (except /31, /32)")
    func networkAndBroadcast() {
        #expect(errors(["ipv4.method": "manual", "ipv4.address": "192.168.1.0", "ipv4.prefix": "24"])["ipv4.address"] ==
                "192.168.1.0 is the network address of 192.168.1.0/24; use a host address from 192.168.1.1–192.168.1.254")
        #expect(errors(["ipv4.method": "manual", "ipv4.address": "192.168.1.255", "ipv4.prefix": "255.255.255.0"])["ipv4.address"]?
            .contains("broadcast address") == true)
        #expect(errors(["ipv4.method": "manual", "ipv4.address": "10.0.0.0", "ipv4.prefix": "31"]).isEmpty)
        #expect(errors(["ipv4.method": "manual", "ipv4.address": "127.0.0.5", "ipv4.prefix": "8"])["ipv4.address"]?.contains("loopback") == true)
        #expect(errors(["ipv4.method": "manual", "ipv4.address": "239.1.1.1", "ipv4.prefix": "24"])["ipv4.address"]?.contains("multicast") == true)
        #expect(errors(["ipv6.method": "manual", "ipv6.address": "2001:db8::", "ipv6.prefix": "64"])["ipv6.address"]?.contains("subnet-router anycast") == true)
    }

    @Test("one default gateway per family; two interfaces may not share a network")
    func secondDefaultGateway() {
        let eth1 = InterfaceConfig(name: "eth1", ipv4: .init(method: .manual, address: IPPrefix("10.0.0.2/24"), gateway: IPAddress("10.0.0.1")))
        let e = errors(["ipv4.method": "manual", "ipv4.address": "192.168.1.20", "ipv4.prefix": "24", "ipv4.gateway": "192.168.1.1"], others: [eth1])
        #expect(e["ipv4.gateway"] == "eth1 already has the IPv4 default gateway 10.0.0.1; only one interface may have one: leave this empty or remove it on eth1 first")
        let overlap = errors(["ipv4.method": "manual", "ipv4.address": "10.0.0.7", "ipv4.prefix": "16"], others: [eth1])
        #expect(overlap["ipv4.address"] == "10.0.0.0/16 overlaps eth1's 10.0.0.2/24; each interface needs a network of its own")
        // The interface's own stored configuration is no "other" one.
        #expect(errors(["ipv4.method": "manual", "ipv4.address": "10.0.0.2", "ipv4.prefix": "24", "ipv4.gateway": "10.0.0.1"],
                       others: [InterfaceConfig(name: "eth0", ipv4: eth1.ipv4)]).isEmpty)
    }

    @Test("methods, names and missing fields")
    func methodsAndNames() {
        #expect(errors(["ipv4.method": "bootp"])["ipv4.method"] == "'bootp' is not a method: dhcp (Auto) or manual")
        #expect(errors(["ipv6.method": "slaac"])["ipv6.method"] == "'slaac' is not a method: auto, manual or off")
        #expect(errors(["ipv4.method": "manual"])["ipv4.address"] == "required with Manual: the station's IPv4 address, e.g. 192.168.1.20")
        if case .failure(let e) = form([:], name: "../etc").validate() { #expect(e.byField["name"] != nil) } else { Issue.record("accepted ../etc") }
        #expect(!InterfaceForm.isValidInterfaceName("averyveryverylongname"))
        #expect(InterfaceForm.isValidInterfaceName("enp1s0"))
        // Several errors at once, each next to its field.
        let many = errors(["ipv4.method": "manual", "ipv4.address": "300.1.1.1", "ipv4.prefix": "24", "ipv4.dns": "x", "ipv6.method": "manual"])
        #expect(Set(many.keys) == ["ipv4.address", "ipv4.dns", "ipv6.address", "ipv6.prefix"])
    }
}
