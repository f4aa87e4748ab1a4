import FoundationEssentials
import Hummingbird
import HTTPTypes
import NIOCore
import ChargePoint
import EVSECore

/// The System page's actions and the account password form as API calls (issue 30 item 4, API parity): everything the
/// web interface can do, the API can do too, with the same role rules. The handlers are thin: they call the
/// ``StationService`` methods the web interface calls (seeds/004 §3 System, "Operator Default & Restart"; seeds/002
/// §1.2 "Restart Daemon" / "Reboot System", §1.6 Station Date/Time).
///
/// The API token acts as installer (``StationAPI/apiRole``); every action here needs at most that role, and the
/// destructive ones need `"confirm": true` in the body, as the web forms need their confirmation box.
extension StationAPI {
    /// The lowest role of each action, the same constants the web interface checks.
    static let factoryResetRole = WebInterface.factoryResetRole
    static let operatorDefaultRole = WebInterface.operatorDefaultRole

    static func addSystemRoutes(_ router: Router<WebRequestContext>, _ station: any StationService, accounts: WebAccounts?) {
        router.get("api/system") { _, _ in
            let info = await station.systemInfo()
            let waiting = await station.waitingForRestart().map(\.key)
            return json(SystemView(info, waitingForRestart: waiting))
        }
        router.get("api/system/log.zip") { _, _ in try await logArchiveResponse(station) }
        router.post("api/system/clock") { request, _ in
            struct Body: Decodable { var time: String }
            let body: Body
            do { body = try await decode(Body.self, request) } catch let e as BodyError { return e.response }
            guard let time = parseTimestamp(body.time) else {
                return error(.badRequest, "time must be an ISO 8601 timestamp with its zone, like 2026-12-05T08:00:00Z (got '\(body.time.prefix(64))')",
                             field: "time")
            }
            do throws(ClockSetError) {
                try await station.setClock(to: time, by: "api:\(apiRole.rawValue)")
            } catch {
                return StationAPI.error(.conflict, error.description, field: "time")
            }
            return json(SystemView(await station.systemInfo(), waitingForRestart: await station.waitingForRestart().map(\.key)))
        }
        router.post("api/system/restart") { request, _ in
            struct Body: Decodable { var kind: String? }
            let body: Body
            do { body = try await decode(Body.self, request) } catch let e as BodyError { return e.response }
            let kind: StationRestart
            switch body.kind ?? "services" {
            case "services": kind = .services
            case "reboot": kind = .reboot
            default: return error(.badRequest, "kind must be services or reboot", field: "kind")
            }
            await station.requestRestart(kind, by: "api:\(apiRole.rawValue)")
            return json(Restarting(restarting: kind.rawValue), status: .accepted)
        }
        router.post("api/system/factory-reset") { request, _ in
            guard apiRole >= factoryResetRole else { return roleTooLow(factoryResetRole) }
            if let refused = try await confirmation(request) { return refused }
            await station.requestRestart(.factoryReset, by: "api:\(apiRole.rawValue)")
            return json(Restarting(restarting: StationRestart.factoryReset.rawValue), status: .accepted)
        }
        router.post("api/system/operator-default") { request, _ in
            guard apiRole >= operatorDefaultRole else { return roleTooLow(operatorDefaultRole) }
            if let refused = try await confirmation(request) { return refused }
            return try await attempt {
                let kept = try await station.restoreOperatorDefaults(by: "api:\(apiRole.rawValue)")
                return json(Restarting(restarting: "operatorDefault", keptKeys: kept), status: .accepted)
            }
        }
        if let accounts { addAccountRoutes(router, accounts) }
    }

