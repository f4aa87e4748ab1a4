import Foundation
import Testing
import ChargePoint
import EVSECore
@testable import Persistence

/// The signed meter data of a session (issue 28 item 6) is stored in its row, survives reopening the file and reaches
/// the StopTransaction queued for it (the queue reads the session's row).
@Suite("SQLite: signed meter values")
struct SignedMeterPersistenceTests {
    @Test func signedReadings_storedWithTheSessionAndReadByTheQueue() throws {
        let dir = NSTemporaryDirectory() + "chargekit-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let db = try StationDatabase(directory: dir)
        let s = ChargingSession(id: UUID(), connector: 1, idTag: "04567DAA5F3580", method: .rfid, startedAt: t0, meterStartWh: 100)
        try db.sessionStarted(s, queueForBackend: true)
        try db.sessionSignedReading(s.id, SignedReading(session: s.id, context: .transactionBegin, ocmf: "OCMF|{\"B\":1}|{}", at: t0), publicKeyHex: "3059AA")
        try db.sessionStopped(s.id, at: t0.addingTimeInterval(60), meterStopWh: 200, reason: .local, stoppedBy: nil, queueForBackend: true, solarShare: nil)
        try db.sessionSignedReading(s.id, SignedReading(session: s.id, context: .transactionEnd, ocmf: "OCMF|{\"E\":1}|{}", at: t0), publicKeyHex: "3059BB")
        let again = try StationDatabase(directory: dir)
        let r = try #require(try again.sessions(limit: 1).first)
        // The first key a session saw stays: a meter exchanged later does not rewrite it.
        #expect(r.signedMeter == SignedMeterRecord(begin: "OCMF|{\"B\":1}|{}", end: "OCMF|{\"E\":1}|{}", publicKeyHex: "3059AA"))
        let head = try #require(try again.transactionQueueHead())
        #expect(head.session?.signedMeter?.end == "OCMF|{\"E\":1}|{}")
    }
}
