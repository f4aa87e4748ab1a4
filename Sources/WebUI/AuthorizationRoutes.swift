import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import ChargePoint
import EVSECore

/// The local whitelist with its state, as `GET /api/whitelist` answers.
public struct WhitelistView: Sendable, Codable, Equatable {
    public var enabled: Bool
    public var mode: LocalWhitelistMode
    public var count: Int
    public var maximum: Int
    public var entries: [WhitelistEntryView]
    /// Entries deleted since the last restart, restorable ("Hide deleted entries", seeds/002 §1.7).
    public var deleted: [WhitelistEntryView]

    public init(enabled: Bool, mode: LocalWhitelistMode, list: LocalWhitelist, search: String) {
        self.enabled = enabled; self.mode = mode; count = list.entries.count; maximum = LocalWhitelist.maximumEntries
        entries = list.search(search).map(WhitelistEntryView.init)
        deleted = list.deleted.map(WhitelistEntryView.init)
    }
}

/// Learning mode state.
public struct LearningView: Sendable, Codable, Equatable {
    public var active: Bool
    public var until: Date?
    /// Identifiers added since learning mode was switched on.
    public var learned: [String]
    public init(active: Bool, until: Date?, learned: [String]) { self.active = active; self.until = until; self.learned = learned }
}

/// The OCPP-managed lists as `GET /api/authorization/lists` answers.
public struct AuthorizationListsView: Sendable, Codable, Equatable {
    public var localListEnabled: Bool
    public var localListVersion: Int
    public var localList: [ListedIdentifier]
    /// "Enable OCPP whitelist".
    public var cacheEnabled: Bool
    public var cacheExpiryMode: CacheExpiryMode
    public var cache: [ListedIdentifier]
    public init(localListEnabled: Bool, localListVersion: Int, localList: [ListedIdentifier], cacheEnabled: Bool,
                cacheExpiryMode: CacheExpiryMode, cache: [ListedIdentifier]) {
        self.localListEnabled = localListEnabled; self.localListVersion = localListVersion; self.localList = localList
        self.cacheEnabled = cacheEnabled; self.cacheExpiryMode = cacheExpiryMode; self.cache = cache
    }
}

/// Whitelists, learning mode and the OCPP lists, for the local API.
public protocol AuthorizationService: Sendable {
    func whitelist(search: String) async -> WhitelistView
    func whitelistAdd(_ input: WhitelistEntryInput) async throws -> WhitelistEntryView
    func whitelistUpdate(_ id: String, _ input: WhitelistEntryInput) async throws -> WhitelistEntryView
    func whitelistRemove(_ id: String) async throws -> WhitelistEntryView
    func whitelistRemoveAll() async throws -> Int
    func whitelistRestore(_ id: String) async throws -> WhitelistEntryView
    func whitelistImport(_ csv: String, mode: WhitelistImportMode) async throws -> WhitelistImportReport
    func whitelistExport(format: WhitelistCSVFormat) async -> String
    func learning() async -> LearningView
    func setLearning(_ active: Bool) async -> LearningView
    func authorizationLists() async -> AuthorizationListsView
    func clearAuthorizationCache() async throws
}

/// The charging history, for the local API.
public protocol HistoryService: Sendable {
    /// Sessions started in `[from, to)`, oldest first, identifiers masked unless "UID disclose" is On.
    func history(from: Date?, to: Date?) async throws -> [HistoryRow]
    func historySummary() async throws -> HistorySummary
}

