import Foundation
import Hummingbird
import HTTPTypes
import Mustache
import NIOCore
import ChargePoint
import EVSECore

/// The operator web interface (issue 8; seeds/004 §3 "Configuratie-interface 2.0", seeds/002 §1, seeds/000 "Anleitung
/// Webinterface"): server-rendered pages whose forms work without JavaScript. Every page except the login page and the
/// static assets needs a session; every form carries the session's CSRF token; the session cookie is HttpOnly and
/// SameSite=Strict. Parameter pages are generated from the registry: what a role may not change is shown read-only,
/// and the server refuses it too.
public struct WebInterface: Sendable {
    let station: any StationService
    let accounts: WebAccounts
    /// The simulator panel's peer; nil on real hardware (no panel).
    let simulator: (any SimulatorControl)?
    let library: MustacheLibrary

    static let sessionCookie = "ck_session"
    static let loginCookie = "ck_login"
    /// Largest form accepted, in bytes.
    static let maximumFormBytes = 64 * 1024

    public init(station: any StationService, accounts: WebAccounts, simulator: (any SimulatorControl)? = nil) throws {
        self.station = station
        self.accounts = accounts
        self.simulator = simulator
        var library = MustacheLibrary()
        for (name, text) in [("layout", WebTemplates.layout), ("login", WebTemplates.login), ("password", WebTemplates.password),
                             ("parameters", WebTemplates.parameters), ("dashboard", WebTemplates.dashboard), ("message", WebTemplates.message),
                             ("whitelists", WebTemplates.whitelists), ("history", WebTemplates.history), ("system", WebTemplates.system),
                             ("restarting", WebTemplates.restarting), ("network", WebTemplates.network), ("simulator", WebTemplates.simulator),
                             ("formAlerts", WebTemplates.formAlerts), ("parameterForm", WebTemplates.parameterForm)] {
            try library.register(MustacheTemplate(string: text), named: name)
        }
        self.library = library
    }

    /// The menus with parameter pages, in the seeds' order; Whitelists and the Dashboard have pages of their own.
    static let parameterMenus: [Menu] = [.network, .backend, .authorization, .loadManagement, .installation, .system]

    static func slug(_ menu: Menu) -> String { menu.rawValue.lowercased().replacingOccurrences(of: " ", with: "-") }

