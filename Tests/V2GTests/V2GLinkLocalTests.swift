import Testing
@testable import V2G

@Suite struct V2GLinkLocalTests {
    /// The format of Linux's /proc/net/if_inet6 (a three-digit index in hex, as a namespace's veth gets).
    static let proc = """
        fe8000000000000000fc00fffe000001 04 40 20 80     eth0
        fd000000000000000000000000000002 04 40 00 82     eth0
        00000000000000000000000000000001 01 80 10 80       lo
        fe80000000000000e86db9fffed6d561 2f9 40 20 80   vsdpse
        fe800000000000000000000000000002 05 40 20 c0     plc0
        fe800000000000000000000000000003 06 40 20 88     plc1
        garbage line
        """

    @Test func parsesLinkLocalAddressesWithTheirState() {
        let all = V2GLinkLocalAddress.parse(procIfInet6: Self.proc)
        #expect(all.map(\.interfaceName) == ["eth0", "vsdpse", "plc0", "plc1"])
        #expect(all[1].interfaceIndex == 0x2F9 && all[1].state == .usable)
        #expect(all[1].description == "fe80::e86d:b9ff:fed6:d561%vsdpse")
        #expect(all[2].state == .tentative, "flags 0xc0: IFA_F_TENTATIVE with IFA_F_PERMANENT")
        #expect(all[3].state == .duplicate, "flags 0x88: IFA_F_DADFAILED")
    }

    @Test func rfc5952Text() {
        #expect(V2GLinkLocalAddress.text(hex("FE80 0000 0000 0000 A4C1 38FF FE12 3456")) == "fe80::a4c1:38ff:fe12:3456")
        #expect(V2GLinkLocalAddress.text(hex("FE80 0000 0000 0000 0000 0000 0000 0001")) == "fe80::1")
        #expect(V2GLinkLocalAddress.text(hex("2001 0DB8 0000 0001 0000 0000 0000 0001")) == "2001:db8:0:1::1")
        #expect(V2GLinkLocalAddress.text(hex("2001 0DB8 0001 0002 0003 0004 0005 0006")) == "2001:db8:1:2:3:4:5:6")
        #expect(V2GLinkLocalAddress.text(hex("2001 0DB8 0000 0001 0001 0001 0001 0001")) == "2001:db8:0:1:1:1:1:1", "one zero group stays")
    }
}
