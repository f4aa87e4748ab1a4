#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StringSupport
import HostServices
import SQLite
import Synchronization
import Authorization
import ChargePoint
import EVSECore
import LoadManagement

/// The station's SQLite database (WAL journal, through the SQLite target): parameters with their audit trail, sessions,
/// meter samples, the event log and the hardware state. Every write returns after it is committed.
///
/// Timestamps are stored as Unix seconds (REAL): exact, sortable, and free of the ICU-backed date
/// formatting a `Date` column would need (GRDB's did; it cost several MB of resident memory).
///
/// - SeeAlso: the design principle "nothing is lost" (persisted before acknowledged).
public final class StationDatabase: StationStore, ParameterStore, AccountStore, Sendable {
    /// The database file name inside the data directory.
    public static let fileName = "chargekit.sqlite"

    let writer: any DatabaseWriter

    /// Opens (creating if needed) the database in `directory` and migrates it.
    public init(directory: String) throws {
        writer = try SQLiteFile.open(directory: directory, fileName: Self.fileName, migrator: Self.migrator)
    }

    /// An in-memory database, for tests.
    public init() throws {
        writer = try SQLiteFile.inMemory(migrator: Self.migrator)
    }

    /// Schema migrations, in order. Never edit a shipped migration; add a new one.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE parameter (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL,
                    updatedAt REAL NOT NULL
                );
                CREATE TABLE parameterAudit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    key TEXT NOT NULL,
                    oldValue TEXT,
                    newValue TEXT NOT NULL,
                    changedBy TEXT NOT NULL,
                    at REAL NOT NULL
                );
                CREATE TABLE session (
                    number INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE,
                    connector INTEGER NOT NULL,
                    idTag TEXT NOT NULL,
                    method TEXT NOT NULL,
                    startedAt REAL NOT NULL,
                    meterStartWh DOUBLE NOT NULL,
                    stoppedAt REAL,
                    meterStopWh DOUBLE,
                    stopReason TEXT,
                    transactionId INTEGER
                );
                CREATE INDEX session_open ON session(stoppedAt) WHERE stoppedAt IS NULL;
                CREATE TABLE meterSample (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    sessionId TEXT REFERENCES session(id),
                    connector INTEGER NOT NULL,
                    at REAL NOT NULL,
                    energyWh DOUBLE NOT NULL,
                    powerW DOUBLE NOT NULL,
                    currentL1 DOUBLE NOT NULL, currentL2 DOUBLE NOT NULL, currentL3 DOUBLE NOT NULL,
                    voltageL1 DOUBLE NOT NULL, voltageL2 DOUBLE NOT NULL, voltageL3 DOUBLE NOT NULL
                );
                CREATE INDEX meterSample_session ON meterSample(sessionId, id);
                CREATE TABLE event (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at REAL NOT NULL,
                    kind TEXT NOT NULL,
                    connector INTEGER NOT NULL,
                    code TEXT,
                    message TEXT NOT NULL
                );
                CREATE TABLE hardwareState (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    data BLOB NOT NULL,
                    at REAL NOT NULL
                );
                CREATE TABLE meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                );
                """)
        }
        m.registerMigration("v2-authorization") { db in
            try db.execute(sql: """
                ALTER TABLE session ADD COLUMN presentedIdTag TEXT;
                ALTER TABLE session ADD COLUMN parentIdTag TEXT;
                ALTER TABLE session ADD COLUMN source TEXT;
                ALTER TABLE session ADD COLUMN provisional INTEGER NOT NULL DEFAULT 0;
                CREATE INDEX session_started ON session(startedAt);
                CREATE TABLE whitelist (
                    position INTEGER PRIMARY KEY,
                    id TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    connector INTEGER,
                    groupId TEXT,
                    expiry REAL,
                    authorization TEXT NOT NULL
                );
                CREATE TABLE authList (
                    idTag TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
                    status TEXT NOT NULL,
                    expiry REAL,
                    parentIdTag TEXT,
                    updatedAt REAL NOT NULL
                );
                CREATE TABLE authCache (
                    idTag TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
                    status TEXT NOT NULL,
                    expiry REAL,
                    parentIdTag TEXT,
                    updatedAt REAL NOT NULL
                );
                """)
        }
        m.registerMigration("v3-ocpp") { db in
            try db.execute(sql: """
                CREATE TABLE ocppQueue (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    messageId TEXT NOT NULL UNIQUE,
                    action TEXT NOT NULL,
                    sessionId TEXT,
                    payload TEXT,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    createdAt REAL NOT NULL
                );
                ALTER TABLE session ADD COLUMN transactionDelivered INTEGER NOT NULL DEFAULT 0;
                """)
        }
        m.registerMigration("v4-ocpp-transaction-data") { db in
            try db.execute(sql: """
                CREATE TABLE ocppTransactionData (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    sessionId TEXT NOT NULL,
                    payload TEXT NOT NULL
                );
                CREATE INDEX ocppTransactionData_session ON ocppTransactionData(sessionId, id);
                """)
        }
        m.registerMigration("v5-reservations") { db in
            try db.execute(sql: """
                CREATE TABLE reservation (
                    id INTEGER PRIMARY KEY NOT NULL,
                    connector INTEGER NOT NULL,
                    idTag TEXT NOT NULL,
                    parentIdTag TEXT,
                    expiresAt REAL NOT NULL
                );
                ALTER TABLE session ADD COLUMN reservationId INTEGER;
                """)
        }
        m.registerMigration("v6-charging-profiles") { db in
            try db.execute(sql: """
                CREATE TABLE chargingProfile (
                    id INTEGER PRIMARY KEY NOT NULL,
                    connector INTEGER NOT NULL,
                    profile TEXT NOT NULL
                );
                """)
        }
        m.registerMigration("v7-session-stopped-by") { db in
            try db.execute(sql: "ALTER TABLE session ADD COLUMN stoppedBy TEXT")
        }
        m.registerMigration("v8-dlm-slaves") { db in
            try db.execute(sql: """
                CREATE TABLE dlmSlave (
                    id TEXT PRIMARY KEY NOT NULL,
                    record TEXT NOT NULL
                );
                """)
        }
        m.registerMigration("v9-accounts") { db in
            try db.execute(sql: """
                CREATE TABLE account (
                    name TEXT PRIMARY KEY NOT NULL,
                    record TEXT NOT NULL
                );
                """)
        }
        // Free charging modes without a backend transaction (seeds/004 §5.2 modes 1–3); earlier sessions had one.
        m.registerMigration("v10-session-backend-transaction") { db in
            try db.execute(sql: "ALTER TABLE session ADD COLUMN backendTransaction INTEGER NOT NULL DEFAULT 1")
        }
        m.registerMigration("v11-session-solar-share") { db in try migrateSolarShare(db) }
        registerMailAlertMigration(&m)
        registerSecurityLogMigration(&m)
        registerSignedMeterMigration(&m)
        registerLocalSecurityMigration(&m)
        return m
    }

    /// Names of the applied migrations.
    public func appliedMigrations() throws -> [String] {
        try writer.read { db in try Self.migrator.appliedMigrations(db) }
    }

    /// A stored timestamp (Unix seconds).
    static func date(_ seconds: Double) -> Date { Date(timeIntervalSince1970: seconds) }

    // MARK: Meta

    /// Reads a value of the meta table.
    public func meta(_ key: String) throws -> String? { try SQLiteFile.meta(writer, key) }

    /// Writes a value of the meta table.
    public func setMeta(_ key: String, _ value: String) throws { try SQLiteFile.setMeta(writer, key, value) }

    /// Removes a value of the meta table.
    public func deleteMeta(_ key: String) throws {
        try writer.write { db in try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [key]) }
    }

    // MARK: ParameterStore

    private static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    private static func encode(_ v: ParameterValue) throws -> String {
        String(decoding: try encoder.encode(v), as: UTF8.self)
    }

    public func loadParameters() throws -> [String: ParameterValue] {
        try writer.read { db in
            var result: [String: ParameterValue] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, value FROM parameter") {
                let text: String = try row["value"]
                let key: String = try row["key"]
                if let v = try? JSONDecoder().decode(ParameterValue.self, from: Data(text.utf8)) { result[key] = v }
            }
            return result
        }
    }

    public func saveParameter(key: String, value: ParameterValue, old: ParameterValue?, changedBy: String, at: Date, secret: Bool) throws {
        let new = try Self.encode(value)
        let previous = try old.map(Self.encode)
        let marker = ParameterAuditEntry.secretMarker
        try writer.write { db in
            try db.execute(sql: """
                INSERT INTO parameter(key, value, updatedAt) VALUES (?, ?, ?)
                ON CONFLICT(key) DO UPDATE SET value = excluded.value, updatedAt = excluded.updatedAt
                """, arguments: [key, new, at.timeIntervalSince1970])
            try db.execute(sql: "INSERT INTO parameterAudit(key, oldValue, newValue, changedBy, at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [key, secret ? previous.map { _ in marker } : previous, secret ? marker : new, changedBy,
                                       at.timeIntervalSince1970])
        }
    }

    /// Factory reset (done between two runs of the station services): every parameter back to its default (each
    /// change audited), the whitelists, OCPP lists and cache, reservations, charging profiles, the DLM slave DB and the
    /// remembered availability emptied. The charging history, the event log, the transaction queue and the web
    /// interface accounts are kept.
    public func factoryReset(at: Date, secretKeys: Set<String>) throws {
        try writer.write { db in
            for row in try Row.fetchAll(db, sql: "SELECT key, value FROM parameter") {
                let key: String = try row["key"]
                try db.execute(sql: "INSERT INTO parameterAudit(key, oldValue, newValue, changedBy, at) VALUES (?, ?, '(default)', 'factory reset', ?)",
                               arguments: [key, secretKeys.contains(key) ? ParameterAuditEntry.secretMarker : row["value"] as String,
                                           at.timeIntervalSince1970])
            }
            for table in ["parameter", "whitelist", "authList", "authCache", "reservation", "chargingProfile", "dlmSlave"] {
                try db.execute(sql: "DELETE FROM \(table)")
            }
            try db.execute(sql: "DELETE FROM meta WHERE key LIKE 'availability.%' OR key LIKE 'localList%'")
            try db.execute(sql: "INSERT INTO event(at, kind, connector, code, message) VALUES (?, 'systemAction', 0, NULL, 'Factory reset: settings back to their defaults')",
                           arguments: [at.timeIntervalSince1970])
        }
    }

    /// Replaces the values of `keys` in audit entries written before secrets were masked (an earlier version kept
    /// them in clear text); run at every start with the registry's secret keys.
    public func redactAudit(keys: Set<String>) throws {
        guard !keys.isEmpty else { return }
        let marker = ParameterAuditEntry.secretMarker
        let list = keys.sorted()
        let places = Array(repeating: "?", count: list.count).joined(separator: ",")
        try writer.write { db in
            try db.execute(sql: """
                UPDATE parameterAudit SET oldValue = CASE WHEN oldValue IS NULL THEN NULL ELSE ? END, newValue = ?
                WHERE key IN (\(places)) AND (newValue != ? OR COALESCE(oldValue, ?) != ?)
                """, arguments: StatementArguments([marker, marker] + list + [marker, marker, marker]))
        }
    }

    /// The newest audit entries first.
    public func audit(limit: Int = 100) throws -> [ParameterAuditEntry] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM parameterAudit ORDER BY id DESC LIMIT ?", arguments: [limit]).map {
                try ParameterAuditEntry(key: $0["key"], oldValue: $0["oldValue"], newValue: $0["newValue"], changedBy: $0["changedBy"], at: Self.date($0["at"]))
            }
        }
    }

    // MARK: StationStore

    public func sessionStarted(_ s: ChargingSession, queueForBackend: Bool) throws {
        try writer.write { db in
            try db.execute(sql: """
                INSERT INTO session(id, connector, idTag, method, startedAt, meterStartWh, presentedIdTag, parentIdTag, source, provisional,
                                    reservationId, backendTransaction)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [s.id.uuidString, s.connector, s.idTag, s.method.rawValue, s.startedAt.timeIntervalSince1970, s.meterStartWh,
                                 s.presentedIdTag, s.parentIdTag, s.source?.rawValue, s.provisional, s.reservationID, s.backendTransaction])
            if let r = s.reservationID { try db.execute(sql: "DELETE FROM reservation WHERE id = ?", arguments: [r]) }
            if queueForBackend {
                try Self.enqueue(db, action: "StartTransaction", session: s.id, payload: nil, at: s.startedAt)
            }
        }
    }

    public func sessionStopped(_ id: UUID, at: Date, meterStopWh: Double, reason: StopReason, stoppedBy: String?, queueForBackend: Bool,
                               solarShare: SolarShare?) throws {
        try writer.write { db in
            if let solarShare { try Self.saveSolarShare(db, session: id, solarShare, runningOnly: true) }
            try db.execute(sql: """
                UPDATE session SET stoppedAt = ?, meterStopWh = ?, stopReason = ?, stoppedBy = ? WHERE id = ? AND stoppedAt IS NULL
                """, arguments: [at.timeIntervalSince1970, meterStopWh, reason.rawValue, stoppedBy, id.uuidString])
            if db.changesCount > 0, queueForBackend,
               try Bool.fetchOne(db, sql: "SELECT 1 FROM ocppQueue WHERE sessionId = ? UNION SELECT 1 FROM session WHERE id = ? AND transactionDelivered = 1",
                                 arguments: [id.uuidString, id.uuidString]) == true {
                try Self.enqueue(db, action: "StopTransaction", session: id, payload: nil, at: at)
            }
        }
    }

    public func record(samples: [MeterSample], hardwareState: Data?) throws {
        guard !samples.isEmpty || hardwareState != nil else { return }
        try writer.write { db in
            for s in samples {
                try db.execute(sql: """
                    INSERT INTO meterSample(sessionId, connector, at, energyWh, powerW, currentL1, currentL2, currentL3,
                                            voltageL1, voltageL2, voltageL3) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [s.sessionID?.uuidString, s.connector, s.at.timeIntervalSince1970, s.energyWh, s.powerW,
                                     s.currentA.l1, s.currentA.l2, s.currentA.l3, s.voltageV.l1, s.voltageV.l2, s.voltageV.l3])
                if let id = s.sessionID, let share = s.solarShare { try Self.saveSolarShare(db, session: id, share, runningOnly: true) }
            }
            if let hardwareState {
                try db.execute(sql: """
                    INSERT INTO hardwareState(id, data, at) VALUES (1, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET data = excluded.data, at = excluded.at
                    """, arguments: [hardwareState, Date().timeIntervalSince1970])
            }
        }
    }

    /// The hardware state stored with the last samples.
    public func hardwareState() throws -> Data? {
        try writer.read { db in try Data.fetchOne(db, sql: "SELECT data FROM hardwareState WHERE id = 1") }
    }

    static func sessionRecord(_ row: Row) throws -> SessionRecord? {
        guard let id = try UUID(uuidString: row["id"]), let method = try AuthorizationMethod(rawValue: row["method"]) else { return nil }
        let session = try ChargingSession(id: id, connector: row["connector"], idTag: row["idTag"], method: method,
                                      startedAt: date(row["startedAt"]), meterStartWh: row["meterStartWh"],
                                      presentedIdTag: row["presentedIdTag"], parentIdTag: row["parentIdTag"],
                                      source: (row["source"] as String?).flatMap(AuthorizationSource.init(rawValue:)),
                                      provisional: row["provisional"] ?? false, reservationID: row["reservationId"],
                                      backendTransaction: row["backendTransaction"] ?? true)
        return try SessionRecord(session: session, stoppedAt: (row["stoppedAt"] as Double?).map(date), meterStopWh: row["meterStopWh"],
                             stopReason: (row["stopReason"] as String?).flatMap(StopReason.init(rawValue:)), stoppedBy: row["stoppedBy"],
                             transactionId: row["transactionId"], solarShare: solarShare(row), signedMeter: signedMeter(row))
    }

    private static func sample(_ row: Row) throws -> MeterSample {
        try MeterSample(connector: row["connector"], sessionID: (row["sessionId"] as String?).flatMap(UUID.init(uuidString:)),
                    at: date(row["at"]), energyWh: row["energyWh"], powerW: row["powerW"],
                    currentA: PhaseValues(l1: row["currentL1"], l2: row["currentL2"], l3: row["currentL3"]),
                    voltageV: PhaseValues(l1: row["voltageL1"], l2: row["voltageL2"], l3: row["voltageL3"]))
    }

    public func openSessions() throws -> [SessionRecord] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM session WHERE stoppedAt IS NULL ORDER BY number").compactMap { row in
                guard var r = try Self.sessionRecord(row) else { return nil }
                r.lastSample = try Row.fetchOne(db, sql: "SELECT * FROM meterSample WHERE sessionId = ? ORDER BY id DESC LIMIT 1",
                                                arguments: [r.session.id.uuidString]).map(Self.sample)
                return r
            }
        }
    }

    /// Sessions, newest first.
    public func sessions(limit: Int = 100) throws -> [SessionRecord] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM session ORDER BY number DESC LIMIT ?", arguments: [limit]).compactMap(Self.sessionRecord)
        }
    }

    /// Meter samples of one session, oldest first.
    public func samples(session id: UUID) throws -> [MeterSample] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM meterSample WHERE sessionId = ? ORDER BY id", arguments: [id.uuidString]).map(Self.sample)
        }
    }

    public func append(_ e: EventLogEntry) throws {
        try writer.write { db in
            try db.execute(sql: "INSERT INTO event(at, kind, connector, code, message) VALUES (?, ?, ?, ?, ?)",
                           arguments: [e.at.timeIntervalSince1970, e.kind.rawValue, e.connector, e.code,
                                       String(e.message.prefix(RetentionPolicy.eventMessageMaxCharacters))])
        }
    }

    public func sessionIdentified(_ id: UUID, idTag: String) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE session SET idTag = ?, presentedIdTag = ? WHERE id = ?", arguments: [idTag, idTag, id.uuidString])
        }
    }

    /// Sessions that started in `[from, to)`, oldest first.
    public func sessions(from: Date?, to: Date?) throws -> [SessionRecord] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM session WHERE startedAt >= ? AND startedAt < ? ORDER BY startedAt, number",
                             arguments: [from?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude,
                                         to?.timeIntervalSince1970 ?? Double.greatestFiniteMagnitude]).compactMap(Self.sessionRecord)
        }
    }

    // MARK: Authorization lists

    private static func listed(_ row: Row) throws -> ListedIdentifier? {
        guard let status = try IdentifierStatus(rawValue: row["status"]) else { return nil }
        return try ListedIdentifier(idTag: row["idTag"], status: status, expiry: (row["expiry"] as Double?).map(date),
                                parentIdTag: row["parentIdTag"], updatedAt: date(row["updatedAt"]))
    }

    public func loadAuthorizationLists() throws -> AuthorizationLists {
        try writer.read { db in
            let entries = try Row.fetchAll(db, sql: "SELECT * FROM whitelist ORDER BY position").compactMap { row -> WhitelistEntry? in
                guard let kind = try IdentifierKind(rawValue: row["kind"]), let auth = try EntryAuthorization(rawValue: row["authorization"]) else { return nil }
                return try WhitelistEntry(id: row["id"], kind: kind, connector: row["connector"], groupID: row["groupId"],
                                      expiry: (row["expiry"] as Double?).map(Self.date), authorization: auth)
            }
            let version = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'localListVersion'").flatMap { Int($0) } ?? 0
            return AuthorizationLists(
                whitelist: LocalWhitelist(entries: entries),
                localList: try Row.fetchAll(db, sql: "SELECT * FROM authList ORDER BY idTag").compactMap(Self.listed),
                localListVersion: version,
                cache: try Row.fetchAll(db, sql: "SELECT * FROM authCache ORDER BY updatedAt").compactMap(Self.listed))
        }
    }

    public func saveWhitelist(_ entries: [WhitelistEntry]) throws {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM whitelist")
            for (i, e) in entries.enumerated() {
                try db.execute(sql: """
                    INSERT INTO whitelist(position, id, kind, connector, groupId, expiry, authorization) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [i, e.id, e.kind.rawValue, e.connector, e.groupID, e.expiry?.timeIntervalSince1970, e.authorization.rawValue])
            }
        }
    }

    private static func upsert(_ db: Database, table: String, _ e: ListedIdentifier) throws {
        try db.execute(sql: """
            INSERT INTO \(table)(idTag, status, expiry, parentIdTag, updatedAt) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(idTag) DO UPDATE SET idTag = excluded.idTag, status = excluded.status, expiry = excluded.expiry, parentIdTag = excluded.parentIdTag,
                updatedAt = excluded.updatedAt
            """, arguments: [e.idTag, e.status.rawValue, e.expiry?.timeIntervalSince1970, e.parentIdTag, e.updatedAt.timeIntervalSince1970])
    }

    /// Inserts or replaces a cache entry; beyond ``RetentionPolicy/authorizationCacheMaxEntries`` the least recently
    /// updated go in the same write.
    public func saveCacheEntry(_ entry: ListedIdentifier) throws {
        try writer.write { db in
            try Self.upsert(db, table: "authCache", entry)
            try db.execute(sql: """
                DELETE FROM authCache WHERE rowid IN (SELECT rowid FROM authCache ORDER BY updatedAt, rowid
                    LIMIT max(0, (SELECT COUNT(*) FROM authCache) - ?))
                """, arguments: [RetentionPolicy.authorizationCacheMaxEntries])
        }
    }

    public func clearCache() throws {
        try writer.write { db in try db.execute(sql: "DELETE FROM authCache") }
    }

    public func saveLocalList(version: Int, entries: [ListedIdentifier]) throws {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM authList")
            for e in entries { try Self.upsert(db, table: "authList", e) }
            try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('localListVersion', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [String(version)])
        }
    }

    public func loadReservations() throws -> [Reservation] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM reservation ORDER BY id").map { row in
                try Reservation(id: row["id"], connector: row["connector"], idTag: row["idTag"], parentIdTag: row["parentIdTag"],
                            expiresAt: Self.date(row["expiresAt"]))
            }
        }
    }

    public func saveReservation(_ r: Reservation) throws {
        try writer.write { db in
            try db.execute(sql: """
                INSERT INTO reservation(id, connector, idTag, parentIdTag, expiresAt) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET connector = excluded.connector, idTag = excluded.idTag,
                    parentIdTag = excluded.parentIdTag, expiresAt = excluded.expiresAt
                """, arguments: [r.id, r.connector, r.idTag, r.parentIdTag, r.expiresAt.timeIntervalSince1970])
        }
    }

    public func deleteReservation(id: Int) throws {
        try writer.write { db in try db.execute(sql: "DELETE FROM reservation WHERE id = ?", arguments: [id]) }
    }

    public func loadChargingProfiles() throws -> [InstalledProfile] {
        try writer.read { db in
            try String.fetchAll(db, sql: "SELECT profile FROM chargingProfile ORDER BY id").compactMap { text in
                try? JSONDecoder().decode(InstalledProfile.self, from: Data(text.utf8))
            }
        }
    }

    public func saveChargingProfiles(_ profiles: [InstalledProfile], deleting ids: [Int]) throws {
        let encoded = try profiles.map { p in (p, String(decoding: try JSONEncoder().encode(p), as: UTF8.self)) }
        try writer.write { db in
            for id in ids { try db.execute(sql: "DELETE FROM chargingProfile WHERE id = ?", arguments: [id]) }
            for (p, text) in encoded {
                try db.execute(sql: """
                    INSERT INTO chargingProfile(id, connector, profile) VALUES (?, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET connector = excluded.connector, profile = excluded.profile
                    """, arguments: [p.id, p.connector, text])
            }
        }
    }

    // MARK: Accounts

    static let finishedConnectorsKey = "finishedConnectors"

    public func loadFinishedConnectors() throws -> Set<Int> {
        Set((try meta(Self.finishedConnectorsKey) ?? "").split(separator: ",").compactMap { Int($0) })
    }

    public func saveFinishedConnectors(_ connectors: Set<Int>) throws {
        try setMeta(Self.finishedConnectorsKey, connectors.sorted().map(String.init).joined(separator: ","))
    }

    public func loadAccounts() throws -> [Account] { try SQLiteFile.loadAccounts(writer) }
    public func saveAccount(_ account: Account) throws { try SQLiteFile.saveAccount(writer, account) }
    public func recordLogin(_ name: String, at: Date) throws { try SQLiteFile.recordLogin(writer, name: name, at: at) }
    public func resetAccount(_ account: Account, techInfo: String, at: Date) throws {
        try SQLiteFile.resetAccount(writer, account, techInfo: techInfo, at: at)
    }

    // MARK: DLM slave DB

    public func loadDLMSlaves() throws -> [DLMSlaveRecord] {
        try writer.read { db in
            try String.fetchAll(db, sql: "SELECT record FROM dlmSlave ORDER BY id").compactMap { text in
                try? JSONDecoder().decode(DLMSlaveRecord.self, from: Data(text.utf8))
            }
        }
    }

    public func saveDLMSlaves(_ records: [DLMSlaveRecord]) throws {
        let encoded = try records.map { r in (r.id, String(decoding: try JSONEncoder().encode(r), as: UTF8.self)) }
        try writer.write { db in
            for (id, text) in encoded {
                try db.execute(sql: "INSERT INTO dlmSlave(id, record) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET record = excluded.record",
                               arguments: [id, text])
            }
        }
    }

    public func deleteDLMSlaves(ids: [String]) throws {
        try writer.write { db in
            for id in ids { try db.execute(sql: "DELETE FROM dlmSlave WHERE id = ?", arguments: [id]) }
        }
    }

    /// Event log entries, newest first, optionally only those from `from` to `to`.
    public func events(limit: Int = 100, from: Date? = nil, to: Date? = nil) throws -> [EventLogEntry] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM event WHERE at >= ? AND at <= ? ORDER BY id DESC LIMIT ?",
                             arguments: [from?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude,
                                         to?.timeIntervalSince1970 ?? Double.greatestFiniteMagnitude, limit]).compactMap { row in
                guard let kind = try EventKind(rawValue: row["kind"]) else { return nil }
                return try EventLogEntry(at: Self.date(row["at"]), kind: kind, connector: row["connector"], code: row["code"], message: row["message"])
            }
        }
    }

    /// The latest timestamp written anywhere (so that a restarted simulated clock never goes back).
    public func latestTimestamp() throws -> Date? {
        try writer.read { db in
            let candidates: [Double?] = [
                try Double.fetchOne(db, sql: "SELECT MAX(at) FROM event"),
                try Double.fetchOne(db, sql: "SELECT MAX(at) FROM meterSample"),
                try Double.fetchOne(db, sql: "SELECT MAX(COALESCE(stoppedAt, startedAt)) FROM session"),
            ]
            return candidates.compactMap { $0 }.max().map(Self.date)
        }
    }
}

