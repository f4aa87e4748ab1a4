#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SQLite
import ChargePoint

/// The station's security log (OCPP 1.6 security whitepaper ed. 3 §8, A04.FR.04: every security event is logged, the
/// log rolls) and the durable queueing of SecurityEventNotification (A04.FR.02: critical events are delivered with
/// guaranteed delivery, also after being offline). A notification goes into the same persistent queue as the
/// transaction messages (`ocppQueue`), in the same write as its log entry, so it is sent in order, with a message id
/// that stays the same across retransmissions and restarts, and removed only when the central system answered.
/// Local events (``LocalSecurityEvent``: logins, configuration changes …, issue 23 item 7) share the table, marked
/// `local`, and are never queued.
extension StationDatabase: SecurityLogStore, LocalSecurityLogStore {
    static func registerSecurityLogMigration(_ m: inout DatabaseMigrator) {
        m.registerMigration("v13-security-log") { db in
            try db.execute(sql: """
                CREATE TABLE securityLog (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at REAL NOT NULL,
                    type TEXT NOT NULL,
                    techInfo TEXT,
                    critical INTEGER NOT NULL
                );
                CREATE INDEX securityLogByTime ON securityLog(at);
                """)
        }
    }

    /// Issue 23 items 6 and 7: local events in the security log, and when each account last logged in (a column of
    /// its own, so that a login never rewrites the account record that `chargekit accounts reset` may have replaced).
    static func registerLocalSecurityMigration(_ m: inout DatabaseMigrator) {
        m.registerMigration("v15-local-security-log-last-login") { db in
            try SQLiteFile.addLocalSecurityColumns(db)
        }
    }

    public func recordSecurityEvent(type: String, techInfo: String?, critical: Bool, at: Date, notification: String?) throws {
        try writer.write { db in
            try SQLiteFile.insertSecurityEvent(db, type: type, techInfo: techInfo, critical: critical, local: false, at: at)
            guard let notification else { return }
            try Self.enqueue(db, action: "SecurityEventNotification", session: nil, payload: notification, at: at)
            try db.execute(sql: """
                DELETE FROM ocppQueue WHERE seq IN (SELECT seq FROM ocppQueue WHERE action = 'SecurityEventNotification'
                    ORDER BY seq DESC LIMIT -1 OFFSET ?)
                """, arguments: [SecurityLogPolicy.maxQueued])
        }
    }

    public func recordLocalSecurityEvent(_ event: LocalSecurityEvent, techInfo: String, at: Date) throws {
        try writer.write { db in
            try SQLiteFile.insertSecurityEvent(db, type: event.rawValue, techInfo: techInfo, critical: false, local: true, at: at)
        }
    }

    public func securityLog(from: Date?, to: Date?, limit: Int) throws -> [SecurityLogEntry] {
        try SQLiteFile.securityLog(writer, from: from, to: to, limit: limit)
    }

    /// When each account last logged in (name → time; an account that never did is absent).
    public func lastLogins() throws -> [String: Date] { try SQLiteFile.lastLogins(writer) }
}

/// The security log table and the accounts' last logins, shared by the station's and the gateway's database.
extension SQLiteFile {
    static func addLocalSecurityColumns(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE securityLog ADD COLUMN local INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE account ADD COLUMN lastLoginAt REAL;
            CREATE INDEX securityLogLocal ON securityLog(local, id);
            """)
    }

    /// Appends an entry and keeps the bounds: at most ``SecurityLogPolicy/maxLocalEntries`` local entries and
    /// ``SecurityLogPolicy/maxEntries`` in all, the oldest going first (techInfo at most 255 characters, so the table
    /// stays within a few megabytes).
    static func insertSecurityEvent(_ db: Database, type: String, techInfo: String?, critical: Bool, local: Bool, at: Date) throws {
        try db.execute(sql: "INSERT INTO securityLog(at, type, techInfo, critical, local) VALUES (?, ?, ?, ?, ?)",
                       arguments: [at.timeIntervalSince1970, String(type.prefix(50)),
                                   techInfo.map { String($0.prefix(SecurityLogPolicy.techInfoMaxCharacters)) }, critical, local])
        if local {
            try db.execute(sql: """
                DELETE FROM securityLog WHERE id IN (SELECT id FROM securityLog WHERE local = 1 ORDER BY id DESC LIMIT -1 OFFSET ?)
                """, arguments: [SecurityLogPolicy.maxLocalEntries])
        }
        try db.execute(sql: "DELETE FROM securityLog WHERE id <= (SELECT MAX(id) FROM securityLog) - ?",
                       arguments: [SecurityLogPolicy.maxEntries])
    }

    static func securityLog(_ writer: any DatabaseWriter, from: Date?, to: Date?, limit: Int) throws -> [SecurityLogEntry] {
        try writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM (SELECT * FROM securityLog WHERE at >= ? AND at <= ? ORDER BY id DESC LIMIT ?) ORDER BY id
                """, arguments: [from?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude,
                                 to?.timeIntervalSince1970 ?? Double.greatestFiniteMagnitude, max(0, limit)]).map { row in
                try SecurityLogEntry(id: row["id"], at: Date(timeIntervalSince1970: row["at"]), type: row["type"], techInfo: row["techInfo"],
                                 critical: row["critical"], local: row["local"])
            }
        }
    }

    static func recordLogin(_ writer: any DatabaseWriter, name: String, at: Date) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE account SET lastLoginAt = ? WHERE name = ?", arguments: [at.timeIntervalSince1970, name])
        }
    }

    static func lastLogins(_ writer: any DatabaseWriter) throws -> [String: Date] {
        try writer.read { db in
            var result: [String: Date] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, lastLoginAt FROM account WHERE lastLoginAt IS NOT NULL") {
                let name: String = try row["name"]
                result[name] = try Date(timeIntervalSince1970: row["lastLoginAt"])
            }
            return result
        }
    }

    /// `chargekit accounts reset`: the account's new record and the security log's entry in one write.
    static func resetAccount(_ writer: any DatabaseWriter, _ account: Account, techInfo: String, at: Date) throws {
        let text = String(decoding: try JSONEncoder().encode(account), as: UTF8.self)
        try writer.write { db in
            try db.execute(sql: "UPDATE account SET record = ? WHERE name = ?", arguments: [text, account.name])
            guard db.changesCount == 1 else { throw AccountResetError.unknownAccount(account.name) }
            try insertSecurityEvent(db, type: LocalSecurityEvent.passwordReset.rawValue, techInfo: techInfo, critical: false, local: true, at: at)
        }
    }
}
