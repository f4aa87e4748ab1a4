import CivilDate
import FoundationEssentials
import StringSupport
import Hummingbird
import HTTPTypes
import MustacheTemplates
import NIOCore
import ChargePoint

/// One entry of a site's side navigation.
public struct WebNavItem: Sendable {
    public var id: String
    public var href: String
    public var label: String
    public init(id: String, href: String, label: String) { self.id = id; self.href = href; self.label = label }
}

/// What the station's and the gateway's web interfaces share (issue 8, issue 9 item 6): the accounts and their login,
/// sessions and CSRF tokens, the password and language forms, the page layout with its navigation and user menu, and the
/// static assets. A site gives its identity, its navigation, its texts and its folder of templates.
///
/// Every page except the login page and the static assets needs a session; every form carries the session's CSRF
/// token; the session cookie is HttpOnly and SameSite=Strict.
public struct WebShell: Sendable {
    public let accounts: WebAccounts
    let library: TemplateLibrary
    /// Each language's texts, flat (`login.heading`) and grouped for templates (`{{t.login.heading}}`), built on the
    /// language's first page (``PerLanguage``).
    let tables: PerLanguage<[String: String]>
    let nestedTables: PerLanguage<[String: [String: String]]>
    /// The name shown in the title and header (the station's ChargeBoxIdentity, the gateway's name).
    let identity: @Sendable () async -> String
    /// The site's time zone, for times on the shared pages (the login lockout).
    let timeZone: @Sendable () async -> TimeZoneRules
    let navigation: @Sendable (_ texts: [String: String]) -> [WebNavItem]
    /// The user menu offers "Restart Daemon" and "Reboot System" (the station's `/system/restart`).
    let restartActions: Bool

    static let sessionCookie = "ck_session"
    static let loginCookie = "ck_login"

    /// `site` is the site's folder of templates (`Resources/templates/<site>/`), registered with the shared ones.
    init(accounts: WebAccounts, site: String, texts: @escaping @Sendable (String) -> [String: String],
         identity: @escaping @Sendable () async -> String, timeZone: @escaping @Sendable () async -> TimeZoneRules = { .utc },
         navigation: @escaping @Sendable ([String: String]) -> [WebNavItem], restartActions: Bool) throws {
        self.accounts = accounts
        library = try WebResources.library(folders: ["shared", site])
        let tables = PerLanguage(texts)
        self.tables = tables
        nestedTables = PerLanguage { Self.nested(tables($0)) }
        self.identity = identity
        self.timeZone = timeZone
        self.navigation = navigation
        self.restartActions = restartActions
    }

    /// The shared routes: static assets, login, logout, the password and language forms.
    public func addRoutes(to router: Router<WebRequestContext>) {
        router.get("static/app.css") { _, _ in WebHTTP.asset(WebResources.css, type: "text/css; charset=utf-8") }
        router.get("static/app.js") { _, _ in WebHTTP.asset(WebResources.js, type: "text/javascript; charset=utf-8") }
        router.get("login") { request, _ in try await loginPage(request) }
        router.post("login") { request, context in try await login(request, source: context.clientAddress) }
        router.post("logout") { request, _ in
            try await withSession(request, form: true) { session, _ in
                await accounts.logout(session.token)
                var r = WebHTTP.redirect("/login")
                r.setCookie(WebHTTP.cookie(Self.sessionCookie, "", maxAge: 0))
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
                return WebHTTP.redirect("/account/password?changed=1")
            }
        }
        router.post("account/language") { request, _ in
            try await withSession(request, form: true, allowForcedChange: true) { session, form in
                try await accounts.setLanguage(session, form["language"] ?? "en")
                return WebHTTP.redirect(WebHTTP.backTo(referer: request.headers[.referer]))
            }
        }
    }

    // MARK: Sessions

