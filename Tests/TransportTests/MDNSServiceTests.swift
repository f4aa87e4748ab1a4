import EEBUS
import Testing
import Transport

/// MDNSService's choice of interfaces (the sockets and both directions against real peers are
/// Tests/Interop/test_eebus_mdns.py's, in network namespaces).
@Suite struct MDNSServiceTests {
    @Test func anUnknownInterfaceIsRefusedWithItsNameAndTheInterfacesThereAre() throws {
        let error = #expect(throws: MDNSService.InterfaceError.self) { try MDNSService.interfaces(named: "ck-no-such-if") }
        #expect(error?.description.contains("'ck-no-such-if'") == true)
        #expect(error?.description.contains("interfaces with one:") == true)
    }

    @Test func loopbackIsNeverOneOfTheInterfacesAndEachCarriesItsIPv4AddressFirst() throws {
        for i in try MDNSService.interfaces(named: nil) {
            #expect(!i.ipv4.hasPrefix("127."))
            #expect(i.addresses.first?.description == i.ipv4)
            #expect(i.addresses.dropFirst().allSatisfy { $0.isIPv6 && !$0.isIPv6LinkLocal })
        }
    }
}
