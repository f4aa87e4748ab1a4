import FoundationEssentials
import Hummingbird
import HTTPTypes
import ChargePoint
import Gateway
import MetricsExporter

/// Settings that were not saved, with every problem and the field it concerns.
public struct SettingsRejected: Error, Sendable {
    public var problems: [SettingProblem]
    public init(_ problems: [SettingProblem]) { self.problems = problems }
}

/// What the gateway's web interface needs from the running gateway.
public protocol GatewayService: Sendable {
    /// The stored settings.
    func settings() async throws -> GatewaySettings
    /// Checks `settings` (ranges, the charger list, the wss certificate and key files), saves them and restarts the
    /// gateway services with them; the web interface and its sessions stay up. Throws ``SettingsRejected`` and saves
    /// nothing when there is a problem.
    func apply(_ settings: GatewaySettings, by: String) async throws
    func scannedChargers() async throws -> [ScannedCharger]
    func dismissScan(_ id: String) async throws
    /// The communication state on both sides; nil while the gateway services are not running.
    func diagnostics() async -> GatewayDiagnostics?
    /// Why the gateway services are not running, if they are not.
    func failure() async -> String?
    func transactions(limit: Int) async throws -> [GatewayTransactionRecord]
    /// The newest `limit` entries of the gateway's security log, oldest first (issue 23 item 7: logins, failed logins,
    /// lockouts, password changes and resets, settings changes with their user, certificate changes).
    func securityLog(limit: Int) async throws -> [SecurityLogEntry]
}

/// The gateway's web configuration and diagnostics (issue 9 item 6; seeds/003 §2.2 — the vendor's Windows tool with its
/// General, Modbus Slave and OCPP tabs, the OCPP scan of step 4b and the Diagnostic tab of step 8, as web pages). Login,
/// roles, layout and style are the station's (``WebShell``). Everyone may look; changing the settings needs the
/// installer role.
public struct GatewayWeb: Sendable {
    let gateway: any GatewayService
    let shell: WebShell
    /// Serves `GET /metrics` (``MetricsRoute``), with the gateway's own metrics settings.
    let metrics: (any MetricsSource)?
    /// The HTTPS certificate shown, uploaded and reset on the System page (nil: no HTTPS listener, no card).
    let certificates: (any WebCertificateService)?
    /// ChargeKit's version, on the System page.
    let version: String

    /// The lowest role that may change the gateway's settings (the role its registry declares them with) and accept or
    /// dismiss scanned chargers.
    public static let configureRole = GatewayParameters.role
    /// Transactions shown on the Transactions page.
    static let transactionsShown = 200
    /// The settings pages and their sections (the charger list has a page of its own).
    static let settingsPages: [(slug: String, sections: [GatewaySettingField.Section])] = [
        ("general", [.ocpp, .external, .timeouts, .metrics, .mqtt, .web]), ("modbus", [.modbusTCP, .modbusRTU, .timeSync]),
    ]

    public init(gateway: any GatewayService, accounts: WebAccounts, version: String, metrics: (any MetricsSource)? = nil,
                certificates: (any WebCertificateService)? = nil) throws {
        self.gateway = gateway
        self.version = version
        self.metrics = metrics
        self.certificates = certificates
        shell = try WebShell(
            accounts: accounts,
            site: "gateway",
            texts: WebText.gatewayTable,
            identity: { "Gateway" },
            timeZone: { WebTimeZone.host },
            navigation: { t in
                [WebNavItem(id: "diagnostic", href: "/", label: t["gw.diagnostic"] ?? ""),
                 WebNavItem(id: "transactions", href: "/transactions", label: t["gw.transactions"] ?? ""),
                 WebNavItem(id: "general", href: "/settings/general", label: t["gw.nav.general"] ?? ""),
                 WebNavItem(id: "modbus", href: "/settings/modbus", label: t["gw.nav.modbus"] ?? ""),
                 WebNavItem(id: "chargers", href: "/settings/chargers", label: t["gw.nav.chargers"] ?? ""),
                 WebNavItem(id: "signals", href: "/settings/signals", label: t["gw.signals"] ?? ""),
                 WebNavItem(id: "project", href: "/settings/project", label: t["gw.project"] ?? ""),
                 WebNavItem(id: "system", href: "/system", label: t["gw.system"] ?? "")]
            },
            restartActions: false)
    }

