/// The schema's migrations, in order, each applied once and recorded by its identifier.
///
/// The record is GRDB's table `grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)`, kept under its name: a
/// database written by a version that still used GRDB opens and migrates on from where it was. Each migration runs as
/// GRDB's did by default (https://www.sqlite.org/lang_altertable.html#otheralter): foreign keys off, an IMMEDIATE
/// transaction with the migration and its record, `PRAGMA foreign_key_check` before the COMMIT, foreign keys on again;
/// a migration that throws leaves nothing behind.
public struct DatabaseMigrator: Sendable {
    public typealias Migrate = @Sendable (Database) throws -> Void

    private var migrations: [(identifier: String, migrate: Migrate)] = []

    public init() {}

    /// Adds a migration after the registered ones. Identifiers are unique: a repeated one is a programming error.
    public mutating func registerMigration(_ identifier: String, migrate: @escaping Migrate) {
        precondition(!migrations.contains { $0.identifier == identifier }, "migration \(identifier) registered twice")
        migrations.append((identifier, migrate))
    }

    /// The registered identifiers, in order.
    public var identifiers: [String] { migrations.map(\.identifier) }

    /// Applies every migration not applied yet, in order.
    public func migrate(_ writer: any DatabaseWriter) throws {
        guard let last = migrations.last else { return }
        try migrate(writer, upTo: last.identifier)
    }

    /// Applies the migrations not applied yet up to `target` (included).
    public func migrate(_ writer: any DatabaseWriter, upTo target: String) throws {
        guard let targetIndex = migrations.firstIndex(where: { $0.identifier == target }) else {
            throw SQLiteError(extendedCode: 21 /* SQLITE_MISUSE */, message: "no migration \(target)")
        }
        try writer.writeWithoutTransaction { db in
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
            let applied = try appliedIdentifiers(db)
            if let lastApplied = migrations.lastIndex(where: { applied.contains($0.identifier) }), lastApplied > targetIndex {
                throw SQLiteError(extendedCode: 21, message: "the database is migrated beyond \(target)", path: db.path)
            }
            for migration in migrations[...targetIndex] where !applied.contains(migration.identifier) {
                try run(migration, db)
            }
        }
    }

    private func run(_ migration: (identifier: String, migrate: Migrate), _ db: Database) throws {
        try db.execute(sql: "PRAGMA foreign_keys = OFF")
        defer { try? db.execute(sql: "PRAGMA foreign_keys = ON") }
        do {
            try db.inTransaction(.immediate) {
                try migration.migrate(db)
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [migration.identifier])
                if let broken = try Row.fetchOne(db, sql: "PRAGMA foreign_key_check") {
                    throw SQLiteError(extendedCode: SQLiteError.constraintForeignKey,
                                      message: "FOREIGN KEY constraint violation in \(broken.values.first.map { "\($0)" } ?? "a table")",
                                      path: db.path)
                }
            }
        } catch var error as SQLiteError {
            error.message = "migration \(migration.identifier): \(error.message)"
            throw error
        }
    }

    /// The identifiers recorded in the database, also those this version does not know (written by a newer one).
    public func appliedIdentifiers(_ db: Database) throws -> Set<String> {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'grdb_migrations'") == true else {
            return []
        }
        return Set(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"))
    }

    /// The registered migrations that are applied, in registration order.
    public func appliedMigrations(_ db: Database) throws -> [String] {
        let applied = try appliedIdentifiers(db)
        return migrations.map(\.identifier).filter(applied.contains)
    }
}
