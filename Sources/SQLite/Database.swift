import CSQLite

/// One SQLite connection (https://www.sqlite.org/c3ref/sqlite3.html). Not thread-safe on its own: a ``DatabaseQueue``
/// or ``DatabasePool`` hands it to one closure at a time, which is the only place code sees it.
///
/// The names (`execute(sql:arguments:)`, `changesCount`, `Row.fetchAll(db, sql:)`) are those of GRDB, which the stores
/// used until issue 31 item 1 replaced it: the SQL of the stores stayed as it was, only the layer under it changed.
public final class Database {
    /// The file (nil: in memory).
    public let path: String?
    var handle: OpaquePointer?
    /// Prepared statements by their SQL text, reused by every later execution of the same text (the hot writes of the
    /// acknowledgement path run the same few statements over and over; preparing one costs as much as running it).
    private var cache: [String: Statement] = [:]
    /// Beyond this many distinct statements new ones are prepared each time (SQL built with a variable `IN (?, …)` list
    /// must not grow the cache without bound).
    static let cacheCapacity = 256
    /// SQLite's page cache per connection, in KiB (`PRAGMA cache_size = -N`, https://www.sqlite.org/pragma.html#pragma_cache_size;
    /// SQLite's default is 2,000 KiB). Every connection keeps its own, the station has a writer and up to five readers,
    /// and a cache grows with the pages a connection reads until it is full: with the default the station's heap grew
    /// by about 0.4 MiB a simulated day while its database grew through its first days (the soak, issue 31 item 2). The
    /// database is small (well under a MiB after a day of sessions) and the operating system keeps its file pages
    /// cached anyway, so a page missed here is a copy from memory, not a read from the flash.
    static let pageCacheKiB = 128