    /// Runs `body` with the request's session; without one the browser goes to the login page. A POST must carry the
    /// session's CSRF token (else 403, nothing changes). Until the initial password is changed only the password page
    /// is reachable.
    public func withSession(_ request: Request, form: Bool = false, upload: Int? = nil, allowForcedChange: Bool = false,
                            _ body: (WebAccounts.Session, [String: String]) async throws -> Response) async throws -> Response {
        guard let session = await accounts.session(request.cookies[Self.sessionCookie]?.value) else {
            return WebHTTP.redirect("/login")
        }
        var fields: [String: String] = [:]
        if form || upload != nil {
            let parsed = if let upload { try await WebHTTP.upload(request, limitBytes: upload) } else { try await WebHTTP.form(request) }
            guard let parsed else {
                return try await messagePage(session, status: .contentTooLarge, heading: "413", message: "The form is too large.")
            }
            guard let token = parsed["csrf"], WebHTTP.constantTimeEqual(token, session.csrf) else {
                return try await messagePage(session, status: .forbidden, heading: "403", message: await texts(session)["error.csrf"] ?? "")
            }
            fields = parsed
        }
        if !allowForcedChange, await accounts.account(session.account)?.mustChangePassword == true {
            return WebHTTP.redirect("/account/password")
        }
        return try await body(session, fields)
    }

    /// The language the session's account chose.
    public func language(_ session: WebAccounts.Session?) async -> String {
        guard let session else { return "en" }
        return await accounts.account(session.account)?.language ?? "en"
    }

    public func table(_ language: String) -> [String: String] { tables(language) }

    public func texts(_ session: WebAccounts.Session?) async -> [String: String] { table(await language(session)) }

    // MARK: Login

    func loginPage(_ request: Request, error: String? = nil, status: HTTPResponse.Status = .ok, name: String? = nil) async throws -> Response {
        if await accounts.session(request.cookies[Self.sessionCookie]?.value) != nil { return WebHTTP.redirect("/") }
        // Login CSRF: the form's token must equal a cookie set with the page (double submit).
        let token = WebAccounts.randomToken()
        let t = table("en")
        let model = LoginPage(csrf: token, accounts: Role.allCases.map {
            SelectOption(value: $0.rawValue, label: t["role.\($0.rawValue)"] ?? $0.rawValue, selected: $0.rawValue == name)
        }, error: error)
        var r = try await page(model, title: t["login.heading"] ?? "", session: nil, language: "en", status: status)
        r.setCookie(WebHTTP.cookie(Self.loginCookie, token))
        return r
    }

    func login(_ request: Request, source: String?) async throws -> Response {
        guard let form = try await WebHTTP.form(request) else { return Response(status: .contentTooLarge) }
        let t = table("en")
        guard let token = form["csrf"], let cookie = request.cookies[Self.loginCookie]?.value, WebHTTP.constantTimeEqual(token, cookie) else {
            return try await loginPage(request, error: t["error.csrf"], status: .forbidden)
        }
        let name = form["name"] ?? ""
        switch try await accounts.login(name: name, password: form["password"] ?? "", source: source) {
        case .success(let session, let mustChange):
            var r = WebHTTP.redirect(mustChange ? "/account/password" : "/")
            r.setCookie(WebHTTP.cookie(Self.sessionCookie, session.token))
            r.setCookie(WebHTTP.cookie(Self.loginCookie, "", maxAge: 0))
            return r
        case .wrong:
            return try await loginPage(request, error: t["login.wrong"], status: .unauthorized, name: name)
        case .locked(let until):
            let text = (t["login.locked"] ?? "").replacing("%@", with: WebHTTP.time(until, tz: await timeZone()))
            return try await loginPage(request, error: text, status: .tooManyRequests, name: name)
        }
    }

    // MARK: Pages

