import CSQLite

/// An error of SQLite: its extended result code (https://www.sqlite.org/rescode.html), its message, the statement and
/// the database file it came from. The description names the file, so that a damaged or foreign file at start-up reads
/// as "chargekit.sqlite: file is not a database", not as a bare code.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    /// The extended result code (the connections report extended codes: `SQLITE_CONSTRAINT_UNIQUE`, not `SQLITE_CONSTRAINT`).
    public var extendedCode: Int32
    public var message: String
    /// The statement that failed, if one did.
    public var sql: String?
    /// The database file, if the connection has one (nil in memory).
    public var path: String?

    public init(extendedCode: Int32, message: String, sql: String? = nil, path: String? = nil) {
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
        self.path = path
    }

    // Extended result codes of constraint violations (https://www.sqlite.org/rescode.html#constraint_foreignkey …):
    // macros of sqlite3.h that Swift does not import.
    public static let constraintCheck: Int32 = 275
    public static let constraintForeignKey: Int32 = 787
    public static let constraintNotNull: Int32 = 1299
    public static let constraintPrimaryKey: Int32 = 1555
    public static let constraintUnique: Int32 = 2067

    /// The primary result code (the low byte of the extended one).
    public var code: Int32 { extendedCode & 0xFF }

    /// A UNIQUE, NOT NULL, CHECK, PRIMARY KEY or FOREIGN KEY constraint refused the write.
    public var isConstraintViolation: Bool { code == SQLITE_CONSTRAINT }

    /// The file is damaged (SQLITE_CORRUPT) or no SQLite database at all (SQLITE_NOTADB).
    public var isCorruptFile: Bool { code == SQLITE_CORRUPT || code == SQLITE_NOTADB }

    public var description: String {
        var text = (path.map { "\($0): " } ?? "") + message + " (SQLite error \(extendedCode))"
        if let sql { text += " in `\(sql.count > 200 ? String(sql.prefix(200)) + "…" : sql)`" }
        return text
    }
}
