import Foundation
import Testing
import SQLite
@testable import Persistence
import Authorization
import ChargePoint
import EVSECore

/// The databases of the versions that used GRDB (up to issue 31 item 1) open with the SQLite target and migrate on.
///
/// The fixtures were made with GRDB 7.10: `grdb-station-v15-schema.txt` and `grdb-gateway-v5-schema.txt` are the
/// `sqlite_master` of databases that chargekit (main at 00a615f, GRDB's `DatabasePool`) created and migrated fully, as
/// `sqlite3 FILE "SELECT name, sql FROM sqlite_master ORDER BY name"` prints it; `grdb-station-v10.sql` is the dump of a
/// database at migration v10 — GRDB's `grdb_migrations` table, the schema text byte for byte as those migrations left it
/// (checked against the GRDB-made file), and rows typed as GRDB bound them (REAL times, 0/1 flags, TEXT UUIDs, a BLOB).
@Suite("Databases of the GRDB versions")
struct GRDBUpgradeTests {
    static func fixture(_ name: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
        return try String(contentsOf: url, encoding: .utf8)
    }

    func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("grdb-upgrade-\(UUID().uuidString)").path
    }

    /// `sqlite_master` as the sqlite3 shell prints `SELECT name, sql … ORDER BY name` (NULL as empty).
    static func schema(_ writer: any DatabaseWriter) throws -> String {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master ORDER BY name").map { row in
                try "\(row["name"] as String)|\(row["sql"] as String? ?? "")"
            }.joined(separator: "\n") + "\n"
        }
    }

    @Test("a station database of a GRDB version at v10 migrates to v15 and keeps its sessions, queue and state")
    func stationFromV10() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        do {
            let old = try DatabaseQueue(path: dir + "/" + StationDatabase.fileName)
            try old.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")  // GRDB's DatabasePool left the file in WAL mode
                try db.execute(sql: try Self.fixture("grdb-station-v10.sql"))
            }
            try old.close()
        }
        let db = try StationDatabase(directory: dir)
        #expect(try db.appliedMigrations() == StationDatabase.migrator.identifiers)
        #expect(try Self.schema(db.writer) == (try Self.fixture("grdb-station-v15-schema.txt")), "the schema GRDB's migrations made")

        let sessions = try db.sessions()
        #expect(sessions.count == 2)
        let stopped = try #require(sessions.first { $0.session.connector == 1 })
        #expect(stopped.session.id == UUID(uuidString: "6F9619FF-8B86-D011-B42D-00C04FC964FF"))
        #expect(stopped.session.idTag == "04567DAA5F3580" && stopped.session.method == .rfid && stopped.session.source == .localList)
        #expect(stopped.session.startedAt == Date(timeIntervalSince1970: 1_800_000_000) && stopped.session.meterStartWh == 100)
        #expect(stopped.stoppedAt == Date(timeIntervalSince1970: 1_800_003_600.25) && stopped.energyWh == 11_040)
        #expect(stopped.stopReason == .local && stopped.stoppedBy == "card" && stopped.transactionId == 42)
        #expect(stopped.session.backendTransaction && !stopped.session.provisional && stopped.solarShare == nil && stopped.signedMeter == nil)

        let running = try #require(try db.openSessions().first)
        #expect(running.session.method == .freeCharging && !running.session.backendTransaction)
        #expect(running.lastSample?.energyWh == 5_100 && running.lastSample?.voltageV.l3 == 229.5)

        let head = try #require(try db.transactionQueueHead())
        #expect(head.action == "StopTransaction" && head.messageID == "b1c0e0a4-3f0e-4c59-9d5e-5d3c5c0a1a01")
        #expect(head.transactionID == 42 && head.session?.session.id == stopped.session.id && head.payload == nil)
        #expect(try db.hardwareState() == Data([0x00, 0xFF, 0x10]))
        #expect(try db.persistedInoperative(connector: 2) && !db.persistedInoperative(connector: 1))
        #expect(try db.loadAuthorizationLists().localListVersion == 3)
        #expect(try db.audit().map(\.changedBy) == ["web:installer"])
        #expect(try db.events().map(\.message) == ["Session started"])
        #expect(try db.mailAlertCursor() == 1, "v12 moved the mail cursor to the end of the existing log")

        // And it goes on working: the next session gets the next number, the delivered message leaves the queue.
        try db.transactionMessageDelivered(head.sequence, session: stopped.session.id, transactionID: nil, finished: true)
        #expect(try db.transactionQueueCount() == 0)
    }

    @Test("new databases get exactly the schema the GRDB versions made (station and gateway)")
    func sameSchemaAsGRDB() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Self.schema(StationDatabase(directory: dir).writer) == (try Self.fixture("grdb-station-v15-schema.txt")))
        #expect(try Self.schema(GatewayDatabase(directory: dir).writer) == (try Self.fixture("grdb-gateway-v5-schema.txt")))
    }

    @Test("a file that is no database, or a damaged one, stops the start with an error naming the file")
    func damagedFiles() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + StationDatabase.fileName
        try Data(repeating: 0x5A, count: 8192).write(to: URL(fileURLWithPath: path))
        let notADatabase = #expect(throws: SQLiteError.self) { try StationDatabase(directory: dir) }
        #expect(notADatabase?.isCorruptFile == true)
        #expect(notADatabase.map { "\($0)" }?.contains(path) == true, "\(String(describing: notADatabase))")

        // A database whose first page (the schema's root) is overwritten after its header.
        try FileManager.default.removeItem(atPath: path)
        _ = try StationDatabase(directory: dir)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes.replaceSubrange(100..<4096, with: Data(repeating: 0xA5, count: 3996))
        try bytes.write(to: URL(fileURLWithPath: path))
        let damaged = #expect(throws: SQLiteError.self) { try StationDatabase(directory: dir) }
        #expect(damaged?.isCorruptFile == true)
        #expect(damaged.map { "\($0)" }?.contains(path) == true, "\(String(describing: damaged))")
    }

    @Test("a value of another kind in a hand-edited database is an error naming the column and the file, not a stop")
    func handEditedValues() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let database = try StationDatabase(directory: dir)
        // The column is INTEGER NOT NULL; SQLite stores the text as it is when it cannot convert it.
        try database.writer.write { db in
            try db.execute(sql: "INSERT INTO reservation(id, connector, idTag, expiresAt) VALUES (7, 'one', 'CARD', 0)")
        }
        let error = #expect(throws: SQLiteError.self) { try database.loadReservations() }
        #expect(error?.code == 20 /* SQLITE_MISMATCH */)
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("column connector holds") && text.contains(dir + "/" + StationDatabase.fileName), "\(text)")
    }
}
