#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SQLite
import ChargePoint
import Gateway

/// The gateway's SQLite database (WAL, through the SQLite target): settings, the BMS-set clock offset, the transaction id counter, the
/// transactions the gateway answered, the OCPP scan list and the web interface's accounts. Every write returns after it
/// is committed, so a transaction is on disk before the StartTransaction.conf that acknowledges it is sent. The tables
/// that grow with events are bounded: ``transactionCapacity`` transactions, ``RefusedConnections/scanListCapacity``
/// scanned ChargerIDs.
public final class GatewayDatabase: AccountStore, LocalSecurityLogStore, Sendable {
    public static let fileName = "gateway.sqlite"
    let writer: any DatabaseWriter

    public init(directory: String) throws {
        writer = try SQLiteFile.open(directory: directory, fileName: Self.fileName, migrator: Self.migrator)
    }

    /// An in-memory database, for tests.
    public init() throws {
        writer = try SQLiteFile.inMemory(migrator: Self.migrator)
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("gateway-v1") { db in
            try db.execute(sql: """
                CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                CREATE TABLE gatewayTransaction (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    charger TEXT NOT NULL,
                    connectorId INTEGER NOT NULL,
                    transactionId INTEGER NOT NULL,
                    idTag TEXT NOT NULL,
                    meterStartWh INTEGER NOT NULL,
                    startedAt REAL NOT NULL,
                    status TEXT NOT NULL,
                    decidedByBMS INTEGER NOT NULL,
                    meterStopWh INTEGER,
                    stoppedAt REAL,
                    stopReason TEXT,
                    stopDecidedByBMS INTEGER
                );
                CREATE INDEX gatewayTransaction_open ON gatewayTransaction(charger, transactionId) WHERE stoppedAt IS NULL;
                CREATE TABLE scannedCharger (
                    id TEXT PRIMARY KEY NOT NULL,
                    remoteAddress TEXT,
                    firstSeen REAL NOT NULL,
                    lastSeen REAL NOT NULL,
                    attempts INTEGER NOT NULL
                );
                """)
        }
        // Who decided a transaction: BMS, gateway or external (the bridge's central system), instead of a BMS flag.
        m.registerMigration("gateway-v2-decidedBy") { db in
            try db.execute(sql: """
                ALTER TABLE gatewayTransaction ADD COLUMN decidedBy TEXT NOT NULL DEFAULT 'gateway';
                UPDATE gatewayTransaction SET decidedBy = CASE decidedByBMS WHEN 1 THEN 'BMS' ELSE 'gateway' END;
                ALTER TABLE gatewayTransaction ADD COLUMN stopDecidedBy TEXT;
                UPDATE gatewayTransaction SET stopDecidedBy = CASE stopDecidedByBMS WHEN 1 THEN 'BMS' WHEN 0 THEN 'gateway' END;
                ALTER TABLE gatewayTransaction DROP COLUMN decidedByBMS;
                ALTER TABLE gatewayTransaction DROP COLUMN stopDecidedByBMS;
                """)
        }
        // The web interface's accounts (the same records as the station's).
        m.registerMigration("gateway-v3-accounts") { db in
            try db.execute(sql: "CREATE TABLE account (name TEXT PRIMARY KEY NOT NULL, record TEXT NOT NULL)")
        }
        // Why a charger was refused: NULL for an unknown ChargerID, else its credentials' refusal (issue 28 item 5).
        m.registerMigration("gateway-v4-scanReason") { db in
            try db.execute(sql: "ALTER TABLE scannedCharger ADD COLUMN reason TEXT")
        }
        // The security log (logins, password changes, configuration changes …) and the accounts' last logins, as the
        // station's (issue 23 items 6 and 7); the gateway has no OCPP security events of its own, so every entry is local.
        m.registerMigration("gateway-v5-security-log-last-login") { db in
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
            try SQLiteFile.addLocalSecurityColumns(db)
        }
        return m
    }

