import Foundation
import Synchronization
import Testing
import CSQLite
@testable import SQLite

/// The WAL pool and the migrator, on files in a temporary directory.
@Suite("SQLite pool and migrations")
struct PoolAndMigratorTests {
    func temporaryFile() -> (dir: String, file: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return (dir, dir + "/test.sqlite")
    }

    @Test("the pool runs in WAL mode with synchronous NORMAL, foreign keys on and a busy timeout, as GRDB's DatabasePool, and a small page cache on every connection")
    func settings() throws {
        let (dir, file) = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pool = try DatabasePool(path: file)
        try pool.writeWithoutTransaction { db throws in
            #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            #expect(try Int.fetchOne(db, sql: "PRAGMA synchronous") == 1, "NORMAL")
            #expect(try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") == true)
            #expect(try Int.fetchOne(db, sql: "PRAGMA busy_timeout") == 5000)
            #expect(try Int.fetchOne(db, sql: "PRAGMA cache_size") == -128, "a page cache of 128 KiB, not SQLite's 2,000")
        }
        try pool.read { db throws in
            #expect(try Bool.fetchOne(db, sql: "PRAGMA query_only") == true)
            #expect(try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") == true)
            #expect(try Int.fetchOne(db, sql: "PRAGMA cache_size") == -128)
        }
        try pool.close()
        #expect(throws: SQLiteError.self) { try pool.read { _ in 1 } }
        #expect(throws: SQLiteError.self) { try pool.write { _ in 1 } }
    }

    @Test("a read beside an open write sees the last committed state, not the write's")
    func readerSnapshot() throws {
        let (dir, file) = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pool = try DatabasePool(path: file)
        try pool.write { try $0.execute(sql: "CREATE TABLE n (v INTEGER); INSERT INTO n VALUES (1)") }
        try pool.write { db throws in
            try db.execute(sql: "UPDATE n SET v = 2")
            // The write lock is held; a reader does not wait for it and sees 1.
            #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT v FROM n") } == 1)
        }
        #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT v FROM n") } == 2)
    }

    @Test("concurrent writers and readers: every write lands, reads never fail")
    func concurrency() async throws {
        let (dir, file) = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pool = try DatabasePool(path: file, maximumReaderCount: 2)
        try pool.write { try $0.execute(sql: "CREATE TABLE n (v INTEGER)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<4 {
                group.addTask {
                    for i in 0..<50 {
                        try pool.write { try $0.execute(sql: "INSERT INTO n VALUES (?)", arguments: [task * 100 + i]) }
                        _ = try pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM n") }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM n") } == 200)
    }

    @Test("another connection without a busy timeout is refused at once while the write lock is held; with it, it writes once the lock is free")
    func busyTimeout() throws {
        let (dir, file) = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pool = try DatabasePool(path: file)
        try pool.write { try $0.execute(sql: "CREATE TABLE n (v INTEGER)") }
        let other = try DatabasePool(path: file, busyTimeoutSeconds: 0)
        try pool.write { _ throws in
            let busy = #expect(throws: SQLiteError.self) { try other.write { try $0.execute(sql: "INSERT INTO n VALUES (1)") } }
            #expect(busy?.code == SQLITE_BUSY, "without a timeout the lock is refused at once")
        }
        let patient = try DatabasePool(path: file, busyTimeoutSeconds: 5)
        try patient.write { try $0.execute(sql: "INSERT INTO n VALUES (2)") }
        #expect(try pool.read { try Int.fetchAll($0, sql: "SELECT v FROM n") } == [2])
    }

    static func migrator(log: LogBox) -> DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("one") { db in log.append("one"); try db.execute(sql: "CREATE TABLE a (id INTEGER PRIMARY KEY)") }
        m.registerMigration("two") { db in log.append("two"); try db.execute(sql: "CREATE TABLE b (a INTEGER REFERENCES a(id))") }
        m.registerMigration("three") { db in log.append("three"); try db.execute(sql: "ALTER TABLE a ADD COLUMN name TEXT") }
        return m
    }

    final class LogBox: Sendable {
        private let items = Mutex<[String]>([])
        func append(_ s: String) { items.withLock { $0.append(s) } }
        var all: [String] { items.withLock { $0 } }
    }

    @Test("migrations run once each, in registration order, recorded in grdb_migrations; upTo stops where asked")
    func migrationOrder() throws {
        let (dir, file) = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = LogBox()
        let pool = try DatabasePool(path: file)
        try Self.migrator(log: log).migrate(pool, upTo: "two")
        #expect(try pool.read { try Self.migrator(log: log).appliedMigrations($0) } == ["one", "two"])
        try Self.migrator(log: log).migrate(pool)
        try Self.migrator(log: log).migrate(pool)
        #expect(log.all == ["one", "two", "three"])
        #expect(try pool.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid") } == ["one", "two", "three"])
        #expect(throws: SQLiteError.self) { try Self.migrator(log: log).migrate(pool, upTo: "one") }
        #expect(throws: SQLiteError.self) { try Self.migrator(log: log).migrate(pool, upTo: "four") }
        try pool.writeWithoutTransaction { db throws in
            #expect(try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") == true, "foreign keys are on again after the migrations")
        }
    }

    @Test("a failing migration leaves neither its changes nor its record; one breaking a foreign key fails")
    func failingMigration() throws {
        let (dir, file) = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pool = try DatabasePool(path: file)
        var m = DatabaseMigrator()
        m.registerMigration("one") { db in try db.execute(sql: "CREATE TABLE a (id INTEGER PRIMARY KEY); CREATE TABLE b (a INTEGER REFERENCES a(id))") }
        m.registerMigration("bad") { db throws in
            try db.execute(sql: "CREATE TABLE c (x)")
            try db.execute(sql: "INSERT INTO nowhere VALUES (1)")
        }
        let error = #expect(throws: SQLiteError.self) { try m.migrate(pool) }
        #expect(error?.message.hasPrefix("migration bad:") == true)
        #expect(try pool.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") } == ["one"])
        #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM sqlite_master WHERE name = 'c'") } == 0)

        var orphan = DatabaseMigrator()
        orphan.registerMigration("one") { _ in }
        orphan.registerMigration("orphan") { db in try db.execute(sql: "INSERT INTO b VALUES (42)") }
        let broken = #expect(throws: SQLiteError.self) { try orphan.migrate(pool) }
        #expect(broken?.extendedCode == SQLiteError.constraintForeignKey)
        #expect(try pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM b") } == 0)
    }

    @Test("a file that is not a database gives an error that names it")
    func notADatabase() throws {
        let (dir, file) = temporaryFile()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("this is no database, but a text file long enough to hold a header ............................".utf8)
            .write(to: URL(fileURLWithPath: file))
        let error = #expect(throws: SQLiteError.self) { try DatabasePool(path: file) }
        #expect(error?.extendedCode == SQLITE_NOTADB && "\(error!)".hasPrefix(file + ": file is not a database"))
        let missingDirectory = #expect(throws: SQLiteError.self) { try DatabasePool(path: dir + "/no/such/dir/x.sqlite") }
        #expect(missingDirectory?.code == SQLITE_CANTOPEN && "\(missingDirectory!)".contains(dir + "/no/such/dir/x.sqlite"))
    }
}
