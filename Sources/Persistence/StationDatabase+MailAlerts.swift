#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SQLite
import ChargePoint
import EVSECore

/// The e-mail alerts' durable queue (issue 24 item 5): the alerts per recipient, each recipient's delivery state, and
/// the cursor into the event log up to which entries were turned into alerts.
///
/// Exactly once, as far as the station can: an alert is queued in the same write that moves the cursor past its event
/// (a `kill -9` before it leaves both, after it both), and it is deleted only after the mail server answered 250 to
/// the end of DATA. The one window left is between that 250 and the delete: a crash there sends the mail again.
extension StationDatabase {
    static let mailCursorKey = "mailAlertCursor"
    /// The most alerts kept per recipient; beyond it the oldest are dropped (a server away for weeks must not fill the disk).
    public static let maximumQueuedMailAlerts = 5000

    static func registerMailAlertMigration(_ m: inout DatabaseMigrator) {
        m.registerMigration("v12-mail-alerts") { db in
            try db.execute(sql: """
                CREATE TABLE mailAlert (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    recipient TEXT NOT NULL,
                    at REAL NOT NULL,
                    event TEXT NOT NULL,
                    connector INTEGER NOT NULL,
                    code TEXT,
                    text TEXT NOT NULL
                );
                CREATE INDEX mailAlertByRecipient ON mailAlert(recipient, id);
                CREATE TABLE mailRecipient (
                    recipient TEXT PRIMARY KEY NOT NULL,
                    lastSentAt REAL,
                    failures INTEGER NOT NULL DEFAULT 0,
                    nextAttemptAt REAL,
                    lastError TEXT
                );
                INSERT INTO meta(key, value) SELECT 'mailAlertCursor', CAST(COALESCE(MAX(id), 0) AS TEXT) FROM event
                    WHERE true ON CONFLICT(key) DO NOTHING;
                """)
        }
    }

    /// The id of the last event-log entry turned into alerts. The migration sets it to the log's end (an upgraded
    /// station mails none of its history; a new one every entry from its first start); nil only if it was removed.
    public func mailAlertCursor() throws -> Int64? {
        try meta(Self.mailCursorKey).flatMap { Int64($0) }
    }

    /// The newest event-log entry's id (0 for an empty log).
    public func latestEventID() throws -> Int64 {
        try writer.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM event") ?? 0 }
    }

    /// Moves the cursor without queueing anything (the alerts are off: enabling them later mails no history).
    public func setMailAlertCursor(_ id: Int64) throws {
        try writer.write { db in try Self.writeCursor(db, id) }
    }

    static func writeCursor(_ db: Database, _ id: Int64) throws {
        try db.execute(sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                       arguments: [mailCursorKey, String(id)])
    }

    /// Event-log entries after `id`, oldest first.
    public func events(after id: Int64, limit: Int) throws -> [(id: Int64, entry: EventLogEntry)] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM event WHERE id > ? ORDER BY id LIMIT ?", arguments: [id, limit]).map { row in
                let kind = try EventKind(rawValue: row["kind"]) ?? .systemAction
                return try (row["id"], EventLogEntry(at: Self.date(row["at"]), kind: kind, connector: row["connector"], code: row["code"],
                                                 message: row["message"]))
            }
        }
    }

    /// Queues `alerts` for each of `recipients` and moves the cursor to `cursor`, in one write.
    public func queueMailAlerts(_ alerts: [MailAlert], recipients: [String], cursor: Int64) throws {
        try writer.write { db in
            for recipient in recipients {
                for a in alerts {
                    try db.execute(sql: "INSERT INTO mailAlert(recipient, at, event, connector, code, text) VALUES (?, ?, ?, ?, ?, ?)",
                                   arguments: [recipient, a.at.timeIntervalSince1970, a.event.rawValue, a.connector, a.code, a.text])
                }
                if !alerts.isEmpty {
                    try db.execute(sql: """
                        DELETE FROM mailAlert WHERE recipient = ? AND id NOT IN
                            (SELECT id FROM mailAlert WHERE recipient = ? ORDER BY id DESC LIMIT ?)
                        """, arguments: [recipient, recipient, Self.maximumQueuedMailAlerts])
                }
            }
            try Self.writeCursor(db, cursor)
        }
    }

    /// The queued alerts of `recipient`, oldest first.
    public func pendingMailAlerts(recipient: String, limit: Int) throws -> [(id: Int64, alert: MailAlert)] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM mailAlert WHERE recipient = ? ORDER BY id LIMIT ?", arguments: [recipient, limit]).compactMap { row in
                guard let event = try MailAlertEvent(rawValue: row["event"]) else { return nil }
                return try (row["id"], MailAlert(at: Self.date(row["at"]), event: event, connector: row["connector"], code: row["code"], text: row["text"]))
            }
        }
    }

    /// Every recipient with queued alerts: how many, and the oldest one's time.
    public func mailQueue() throws -> [String: (count: Int, oldest: Date)] {
        try writer.read { db in
            var out: [String: (count: Int, oldest: Date)] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT recipient, COUNT(*) AS n, MIN(at) AS oldest FROM mailAlert GROUP BY recipient") {
                let recipient: String = try row["recipient"]
                out[recipient] = try (row["n"], Self.date(row["oldest"]))
            }
            return out
        }
    }

    /// Drops the alerts of recipients no longer configured; returns how many.
    public func dropMailAlerts(except recipients: [String]) throws -> Int {
        try writer.write { db in
            let marks = recipients.map { _ in "?" }.joined(separator: ",")
            let sql = recipients.isEmpty ? "DELETE FROM mailAlert" : "DELETE FROM mailAlert WHERE recipient NOT IN (\(marks))"
            try db.execute(sql: sql, arguments: StatementArguments(recipients))
            return db.changesCount
        }
    }

    public func mailRecipientState(_ recipient: String) throws -> MailRecipientState {
        try writer.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM mailRecipient WHERE recipient = ?", arguments: [recipient]) else {
                return MailRecipientState()
            }
            return try MailRecipientState(lastSentAt: (row["lastSentAt"] as Double?).map(Self.date), failures: row["failures"],
                                      nextAttemptAt: (row["nextAttemptAt"] as Double?).map(Self.date), lastError: row["lastError"])
        }
    }

    public func saveMailRecipientState(_ recipient: String, _ s: MailRecipientState) throws {
        try writer.write { db in try Self.writeRecipient(db, recipient, s) }
    }

    static func writeRecipient(_ db: Database, _ recipient: String, _ s: MailRecipientState) throws {
        try db.execute(sql: """
            INSERT INTO mailRecipient(recipient, lastSentAt, failures, nextAttemptAt, lastError) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(recipient) DO UPDATE SET lastSentAt = excluded.lastSentAt, failures = excluded.failures,
                nextAttemptAt = excluded.nextAttemptAt, lastError = excluded.lastError
            """, arguments: [recipient, s.lastSentAt?.timeIntervalSince1970, s.failures, s.nextAttemptAt?.timeIntervalSince1970, s.lastError])
    }

    /// The server took the mail with alerts `ids`: they leave the queue and the recipient's state is saved, in one write.
    public func mailDelivered(recipient: String, ids: [Int64], state: MailRecipientState) throws {
        try writer.write { db in
            for id in ids { try db.execute(sql: "DELETE FROM mailAlert WHERE id = ?", arguments: [id]) }
            try Self.writeRecipient(db, recipient, state)
        }
    }
}
