import Testing
@testable import HostConfig

@Suite("Confirm or roll back a change that may cut off the browser (issue 24 item 1, as routers do)")
struct NetworkChangeGuardTests {
    let before = InterfaceConfig(name: "eth0", ipv4: .init(method: .manual, address: IPPrefix("192.168.1.20/24"), gateway: IPAddress("192.168.1.1")))
    let after = InterfaceConfig(name: "eth0", ipv4: .init(method: .manual, address: IPPrefix("192.168.1.30/24"), gateway: IPAddress("192.168.1.1")))
    let state = [IPPrefix("192.168.1.20/24")!, IPPrefix("fe80::5/64")!]
    let browser = NetworkChangeGuard.Connection(client: IPAddress("192.168.1.100"), station: IPAddress("192.168.1.20"))

    @Test("no confirmation within 120 s: the previous configuration is applied again")
    func timeoutReverts() throws {
        var g = NetworkChangeGuard()
        #expect(try g.change(from: before, to: after, state: state, connection: browser, nowSeconds: 1000).get() == [.apply(after)])
        #expect(g.pending?.remainingSeconds(now: 1000) == 120)
        #expect(g.pending?.removedAddresses == [IPAddress("192.168.1.20")!])
        #expect(g.pending?.newAddresses == [IPAddress("192.168.1.30")!])
        #expect(g.tick(nowSeconds: 1119.9) == [])
        #expect(g.pending?.remainingSeconds(now: 1119.9) == 1)
        #expect(g.tick(nowSeconds: 1120) == [.revert(before)])
        #expect(g.pending == nil)
        #expect(g.tick(nowSeconds: 1200) == [])
        // Too late to confirm.
        #expect(g.confirm(connection: browser, nowSeconds: 1121) == .failure(.nothingPending))
    }

    @Test("confirmed from the new address: kept; not from the old one")
    func confirmKeeps() throws {
        var g = NetworkChangeGuard()
        _ = g.change(from: before, to: after, state: state, connection: browser, nowSeconds: 0)
        #expect(g.confirm(connection: browser, nowSeconds: 10) == .failure(.confirmFromOldAddress(IPAddress("192.168.1.20")!, newAddresses: [IPAddress("192.168.1.30")!])))
        let fromNew = NetworkChangeGuard.Connection(client: IPAddress("192.168.1.100"), station: IPAddress("192.168.1.30"))
        #expect(g.confirm(connection: fromNew, nowSeconds: 60) == .success(after))
        #expect(g.pending == nil)
        #expect(g.tick(nowSeconds: 500) == [], "a confirmed change is never taken back")
    }

    @Test("changes that cannot cut the browser off are applied without a confirmation")
    func unguarded() throws {
        var g = NetworkChangeGuard()
        // The browser came in over another interface (the service port).
        let service = NetworkChangeGuard.Connection(client: IPAddress("172.16.23.100"), station: IPAddress("172.16.23.1"))
        #expect(try g.change(from: before, to: after, state: state, connection: service, nowSeconds: 0).get() == [.apply(after)])
        #expect(g.pending == nil)
        // Only the name servers change.
        var dnsOnly = before
        dnsOnly.ipv4.dns = [IPAddress("9.9.9.9")!]
        _ = try g.change(from: before, to: dnsOnly, state: state, connection: browser, nowSeconds: 0).get()
        #expect(g.pending == nil)
        // From the station itself (loopback).
        let local = NetworkChangeGuard.Connection(client: IPAddress("127.0.0.1"), station: IPAddress("127.0.0.1"))
        _ = try g.change(from: before, to: after, state: state, connection: local, nowSeconds: 0).get()
        #expect(g.pending == nil)
    }

    @Test("DHCP to static on the browser's interface is guarded; one pending change at a time")
    func dhcpToStaticGuarded() {
        var g = NetworkChangeGuard()
        let dhcp = InterfaceConfig(name: "eth0")
        let lease = NetworkChangeGuard.Connection(client: IPAddress("192.168.1.100"), station: IPAddress("192.168.1.57"))
        _ = g.change(from: dhcp, to: after, state: [IPPrefix("192.168.1.57/24")!], connection: lease, nowSeconds: 0)
        #expect(g.pending?.removedAddresses == [IPAddress("192.168.1.57")!])
        let other = InterfaceConfig(name: "eth1")
        #expect(g.change(from: other, to: other, state: [], connection: lease, nowSeconds: 1) == .failure(.changePending(interface: "eth0")))
    }
}
