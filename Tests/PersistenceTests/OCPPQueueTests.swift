import Foundation
import Testing
import ChargePoint
import EVSECore
import Synchronization
@testable import Persistence

@Suite("OCPP transaction queue")
struct OCPPQueueTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("session start and stop enqueue their messages atomically, in order; delivery maps the transactionId")
    func journal() throws {
        let db = try StationDatabase()
        let s = ChargingSession(id: UUID(), connector: 1, idTag: "AABBCCDD", method: .rfid, startedAt: t0, meterStartWh: 1000)
        try db.sessionStarted(s, queueForBackend: true)
        try db.enqueueMeterValues(session: s.id, payload: "{\"connectorId\":1,\"meterValue\":[]}", at: t0.addingTimeInterval(60), capacity: RetentionPolicy.queuedMeterValuesMax)
        try db.sessionStopped(s.id, at: t0.addingTimeInterval(120), meterStopWh: 1500, reason: .local, stoppedBy: nil, queueForBackend: true)
        // Stopping twice (recovery after a crash) does not enqueue a second StopTransaction.
        try db.sessionStopped(s.id, at: t0.addingTimeInterval(130), meterStopWh: 1600, reason: .powerLoss, stoppedBy: nil, queueForBackend: true)
        #expect(try db.transactionQueueCount() == 3)

        let start = try #require(try db.transactionQueueHead())
        #expect(start.action == "StartTransaction" && start.session?.session.id == s.id && start.transactionID == nil)
        try db.transactionMessageDelivered(start.sequence, session: s.id, transactionID: 4711, finished: false)
        let meter = try #require(try db.transactionQueueHead())
        #expect(meter.action == "MeterValues" && meter.transactionID == 4711 && meter.messageID != start.messageID)
        // A CALLERROR counts; the message is dropped after the last attempt.
        #expect(try db.transactionMessageFailed(meter.sequence, maxAttempts: 2) == (1, false))
        #expect(try db.transactionQueueHead()?.messageID == meter.messageID)
        #expect(try db.transactionMessageFailed(meter.sequence, maxAttempts: 2) == (2, true))
        let stop = try #require(try db.transactionQueueHead())
        #expect(stop.action == "StopTransaction" && stop.transactionID == 4711 && stop.session?.meterStopWh == 1500)
        try db.transactionMessageDelivered(stop.sequence, session: nil, transactionID: nil, finished: false)
        #expect(try db.transactionQueueHead() == nil)
        #expect(try db.openSession(transactionID: 4711) == nil)
    }

    /// The age gauge of Prometheus' /metrics (issue 30 item 1) reads when the head of the queue was queued.
    @Test("issue30_1: the oldest queued message's time is the head's, nil when the queue is empty")
    func issue30_1_oldestQueuedAt() throws {
        let db = try StationDatabase()
        #expect(try db.transactionQueueOldestCreatedAt() == nil)
        let session = UUID()
        try db.enqueueMeterValues(session: session, payload: "{}", at: t0.addingTimeInterval(60), capacity: 10)
        try db.enqueueMeterValues(session: session, payload: "{}", at: t0.addingTimeInterval(90), capacity: 10)
        #expect(try db.transactionQueueOldestCreatedAt() == t0.addingTimeInterval(60))
        try db.transactionMessageDelivered(try #require(try db.transactionQueueHead()).sequence, session: nil, transactionID: nil, finished: false)
        #expect(try db.transactionQueueOldestCreatedAt() == t0.addingTimeInterval(90))
        try db.transactionMessageDelivered(try #require(try db.transactionQueueHead()).sequence, session: nil, transactionID: nil, finished: false)
        #expect(try db.transactionQueueOldestCreatedAt() == nil)
    }

    @Test("without a backend nothing is queued; sessions from before the backend send no StopTransaction")
    func noJournal() throws {
        let db = try StationDatabase()
        let s = ChargingSession(id: UUID(), connector: 1, idTag: "A", method: .rfid, startedAt: t0, meterStartWh: 0)
        try db.sessionStarted(s, queueForBackend: false)
        try db.sessionStopped(s.id, at: t0.addingTimeInterval(10), meterStopWh: 10, reason: .local, stoppedBy: nil, queueForBackend: true)
        #expect(try db.transactionQueueCount() == 0)
    }

    @Test("queued messages survive closing and reopening the file with their message ids")
    func durable() throws {
        let dir = NSTemporaryDirectory() + "chargekit-queue-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = ChargingSession(id: UUID(), connector: 2, idTag: "B", method: .remote, startedAt: t0, meterStartWh: 5)
        var id = ""
        do {
            let db = try StationDatabase(directory: dir)
            try db.sessionStarted(s, queueForBackend: true)
            id = try #require(try db.transactionQueueHead()).messageID
        }
        let reopened = try StationDatabase(directory: dir)
        let head = try #require(try reopened.transactionQueueHead())
        #expect(head.messageID == id && head.action == "StartTransaction" && head.session?.session.connector == 2)
    }
}
