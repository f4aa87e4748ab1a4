import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Logging
import NIOCore
import Testing
import Gateway
import ChargePoint
import Persistence
@testable import WebUI
@testable import App
import PKI
import Runtimes

/// The gateway's running controller (``GatewayController``, the web configuration's ``GatewayService``) on a temporary
/// data directory, with the router `chargekit gateway` builds: the web configuration and the local API.
struct GatewayHarness: Sendable {
    static let token = "gateway-test-token"
    static let auth: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
    let database: GatewayDatabase
    let controller: GatewayController
    let accounts: WebAccounts
    let certificates: WebServerCertificates

    init(_ settings: GatewaySettings = GatewaySettings()) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ck-gwapi-\(UUID().uuidString)").path
        let dir = DataDirectory(directory, role: "gateway")
        _ = try dir.lock()
        database = try GatewayDatabase(directory: directory)
        try database.saveSettings(settings)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        controller = GatewayController(database: database, options: GatewayOptions(dataDirectory: directory), directory: dir, logger: logger)
        accounts = try WebAccounts(store: database)
        _ = try await accounts.createMissingAccounts()
        certificates = try WebServerCertificates(dataDirectory: directory, role: "gateway", names: .init(commonName: "gateway-test"),
                                                 now: { Date() }, logger: logger)
    }

    /// The router as `GatewayApp.run` builds it.
    var router: Router<WebRequestContext> {
        get throws {
            let router = Router(context: WebRequestContext.self)
            router.add(middleware: CanonicalPathMiddleware())
            try GatewayWeb(gateway: controller, accounts: accounts, version: ChargeKitVersion.current, certificates: certificates).addRoutes(to: router)
            GatewayAPI.addRoutes(to: router, gateway: controller, accounts: accounts, apiToken: Self.token, version: "test",
                                 certificates: certificates)
            return router
        }
    }

    var app: some ApplicationProtocol { get throws { Application(router: try router) } }

    func stored() throws -> GatewaySettings { try database.loadSettings() ?? GatewaySettings() }

    static func object(_ r: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(String(buffer: r.body).utf8)) as? [String: Any]) ?? [:]
    }

    static func body(_ value: Any) throws -> ByteBuffer { ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: value)) }
}