/// Opening the role databases: WAL (a ``DatabasePool``), a busy timeout of 5 s, migrations applied.
enum SQLiteFile {
    /// The database holds secrets (the OCPP AuthorizationKey, the DLM network key, password hashes), so the data
    /// directory is private to the station's user (0700) and the database files are 0600. SQLite gives the `-wal` and
    /// `-shm` files the database file's permissions; a file of an earlier version is tightened here (issue 20 item 4).
    ///
    /// A file that is not a database or is damaged stops the start with an ``SQLiteError`` that names the file
    /// ("…/chargekit.sqlite: file is not a database"); nothing is changed in it.
    static func open(directory: String, fileName: String, migrator: DatabaseMigrator) throws -> any DatabaseWriter {
        try SystemFile.createDirectory(directory, mode: 0o700)
        try restrictMode(directory, 0o700)
        let path = directory.pathAppending(fileName)
        if !fileExists(path) { try createFile(path, mode: 0o600) }
        for file in [path, path + "-wal", path + "-shm"] where fileExists(file) {
            try restrictMode(file, 0o600)
        }
        let pool = try DatabasePool(path: path, busyTimeoutSeconds: 5)
        do {
            try migrator.migrate(pool)
        } catch {
            try? pool.close()
            throw error
        }
        for file in [path + "-wal", path + "-shm"] where fileExists(file) {
            try restrictMode(file, 0o600)
        }
        return pool
    }

