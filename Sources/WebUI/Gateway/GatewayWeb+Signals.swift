import FoundationEssentials
import Hummingbird
import HTTPTypes
import NIOCore
import EVSECore
import Gateway

/// The Signals page (seeds/003 §2.2 step 6, the vendor tool's "Signals" tab): every signal of the register map with its
/// address, type and access and a switch; a signal switched off answers as the seed's "Not used" registers (reads 0,
/// writes answer exception 02). The list is exported as CSV for the BMS engineering. The Project page exports and
/// imports the whole configuration as one file (``GatewayProject``; seeds/003 §2.2 project and "Receive/Send").
extension GatewayWeb {
    /// What the Signals page shows at a time: the gateway's registers 0…6 or one charger's signals.
    static func scopeRows(_ settings: GatewaySettings, scope: String) -> [SignalRow] {
        settings.signalRows.filter { row in
            switch row.signal {
            case .system: scope == "gateway"
            case .charger(let xx, _), .connector(let xx, _, _): scope == "slot.\(xx)"
            }
        }
    }

    static func defaultScope(_ settings: GatewaySettings) -> String {
        settings.mode == .bms || settings.chargers.isEmpty ? "gateway" : "slot.\(settings.chargers.map(\.slot).min() ?? 0)"
    }

    func addSignalRoutes(to router: Router<WebRequestContext>) {
        router.get("settings/signals") { request, _ in
            try await shell.withSession(request) { session, _ in
                let q = WebHTTP.queryDictionary(request)
                return try await signalsPage(session, scope: q["scope"], saved: q["saved"] != nil)
            }
        }
        router.post("settings/signals") { request, _ in
            try await shell.withSession(request, form: true) { session, form in try await saveSignals(session, form) }
        }
        router.get("settings/signals.csv") { request, _ in
            try await shell.withSession(request) { _, _ in
                Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                                                .contentDisposition: "attachment; filename=\"gateway-signals.csv\""],
                         body: .init(byteBuffer: ByteBuffer(string: Self.signalsCSV(try await gateway.settings()))))
            }
        }
        router.get("settings/project") { request, _ in
            try await shell.withSession(request) { session, _ in
                try await projectPage(session, imported: WebHTTP.queryDictionary(request)["imported"] != nil)
            }
        }
        router.get("settings/project.json") { request, _ in
            try await shell.withSession(request) { _, _ in
                Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store",
                                                .contentDisposition: "attachment; filename=\"gateway-project.json\""],
                         body: .init(byteBuffer: ByteBuffer(string: try GatewayProject.export(try await gateway.settings()))))
            }
        }
        router.post("settings/project") { request, _ in
            try await shell.withSession(request, upload: GatewayProject.maximumBytes + 64 * 1024) { session, form in
                try await importProject(session, form)
            }
        }
    }

    /// The signal list as CSV (one line per signal, address order), for the BMS engineering.
    static func signalsCSV(_ settings: GatewaySettings) -> String {
        var lines = ["address,last address,registers,owner,signal,format,access,state"]
        for r in settings.signalRows {
            lines.append([String(r.address), String(r.address + r.registers - 1), String(r.registers), CSVCell.field(r.owner), CSVCell.field(r.name),
                          r.format, r.access, r.on ? "on" : "off"].joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    func signalsPage(_ session: WebAccounts.Session, scope requested: String?, saved: Bool, error: String? = nil,
                     status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = await shell.language(session)
        let t = shell.table(language)
        let settings = try await gateway.settings()
        var scopes: [(String, String)] = settings.mode == .bms ? [("gateway", "Gateway (0…6)")] : []
        scopes += settings.chargers.sorted { $0.slot < $1.slot }.map { ("slot.\($0.slot)", "\($0.id) (\(t["gw.slot"] ?? "slot") \($0.slot))") }
        let scope = scopes.contains { $0.0 == requested } ? requested! : Self.defaultScope(settings)
        let rows = Self.scopeRows(settings, scope: scope)
        let all = settings.signalRows
        let note = readonlyNote(session, t: t)
        let model = SignalsPage(
            csrf: session.csrf, saved: saved, error: error, readonlyNote: note, readonly: note,
            scopes: scopes.map { SelectOption(value: $0.0, label: $0.1, selected: $0.0 == scope) }, scope: scope,
            summary: (t["gw.signalsSummary"] ?? "").replacing("%n", with: String(all.count))
                .replacing("%o", with: String(all.filter { !$0.on }.count)),
            rows: rows.map { .init(address: $0.address, addresses: $0.addresses, name: $0.name, owner: $0.owner, format: $0.format,
                                   access: $0.access, on: $0.on) })
        return try await shell.page(model, title: t["gw.signals"] ?? "", session: session, language: language, active: "signals", status: status)
    }

    /// Saves the switches of the signals shown (one scope); the others stay as they are.
    func saveSignals(_ session: WebAccounts.Session, _ form: [String: String]) async throws -> Response {
        guard session.role >= Self.configureRole else { return try await shell.forbidden(session, needs: Self.configureRole) }
        let stored = try await gateway.settings()
        let scope = form["scope"] ?? ""
        let shown = Self.scopeRows(stored, scope: scope).map(\.address)
        var settings = stored
        let shownSet = Set(shown)
        settings.signalsOff = (stored.signalsOff.filter { !shownSet.contains($0) } + shown.filter { form["on.\($0)"] != "on" }).sorted()
        switch try await save(settings, over: stored, session, page: "/settings/signals") {
        case .success:
            return WebHTTP.redirect("/settings/signals?scope=\(WebHTTP.query(scope))" + (settings == stored ? "" : "&saved=1"))
        case .failure(let rejected):
            return try await signalsPage(session, scope: scope, saved: false, error: rejected.problems.map(\.description).joined(separator: "; "),
                                         status: .badRequest)
        }
    }

    func projectPage(_ session: WebAccounts.Session, imported: Bool, errors: [SettingProblem] = [],
                     status: HTTPResponse.Status = .ok) async throws -> Response {
        let language = await shell.language(session)
        let t = shell.table(language)
        let note = readonlyNote(session, t: t)
        let model = ProjectPage(csrf: session.csrf, imported: imported, hasErrors: !errors.isEmpty,
                                errors: errors.map { .init(field: $0.field, message: $0.message) }, readonlyNote: note, readonly: note)
        return try await shell.page(model, title: t["gw.project"] ?? "", session: session, language: language, active: "project", status: status)
    }

    /// Imports a project file: checked whole first; a bad file changes nothing and names its bad fields.
    func importProject(_ session: WebAccounts.Session, _ form: [String: String]) async throws -> Response {
        guard session.role >= Self.configureRole else { return try await shell.forbidden(session, needs: Self.configureRole) }
        let stored = try await gateway.settings()
        guard let text = form["file"], !text.isEmpty else {
            return try await projectPage(session, imported: false, errors: [SettingProblem("file", "no file was chosen, or it is empty")], status: .badRequest)
        }
        let settings: GatewaySettings
        do {
            settings = try GatewayProject.read(Array(text.utf8), keepingSecretsOf: stored)
        } catch {
            return try await projectPage(session, imported: false, errors: error.problems, status: .badRequest)
        }
        switch try await save(settings, over: stored, session, page: "/settings/project") {
        case .success: return WebHTTP.redirect("/settings/project?imported=1")
        case .failure(let rejected): return try await projectPage(session, imported: false, errors: rejected.problems, status: .badRequest)
        }
    }
}

/// The Signals page's values.
struct SignalsPage: PageModel {
    var template: WebTemplate { .signals }
    struct Row {
        var address: Int
        var addresses: String
        var name: String
        var owner: String
        var format: String
        var access: String
        var on: Bool
    }

    var csrf: String
    var saved: Bool
    var error: String?
    var readonlyNote: String?
    var readonly: String?
    var scopes: [SelectOption]
    var scope: String
    var summary: String
    var rows: [Row]
}

/// The Project page's values.
struct ProjectPage: PageModel {
    var template: WebTemplate { .project }
    struct Problem {
        var field: String
        var message: String
    }

    var csrf: String
    var imported: Bool
    var hasErrors: Bool
    var errors: [Problem]
    var readonlyNote: String?
    var readonly: String?
}
