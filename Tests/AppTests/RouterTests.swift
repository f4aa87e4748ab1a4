import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Logging
import NIOCore
import Synchronization
import Testing
import Authorization
import ChargePoint
import EVSECore
import Simulator
import WebUI
import Persistence
import PKI
@testable import App
@testable import Runtimes

/// A station runtime on a temporary data directory with its router (web interface and API), and a browser-like
/// client state: cookies and the session's CSRF token.
struct RouterHarness: Sendable {
    static let token = "router-test-token"
    let directory: String
    let runtime: StationRuntime<SimulatedBoard>
    /// The simulated board, as `chargekit station --simulate` chooses it.
    static let board = BoardFactory(name: "simulated") { setup, persisted, now in SimulatedBoard.make(setup, persisted: persisted, now: now) }
    let accounts: WebAccounts
    let passwords: [String: String]
    let restarts = RestartLog()
    /// The HTTPS certificate's service on the harness's data directory (System page card, `/api/system/certificate`).
    let certificates: WebServerCertificates

    final class RestartLog: Sendable {
        let kinds = Mutex<[StationRestart]>([])
    }

    /// - Parameter preset: parameter values stored before the station starts (as `chargekit config set` on a stopped station).
    init(connectors: Int = 2, preset: [String: ParameterValue] = [:]) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ck-router-\(UUID().uuidString)").path
        if !preset.isEmpty {
            var parameters = try ParameterService(store: try StationDatabase(directory: directory))
            for (key, value) in preset.sorted(by: { $0.key < $1.key }) {
                try parameters.set(key, value, role: .manufacturer, changedBy: "test", now: Date())
            }
        }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let assembly = try await StationApp.assemble(StationOptions(dataDirectory: directory, connectors: connectors), board: Self.board,
                                                     dir: DataDirectory(directory), logger: logger)
        runtime = assembly.runtime
        accounts = assembly.accounts
        passwords = Dictionary(uniqueKeysWithValues: try await assembly.accounts.createMissingAccounts().map { ($0.name, $0.password) })
        certificates = try WebServerCertificates(dataDirectory: directory, role: "station", names: .init(commonName: "CK-ROUTER"),
                                                 now: { Date() }, logger: logger)
        let restarts = self.restarts
        await runtime.setRestartHandler { kind in restarts.kinds.withLock { $0.append(kind) } }
    }

    /// The station's HTTP application (web interface and API) for the in-process test client.
    var app: some ApplicationProtocol {
        get throws {
            Application(router: StationAPI.router(station: runtime, simulator: runtime,
                                                  web: try WebInterface(station: runtime, accounts: accounts, simulator: runtime,
                                                                        certificates: certificates),
                                                  apiToken: Self.token, metrics: runtime, certificates: certificates))
        }
    }

    func password(_ role: String) -> String { passwords[role]! }

    func value(_ key: String) async throws -> String { try await runtime.parameter(key).value.description }
}

/// What a browser keeps between requests.
struct Browser {
    var cookies: [String: String] = [:]
    var csrf = ""