/// The gateway's OpenAPI document (Resources/gateway-openapi.json) against its router and its registry (issue 30 item 3).
@Suite("Gateway API: OpenAPI document")
struct GatewayOpenAPITests {
    static func document() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(GatewayAPI.openAPIText.utf8)) as? [String: Any])
    }

    static func registered(_ router: Router<WebRequestContext>) -> Set<String> {
        Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" }.filter { $0.split(separator: " ")[1].hasPrefix("/api/") })
    }

    @Test("every API route of the gateway's router is in gateway-openapi.json, and nothing more")
    func issue30_3_gatewayOpenAPIListsExactlyTheRoutes() async throws {
        let h = try await GatewayHarness()
        let registered = Self.registered(try h.router)
        let documented = OpenAPITests.documented(try Self.document())
        #expect(registered.count >= 17, "the router's routes were read: \(registered.sorted())")
        #expect(registered.subtracting(documented).sorted() == [], "routes without a description in gateway-openapi.json")
        #expect(documented.subtracting(registered).sorted() == [], "descriptions of routes the router does not have")
    }

    @Test("every operation has a success schema, a 400, JSON error responses, a request body schema where it reads one")
    func issue30_3_gatewayEveryOperationHasSchemas() throws {
        let doc = try Self.document()
        #expect(doc["openapi"] as? String == "3.1.0")
        let components = doc["components"] as? [String: Any] ?? [:]
        #expect((components["securitySchemes"] as? [String: [String: String]])?["bearer"]?["scheme"] == "bearer")
        let responses = components["responses"] as? [String: [String: Any]] ?? [:]
        for (path, item) in doc["paths"] as? [String: [String: Any]] ?? [:] {
            for (method, value) in item where OpenAPITests.methods.contains(method) {
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
                    let reference = ((answer as? [String: String])?["$ref"] ?? "").replacingOccurrences(of: "#/components/responses/", with: "")
                    let content = responses[reference]?["content"] as? [String: [String: [String: String]]]
                    #expect(content?["application/json"]?["schema"]?["$ref"] == "#/components/schemas/Error", "\(name) \(status)")
                }
                if ["put", "patch", "post"].contains(method) {
                    let content = (operation["requestBody"] as? [String: Any])?["content"] as? [String: [String: Any]] ?? [:]
                    #expect(!content.isEmpty && content.values.allSatisfy { $0["schema"] != nil }, "\(name): no request body schema")
                }
                if path.contains("{") {
                    let parameters = operation["parameters"] as? [[String: Any]] ?? []
                    let names = Set(parameters.filter { $0["in"] as? String == "path" }.compactMap { $0["name"] as? String })
                    #expect(names == Set(path.split(separator: "{").dropFirst().map { String($0.prefix { $0 != "}" }) }), "\(name): path parameters")
                }
            }
        }
    }

    @Test("the settings' schemas are the gateway registry: every setting, its range or choices; secrets only in the PATCH")
    func issue30_3_gatewayOpenAPISettingsAreTheRegistry() throws {
        let schemas = try #require((try Self.document()["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
        let read = try #require((schemas["SettingValues"]?["properties"]) as? [String: [String: Any]])
        let patch = try #require(((schemas["SettingsPatch"]?["properties"] as? [String: Any])?["values"] as? [String: Any])?["properties"] as? [String: [String: Any]])
        let project = try #require(((schemas["Project"]?["properties"] as? [String: Any])?["settings"] as? [String: Any])?["properties"] as? [String: [String: Any]])
        let keys = Set(GatewaySettings.fields.map(\.key)), secrets = Set(GatewayProject.secretKeys)
        #expect(Set(read.keys) == keys.subtracting(secrets), "GET /api/settings: every setting but the secrets")
        #expect(Set(patch.keys) == keys, "PATCH /api/settings: every setting")
        #expect(Set(project.keys) == keys.union(["chargers", "signalsOff"]), "the project file's settings")
        for f in GatewaySettings.fields {
            let schema = try #require(patch[f.key])
            switch f.definition.type {
            case .integer(let range, _):
                #expect(schema["type"] as? String == "integer" && schema["minimum"] as? Int == range.lowerBound && schema["maximum"] as? Int == range.upperBound,
                        "\(f.key): \(schema)")
            case .choice(let choices):
                let values = (schema["enum"] as? [Any] ?? []).map { "\($0)" }
                #expect(values == choices.map(\.value), "\(f.key): \(schema)")
            case .bool:
                #expect(schema["type"] as? String == "boolean", "\(f.key)")
            case .string(let length, _):
                #expect(schema["type"] as? String == "string" && schema["maxLength"] as? Int == length.upperBound, "\(f.key): \(schema)")
            case .url(_, let maxLength):
                #expect(schema["type"] as? String == "string" && schema["maxLength"] as? Int == maxLength, "\(f.key): \(schema)")
            default:
                Issue.record("\(f.key): a type the document does not describe")
            }
            #expect(project[f.key].map { NSDictionary(dictionary: $0) } == NSDictionary(dictionary: schema), "\(f.key): the project file's schema")
        }
    }

    @Test("the document is public at /api/openapi.json; the rest needs the token of gateway.json")
    func issue30_3_gatewayOpenAPIServedPublicly() async throws {
        let h = try await GatewayHarness()
        try await h.app.test(.router) { client in
            let doc = try await client.execute(uri: "/api/openapi.json", method: .get)
            #expect(doc.status == .ok && String(buffer: doc.body) == GatewayAPI.openAPIText)
            let refused = try await client.execute(uri: "/api/status", method: .get)
            #expect(refused.status == .unauthorized && refused.headers[.wwwAuthenticate] == "Bearer")
            let why = GatewayHarness.object(refused)["error"] as? String
            #expect(why?.contains("gateway.json") == true)
            let wrong = try await client.execute(uri: "/api/settings", method: .get, headers: [.authorization: "Bearer nope"])
            #expect(wrong.status == .unauthorized)
            let status = try await client.execute(uri: "/api/status", method: .get, headers: GatewayHarness.auth)
            #expect(status.status == .ok && GatewayHarness.object(status)["version"] as? String == "test")
            #expect(GatewayHarness.object(status)["running"] as? Bool == false, "the services were not started")
            let missing = try await client.execute(uri: "/api/nothing", method: .get, headers: GatewayHarness.auth)
            #expect(missing.status == .notFound && GatewayHarness.object(missing)["error"] != nil, "JSON errors as the station's")
        }
    }
}

