import Foundation
import Testing
import CSQLite
@testable import SQLite

/// The SQLite layer on its own: values in and out, errors, transactions, the statement cache.
@Suite("SQLite connections and values")
struct SQLiteTests {
    func memory() throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.write { db throws in
            try db.execute(sql: """
                CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB, f INTEGER);
                CREATE TABLE u (name TEXT NOT NULL UNIQUE, parent INTEGER REFERENCES t(id));
                """)
        }
        return queue
    }

    @Test("every bound type reads back as itself: integers, doubles, booleans, text, bytes, Data, NULL")
    func roundTrip() throws {
        let queue = try memory()
        let text = "Grüße 😀 with a \u{0} inside"
        try queue.write { db throws in
            try db.execute(sql: "INSERT INTO t(id, i, r, s, b, f) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [1, Int64.max, -0.125, text, [UInt8]([0, 1, 255]), true])
            try db.execute(sql: "INSERT INTO t(id, i, r, s, b, f) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [Int32(2), Int.min, Double.greatestFiniteMagnitude, "", Data(), false])
            try db.execute(sql: "INSERT INTO t(id, i, r, s, b, f) VALUES (?, ?, ?, ?, ?, ?)", arguments: [3, nil, nil, nil, nil, nil])
            try db.execute(sql: "INSERT INTO t(id, b) VALUES (?, ?)", arguments: [4, Data([9, 8, 7])])
        }
        let rows = try queue.read { try Row.fetchAll($0, sql: "SELECT * FROM t ORDER BY id") }
        #expect(rows.count == 4)
        #expect(try rows[0]["i"] as Int64 == .max && rows[0]["r"] as Double == -0.125 && rows[0]["s"] as String == text)
        #expect(try rows[0]["b"] as [UInt8] == [0, 1, 255] && rows[0]["f"] as Bool == true)
        #expect(try rows[1]["i"] as Int == .min && rows[1]["r"] as Double == .greatestFiniteMagnitude && rows[1]["f"] as Bool == false)
        #expect(try rows[1]["s"] as String == "", "an empty string is text, not NULL")
        #expect(try rows[1]["b"] as Data == Data(), "an empty blob is a blob, not NULL")
        #expect(try rows[1].databaseValue("s") == .text("") && rows[1].databaseValue("b") == .blob([]))
        #expect(try rows[2]["i"] as Int? == nil && rows[2]["r"] as Double? == nil && rows[2]["s"] as String? == nil)
        #expect(try rows[2]["b"] as Data? == nil && rows[2]["f"] as Bool? == nil && rows[2].databaseValue("i") == .null)
        #expect(try rows[3]["b"] as Data == Data([9, 8, 7]))
        #expect(try rows[0]["ID"] as Int == 1, "column names ignore case, as in SQL")
        #expect(try rows[0]["missing"] as Int? == nil)
        #expect(try queue.read { try Data.fetchOne($0, sql: "SELECT b FROM t WHERE id = 4") } == Data([9, 8, 7]))
        #expect(try queue.read { try String?.fetchAll($0, sql: "SELECT s FROM t ORDER BY id") } == [text, "", nil, nil])
    }

    @Test("a value of another kind, a NULL in a non-optional read and a missing column throw, naming the column, the statement and the file")
    func mismatchThrows() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-mismatch-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("x.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try queue.write { db throws in
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, s TEXT)")
            // SQLite keeps what it is given when it cannot convert: a hand-edited file can hold text in a number column.
            try db.execute(sql: "INSERT INTO t(id, i, s) VALUES (1, 'twelve', NULL), (2, 4294967296, 'x')")
        }
        let rows = try queue.read { try Row.fetchAll($0, sql: "SELECT * FROM t ORDER BY id") }
        func failure(_ read: () throws -> Void) -> SQLiteError? {
            do { try read(); return nil } catch { return error as? SQLiteError }
        }
        let text = failure { _ = try rows[0]["i"] as Int? }
        #expect(text?.code == SQLITE_MISMATCH && text?.path == path && text?.sql == "SELECT * FROM t ORDER BY id")
        #expect(text?.description.contains("column i holds") == true && text?.description.contains("not a Int") == true,
                "\(String(describing: text))")
        #expect(failure { _ = try rows[1]["i"] as Int32 }?.code == SQLITE_MISMATCH, "2^32 is no Int32")
        #expect(failure { _ = try rows[0]["s"] as String }?.code == SQLITE_MISMATCH, "NULL in a non-optional read")
        #expect(failure { _ = try rows[0]["nothing"] as Int }?.description.contains("no column nothing") == true)
        #expect(try rows[1]["i"] as Int64 == 4_294_967_296 && rows[1]["s"] as String == "x", "the other values still read")
    }

    @Test("numbers convert as GRDB converted them; fetchOne is nil for no row and for NULL")
    func conversions() throws {
        let queue = try memory()
        try queue.read { db throws in
            #expect(try Double.fetchOne(db, sql: "SELECT 3") == 3)
            #expect(try Int.fetchOne(db, sql: "SELECT 4.0") == 4)
            #expect(try Bool.fetchOne(db, sql: "SELECT 2") == true)
            #expect(try String.fetchOne(db, sql: "SELECT CAST('abc' AS BLOB)") == "abc")
            #expect(try Int.fetchOne(db, sql: "SELECT NULL") == nil)
            #expect(try Int.fetchOne(db, sql: "SELECT id FROM t") == nil)
            #expect(try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM t") == nil)
            #expect(try Int.fetchAll(db, sql: "SELECT 1 UNION ALL SELECT 2") == [1, 2])
            let inexact = #expect(throws: SQLiteError.self) { try Int.fetchOne(db, sql: "SELECT 4.5") }
            #expect(inexact?.code == 20 && inexact?.sql == "SELECT 4.5", "a mismatch throws, it does not stop the process")
            #expect(throws: SQLiteError.self) { try Int.fetchAll(db, sql: "SELECT NULL") }
        }
    }

    @Test("errors carry SQLite's code, message and statement; constraint violations are recognised")
    func errors() throws {
        let queue = try memory()
        try queue.write { try $0.execute(sql: "INSERT INTO u(name) VALUES ('a')") }
        let unique = #expect(throws: SQLiteError.self) { try queue.write { try $0.execute(sql: "INSERT INTO u(name) VALUES (?)", arguments: ["a"]) } }
        #expect(unique?.isConstraintViolation == true && unique?.extendedCode == SQLiteError.constraintUnique)
        #expect(unique?.message.contains("UNIQUE constraint failed: u.name") == true)
        let notNull = #expect(throws: SQLiteError.self) { try queue.write { try $0.execute(sql: "INSERT INTO u(name) VALUES (NULL)") } }
        #expect(notNull?.extendedCode == SQLiteError.constraintNotNull)
        let foreignKey = #expect(throws: SQLiteError.self) { try queue.write { try $0.execute(sql: "INSERT INTO u(name, parent) VALUES ('b', 99)") } }
        #expect(foreignKey?.extendedCode == SQLiteError.constraintForeignKey, "foreign keys are enforced, as GRDB enforced them")
        let syntax = #expect(throws: SQLiteError.self) { try queue.write { try $0.execute(sql: "INSERT INTO nowhere VALUES (1)") } }
        #expect(syntax?.code == SQLITE_ERROR && syntax?.sql == "INSERT INTO nowhere VALUES (1)" && "\(syntax!)".contains("no such table: nowhere"))
        #expect(throws: SQLiteError.self) { try queue.write { try $0.execute(sql: "INSERT INTO u(name) VALUES (?)", arguments: ["c", "d"]) } }
        #expect(throws: SQLiteError.self) { try queue.write { try $0.execute(sql: "INSERT INTO u(name) VALUES (?)") } }
        #expect(throws: SQLiteError.self) { try queue.write { try $0.execute(sql: "INSERT INTO u(name) VALUES (\"x\")") } }
        #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM u") } == 1)
    }

    struct Refused: Error {}

    @Test("a write that throws is rolled back whole; a read cannot write")
    func transactions() throws {
        let queue = try memory()
        #expect(throws: Refused.self) {
            try queue.write { db throws in
                try db.execute(sql: "INSERT INTO u(name) VALUES ('first')")
                #expect(db.isInsideTransaction && db.changesCount == 1)
                throw Refused()
            }
        }
        #expect(throws: SQLiteError.self) {
            try queue.write { db throws in
                try db.execute(sql: "INSERT INTO u(name) VALUES ('second')")
                try db.execute(sql: "INSERT INTO u(name) VALUES ('second')")
            }
        }
        #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM u") } == 0)
        let readOnly = #expect(throws: SQLiteError.self) { try queue.read { try $0.execute(sql: "INSERT INTO u(name) VALUES ('r')") } }
        #expect(readOnly?.code == SQLITE_READONLY)
        try queue.write { try $0.execute(sql: "INSERT INTO u(name) VALUES ('after')") }
        #expect(try queue.read { try String.fetchAll($0, sql: "SELECT name FROM u") } == ["after"], "the queue writes again after a read")
    }

    @Test("a statement is prepared once and reused with new arguments; schema changes re-prepare it")
    func statementCache() throws {
        let queue = try memory()
        try queue.write { db throws in
            for i in 0..<100 { try db.execute(sql: "INSERT INTO t(i) VALUES (?)", arguments: [i]) }
            let first = try db.statement("SELECT COUNT(*) FROM t WHERE i < ?")
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t WHERE i < ?", arguments: [10]) == 10)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t WHERE i < ?", arguments: [50]) == 50)
            #expect(try db.statement("SELECT COUNT(*) FROM t WHERE i < ?") === first)
            #expect(try Row.fetchOne(db, sql: "SELECT * FROM t")?.columnNames.contains("extra") == false)
            try db.execute(sql: "ALTER TABLE t ADD COLUMN extra TEXT DEFAULT 'new'")
            #expect(try Row.fetchOne(db, sql: "SELECT * FROM t")?["extra"] as String? == "new", "the cached SELECT * sees the new column")
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM t WHERE i < ?", arguments: [5]) == 5)
        }
    }

    @Test("several statements in one text take the arguments in order")
    func script() throws {
        let queue = try memory()
        try queue.write { db throws in
            try db.execute(sql: "INSERT INTO u(name) VALUES (?); INSERT INTO u(name) VALUES (?);\n-- done\n", arguments: ["x", "y"])
        }
        #expect(try queue.read { try String.fetchAll($0, sql: "SELECT name FROM u ORDER BY name") } == ["x", "y"])
    }
}
