import Foundation
import Testing
import ChargePoint
import EVSECore
import SQLite
import LoadManagement
@testable import Persistence

/// The sessions' PV/grid split in SQLite (issue 25 item 4): written with the samples and the stop record, kept across a
/// reopening (a restart after `kill -9`), NULL for sessions of a database from before the migration.
@Suite("SQLite database: solar share of the sessions")
struct SolarSharePersistenceTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func sample(_ id: UUID, at seconds: Double, energyWh: Double, _ share: SolarShare?) -> MeterSample {
        MeterSample(connector: 1, sessionID: id, at: t0.addingTimeInterval(seconds), energyWh: energyWh, powerW: 7_000,
                    currentA: PhaseValues(all: 10), voltageV: PhaseValues(all: 230), solarShare: share)
    }

    @Test("issue25_4: the running split is stored with the samples, survives reopening, and the stop record holds the final one")
    func restartKeepsTotals() throws {
        let dir = NSTemporaryDirectory() + "chargekit-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let id = UUID()
        do {
            let db = try StationDatabase(directory: dir)
            try db.sessionStarted(ChargingSession(id: id, connector: 1, idTag: "AAAAAAAA", method: .rfid, startedAt: t0, meterStartWh: 100),
                                  queueForBackend: false)
            try db.record(samples: [sample(id, at: 5, energyWh: 110, SolarShare(fromPVWh: 8, fromGridWh: 2, meterWh: 110, measured: true))],
                          hardwareState: nil)
            try db.record(samples: [sample(id, at: 10, energyWh: 130, SolarShare(fromPVWh: 24, fromGridWh: 6, meterWh: 130, measured: true))],
                          hardwareState: nil)
        }  // the process dies here: nothing else is written
        let db = try StationDatabase(directory: dir)
        let open = try #require(try db.openSessions().first)
        #expect(open.solarShare == SolarShare(fromPVWh: 24, fromGridWh: 6, meterWh: 130, measured: true))
        let final = SolarShare(fromPVWh: 40, fromGridWh: 10, meterWh: 150, measured: true)
        try db.sessionStopped(id, at: t0.addingTimeInterval(20), meterStopWh: 150, reason: .local, stoppedBy: nil, queueForBackend: false,
                              solarShare: final)
        // A late sample or a second stop never changes a stopped session's figures.
        try db.record(samples: [sample(id, at: 21, energyWh: 160, SolarShare(fromPVWh: 1, fromGridWh: 1, meterWh: 160, measured: true))],
                      hardwareState: nil)
        try db.sessionStopped(id, at: t0.addingTimeInterval(30), meterStopWh: 170, reason: .other, stoppedBy: nil, queueForBackend: false,
                              solarShare: SolarShare(meterWh: 170))
        let stored = try #require(try db.sessions().first)
        #expect(stored.solarShare == final && stored.energyWh == 50)
        let row = HistoryRow(stored, disclose: false)
        #expect(row.fromPVWh == 40 && row.fromGridWh == 10 && row.solarSharePercent == 80)
    }

    @Test("issue25_4: a database of the previous version (v10) upgrades; its sessions have no solar share, new ones do")
    func migrationFromV10() throws {
        let dir = NSTemporaryDirectory() + "chargekit-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let pool = try DatabasePool(path: dir + "/" + StationDatabase.fileName)
        try StationDatabase.migrator.migrate(pool, upTo: "v10-session-backend-transaction")
        let old = UUID()
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO session(id, connector, idTag, method, startedAt, meterStartWh, stoppedAt, meterStopWh, stopReason)
                VALUES ('\(old.uuidString)', 1, 'AAAAAAAA', 'RFID', 1800000000, 100, 1800003600, 11140, 'Local')
                """)
        }
        try pool.close()
        let db = try StationDatabase(directory: dir)
        #expect(try db.appliedMigrations().contains("v11-session-solar-share"))
        let r = try #require(try db.sessions().first)
        #expect(r.session.id == old && r.energyWh == 11_040 && r.solarShare == nil)
        let row = HistoryRow(r, disclose: true)
        #expect(row.fromPVWh == nil && row.solarSharePercent == nil)
        let new = UUID()
        try db.sessionStarted(ChargingSession(id: new, connector: 1, idTag: "AAAAAAAA", method: .rfid, startedAt: t0, meterStartWh: 0),
                              queueForBackend: false)
        try db.sessionStopped(new, at: t0.addingTimeInterval(60), meterStopWh: 100, reason: .local, stoppedBy: nil, queueForBackend: false,
                              solarShare: SolarShare(fromPVWh: 30, fromGridWh: 70, meterWh: 100, measured: true))
        #expect(try db.sessions().first?.solarShare?.percent == 30)
    }
}