    public func addRoutes(to router: Router<WebRequestContext>) {
        shell.addRoutes(to: router)
        if let metrics { MetricsRoute.add(to: router, source: metrics) }
        router.get("/") { request, _ in try await shell.withSession(request) { session, _ in try await diagnosticPage(session) } }
        router.get("diagnostic/frames") { request, _ in
            try await shell.withSession(request) { session, _ in try await framesPage(session, charger: WebHTTP.queryDictionary(request)["id"] ?? "") }
        }
        router.get("transactions") { request, _ in try await shell.withSession(request) { session, _ in try await transactionsPage(session) } }
        router.get("system") { request, _ in
            try await shell.withSession(request) { session, _ in try await systemPage(session, query: WebHTTP.queryDictionary(request)) }
        }
        if let certificates { CertificateCard.addRoutes(router, shell: shell, service: certificates, page: "/system") }
        for page in Self.settingsPages {
            let path = RouterPath(stringLiteral: "settings/\(page.slug)")
            router.get(path) { request, _ in
                try await shell.withSession(request) { session, _ in
                    try await settingsPage(session, page.slug, page.sections, saved: WebHTTP.queryDictionary(request)["saved"] != nil)
                }
            }
            router.post(path) { request, _ in
                try await shell.withSession(request, form: true) { session, form in try await saveSettings(session, page.slug, page.sections, form) }
            }
        }
        router.get("settings/chargers") { request, _ in
            try await shell.withSession(request) { session, _ in
                try await chargersPage(session, settings: try await gateway.settings(), saved: WebHTTP.queryDictionary(request)["saved"] != nil)
            }
        }
        router.post("settings/chargers") { request, _ in
            try await shell.withSession(request, form: true) { session, form in try await saveChargers(session, form) }
        }
        addSignalRoutes(to: router)
        router.post("settings/chargers/accept") { request, _ in
            try await shell.withSession(request, form: true) { session, form in try await acceptScanned(session, form) }
        }
        router.post("settings/chargers/dismiss") { request, _ in
            try await shell.withSession(request, form: true) { session, form in
                guard session.role >= Self.configureRole else { return try await shell.forbidden(session, needs: Self.configureRole) }
                try await gateway.dismissScan(form["id"] ?? "")
                return WebHTTP.redirect("/settings/chargers")
            }
        }
    }

    // MARK: Diagnostic

    func diagnosticPage(_ session: WebAccounts.Session) async throws -> Response {
        let language = await shell.language(session)
        let t = shell.table(language)
        let model = DiagnosticPage(failure: await gateway.failure(), d: await gateway.diagnostics().map { diagnostic($0, t: t) })
        return try await shell.page(model, title: t["gw.diagnostic"] ?? "", session: session, language: language, active: "diagnostic")
    }

    func diagnostic(_ d: GatewayDiagnostics, t: [String: String]) -> DiagnosticPage.Diagnostic {
        let s = d.settings, tz = WebTimeZone.host
        func time(_ date: Date?) -> String { date.map { WebHTTP.time($0, tz: tz) } ?? "–" }
        let connected = d.chargers.filter { $0.connectedSince != nil }.count + d.moreUnconfigured
        var bms = t["gw.bms.never"] ?? ""
        if let online = d.bmsOnline {
            bms = (t[online ? "gw.bms.online" : "gw.bms.offline"] ?? "").replacing("%@", with: time(d.lastBMSHeartbeat))
        }
        func request(_ r: ModbusActivity.Request?) -> String? {
            guard let r else { return nil }
            let what = r.function <= 2 || r.function == 5 || r.function == 15 ? "bits" : "registers"
            let outcome = r.exception.map { "exception \(WebFormat.padded(Int($0))): " + (r.reason ?? "") } ?? "OK"
            return "\(time(r.at)) · \(r.transport.rawValue) · unit \(r.unitID) · function \(r.function) · address \(r.address) · \(r.quantity) \(what) → \(outcome)"
        }
        let chargers = d.chargers.map { c in
            DiagnosticPage.Charger(
                id: c.id, connectors: c.connectors, connectedFlag: c.connectedSince == nil ? "0" : "1",
                slot: c.slot.map { "\($0)" } ?? (t["gw.unconfigured"] ?? ""),
                state: t[c.connectedSince == nil ? "gw.state.disconnected" : "gw.state.connected"] ?? "", since: time(c.connectedSince),
                upstream: c.upstream.map { t["gw.upstream.\($0.rawValue)"] ?? $0.rawValue } ?? "–",
                waiting: c.callsToCentral + c.requestsWaiting + c.operationsWaiting,
                hasFrames: c.slot != nil, framesHref: "/diagnostic/frames?id=" + WebHTTP.query(c.id), isExternal: s.mode == .external)
        }
        return DiagnosticPage.Diagnostic(
            labels: .init(mode: t["gw.field.mode"] ?? "", externalURL: t["gw.field.externalURL"] ?? "",
                          modbusTCP: t["gw.section.modbusTCP"] ?? "", modbusRTU: t["gw.section.modbusRTU"] ?? ""),
            mode: s.mode.rawValue, isExternal: s.mode == .external,
            endpoint: "\(s.ocppScheme)://<gateway>:\(d.ocppPort.map(String.init) ?? String(s.ocppPort))/<ChargerID>",
            connected: "\(connected) / \(s.chargers.count)\(s.acceptUnconfiguredChargers ? "+" : "")",
            startedAt: time(d.startedAt), gatewayTime: time(d.gatewayTime), bms: bms, bmsOnlineFlag: d.bmsOnline == true ? "1" : "0",
            tcp: s.modbusTCPEnabled ? "port \(d.modbusTCPPort.map(String.init) ?? String(s.modbusTCPPort)), unit id \(s.unitIDDescription)"
                : t["gw.off"] ?? "",
            rtu: s.rtuDescription ?? t["gw.off"] ?? "",
            requests: (t["gw.requestsText"] ?? "").replacing("%n", with: String(d.modbus.requests))
                .replacing("%e", with: String(d.modbus.exceptions)),
            lastRequest: request(d.modbus.last) ?? t["gw.noRequest"] ?? "",
            chargers: chargers, hasChargers: !chargers.isEmpty,
            events: d.events.map { e in
                .init(at: time(e.at), level: e.entry.level.rawValue, levelClass: e.entry.level == .info ? "" : e.entry.level == .warning ? "restart" : "blocked",
                      charger: e.entry.charger ?? "", message: e.entry.message)
            },
            hasEvents: !d.events.isEmpty,
            lastException: request(d.modbus.lastException),
            external: s.mode == .external ? s.externalURL + "/<ChargerID>" : nil,
            moreUnconfigured: d.moreUnconfigured > 0 ? (t["gw.more"] ?? "").replacing("%n", with: String(d.moreUnconfigured)) : nil)
    }