/// API parity with the gateway's web configuration (issue 30 item 4).
@Suite("Gateway API: parity with the web configuration")
struct GatewayAPIParityTests {
    /// Each page and action of the web configuration and the API call that does the same.
    static let counterparts: [String: String] = [
        "GET /": "GET /api/diagnostics",
        "GET /diagnostic/frames": "GET /api/chargers/{id}/frames",
        "GET /transactions": "GET /api/transactions",
        "GET /system": "GET /api/security-log",
        "POST /system/certificate": "PUT /api/system/certificate",
        "POST /system/certificate/reset": "DELETE /api/system/certificate",
        "GET /settings/general": "GET /api/settings",
        "POST /settings/general": "PATCH /api/settings",
        "GET /settings/modbus": "GET /api/settings",
        "POST /settings/modbus": "PATCH /api/settings",
        "GET /settings/chargers": "GET /api/chargers",
        "POST /settings/chargers": "PUT /api/chargers",
        "POST /settings/chargers/accept": "POST /api/scanned-chargers/{id}/accept",
        "POST /settings/chargers/dismiss": "DELETE /api/scanned-chargers/{id}",
        "GET /settings/signals": "GET /api/signals",
        "POST /settings/signals": "PUT /api/signals",
        "GET /settings/signals.csv": "GET /api/signals.csv",
        "GET /settings/project": "GET /api/project",
        "GET /settings/project.json": "GET /api/project",
        "POST /settings/project": "PUT /api/project",
        "GET /account/password": "PUT /api/accounts/{name}/password",
        "POST /account/password": "PUT /api/accounts/{name}/password",
    ]
    /// The session's own routes (login, logout, language, the style sheet): no API counterpart.
    static let sessionRoutes: Set<String> = ["GET /login", "POST /login", "POST /logout", "POST /account/language", "GET /static/app.css",
                                             "GET /static/app.js"]

    @Test("issue30_4 every page and action of the gateway's web configuration has an API call, with the installer rule")
    func issue30_4_gatewayAPIParityEveryWebActionHasAnAPICall() async throws {
        let h = try await GatewayHarness()
        let routes = Set(try h.router.routes.map { "\($0.method.rawValue) \($0.path.description)" })
        let web = routes.filter { !$0.split(separator: " ")[1].hasPrefix("/api/") }.subtracting(Self.sessionRoutes)
        #expect(web.count >= 15, "the web routes were read: \(web.sorted())")
        #expect(web.subtracting(Self.counterparts.keys).sorted() == [], "web routes without an API counterpart")
        #expect(Set(Self.counterparts.values).subtracting(routes).sorted() == [], "counterparts the API does not have")
        // The same role: the web's changes need the installer; the token acts as installer (as on the station).
        #expect(GatewayWeb.configureRole == .installer && StationAPI.apiRole >= GatewayWeb.configureRole)
    }

