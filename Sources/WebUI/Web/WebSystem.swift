import CivilDate
import FoundationEssentials
import Hummingbird
import HTTPTypes
import NIOCore
import ChargePoint
import EVSECore

/// The charging history page, the System page's station facts and actions, and the user menu's "Restart Daemon" and
/// "Reboot System" (seeds/002 §1.2 Admin, §1.6 Station Date/Time; seeds/004 §3).
/// The charging history with its date filter (`from`, `to` as typed) and CSV export.
struct HistoryPage: PageModel {
    var template: WebTemplate { .history }

    struct Row {
        var connector: Int
        var idTag: String
        var method: String
        var started: String
        var stopped: String
        var duration: String
        var energy: String
        /// The energy from PV and its share ("1.20 kWh · 64 %"), "–" without a grid meter reading.
        var solar: String
        var reason: String
        var transaction: String
    }

    var from: String
    var to: String
    var timezone: String
    var fromError: String?
    var toError: String?
    var rows: [Row] = []
    var hasRows = false
    /// Sessions and energy of the range; nil when the range is wrong.
    var summary: String?
    var truncated: String?
    var export: String?
}

/// The page shown while the station restarts; it returns to the dashboard by itself.
struct RestartingPage: PageModel {
    var template: WebTemplate { .restarting }
    var message: String
}

extension WebInterface {
    /// Most history rows shown on the page; the CSV export carries every row of the range.
    static let historyRowsShown = 500

