import FoundationEssentials
import Hummingbird
import HTTPTypes
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
    /// The simulator panel's peer; nil on real hardware (no panel).
    let simulator: (any SimulatorControl)?
    /// Login, sessions, layout and the account forms, shared with the gateway's web interface.
    let shell: WebShell
    /// The HTTPS certificate's card on the System page (issue 23 item 2); nil in router tests without a data directory.
    let certificates: (any WebCertificateService)?

    public init(station: any StationService, accounts: WebAccounts, simulator: (any SimulatorControl)? = nil,
                certificates: (any WebCertificateService)? = nil) throws {
        self.station = station
        self.simulator = simulator
        self.certificates = certificates
        let hasSimulator = simulator != nil
        shell = try WebShell(
            accounts: accounts,
            site: "station",
            texts: WebText.table,
            identity: { await station.status().chargeBoxIdentity },
            timeZone: { await Self.timeZone(station) },
            navigation: { t in
                // The seeds' menus, the charging history after the dashboard, and the simulator panel last.
                var items = Menu.allCases.map { m in
                    WebNavItem(id: Self.slug(m), href: m == .dashboard ? "/" : m == .whitelists ? "/whitelists" : "/menu/\(Self.slug(m))",
                               label: t["menu.\(m.rawValue)"] ?? m.rawValue)
                }
                items.insert(WebNavItem(id: "history", href: "/history", label: t["nav.history"] ?? ""), at: 1)
                if hasSimulator { items.append(WebNavItem(id: "simulator", href: "/simulator", label: t["nav.simulator"] ?? "")) }
                return items
            },
            restartActions: true)
    }

    var accounts: WebAccounts { shell.accounts }

    /// The menus with parameter pages, in the seeds' order; Whitelists and the Dashboard have pages of their own.
    static let parameterMenus: [Menu] = [.network, .backend, .authorization, .loadManagement, .installation, .system]

    static func slug(_ menu: Menu) -> String { menu.rawValue.lowercased().replacing(" ", with: "-") }

    public func addRoutes(to router: Router<WebRequestContext>) {
        shell.addRoutes(to: router)
        router.get("/") { request, _ in
            try await withSession(request) { session, _ in try await dashboard(session) }
        }
        router.get("live/status") { request, _ in
            try await withSession(request) { session, _ in liveStatus(session) }
        }
        addWhitelistRoutes(to: router)
        addSystemRoutes(to: router)
        addFirmwareRoutes(to: router)
        addRestartActionRoutes(to: router)
        addMailRoutes(to: router)
        addEEBUSRoutes(to: router)
        addNetworkConfigRoutes(to: router)
        if let simulator { addSimulatorRoutes(to: router, simulator) }
        if let certificates { CertificateCard.addRoutes(router, shell: shell, service: certificates, page: "/menu/system") }
        for menu in Self.parameterMenus {
            let path = RouterPath(stringLiteral: "menu/\(Self.slug(menu))")
            router.get(path) { request, context in
                try await withSession(request) { session, _ in
                    try await parameterPage(session, menu, query: WebHTTP.queryDictionary(request), errors: [:], entered: [:], localPort: context.localPort)
                }
            }
            router.post(path) { request, _ in
                try await withSession(request, form: true) { session, form in try await saveParameters(session, menu, form) }
            }
        }
    }

    // MARK: Pages

    func withSession(_ request: Request, form: Bool = false, upload: Bool = false, allowForcedChange: Bool = false,
                     _ body: (WebAccounts.Session, [String: String]) async throws -> Response) async throws -> Response {
        try await shell.withSession(request, form: form, upload: upload ? Self.maximumImportBytes : nil, allowForcedChange: allowForcedChange, body)
    }

    func language(_ session: WebAccounts.Session) async -> String { await shell.language(session) }

    func texts(_ session: WebAccounts.Session?) async -> [String: String] { await shell.texts(session) }

    /// Renders `model`'s template inside the layout with `menu` (or the page `activePage`) highlighted in the navigation.
    func page(_ model: some PageModel, title: String, session: WebAccounts.Session?, language: String,
              activeMenu: Menu? = nil, activePage: String? = nil, sections: [(name: String, anchor: String)] = [],
              status: HTTPResponse.Status = .ok) async throws -> Response {
        try await shell.page(model, title: title, session: session, language: language, active: activeMenu.map(Self.slug) ?? activePage,
                             sections: sections, status: status)
    }

    func messagePage(_ session: WebAccounts.Session, status: HTTPResponse.Status, heading: String, message: String) async throws -> Response {
        try await shell.messagePage(session, status: status, heading: heading, message: message)
    }
}
