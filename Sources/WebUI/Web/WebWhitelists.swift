import FoundationEssentials
import Hummingbird
import HTTPTypes
import NIOCore
import Authorization
import ChargePoint
import StringSupport

/// The Whitelists menu (seeds/000, seeds/002 §1.7 "Users", seeds/004 §5.5): the local whitelist with search and pages
/// of 10, "Add entry" (with learning mode: hold the card to the reader or plug in the car), delete and restore, delete
/// the whole list, import (Update / Replace, "Processed N"), export; and the OCPP whitelist (authorization cache) with
/// search and "delete whole list".
/// The Whitelists menu: the local whitelist (a page of it), "Add entry", learning mode, import and export, and the
/// OCPP whitelist.
struct WhitelistsPage: PageModel {
    var template: WebTemplate { .whitelists }

    struct Entry {
        var id: String
        var kind: String
        var blocked: Bool
        var group: String?
        var expiry: String?
        /// The expiry as a datetime-local field's value.
        var expiryField: String?
    }

    /// An identifier alone (deleted entries, learned cards).
    struct Identifier {
        var id: String
    }

    /// The "Add entry" form: empty, or as typed when the entry was refused.
    struct Add {
        var id: String
        var group: String
        var expiry: String
        var blocked: Bool
    }

    struct CacheEntry {
        var id: String
        var status: String
        var expiry: String
    }

    var csrf: String
    var search: String
    var count: Int
    var maximum: Int
    /// The local whitelist is switched on (its entries are kept when it is off).
    var enabled: Bool
    var entries: [Entry]
    var hasEntries: Bool
    var deleted: [Identifier]
    var hasDeleted: Bool
    var page: Int
    var pages: Int
    var hasPrev: Bool
    var hasNext: Bool
    var prev: Int
    var next: Int
    var learning: Bool
    var learned: [Identifier]
    var hasLearned: Bool
    var add: Add
    var cacheEnabled: Bool
    var cacheSearch: String
    var cache: [CacheEntry]
    var hasCache: Bool
    var notice: String?
    var error: String?
}

extension WebInterface {
    static let pageSize = 10
    /// Largest import file accepted.
    static let maximumImportBytes = 512 * 1024

