import Foundation
import GRDB
import ChargePoint

/// The station's security log (OCPP 1.6 security whitepaper ed. 3 §8, A04.FR.04: every security event is logged, the
/// log rolls) and the durable queueing of SecurityEventNotification (A04.FR.02: critical events are delivered with
/// guaranteed delivery, also after being offline). A notification goes into the same persistent queue as the
/// transaction messages (`ocppQueue`), in the same write as its log entry, so it is sent in order, with a message id
/// that stays the same across retransmissions and restarts, and removed only when the central system answered.
extension StationDatabase: SecurityLogStore {
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

    public func recordSecurityEvent(type: String, techInfo: String?, critical: Bool, at: Date, notification: String?) throws {
        try writer.write { db in
            try db.execute(sql: "INSERT INTO securityLog(at, type, techInfo, critical) VALUES (?, ?, ?, ?)",
                           arguments: [at.timeIntervalSince1970, String(type.prefix(50)),
                                       techInfo.map { String($0.prefix(SecurityLogPolicy.techInfoMaxCharacters)) }, critical])
            try db.execute(sql: """
                DELETE FROM securityLog WHERE id <= (SELECT MAX(id) FROM securityLog) - ?
                """, arguments: [SecurityLogPolicy.maxEntries])
            guard let notification else { return }
            try Self.enqueue(db, action: "SecurityEventNotification", session: nil, payload: notification, at: at)
            try db.execute(sql: """
                DELETE FROM ocppQueue WHERE seq IN (SELECT seq FROM ocppQueue WHERE action = 'SecurityEventNotification'
                    ORDER BY seq DESC LIMIT -1 OFFSET ?)
                """, arguments: [SecurityLogPolicy.maxQueued])
        }
    }

    public func securityLog(from: Date?, to: Date?, limit: Int) throws -> [SecurityLogEntry] {
        try writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM (SELECT * FROM securityLog WHERE at >= ? AND at <= ? ORDER BY id DESC LIMIT ?) ORDER BY id
                """, arguments: [from?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude,
                                 to?.timeIntervalSince1970 ?? Double.greatestFiniteMagnitude, max(0, limit)]).map { row in
                SecurityLogEntry(id: row["id"], at: Self.date(row["at"]), type: row["type"], techInfo: row["techInfo"],
                                 critical: row["critical"])
            }
        }
    }
}
