#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StringSupport
import App
import Authorization
import ChargePoint
import EVSECore
import LoadManagement
import Persistence

/// The CLI's access to a station: through the API of a running station, or directly on the database of a
/// stopped one (holding the data directory lock while it does). Both paths use the same validation.
public struct StationClient {
    public enum Failure: Error, CustomStringConvertible {
        /// The station or registry refused the request (HTTP 4xx / validation error).
        case rejected(String)
        case unreachable(String)
        public var description: String {
            switch self { case .rejected(let m), .unreachable(let m): m }
        }
    }

    let dir: DataDirectory

    public init(dataDirectory: String) { dir = DataDirectory(dataDirectory) }

    private static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return d
    }()

    /// The running station's API client, or nil when no station runs on the data directory.
    func api() throws -> LocalHTTPClient? {
        guard dir.isStationRunning() else { return nil }
        guard let info = dir.readRuntime() else {
            throw Failure.unreachable("a station holds \(dir.path) but has not published its API address yet; try again")
        }
        return try LocalHTTPClient(info)
    }

    static func check(_ r: LocalHTTPClient.Response) throws -> Data {
        guard (200..<300).contains(r.status) else {
            struct E: Decodable { var error: String }
            let message = (try? JSONDecoder().decode(E.self, from: r.body).error) ?? "HTTP \(r.status)"
            throw Failure.rejected(message)
        }
        return r.body
    }

    /// Runs `body` on the database of the stopped station.
    func offlineDatabase<T>(_ body: (StationDatabase) throws -> T) throws -> T {
        let lock = try dir.lock()
        defer { withExtendedLifetime(lock) {} }
        let db = try StationDatabase(directory: dir.path)
        do {
            return try body(db)
        } catch let e as ParameterError {
            throw Failure.rejected(e.message)
        } catch WhitelistError.importRejected(let lines) {
            throw Failure.rejected((["import rejected, nothing was changed: \(lines.count) bad line(s)"] + lines.map(\.description))
                .joined(separator: "\n"))
        } catch let e as WhitelistError {
            throw Failure.rejected(e.description)
        }
    }

    func offline<T>(_ body: (inout ParameterService) throws -> T) throws -> T {
        try offlineDatabase { db in
            var service = try ParameterService(store: db)
            return try body(&service)
        }
    }

    /// Sends a request to the running station and decodes the answer.
    func call<T: Decodable>(_ api: LocalHTTPClient, _ method: String, _ path: String, body: Data? = nil, as type: T.Type) throws -> T {
        try Self.decoder.decode(type, from: Self.check(api.request(method, path, body: body)))
    }

    static func query(_ items: [(String, String?)]) -> String {
        let parts = items.compactMap { k, v in
            v.map { "\(k)=\($0.percentEncoded(keeping: "!$'()*,;:@/?"))" }
        }
        return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
    }

    static func pathComponent(_ s: String) -> String {
        s.percentEncoded(keeping: "!$&'()*+,;=@")
    }

    // MARK: DLM

    /// The running station's DLM status (nil: DLM is off).
    public func dlmStatus() throws -> DLMStatus? {
        guard let api = try api() else { throw Failure.unreachable("no station runs on \(dir.path); the DLM status exists only while it runs") }
        struct Status: Decodable { var dlm: DLMStatus? }
        return try call(api, "GET", "/api/status", as: Status.self).dlm
    }

    /// Removes one slave (nil: all) from the master's persistent DLM slave DB; returns the removed ids.
    public func dlmRemoveSlaves(_ id: String?) throws -> [String] {
        struct Removed: Decodable { var removed: [String] }
        if let api = try api() {
            return try call(api, "DELETE", "/api/dlm/slaves" + (id.map { "/" + Self.pathComponent($0) } ?? ""), as: Removed.self).removed
        }
        return try offlineDatabase { db in
            let known = try db.loadDLMSlaves().map(\.id)
            let ids = id.map { [$0] } ?? known
            if let id, !known.contains(id) { throw Failure.rejected("no DLM slave '\(id)'") }
            try db.deleteDLMSlaves(ids: ids)
            try db.append(EventLogEntry(at: Date(), kind: .dlmLinkChanged, connector: 0,
                                        message: "DLM: \(id.map { "slave \($0) removed" } ?? "persistent slave DB cleared (\(ids.count) slave(s))") (CLI, station stopped)"))
            return ids
        }
    }

    // MARK: Whitelist

    private func offlineWhitelist<T>(_ what: String, _ change: (inout LocalWhitelist) throws -> T) throws -> T {
        try offlineDatabase { db in
            var list = try db.loadAuthorizationLists().whitelist
            let result = try change(&list)
            try db.saveWhitelist(list.entries)
            try db.append(EventLogEntry(at: Date(), kind: .whitelistChanged, connector: 0, message: what + " (CLI, station stopped)"))
            return result
        }
    }

    public func whitelist(search: String?) throws -> [WhitelistEntryView] {
        if let api = try api() {
            struct View: Decodable { var entries: [WhitelistEntryView] }
            return try call(api, "GET", "/api/whitelist" + Self.query([("search", search)]), as: View.self).entries
        }
        return try offlineDatabase { try $0.loadAuthorizationLists().whitelist.search(search ?? "").map(WhitelistEntryView.init) }
    }

    public func whitelistAdd(_ input: WhitelistEntryInput) throws -> WhitelistEntryView {
        if let api = try api() {
            return try call(api, "POST", "/api/whitelist", body: try JSONEncoder().encode(input), as: WhitelistEntryView.self)
        }
        return try offlineWhitelist("\(input.id) added to the local whitelist") { list in
            let e = try input.entry()
            try list.add(e)
            return WhitelistEntryView(e)
        }
    }

    public func whitelistRemove(_ id: String) throws -> WhitelistEntryView {
        if let api = try api() {
            return try call(api, "DELETE", "/api/whitelist/" + Self.pathComponent(id), as: WhitelistEntryView.self)
        }
        return try offlineWhitelist("\(id) deleted from the local whitelist") { WhitelistEntryView(try $0.remove(id)) }
    }

    public func whitelistRemoveAll() throws -> Int {
        if let api = try api() {
            return try call(api, "DELETE", "/api/whitelist", as: [String: Int].self)["removed"] ?? 0
        }
        return try offlineWhitelist("local whitelist deleted") { list in
            let n = list.entries.count
            list.removeAll()
            return n
        }
    }

    public func whitelistImport(_ csv: String, mode: WhitelistImportMode) throws -> WhitelistImportReport {
        if let api = try api() {
            let r = try api.request("POST", "/api/whitelist/import" + Self.query([("mode", mode.rawValue)]), body: Data(csv.utf8))
            if r.status == 400, let e = try? Self.decoder.decode(ImportFailure.self, from: r.body) {
                throw Failure.rejected(([e.error] + e.lines.map(\.description)).joined(separator: "\n"))
            }
            return try Self.decoder.decode(WhitelistImportReport.self, from: Self.check(r))
        }
        return try offlineWhitelist("local whitelist imported (\(mode.rawValue))") { try WhitelistCSV.importCSV(csv, into: &$0, mode: mode) }
    }

    private struct ImportFailure: Decodable { var error: String; var lines: [CSVLineError] }

    public func whitelistExport(format: WhitelistCSVFormat) throws -> String {
        if let api = try api() {
            return String(decoding: try Self.check(api.request("GET", "/api/whitelist/export" + Self.query([("format", format.rawValue)]))), as: UTF8.self)
        }
        return try offlineDatabase { WhitelistCSV.export(try $0.loadAuthorizationLists().whitelist.entries, format: format) }
    }

    /// Learning mode needs the running station's reader.
    public func learning(_ active: Bool?) throws -> LearningState {
        guard let api = try api() else { throw Failure.unreachable("learning mode needs a running station; start it with 'chargekit station --simulate'") }
        if let active {
            return try call(api, "POST", "/api/whitelist/learn", body: Data("{\"active\":\(active)}".utf8), as: LearningState.self)
        }
        return try call(api, "GET", "/api/whitelist/learn", as: LearningState.self)
    }

    /// Learning mode as the API reports it.
    public struct LearningState: Decodable, Sendable {
        public var active: Bool
        public var learned: [String]
    }

    // MARK: History

    public func history(from: String?, to: String?) throws -> [HistoryRow] {
        if let api = try api() {
            return try call(api, "GET", "/api/history" + Self.query([("from", from), ("to", to)]), as: [HistoryRow].self)
        }
        func date(_ text: String?, endOfDay: Bool) throws -> Date? {
            guard let text else { return nil }
            if let d = CivilTime.parse(text) { return d }
            if let d = CivilTime.parse(text + "T00:00:00") { return endOfDay ? d.addingTimeInterval(86_400) : d }
            throw Failure.rejected("dates look like 2026-01-31 or 2026-01-31T12:00:00 (got '\(text)')")
        }
        let f = try date(from, endOfDay: false), t = try date(to, endOfDay: true)
        return try offlineDatabase { db in
            let disclose = StationSettings(try ParameterService(store: db).values).uidDisclose
            return try db.sessions(from: f, to: t).map { HistoryRow($0, disclose: disclose) }
        }
    }

    public func historySummary() throws -> HistorySummary {
        if let api = try api() { return try call(api, "GET", "/api/history/summary", as: HistorySummary.self) }
        return try offlineDatabase { ChargingHistory.summary(try $0.sessions(from: nil, to: nil), now: Date()) }
    }

    public func list() throws -> [ParameterView] {
        if let api = try api() {
            return try Self.decoder.decode([ParameterView].self, from: Self.check(api.request("GET", "/api/config")))
        }
        return try offline { $0.list() }
    }

    public func get(_ key: String) throws -> ParameterView {
        if let api = try api() {
            return try Self.decoder.decode(ParameterView.self, from: Self.check(api.request("GET", "/api/config/" + Self.pathComponent(key))))
        }
        return try offline { try $0.get(key) }
    }

    public func set(_ key: String, text: String, role: Role) throws -> ParameterView {
        let by = "cli:\(role.rawValue)"
        if let api = try api() {
            struct Body: Encodable { var value: String; var role: String; var changedBy: String }
            let body = try JSONEncoder().encode(Body(value: text, role: role.rawValue, changedBy: by))
            return try Self.decoder.decode(ParameterView.self, from: Self.check(api.request("PUT", "/api/config/" + Self.pathComponent(key), body: body)))
        }
        return try offline { try $0.set(key, text: text, role: role, changedBy: by, now: Date()) }
    }
}
