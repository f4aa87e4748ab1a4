import Testing
@testable import HostConfig

/// Issue 23 item 7: a listener's bind address is an IP address or an interface name, resolved at start.
@Suite("Listen addresses")
struct ListenAddressTests {
    @Test("addresses and interface names are told apart; anything else is refused with what is allowed")
    func parse() {
        #expect(ListenAddress("0.0.0.0") == .address(.v4(0)))
        #expect(ListenAddress("::1") == .address(IPAddress("::1")!))
        #expect(ListenAddress("192.168.1.20")?.description == "192.168.1.20")
        for name in ["eth0", "enp3s0", "wlan0", "br-lan", "eth0.100", "wwan_0"] { #expect(ListenAddress(name) == .interface(name)) }
        for bad in ["", "10.1", "256.1.1.1", "eth0 ", "a/b", "averyverylongname0", "..", "1.2.3", "fe80::1%eth0", "host name"] {
            #expect(ListenAddress(bad) == nil, "\(bad)")
            #expect(ListenAddress.problem(bad)?.contains("network interface name") == true)
        }
        #expect(ListenAddress.problem("eth0") == nil)
    }

    @Test("an interface binds its first IPv4 address, else its first IPv6 address that is not link-local")
    func choice() {
        let v4 = IPAddress("192.168.1.20")!, link = IPAddress("fe80::1")!, global = IPAddress("2001:db8::7")!
        #expect(ListenAddress.choose(from: [link, global, v4]) == v4)
        #expect(ListenAddress.choose(from: [link, global]) == global)
        #expect(ListenAddress.choose(from: [link]) == nil)
        #expect(ListenAddress.choose(from: []) == nil)
    }
}
