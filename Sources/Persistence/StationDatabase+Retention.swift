#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SQLite
import ChargePoint

/// The station database's side of the ``RetentionPolicy``: every table that grows with events is trimmed in bounded
/// batches, oldest rows first. Row ids grow with time (AUTOINCREMENT), so "oldest" is the lowest id and every check
/// is a lookup on the primary key, never a scan of the table; no migration (no new index) is needed.
extension StationDatabase {
    public func applyRetention(_ policy: RetentionPolicy, now: Date) throws -> RetentionReport {
        let batch = RetentionPolicy.batch
        return try writer.write { db in
            var report = RetentionReport()
            report.meterSamples = try Self.pruneMeterSamples(db, before: now.addingTimeInterval(-policy.meterSampleMaxAgeSeconds),
                                                             maxRows: RetentionPolicy.meterSampleMaxRows, batch: batch)
            report.events = try Self.pruneByCount(db, table: "event", key: "id", maxRows: RetentionPolicy.eventMaxRows, batch: batch)
            report.audit = try Self.pruneByCount(db, table: "parameterAudit", key: "id", maxRows: RetentionPolicy.auditMaxRows, batch: batch)
            report.transactionData = try Self.pruneTransactionData(
                db, stoppedBefore: now.addingTimeInterval(-policy.meterSampleMaxAgeSeconds), batch: batch)
            return report
        }
    }

    /// Samples older than `before` or beyond the newest `maxRows`, except the newest sample of each running session
    /// (the one recovery after a power loss reads). Only the `batch` lowest ids are looked at, so a pass costs the same
    /// however large the table is.
    static func pruneMeterSamples(_ db: Database, before: Date, maxRows: Int, batch: Int) throws -> Int {
        guard let oldest = try Row.fetchOne(db, sql: "SELECT id, at FROM meterSample ORDER BY id LIMIT 1"),
              let newestID = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM meterSample") else { return 0 }
        let oldestID: Int64 = try oldest["id"]
        let oldestAt: Double = try oldest["at"]
        let countCut = newestID - Int64(maxRows)  // ids up to this are beyond the newest maxRows
        guard oldestAt < before.timeIntervalSince1970 || oldestID <= countCut else { return 0 }
        try db.execute(sql: """
            DELETE FROM meterSample WHERE id IN (
                SELECT id FROM meterSample
                WHERE id < ? AND (at < ? OR id <= ?)
                  AND id NOT IN (SELECT (SELECT MAX(m.id) FROM meterSample m WHERE m.sessionId = s.id)
                                 FROM session s WHERE s.stoppedAt IS NULL))
            """, arguments: [oldestID + Int64(batch), before.timeIntervalSince1970, countCut])
        return db.changesCount
    }

    /// The rows of `table` beyond its newest `maxRows` (by the integer primary key `key`).
    static func pruneByCount(_ db: Database, table: String, key: String, maxRows: Int, batch: Int) throws -> Int {
        guard let oldest = try Int64.fetchOne(db, sql: "SELECT MIN(\(key)) FROM \(table)"),
              let newest = try Int64.fetchOne(db, sql: "SELECT MAX(\(key)) FROM \(table)"), newest - oldest >= Int64(maxRows) else { return 0 }
        try db.execute(sql: "DELETE FROM \(table) WHERE \(key) <= ?", arguments: [min(newest - Int64(maxRows), oldest + Int64(batch) - 1)])
        return db.changesCount
    }

    /// StopTransaction meter values of sessions stopped before `stoppedBefore` that no queued message needs any more
    /// (their StopTransaction was dropped after its attempts, or the backend was removed). Driven by the kept values,
    /// a small table, never by the charging history.
    static func pruneTransactionData(_ db: Database, stoppedBefore: Date, batch: Int) throws -> Int {
        try db.execute(sql: """
            DELETE FROM ocppTransactionData WHERE id IN (
                SELECT d.id FROM ocppTransactionData d
                WHERE (SELECT s.stoppedAt FROM session s WHERE s.id = d.sessionId) < ?
                  AND NOT EXISTS (SELECT 1 FROM ocppQueue q WHERE q.sessionId = d.sessionId)
                ORDER BY d.id LIMIT ?)
            """, arguments: [stoppedBefore.timeIntervalSince1970, batch])
        return db.changesCount
    }
}