extension StationAPI {
    static func addAuthorizationRoutes(_ router: Router<WebRequestContext>, _ station: any StationService) {
        router.get("api/whitelist") { request, _ in
            json(await station.whitelist(search: request.uri.queryParameters.get("search") ?? ""))
        }
        router.post("api/whitelist") { request, _ in
            let input: WhitelistEntryInput
            do { input = try await decode(WhitelistEntryInput.self, request) } catch let e as BodyError { return e.response }
            return try await attempt { json(try await station.whitelistAdd(input), status: .created) }
        }
        router.delete("api/whitelist") { _, _ in
            try await attempt { json(["removed": try await station.whitelistRemoveAll()]) }
        }
        router.get("api/whitelist/export") { request, _ in
            let name = request.uri.queryParameters.get("format") ?? WhitelistCSVFormat.technagon.rawValue
            guard let format = WhitelistCSVFormat(rawValue: name) else {
                return error(.badRequest, "format must be technagon or singleColumn", field: "format")
            }
            return csv(await station.whitelistExport(format: format), filename: "whitelist.csv")
        }
        router.post("api/whitelist/import") { request, _ in
            let name = request.uri.queryParameters.get("mode") ?? WhitelistImportMode.update.rawValue
            guard let mode = WhitelistImportMode(rawValue: name) else {
                return error(.badRequest, "mode must be update or replace", field: "mode")
            }
            var request = request
            guard let buffer = try? await request.collectBody(upTo: WhitelistCSV.maximumBytes) else {
                return error(.contentTooLarge, "CSV file larger than \(WhitelistCSV.maximumBytes) bytes")
            }
            guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
                return error(.badRequest, "the CSV file is not UTF-8 text")
            }
            return try await attempt { json(try await station.whitelistImport(text, mode: mode)) }
        }
        router.get("api/whitelist/learn") { _, _ in json(await station.learning()) }
        router.post("api/whitelist/learn") { request, _ in
            struct Body: Decodable { var active: Bool }
            let body: Body
            do { body = try await decode(Body.self, request) } catch let e as BodyError { return e.response }
            return json(await station.setLearning(body.active))
        }
        router.put("api/whitelist/:id") { request, context in
            let id = pathID(context)
            struct Body: Decodable { var groupID: String?; var expiry: String?; var authorization: String? }
            let body: Body
            do { body = try await decode(Body.self, request) } catch let e as BodyError { return e.response }
            let input = WhitelistEntryInput(id: id, groupID: body.groupID, expiry: body.expiry, authorization: body.authorization)
            return try await attempt { json(try await station.whitelistUpdate(id, input)) }
        }
        router.delete("api/whitelist/:id") { _, context in
            let id = pathID(context)
            return try await attempt { json(try await station.whitelistRemove(id)) }
        }
        router.post("api/whitelist/:id/restore") { _, context in
            let id = pathID(context)
            return try await attempt { json(try await station.whitelistRestore(id)) }
        }
        router.get("api/authorization/lists") { _, _ in json(await station.authorizationLists()) }
        router.delete("api/authorization/cache") { _, _ in
            try await attempt {
                try await station.clearAuthorizationCache()
                return json(await station.authorizationLists())
            }
        }
        router.get("api/history") { request, _ in
            let q = request.uri.queryParameters
            let from: Date?, to: Date?
            do {
                from = try historyDate(q.get("from"), field: "from")
                to = try historyDate(q.get("to"), field: "to", endOfDay: true)
            } catch let e as BodyError { return e.response }
            let format = q.get("format") ?? "json"
            guard format == "json" || format == "csv" else { return error(.badRequest, "format must be json or csv", field: "format") }
            return try await attempt {
                let rows = try await station.history(from: from, to: to)
                return format == "csv" ? csv(ChargingHistory.csv(rows), filename: "charging-history.csv") : json(rows)
            }
        }
        router.get("api/history/summary") { _, _ in try await attempt { json(try await station.historySummary()) } }
    }

    static func pathID(_ context: WebRequestContext) -> String {
        let raw = context.parameters.get("id") ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    /// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS` (UTC); a bare `to` date includes that whole day.
    static func historyDate(_ text: String?, field: String, endOfDay: Bool = false) throws -> Date? {
        guard let text, !text.isEmpty else { return nil }
        if let d = CivilTime.parse(text) { return d }
        if let d = CivilTime.parse(text + "T00:00:00") { return endOfDay ? d.addingTimeInterval(86_400) : d }
        throw BodyError(response: error(.badRequest, "\(field) must be a date like 2026-01-31 or 2026-01-31T12:00:00 (got '\(text)')", field: field))
    }

    static func csv(_ text: String, filename: String) -> Response {
        Response(status: .ok,
                 headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(filename)\""],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
