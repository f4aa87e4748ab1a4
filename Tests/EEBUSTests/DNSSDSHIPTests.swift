import EEBUS
import Testing

/// The SHIP TXT record (SHIP TS 1.0.1 §7.3.2) through DNS-SD: announced by the responder, read back by the browser.
@Suite struct DNSSDSHIPTests {
    static let ski = try! SHIPSKI(userInput: "0123456789abcdef0123456789abcdef01234567")
    static let info = SHIPServiceInfo(id: "ChargeKit-0042", ski: ski, register: true, brand: "ChargeKit", type: "ChargingStation",
                                      model: "CK-1", serial: "0042", categories: [1, 3])

    @Test func theStationsSHIPRecordIsReadBackFromItsAnnouncement() throws {
        let txt = try DNSSDTXT(ship: Self.info)
        #expect(txt.entries.first?.key == "txtvers" && txt["ski"] == Self.ski.hex && txt["register"] == "true")
        let service = DNSSDServiceDescription(instanceName: "ChargeKit 0042", hostName: "chargekit-0042", port: 4712, txt: txt,
                                              addresses: [MDNSAddress("192.168.1.20")!])
        var responder = MDNSResponder(service: service, seed: 4)
        var browser = MDNSBrowser(seed: 4)
        _ = responder.start(nowSeconds: 0)
        _ = browser.start(nowSeconds: 0)
        while let t = responder.nextDeadlineSeconds, t < 10 {
            for case .multicast(let m) in responder.tick(nowSeconds: t) where m.isResponse {
                _ = browser.received(try DNSMessage(decoding: try m.encoded()), nowSeconds: t)
            }
        }
        let found = try #require(browser.discovered.first)
        #expect(try found.shipServiceInfo() == Self.info)
    }

    @Test func aServiceWhoseTXTIsNotSHIPsNamesTheMissingKey() {
        let found = DNSSDDiscoveredService(instanceName: "Printer", serviceType: DNSSDServiceDescription.shipServiceType, hostName: "p.local",
                                           port: 1, txt: DNSSDTXT(pairs: [("txtvers", "1"), ("id", "x"), ("path", "/ship/"), ("register", "false")]),
                                           addresses: [])
        #expect(throws: SHIPServiceInfoError.self) { try found.shipServiceInfo() }
        do { _ = try found.shipServiceInfo() } catch { #expect(error.description.hasPrefix("ski")) }
    }

    @Test func addressesSortIPv4FirstAndLinkLocalIPv6Last() {
        let sorted = ["fe80::1", "2001:db8::1", "192.168.1.2", "10.0.0.1"].compactMap(MDNSAddress.init).sorted()
        #expect(sorted.map(\.description) == ["10.0.0.1", "192.168.1.2", "2001:db8::1", "fe80::1"])
    }
}
