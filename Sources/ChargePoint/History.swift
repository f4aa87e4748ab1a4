#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore
import LoadManagement
import OCPP16

/// One session of the charging history as shown and exported.
///
/// - SeeAlso: seeds/000 "Ladeverlauf auf Station ohne Backend-Verbindung auslesen"; seeds/004 §3 dashboard.
public struct HistoryRow: Sendable, Codable, Equatable {
    public var sessionId: UUID
    public var connector: Int
    /// The identifier, masked unless "UID disclose" is On.
    public var idTag: String
    public var authorizationMethod: AuthorizationMethod
    public var authorizationSource: AuthorizationSource?
    public var startedAt: Date
    public var stoppedAt: Date?
    public var meterStartWh: Double
    public var meterStopWh: Double?
    public var energyWh: Double?
    public var durationSeconds: Double?
    public var stopReason: StopReason?
    /// The backend's transaction id, once an OCPP backend assigned one.
    public var transactionId: Int?
    /// The session's energy from the PV surplus and from the grid, Wh, and the PV share, % (see ``SolarShare``; a
    /// running session's as last persisted). Nil without a grid meter reading during the session — no solar share, not
    /// 0 % — and for sessions recorded before the split existed.
    public var fromPVWh: Double?
    public var fromGridWh: Double?
    public var solarSharePercent: Double?
    /// The meter's signed readings of the session (OCMF documents at its begin and end) and the meter's public key (hex
    /// DER), for the transparency software (issue 28 item 6). They carry the identifier as the meter signed it: masking
    /// it would break the signature.
    public var signedMeterBegin: String?
    public var signedMeterEnd: String?
    public var meterPublicKey: String?

    public init(_ r: SessionRecord, disclose: Bool) {
        let s = r.session
        sessionId = s.id; connector = s.connector; idTag = ChargingHistory.mask(s.idTag, disclose: disclose)
        authorizationMethod = s.method; authorizationSource = s.source; startedAt = s.startedAt; stoppedAt = r.stoppedAt
        meterStartWh = s.meterStartWh; meterStopWh = r.meterStopWh; energyWh = r.energyWh
        durationSeconds = r.stoppedAt.map { $0.timeIntervalSince(s.startedAt) }; stopReason = r.stopReason; transactionId = r.transactionId
        if let share = r.solarShare, share.measured {
            fromPVWh = (share.fromPVWh * 10).rounded() / 10
            fromGridWh = (share.fromGridWh * 10).rounded() / 10
            solarSharePercent = share.percent
        }
        signedMeterBegin = r.signedMeter?.begin; signedMeterEnd = r.signedMeter?.end; meterPublicKey = r.signedMeter?.publicKeyHex
    }
}

/// The dashboard figures of the charging history.
///
/// - SeeAlso: seeds/004 §3 DASHBOARD: "Total Charging Sessions", "Average duration per session",
///   "Average kWh per session", "Last month (export)".
public struct HistorySummary: Sendable, Codable, Equatable {
    public var totalSessions: Int
    public var averageDurationMinutes: Double
    public var averageEnergyKWh: Double
    public var lastMonth: MonthFigures

    public struct MonthFigures: Sendable, Codable, Equatable {
        /// First day of the month, `YYYY-MM`.
        public var month: String
        public var from: Date
        public var to: Date
        public var sessions: Int
        public var energyKWh: Double
    }
}

/// Charging history: summary figures and exports, pure.
public enum ChargingHistory {
    /// Hides an identifier from third parties: all but the last four characters become `*`.
    public static func mask(_ idTag: String, disclose: Bool) -> String {
        guard !disclose, idTag.count > 4 else { return idTag }
        return String(repeating: "*", count: idTag.count - 4) + idTag.suffix(4)
    }

    /// Summary over finished sessions; "last month" is the previous calendar month (UTC) before `now`.
    public static func summary(_ records: [SessionRecord], now: Date) -> HistorySummary {
        let finished = records.filter { $0.stoppedAt != nil }
        let durations = finished.compactMap { r in r.stoppedAt.map { $0.timeIntervalSince(r.session.startedAt) } }
        let energies = finished.compactMap(\.energyWh)
        let (from, to, label) = previousMonth(before: now)
        let inMonth = finished.filter { $0.session.startedAt >= from && $0.session.startedAt < to }
        func average(_ xs: [Double]) -> Double { xs.isEmpty ? 0 : xs.reduce(0, +) / Double(xs.count) }
        func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }
        return HistorySummary(
            totalSessions: finished.count,
            averageDurationMinutes: round2(average(durations) / 60),
            averageEnergyKWh: round2(average(energies) / 1000),
            lastMonth: .init(month: label, from: from, to: to, sessions: inMonth.count,
                             energyKWh: round2(inMonth.compactMap(\.energyWh).reduce(0, +) / 1000)))
    }

    /// The calendar month before the one containing `now` (UTC): start, end (exclusive), `YYYY-MM`.
    public static func previousMonth(before now: Date) -> (Date, Date, String) {
        let days = Int((now.timeIntervalSince1970 / 86_400).rounded(.down))
        let (y, m, _) = OCPPDate.civil(fromDays: days)
        let (py, pm) = m == 1 ? (y - 1, 12) : (y, m - 1)
        let from = Date(timeIntervalSince1970: Double(OCPPDate.days(fromCivil: py, pm, 1) * 86_400))
        let to = Date(timeIntervalSince1970: Double(OCPPDate.days(fromCivil: y, m, 1) * 86_400))
        return (from, to, "\(py)-\(pm < 10 ? "0" : "")\(pm)")
    }

    /// The CSV export header. Columns are only ever added at the end, so that existing consumers keep working
    /// (`fromPVWh,fromGridWh,solarSharePercent`: issue 25 item 4, empty without a grid meter reading;
    /// `meterPublicKey,signedMeterBegin,signedMeterEnd`: issue 28 item 6, the OCMF documents, empty without a signing meter).
    public static let csvHeader =
        "sessionId,connector,idTag,authorizationMethod,authorizationSource,startedAt,stoppedAt,meterStartWh,meterStopWh,energyWh,durationSeconds,stopReason,transactionId"
        + ",fromPVWh,fromGridWh,solarSharePercent"
        + ",meterPublicKey,signedMeterBegin,signedMeterEnd"

    /// History as CSV (times `YYYY-MM-DDTHH:MM:SSZ`, energies in Wh).
    public static func csv(_ rows: [HistoryRow]) -> String {
        func num(_ d: Double?) -> String {
            guard let d else { return "" }
            return d == d.rounded() ? String(Int(d)) : String((d * 1000).rounded() / 1000)
        }
        func time(_ d: Date?) -> String { d.map { CivilTime.format($0) + "Z" } ?? "" }
        var out = csvHeader + "\r\n"
        for r in rows {
            out += [r.sessionId.uuidString, String(r.connector), CSVCell.field(r.idTag), r.authorizationMethod.rawValue,
                    r.authorizationSource?.rawValue ?? "", time(r.startedAt), time(r.stoppedAt), num(r.meterStartWh), num(r.meterStopWh),
                    num(r.energyWh), num(r.durationSeconds), r.stopReason?.rawValue ?? "", r.transactionId.map(String.init) ?? "",
                    num(r.fromPVWh), num(r.fromGridWh), num(r.solarSharePercent),
                    CSVCell.field(r.meterPublicKey ?? ""), CSVCell.field(r.signedMeterBegin ?? ""), CSVCell.field(r.signedMeterEnd ?? "")]
                .joined(separator: ",") + "\r\n"
        }
        return out
    }
}