    static let settingsKey = "settings"
    static let clockOffsetKey = "clockOffsetSeconds"
    static let nextTransactionIdKey = "nextTransactionId"

    public func meta(_ key: String) throws -> String? { try SQLiteFile.meta(writer, key) }
    public func setMeta(_ key: String, _ value: String) throws { try SQLiteFile.setMeta(writer, key, value) }

    /// The stored settings; nil before the first save.
    public func loadSettings() throws -> GatewaySettings? {
        guard let json = try meta(Self.settingsKey) else { return nil }
        return try JSONDecoder().decode(GatewaySettings.self, from: Data(json.utf8))
    }

    public func saveSettings(_ s: GatewaySettings) throws {
        let e = JSONEncoder()
        e.outputFormatting = .sortedKeys
        try setMeta(Self.settingsKey, String(decoding: try e.encode(s), as: UTF8.self))
    }

    public func clockOffsetSeconds() throws -> Double { try meta(Self.clockOffsetKey).flatMap(Double.init) ?? 0 }
    public func setClockOffsetSeconds(_ v: Double) throws { try setMeta(Self.clockOffsetKey, String(v)) }
    public func nextTransactionId() throws -> Int { try meta(Self.nextTransactionIdKey).flatMap(Int.init) ?? 1 }
    public func setNextTransactionId(_ v: Int) throws { try setMeta(Self.nextTransactionIdKey, String(v)) }

    /// Transactions kept, the newest (by insertion) first; older ones are deleted as new ones are recorded. The
    /// Transactions page shows the newest 200; the open ones a restart needs are a few per connector.
    public static let transactionCapacity = 100_000

