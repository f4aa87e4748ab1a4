import Foundation
import Testing
import Authorization
import ChargePoint
import EVSECore
import Gateway
import SQLite
import Synchronization
@testable import Persistence

/// Issue #20 item 6: every table that grows with events has a bound or a retention (docs/operator.md "Bounds and retention").
@Suite("Retention and bounds of the databases")
struct RetentionTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func sample(_ session: UUID?, connector: Int = 1, at: Date) -> MeterSample {
        MeterSample(connector: connector, sessionID: session, at: at, energyWh: 1, powerW: 11_000, currentA: PhaseValues(all: 16),
                    voltageV: PhaseValues(all: 230))
    }

    func count(_ db: StationDatabase, _ table: String) throws -> Int {
        try db.writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
    }

    @Test("meter samples older than the retention go, in batches; the sessions stay whole; a running session keeps its newest sample")
    func meterSamplesByAge() throws {
        let db = try StationDatabase()
        let old = ChargingSession(id: UUID(), connector: 1, idTag: "A", method: .rfid, startedAt: t0, meterStartWh: 0)
        let running = ChargingSession(id: UUID(), connector: 2, idTag: "B", method: .rfid, startedAt: t0, meterStartWh: 0)
        try db.sessionStarted(old, queueForBackend: false)
        try db.sessionStarted(running, queueForBackend: false)
        for i in 0..<1_500 { try db.record(samples: [sample(old.id, at: t0.addingTimeInterval(Double(i) * 5))], hardwareState: nil) }
        try db.record(samples: [sample(running.id, connector: 2, at: t0.addingTimeInterval(7_600))], hardwareState: nil)
        try db.sessionStopped(old.id, at: t0.addingTimeInterval(7_500), meterStopWh: 900, reason: .local, stoppedBy: nil, queueForBackend: false)
        let policy = RetentionPolicy(meterSampleMaxAgeSeconds: 86_400)
        let later = t0.addingTimeInterval(86_400 * 3)
        #expect(try db.applyRetention(policy, now: later).meterSamples == RetentionPolicy.batch, "one batch per pass")
        #expect(try db.applyRetention(policy, now: later).meterSamples == 500)
        #expect(try db.applyRetention(policy, now: later).meterSamples == 0)
        #expect(try db.samples(session: old.id).isEmpty)
        #expect(try db.openSessions().first?.lastSample?.at == t0.addingTimeInterval(7_600), "recovery still finds the running session's sample")
        #expect(try db.sessions().map(\.meterStopWh) == [nil, 900], "the charging history is untouched")
        let recent = try db.applyRetention(policy, now: t0.addingTimeInterval(3_600))
        #expect(recent == RetentionReport())
    }

    @Test("meter samples beyond the row bound go even when they are young")
    func meterSamplesByCount() throws {
        let db = try StationDatabase()
        try db.writer.write { d in
            try d.execute(sql: """
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
                INSERT INTO meterSample(sessionId, connector, at, energyWh, powerW, currentL1, currentL2, currentL3, voltageL1, voltageL2, voltageL3)
                SELECT NULL, 1, ? + i, 0, 0, 0, 0, 0, 0, 0, 0 FROM n
                """, arguments: [RetentionPolicy.meterSampleMaxRows + 700, t0.timeIntervalSince1970])
        }
        let policy = RetentionPolicy(meterSampleMaxAgeSeconds: 365 * 86_400)
        #expect(try db.applyRetention(policy, now: t0).meterSamples == 700)
        #expect(try count(db, "meterSample") == RetentionPolicy.meterSampleMaxRows)
    }

    @Test("the event log and the parameter audit keep their newest rows; messages are cut")
    func eventsAndAudit() throws {
        let db = try StationDatabase()
        try db.writer.write { d in
            try d.execute(sql: """
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
                INSERT INTO event(at, kind, connector, code, message) SELECT ? + i, 'stationStarted', 0, NULL, 'e' || i FROM n
                """, arguments: [RetentionPolicy.eventMaxRows + 300, t0.timeIntervalSince1970])
            try d.execute(sql: """
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
                INSERT INTO parameterAudit(key, oldValue, newValue, changedBy, at) SELECT 'K', NULL, i, 'x', ? FROM n
                """, arguments: [RetentionPolicy.auditMaxRows + 20, t0.timeIntervalSince1970])
        }
        let report = try db.applyRetention(RetentionPolicy(meterSampleMaxAgeSeconds: 86_400), now: t0)
        #expect(report.events == 300 && report.audit == 20)
        #expect(try count(db, "event") == RetentionPolicy.eventMaxRows)
        #expect(try db.events(limit: 1).first?.message == "e\(RetentionPolicy.eventMaxRows + 299)", "the newest stay")
        #expect(try count(db, "parameterAudit") == RetentionPolicy.auditMaxRows)
        try db.append(EventLogEntry(at: t0, kind: .errorRaised, connector: 1, message: String(repeating: "z", count: 5_000)))
        #expect(try db.events(limit: 1).first?.message.count == RetentionPolicy.eventMessageMaxCharacters)
    }

    @Test("queued MeterValues are bounded, the oldest first; Start/StopTransaction are never dropped")
    func queuedMeterValues() throws {
        let db = try StationDatabase()
        let s = ChargingSession(id: UUID(), connector: 1, idTag: "A", method: .rfid, startedAt: t0, meterStartWh: 0)
        try db.sessionStarted(s, queueForBackend: true)
        var dropped = 0
        for i in 0..<25 { dropped += try db.enqueueMeterValues(session: s.id, payload: "{\"n\":\(i)}", at: t0, capacity: 10) }
        #expect(dropped == 15)
        let actions = try db.writer.read { try String.fetchAll($0, sql: "SELECT action FROM ocppQueue ORDER BY seq") }
        #expect(actions.first == "StartTransaction" && actions.count == 11)
        let payloads = try db.writer.read { try String.fetchAll($0, sql: "SELECT payload FROM ocppQueue WHERE action = 'MeterValues' ORDER BY seq") }
        #expect(payloads.first == "{\"n\":15}" && payloads.last == "{\"n\":24}")
    }

    @Test("kept StopTransaction meter values of a long stopped session no queued message needs are deleted")
    func orphanedTransactionData() throws {
        let db = try StationDatabase()
        let s = ChargingSession(id: UUID(), connector: 1, idTag: "A", method: .rfid, startedAt: t0, meterStartWh: 0)
        try db.sessionStarted(s, queueForBackend: false)
        try db.appendTransactionData(session: s.id, payload: "{}")
        try db.sessionStopped(s.id, at: t0.addingTimeInterval(60), meterStopWh: 10, reason: .local, stoppedBy: nil, queueForBackend: false)
        let policy = RetentionPolicy(meterSampleMaxAgeSeconds: 86_400)
        #expect(try db.applyRetention(policy, now: t0.addingTimeInterval(3_600)).transactionData == 0, "young: kept")
        #expect(try db.applyRetention(policy, now: t0.addingTimeInterval(2 * 86_400)).transactionData == 1)
        #expect(try db.transactionData(session: s.id).isEmpty)
    }

    @Test("the authorization cache keeps the most recently updated identifiers")
    func authorizationCache() throws {
        let db = try StationDatabase()
        for n in 0...RetentionPolicy.authorizationCacheMaxEntries {
            try db.saveCacheEntry(ListedIdentifier(idTag: "TAG\(n)", status: .accepted, expiry: nil, parentIdTag: nil, updatedAt: t0.addingTimeInterval(Double(n))))
        }
        let cache = try db.loadAuthorizationLists().cache
        #expect(cache.count == RetentionPolicy.authorizationCacheMaxEntries)
        #expect(cache.first?.idTag == "TAG1")
    }

    @Test("gateway: the OCPP scan list keeps the most recently seen ChargerIDs, in one write per batch")
    func scanList() throws {
        let db = try GatewayDatabase()
        let attempts = (0..<250).map { n in
            RefusedConnections.Attempt(id: "FLOOD-\(n)", cause: .unknown, remoteAddress: "10.0.0.1", firstAt: t0, lastAt: t0.addingTimeInterval(Double(n)), count: 1)
        }
        try db.recordScans(attempts)
        try db.recordScan(id: "FLOOD-200", remoteAddress: "10.0.0.2", at: t0.addingTimeInterval(1_000))
        let list = try db.scannedChargers()
        #expect(list.count == RefusedConnections.scanListCapacity)
        #expect(list.first?.id == "FLOOD-200" && list.first?.attempts == 2 && list.first?.remoteAddress == "10.0.0.2", "seen again: the newest")
        #expect(list.last?.id == "FLOOD-150")
    }

    @Test("gateway: the transaction table keeps the newest rows")
    func gatewayTransactions() throws {
        let db = try GatewayDatabase()
        let capacity = GatewayDatabase.transactionCapacity
        // Ids as 100,005 transactions leave them, without writing them all: the oldest twelve and the newest ten.
        for n in Array(1...12) + Array((capacity - 4)...(capacity + 5)) {
            try db.writer.write { d in
                try d.execute(sql: """
                    INSERT INTO gatewayTransaction (id, charger, connectorId, transactionId, idTag, meterStartWh, startedAt, status, decidedBy)
                    VALUES (?, 'CP1', 1, ?, 'T', 0, 0, 'Accepted', 'gateway')
                    """, arguments: [n, n % 65_535])
            }
        }
        try db.transactionStarted(GatewayTransaction(charger: "CP1", connectorId: 1, transactionId: 9, idTag: "T", meterStartWh: 0, startedAt: t0,
                                                     status: "Accepted", decidedBy: .gateway))
        let ids = try db.writer.read { try Int.fetchAll($0, sql: "SELECT id FROM gatewayTransaction ORDER BY id") }
        #expect(ids.first == 7, "ids 1…6 went: the newest \(capacity) are kept")
        #expect(ids.last == capacity + 6)
    }
}