    @Test("seeds003_2_2 a PATCH with a bad value answers 400 naming the field and its range, and changes nothing")
    func seeds003_2_2_gatewayAPIPatchRefusesBadValueNamingFieldAndRange() async throws {
        let h = try await GatewayHarness()
        let before = try h.stored()
        try await h.app.test(.router) { client in
            let bad = try await client.execute(uri: "/api/settings", method: .patch, headers: GatewayHarness.auth,
                                               body: try GatewayHarness.body(["values": ["heartbeatIntervalSeconds": 5, "modbusUnitID": 7]]))
            #expect(bad.status == .badRequest)
            let o = GatewayHarness.object(bad)
            #expect(o["field"] as? String == "heartbeatIntervalSeconds")
            let field = (o["fields"] as? [String: [String: Any]])?["heartbeatIntervalSeconds"]
            #expect(field?["allowed"] as? String == "10…86400 s")
            let message = field?["error"] as? String
            #expect(message?.contains("5 is outside 10…86400 s") == true, "\(String(buffer: bad.body))")
            #expect((o["fields"] as? [String: Any])?["modbusUnitID"] == nil, "the good value is not named")
            #expect(try h.stored() == before, "all or nothing: the unit id did not change either")

            // The web form's range text is the API's.
            let heartbeat = try #require(GatewaySettings.fields.first { $0.key == "heartbeatIntervalSeconds" })
            #expect(GatewayWeb.allowed(heartbeat, t: WebText.gatewayTable("en")) == field?["allowed"] as? String)

            let cases: [([String: Any], String)] = [(["mode": 3], "mode"), (["rtuParity": "mark"], "rtuParity"), (["modbusTCPEnabled": "yes"], "modbusTCPEnabled"),
                                                    (["chargers": [Any]()], "chargers"), (["noSuchSetting": 1], "noSuchSetting"),
                                                    (["bmsTimeZone": "Mars/Base"], "bmsTimeZone")]
            for (values, name) in cases {
                let r = try await client.execute(uri: "/api/settings", method: .patch, headers: GatewayHarness.auth, body: try GatewayHarness.body(["values": values]))
                #expect(r.status == .badRequest && (GatewayHarness.object(r)["fields"] as? [String: Any])?[name] != nil, "\(name): \(String(buffer: r.body))")
            }
            #expect(try h.stored() == before)

            let good = try await client.execute(uri: "/api/settings", method: .patch, headers: GatewayHarness.auth,
                                                body: try GatewayHarness.body(["values": ["heartbeatIntervalSeconds": 600, "rtuParity": "odd", "externalPassword": "s3cret"]]))
            #expect(good.status == .ok && GatewayHarness.object(good)["changed"] as? Bool == true, "\(String(buffer: good.body))")
            let stored = try h.stored()
            #expect(stored.heartbeatIntervalSeconds == 600 && stored.rtuParity == "odd" && stored.externalPassword == "s3cret")
            let again = try await client.execute(uri: "/api/settings", method: .patch, headers: GatewayHarness.auth,
                                                 body: try GatewayHarness.body(["values": ["heartbeatIntervalSeconds": 600]]))
            #expect(GatewayHarness.object(again)["changed"] as? Bool == false)
        }
    }

    @Test("secrets are never returned: the settings say only whether the password is set, the project file leaves it out")
    func issue30_4_gatewayAPINeverReturnsSecrets() async throws {
        var settings = GatewaySettings()
        settings.externalPassword = "top-secret-pw"
        let h = try await GatewayHarness(settings)
        try await h.app.test(.router) { client in
            for uri in ["/api/settings", "/api/project", "/api/diagnostics", "/api/status", "/api/chargers"] {
                let r = try await client.execute(uri: uri, method: .get, headers: GatewayHarness.auth)
                #expect(r.status == .ok && !String(buffer: r.body).contains("top-secret-pw"), "\(uri)")
            }
            let r = try await client.execute(uri: "/api/settings", method: .get, headers: GatewayHarness.auth)
            #expect((GatewayHarness.object(r)["secretsSet"] as? [String: Bool])?["externalPassword"] == true)
            #expect((GatewayHarness.object(r)["values"] as? [String: Any])?["heartbeatIntervalSeconds"] as? Int == 300)
        }
    }

