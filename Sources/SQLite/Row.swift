/// One result row: the values by column name (as the statement named them; a name that differs only in case finds the
/// column too, as in SQLite itself).
public struct Row: Sendable {
    /// The column names of one statement, shared by its rows.
    final class Columns: Sendable {
        let names: [String]
        let index: [String: Int]
        /// The statement and the database file, named by a conversion error.
        let sql: String?
        let path: String?

        init(_ names: [String], sql: String? = nil, path: String? = nil) {
            self.names = names
            self.sql = sql
            self.path = path
            var index: [String: Int] = [:]
            for (i, name) in names.enumerated() {
                if index[name] == nil { index[name] = i }
                if index[name.lowercased()] == nil { index[name.lowercased()] = i }
            }
            self.index = index
        }
    }

    let columns: Columns
    /// The values, in column order.
    public let values: [DatabaseValue]

    init(columns: Columns, values: [DatabaseValue]) {
        self.columns = columns
        self.values = values
    }

    /// The column names, in order.
    public var columnNames: [String] { columns.names }

    /// The raw value of `column`; nil if the row has no such column.
    public func databaseValue(_ column: String) -> DatabaseValue? {
        (columns.index[column] ?? columns.index[column.lowercased()]).map { values[$0] }
    }

    /// The value of `column`, nil for NULL (or a missing column).
    ///
    /// A value of another kind (text where a number was stored, a number too large for an `Int32`) throws
    /// SQLITE_MISMATCH naming the column, the value, the statement and the file: a database edited by hand or by another
    /// program must give an error that says where to look, not stop the station (GRDB, which this layer replaced,
    /// stopped the process here).
    public subscript<Value: DatabaseValueConvertible>(_ column: String) -> Value? {
        get throws {
            guard let value = databaseValue(column), value != .null else { return nil }
            return try convert(value, column)
        }
    }

    /// The value of `column`, which must not be NULL (a NOT NULL column): a NULL or a missing column throws as a value of
    /// another kind does.
    public subscript<Value: DatabaseValueConvertible>(_ column: String) -> Value {
        get throws {
            guard let value = databaseValue(column) else {
                throw SQLiteError(extendedCode: 1 /* SQLITE_ERROR */, message: "no column \(column) in \(columns.names)",
                                  sql: columns.sql, path: columns.path)
            }
            return try convert(value, column)
        }
    }

    private func convert<Value: DatabaseValueConvertible>(_ value: DatabaseValue, _ column: String) throws -> Value {
        guard let converted = Value.fromDatabaseValue(value) else {
            throw SQLiteError(extendedCode: 20 /* SQLITE_MISMATCH */, message: "column \(column) holds \(value), not a \(Value.self)",
                              sql: columns.sql, path: columns.path)
        }
        return converted
    }

    /// Every row of `sql`.
    public static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> [Row] {
        var rows: [Row] = []
        try db.statement(sql).rows(arguments.values[...], in: db) { rows.append($0); return true }
        return rows
    }

    /// The first row of `sql`, nil if there is none.
    public static func fetchOne(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> Row? {
        var row: Row?
        try db.statement(sql).rows(arguments.values[...], in: db) { row = $0; return false }
        return row
    }
}

/// A value of the first column that is not a `Value` (a NULL where `fetchAll` wants values, text where a number was
/// stored): SQLITE_MISMATCH with the statement, thrown rather than stopping the process.
func mismatch<Value>(_ value: DatabaseValue, _ type: Value.Type, sql: String, db: Database) -> SQLiteError {
    SQLiteError(extendedCode: 20 /* SQLITE_MISMATCH */, message: "\(value) is not a \(Value.self)", sql: sql, path: db.path)
}

extension DatabaseValueConvertible {
    /// The first column of every row of `sql`; a NULL throws (use `Optional<Value>.fetchAll` for nullable columns).
    public static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> [Self] {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            let value = row.values.first ?? .null
            guard let converted = Self.fromDatabaseValue(value) else { throw mismatch(value, Self.self, sql: sql, db: db) }
            return converted
        }
    }

    /// The first column of the first row of `sql`; nil if there is no row or the value is NULL.
    public static func fetchOne(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> Self? {
        guard let value = try Row.fetchOne(db, sql: sql, arguments: arguments)?.values.first, value != .null else { return nil }
        guard let converted = Self.fromDatabaseValue(value) else { throw mismatch(value, Self.self, sql: sql, db: db) }
        return converted
    }
}

extension Optional where Wrapped: DatabaseValueConvertible {
    /// The first column of every row of `sql`, nil for NULL.
    public static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> [Wrapped?] {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            guard let value = row.values.first, value != .null else { return nil }
            guard let converted = Wrapped.fromDatabaseValue(value) else { throw mismatch(value, Wrapped.self, sql: sql, db: db) }
            return converted
        }
    }
}