    /// "Change password" of the user menu: the account's old password, the new one (the login policy's rules). The
    /// token may change the accounts up to its own role, each only with its old password, as each user does on the web.
    static func addAccountRoutes(_ router: Router<WebRequestContext>, _ accounts: WebAccounts) {
        router.put("api/accounts/:name/password") { request, context in
            let name = context.parameters.get("name") ?? ""
            guard let role = Role(rawValue: name), await accounts.account(name) != nil else {
                return error(.notFound, "account '\(name.prefix(64))' does not exist; accounts: operator, installer, manufacturer", field: "name")
            }
            guard role <= apiRole else {
                return error(.forbidden, "the API token acts as \(apiRole.rawValue) at most; the \(name) password is changed with the \(name) login of the web interface",
                             field: "name")
            }
            struct Body: Decodable { var old: String; var new: String; var `repeat`: String? }
            let body: Body
            do { body = try await decode(Body.self, request) } catch let e as BodyError { return e.response }
            let session = WebAccounts.Session(token: "api", account: name, role: role, csrf: "", lastSeen: Date())
            do {
                try await accounts.changePassword(session, old: body.old, new: body.new, repeated: body.repeat ?? body.new)
            } catch WebAccounts.PasswordChangeError.invalid(let field, let message) {
                return error(.badRequest, message, field: field)
            }
            return json(PasswordChanged(account: name, changed: true))
        }
    }

    /// nil when the body says `"confirm": true`; otherwise the 400 answer.
    static func confirmation(_ request: Request) async throws -> Response? {
        struct Body: Decodable { var confirm: Bool }
        let body: Body
        do { body = try await decode(Body.self, request) } catch let e as BodyError { return e.response }
        return body.confirm ? nil : error(.badRequest, "confirm must be true: this action cannot be undone", field: "confirm")
    }

    static func roleTooLow(_ role: Role) -> Response {
        error(.forbidden, "this action needs the \(role.rawValue) role; the API token acts as \(apiRole.rawValue)")
    }

    /// ISO 8601 with a zone (`Z` or `+01:00`), optionally with fractional seconds, which count to the millisecond (as
    /// ISO8601DateFormatter, which this replaced, read them).
    static func parseTimestamp(_ text: String) -> Date? {
        guard let date = (try? Date.ISO8601FormatStyle().parse(text))
            ?? (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)) else { return nil }
        return Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded(.down) / 1000)
    }

    struct Restarting: Encodable {
        var restarting: String
        /// Operator Default: the keys whose default the installer's values do not allow (they keep their value).
        var keptKeys: [String]?
    }

    struct PasswordChanged: Encodable { var account: String; var changed: Bool }

    /// `GET /api/system`: the System page's facts and the parameters waiting for a restart.
    struct SystemView: Encodable {
        var stationVersion: String
        var webInterfaceVersion: String
        var operatingSystem: String
        var time: Date
        var timezone: String
        var timeSource: String
        var backendConfigured: Bool
        var lastClockSet: ClockSet?
        var timeScale: Double
        var startedAt: Date
        var osClock: OSClockStatus?
        /// The last firmware update, or the one waiting for its health check (issue 23 item 5).
        var firmwareUpdate: FirmwareUpdateOutcome?
        var waitingForRestart: [String]

        init(_ i: SystemInfo, waitingForRestart: [String]) {
            stationVersion = i.stationVersion; webInterfaceVersion = i.webInterfaceVersion; operatingSystem = i.operatingSystem
            time = i.time; timezone = i.timezone; timeSource = i.timeSource; backendConfigured = i.backendConfigured
            lastClockSet = i.lastClockSet; timeScale = i.timeScale; startedAt = i.startedAt; osClock = i.osClock
            firmwareUpdate = i.firmwareUpdate
            self.waitingForRestart = waitingForRestart
        }
    }
}

/// The log download (the diagnostics files as a ZIP, never cached), as the System page and `GET /api/system/log.zip`
/// answer it.
func logArchiveResponse(_ station: any StationService) async throws -> Response {
    let zip = try await station.logArchive()
    let identity = await station.status().chargeBoxIdentity
    return Response(status: .ok, headers: [.contentType: "application/zip",
                                           .contentDisposition: "attachment; filename=\"chargekit-log-\(identity).zip\"",
                                           .cacheControl: "no-store"],
                    body: .init(byteBuffer: ByteBuffer(bytes: zip)))
}
