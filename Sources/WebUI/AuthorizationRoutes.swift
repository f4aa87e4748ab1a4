import FoundationEssentials
import StringSupport
import Hummingbird
import HTTPTypes
import NIOCore
import Authorization
import ChargePoint
import EVSECore

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
                return error(.badRequest, "the CSV file is not UTF-8 text", field: "body")
            }
            // As the web form: an empty file is refused, never taken as an empty list (with mode=replace it would empty
            // the whitelist; DELETE /api/whitelist does that on purpose). Found by schemathesis (issue 30 item 3).
            guard !text.allSatisfy(\.isWhitespace) else {
                return error(.badRequest, "the CSV file is empty: send the file as the request body", field: "body")
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
        return raw.percentDecoded ?? raw
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
