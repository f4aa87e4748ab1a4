import Testing
@testable import HostConfig

@Suite("IP addresses and prefixes (RFC 791, RFC 4291 §2.2, RFC 5952)")
struct IPAddressTests {
    @Test("strict IPv4: no octal, no shortened forms, no hosts")
    func ipv4() {
        #expect(IPAddress("172.16.23.1")?.description == "172.16.23.1")
        for bad in ["172.16.23", "172.16.023.1", "256.1.1.1", "1.2.3.4 ", "wallbox.local", "", "1..2.3"] { #expect(IPAddress(bad) == nil, "\(bad)") }
    }

    @Test("IPv6 text forms read, written canonically")
    func ipv6() {
        #expect(IPAddress("2001:DB8:0:0:0:0:0:1")?.description == "2001:db8::1")
        #expect(IPAddress("::ffff:192.0.2.1")?.description == "::ffff:c000:201")
        #expect(IPAddress("fe80::1:0:0:1")?.description == "fe80::1:0:0:1")
        #expect(IPAddress("2001:db8:0:1:1:1:1:1")?.description == "2001:db8:0:1:1:1:1:1", "a single zero group stays")
        for bad in ["2001:db8::1::2", "12345::", "fe80::1%eth0", ":", "1:2:3:4:5:6:7:8:9"] { #expect(IPAddress(bad) == nil, "\(bad)") }
    }

    @Test("prefix membership and netmasks (seeds/002 §1.4 shows IPv4 netmasks)")
    func prefixes() throws {
        let lan = try #require(IPPrefix("172.16.23.1/24"))
        #expect(lan.contains(IPAddress("172.16.23.254")!))
        #expect(!lan.contains(IPAddress("172.16.24.1")!))
        #expect(!lan.contains(IPAddress("2001:db8::1")!))
        #expect(lan.netmask == "255.255.255.0")
        #expect(IPPrefix.length(ofNetmask: "255.255.240.0") == 20)
        #expect(IPPrefix.length(ofNetmask: "255.0.255.0") == nil)
        #expect(IPPrefix("10.0.0.1/33") == nil)
        #expect(try #require(IPPrefix("2001:db8::5/64")).contains(IPAddress("2001:db8::ffff")!))
    }
}
