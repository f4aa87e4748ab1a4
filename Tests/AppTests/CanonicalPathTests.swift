import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Testing
import ChargePoint
import WebUI
@testable import App
@testable import Runtimes

/// Issue 20 item 1: `//api/…` reached every API handler without a token because the token check looked at the raw
/// path while the router skips empty segments. Every route of the station is requested in every non-canonical
/// spelling, without a token or a session: none may answer anything but 400.
@Suite("Canonical paths: one spelling per route, the token guards the route that answers")
struct CanonicalPathTests {
    @Test("canonical form", arguments: [
        ("/", true), ("/api/status", true), ("/api/config/HardwareMaxCurrent.1", true), ("//api/status", false),
        ("///api/status", false), ("/api//status", false), ("/api/status/", false), ("/./api/status", false),
        ("/x/../api/status", false), ("/api/%2e%2e/status", false), ("/api%2Fstatus", false), ("/api\\status", false),
    ])
    func form(path: String, canonical: Bool) {
        #expect(CanonicalPath.isCanonical(path) == canonical, "\(path)")
    }

    @Test("the router's view of /api/")
    func apiDetection() {
        #expect(CanonicalPath.isAPI("//api/status") && CanonicalPath.isAPI("/API/status") && CanonicalPath.isAPI("/api"))
        #expect(!CanonicalPath.isAPI("/apix/status") && !CanonicalPath.isAPI("/menu/api"))
    }

    /// Every spelling of `path` that the router would also match.
    static func variants(_ path: String) -> [String] {
        let body = String(path.dropFirst())
        var out = ["/" + path, "//" + path, "/./" + body, path + "/", "/x/../" + body]
        if let slash = body.firstIndex(of: "/") {
            out.append("/" + body[..<slash] + "//" + body[body.index(after: slash)...])
        }
        return out
    }

    @Test("every route in every non-canonical spelling: 400 before any handler, token or session")
    func everyRouteEverySpelling() async throws {
        let h = try await RouterHarness()
        let router = StationAPI.router(station: h.runtime, simulator: h.runtime,
                                       web: try WebInterface(station: h.runtime, accounts: h.accounts, simulator: h.runtime),
                                       apiToken: RouterHarness.token)
        let routes = router.routes.map { route in
            (route.method, "/" + route.path.components.map { c in c.description.hasPrefix("{") ? "1" : c.description }.joined(separator: "/"))
        }
        #expect(routes.count > 40, "the router's routes are listed (\(routes.count))")
        let app = Application(router: router)
        try await app.test(.router) { client in
            for (method, path) in routes where path != "/" {
                for variant in Self.variants(path) {
                    let body: ByteBuffer? = method == .get ? nil : ByteBuffer(string: #"{"value":80,"role":"manufacturer"}"#)
                    let r = try await client.execute(uri: variant, method: method, headers: [.contentType: "application/json"], body: body)
                    #expect(r.status == .badRequest, "\(method) \(variant): \(r.status)")
                }
                // The OpenAPI document is the one public API route (OpenAPITests.issue30_openAPIServedPublicly).
                if path.hasPrefix("/api/") && path != StationAPI.openAPIPath {
                    let r = try await client.execute(uri: path, method: method, headers: [:], body: nil)
                    #expect(r.status == .unauthorized, "\(method) \(path) without a token: \(r.status)")
                }
            }
        }
        #expect(try await h.value("HardwareMaxCurrent.1") == "32", "nothing changed")
    }

    @Test("the token acts as installer: a request may narrow the role, never widen it")
    func tokenRole() async throws {
        let h = try await RouterHarness()
        try await h.app.test(.router) { client in
            let auth: HTTPFields = [.authorization: "Bearer \(RouterHarness.token)", .contentType: "application/json"]
            let widened = try await client.execute(uri: "/api/config/HardwareMaxCurrent.1", method: .put, headers: auth,
                                                   body: ByteBuffer(string: #"{"value":16,"role":"manufacturer"}"#))
            #expect(widened.status == .forbidden && String(buffer: widened.body).contains("acts as installer"))
            let plain = try await client.execute(uri: "/api/config/HardwareMaxCurrent.1", method: .put, headers: auth,
                                                 body: ByteBuffer(string: #"{"value":16}"#))
            #expect(plain.status == .forbidden, "a manufacturer parameter needs the manufacturer login")
            let narrowed = try await client.execute(uri: "/api/config/InstallationCurrentLimit.1", method: .put, headers: auth,
                                                    body: ByteBuffer(string: #"{"value":16,"role":"operator"}"#))
            #expect(narrowed.status == .forbidden, "an operator may not change an installer parameter")
            let ok = try await client.execute(uri: "/api/config/OperatorCurrentLimit.1", method: .put, headers: auth,
                                              body: ByteBuffer(string: #"{"value":16}"#))
            #expect(ok.status == .ok)
        }
        #expect(try await h.value("HardwareMaxCurrent.1") == "32")
    }

    @Test("the language form goes back to the page it came from, never to another host", arguments: [
        ("http://127.0.0.1:8080/menu/system", "/menu/system"), ("http://127.0.0.1:8080//evil.example/x", "/"),
        ("http://127.0.0.1:8080/%2F%2Fevil.example", "/"), ("//evil.example/", "/"), ("not a url", "/"),
    ])
    func languageRedirect(referer: String, location: String) async throws {
        let h = try await RouterHarness()
        try await h.app.test(.router) { client in
            var b = try await client.loggedIn("operator", h)
            var headers = b.cookieHeader
            headers[.contentType] = "application/x-www-form-urlencoded"
            headers[.referer] = referer
            let r = try await client.execute(uri: "/account/language", method: .post, headers: headers,
                                             body: Browser.form(["language": "de", "csrf": b.csrf]))
            b.keep(r)
            #expect(r.status == .seeOther && r.headers[.location] == location, "\(referer) → \(r.headers[.location] ?? "-")")
        }
    }
}