    func framesPage(_ session: WebAccounts.Session, charger: String) async throws -> Response {
        let language = await shell.language(session)
        let t = shell.table(language)
        guard let d = await gateway.diagnostics(), let frames = d.frames[charger] else {
            return try await shell.messagePage(session, status: .notFound, heading: "404", message: t["error.notFound"] ?? "")
        }
        let rows = frames.map { f in
            FramesPage.Frame(at: WebHTTP.time(f.at, tz: WebTimeZone.host), direction: f.direction.rawValue, label: t["gw.dir.\(f.direction.rawValue)"] ?? "",
                             text: f.text,
                             omitted: f.omittedCharacters > 0 ? (t["gw.omitted"] ?? "").replacing("%n", with: String(f.omittedCharacters)) : nil)
        }
        let note = (t["gw.framesNote"] ?? "").replacing("%n", with: String(FrameLog.framesPerCharger))
            .replacing("%c", with: String(FrameLog.maximumCharacters))
        return try await shell.page(FramesPage(charger: charger, frames: rows, hasFrames: !rows.isEmpty, note: note,
                                               href: "/diagnostic/frames?id=" + WebHTTP.query(charger)),
                                    title: "\(t["gw.frames"] ?? "") \(charger)", session: session, language: language, active: "diagnostic")
    }

    func transactionsPage(_ session: WebAccounts.Session) async throws -> Response {
        let language = await shell.language(session)
        let t = shell.table(language)
        let rows = try await gateway.transactions(limit: Self.transactionsShown).map { r in
            TransactionsPage.Row(
                started: WebHTTP.time(r.start.startedAt, tz: WebTimeZone.host), stopped: r.stoppedAt.map { WebHTTP.time($0, tz: WebTimeZone.host) } ?? "–",
                charger: r.start.charger, connector: r.start.connectorId, transaction: r.start.transactionId, idTag: r.start.idTag,
                status: r.start.status, decidedBy: r.start.decidedBy.rawValue, reason: r.reason ?? "",
                energy: r.meterStopWh.map { WebFormat.fixed(Double($0 - r.start.meterStartWh) / 1000, 2) + " kWh" } ?? "–")
        }
        let note = (t["gw.transactionsNote"] ?? "").replacing("%n", with: String(Self.transactionsShown))
        return try await shell.page(TransactionsPage(rows: rows, hasRows: !rows.isEmpty, note: note),
                                    title: t["gw.transactions"] ?? "", session: session, language: language, active: "transactions")
    }

    // MARK: System

    /// System: the version, the HTTPS certificate with the installer's upload and reset, and the newest security log
    /// entries — the station's System cards (issue 23 items 2 and 7).
    func systemPage(_ session: WebAccounts.Session, query: [String: String]) async throws -> Response {
        let language = await shell.language(session)
        let t = shell.table(language)
        let tz = WebTimeZone.host
        let entries = try await gateway.securityLog(limit: SecurityLogRow.shown)
        let model = GatewaySystemPage(
            version: version,
            certificate: certificates.map { CertificateCard($0.certificateStatus(), session: session, t: t, tz: tz, query: query) },
            securityLog: SecurityLogRow.rows(entries, tz: tz), csrf: session.csrf)
        return try await shell.page(model, title: t["gw.system"] ?? "", session: session, language: language, active: "system")
    }
}
