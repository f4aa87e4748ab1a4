import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Logging
import NIOCore
import Testing
import Gateway
import Persistence
import Runtimes
import WebUI
@testable import App

/// `GET /metrics` on the gateway's web configuration (issue 30 item 1, gateway role), through the gateway's router and
/// controller: off by default, then only its own bearer token; what a scrape shows while the services do not run.
@Suite struct GatewayMetricsRouteTests {
    @Test func issue30_1_gatewayMetricsRouteOffThenOwnTokenOnly() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ck-gw-metrics-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try GatewayDatabase()
        let controller = GatewayController(database: database, options: GatewayOptions(dataDirectory: directory),
                                           directory: DataDirectory(directory, role: "gateway"), logger: Logger(label: "test"))
        let router = Router(context: WebRequestContext.self)
        try GatewayWeb(gateway: controller, accounts: try WebAccounts(store: database), version: ChargeKitVersion.current, metrics: controller).addRoutes(to: router)
        let token = "gateway-route-token-0123"
        try await Application(router: router).test(.router) { client in
            #expect(try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(token)"]).status == .notFound,
                    "off by default")
            var s = GatewaySettings()
            s.metricsEnabled = true
            try database.saveSettings(s)
            #expect(try await client.execute(uri: "/metrics", method: .get).status == .notFound, "on without a token: still off")
            s.metricsToken = token
            try database.saveSettings(s)
            let none = try await client.execute(uri: "/metrics", method: .get)
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate] == "Bearer")
            #expect(try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer wrong"]).status == .unauthorized)
            let ok = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(ok.status == .ok)
            #expect(ok.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let text = String(buffer: ok.body)
            #expect(text.contains("chargekit_gateway_services_running 0"), "the services were never started here")
            #expect(text.contains(#"chargekit_gateway_info{mode="BMS"} 1"#))
            #expect(!text.contains(token))
        }
    }
}