    @Test("seeds003_2_2_4b the OCPP scan by API: accept into the first free slot, dismiss; unknown 404, configured 409")
    func seeds003_2_2_4b_gatewayAPIScannedChargers() async throws {
        var settings = GatewaySettings()
        settings.chargers = [ChargerEntry(id: "CP0", slot: 0, connectors: 1)]
        let h = try await GatewayHarness(settings)
        for id in ["NEW1", "NEW2", "CP0"] { try h.database.recordScan(id: id, remoteAddress: "10.0.0.9", at: Date()) }
        try await h.app.test(.router) { client in
            let list = try await client.execute(uri: "/api/scanned-chargers", method: .get, headers: GatewayHarness.auth)
            let ids = (try JSONSerialization.jsonObject(with: Data(String(buffer: list.body).utf8)) as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(ids.sorted() == ["NEW1", "NEW2"], "configured ChargerIDs are not offered, as on the page")
            let bad = try await client.execute(uri: "/api/scanned-chargers/NEW1/accept", method: .post, headers: GatewayHarness.auth,
                                               body: try GatewayHarness.body(["connectors": 9]))
            #expect(bad.status == .badRequest && (GatewayHarness.object(bad)["fields"] as? [String: Any])?["chargers"] != nil)
            #expect(try h.stored().chargers.count == 1)
            let accepted = try await client.execute(uri: "/api/scanned-chargers/NEW1/accept", method: .post, headers: GatewayHarness.auth,
                                                    body: try GatewayHarness.body(["connectors": 2]))
            #expect(accepted.status == .ok, "\(String(buffer: accepted.body))")
            #expect(try h.stored().charger(id: "NEW1") == ChargerEntry(id: "NEW1", slot: 1, connectors: 2))
            #expect(try await client.execute(uri: "/api/scanned-chargers/NEW1/accept", method: .post, headers: GatewayHarness.auth).status == .notFound,
                    "accepted: no longer in the scan")
            #expect(try await client.execute(uri: "/api/scanned-chargers/CP0/accept", method: .post, headers: GatewayHarness.auth).status == .conflict)
            #expect(try await client.execute(uri: "/api/scanned-chargers/NEW2", method: .delete, headers: GatewayHarness.auth).status == .ok)
            #expect(try await client.execute(uri: "/api/scanned-chargers/NEW2", method: .delete, headers: GatewayHarness.auth).status == .notFound)
            #expect(try h.database.scannedChargers().map(\.id) == ["CP0"])
        }
    }

