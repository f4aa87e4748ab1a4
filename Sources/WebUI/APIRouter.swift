import FoundationEssentials
import Hummingbird
import HTTPTypes
import Logging
import NIOCore
import Authorization
import ChargePoint
import EVSECore
import LoadManagement
import MetricsExporter
import OCPP16

/// The local JSON API of the station, served on the station's HTTP port. Documented in docs/api.md.
///
/// Every error answer is JSON `{"error": "...", ...}` with a 4xx status; nothing a client sends can crash
/// the station.
public enum StationAPI {
    /// Largest request body accepted, in bytes.
    public static let maximumBodyBytes = 64 * 1024

    /// The role of the API token's holder. The token is in `station.json` of the data directory (mode 0600), so its
    /// holder is whoever administers the station's computer: the installer who set it up or the integrator of an
    /// energy manager. It acts as installer; a request's `role` may narrow that (to check what an operator may
    /// change) but never widen it. Manufacturer settings (hardware ratings) stay with the manufacturer login of the
    /// web interface and the CLI on the stopped station (issue 20 item 1: a body `role` of manufacturer raised
    /// `HardwareMaxCurrent`).
    public static let apiRole = Role.installer

    /// Builds the router for a station (and its simulator, when running simulated).
    ///
    /// Every `/api/` request must carry `Authorization: Bearer <apiToken>` (the token the station writes to its
    /// `station.json`, readable only by its owner, where `chargekit` finds it); nil leaves the API open (tests only).
    /// `metrics` serves `GET /metrics` with its own token (``MetricsRoute``).
    /// The first middleware refuses every non-canonical path (``CanonicalPathMiddleware``), so the token check and the
    /// router see the same path.
    public static func router(station: any StationService, simulator: (any SimulatorControl)?, web: WebInterface? = nil,
                              apiToken: String?, metrics: (any StationMetricsSource)? = nil,
                              certificates: (any WebCertificateService)? = nil) -> Router<WebRequestContext> {
        let router = Router(context: WebRequestContext.self)
        router.add(middleware: CanonicalPathMiddleware())
        web?.addRoutes(to: router)
        router.add(middleware: JSONErrorMiddleware())
        if let apiToken { router.add(middleware: APITokenMiddleware(token: apiToken)) }
        router.get("api/status") { _, _ in json(await station.status()) }
        if let certificates { CertificateAPI.addRoutes(router, certificates, by: "api:\(apiRole.rawValue)") }
        router.get("api/connectors/:id") { _, context in
            let snapshot = await station.status()
            guard let id = context.parameters.get("id", as: Int.self),
                  let c = snapshot.connectors.first(where: { $0.id == id }) else {
                return error(.notFound, "connector \(context.parameters.get("id") ?? "?") does not exist; this station has \(snapshot.connectors.count) connector(s)")
            }
            return json(c)
        }
        router.get("api/errors") { _, _ in
            let snapshot = await station.status()
            return json(ErrorsView(active: snapshot.activeErrors, catalogue: ErrorCatalogue.all))
        }
        router.get("api/events") { request, _ in
            guard let limit = limit(request) else { return badLimit() }
            return try await attempt { json(try await station.events(limit: limit)) }
        }
        router.get("api/security-log") { request, _ in
            guard let limit = limit(request) else { return badLimit() }
            return try await attempt { json(try await station.securityLog(limit: limit)) }
        }
        router.get("api/sessions") { request, _ in
            guard let limit = limit(request) else { return badLimit() }
            return try await attempt { json(try await station.sessions(limit: limit)) }
        }
        router.get("api/config") { _, _ in json(await station.parameters()) }
        router.get("api/config-audit") { request, _ in
            guard let limit = limit(request) else { return badLimit() }
            return try await attempt { json(try await station.audit(limit: limit)) }
        }
        router.get("api/config/:key") { _, context in
            let key = context.parameters.get("key") ?? ""
            return try await attempt { json(try await station.parameter(key)) }
        }
        router.put("api/config/:key") { request, context in
            let key = context.parameters.get("key") ?? ""
            let body: ConfigChange
            do { body = try await decode(ConfigChange.self, request) } catch let e as BodyError { return e.response }
            let role: Role
            if let r = body.role {
                guard let parsed = Role(rawValue: r) else {
                    return error(.badRequest, "role '\(r)' is unknown; allowed: operator, installer, manufacturer", field: "role")
                }
                guard parsed <= apiRole else {
                    return error(.forbidden, "the API token acts as \(apiRole.rawValue) at most; '\(r)' settings are changed with the \(r) login of the web interface or with 'chargekit config set --role \(r)' while the station is stopped",
                                 field: "role")
                }
                role = parsed
            } else {
                role = apiRole
            }
            return try await attempt {
                json(try await station.setParameter(key, body.value, role: role, changedBy: body.changedBy ?? "api:\(role.rawValue)"))
            }
        }
        // DLM master: "Clear persistent DLM slave DB" (seeds/004 §7.4) and the removal of one slave.
        router.delete("api/dlm/slaves") { _, _ in
            guard apiRole >= WebInterface.clearDLMSlavesRole else { return roleTooLow(WebInterface.clearDLMSlavesRole) }
            return try await attempt { json(RemovedSlaves(removed: try await station.removeDLMSlaves(nil))) }
        }
        router.delete("api/dlm/slaves/:id") { _, context in
            guard apiRole >= WebInterface.clearDLMSlavesRole else { return roleTooLow(WebInterface.clearDLMSlavesRole) }
            let id = context.parameters.get("id") ?? ""
            return try await attempt { json(RemovedSlaves(removed: try await station.removeDLMSlaves(id))) }
        }
        addAuthorizationRoutes(router, station)
        addSystemRoutes(router, station, accounts: web?.accounts)
        addMailRoutes(router, station)
        addModemRoutes(router, station)
        addEEBUSRoutes(router, station)
        addDHCPRoutes(router, station)
        addNetworkRoutes(router, station)
        addConfigBatchRoute(router, station)
        addFirmwareRoutes(router, station)
        router.get(RouterPath(stringLiteral: String(openAPIPath.dropFirst()))) { _, _ in openAPIDocument() }
        if let metrics { MetricsRoute.add(to: router, source: metrics) }
        if let simulator {
            addSimulatorRoutes(router, simulator)
        }
        return router
    }