    static func inMemory(migrator: DatabaseMigrator) throws -> any DatabaseWriter {
        let queue = try DatabaseQueue(busyTimeoutSeconds: 5)
        try migrator.migrate(queue)
        return queue
    }

    /// A value of the `meta (key, value)` table both databases have.
    static func meta(_ writer: any DatabaseWriter, _ key: String) throws -> String? {
        try writer.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    static func setMeta(_ writer: any DatabaseWriter, _ key: String, _ value: String) throws {
        try writer.write { db in
            try db.execute(sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [key, value])
        }
    }

    /// The web interface's accounts (table `account`: name, JSON record), in the station's and the gateway's database.
    static func loadAccounts(_ writer: any DatabaseWriter) throws -> [Account] {
        try writer.read { db in
            try String.fetchAll(db, sql: "SELECT record FROM account ORDER BY name").compactMap { text in
                try? JSONDecoder().decode(Account.self, from: Data(text.utf8))
            }
        }
    }

    static func saveAccount(_ writer: any DatabaseWriter, _ account: Account) throws {
        let text = String(decoding: try JSONEncoder().encode(account), as: UTF8.self)
        try writer.write { db in
            try db.execute(sql: "INSERT INTO account(name, record) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET record = excluded.record",
                           arguments: [account.name, text])
        }
    }
}