    /// Opens `path` (nil: a private in-memory database) with the ChargeKit settings: extended result codes, foreign
    /// keys enforced, no double-quoted string literals, `busyTimeoutSeconds` of waiting for another connection's lock.
    init(path: String?, readOnly: Bool = false, busyTimeoutSeconds: Double) throws {
        self.path = path
        var flags = SQLITE_OPEN_NOMUTEX | (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        if path == nil { flags |= SQLITE_OPEN_MEMORY }
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path ?? ":memory:", &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw SQLiteError(extendedCode: rc, message: message, path: path)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        csqlite_disable_double_quoted_strings(db)
        sqlite3_busy_timeout(db, Int32(busyTimeoutSeconds * 1000))
        try execute(sql: "PRAGMA foreign_keys = ON")
        try execute(sql: "PRAGMA cache_size = -\(Self.pageCacheKiB)")
    }

    deinit { close() }

    /// Finalizes the cached statements and closes the connection; later calls throw SQLITE_MISUSE.
    func close() {
        cache.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    func connection() throws -> OpaquePointer {
        guard let handle else { throw SQLiteError(extendedCode: SQLITE_MISUSE, message: "the database is closed", path: path) }
        return handle
    }

    func error(_ rc: Int32, sql: String?) -> SQLiteError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
        return SQLiteError(extendedCode: handle.map { sqlite3_extended_errcode($0) } ?? rc, message: message, sql: sql, path: path)
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE (https://www.sqlite.org/c3ref/changes.html).
    public var changesCount: Int { handle.map { Int(sqlite3_changes64($0)) } ?? 0 }

    /// The rowid of the last INSERT.
    public var lastInsertedRowID: Int64 { handle.map { sqlite3_last_insert_rowid($0) } ?? 0 }

    /// True inside BEGIN … COMMIT.
    public var isInsideTransaction: Bool { handle.map { sqlite3_get_autocommit($0) == 0 } ?? false }

    /// Runs `sql`: one statement, or several separated by `;` (a migration's script), the arguments consumed in order.
    /// Throws if the arguments are more or fewer than the parameters.
    public func execute(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        if let cached = cache[sql] {
            try cached.run(arguments.values[...], in: self)
            return
        }
        let db = try connection()
        var remaining = arguments.values[...]
        try sql.withCString { start in
            var tail: UnsafePointer<CChar>? = start
            while let current = tail, current.pointee != 0 {
                var stmt: OpaquePointer?
                let rc = sqlite3_prepare_v2(db, current, -1, &stmt, &tail)
                guard rc == SQLITE_OK else { throw error(rc, sql: sql) }
                guard let stmt else { continue }  // whitespace or a comment only
                let statement = Statement(stmt, sql: sql)
                let parameters = Int(sqlite3_bind_parameter_count(stmt))
                guard parameters <= remaining.count else {
                    throw SQLiteError(extendedCode: SQLITE_RANGE, message: "\(parameters) parameters, \(remaining.count) arguments left", sql: sql, path: path)
                }
                try statement.run(remaining.prefix(parameters), in: self)
                remaining = remaining.dropFirst(parameters)
                if start == current, tail.map({ Self.isBlank($0) }) ?? true, cache.count < Self.cacheCapacity { cache[sql] = statement }
            }
        }
        guard remaining.isEmpty else {
            throw SQLiteError(extendedCode: SQLITE_RANGE, message: "\(remaining.count) arguments more than parameters", sql: sql, path: path)
        }
    }

    /// The statement of `sql` (exactly one), from the cache or prepared and cached.
    func statement(_ sql: String) throws -> Statement {
        if let cached = cache[sql] { return cached }
        let db = try connection()
        var stmt: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let isSingle = try sql.withCString { start -> Bool in
            let rc = sqlite3_prepare_v2(db, start, -1, &stmt, &tail)
            guard rc == SQLITE_OK else { throw error(rc, sql: sql) }
            return tail.map { Self.isBlank($0) } ?? true
        }
        guard let stmt else { throw SQLiteError(extendedCode: SQLITE_MISUSE, message: "no statement", sql: sql, path: path) }
        let statement = Statement(stmt, sql: sql)
        guard isSingle else {
            throw SQLiteError(extendedCode: SQLITE_MISUSE, message: "a query must be one statement", sql: sql, path: path)
        }
        if cache.count < Self.cacheCapacity { cache[sql] = statement }
        return statement
    }

    /// Only spaces, line ends and `;` are left (SQL comments after the last statement are prepared as none).
    private static func isBlank(_ p: UnsafePointer<CChar>) -> Bool {
        var p = p
        while p.pointee != 0 {
            switch UInt8(bitPattern: p.pointee) {
            case 0x20, 0x09, 0x0A, 0x0D, 0x3B: p += 1
            default: return false
            }
        }
        return true
    }

    // MARK: Transactions

    /// The kinds of https://www.sqlite.org/lang_transaction.html: DEFERRED takes the locks at the first read or write,
    /// IMMEDIATE the write lock at once (no later SQLITE_BUSY upgrading a read), EXCLUSIVE keeps readers out too
    /// (in WAL mode the same as IMMEDIATE).
    public enum TransactionKind: String, Sendable {
        case deferred = "DEFERRED", immediate = "IMMEDIATE", exclusive = "EXCLUSIVE"
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws (the first error is the one
    /// thrown; a failed rollback's error only when the body did not throw).
    public func inTransaction<T>(_ kind: TransactionKind, _ body: () throws -> T) throws -> T {
        try execute(sql: "BEGIN \(kind.rawValue) TRANSACTION")
        let result: T
        do {
            result = try body()
            try execute(sql: "COMMIT TRANSACTION")
        } catch {
            // SQLite may have rolled back already (a full disk, an interrupted statement): then there is nothing to roll back.
            if isInsideTransaction { try? execute(sql: "ROLLBACK TRANSACTION") }
            throw error
        }
        return result
    }
}

/// A prepared statement (https://www.sqlite.org/c3ref/stmt.html), finalized with its last reference.
final class Statement {
    let handle: OpaquePointer
    let sql: String
    /// The result's column names, with the re-prepare count they belong to: a cached statement reads its names once,
    /// not at every execution, until SQLite re-prepares it for a changed schema (`SELECT *` after an ALTER TABLE).
    private var columns: (names: Row.Columns, reprepared: Int32)?

    init(_ handle: OpaquePointer, sql: String) {
        self.handle = handle
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Binds `arguments` (exactly as many as parameters) after clearing the previous ones.
    func bind(_ arguments: ArraySlice<DatabaseValue>, in db: Database) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        let parameters = Int(sqlite3_bind_parameter_count(handle))
        guard parameters == arguments.count else {
            throw SQLiteError(extendedCode: SQLITE_RANGE, message: "\(parameters) parameters, \(arguments.count) arguments", sql: sql, path: db.path)
        }
        for (offset, value) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(handle, index)
            case .integer(let v): rc = sqlite3_bind_int64(handle, index, v)
            case .double(let v): rc = sqlite3_bind_double(handle, index, v)
            case .text(var v):
                rc = v.withUTF8 { bytes in
                    bytes.withMemoryRebound(to: CChar.self) { chars in
                        // An empty buffer may have no address; SQLite would bind NULL for a null pointer.
                        chars.baseAddress.map { csqlite_bind_text(handle, index, $0, Int32(chars.count)) }
                            ?? csqlite_bind_text(handle, index, "", 0)
                    }
                }
            case .blob(let v):
                rc = v.isEmpty ? sqlite3_bind_zeroblob(handle, index, 0)
                    : v.withUnsafeBytes { csqlite_bind_blob(handle, index, $0.baseAddress, Int32($0.count)) }
            }
            guard rc == SQLITE_OK else { throw db.error(rc, sql: sql) }
        }
    }

    /// Runs the statement to its end, discarding rows.
    func run(_ arguments: ArraySlice<DatabaseValue>, in db: Database) throws {
        try bind(arguments, in: db)
        defer { sqlite3_reset(handle) }
        while true {
            let rc = sqlite3_step(handle)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw db.error(rc, sql: sql) }
        }
    }

    /// Runs the statement, handing each row to `body` until it returns false.
    func rows(_ arguments: ArraySlice<DatabaseValue>, in db: Database, _ body: (Row) throws -> Bool) throws {
        try bind(arguments, in: db)
        defer { sqlite3_reset(handle) }
        var names: Row.Columns?
        while true {
            let rc = sqlite3_step(handle)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw db.error(rc, sql: sql) }
            // After the first step: a re-prepare for a changed schema happens in it.
            let current = names ?? columnNames(db)
            names = current
            guard try body(Row(columns: current, values: (0..<Int32(current.names.count)).map(value))) else { return }
        }
    }

    /// The column names of the statement as prepared now.
    private func columnNames(_ db: Database) -> Row.Columns {
        let reprepared = sqlite3_stmt_status(handle, SQLITE_STMTSTATUS_REPREPARE, 0)
        if let columns, columns.reprepared == reprepared { return columns.names }
        let names = Row.Columns((0..<sqlite3_column_count(handle)).map { String(cString: sqlite3_column_name(handle, $0)) },
                                sql: sql, path: db.path)
        columns = (names, reprepared)
        return names
    }

    /// Column `i` of the current row.
    func value(_ i: Int32) -> DatabaseValue {
        switch sqlite3_column_type(handle, i) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(handle, i))
        case SQLITE_FLOAT: return .double(sqlite3_column_double(handle, i))
        case SQLITE_TEXT:
            let count = Int(sqlite3_column_bytes(handle, i))
            guard let text = sqlite3_column_text(handle, i) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, i))
            guard let bytes = sqlite3_column_blob(handle, i), count > 0 else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default: return .null
        }
    }
}