    /// Records a started transaction; an open one of the same charger and id (ids wrap after 65535) is closed first.
    /// Beyond ``transactionCapacity`` rows the oldest go, one or two per insert (issue #20 item 6).
    public func transactionStarted(_ t: GatewayTransaction) throws {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM gatewayTransaction WHERE id <= (SELECT MAX(id) FROM gatewayTransaction) - ?",
                           arguments: [Self.transactionCapacity - 1])
            try db.execute(sql: """
                UPDATE gatewayTransaction SET stoppedAt = ?, stopReason = 'Other' WHERE charger = ? AND transactionId = ? AND stoppedAt IS NULL
                """, arguments: [t.startedAt.timeIntervalSince1970, t.charger, t.transactionId])
            try db.execute(sql: """
                INSERT INTO gatewayTransaction (charger, connectorId, transactionId, idTag, meterStartWh, startedAt, status, decidedBy)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [t.charger, t.connectorId, t.transactionId, t.idTag, t.meterStartWh, t.startedAt.timeIntervalSince1970, t.status,
                                 t.decidedBy.rawValue])
        }
    }

    /// Records the end of a transaction; returns false when no open transaction matched (a stop for a transaction
    /// the gateway never saw start).
    @discardableResult
    public func transactionStopped(_ s: GatewayTransactionStop) throws -> Bool {
        try writer.write { db in
            try db.execute(sql: """
                UPDATE gatewayTransaction SET meterStopWh = ?, stoppedAt = ?, stopReason = ?, stopDecidedBy = ?
                WHERE charger = ? AND transactionId = ? AND stoppedAt IS NULL
                """, arguments: [s.meterStopWh, s.stoppedAt.timeIntervalSince1970, s.reason, s.decidedBy.rawValue, s.charger, s.transactionId])
            return db.changesCount > 0
        }
    }

    private static func transaction(_ row: Row) throws -> GatewayTransaction {
        try GatewayTransaction(charger: row["charger"], connectorId: row["connectorId"], transactionId: row["transactionId"], idTag: row["idTag"],
                           meterStartWh: row["meterStartWh"], startedAt: Date(timeIntervalSince1970: row["startedAt"]), status: row["status"],
                           decidedBy: TransactionDecider(rawValue: row["decidedBy"]) ?? .gateway)
    }

    public func openTransactions() throws -> [GatewayTransaction] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM gatewayTransaction WHERE stoppedAt IS NULL ORDER BY id").map(Self.transaction)
        }
    }

    /// The newest transactions first.
    public func transactions(limit: Int = 100) throws -> [GatewayTransactionRecord] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM gatewayTransaction ORDER BY id DESC LIMIT ?", arguments: [limit]).map { row in
                let stopped: Double? = try row["stoppedAt"]
                return try GatewayTransactionRecord(
                    start: Self.transaction(row), meterStopWh: row["meterStopWh"], stoppedAt: stopped.map(Date.init(timeIntervalSince1970:)), reason: row["stopReason"])
            }
        }
    }

    public func recordScan(id: String, remoteAddress: String?, at: Date) throws {
        try recordScans([RefusedConnections.Attempt(id: id, cause: .unknown, remoteAddress: remoteAddress, firstAt: at, lastAt: at, count: 1)])
    }

    /// Adds refused attempts (unknown ChargerIDs and refused credentials, with the reason) to the OCPP scan list in one write and keeps only the `capacity` most recently seen
    /// ChargerIDs, so that connections with ever new ChargerIDs cannot grow the table (issue #20 item 6).
    public func recordScans(_ attempts: [RefusedConnections.Attempt], capacity: Int = RefusedConnections.scanListCapacity) throws {
        guard !attempts.isEmpty else { return }
        try writer.write { db in
            for a in attempts {
                try db.execute(sql: """
                    INSERT INTO scannedCharger (id, remoteAddress, firstSeen, lastSeen, attempts, reason) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET remoteAddress = excluded.remoteAddress, lastSeen = excluded.lastSeen,
                        attempts = attempts + excluded.attempts, reason = excluded.reason
                    """, arguments: [a.id, a.remoteAddress, a.firstAt.timeIntervalSince1970, a.lastAt.timeIntervalSince1970, a.count,
                                     a.cause.scanReason])
            }
            try db.execute(sql: """
                DELETE FROM scannedCharger WHERE id NOT IN (SELECT id FROM scannedCharger ORDER BY lastSeen DESC, id LIMIT ?)
                """, arguments: [capacity])
        }
    }

    public func scannedChargers() throws -> [ScannedCharger] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM scannedCharger ORDER BY lastSeen DESC").map { row in
                try ScannedCharger(id: row["id"], remoteAddress: row["remoteAddress"], firstSeen: Date(timeIntervalSince1970: row["firstSeen"]),
                               lastSeen: Date(timeIntervalSince1970: row["lastSeen"]), attempts: row["attempts"], reason: row["reason"])
            }
        }
    }

    public func deleteScan(id: String) throws {
        try writer.write { db in try db.execute(sql: "DELETE FROM scannedCharger WHERE id = ?", arguments: [id]) }
    }

    public func loadAccounts() throws -> [Account] { try SQLiteFile.loadAccounts(writer) }
    public func saveAccount(_ account: Account) throws { try SQLiteFile.saveAccount(writer, account) }
    public func recordLogin(_ name: String, at: Date) throws { try SQLiteFile.recordLogin(writer, name: name, at: at) }
    public func lastLogins() throws -> [String: Date] { try SQLiteFile.lastLogins(writer) }
    public func resetAccount(_ account: Account, techInfo: String, at: Date) throws {
        try SQLiteFile.resetAccount(writer, account, techInfo: techInfo, at: at)
    }
}

extension GatewayDatabase {
    public func recordLocalSecurityEvent(_ event: LocalSecurityEvent, techInfo: String, at: Date) throws {
        try writer.write { db in
            try SQLiteFile.insertSecurityEvent(db, type: event.rawValue, techInfo: techInfo, critical: false, local: true, at: at)
        }
    }

    public func securityLog(from: Date?, to: Date?, limit: Int) throws -> [SecurityLogEntry] {
        try SQLiteFile.securityLog(writer, from: from, to: to, limit: limit)
    }
}
