import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Testing
import WebUI
@testable import App

/// The OpenAPI document (Sources/WebUI/Resources/openapi.json) against the router (issue 30 item 3): the routes are read
/// from the router itself (Hummingbird's `Router.routes`), so a route added without its description, or a description
/// left behind by a removed route, fails here.
@Suite("OpenAPI document: the single reference of the local API")
struct OpenAPITests {
    static let methods: Set<String> = ["get", "put", "post", "delete", "patch"]

    /// The document, parsed.
    static func document() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(StationAPI.openAPIText.utf8)) as? [String: Any])
    }

    /// `GET /api/status`-style names of the document's operations.
    static func documented(_ doc: [String: Any]) -> Set<String> {
        let paths = doc["paths"] as? [String: [String: Any]] ?? [:]
        return Set(paths.flatMap { path, item in item.keys.filter(methods.contains).map { "\($0.uppercased()) \(path)" } })
    }

    /// The API routes the full station router registers (web interface, API, simulator).
    static func registered(_ h: RouterHarness) throws -> Set<String> {
        let router = StationAPI.router(station: h.runtime, simulator: h.runtime,
                                       web: try WebInterface(station: h.runtime, accounts: h.accounts, simulator: h.runtime, certificates: h.certificates),
                                       apiToken: RouterHarness.token, certificates: h.certificates)
        return Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" }.filter { $0.split(separator: " ")[1].hasPrefix("/api/") })
    }

    @Test("every route the router registers is in the document, and nothing in the document is missing from the router")
    func issue30_openAPIListsExactlyTheRoutes() async throws {
        let h = try await RouterHarness()
        let registered = try Self.registered(h)
        let documented = Self.documented(try Self.document())
        #expect(registered.count > 30, "the router's routes were read: \(registered.sorted())")
        #expect(registered.subtracting(documented).sorted() == [], "routes without a description in openapi.json")
        #expect(documented.subtracting(registered).sorted() == [], "descriptions of routes the router does not have")
    }

    @Test("every operation has a success response with a schema, JSON error responses, a request body schema where it reads one")
    func issue30_everyOperationHasSchemas() throws {
        let doc = try Self.document()
        #expect(doc["openapi"] as? String == "3.1.0")
        let components = doc["components"] as? [String: Any] ?? [:]
        let schemes = components["securitySchemes"] as? [String: [String: String]]
        #expect(schemes?["bearer"]?["scheme"] == "bearer")
        let responses = components["responses"] as? [String: [String: Any]] ?? [:]
        let paths = doc["paths"] as? [String: [String: Any]] ?? [:]
        for (path, item) in paths {
            for (method, value) in item where Self.methods.contains(method) {
                let name = "\(method.uppercased()) \(path)"
                let operation = try #require(value as? [String: Any], "\(name)")
                let answers = operation["responses"] as? [String: Any] ?? [:]
                let success = answers.filter { $0.key.hasPrefix("2") }
                #expect(!success.isEmpty, "\(name) has no 2xx response")
                for (_, answer) in success {
                    let content = (answer as? [String: Any])?["content"] as? [String: [String: Any]] ?? [:]
                    #expect(!content.isEmpty && content.values.allSatisfy { $0["schema"] != nil }, "\(name): a 2xx answer without a schema")
                }
                #expect(answers["400"] != nil, "\(name): no 400 (every path can be non-canonical)")
                for (status, answer) in answers where status.hasPrefix("4") {
                    // Every error answer is a JSON body {"error": ...}: a reference to one of the shared error responses.
                    let reference = ((answer as? [String: String])?["$ref"] ?? "").replacingOccurrences(of: "#/components/responses/", with: "")
                    let content = responses[reference]?["content"] as? [String: [String: [String: String]]]
                    #expect(content?["application/json"]?["schema"]?["$ref"] == "#/components/schemas/Error", "\(name) \(status)")
                }
                if method == "put" || (method == "post" && !path.hasSuffix("/restore")) {
                    let body = operation["requestBody"] as? [String: Any]
                    let content = body?["content"] as? [String: [String: Any]] ?? [:]
                    #expect(!content.isEmpty && content.values.allSatisfy { $0["schema"] != nil }, "\(name): no request body schema")
                }
                if path.contains("{") {
                    let parameters = operation["parameters"] as? [[String: Any]] ?? []
                    let names = Set(parameters.filter { $0["in"] as? String == "path" }.compactMap { $0["name"] as? String })
                    let inPath = Set(path.split(separator: "{").dropFirst().map { String($0.prefix { $0 != "}" }) })
                    #expect(names == inPath, "\(name): path parameters")
                }
            }
        }
    }

    @Test("the document is served at /api/openapi.json without the token, the rest of the API still needs it")
    func issue30_openAPIServedPublicly() async throws {
        let h = try await RouterHarness()
        try await h.app.test(.router) { client in
            let r = try await client.execute(uri: StationAPI.openAPIPath, method: .get)
            #expect(r.status == .ok && r.headers[.contentType] == "application/json; charset=utf-8")
            #expect(String(buffer: r.body) == StationAPI.openAPIText)
            #expect(try await client.execute(uri: "/api/status", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: StationAPI.openAPIPath, method: .put).status == .unauthorized, "only GET is public")
        }
    }
}