    public func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("static/app.css") { _, _ in Self.asset(WebTemplates.css, type: "text/css; charset=utf-8") }
        router.get("static/app.js") { _, _ in Self.asset(WebTemplates.js, type: "text/javascript; charset=utf-8") }
        router.get("login") { request, _ in try await loginPage(request) }
        router.post("login") { request, _ in try await login(request) }
        router.post("logout") { request, _ in
            try await withSession(request, form: true) { session, _ in
                await accounts.logout(session.token)
                var r = Self.redirect("/login")
                r.setCookie(Self.cookie(Self.sessionCookie, "", maxAge: 0))
                return r
            }
        }
        router.get("account/password") { request, _ in
            try await withSession(request, allowForcedChange: true) { session, _ in
                let forced = await accounts.account(session.account)?.mustChangePassword ?? false
                return try await passwordPage(session, forced: forced, changed: request.uri.queryParameters.get("changed") != nil, errors: [:])
            }
        }
        router.post("account/password") { request, _ in
            try await withSession(request, form: true, allowForcedChange: true) { session, form in
                do {
                    try await accounts.changePassword(session, old: form["old"] ?? "", new: form["new"] ?? "", repeated: form["repeat"] ?? "")
                } catch WebAccounts.PasswordChangeError.invalid(let field, let message) {
                    let forced = await accounts.account(session.account)?.mustChangePassword ?? false
                    return try await passwordPage(session, forced: forced, changed: false, errors: [field: message], status: .badRequest)
                }
                return Self.redirect("/account/password?changed=1")
            }
        }
        router.post("account/language") { request, _ in
            try await withSession(request, form: true, allowForcedChange: true) { session, form in
                try await accounts.setLanguage(session, form["language"] ?? "en")
                return Self.redirect(request.headers[.referer].flatMap { URL(string: $0)?.path } ?? "/")
            }
        }
        router.get("/") { request, _ in
            try await withSession(request) { session, _ in try await dashboard(session) }
        }
        router.get("live/status") { request, _ in
            try await withSession(request) { session, _ in liveStatus(session) }
        }
        addWhitelistRoutes(to: router)
        addSystemRoutes(to: router)
        if let simulator { addSimulatorRoutes(to: router, simulator) }
        for menu in Self.parameterMenus {
            let path = RouterPath(stringLiteral: "menu/\(Self.slug(menu))")
            router.get(path) { request, _ in
                try await withSession(request) { session, _ in
                    try await parameterPage(session, menu, query: Self.queryDictionary(request), errors: [:], entered: [:])
                }
            }
            router.post(path) { request, _ in
                try await withSession(request, form: true) { session, form in try await saveParameters(session, menu, form) }
            }
        }
    }

    // MARK: Sessions and forms

    /// Runs `body` with the request's session; without one the browser goes to the login page. A POST must carry the
    /// session's CSRF token (else 403, nothing changes). Until the initial password is changed only the password page
    /// is reachable.
    func withSession(_ request: Request, form: Bool = false, upload: Bool = false, allowForcedChange: Bool = false,
                     _ body: (WebAccounts.Session, [String: String]) async throws -> Response) async throws -> Response {
        guard let session = await accounts.session(request.cookies[Self.sessionCookie]?.value) else {
            return Self.redirect("/login")
        }
        var fields: [String: String] = [:]
        if form || upload {
            guard let parsed = upload ? try await Self.upload(request) : try await Self.form(request) else {
                return try await messagePage(session, status: .contentTooLarge, heading: "413", message: "The form is too large.")
            }
            guard let token = parsed["csrf"], Self.constantTimeEqual(token, session.csrf) else {
                let t = await texts(session)
                return try await messagePage(session, status: .forbidden, heading: "403", message: t["error.csrf"] ?? "")
            }
            fields = parsed
        }
        if !allowForcedChange, await accounts.account(session.account)?.mustChangePassword == true {
            return Self.redirect("/account/password")
        }
        return try await body(session, fields)
    }

    static func form(_ request: Request) async throws -> [String: String]? {
        var request = request
        guard let buffer = try? await request.collectBody(upTo: maximumFormBytes) else { return nil }
        return FormData.parse(String(buffer: buffer))
    }

    /// A multipart upload (at most ``maximumImportBytes``); nil when too large or not multipart.
    static func upload(_ request: Request) async throws -> [String: String]? {
        guard let boundary = request.headers[.contentType].flatMap(MultipartForm.boundary) else { return [:] }
        var request = request
        guard let buffer = try? await request.collectBody(upTo: maximumImportBytes) else { return nil }
        return MultipartForm.parse(Array(buffer.readableBytesView), boundary: boundary)
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    static func cookie(_ name: String, _ value: String, maxAge: Int? = nil) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: "/", httpOnly: true, sameSite: .strict)
    }

    // MARK: Login

    func loginPage(_ request: Request, error: String? = nil, status: HTTPResponse.Status = .ok, name: String? = nil) async throws -> Response {
        if await accounts.session(request.cookies[Self.sessionCookie]?.value) != nil { return Self.redirect("/") }
        // Login CSRF: the form's token must equal a cookie set with the page (double submit).
        let token = WebAccounts.randomToken()
        let t = WebText.table("en")
        let snapshot = await station.status()
        var context: [String: Any] = [
            "csrf": token, "identity": snapshot.chargeBoxIdentity,
            "accounts": Role.allCases.map { ["value": $0.rawValue, "label": t["role.\($0.rawValue)"] ?? $0.rawValue, "selected": $0.rawValue == name] },
        ]
        if let error { context["error"] = error }
        var r = try page("login", context, title: t["login.heading"] ?? "", session: nil, language: "en", identity: snapshot.chargeBoxIdentity,
                         status: status)
        r.setCookie(Self.cookie(Self.loginCookie, token))
        return r
    }

    func login(_ request: Request) async throws -> Response {
        guard let form = try await Self.form(request) else { return Response(status: .contentTooLarge) }
        let t = WebText.table("en")
        guard let token = form["csrf"], let cookie = request.cookies[Self.loginCookie]?.value, Self.constantTimeEqual(token, cookie) else {
            return try await loginPage(request, error: t["error.csrf"], status: .forbidden)
        }
        let name = form["name"] ?? ""
        switch try await accounts.login(name: name, password: form["password"] ?? "") {
        case .success(let session, let mustChange):
            var r = Self.redirect(mustChange ? "/account/password" : "/")
            r.setCookie(Self.cookie(Self.sessionCookie, session.token))
            r.setCookie(Self.cookie(Self.loginCookie, "", maxAge: 0))
            return r
        case .wrong:
            return try await loginPage(request, error: t["login.wrong"], status: .unauthorized, name: name)
        case .locked(let until):
            let text = (t["login.locked"] ?? "").replacingOccurrences(of: "%@", with: Self.time(until, tz: await timeZone()))
            return try await loginPage(request, error: text, status: .tooManyRequests, name: name)
        }
    }

    // MARK: Pages

    func texts(_ session: WebAccounts.Session?) async -> [String: String] {
        guard let session else { return WebText.table("en") }
        return WebText.table(await accounts.account(session.account)?.language ?? "en")
    }

    /// Renders `template` inside the layout.
    func page(_ template: String, _ context: [String: Any], title: String, session: WebAccounts.Session?, language: String,
              activeMenu: Menu? = nil, activePage: String? = nil, sections: [(name: String, anchor: String)] = [], identity: String = "",
              status: HTTPResponse.Status = .ok) throws -> Response {
        let t = WebText.table(language)
        var context = context
        let texts = Self.nestedTables[language] ?? Self.nestedTables["en"]!
        context["t"] = texts
        let content = library.render(context, withTemplate: template) ?? ""
        var layout: [String: Any] = ["lang": language, "pageTitle": title, "identity": identity, "content": content, "t": texts]
        if let session {
            layout["session"] = true
            layout["account"] = session.account
            layout["roleLabel"] = t["role.\(session.role.rawValue)"] ?? session.role.rawValue
            layout["csrf"] = session.csrf
            layout["languages"] = [("en", "English"), ("de", "Deutsch"), ("nl", "Nederlands")].map { ["code": $0.0, "name": $0.1, "selected": $0.0 == language] }
            // The seeds' menus, the charging history after the dashboard, and the simulator panel last.
            var items: [(id: String, href: String, label: String)] = Menu.allCases.map { m in
                (Self.slug(m), m == .dashboard ? "/" : m == .whitelists ? "/whitelists" : "/menu/\(Self.slug(m))", t["menu.\(m.rawValue)"] ?? m.rawValue)
            }
            items.insert(("history", "/history", t["nav.history"] ?? ""), at: 1)
            if simulator != nil { items.append(("simulator", "/simulator", t["nav.simulator"] ?? "")) }
            let active = activeMenu.map(Self.slug) ?? activePage
            layout["menus"] = items.map { item -> [String: Any] in
                ["href": item.href, "label": item.label, "active": item.id == active, "id": "nav-\(item.id)",
                 "sections": sections.map { ["name": $0.name, "anchor": $0.anchor] }, "hasSections": !sections.isEmpty]
            }
        }
        let html = library.render(layout, withTemplate: "layout") ?? ""
        return Response(status: status, headers: Self.htmlHeaders, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func messagePage(_ session: WebAccounts.Session, status: HTTPResponse.Status, heading: String, message: String) async throws -> Response {
        let language = await accounts.account(session.account)?.language ?? "en"
        let t = WebText.table(language)
        return try page("message", ["heading": heading, "message": message, "back": "/", "backLabel": t["menu.Dashboard"] ?? ""], title: heading,
                        session: session, language: language, identity: await station.status().chargeBoxIdentity, status: status)
    }

    func passwordPage(_ session: WebAccounts.Session, forced: Bool, changed: Bool, errors: [String: String],
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = await accounts.account(session.account)?.language ?? "en"
        let t = WebText.table(language)
        let fields: [[String: Any]] = [("old", "password.old", "current-password"), ("new", "password.new", "new-password"),
                                       ("repeat", "password.repeat", "new-password")].map { name, label, auto in
            var f: [String: Any] = ["name": name, "label": t[label] ?? label, "autocomplete": auto]
            if let e = errors[name] { f["error"] = e }
            return f
        }
        return try page("password", ["forced": forced, "changed": changed, "fields": fields, "csrf": session.csrf],
                        title: t["password.heading"] ?? "", session: session, language: language,
                        identity: await station.status().chargeBoxIdentity, status: status)
    }

    // MARK: Helpers

    static let htmlHeaders: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                                          HTTPField.Name("X-Frame-Options")!: "DENY",
                                          HTTPField.Name("Content-Security-Policy")!: "default-src 'self'; frame-ancestors 'none'"]

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "max-age=3600"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    static func anchor(_ section: String) -> String {
        "s-" + section.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
    }

    /// Every language's texts grouped by their key's first part, built once, so that templates can say
    /// `{{t.login.heading}}` (every catalogue key has a group: `group.name`).
    static let nestedTables: [String: [String: [String: String]]] = Dictionary(uniqueKeysWithValues: WebText.languages.map {
        ($0, nested(WebText.table($0)))
    })

    static func nested(_ table: [String: String]) -> [String: [String: String]] {
        var groups: [String: [String: String]] = [:]
        for (key, value) in table {
            guard let dot = key.firstIndex(of: ".") else { continue }
            groups[String(key[..<dot]), default: [:]][String(key[key.index(after: dot)...])] = value
        }
        return groups
    }
}

/// `application/x-www-form-urlencoded` bodies (HTML forms).
enum FormData {
    static func parse(_ body: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(parts[0]), value = parts.count > 1 ? decode(parts[1]) : ""
            if out[key] == nil { out[key] = value }
        }
        return out
    }

    static func decode(_ s: Substring) -> String {
        let plus = s.replacingOccurrences(of: "+", with: " ")
        return plus.removingPercentEncoding ?? plus
    }
}
