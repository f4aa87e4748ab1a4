import Foundation
import ChargePoint
import EVSECore
import SQLite
@testable import Persistence
import Testing

/// The e-mail alerts' durable queue (issue 24 item 5): alerts are queued in the write that moves the cursor past their
/// events, and leave only when delivered — so a restart (or a `kill -9`) loses and repeats nothing.
@Suite("E-mail alert queue")
struct MailAlertStoreTests {
    let t0 = Date(timeIntervalSince1970: 1_796_478_970)

    func alert(_ text: String) -> MailAlert { MailAlert(at: t0, event: .errorRaised, connector: 1, code: "vehicleError", text: text) }

    @Test("queued with the cursor in one write, per recipient, surviving a reopen; delivered alerts leave the queue")
    func queueCursorAndDelivery() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("maildb-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let db = try StationDatabase(directory: dir)
            #expect(try db.mailAlertCursor() == 0, "a new database: every entry from the first start on is new")
            try db.append(EventLogEntry(at: t0, kind: .errorRaised, connector: 1, code: "vehicleError", message: "one"))
            try db.append(EventLogEntry(at: t0, kind: .sessionStarted, connector: 1, message: "two"))
            let events = try db.events(after: 0, limit: 10)
            #expect(events.map(\.entry.message) == ["one", "two"])
            #expect(try db.latestEventID() == events[1].id)
            try db.queueMailAlerts([alert("one")], recipients: ["a@x.org", "b@x.org"], cursor: events[1].id)
        }
        let db = try StationDatabase(directory: dir)
        let cursor = try #require(try db.mailAlertCursor())
        #expect(try db.events(after: cursor, limit: 10).isEmpty, "the cursor moved past both entries")
        #expect(try db.mailQueue().mapValues(\.count) == ["a@x.org": 1, "b@x.org": 1])
        let pending = try db.pendingMailAlerts(recipient: "a@x.org", limit: 50)
        #expect(pending.map(\.alert) == [alert("one")])
        try db.mailDelivered(recipient: "a@x.org", ids: pending.map(\.id), state: MailRecipientState(lastSentAt: t0))
        #expect(try db.mailQueue().mapValues(\.count) == ["b@x.org": 1])
        #expect(try db.mailRecipientState("a@x.org") == MailRecipientState(lastSentAt: t0))
        #expect(try db.mailRecipientState("new@x.org") == MailRecipientState())
        let failed = MailRecipientState(failures: 2, nextAttemptAt: t0.addingTimeInterval(60), lastError: "connect: refused")
        try db.saveMailRecipientState("b@x.org", failed)
        #expect(try db.mailRecipientState("b@x.org") == failed)
        // A recipient removed from the settings: its alerts are dropped.
        #expect(try db.dropMailAlerts(except: ["a@x.org"]) == 1)
        #expect(try db.mailQueue().isEmpty)
        #expect(try db.appliedMigrations().contains("v12-mail-alerts"))
    }

    @Test("an upgraded database starts its cursor at the log's end: no history is mailed")
    func upgradeStartsAtTheEnd() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("maildb-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let pool = try DatabasePool(path: dir + "/" + StationDatabase.fileName)
        try StationDatabase.migrator.migrate(pool, upTo: "v10-session-backend-transaction")
        try pool.write { db in
            for i in 0..<3 {
                try db.execute(sql: "INSERT INTO event(at, kind, connector, code, message) VALUES (?, 'errorRaised', 1, 'x', ?)", arguments: [1.0e9, "old \(i)"])
            }
        }
        try pool.close()
        let db = try StationDatabase(directory: dir)
        let cursor = try #require(try db.mailAlertCursor())
        #expect(cursor == (try db.latestEventID()) && cursor >= 3)
        #expect(try db.events(after: cursor, limit: 10).isEmpty)
    }

    @Test("the queue keeps at most the newest alerts per recipient")
    func bounded() throws {
        let db = try StationDatabase()
        let many = (0..<(StationDatabase.maximumQueuedMailAlerts + 10)).map { alert("a\($0)") }
        try db.queueMailAlerts(many, recipients: ["a@x.org"], cursor: 1)
        #expect(try db.mailQueue()["a@x.org"]?.count == StationDatabase.maximumQueuedMailAlerts)
        #expect(try db.pendingMailAlerts(recipient: "a@x.org", limit: 1).first?.alert.text == "a10")
    }
}
