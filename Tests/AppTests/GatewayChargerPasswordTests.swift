import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Gateway
@testable import WebUI
@testable import App

/// The chargers' HTTP Basic passwords of security profiles 1 and 2 by API (OCPP 1.6 security whitepaper ed. 3
/// A00.FR.2xx; issue 28 item 5): write-only, stored as a bcrypt hash, never returned or exported.
@Suite struct GatewayChargerPasswordTests {
    static func put(_ client: some TestClientProtocol, _ chargers: [[String: Any]]) async throws -> TestResponse {
        try await client.execute(uri: "/api/chargers", method: .put, headers: GatewayHarness.auth, body: try GatewayHarness.body(["chargers": chargers]))
    }

    @Test func whitepaper_A00_FR_203_chargerPasswordIsWriteOnlyAndStoredAsBcryptHash() async throws {
        let h = try await GatewayHarness()
        let password = "CP1-secret-passw0rd"
        try await h.app.test(.router) { client in
            let set = try await Self.put(client, [["id": "CP1", "slot": 0, "connectors": 1, "password": password], ["id": "CP2", "slot": 1, "connectors": 1]])
            #expect(set.status == .ok, "\(String(buffer: set.body))")
            #expect(!String(buffer: set.body).contains(password) && !String(buffer: set.body).contains("$2"))
            let hash = try #require(try h.stored().charger(id: "CP1")?.passwordHash)
            #expect(hash.hasPrefix("$2") && !hash.contains(password))
            #expect(await ChargerPasswordHashing.verify(["wrong-password-1234", password], hash: hash) == .matched(password))
            for uri in ["/api/chargers", "/api/project", "/api/settings"] {
                let r = try await client.execute(uri: uri, method: .get, headers: GatewayHarness.auth)
                #expect(r.status == .ok && !String(buffer: r.body).contains(hash) && !String(buffer: r.body).contains(password), "\(uri)")
            }
            let list = try await client.execute(uri: "/api/chargers", method: .get, headers: GatewayHarness.auth)
            let shown = (GatewayHarness.object(list)["chargers"] as? [[String: Any]] ?? []).map { ($0["id"] as? String ?? "", $0["passwordSet"] as? Bool) }
            #expect(shown.map(\.0) == ["CP1", "CP2"] && shown.map(\.1) == [true, false])
            // Left out: the stored hash stays; too short or null: refused and nothing changes; empty: removed.
            #expect(try await Self.put(client, [["id": "CP1", "slot": 0, "connectors": 2]]).status == .ok)
            #expect(try h.stored().charger(id: "CP1")?.passwordHash == hash)
            #expect(try await Self.put(client, [["id": "CP1", "slot": 0, "connectors": 2, "password": "short"]]).status == .badRequest)
            #expect(try await Self.put(client, [["id": "CP1", "slot": 0, "connectors": 2, "password": NSNull()]]).status == .badRequest)
            #expect(try h.stored().charger(id: "CP1")?.passwordHash == hash)
            #expect(try await Self.put(client, [["id": "CP1", "slot": 0, "connectors": 2, "password": ""]]).status == .ok)
            #expect(try h.stored().charger(id: "CP1")?.passwordHash == nil)
        }
    }
}
