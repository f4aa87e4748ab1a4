import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Testing
import ChargePoint
import EVSECore
@testable import Runtimes

/// `GET /metrics` through the station's router against a real runtime (issue 30 item 1): off by default, its own
/// token, the exposition of the running station.
@Suite struct MetricsRouteTests {
    @Test func issue30_1_metricsRouteOffThenOwnTokenOnly() async throws {
        let h = try await RouterHarness()
        let scrapeToken = "router-metrics-token-0123"
        try await h.app.test(.router) { client in
            let off = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(RouterHarness.token)"])
            #expect(off.status == .notFound, "off by default")
            _ = try await h.runtime.setParameter(StationParameters.metricsEnabled, .bool(true), role: .installer, changedBy: "test")
            let noToken = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer "])
            #expect(noToken.status == .notFound, "enabled without a token: still off")
            _ = try await h.runtime.setParameter(StationParameters.metricsToken, .string(scrapeToken), role: .installer, changedBy: "test")
            let api = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(RouterHarness.token)"])
            #expect(api.status == .unauthorized, "the API token is not a metrics token")
            #expect(api.headers[.wwwAuthenticate] == "Bearer")
            let ok = try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(scrapeToken)"])
            #expect(ok.status == .ok)
            #expect(ok.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let text = String(buffer: ok.body)
            #expect(text.contains(#"chargekit_connector_status{connector="2",status="Available"} 1"#))
            #expect(text.contains("# TYPE process_resident_memory_bytes gauge"))
        }
        let view = try await h.runtime.parameter(StationParameters.metricsToken)
        #expect(!"\(view)".contains(scrapeToken), "the token is secret")
    }
}
