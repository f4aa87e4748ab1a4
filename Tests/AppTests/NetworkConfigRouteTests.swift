import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Logging
import NIOCore
import Synchronization
import Testing
import HostConfig
import HostServices
@testable import App
@testable import Runtimes

/// A network service in memory with one interface, eth0 on DHCP.
actor MemoryNetwork: NetworkConfigurator {
    nonisolated var serviceName: String { "memory-networkd" }
    var state = InterfaceState(name: "eth0", addresses: [IPPrefix("192.168.1.57/24")!], up: true, carrier: true, serviceState: "routable",
                               dhcpLease: "192.168.1.57/24", config: InterfaceConfig(name: "eth0"))
    var applied: [InterfaceConfig] = []
    func interfaces() async throws -> [InterfaceState] { [state] }
    func apply(_ config: InterfaceConfig) async throws { applied.append(config); state.config = config }
}

@Suite("Network page and API: interface configuration (issue 24 item 1, seeds/002 §1.4)", .serialized)
struct NetworkConfigRouteTests {
    static let auth: HTTPFields = [.authorization: "Bearer \(RouterHarness.token)", .contentType: "application/json"]

    func harness() async throws -> (RouterHarness, MemoryNetwork) {
        let network = MemoryNetwork()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        await StationNetwork.shared.use(NetworkConfigService(configurator: network, reason: nil, logger: logger, runsTimer: false))
        return (try await RouterHarness(), network)
    }

    @Test("seeds002_1_4 the Network page: a wrong gateway is refused next to its field with the typed values kept; a valid change applies")
    func seeds002_1_4_interfaceCardErrorsNextToFields() async throws {
        let (h, network) = try await harness()
        try await h.app.test(.router) { client in
            var b = try await client.loggedIn("installer", h)
            let page = String(buffer: try await client.send(&b, .get, "/menu/network").body)
            #expect(page.contains(#"id="s-net-eth0""#) && page.contains(#"<span class="mono" id="netcfg-service">memory-networkd</span>"#))
            #expect(page.contains("192.168.1.57/24"), "the OS state next to the fields")
            let form = ["ipv4.method": "manual", "ipv4.address": "192.168.1.30", "ipv4.prefix": "255.255.255.0", "ipv4.gateway": "10.0.0.1",
                        "ipv4.dns": "", "ipv6.method": "auto"]
            let refused = try await client.send(&b, .post, "/network/interfaces/eth0", form: form)
            let text = String(buffer: refused.body)
            #expect(refused.status == .unprocessableContent)
            #expect(text.contains(#"<p class="field-error" id="e-net-eth0-ipv4-gateway">10.0.0.1 is not reachable on the interface: it is outside 192.168.1.0/24; use an address from 192.168.1.1–192.168.1.254</p>"#))
            #expect(text.contains(#"id="net-eth0-ipv4-address" name="ipv4.address" value="192.168.1.30""#), "the typed values are kept")
            #expect(await network.applied.isEmpty, "nothing applied")
            var good = form
            good["ipv4.gateway"] = "192.168.1.1"
            let applied = try await client.send(&b, .post, "/network/interfaces/eth0", form: good)
            #expect(applied.status == .ok && String(buffer: applied.body).contains("eth0: the new configuration is applied."))
            #expect(await network.applied == [InterfaceConfig(name: "eth0", ipv4: .init(method: .manual, address: IPPrefix("192.168.1.30/24"),
                                                                                          gateway: IPAddress("192.168.1.1")))])
            // Nothing waits for a confirmation: Confirm says so.
            let confirm = try await client.send(&b, .post, "/network/confirm", form: [:])
            #expect(confirm.status == .conflict && String(buffer: confirm.body).contains("no change waits for a confirmation"))
            // The operator may look but not change.
            var op = try await client.loggedIn("operator", h)
            #expect(try await client.send(&op, .post, "/network/interfaces/eth0", form: good).status == .forbidden)
        }
    }

    @Test("seeds002_1_4 the same by API: GET the OS state, PUT validated (422 with fieldErrors), applied, confirm 409 when nothing waits")
    func seeds002_1_4_interfaceByAPI() async throws {
        let (h, network) = try await harness()
        try await h.app.test(.router) { client in
            let bad = try await client.execute(uri: "/api/network/interfaces/eth0", method: .put, headers: Self.auth,
                                               body: ByteBuffer(string: #"{"ipv4": {"method": "manual", "address": "192.168.1.255", "prefix": 24, "dns": ["dns.google"]}}"#))
            let errors = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: bad.body).utf8)) as? [String: Any])
            #expect(bad.status == .unprocessableContent)
            let fields = errors["fieldErrors"] as? [String: String] ?? [:]
            #expect(fields["ipv4.address"]?.contains("broadcast address of 192.168.1.0/24") == true, "\(errors)")
            #expect(fields["ipv4.dns"]?.contains("'dns.google' is not an IPv4 address") == true, "\(errors)")
            let good = try await client.execute(uri: "/api/network/interfaces/eth0", method: .put, headers: Self.auth,
                                                body: ByteBuffer(string: #"{"ipv4": {"method": "manual", "address": "192.168.1.30", "prefix": "255.255.255.0"}, "ipv6": {"method": "off"}}"#))
            #expect(good.status == .ok, "\(String(buffer: good.body))")
            #expect(await network.applied.last?.ipv6.method == .off)
            let status = try await client.execute(uri: "/api/network/interfaces", method: .get, headers: Self.auth)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: status.body).utf8)) as? [String: Any])
            #expect(body["service"] as? String == "memory-networkd")
            let eth0 = try #require((body["interfaces"] as? [[String: Any]])?.first)
            #expect(eth0["dhcpLease"] as? String == "192.168.1.57/24" && eth0["carrier"] as? Bool == true)
            let ipv4 = (eth0["config"] as? [String: Any])?["ipv4"] as? [String: Any]
            #expect(ipv4?["address"] as? String == "192.168.1.30" && ipv4?["prefix"] as? Int == 24)
            let unknown = try await client.execute(uri: "/api/network/interfaces/eth9", method: .put, headers: Self.auth, body: ByteBuffer(string: "{}"))
            #expect(unknown.status == .notFound)
            let confirm = try await client.execute(uri: "/api/network/confirm", method: .post, headers: Self.auth)
            #expect(confirm.status == .conflict)
        }
    }
}
