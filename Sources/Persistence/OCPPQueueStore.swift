#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SQLite
import ChargePoint
import EVSECore
import Firmware

/// The persistent queue of OCPP transaction messages: written in the same SQLite transaction as the session change
/// (so a `kill -9` can neither lose nor duplicate one), delivered in order, removed only when the central system
/// answered.
///
/// - SeeAlso: OCPP 1.6 §3.7, §4.10 (transaction-related messages), errata 3.18 (transactionId −1).
extension StationDatabase: OCPPStore {
    static func enqueue(_ db: Database, action: String, session: UUID?, payload: String?, at: Date) throws {
        try db.execute(sql: "INSERT INTO ocppQueue(messageId, action, sessionId, payload, createdAt) VALUES (?, ?, ?, ?, ?)",
                       arguments: [UUID().uuidString.lowercased(), action, session?.uuidString, payload, at.timeIntervalSince1970])
    }

    /// Queues a MeterValues payload (JSON text) of a session. Beyond ``RetentionPolicy/queuedMeterValuesMax`` queued
    /// MeterValues the oldest are dropped in the same write (a backend away for weeks must not fill the disk; issue #20
    /// item 6); StartTransaction and StopTransaction are never dropped. Returns how many were dropped.
    @discardableResult
    public func enqueueMeterValues(session: UUID, payload: String, at: Date, capacity: Int) throws -> Int {
        try writer.write { db in
            try Self.enqueue(db, action: "MeterValues", session: session, payload: payload, at: at)
            let excess = (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ocppQueue WHERE action = 'MeterValues'") ?? 0) - capacity
            guard excess > 0 else { return 0 }
            try db.execute(sql: """
                DELETE FROM ocppQueue WHERE seq IN (SELECT seq FROM ocppQueue WHERE action = 'MeterValues' ORDER BY seq LIMIT ?)
                """, arguments: [excess])
            return db.changesCount
        }
    }

    /// The oldest queued message with its session.
    public func transactionQueueHead() throws -> QueuedTransactionMessage? {
        try writer.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM ocppQueue ORDER BY seq LIMIT 1") else { return nil }
            let sessionID = try (row["sessionId"] as String?).flatMap(UUID.init(uuidString:))
            var record: SessionRecord?
            var transactionID: Int?
            if let sessionID, let s = try Row.fetchOne(db, sql: "SELECT * FROM session WHERE id = ?", arguments: [sessionID.uuidString]) {
                record = try Self.sessionRecord(s)
                transactionID = try s["transactionId"]
            }
            return try QueuedTransactionMessage(sequence: row["seq"], messageID: row["messageId"], action: row["action"], sessionID: sessionID,
                                            payload: row["payload"], session: record, transactionID: transactionID)
        }
    }

    /// When the oldest queued message was queued (nil: the queue is empty); its age is a Prometheus gauge.
    public func transactionQueueOldestCreatedAt() throws -> Date? {
        try writer.read { db in
            try Double.fetchOne(db, sql: "SELECT createdAt FROM ocppQueue ORDER BY seq LIMIT 1").map(Date.init(timeIntervalSince1970:))
        }
    }

    /// Number of queued messages.
    public func transactionQueueCount() throws -> Int {
        try writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ocppQueue") ?? 0 }
    }

    /// Keeps a meter value (JSON) of a session for its StopTransaction's transactionData (StopTxnSampledData at
    /// Transaction.Begin/End, StopTxnAlignedData at every clock-aligned interval).
    public func appendTransactionData(session: UUID, payload: String) throws {
        try writer.write { db in
            try db.execute(sql: "INSERT INTO ocppTransactionData(sessionId, payload) VALUES (?, ?)", arguments: [session.uuidString, payload])
        }
    }

    /// The meter values kept for a session's StopTransaction, oldest first.
    public func transactionData(session: UUID) throws -> [String] {
        try writer.read { db in
            try String.fetchAll(db, sql: "SELECT payload FROM ocppTransactionData WHERE sessionId = ? ORDER BY id", arguments: [session.uuidString])
        }
    }