    func addWhitelistRoutes(to router: Router<WebRequestContext>) {
        router.get("whitelists") { request, _ in
            try await withSession(request) { session, _ in try await whitelistPage(session, WebHTTP.queryDictionary(request)) }
        }
        router.get("whitelists/export") { request, _ in
            try await withSession(request) { _, _ in
                let format = WhitelistCSVFormat(rawValue: request.uri.queryParameters.get("format") ?? "") ?? .technagon
                let csv = await station.whitelistExport(format: format)
                return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                                       .contentDisposition: "attachment; filename=\"whitelist.csv\"", .cacheControl: "no-store"],
                                body: .init(byteBuffer: ByteBuffer(string: csv)))
            }
        }
        router.post("whitelists/import") { request, _ in
            try await withSession(request, upload: true) { session, form in
                let mode: WhitelistImportMode = form["mode"] == "replace" ? .replace : .update
                guard let csv = form["file"], !csv.isEmpty else { return WebHTTP.redirect("/whitelists?error=" + WebHTTP.query("import.empty")) }
                do {
                    let report = try await station.whitelistImport(csv, mode: mode)
                    return WebHTTP.redirect("/whitelists?imported=\(report.processedLines)&added=\(report.added)&updated=\(report.updated)")
                } catch let e as WhitelistError {
                    return WebHTTP.redirect("/whitelists?error=" + WebHTTP.query(e.description))
                }
            }
        }
        let actions: [(String, @Sendable (WebAccounts.Session, [String: String]) async throws -> String)] = [
            ("add", { _, f in
                let input = WhitelistEntryInput(id: f["id"] ?? "", groupID: f["group"].flatMap { $0.isEmpty ? nil : $0 },
                                                expiry: f["expiry"].flatMap { $0.isEmpty ? nil : Self.civil($0) },
                                                authorization: f["blocked"] == "on" ? "blocked" : "accepted")
                let e = try await station.whitelistAdd(input)
                return "done=added&id=" + WebHTTP.query(e.id)
            }),
            ("update", { _, f in
                // Accept / block and expiry editing of an existing entry (seeds/002 §1.7): the row's form sends them all.
                let input = WhitelistEntryInput(id: f["id"] ?? "", groupID: f["group"].flatMap { $0.isEmpty ? nil : $0 },
                                                expiry: f["expiry"].flatMap { $0.isEmpty ? nil : Self.civil($0) },
                                                authorization: f["authorization"] == "blocked" ? "blocked" : "accepted")
                let e = try await station.whitelistUpdate(input.id, input)
                return "done=updated&id=" + WebHTTP.query(e.id)
            }),
            ("delete", { _, f in "done=deleted&id=" + WebHTTP.query(try await station.whitelistRemove(f["id"] ?? "").id) }),
            ("restore", { _, f in "done=restored&id=" + WebHTTP.query(try await station.whitelistRestore(f["id"] ?? "").id) }),
            ("delete-all", { _, _ in "done=cleared&count=\(try await station.whitelistRemoveAll())" }),
            ("learning", { _, f in
                let on = f["active"] == "on"
                _ = await station.setLearning(on)
                return on ? "done=learning" : "done=learningOff"
            }),
            ("cache/clear", { _, _ in
                try await station.clearAuthorizationCache()
                return "done=cacheCleared"
            }),
        ]
        for (path, action) in actions {
            router.post(RouterPath(stringLiteral: "whitelists/\(path)")) { request, _ in
                try await withSession(request, form: true) { session, form in
                    do {
                        return WebHTTP.redirect("/whitelists?" + (try await action(session, form)))
                    } catch let e as WhitelistError {
                        var q = "error=" + WebHTTP.query(e.description)
                        if path == "add" {
                            for k in ["id", "group", "expiry", "blocked"] { if let v = form[k] { q += "&\(k)=" + WebHTTP.query(v) } }
                        }
                        return WebHTTP.redirect("/whitelists?" + q)
                    }
                }
            }
        }
    }

    /// `2030-01-01T12:00` (a datetime-local field) → `2030-01-01T12:00:00`.
    static func civil(_ s: String) -> String { s.count == 16 ? s + ":00" : s }

    func whitelistPage(_ session: WebAccounts.Session, _ q: [String: String]) async throws -> Response {
        let language = await language(session)
        let t = WebText.table(language)
        let search = q["search"] ?? ""
        let view = await station.whitelist(search: search)
        let pages = max(1, (view.entries.count + Self.pageSize - 1) / Self.pageSize)
        let current = min(max(1, Int(q["page"] ?? "") ?? 1), pages)
        let shown = view.entries.dropFirst((current - 1) * Self.pageSize).prefix(Self.pageSize)
        let learning = await station.learning()
        let lists = await station.authorizationLists()
        let cacheSearch = q["cacheSearch"] ?? ""
        let tz = await timeZone()
        // After a refused "Add entry" the form comes back with what was typed.
        func typed(_ key: String) -> String { q["error"] == nil ? "" : q[key] ?? "" }
        var notice: String?
        if let done = q["done"] {
            notice = (t["wl.done.\(done)"] ?? done).replacing("%id", with: q["id"] ?? "")
                .replacing("%n", with: q["count"] ?? "")
        }
        if let n = q["imported"] {
            notice = (t["wl.imported"] ?? "").replacing("%n", with: n).replacing("%a", with: q["added"] ?? "0")
                .replacing("%u", with: q["updated"] ?? "0")
        }
        let model = WhitelistsPage(
            csrf: session.csrf, search: search, count: view.count, maximum: view.maximum, enabled: view.enabled,
            entries: shown.map { e in
                .init(id: e.id, kind: e.kind.rawValue, blocked: e.authorization == EntryAuthorization.blocked, group: e.groupID,
                      expiry: e.expiry, expiryField: e.expiry.map { String($0.prefix(16)) })
            },
            hasEntries: !shown.isEmpty, deleted: view.deleted.map { .init(id: $0.id) }, hasDeleted: !view.deleted.isEmpty,
            page: current, pages: pages, hasPrev: current > 1, hasNext: current < pages, prev: current - 1, next: current + 1,
            learning: learning.active, learned: learning.learned.map { .init(id: $0) }, hasLearned: !learning.learned.isEmpty,
            add: .init(id: typed("id"), group: typed("group"), expiry: typed("expiry"), blocked: typed("blocked") == "on"),
            cacheEnabled: lists.cacheEnabled, cacheSearch: cacheSearch,
            // Case-insensitive as Unicode lower-cases (idTags are ASCII in practice; no locale: FoundationEssentials).
            cache: lists.cache.filter { cacheSearch.isEmpty || $0.idTag.lowercased().contains(cacheSearch.lowercased()) }.map {
                .init(id: $0.idTag, status: $0.status.rawValue, expiry: $0.expiry.map { WebHTTP.time($0, tz: tz) } ?? "–")
            },
            hasCache: !lists.cache.isEmpty, notice: notice, error: q["error"].map { t[$0] ?? $0 })
        return try await page(model, title: t["menu.Whitelists"] ?? "", session: session, language: language, activeMenu: Menu.whitelists)
    }
}

/// `multipart/form-data` bodies (a file upload with a few fields): each part's name and its text. Parts that are not
/// UTF-8 text are dropped; the whole body is size-limited by the caller.
enum MultipartForm {
    static func boundary(_ contentType: String) -> String? {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for p in contentType.split(separator: ";") {
            let kv = p.trimmingSpaces
            if kv.lowercased().hasPrefix("boundary=") {
                return kv.dropFirst("boundary=".count).trimming { $0 == "\"" }
            }
        }
        return nil
    }

    static func parse(_ body: [UInt8], boundary: String) -> [String: String] {
        let delimiter = Array(("--" + boundary).utf8)
        var out: [String: String] = [:]
        var parts: [ArraySlice<UInt8>] = []
        var start: Int?
        var i = 0
        while i + delimiter.count <= body.count {
            if body[i..<(i + delimiter.count)].elementsEqual(delimiter) {
                if let s = start { parts.append(body[s..<max(s, i - 2)]) }  // without the CRLF before the delimiter
                i += delimiter.count
                if i + 1 < body.count && body[i] == 0x2D && body[i + 1] == 0x2D { break }  // closing "--"
                while i < body.count && body[i] != 0x0A { i += 1 }
                i += 1
                start = i
                continue
            }
            i += 1
        }
        for part in parts {
            let bytes = Array(part)
            guard let headerEnd = bytes.indices.first(where: { i in
                i + 3 < bytes.count && bytes[i] == 0x0D && bytes[i + 1] == 0x0A && bytes[i + 2] == 0x0D && bytes[i + 3] == 0x0A
            }) else { continue }
            let header = String(decoding: bytes[..<headerEnd], as: UTF8.self)
            guard let nameRange = header.firstRange(of: "name=\"") else { continue }
            let name = header[nameRange.upperBound...].prefix { $0 != "\"" }
            guard let text = String(validating: bytes[(headerEnd + 4)...], as: UTF8.self) else { continue }
            if out[String(name)] == nil { out[String(name)] = text }
        }
        return out
    }
}