    var cookieHeader: HTTPFields {
        cookies.isEmpty ? [:] : [.cookie: cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ")]
    }

    mutating func keep(_ response: TestResponse) {
        for value in response.headers[values: .setCookie] {
            let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2 else { continue }
            if pair[1].isEmpty { cookies[pair[0]] = nil } else { cookies[pair[0]] = pair[1] }
        }
        let html = String(buffer: response.body)
        if let r = html.range(of: #"name="csrf" value="([0-9a-f]+)""#, options: .regularExpression) {
            csrf = String(html[r].dropFirst(#"name="csrf" value=""#.count).dropLast())
        }
    }

    static func form(_ fields: [String: String]) -> ByteBuffer {
        ByteBuffer(string: fields.map { k, v in
            "\(k)=\(v.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        }.joined(separator: "&"))
    }
}

extension TestClientProtocol {
    /// A request with the browser's cookies; remembers the cookies and CSRF token it answers with.
    @discardableResult
    func send(_ browser: inout Browser, _ method: HTTPRequest.Method, _ uri: String, form: [String: String]? = nil,
              csrf: Bool = true) async throws -> TestResponse {
        var headers = browser.cookieHeader
        var body: ByteBuffer?
        if var fields = form {
            if csrf { fields["csrf"] = browser.csrf }
            headers[.contentType] = "application/x-www-form-urlencoded"
            body = Browser.form(fields)
        }
        let response = try await execute(uri: uri, method: method, headers: headers, body: body)
        browser.keep(response)
        return response
    }

    /// Logs `role` in (the first login changes the initial password) and returns the browser with its session.
    func loggedIn(_ role: String, _ harness: RouterHarness) async throws -> Browser {
        var b = Browser()
        try await send(&b, .get, "/login")
        let login = try await send(&b, .post, "/login", form: ["name": role, "password": harness.password(role)])
        #expect(login.status == .seeOther && login.headers[.location] == "/account/password")
        try await send(&b, .get, "/account/password")
        let changed = try await send(&b, .post, "/account/password",
                                     form: ["old": harness.password(role), "new": "\(role)-password-1", "repeat": "\(role)-password-1"])
        #expect(changed.status == .seeOther)
        try await send(&b, .get, "/")
        return b
    }
}

@Suite("Router: every route of the web interface and the API with its error paths")
struct RouterTests {
    @Test("without a session every page goes to the login page; the assets and the login page are public")
    func publicAndPrivate() async throws {
        let h = try await RouterHarness()
        try await h.app.test(.router) { client in
            var b = Browser()
            for path in ["/", "/history", "/menu/system", "/whitelists", "/simulator", "/system/log.zip", "/history/export", "/live/status"] {
                let r = try await client.send(&b, .get, path)
                #expect(r.status == .seeOther && r.headers[.location] == "/login", "\(path)")
            }
            for path in ["/static/app.css", "/static/app.js", "/login"] {
                #expect(try await client.send(&b, .get, path).status == .ok, "\(path)")
            }
            let r = try await client.send(&b, .post, "/menu/installation", form: ["PowerSourceVoltage": "240"], csrf: false)
            #expect(r.status == .seeOther && r.headers[.location] == "/login")
        }
    }

    @Test("login: forged login token 403, wrong password 401, lockout 429; the initial password must be changed first")
    func login() async throws {
        let h = try await RouterHarness()
        try await h.app.test(.router) { client in
            var b = Browser()
            try await client.send(&b, .get, "/login")
            var forged = b
            forged.csrf = "00"
            #expect(try await client.send(&forged, .post, "/login", form: ["name": "operator", "password": "x"]).status == .forbidden)
            #expect(try await client.send(&b, .post, "/login", form: ["name": "operator", "password": "wrong"]).status == .unauthorized)
            #expect(try await client.send(&b, .post, "/login", form: ["name": "nobody", "password": "wrong"]).status == .unauthorized)
            let ok = try await client.send(&b, .post, "/login", form: ["name": "installer", "password": h.password("installer")])
            #expect(ok.headers[.location] == "/account/password")
            try await client.send(&b, .get, "/account/password")
            let blocked = try await client.send(&b, .get, "/menu/installation")
            #expect(blocked.headers[.location] == "/account/password", "nothing else before the password is changed")
            let short = try await client.send(&b, .post, "/account/password", form: ["old": h.password("installer"), "new": "short", "repeat": "short"])
            #expect(short.status == .badRequest && String(buffer: short.body).contains("new-error"))
            var other = Browser()
            try await client.send(&other, .get, "/login")
            for _ in 0..<2 { _ = try await client.send(&other, .post, "/login", form: ["name": "manufacturer", "password": "wrong"]) }
            #expect(try await client.send(&other, .post, "/login", form: ["name": "manufacturer", "password": "wrong"]).status == .tooManyRequests)
        }
    }

    @Test("every page renders for a logged-in user; forms without the CSRF token are refused with 403")
    func pagesAndCSRF() async throws {
        let h = try await RouterHarness()
        try await h.app.test(.router) { client in
            var b = try await client.loggedIn("installer", h)
            for path in ["/", "/history", "/whitelists", "/simulator", "/account/password", "/menu/network", "/menu/backend",
                         "/menu/authorization", "/menu/load-management", "/menu/installation", "/menu/system"] {
                let r = try await client.send(&b, .get, path)
                #expect(r.status == .ok, "\(path)")
                #expect(r.headers[.contentType] == "text/html; charset=utf-8" && r.headers[.init("X-Frame-Options")!] == "DENY", "\(path)")
            }
            let network = String(buffer: try await client.send(&b, .get, "/menu/network").body)
            #expect(network.contains(#"<td class="mono">lo</td><td class="mono">127.0.0.1"#), "the interfaces with their addresses")
            #expect(network.contains("/menu/load-management#s-modbus"))
            #expect(network.contains(#"name="MQTTBrokerHost""#) && network.contains(#"name="MQTTEnabled""#),
                    "the MQTT client's parameters (section MQTT) in the page's form")
            #expect(network.contains(#"<a href="/menu/network#s-mqtt">MQTT broker</a></dt><dd class="mono small">Off</dd>"#),
                    "the MQTT endpoint, off by default")
            let missing = try await client.send(&b, .get, "/no-such-page")
            #expect(missing.status == .notFound, "\(missing.status) \(String(buffer: missing.body))")
            for path in ["/menu/installation", "/whitelists/add", "/whitelists/delete-all", "/system/restart", "/system/factory-reset",
                         "/system/clock", "/simulator/plug", "/account/language", "/logout"] {
                var forged = b
                forged.csrf = "forged"
                #expect(try await client.send(&forged, .post, path, form: ["x": "1"]).status == .forbidden, "\(path)")
            }
            #expect(h.restarts.kinds.withLock { $0.isEmpty }, "nothing was restarted")
            let before = try await client.send(&b, .get, "/whitelists")
            #expect(String(buffer: before.body).contains("wl-count\">0 /"))
        }
    }

    @Test("parameter forms: an invalid value 400 with the field's error and nothing saved; a role above the user's is refused")
    func parameters() async throws {
        let h = try await RouterHarness()
        try await h.app.test(.router) { client in
            var b = try await client.loggedIn("operator", h)
            let bad = try await client.send(&b, .post, "/menu/installation", form: ["PowerSourceVoltage": "999"])
            #expect(bad.status == .badRequest)
            let html = String(buffer: bad.body)
            #expect(html.contains("e-PowerSourceVoltage") && html.contains("100 to 280 V") && html.contains("value=\"999\""))
            let voltage = try await h.value("PowerSourceVoltage")
            #expect(voltage == "230", "nothing saved")
            let forbidden = try await client.send(&b, .post, "/menu/installation", form: ["InstallationCurrentLimit.1": "16"])
            #expect(forbidden.status == .badRequest && String(buffer: forbidden.body).contains("installer role"))
            let ok = try await client.send(&b, .post, "/menu/system", form: ["Timezone": "Europe/Berlin"])
            #expect(ok.status == .seeOther && ok.headers[.location] == "/menu/system?saved=1")
            let zone = try await h.value("Timezone")
            #expect(zone == "Europe/Berlin")
            // The offset is Berlin's on the day the page is rendered (+01:00 in winter, +02:00 in summer): the
            // expectation is computed for the instants before and after the request, so a DST change between them passes.
            let berlin = TimeZone(identifier: "Europe/Berlin")!
            let before = Date()
            let page = try await client.send(&b, .get, "/menu/system")
            let offsets = Set([before, Date()].map { berlin.isDaylightSavingTime(for: $0) ? "UTC+02:00" : "UTC+01:00" })
            #expect(offsets.contains { String(buffer: page.body).contains("Europe/Berlin (\($0))") }, "\(offsets)")
            // A field that only matters for another value starts hidden.
            let installation = String(buffer: try await client.send(&b, .get, "/menu/installation").body)
            #expect(installation.contains(#"data-key="MeterIPAddress.1" data-depends="MeterConfiguration.1" data-depends-value="!internal" hidden"#))
        }
    }

    @Test("seeds002_1_7 the authentication mode on the Authorization page: a preset that sets its parameters and shows what they amount to")
    func seeds002_1_7_authenticationModePage() async throws {
        let h = try await RouterHarness()
        try await h.app.test(.router) { client in
            var b = try await client.loggedIn("operator", h)
            var page = String(buffer: try await client.send(&b, .get, "/menu/authorization").body)
            #expect(page.contains(#"<option value="WhitelistedRFID" selected>"#) && page.contains(#"id="preset-AuthenticationMode""#))
            let saved = try await client.send(&b, .post, "/menu/authorization", form: ["AuthenticationMode": "NoRFID"])
            #expect(saved.status == .seeOther)
            let dummy = try await h.value("DummyRfidEnabled"), free = try await h.value("FreeCharging")
            #expect(dummy == "On" && free == "Off")
            page = String(buffer: try await client.send(&b, .get, "/menu/authorization").body)
            #expect(page.contains(#"<option value="NoRFID" selected>"#))
            _ = try await client.send(&b, .post, "/menu/authorization", form: ["DummyRfidEnabled": "Off", "IfInDoubtAllowCharging": "on"])
            page = String(buffer: try await client.send(&b, .get, "/menu/authorization").body)
            #expect(page.contains(#"<option value="Custom" selected>"#), "the settings match no mode")
        }
    }

    @Test("history: a bad day 400 naming it, CSV export with the range; log download is a ZIP")
    func historyAndLog() async throws {
        let h = try await RouterHarness()
        try await h.app.test(.router) { client in
            var b = try await client.loggedIn("operator", h)
            let bad = try await client.send(&b, .get, "/history?from=2026-13-01")
            #expect(bad.status == .badRequest && String(buffer: bad.body).contains("&#39;2026-13-01&#39; is not a valid day")
                    || String(buffer: bad.body).contains("'2026-13-01' is not a valid day"))
            #expect(try await client.send(&b, .get, "/history?from=2026-11-22&to=2026-11-21").status == .badRequest, "to before from")
            let csv = try await client.send(&b, .get, "/history/export?from=2026-01-01&to=2026-12-31")
            #expect(csv.status == .ok && csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.headers[.contentDisposition] == "attachment; filename=\"charging-history-2026-01-01-to-2026-12-31.csv\"")
            #expect(String(buffer: csv.body).hasPrefix("sessionId,connector,idTag"))
            let zip = try await client.send(&b, .get, "/system/log.zip")
            #expect(zip.status == .ok && zip.headers[.contentType] == "application/zip")
            #expect(Array(zip.body.readableBytesView.prefix(4)) == [0x50, 0x4B, 0x03, 0x04], "a ZIP local file header")
            #expect(Array(zip.body.readableBytesView.suffix(22).prefix(4)) == [0x50, 0x4B, 0x05, 0x06], "ends with the end of central directory")
        }
    }

    @Test("whitelists: add (refused with the reason), update, delete, restore, delete all, import too large 413")
    func whitelists() async throws {
        let h = try await RouterHarness()
        try await h.app.test(.router) { client in
            var b = try await client.loggedIn("operator", h)
            let bad = try await client.send(&b, .post, "/whitelists/add", form: ["id": "XYZ"])
            #expect(bad.status == .seeOther && bad.headers[.location]!.contains("error=") && bad.headers[.location]!.contains("id=XYZ"))
            #expect(try await client.send(&b, .post, "/whitelists/add", form: ["id": "11223344"]).headers[.location] == "/whitelists?done=added&id=11223344")
            let blocked = try await client.send(&b, .post, "/whitelists/update",
                                                form: ["id": "11223344", "authorization": "blocked", "expiry": "2031-01-01T10:00"])
            #expect(blocked.headers[.location] == "/whitelists?done=updated&id=11223344")
            let entry = await h.runtime.whitelist(search: "11223344").entries.first
            #expect(entry?.authorization == .blocked && entry?.expiry?.hasPrefix("2031-01-01T10:00") == true)
            #expect(try await client.send(&b, .post, "/whitelists/update", form: ["id": "99999999"]).headers[.location]!.contains("error="))
            #expect(try await client.send(&b, .post, "/whitelists/delete", form: ["id": "11223344"]).headers[.location] == "/whitelists?done=deleted&id=11223344")
            #expect(try await client.send(&b, .post, "/whitelists/restore", form: ["id": "11223344"]).headers[.location] == "/whitelists?done=restored&id=11223344")
            #expect(try await client.send(&b, .post, "/whitelists/delete-all", form: [:]).headers[.location] == "/whitelists?done=cleared&count=1")
            var headers = b.cookieHeader
            headers[.contentType] = "multipart/form-data; boundary=XX"
            let huge = ByteBuffer(string: "--XX\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" + String(repeating: "A", count: 600_000))
            #expect(try await client.execute(uri: "/whitelists/import", method: .post, headers: headers, body: huge).status == .contentTooLarge)
            let export = try await client.send(&b, .get, "/whitelists/export")
            #expect(export.status == .ok && export.headers[.contentDisposition] == "attachment; filename=\"whitelist.csv\"")
        }
    }

    @Test("simulator panel: plug, present a card, unplug while locked 409, unknown profile 400; restart and factory reset")
    func simulatorAndSystem() async throws {
        let h = try await RouterHarness()
        try await h.app.test(.router) { client in
            var b = try await client.loggedIn("operator", h)
            #expect(try await client.send(&b, .post, "/simulator/plug", form: ["connector": "1", "ev": "9p-99a"]).status == .badRequest)
            #expect(try await client.send(&b, .post, "/simulator/plug", form: ["connector": "7", "ev": "3p-16a"]).status == .notFound)
            #expect(try await client.send(&b, .post, "/simulator/plug", form: ["connector": "1", "ev": "3p-16a"]).headers[.location] == "/simulator?done=plug")
            _ = try await h.runtime.whitelistAdd(WhitelistEntryInput(id: "04567DAA5F3580"))
            #expect(try await client.send(&b, .post, "/simulator/rfid", form: ["uid": "04567DAA5F3580"]).status == .seeOther)
            #expect(try await client.send(&b, .post, "/simulator/rfid", form: ["uid": " "]).status == .badRequest)
            await h.runtime.tick()
            #expect(await h.runtime.status().connectors[0].session != nil)
            #expect(try await client.send(&b, .post, "/simulator/unplug", form: ["connector": "1"]).status == .conflict)
            #expect(try await client.send(&b, .post, "/simulator/fault", form: ["fault": "nonsense", "connector": "1", "active": "1"]).status == .badRequest)
            #expect(try await client.send(&b, .post, "/simulator/input", form: ["name": "opto1", "on": "1"]).status == .seeOther)
            #expect(await h.runtime.status().inputs["opto1"] == true)
            // The operator may not reset to factory settings; nothing restarts.
            #expect(try await client.send(&b, .post, "/system/factory-reset", form: ["confirm": "on"]).status == .forbidden)
            #expect(try await client.send(&b, .post, "/system/clock", form: ["time": "nonsense"]).headers[.location]!.contains("clockError="))
            let restart = try await client.send(&b, .post, "/system/restart", form: ["kind": "services"])
            #expect(restart.status == .accepted && restart.headers[.init("Refresh")!] == "8; url=/")
            #expect(await h.runtime.status().connectors[0].session == nil, "the session stopped (reason Reboot)")
            var installer = try await client.loggedIn("installer", h)
            #expect(try await client.send(&installer, .post, "/system/factory-reset", form: [:]).headers[.location] == "/menu/system?resetError=1#s-factory-reset")
            #expect(try await client.send(&installer, .post, "/system/factory-reset", form: ["confirm": "on"]).status == .accepted)
            #expect(h.restarts.kinds.withLock { $0 } == [.services, .factoryReset])
        }
    }

    @Test("API: 401 without the token or with a wrong one; JSON errors for unknown endpoints")
    func apiToken() async throws {
        let h = try await RouterHarness()
        try await h.app.test(.router) { client in
            let none = try await client.execute(uri: "/api/status", method: .get)
            #expect(none.status == .unauthorized && none.headers[.wwwAuthenticate] == "Bearer")
            #expect(String(buffer: none.body).contains("station.json"))
            #expect(try await client.execute(uri: "/api/status", method: .get, headers: [.authorization: "Bearer wrong"]).status == .unauthorized)
            let put = try await client.execute(uri: "/api/config/PowerSourceVoltage", method: .put, headers: [.contentType: "application/json"],
                                               body: ByteBuffer(string: #"{"value": 240, "role": "manufacturer"}"#))
            #expect(put.status == .unauthorized)
            let voltage = try await h.value("PowerSourceVoltage")
            #expect(voltage == "230", "nothing changed")
            let auth: HTTPFields = [.authorization: "Bearer \(RouterHarness.token)"]
            #expect(try await client.execute(uri: "/api/status", method: .get, headers: auth).status == .ok)
            let unknown = try await client.execute(uri: "/api/nothing", method: .get, headers: auth)
            #expect(unknown.status == .notFound && String(buffer: unknown.body).contains("no such endpoint"))
        }
    }
}