    /// Renders `model`'s template inside the layout; `active` is the navigation entry to highlight, `sections` the
    /// page's anchors listed under it.
    func page(_ model: some PageModel, title: String, session: WebAccounts.Session?, language: String,
              active: String? = nil, sections: [(name: String, anchor: String)] = [],
              status: HTTPResponse.Status = .ok) async throws -> Response {
        let t = table(language)
        let identity = await identity()
        var layout = LayoutPage(lang: language, pageTitle: title, content: render(model, language: language, identity: identity))
        if let session {
            layout.session = true
            layout.account = session.account
            layout.roleLabel = t["role.\(session.role.rawValue)"] ?? session.role.rawValue
            layout.csrf = session.csrf
            layout.restartActions = restartActions
            layout.languages = [("en", "English"), ("de", "Deutsch"), ("nl", "Nederlands")].map { .init(code: $0.0, name: $0.1, selected: $0.0 == language) }
            layout.menus = navigation(t).map { item in
                .init(href: item.href, label: item.label, active: item.id == active, id: "nav-\(item.id)",
                      sections: sections.map { .init(name: $0.name, anchor: $0.anchor) }, hasSections: !sections.isEmpty)
            }
        }
        let html = render(layout, language: language, identity: identity)
        return Response(status: status, headers: WebHTTP.htmlHeaders, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// `model`'s template with the texts of `language` and the site's identity.
    func render(_ model: some PageModel, language: String, identity: String) -> String {
        let context = PageContext(model: model, t: nestedTables(language), identity: identity)
        let html = library.render(context, template: model.template.rawValue) ?? ""
        return html
    }

    public func messagePage(_ session: WebAccounts.Session, status: HTTPResponse.Status, heading: String, message: String) async throws -> Response {
        let language = await language(session)
        let t = table(language)
        return try await page(MessagePage(heading: heading, message: message, back: "/", backLabel: t["nav.home"] ?? ""), title: heading,
                              session: session, language: language, status: status)
    }

    /// 403 for a form the session's role may not submit; `role` is the lowest role that may.
    public func forbidden(_ session: WebAccounts.Session, needs role: Role) async throws -> Response {
        let t = await texts(session)
        return try await messagePage(session, status: .forbidden, heading: "403",
                                     message: (t["form.readonly"] ?? "%@").replacing("%@", with: t["role.\(role.rawValue)"] ?? ""))
    }

    func passwordPage(_ session: WebAccounts.Session, forced: Bool, changed: Bool, errors: [String: String],
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = await language(session)
        let t = table(language)
        let fields = [("old", "password.old", "current-password"), ("new", "password.new", "new-password"),
                      ("repeat", "password.repeat", "new-password")].map { name, label, auto in
            PasswordPage.Field(name: name, label: t[label] ?? label, autocomplete: auto, error: errors[name])
        }
        return try await page(PasswordPage(forced: forced, changed: changed, fields: fields, csrf: session.csrf),
                              title: t["password.heading"] ?? "", session: session, language: language, status: status)
    }

    /// Every text grouped by its key's first part, so that templates can say `{{t.login.heading}}` (every catalogue
    /// key has a group: `group.name`).
    static func nested(_ table: [String: String]) -> [String: [String: String]] {
        var groups: [String: [String: String]] = [:]
        for (key, value) in table {
            guard let dot = key.firstIndex(of: ".") else { continue }
            groups[String(key[..<dot]), default: [:]][String(key[key.index(after: dot)...])] = value
        }
        return groups
    }
}

/// HTTP helpers of the web pages: forms, cookies, redirects, headers.
enum WebHTTP {
    /// Largest form accepted, in bytes.
    static let maximumFormBytes = 64 * 1024

    static func form(_ request: Request) async throws -> [String: String]? {
        var request = request
        guard let buffer = try? await request.collectBody(upTo: maximumFormBytes) else { return nil }
        return FormData.parse(String(buffer: buffer))
    }

    /// A multipart upload of at most `limitBytes`; nil when too large, empty when not multipart.
    static func upload(_ request: Request, limitBytes: Int) async throws -> [String: String]? {
        guard let boundary = request.headers[.contentType].flatMap(MultipartForm.boundary) else { return [:] }
        var request = request
        guard let buffer = try? await request.collectBody(upTo: limitBytes) else { return nil }
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

    static let htmlHeaders: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                                          HTTPField.Name("X-Frame-Options")!: "DENY",
                                          HTTPField.Name("Content-Security-Policy")!: WebSecurityHeaders.contentSecurityPolicy]

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "max-age=3600"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Where a form goes back to: the path of the page it was sent from, when that is a canonical path of this site;
    /// otherwise the start page. A Referer of `http://host//evil.example/` has the path `//evil.example/`, which a
    /// browser reads as another host (an open redirect, issue 20 item 11).
    static func backTo(referer: String?) -> String {
        guard let referer, let path = URL(string: referer)?.path, CanonicalPath.isCanonical(path) else { return "/" }
        return path
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    static func anchor(_ section: String) -> String {
        "s-" + section.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
    }

    static func queryDictionary(_ request: Request) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in request.uri.queryParameters where out[String(k)] == nil { out[String(k)] = String(v) }
        return out
    }

    /// `s` percent-encoded for a query value (RFC 3986 §2: everything but the unreserved characters).
    static func query(_ s: String) -> String { s.percentEncoded() }

    /// `yyyy-MM-dd HH:mm:ss` in `tz`.
    static func time(_ date: Date, tz: TimeZoneRules) -> String { WebFormat.dateTime(date, tz: tz) }
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
        let plus = String(s.replacing("+", with: " "))
        return plus.percentDecoded ?? plus
    }
}
