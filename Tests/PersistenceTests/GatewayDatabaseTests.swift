import Foundation
import ChargePoint
import Gateway
import SQLite
@testable import Persistence
import Testing

@Suite("Gateway database")
struct GatewayDatabaseTests {
    @Test("settings, clock offset and the transaction counter survive a reopen")
    func reopen() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gwdb-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var s = GatewaySettings()
        s.chargers = [ChargerEntry(id: "CP1", slot: 4, connectors: 3)]
        s.bmsTimeoutSeconds = 7
        do {
            let db = try GatewayDatabase(directory: dir)
            #expect(try db.loadSettings() == nil)
            try db.saveSettings(s)
            try db.setClockOffsetSeconds(-3600.5)
            try db.setNextTransactionId(42)
        }
        let db = try GatewayDatabase(directory: dir)
        #expect(try db.loadSettings() == s)
        #expect(try db.clockOffsetSeconds() == -3600.5)
        #expect(try db.nextTransactionId() == 42)
    }

    @Test("transactions: open until stopped; a reused id closes the stale one; an unknown stop is reported")
    func transactions() throws {
        let db = try GatewayDatabase()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let t = GatewayTransaction(charger: "CP1", connectorId: 1, transactionId: 7, idTag: "TAG", meterStartWh: 100, startedAt: t0,
                                   status: "Accepted", decidedBy: .bms)
        try db.transactionStarted(t)
        #expect(try db.openTransactions() == [t])
        var again = t
        again.startedAt = t0.addingTimeInterval(60)
        try db.transactionStarted(again)
        #expect(try db.openTransactions() == [again])
        #expect(try db.transactionStopped(GatewayTransactionStop(charger: "CP1", transactionId: 7, meterStopWh: 900, stoppedAt: t0.addingTimeInterval(120),
                                                                 reason: "Local", decidedBy: .gateway)))
        #expect(try db.openTransactions().isEmpty)
        #expect(try !db.transactionStopped(GatewayTransactionStop(charger: "CP1", transactionId: 8, meterStopWh: 0, stoppedAt: t0, reason: "Local",
                                                                  decidedBy: .bms)))
        let all = try db.transactions()
        #expect(all.count == 2)
        #expect(all[0].meterStopWh == 900 && all[0].reason == "Local")
        #expect(all[1].reason == "Other", "the stale one was closed")
    }

    @Test("the OCPP scan counts attempts per ChargerID")
    func scan() throws {
        let db = try GatewayDatabase()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        try db.recordScan(id: "NEW-1", remoteAddress: "10.0.0.5", at: t0)
        try db.recordScan(id: "NEW-1", remoteAddress: "10.0.0.6", at: t0.addingTimeInterval(5))
        try db.recordScan(id: "NEW-2", remoteAddress: nil, at: t0.addingTimeInterval(1))
        let list = try db.scannedChargers()
        #expect(list.map(\.id) == ["NEW-1", "NEW-2"])
        #expect(list[0].attempts == 2 && list[0].remoteAddress == "10.0.0.6" && list[0].firstSeen == t0)
        try db.deleteScan(id: "NEW-1")
        #expect(try db.scannedChargers().map(\.id) == ["NEW-2"])
    }

    /// OCPP 1.6 security whitepaper ed. 3 §2: a charger whose credentials were refused is listed with the reason; the
    /// latest attempt's reason wins, an unknown ChargerID has none.
    @Test func whitepaper_2_refusedCredentialsScannedWithTheirReason() throws {
        let db = try GatewayDatabase()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        try db.recordScans([RefusedConnections.Attempt(id: "CP1", cause: .credentials("wrong password"), remoteAddress: "10.0.0.5", firstAt: t0, lastAt: t0, count: 2),
                            RefusedConnections.Attempt(id: "NEW", cause: .unknown, remoteAddress: nil, firstAt: t0, lastAt: t0, count: 1)])
        try db.recordScans([RefusedConnections.Attempt(id: "CP1", cause: .credentials("no client certificate"), remoteAddress: "10.0.0.5",
                                                       firstAt: t0 + 5, lastAt: t0 + 5, count: 1)])
        let list = try db.scannedChargers()
        #expect(list.map(\.id) == ["CP1", "NEW"])
        #expect(list[0].reason == "no client certificate" && list[0].attempts == 3 && list[1].reason == nil)
    }

    @Test("a version 1 database keeps its transactions: the BMS flag becomes decidedBy")
    func migrationFromV1() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gwdb-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        do {
            let old = try DatabaseQueue(path: dir + "/" + GatewayDatabase.fileName)
            try GatewayDatabase.migrator.migrate(old, upTo: "gateway-v1")
            try old.write { db in
                try db.execute(sql: """
                    INSERT INTO gatewayTransaction (charger, connectorId, transactionId, idTag, meterStartWh, startedAt, status, decidedByBMS,
                                                    meterStopWh, stoppedAt, stopReason, stopDecidedByBMS)
                    VALUES ('CP1', 1, 7, 'A', 0, 1, 'Accepted', 1, 10, 2, 'Local', 0), ('CP1', 2, 8, 'B', 5, 3, 'Invalid', 0, NULL, NULL, NULL, NULL)
                    """)
            }
        }
        let db = try GatewayDatabase(directory: dir)
        #expect(try db.transactions().map(\.start.decidedBy) == [.gateway, .bms])
        #expect(try db.openTransactions().map(\.transactionId) == [8])
        let stopDecided = try db.writer.read { try String?.fetchAll($0, sql: "SELECT stopDecidedBy FROM gatewayTransaction ORDER BY id") }
        #expect(stopDecided == ["gateway", nil])
    }

    @Test("the web interface's accounts are stored in the gateway database and survive a reopen")
    func accounts() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gwdb-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var account = Account(name: "installer", role: .installer, passwordHash: "$2b$10$abc")
        try GatewayDatabase(directory: dir).saveAccount(account)
        account.language = "de"
        try GatewayDatabase(directory: dir).saveAccount(account)
        #expect(try GatewayDatabase(directory: dir).loadAccounts() == [account])
    }
}
