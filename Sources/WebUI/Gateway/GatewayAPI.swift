import FoundationEssentials
import Hummingbird
import HTTPTypes
import NIOCore
import ChargePoint
import Gateway

/// The gateway's local JSON API (issue 30 items 3 and 4): what its web configuration shows and does (``GatewayWeb``:
/// Diagnostic, frames, Transactions, the General and Modbus settings, the charger list and the OCPP scan, Signals,
/// Project), as JSON on the same HTTP port under `/api/`. Each route calls the ``GatewayService`` function its page
/// calls, with the page's rule: everyone with the token may read; a change needs ``GatewayWeb/configureRole``. The token
/// acts as ``StationAPI/apiRole`` (installer), as on the station: its holder can read the gateway's data directory.
///
/// The token is new at every start of the process and is written to `gateway.json` in the data directory (mode
/// 0600). Errors are the station API's JSON (`{"error": ..., "field": ...}`, 4xx); a change that is refused names
/// every field in `fields` and changes nothing. The reference is `Resources/gateway-openapi.json`, served publicly at
/// `/api/openapi.json`; docs/api.md has the prose.
public enum GatewayAPI {
    /// Where the document is served (the station's path).
    public static var openAPIPath: String { StationAPI.openAPIPath }

    /// The OpenAPI 3.1 document of the gateway's API, as kept in the repository.
    public static var openAPIText: String { WebResources.file("gateway-openapi.json") }