    /// The central system answered message `sequence`. A StartTransaction answer maps the session to its
    /// transactionId, a StopTransaction answer (`finished`) forgets the session's transactionData, in the same transaction.
    public func transactionMessageDelivered(_ sequence: Int64, session: UUID?, transactionID: Int?, finished: Bool) throws {
        try writer.write { db in
            if let session, let transactionID {
                try db.execute(sql: "UPDATE session SET transactionId = ?, transactionDelivered = 1 WHERE id = ?",
                               arguments: [transactionID, session.uuidString])
            }
            if let session, finished {
                try db.execute(sql: "DELETE FROM ocppTransactionData WHERE sessionId = ?", arguments: [session.uuidString])
            }
            try db.execute(sql: "DELETE FROM ocppQueue WHERE seq = ?", arguments: [sequence])
        }
    }

    /// The central system failed to process message `sequence` (CALLERROR): counts the attempt and drops the
    /// message once `maxAttempts` is reached. Returns the attempts so far and whether it was dropped.
    public func transactionMessageFailed(_ sequence: Int64, maxAttempts: Int) throws -> (attempts: Int, dropped: Bool) {
        try writer.write { db in
            try db.execute(sql: "UPDATE ocppQueue SET attempts = attempts + 1 WHERE seq = ?", arguments: [sequence])
            let attempts = try Int.fetchOne(db, sql: "SELECT attempts FROM ocppQueue WHERE seq = ?", arguments: [sequence]) ?? maxAttempts
            if attempts >= maxAttempts {
                try db.execute(sql: "DELETE FROM ocppQueue WHERE seq = ?", arguments: [sequence])
                return (attempts, true)
            }
            return (attempts, false)
        }
    }

    /// Empties the queue (no backend is configured any more).
    public func clearTransactionQueue() throws {
        try writer.write { db in try db.execute(sql: "DELETE FROM ocppQueue") }
    }

    /// The session with OCPP transactionId `id`, if it is still running.
    public func openSession(transactionID id: Int) throws -> SessionRecord? {
        try writer.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM session WHERE transactionId = ? AND stoppedAt IS NULL ORDER BY number DESC LIMIT 1",
                             arguments: [id]).flatMap(Self.sessionRecord)
        }
    }

    /// The OCPP transactionId of a session, once the central system assigned one.
    public func transactionID(session id: UUID) throws -> Int? {
        try writer.read { db in try Int.fetchOne(db, sql: "SELECT transactionId FROM session WHERE id = ?", arguments: [id.uuidString]) }
    }
}

/// The station state the OCPP charge point keeps across restarts, in the `meta` table (keys unchanged since 1.0, so
/// that an updated station reads what the previous version stored).
extension StationDatabase {
    public func persistedInoperative(connector: Int) throws -> Bool { try meta("availability.\(connector)") == "Inoperative" }

    public func setPersistedAvailability(connector: Int, operative: Bool) throws {
        try setMeta("availability.\(connector)", operative ? "Operative" : "Inoperative")
    }

    public func firmwareJob() throws -> FirmwareUpdateJob? {
        guard let text = try meta("firmware.job") else { return nil }
        return try JSONDecoder().decode(FirmwareUpdateJob.self, from: Data(text.utf8))
    }

    public func saveFirmwareJob(_ job: FirmwareUpdateJob?) throws {
        guard let job else { return try deleteMeta("firmware.job") }
        try setMeta("firmware.job", String(decoding: try JSONEncoder().encode(job), as: UTF8.self))
    }

    public func installedFirmwareVersion() throws -> String? { try meta("firmware.version") }

    public func setInstalledFirmwareVersion(_ version: String) throws { try setMeta("firmware.version", version) }

    public func securityProfileFallback() throws -> SecurityProfileFallback? {
        try meta("security.profile.fallback").flatMap(SecurityProfileFallback.init(text:))
    }

    public func setSecurityProfileFallback(_ fallback: SecurityProfileFallback?) throws {
        guard let fallback else { return try deleteMeta("security.profile.fallback") }
        try setMeta("security.profile.fallback", fallback.text)
    }
}