    func addSystemRoutes(to router: Router<WebRequestContext>) {
        router.get("history") { request, _ in
            try await withSession(request) { session, _ in try await historyPage(session, WebHTTP.queryDictionary(request)) }
        }
        router.get("history/export") { request, _ in
            try await withSession(request) { session, _ in
                let tz = await timeZone()
                guard case .success(let range) = Self.dateRange(WebHTTP.queryDictionary(request), tz: tz) else {
                    return try await historyPage(session, WebHTTP.queryDictionary(request))
                }
                let csv = ChargingHistory.csv(try await station.history(from: range.from, to: range.to))
                let name = "charging-history\(range.fromText.map { "-\($0)" } ?? "")\(range.toText.map { "-to-\($0)" } ?? "").csv"
                return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                                       .contentDisposition: "attachment; filename=\"\(name)\"", .cacheControl: "no-store"],
                                body: .init(byteBuffer: ByteBuffer(string: csv)))
            }
        }
        router.get("system/log.zip") { request, _ in
            try await withSession(request) { _, _ in try await logArchiveResponse(station) }
        }
        router.post("system/clock") { request, _ in
            try await withSession(request, form: true) { session, form in
                let t = await texts(session)
                let tz = await timeZone()
                // The browser's clock as epoch milliseconds (filled in by the page's script); without JavaScript the
                // typed date and time, read in the station's time zone.
                let time = form["epochMs"].flatMap(Double.init).map { Date(timeIntervalSince1970: $0 / 1000) }
                    ?? form["time"].flatMap { Self.localTime($0, tz: tz) }
                guard let time else { return WebHTTP.redirect("/menu/system?clockError=" + WebHTTP.query(t["sys.clockInvalid"] ?? "")) }
                do throws(ClockSetError) {
                    try await station.setClock(to: time, by: "web:\(session.account)")
                } catch {
                    return WebHTTP.redirect("/menu/system?clockError=" + WebHTTP.query(error.description))
                }
                return WebHTTP.redirect("/menu/system?clockSet=1")
            }
        }
        router.post("system/restart") { request, _ in
            try await withSession(request, form: true) { session, form in
                let kind: StationRestart = form["kind"] == "reboot" ? .reboot : .services
                return try await restart(session, kind)
            }
        }
        router.post("system/factory-reset") { request, _ in
            try await withSession(request, form: true) { session, form in
                guard session.role >= Self.factoryResetRole else { return try await forbidden(session, Self.factoryResetRole) }
                guard form["confirm"] == "on" else { return WebHTTP.redirect("/menu/system?resetError=1#s-factory-reset") }
                return try await restart(session, .factoryReset)
            }
        }
    }

    /// The lowest role that may reset the station to its factory settings.
    static let factoryResetRole = Role.installer

    /// Asks the station to restart and answers with a page that returns to the dashboard once the station is back.
    func restart(_ session: WebAccounts.Session, _ kind: StationRestart) async throws -> Response {
        await station.requestRestart(kind, by: "web:\(session.account)")
        return try await restartingPage(session, message: "sys.restarting.\(kind.rawValue)")
    }

    /// The page shown while the station restarts (`message`: its text's key); it returns to the dashboard by itself.
    func restartingPage(_ session: WebAccounts.Session, message: String) async throws -> Response {
        let language = await language(session)
        let t = WebText.table(language)
        var r = try await page(RestartingPage(message: t[message] ?? ""), title: t["sys.restarting"] ?? "", session: session, language: language,
                               status: .accepted)
        r.headers[.init("Refresh")!] = "8; url=/"
        return r
    }

    /// The site's time zone (parameter Timezone).
    func timeZone() async -> TimeZoneRules { await Self.timeZone(station) }

    static func timeZone(_ station: any StationService) async -> TimeZoneRules { zone(await timeZoneName(station)) }

    /// The Timezone parameter's IANA name, as set (Foundation names UTC "GMT").
    func timeZoneName() async -> String { await Self.timeZoneName(station) }

    static func timeZoneName(_ station: any StationService) async -> String {
        (try? await station.parameter(StationParameters.timezone))?.value.description ?? "UTC"
    }

    static func zone(_ name: String) -> TimeZoneRules { WebTimeZone.named(name) }

    // MARK: History

    /// A history filter: `from` and `to` are days (YYYY-MM-DD) of the site's time zone, both included.
    struct DateRange {
        var from: Date?
        var to: Date?
        var fromText: String?
        var toText: String?
    }

    enum DateRangeResult {
        case success(DateRange)
        case failure(field: String, given: String)
    }

    static func dateRange(_ q: [String: String], tz: TimeZoneRules) -> DateRangeResult {
        var range = DateRange()
        for field in ["from", "to"] {
            guard let text = q[field]?.trimmingSpaces, !text.isEmpty else { continue }
            guard let day = day(text, tz: tz) else { return .failure(field: field, given: text) }
            if field == "from" {
                range.from = day; range.fromText = text
            } else {
                let p = text.split(separator: "-").compactMap { Int($0) }
                range.to = tz.startOfDay(p[0], p[1], p[2] + 1); range.toText = text
            }
        }
        if let f = range.from, let t = range.to, f >= t { return .failure(field: "to", given: range.toText ?? "") }
        return .success(range)
    }

    /// The start of day `YYYY-MM-DD` in `tz`.
    static func day(_ text: String, tz: TimeZoneRules) -> Date? {
        let parts = text.split(separator: "-").map { Int($0) }
        guard parts.count == 3, let y = parts[0], let m = parts[1], let d = parts[2], (2000...2100).contains(y), (1...12).contains(m),
              (1...31).contains(d) else { return nil }
        guard d <= CivilDate.daysIn(month: m, year: y) else { return nil }
        return tz.startOfDay(y, m, d)
    }

    /// `YYYY-MM-DDTHH:MM[:SS]` (a datetime-local field) in `tz`.
    static func localTime(_ text: String, tz: TimeZoneRules) -> Date? {
        let parts = text.split(separator: "T")
        guard parts.count == 2, let day = day(String(parts[0]), tz: tz) else { return nil }
        let hms = parts[1].split(separator: ":").map { Int($0) }
        guard (2...3).contains(hms.count), let h = hms[0], let m = hms[1], (0..<24).contains(h), (0..<60).contains(m) else { return nil }
        let s = hms.count == 3 ? hms[2] ?? -1 : 0
        guard (0..<60).contains(s) else { return nil }
        return day.addingTimeInterval(Double(h * 3600 + m * 60 + s))
    }

    func historyPage(_ session: WebAccounts.Session, _ q: [String: String]) async throws -> Response {
        let language = await language(session)
        let t = WebText.table(language)
        let zoneName = await timeZoneName()
        let tz = Self.zone(zoneName)
        var model = HistoryPage(from: q["from"] ?? "", to: q["to"] ?? "", timezone: zoneName)
        var status = HTTPResponse.Status.ok
        switch Self.dateRange(q, tz: tz) {
        case .failure(let field, let given):
            status = .badRequest
            let error = (t["hist.badDate"] ?? "").replacing("%@", with: given)
            if field == "from" { model.fromError = error } else { model.toError = error }
        case .success(let range):
            let rows = try await station.history(from: range.from, to: range.to)
            let shown = rows.reversed().prefix(Self.historyRowsShown)
            let energy = rows.compactMap(\.energyWh).reduce(0, +)
            model.rows = shown.map { r in
                .init(connector: r.connector, idTag: r.idTag, method: r.authorizationMethod.rawValue,
                      started: WebHTTP.time(r.startedAt, tz: tz), stopped: r.stoppedAt.map { WebHTTP.time($0, tz: tz) } ?? t["hist.running"] ?? "",
                      duration: r.durationSeconds.map { Self.duration($0) } ?? "–", energy: r.energyWh.map { Self.kWh($0) } ?? "–",
                      solar: Self.solarShare(r),
                      reason: r.stopReason?.rawValue ?? "", transaction: r.transactionId.map(String.init) ?? "")
            }
            model.hasRows = !shown.isEmpty
            model.summary = (t["hist.summary"] ?? "").replacing("%n", with: String(rows.count))
                .replacing("%e", with: Self.kWh(energy))
            if rows.count > shown.count {
                model.truncated = (t["hist.truncated"] ?? "").replacing("%n", with: String(shown.count))
            }
            var exportQuery: [String] = []
            if let f = range.fromText { exportQuery.append("from=" + WebHTTP.query(f)) }
            if let to = range.toText { exportQuery.append("to=" + WebHTTP.query(to)) }
            model.export = "/history/export" + (exportQuery.isEmpty ? "" : "?" + exportQuery.joined(separator: "&"))
        }
        return try await page(model, title: t["nav.history"] ?? "", session: session, language: language, activePage: "history", status: status)
    }

    // MARK: System

    /// The System page's cards around its parameters: versions, date and time with the time source, the log
    /// download, and the factory reset.
    struct SystemCards {
        var stationVersion: String
        var webVersion: String
        var os: String
        var time: String
        var timezone: String
        /// `UTC+01:00`.
        var utcOffset: String
        var timeSource: String
        var startedAt: String
        /// Not while the simulation runs faster than real time.
        var canSetClock: Bool
        var mayReset: Bool
        /// Which role the factory reset needs, for those who may not.
        var resetRole: String
        var clockSet: Bool
        var resetError: Bool
        /// "Operator Default & Restart" was sent without its confirmation.
        var operatorDefaultError: Bool
        /// The clock form's value without JavaScript.
        var localNow: String
        /// The simulated board, when there is one.
        var simulated: String?
        var lastSet: String?
        var clockError: String?
        /// The operating system's clock (issue 24 item 4): managed or not, its zone and NTP, when the station set it.
        var osClock: String?
        var osClockNote: String?
        /// The newest entries of the security log, newest first (OCPP 1.6 security whitepaper ed. 3 §8).
        var securityLog: [SecurityLogRow] = []
        var securityLogEmpty: Bool { securityLog.isEmpty }
        /// The HTTPS certificate in use, its fingerprint, the upload and the reset (issue 23 item 2).
        var certificate: CertificateCard?
        /// The Firmware card (`WebFirmware.swift`).
        var firmware: FirmwareCard?
    }

    func systemCards(_ session: WebAccounts.Session, t: [String: String], query: [String: String]) async -> SystemCards {
        let info = await station.systemInfo()
        let tz = Self.zone(info.timezone)
        let source = info.timeSource == TimeSource.heartbeat.rawValue ? (info.backendConfigured ? t["sys.sourceHeartbeat"] : t["sys.sourceHeartbeatNoBackend"])
            : t["sys.sourceNTP"]
        var cards = SystemCards(
            stationVersion: info.stationVersion, webVersion: info.webInterfaceVersion, os: info.operatingSystem,
            time: WebHTTP.time(info.time, tz: tz), timezone: info.timezone, utcOffset: Self.offset(tz, at: info.time),
            timeSource: source ?? "", startedAt: WebHTTP.time(info.startedAt, tz: tz),
            canSetClock: info.timeScale == 1, mayReset: session.role >= Self.factoryResetRole,
            resetRole: (t["form.readonly"] ?? "%@").replacing("%@", with: t["role.installer"] ?? ""),
            clockSet: query["clockSet"] != nil, resetError: query["resetError"] != nil,
            operatorDefaultError: query["operatorDefaultError"] != nil,
            localNow: Self.localField(info.time, tz: tz), clockError: query["clockError"])
        if simulator != nil {
            cards.simulated = info.timeScale == 1 ? t["sys.simulated"] ?? "" : (t["sys.simulatedScaled"] ?? "")
                .replacing("%@", with: Self.amps(info.timeScale))
        }
        if let c = info.lastClockSet {
            cards.lastSet = (t["sys.lastSet"] ?? "").replacing("%t", with: WebHTTP.time(c.at, tz: tz))
                .replacing("%s", with: t["sys.by.\(c.source)"] ?? c.source)
                .replacing("%d", with: String(Int(c.movedSeconds.rounded())))
        }
        if let os = info.osClock { (cards.osClock, cards.osClockNote) = Self.osClockText(os, t: t, tz: tz) }
        cards.certificate = certificates.map { CertificateCard($0.certificateStatus(), session: session, t: t, tz: tz, query: query) }
        cards.firmware = await firmwareCard(session, t: t)
        cards.securityLog = SecurityLogRow.rows((try? await station.securityLog(limit: SecurityLogRow.shown)) ?? [], tz: tz)
        return cards
    }

    /// The System page's line on the operating system's clock and the note under it (an error, "NTP sets the clock").
    static func osClockText(_ os: OSClockStatus, t: [String: String], tz: TimeZoneRules) -> (String, String?) {
        guard os.managed else { return ((t["sys.osClockUnmanaged"] ?? "%@").replacing("%@", with: os.note ?? ""), nil) }
        let ntp = os.ntp == true ? (os.ntpSynchronized == true ? t["sys.ntpSynchronized"] : t["sys.ntpOn"]) : t["sys.ntpOff"]
        var line = (t["sys.osClockManaged"] ?? "").replacing("%z", with: os.timezone ?? "?")
            .replacing("%n", with: (ntp ?? "") + (os.ntpService.map { " (\($0))" } ?? ""))
        if let at = os.setAt {
            line += "; " + (t["sys.osClockSet"] ?? "").replacing("%t", with: WebHTTP.time(at, tz: tz))
                .replacing("%s", with: t["sys.by.\(os.setFrom ?? "")"] ?? os.setFrom ?? "")
        }
        return (line, os.note)
    }

    /// A datetime-local field's value for `date` in `tz`.
    static func localField(_ date: Date, tz: TimeZoneRules) -> String { WebFormat.dateTime(date, tz: tz, separator: "T", seconds: false) }

    /// `UTC+01:00`.
    static func offset(_ tz: TimeZoneRules, at date: Date) -> String {
        let s = tz.secondsFromGMT(for: date)
        return "UTC" + (s < 0 ? "-" : "+") + WebFormat.padded(abs(s) / 3600) + ":" + WebFormat.padded((abs(s) % 3600) / 60)
    }
}