    /// Adds the API to the gateway's router, after its web routes: the JSON errors, the token check and the routes.
    /// `apiToken` nil leaves the API open (tests only). `version` is ChargeKit's.
    /// `accounts` serves the user menu's Change password (the station's route, ``StationAPI/addAccountRoutes(_:_:)``).
    public static func addRoutes(to router: Router<WebRequestContext>, gateway: any GatewayService, accounts: WebAccounts?, apiToken: String?,
                                 version: String, certificates: (any WebCertificateService)? = nil) {
        router.add(middleware: StationAPI.JSONErrorMiddleware())
        if let apiToken { router.add(middleware: StationAPI.APITokenMiddleware(token: apiToken, product: "gateway")) }
        if let certificates { CertificateAPI.addRoutes(router, certificates, by: "api") }
        router.get(RouterPath(stringLiteral: String(openAPIPath.dropFirst()))) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: openAPIText)))
        }
        router.get("api/status") { _, _ in
            let failure = await gateway.failure()
            let d = await gateway.diagnostics()
            let settings = try await gateway.settings()
            return json(StatusView(version: version, running: d != nil, failure: d == nil ? failure ?? "the gateway services are starting" : nil,
                                   mode: settings.mode.rawValue, startedAt: d?.startedAt, chargersConfigured: settings.chargers.count,
                                   chargersConnected: d.map { $0.chargers.filter { $0.connectedSince != nil }.count + $0.moreUnconfigured }))
        }
        router.get("api/diagnostics") { _, _ in
            guard let d = await gateway.diagnostics() else {
                return json(DiagnosticsView(running: false, failure: await gateway.failure() ?? "the gateway services are starting"))
            }
            return json(DiagnosticsView(d))
        }
        router.get("api/chargers/:id/frames") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let d = await gateway.diagnostics() else {
                return StationAPI.error(.notFound, "the gateway services are not running: \(await gateway.failure() ?? "starting")", field: "id")
            }
            guard let frames = d.frames[id] else {
                return StationAPI.error(.notFound, "no frames of '\(id.prefix(64))': frames are kept for configured chargers only", field: "id")
            }
            return json(frames.map(FrameView.init))
        }
        router.get("api/transactions") { request, _ in
            guard let limit = StationAPI.limit(request) else { return StationAPI.badLimit() }
            return json(try await gateway.transactions(limit: limit))
        }
        router.get("api/security-log") { request, _ in
            guard let limit = StationAPI.limit(request) else { return StationAPI.badLimit() }
            return json(try await gateway.securityLog(limit: limit))
        }
        addSettingsRoutes(router, gateway)
        addChargerRoutes(router, gateway)
        addSignalAndProjectRoutes(router, gateway)
        if let accounts { StationAPI.addAccountRoutes(router, accounts) }
    }

    // MARK: Chargers and the OCPP scan (seeds/003 §2.2 step 4)

    static func addChargerRoutes(_ router: Router<WebRequestContext>, _ gateway: any GatewayService) {
        router.get("api/chargers") { _, _ in json(ChargersView(try await gateway.settings())) }
        router.put("api/chargers") { request, _ in
            if let refusal = roleRefusal() { return refusal }
            let body: ChargersBody
            do { body = try await StationAPI.decode(ChargersBody.self, request) } catch let e as StationAPI.BodyError { return e.response }
            let stored = try await gateway.settings()
            var settings = stored
            settings.chargers = []
            for (i, e) in body.chargers.enumerated() {
                var entry = ChargerEntry(id: e.id, slot: e.slot, connectors: e.connectors, passwordHash: stored.charger(id: e.id)?.passwordHash)
                switch e.password {
                case nil: break
                case ""?: entry.passwordHash = nil
                case let password?:
                    if let problem = ChargerPassword.problem(password) { return StationAPI.error(.badRequest, "chargers[\(i)].password: \(problem)", field: "chargers") }
                    guard let hash = await ChargerPasswordHashing.hash(password) else {
                        return StationAPI.error(.serviceUnavailable, "the gateway is busy hashing passwords; try again", field: "chargers")
                    }
                    entry.passwordHash = hash
                }
                settings.chargers.append(entry)
            }
            return try await apply(settings, over: stored, gateway) { json(ChargersView($0, changed: $1)) }
        }
        router.get("api/scanned-chargers") { _, _ in
            let configured = Set(try await gateway.settings().chargers.map(\.id))
            // A configured charger is listed when its credentials were refused (the reason says why).
            return json(try await gateway.scannedChargers().filter { !configured.contains($0.id) || $0.reason != nil })
        }
        router.post("api/scanned-chargers/:id/accept") { request, context in
            if let refusal = roleRefusal() { return refusal }
            let id = context.parameters.get("id") ?? ""
            let body: AcceptBody
            do { body = try await optionalBody(AcceptBody.self, request) ?? AcceptBody() } catch let e as StationAPI.BodyError { return e.response }
            guard try await gateway.scannedChargers().contains(where: { $0.id == id }) else { return notScanned(id) }
            let stored = try await gateway.settings()
            switch GatewayWeb.accepting(id, connectors: body.connectors ?? 1, into: stored) {
            case .failure(.configured):
                return StationAPI.error(.conflict, "ChargerID '\(id)' is configured already", field: "id")
            case .failure(.noFreeSlot):
                return StationAPI.error(.conflict, "no free register slot: the gateway has \(RegisterLayout.maximumChargers) slots; remove a charger first", field: "id")
            case .success(let settings):
                return try await apply(settings, over: stored, gateway) { accepted, _ in
                    try await gateway.dismissScan(id)
                    return json(ChargersView(accepted, changed: true))
                }
            }
        }
        router.delete("api/scanned-chargers/:id") { _, context in
            if let refusal = roleRefusal() { return refusal }
            let id = context.parameters.get("id") ?? ""
            guard try await gateway.scannedChargers().contains(where: { $0.id == id }) else { return notScanned(id) }
            try await gateway.dismissScan(id)
            return json(Dismissed(dismissed: id))
        }
    }

    static func notScanned(_ id: String) -> Response {
        StationAPI.error(.notFound, "'\(id.prefix(64))' is not in the OCPP scan (GET /api/scanned-chargers lists it)", field: "id")
    }

    // MARK: Signals and the project file (seeds/003 §2.2 step 6, "Receive/Send")

    static func addSignalAndProjectRoutes(_ router: Router<WebRequestContext>, _ gateway: any GatewayService) {
        router.get("api/signals") { _, _ in json(SignalsView(try await gateway.settings())) }
        router.put("api/signals") { request, _ in
            if let refusal = roleRefusal() { return refusal }
            let body: SignalsBody
            do { body = try await StationAPI.decode(SignalsBody.self, request) } catch let e as StationAPI.BodyError { return e.response }
            let stored = try await gateway.settings()
            var settings = stored
            settings.signalsOff = Array(Set(body.off)).sorted()
            return try await apply(settings, over: stored, gateway) { json(SignalsView($0, changed: $1)) }
        }
        router.get("api/signals.csv") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: GatewayWeb.signalsCSV(try await gateway.settings()))))
        }
        router.get("api/project") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                     body: .init(byteBuffer: ByteBuffer(string: try GatewayProject.export(try await gateway.settings()))))
        }
        router.put("api/project") { request, _ in
            if let refusal = roleRefusal() { return refusal }
            var request = request
            let buffer: ByteBuffer
            do { buffer = try await request.collectBody(upTo: GatewayProject.maximumBytes) } catch {
                return StationAPI.error(.contentTooLarge, "a project file has at most \(GatewayProject.maximumBytes) bytes", field: "body")
            }
            let stored = try await gateway.settings()
            let settings: GatewaySettings
            do {
                settings = try GatewayProject.read(Array(buffer.readableBytesView), keepingSecretsOf: stored)
            } catch let e as ProjectRejected {
                return rejected(e.problems, what: "project file refused")
            }
            return try await apply(settings, over: stored, gateway) { _, changed in json(Imported(imported: true, changed: changed)) }
        }
    }

    // MARK: Helpers

    /// The web pages' rule: a change needs ``GatewayWeb/configureRole``; the token acts as ``StationAPI/apiRole``.
    static func roleRefusal() -> Response? {
        guard StationAPI.apiRole < GatewayWeb.configureRole else { return nil }
        return StationAPI.error(.forbidden, "changing the gateway needs the \(GatewayWeb.configureRole.rawValue) role; the API token acts as \(StationAPI.apiRole.rawValue)")
    }

    /// Applies `settings` as the web pages do (``GatewayService/apply(_:by:)`` checks them, saves them and restarts the
    /// gateway services; unchanged settings are not applied) and answers with `answer(settings, changed)`; every
    /// problem, by field, when they are refused.
    static func apply(_ settings: GatewaySettings, over stored: GatewaySettings, _ gateway: any GatewayService, what: String = "refused",
                      given: [String: String] = [:], answer: (GatewaySettings, Bool) async throws -> Response) async throws -> Response {
        guard settings != stored else { return try await answer(stored, false) }
        do {
            try await gateway.apply(settings, by: "api")
        } catch let e as SettingsRejected {
            return rejected(e.problems, what: what, given: given)
        }
        return try await answer(settings, true)
    }

    /// Problems as the station's `PATCH /api/config` words a refused batch: `fields` names each field with its
    /// problems and, for a setting of the registry, what it allows.
    static func rejected(_ problems: [SettingProblem], what: String, given: [String: String] = [:]) -> Response {
        var fields: [String: StationAPI.BatchFieldError] = [:]
        for p in problems {
            if var known = fields[p.field] {
                known.error += "; " + p.message
                fields[p.field] = known
            } else {
                let f = GatewaySettings.fields.first { $0.key == p.field }
                fields[p.field] = StationAPI.BatchFieldError(error: p.message, kind: "invalidValue", given: given[p.field], allowed: f.map(allowed))
            }
        }
        let first = problems.first?.field ?? "body"
        return StationAPI.json(StationAPI.BatchError(error: "\(what), nothing was changed: " + problems.map(\.description).joined(separator: "; "),
                                                     field: first, fields: fields), status: .badRequest)
    }

    /// What a setting allows, as the web form's help says it (English): `10…86400 s`, `bms, external`, `true, false`.
    static func allowed(_ f: GatewaySettingField) -> String {
        switch f.input {
        case .number, .choice: GatewayParameters.allowed(f.definition.type)
        case .onOff: "true, false"
        case .text, .secret: f.definition.type.allowedDescription
        }
    }

    static func json<T: Encodable>(_ value: T) -> Response { StationAPI.json(value) }

    /// A body that may be left out (empty), else decoded like every other body.
    static func optionalBody<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T? {
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: StationAPI.maximumBodyBytes) } catch {
            throw StationAPI.BodyError(response: StationAPI.error(.contentTooLarge, "request body larger than \(StationAPI.maximumBodyBytes) bytes"))
        }
        if buffer.readableBytesView.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
        return try await StationAPI.decode(type, Request(head: request.head, body: .init(buffer: buffer)))
    }
}
