import Testing
import DBus
@testable import HostConfig

@Suite("Interface configuration as systemd-networkd files and NetworkManager settings")
struct NetworkServiceFormatTests {
    let manual = InterfaceConfig(
        name: "eth0",
        ipv4: .init(method: .manual, address: IPPrefix("192.168.1.20/24"), gateway: IPAddress("192.168.1.1"), dns: [IPAddress("192.168.1.1")!]),
        ipv6: .init(method: .manual, address: IPPrefix("2001:db8::20/64"), gateway: IPAddress("fe80::1"), dns: [IPAddress("2001:db8::53")!]))

    @Test("systemd.network(5): the static configuration's file, golden text")
    func networkdStaticGolden() {
        #expect(NetworkdFile.fileName(for: "eth0") == "50-chargekit-eth0.network")
        #expect(NetworkdFile.render(manual) == """
            # Written by ChargeKit (Network page). Changes made here are overwritten by the next change there.

            [Match]
            Name=eth0

            [Network]
            DHCP=no
            IPv6AcceptRA=no
            LinkLocalAddressing=ipv6
            Address=192.168.1.20/24
            Address=2001:db8::20/64
            Gateway=192.168.1.1
            Gateway=fe80::1
            DNS=192.168.1.1 2001:db8::53

            """)
    }

    @Test("systemd.network(5): DHCP with router advertisements, and IPv6 off")
    func networkdDHCPGolden() {
        #expect(NetworkdFile.render(InterfaceConfig(name: "eth1")) == """
            # Written by ChargeKit (Network page). Changes made here are overwritten by the next change there.

            [Match]
            Name=eth1

            [Network]
            DHCP=ipv4
            IPv6AcceptRA=yes
            LinkLocalAddressing=ipv6

            """)
        let off = InterfaceConfig(name: "eth1", ipv4: .init(dns: [IPAddress("9.9.9.9")!]), ipv6: .init(method: .off, dns: [IPAddress("2001:db8::53")!]))
        let text = NetworkdFile.render(off)
        #expect(text.contains("IPv6AcceptRA=no\nLinkLocalAddressing=no\n") && text.contains("DNS=9.9.9.9\n"))
    }

    @Test("a written file reads back as the same configuration; foreign keys are reported, globs refused")
    func networkdRoundTrip() throws {
        for c in [manual, InterfaceConfig(name: "eth1"), InterfaceConfig(name: "wan", ipv6: .init(method: .off))] {
            #expect(NetworkdFile.parse(NetworkdFile.render(c))?.config == c)
            #expect(NetworkdFile.parse(NetworkdFile.render(c))?.ignored == [])
        }
        let foreign = try #require(NetworkdFile.parse("[Match]\nName=enp1s0\n[Network]\nDHCP=yes\nMulticastDNS=yes\n"))
        #expect(foreign.config == InterfaceConfig(name: "enp1s0") && foreign.ignored == ["MulticastDNS=yes"])
        #expect(NetworkdFile.parse("[Match]\nName=en*\n[Network]\nDHCP=yes\n") == nil)
    }

    @Test("NetworkManager settings (D-Bus API 1.42 'Settings'): address-data, gateway, dns as au and aay")
    func networkManagerMapping() throws {
        let g = NetworkManagerSettings.groups(for: manual, uuid: "4c8e5a46-0000-4000-8000-000000000001")
        #expect(g["connection"]?["interface-name"] == .string("eth0"))
        #expect(g["connection"]?["id"] == .string("chargekit-eth0"))
        #expect(g["connection"]?["type"] == .string("802-3-ethernet"))
        #expect(g["ipv4"]?["method"] == .string("manual"))
        #expect(g["ipv4"]?["address-data"] == .array(elementSignature: "a{sv}", [
            .array(elementSignature: "{sv}", [.dictEntry(.string("address"), .variant(.string("192.168.1.20"))),
                                              .dictEntry(.string("prefix"), .variant(.uint32(24)))])]))
        #expect(g["ipv4"]?["gateway"] == .string("192.168.1.1"))
        #expect(g["ipv4"]?["dns"] == .array(elementSignature: "u", [.uint32(0x0101A8C0)]))
        #expect(g["ipv6"]?["dns"]?.signature == "aay")
        #expect(NetworkManagerSettings.value(g).signature == "a{sa{sv}}")
        // Back from the D-Bus value (as GetSettings returns it).
        let back = try #require(NetworkManagerSettings.groups(NetworkManagerSettings.value(g)))
        #expect(NetworkManagerSettings.config(from: back) == manual)
        // DHCP and IPv6 off: method auto / disabled, no addresses.
        let dhcp = NetworkManagerSettings.groups(for: InterfaceConfig(name: "eth0", ipv6: .init(method: .off)), uuid: "u")
        #expect(dhcp["ipv4"]?["method"] == .string("auto") && dhcp["ipv4"]?["address-data"] == nil)
        #expect(dhcp["ipv6"]?["method"] == .string("disabled"))
        #expect(NetworkManagerSettings.config(from: dhcp) == InterfaceConfig(name: "eth0", ipv6: .init(method: .off)))
    }

    @Test("NetworkManager: an existing connection keeps its uuid and other groups; the deprecated addresses go")
    func networkManagerUpdateKeepsOthers() {
        let existing: NetworkManagerSettings.Groups = [
            "connection": ["id": .string("Wired connection 1"), "uuid": .string("abc"), "type": .string("802-3-ethernet")],
            "802-3-ethernet": ["mac-address": .array(elementSignature: "y", [1, 2, 3, 4, 5, 6].map { .byte($0) })],
            "ipv4": ["method": .string("manual"), "addresses": .array(elementSignature: "au", []), "may-fail": .boolean(false)],
        ]
        let g = NetworkManagerSettings.groups(for: manual, existing: existing, uuid: "new")
        #expect(g["connection"]?["uuid"] == .string("abc") && g["connection"]?["id"] == .string("Wired connection 1"))
        #expect(g["802-3-ethernet"] == existing["802-3-ethernet"])
        #expect(g["ipv4"]?["addresses"] == nil && g["ipv4"]?["may-fail"] == .boolean(false))
        // Legacy aau addresses (in_addr_t order) still read.
        let legacy: NetworkManagerSettings.Groups = ["connection": ["interface-name": .string("eth2")],
            "ipv4": ["method": .string("manual"), "addresses": .array(elementSignature: "au", [.array(elementSignature: "u", [.uint32(0x0101A8C0), .uint32(24), .uint32(0)])])]]
        #expect(NetworkManagerSettings.config(from: legacy)?.ipv4.address == IPPrefix("192.168.1.1/24"))
    }
}
