#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
import Darwin
#endif

/// Access to a database from any thread: reads and writes are closures that get a ``Database`` for their duration.
/// Calls block the calling thread until the connection is free (as GRDB's synchronous calls did); they are not reentrant
/// (a `write` inside a `write` waits for itself).
public protocol DatabaseWriter: AnyObject, Sendable {
    /// Runs `body` on a connection that cannot write (`PRAGMA query_only`), in a DEFERRED transaction: every statement
    /// of `body` sees the same snapshot.
    func read<T>(_ body: (Database) throws -> T) throws -> T
    /// Runs `body` on the writing connection, outside a transaction (migrations, pragmas).
    func writeWithoutTransaction<T>(_ body: (Database) throws -> T) throws -> T
    /// Closes the connections; later calls throw.
    func close() throws
}

extension DatabaseWriter {
    /// Runs `body` in an IMMEDIATE transaction on the writing connection: the write lock is taken at BEGIN, so a write
    /// never fails half-way with SQLITE_BUSY for another process's lock (the busy timeout applies at BEGIN); committed
    /// when `body` returns, rolled back when it throws. It returns after the COMMIT: what it wrote is durable (in WAL
    /// mode with `synchronous = NORMAL`, durable against a crash of the process; see ``DatabasePool``).
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        try writeWithoutTransaction { db in try db.inTransaction(.immediate) { try body(db) } }
    }
}

/// A pthread mutex with a condition, for the connections' hand-over (Synchronization's `Mutex` has no condition to
/// wait on for a free reader).
final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits for ``signal()``; only inside ``withLock(_:)``.
    func wait() { pthread_cond_wait(condition, mutex) }

    func signal() { pthread_cond_signal(condition) }

    /// Wakes every waiter (the pool's close: each of them must see it closed, not only the first).
    func broadcast() { pthread_cond_broadcast(condition) }
}

/// One connection for everything, one closure at a time: the in-memory databases of the tests, and plain files opened
/// in the journal mode they have.
public final class DatabaseQueue: DatabaseWriter, @unchecked Sendable {
    private let lock = ConditionLock()
    // Only touched inside `lock`.
    private let db: Database

    /// A private in-memory database (gone with the queue).
    public init(busyTimeoutSeconds: Double = 5) throws {
        db = try Database(path: nil, busyTimeoutSeconds: busyTimeoutSeconds)
    }

    /// The file `path`, created if missing.
    public init(path: String, busyTimeoutSeconds: Double = 5) throws {
        db = try Database(path: path, busyTimeoutSeconds: busyTimeoutSeconds)
    }

    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        try lock.withLock {
            try db.execute(sql: "PRAGMA query_only = 1")
            defer { try? db.execute(sql: "PRAGMA query_only = 0") }
            return try db.inTransaction(.deferred) { try body(db) }
        }
    }

    public func writeWithoutTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        try lock.withLock { try body(db) }
    }

    public func close() throws { lock.withLock { db.close() } }
}

/// A database file in WAL mode (https://www.sqlite.org/wal.html): one writing connection, and up to
/// `maximumReaderCount` reading connections opened as they are needed, so that reads (the web interface, the metrics)
/// run beside a write instead of waiting for it, each on a snapshot of its own.
///
/// The settings are those GRDB's `DatabasePool` had, so that the durability of the stores did not change with issue
/// 31 item 1: `journal_mode = WAL`, `synchronous = NORMAL` (a committed transaction survives a crash of the process;
/// a power loss may lose the last transactions before a checkpoint, never corrupt the file: https://www.sqlite.org/pragma.html#pragma_synchronous),
/// `foreign_keys = ON`, writes in IMMEDIATE transactions, reads in DEFERRED ones, a busy timeout for other processes'
/// locks (`chargekit accounts` opens the file beside a running station).
public final class DatabasePool: DatabaseWriter, @unchecked Sendable {
    public let path: String
    private let busyTimeoutSeconds: Double
    private let maximumReaderCount: Int
    private let writerLock = ConditionLock()
    // Only touched inside `writerLock`.
    private let writer: Database
    private let readerLock = ConditionLock()
    // Only touched inside `readerLock`.
    private var idleReaders: [Database] = []
    private var readerCount = 0
    private var closed = false

    /// Opens (creating if missing) `path` and switches it to WAL. A file that is not an SQLite database, or a damaged
    /// one, throws an ``SQLiteError`` naming the file.
    public init(path: String, busyTimeoutSeconds: Double = 5, maximumReaderCount: Int = 5) throws {
        self.path = path
        self.busyTimeoutSeconds = busyTimeoutSeconds
        self.maximumReaderCount = max(1, maximumReaderCount)
        writer = try Database(path: path, busyTimeoutSeconds: busyTimeoutSeconds)
        let mode = try String.fetchOne(writer, sql: "PRAGMA journal_mode = WAL")
        guard mode == "wal" else {
            throw SQLiteError(extendedCode: 1, message: "the journal mode stays \(mode ?? "unknown"), not WAL", path: path)
        }
        try writer.execute(sql: "PRAGMA synchronous = NORMAL")
    }

    public func writeWithoutTransaction<T>(_ body: (Database) throws -> T) throws -> T {
        try writerLock.withLock { try body(writer) }
    }

    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        let reader = try checkOutReader()
        defer { checkIn(reader) }
        return try reader.inTransaction(.deferred) { try body(reader) }
    }

    /// An idle reader, a new one while there are fewer than the maximum, else the next one returned.
    private func checkOutReader() throws -> Database {
        try readerLock.withLock {
            while true {
                guard !closed else { throw SQLiteError(extendedCode: 21 /* SQLITE_MISUSE */, message: "the database is closed", path: path) }
                if let reader = idleReaders.popLast() { return reader }
                if readerCount < maximumReaderCount {
                    // Read-write but query_only: a connection opened read-only could not create the `-shm` file.
                    let reader = try Database(path: path, busyTimeoutSeconds: busyTimeoutSeconds)
                    try reader.execute(sql: "PRAGMA query_only = 1")
                    readerCount += 1
                    return reader
                }
                readerLock.wait()
            }
        }
    }

    private func checkIn(_ reader: Database) {
        readerLock.withLock {
            if closed {
                reader.close()
                readerCount -= 1
            } else {
                idleReaders.append(reader)
            }
            readerLock.signal()
        }
    }

    public func close() throws {
        readerLock.withLock {
            closed = true
            for reader in idleReaders { reader.close() }
            readerCount -= idleReaders.count
            idleReaders = []
            readerLock.broadcast()
        }
        writerLock.withLock { writer.close() }
    }
}