    private static func addSimulatorRoutes(_ router: Router<WebRequestContext>, _ sim: any SimulatorControl) {
        router.get("api/sim") { _, _ in json(await sim.simulatorStatus()) }
        func command<Body: Decodable & Sendable>(_ path: String, _ type: Body.Type, _ make: @escaping @Sendable (Body) -> SimulatorCommand) {
            router.post(RouterPath(stringLiteral: "api/sim/\(path)")) { request, _ in
                let body: Body
                do { body = try await decode(type, request) } catch let e as BodyError { return e.response }
                do {
                    try await sim.perform(make(body))
                } catch let error as SimulatorCommandError {
                    switch error.kind {
                    case .invalid: return StationAPI.error(.badRequest, error.message)
                    case .notFound: return StationAPI.error(.notFound, error.message)
                    case .conflict: return StationAPI.error(.conflict, error.message)
                    }
                }
                return json(await sim.simulatorStatus())
            }
        }
        command("plug", PlugRequest.self) { .plug($0) }
        command("unplug", UnplugBody.self) { .unplug(connector: $0.connector, force: $0.force ?? false) }
        command("rfid", RFIDBody.self) { .rfid(uid: $0.uid, secure: $0.secure ?? false) }
        command("fault", FaultBody.self) { .fault(fault: $0.fault, connector: $0.connector, active: $0.active ?? true) }
        command("input", InputBody.self) { .input(name: $0.input, on: $0.on) }
        command("target", TargetBody.self) { .target(connector: $0.connector, stateOfChargePercent: $0.stateOfChargePercent) }
    }

    // MARK: Bodies

    struct ConfigChange: Decodable, Sendable {
        var value: ParameterValue
        var role: String?
        var changedBy: String?
    }
    struct UnplugBody: Decodable, Sendable { var connector: Int; var force: Bool? }
    struct RFIDBody: Decodable, Sendable { var uid: String; var secure: Bool? }
    struct FaultBody: Decodable, Sendable { var fault: String; var connector: Int?; var active: Bool? }
    struct InputBody: Decodable, Sendable { var input: String; var on: Bool }
    struct TargetBody: Decodable, Sendable { var connector: Int; var stateOfChargePercent: Double }

    struct ErrorsView: Encodable { var active: [ActiveErrorView]; var catalogue: [ErrorDefinition] }

