#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SQLite
import ChargePoint
import LoadManagement

/// The sessions' PV/grid split (issue 25 item 4) in the `session` table: written with every meter sample of a running
/// session (same transaction) and with its stop record, read back with the session.
extension StationDatabase {
    /// Migration `v11-session-solar-share`: four nullable columns; sessions of earlier versions keep NULL (no split).
    static func migrateSolarShare(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE session ADD COLUMN solarFromPVWh DOUBLE;
            ALTER TABLE session ADD COLUMN solarFromGridWh DOUBLE;
            ALTER TABLE session ADD COLUMN solarMeterWh DOUBLE;
            ALTER TABLE session ADD COLUMN solarMeasured INTEGER;
            """)
    }

    /// Stores `share` on session `id` (only while it runs, unless `final`: the stop record writes it in its own update).
    static func saveSolarShare(_ db: Database, session id: UUID, _ share: SolarShare, runningOnly: Bool) throws {
        try db.execute(sql: """
            UPDATE session SET solarFromPVWh = ?, solarFromGridWh = ?, solarMeterWh = ?, solarMeasured = ?
            WHERE id = ?\(runningOnly ? " AND stoppedAt IS NULL" : "")
            """, arguments: [share.fromPVWh, share.fromGridWh, share.meterWh, share.measured, id.uuidString])
    }

    /// The split stored on a session row; nil for a session of an earlier version.
    static func solarShare(_ row: Row) throws -> SolarShare? {
        guard let pv = try row["solarFromPVWh"] as Double?, let grid = try row["solarFromGridWh"] as Double?,
              let meter = try row["solarMeterWh"] as Double? else { return nil }
        return try SolarShare(fromPVWh: pv, fromGridWh: grid, meterWh: meter, measured: row["solarMeasured"] ?? false)
    }
}