    @Test("seeds003_2_2_4 charger list, signals and project by API: checked whole as the pages check them, refused changes change nothing")
    func seeds003_2_2_4_gatewayAPIChargersSignalsProject() async throws {
        let h = try await GatewayHarness()
        try await h.app.test(.router) { client in
            let twice = try await client.execute(uri: "/api/chargers", method: .put, headers: GatewayHarness.auth,
                                                 body: try GatewayHarness.body(["chargers": [["id": "A", "slot": 0, "connectors": 1], ["id": "A", "slot": 1, "connectors": 1]]]))
            let twiceError = GatewayHarness.object(twice)["error"] as? String
            #expect(twice.status == .badRequest && twiceError?.contains("configured twice") == true)
            #expect(try h.stored().chargers.isEmpty)
            let list = try await client.execute(uri: "/api/chargers", method: .put, headers: GatewayHarness.auth,
                                                body: try GatewayHarness.body(["chargers": [["id": "A", "slot": 3, "connectors": 2]]]))
            #expect(list.status == .ok && GatewayHarness.object(list)["changed"] as? Bool == true)
            #expect(try h.stored().chargers == [ChargerEntry(id: "A", slot: 3, connectors: 2)])

            let badSignal = try await client.execute(uri: "/api/signals", method: .put, headers: GatewayHarness.auth, body: try GatewayHarness.body(["off": [60000]]))
            #expect(badSignal.status == .badRequest && GatewayHarness.object(badSignal)["field"] as? String == "signalsOff")
            #expect(try h.stored().signalsOff.isEmpty)
            let signals = try await client.execute(uri: "/api/signals", method: .get, headers: GatewayHarness.auth)
            let first = try #require((GatewayHarness.object(signals)["signals"] as? [[String: Any]])?.first { $0["owner"] as? String == "A" }?["address"] as? Int)
            let off = try await client.execute(uri: "/api/signals", method: .put, headers: GatewayHarness.auth, body: try GatewayHarness.body(["off": [first]]))
            #expect(off.status == .ok)
            let afterOff = try h.stored()
            #expect(afterOff.signalsOff == [first])
            let csv = try await client.execute(uri: "/api/signals.csv", method: .get, headers: GatewayHarness.auth)
            #expect(String(buffer: csv.body) == GatewayWeb.signalsCSV(afterOff), "the page's CSV")

            let project = try await client.execute(uri: "/api/project", method: .get, headers: GatewayHarness.auth)
            let exported = try GatewayProject.export(afterOff)
            #expect(String(buffer: project.body) == exported)
            let same = try await client.execute(uri: "/api/project", method: .put, headers: GatewayHarness.auth, body: project.body)
            #expect(same.status == .ok && GatewayHarness.object(same)["changed"] as? Bool == false)
            let before = try h.stored()
            var text = String(buffer: project.body).replacingOccurrences(of: "\"heartbeatIntervalSeconds\" : 300", with: "\"heartbeatIntervalSeconds\" : 1")
            #expect(text != String(buffer: project.body))
            let refused = try await client.execute(uri: "/api/project", method: .put, headers: GatewayHarness.auth, body: ByteBuffer(string: text))
            #expect(refused.status == .badRequest && (GatewayHarness.object(refused)["fields"] as? [String: Any])?["heartbeatIntervalSeconds"] != nil)
            #expect(try h.stored() == before)
            text = text.replacingOccurrences(of: "\"heartbeatIntervalSeconds\" : 1", with: "\"heartbeatIntervalSeconds\" : 120")
            let imported = try await client.execute(uri: "/api/project", method: .put, headers: GatewayHarness.auth, body: ByteBuffer(string: text))
            #expect(imported.status == .ok)
            #expect(try h.stored().heartbeatIntervalSeconds == 120)
        }
    }

    @Test("diagnostics, frames and transactions by API once the gateway services run")
    func seeds003_2_2_8_gatewayAPIDiagnostics() async throws {
        var settings = GatewaySettings()
        settings.chargers = [ChargerEntry(id: "CP1", slot: 0, connectors: 2)]
        let h = try await GatewayHarness(settings)
        _ = try await h.controller.makeServices()  // the runtime, not started: the diagnostics read it
        try await h.app.test(.router) { client in
            let d = GatewayHarness.object(try await client.execute(uri: "/api/diagnostics", method: .get, headers: GatewayHarness.auth))
            #expect(d["running"] as? Bool == true && d["mode"] as? String == "BMS")
            let chargers = d["chargers"] as? [[String: Any]] ?? []
            #expect(chargers.count == 1 && chargers.first?["id"] as? String == "CP1" && chargers.first?["connected"] as? Bool == false)
            #expect((d["modbus"] as? [String: Any])?["requests"] as? Int == 0)
            let frames = try await client.execute(uri: "/api/chargers/CP1/frames", method: .get, headers: GatewayHarness.auth)
            #expect(frames.status == .ok && String(buffer: frames.body) == "[]")
            #expect(try await client.execute(uri: "/api/chargers/NOPE/frames", method: .get, headers: GatewayHarness.auth).status == .notFound)
            let transactions = try await client.execute(uri: "/api/transactions?limit=5", method: .get, headers: GatewayHarness.auth)
            #expect(transactions.status == .ok && String(buffer: transactions.body) == "[]")
            #expect(try await client.execute(uri: "/api/transactions?limit=0", method: .get, headers: GatewayHarness.auth).status == .badRequest)
        }
    }
}