    /// Answers unknown routes, wrong methods and any other error with a JSON body like every other error.
    struct JSONErrorMiddleware: RouterMiddleware {
        typealias Context = WebRequestContext

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            do {
                return try await next(request, context)
            } catch let e as HTTPError where e.status == .notFound && !CanonicalPath.isAPI(request.uri.path) {
                // A page of the web interface that does not exist.
                return Response(status: .notFound, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: """
                    <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Not found · ChargeKit</title>
                    <link rel="stylesheet" href="/static/app.css"></head><body><main class="narrow"><section class="card">
                    <h1>404</h1><p>This page does not exist.</p><p><a href="/">← Dashboard</a></p></section></main></body></html>
                    """)))
            } catch let e as HTTPError {
                let message = e.status == .notFound
                    ? "no such endpoint: \(request.method) \(request.uri.path) (see docs/api.md)"
                    : (e.body ?? e.status.reasonPhrase)
                return StationAPI.error(e.status, message)
            } catch {
                context.logger.error("request failed: \(error)")
                return StationAPI.error(.internalServerError, "internal error")
            }
        }
    }

    /// Refuses API requests without the station's token (401, JSON error naming where the token is).
    struct APITokenMiddleware: RouterMiddleware {
        typealias Context = WebRequestContext
        let token: String
        /// Whose runtime file holds the token: the station's station.json or the gateway's gateway.json.
        var product = "station"

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            // The router's view of the path, not its raw spelling (the canonical-path middleware runs first anyway).
            guard CanonicalPath.isAPI(request.uri.path) else { return try await next(request, context) }
            // The OpenAPI document is public: it describes the API's shape (as the source does), holds no station data,
            // and tools read it before they are given the token.
            if request.method == .get, request.uri.path == StationAPI.openAPIPath { return try await next(request, context) }
            let given = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
            guard WebHTTP.constantTimeEqual(given, token) else {
                var r = StationAPI.error(.unauthorized, "missing or wrong API token: send 'Authorization: Bearer <apiToken>' with the apiToken of the \(product)'s \(product).json (in its data directory)")
                r.headers[.wwwAuthenticate] = "Bearer"
                return r
            }
            return try await next(request, context)
        }
    }

    struct RemovedSlaves: Encodable { var removed: [String] }

    struct BodyError: Error {
        var response: Response
    }

    // MARK: Helpers

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    struct ErrorBody: Encodable {
        var error: String
        var field: String?
        var kind: String?
        var key: String?
        var given: String?
        var allowed: String?
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, field: String? = nil) -> Response {
        json(ErrorBody(error: message, field: field), status: status)
    }

    static func limit(_ request: Request) -> Int? {
        guard let text = request.uri.queryParameters.get("limit") else { return 100 }
        guard let n = Int(text), (1...10_000).contains(n) else { return nil }
        return n
    }

    /// The field a whitelist entry's error concerns: its rule names groupID, expiry or authorization; else the id.
    static func whitelistField(_ reason: String) -> String {
        ["groupID", "expiry", "authorization"].first { reason.hasPrefix($0) } ?? "id"
    }

    static func badLimit() -> Response { error(.badRequest, "limit must be a whole number from 1 to 10000", field: "limit") }

    /// Runs a station call and turns parameter errors into 4xx answers.
    static func attempt(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let e as WhitelistError {
            switch e {
            case .invalidID(let value, let reason):
                return json(ErrorBody(error: e.description, field: whitelistField(reason), given: value, allowed: reason), status: .badRequest)
            case .importRejected(let lines):
                struct ImportError: Encodable { var error: String; var lines: [CSVLineError] }
                return json(ImportError(error: "import rejected, nothing was changed: \(lines.count) bad line(s)", lines: lines), status: .badRequest)
            case .notFound: return error(.notFound, e.description)
            case .duplicate, .full: return error(.conflict, e.description)
            }
        } catch let e as DLMSlaveRemovalError {
            switch e {
            case .notMaster: return error(.conflict, e.description)
            case .unknown: return error(.notFound, e.description)
            }
        } catch let e as ParameterError {
            let status: HTTPResponse.Status = switch e.kind {
            case .unknownKey: .notFound
            case .invalidValue: .badRequest
            case .forbidden: .forbidden
            case .conflict: .conflict
            }
            return json(ErrorBody(error: e.message, field: "value", kind: e.kind.rawValue, key: e.key, given: e.given, allowed: e.allowed),
                        status: status)
        }
    }

    /// The body of a POST that needs none: empty, or a JSON object (as every POST of the API reads one). Throws the
    /// answer for anything else, and for a body over the limit.
    static func expectNoBody(_ request: Request) async throws {
        var request = request
        let buffer: ByteBuffer
        do { buffer = try await request.collectBody(upTo: maximumBodyBytes) } catch {
            throw BodyError(response: StationAPI.error(.contentTooLarge, "request body larger than \(maximumBodyBytes) bytes"))
        }
        guard buffer.readableBytes > 0 else { return }
        guard case .object? = try? JSONParser.parse(Array(buffer.readableBytesView)) else {
            throw BodyError(response: error(.badRequest, "the request body must be a JSON object, or empty", field: "body"))
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maximumBodyBytes)
        } catch {
            throw BodyError(response: StationAPI.error(.contentTooLarge, "request body larger than \(maximumBodyBytes) bytes"))
        }
        do {
            return try JSONDecoder().decode(type, from: Data(buffer.readableBytesView))
        } catch let DecodingError.keyNotFound(key, _) {
            throw BodyError(response: error(.badRequest, "missing field '\(key.stringValue)'", field: key.stringValue))
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx) {
            let field = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            guard !field.isEmpty else { throw BodyError(response: error(.badRequest, "the request body must be a JSON object", field: "body")) }
            throw BodyError(response: error(.badRequest, "field '\(field)' has the wrong type", field: field))
        } catch {
            throw BodyError(response: StationAPI.error(.badRequest, "request body is not valid JSON"))
        }
    }
}
