import Foundation
import Testing
import Authorization
import ChargePoint
import EVSECore
import SQLite
import LoadManagement
@testable import Persistence

@Suite("SQLite database")
struct StationDatabaseTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "chargekit-test-" + UUID().uuidString
        return path
    }

    @Test("migrations create the schema on a new file in WAL mode, and reopening is idempotent")
    func migrations() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try StationDatabase(directory: dir)
        #expect(try db.appliedMigrations() == ["v1", "v2-authorization", "v3-ocpp", "v4-ocpp-transaction-data", "v5-reservations", "v6-charging-profiles", "v7-session-stopped-by", "v8-dlm-slaves", "v9-accounts",
                                          "v10-session-backend-transaction", "v11-session-solar-share", "v12-mail-alerts", "v13-security-log",
                                          "v14-session-signed-meter-values", "v15-local-security-log-last-login"])
        let mode = try db.writer.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let tables = try db.writer.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") }
        for t in ["event", "hardwareState", "meta", "meterSample", "parameter", "parameterAudit", "session", "whitelist", "authList", "authCache"] {
            #expect(tables.contains(t))
        }
        try db.setMeta("cleanShutdown", "1")
        let again = try StationDatabase(directory: dir)
        #expect(try again.appliedMigrations() == ["v1", "v2-authorization", "v3-ocpp", "v4-ocpp-transaction-data", "v5-reservations", "v6-charging-profiles", "v7-session-stopped-by", "v8-dlm-slaves", "v9-accounts",
                                          "v10-session-backend-transaction", "v11-session-solar-share", "v12-mail-alerts", "v13-security-log",
                                          "v14-session-signed-meter-values", "v15-local-security-log-last-login"])
        #expect(try again.meta("cleanShutdown") == "1")
    }

    @Test("a database of the previous version upgrades and keeps its history (firmware update)")
    func upgrade() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let pool = try DatabasePool(path: dir + "/" + StationDatabase.fileName)
        try StationDatabase.migrator.migrate(pool, upTo: "v1")
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO session(id, connector, idTag, method, startedAt, meterStartWh, stoppedAt, meterStopWh, stopReason)
                VALUES ('\(UUID().uuidString)', 1, '04567DAA5F3580', 'RFID', 1800000000, 100, 1800003600, 11140, 'Local')
                """)
        }
        try pool.close()
        let db = try StationDatabase(directory: dir)
        #expect(try db.appliedMigrations() == ["v1", "v2-authorization", "v3-ocpp", "v4-ocpp-transaction-data", "v5-reservations", "v6-charging-profiles", "v7-session-stopped-by", "v8-dlm-slaves", "v9-accounts",
                                          "v10-session-backend-transaction", "v11-session-solar-share", "v12-mail-alerts", "v13-security-log",
                                          "v14-session-signed-meter-values", "v15-local-security-log-last-login"])
        let r = try #require(try db.sessions().first)
        #expect(r.session.idTag == "04567DAA5F3580" && r.energyWh == 11_040 && r.stopReason == .local && r.session.source == nil
                && r.session.backendTransaction)
    }

    @Test("whitelist, local list and cache are stored")
    func lists() throws {
        let db = try StationDatabase()
        let entries = [WhitelistEntry(id: "0A0E9B83", kind: .rfid, connector: 2, groupID: "FLEET", expiry: t0, authorization: .blocked),
                       WhitelistEntry(id: "INPUT_AUTH", kind: .input)]
        try db.saveWhitelist(entries)
        try db.saveLocalList(version: 7, entries: [ListedIdentifier(idTag: "AA", status: .accepted, updatedAt: t0)])
        try db.saveCacheEntry(ListedIdentifier(idTag: "bb", status: .accepted, updatedAt: t0))
        try db.saveCacheEntry(ListedIdentifier(idTag: "BB", status: .blocked, parentIdTag: "P", updatedAt: t0))
        var lists = try db.loadAuthorizationLists()
        #expect(lists.whitelist.entries == entries)
        #expect(lists.localListVersion == 7 && lists.localList.map(\.idTag) == ["AA"])
        #expect(lists.cache == [ListedIdentifier(idTag: "BB", status: .blocked, parentIdTag: "P", updatedAt: t0)], "idTags are case-insensitive")
        try db.clearCache()
        lists = try db.loadAuthorizationLists()
        #expect(lists.cache.isEmpty)
    }

    @Test("parameters and their audit trail survive reopening")
    func parameters() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let db = try StationDatabase(directory: dir)
            var service = try ParameterService(store: db, connectorCount: 2)
            try service.set("OperatorCurrentLimit.2", text: "16", role: .operator, changedBy: "alice", now: t0)
            try service.set("PhaseRotation.1", text: "STR", role: .installer, changedBy: "bob", now: t0.addingTimeInterval(1))
            try service.set("PowerSourceVoltage", text: "240", role: .installer, changedBy: "bob", now: t0.addingTimeInterval(2))
        }
        let db = try StationDatabase(directory: dir)
        let service = try ParameterService(store: db, connectorCount: 2)
        #expect(service.values.value("OperatorCurrentLimit.2") == .integer(16))
        #expect(service.values.value("PhaseRotation.1") == .string("STR"))
        #expect(service.values.value("PowerSourceVoltage") == .decimal(240))
        let audit = try db.audit()
        #expect(audit.map(\.key) == ["PowerSourceVoltage", "PhaseRotation.1", "OperatorCurrentLimit.2"])
        #expect(audit.last == ParameterAuditEntry(key: "OperatorCurrentLimit.2", oldValue: "32", newValue: "16", changedBy: "alice", at: t0))
    }

    @Test("sessions, samples and the hardware state: open sessions come back with their last sample")
    func sessions() throws {
        let db = try StationDatabase()
        let id = UUID()
        let s = ChargingSession(id: id, connector: 2, idTag: "04567DAA5F3580", method: .rfid, startedAt: t0, meterStartWh: 100)
        try db.sessionStarted(s, queueForBackend: false)
        let sample = MeterSample(connector: 2, sessionID: id, at: t0.addingTimeInterval(10), energyWh: 130, powerW: 11_040,
                                 currentA: PhaseValues(all: 16), voltageV: PhaseValues(all: 230))
        try db.record(samples: [sample], hardwareState: Data("board".utf8))
        let open = try db.openSessions()
        #expect(open.count == 1)
        #expect(open.first?.session == s)
        #expect(open.first?.lastSample == sample)
        #expect(try db.hardwareState() == Data("board".utf8))
        try db.sessionStopped(id, at: t0.addingTimeInterval(20), meterStopWh: 150, reason: .evDisconnected, stoppedBy: nil, queueForBackend: false)
        try db.sessionStopped(id, at: t0.addingTimeInterval(99), meterStopWh: 999, reason: .other, stoppedBy: nil, queueForBackend: false)
        #expect(try db.openSessions().isEmpty)
        let stored = try #require(try db.sessions().first)
        #expect(stored.stopReason == .evDisconnected, "a stopped session is never stopped twice")
        #expect(stored.energyWh == 50)
        #expect(try db.samples(session: id) == [sample])
        #expect(try db.latestTimestamp() == t0.addingTimeInterval(20))
    }

    @Test("a session id is stored once")
    func duplicateSession() throws {
        let db = try StationDatabase()
        let s = ChargingSession(id: UUID(), connector: 1, idTag: "A", method: .rfid, startedAt: t0, meterStartWh: 0)
        try db.sessionStarted(s, queueForBackend: false)
        #expect(throws: (any Error).self) { try db.sessionStarted(s, queueForBackend: false) }
        #expect(try db.sessions().count == 1)
    }

    @Test("the event log keeps order, newest first when read")
    func events() throws {
        let db = try StationDatabase()
        for i in 0..<5 {
            try db.append(EventLogEntry(at: t0.addingTimeInterval(Double(i)), kind: .errorRaised, connector: i % 2, code: "e\(i)", message: "m\(i)"))
        }
        let e = try db.events(limit: 3)
        #expect(e.map(\.code) == ["e4", "e3", "e2"])
        #expect(e.first?.kind == .errorRaised)
    }

    @Test("the persistent DLM slave DB: records survive reopening, are replaced by id, and are deleted")
    func dlmSlaves() throws {
        let dir = temporaryDirectory()
        let report = DLMReport(disconnectedLimitAmps: 8, connectors: [
            DLMConnectorReport(rotation: .str, phasesConnected: 1, usedPhases: [0], demanding: true, maximumAmps: 16, minimumAmps: 6,
                               measuredAmps: PhaseValues(l1: 12, l2: 0, l3: 0), status: "Charging"),
        ])
        var a = DLMSlaveRecord(id: "S1", endpoint: DLMEndpoint(host: "172.16.23.11", port: 40000), epoch: "e1", firstSeen: t0,
                               lastSeen: t0.addingTimeInterval(5), report: report, grantsAmps: [12])
        let b = DLMSlaveRecord(id: "S2", endpoint: DLMEndpoint(host: "172.16.23.12", port: 40001), epoch: "e2", firstSeen: t0,
                               lastSeen: t0, report: report, grantsAmps: [0])
        do {
            let db = try StationDatabase(directory: dir)
            try db.saveDLMSlaves([a, b])
            a.grantsAmps = [16]
            try db.saveDLMSlaves([a])
        }
        let db = try StationDatabase(directory: dir)
        #expect(try db.loadDLMSlaves() == [a, b])
        try db.deleteDLMSlaves(ids: ["S1"])
        #expect(try db.loadDLMSlaves().map(\.id) == ["S2"])
    }
}

/// Issue 20 items 3, 4, 7.
@Suite("SQLite database: secrets, file modes, Finishing, transaction ids")
struct StationDatabaseSecurityTests {
    func mode(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber).intValue & 0o777
    }

    @Test("the data directory is 0700 and the database files 0600, also those an earlier version left readable")
    func fileModes() throws {
        let dir = NSTemporaryDirectory() + "chargekit-modes-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        do { _ = try StationDatabase(directory: dir) }
        let file = dir + "/chargekit.sqlite"
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: dir)
        let db = try StationDatabase(directory: dir)
        try db.setMeta("x", "y")
        #expect(try mode(dir) == 0o700)
        for name in try FileManager.default.contentsOfDirectory(atPath: dir) where name.hasPrefix("chargekit.sqlite") {
            #expect(try mode(dir + "/" + name) == 0o600, "\(name)")
        }
    }

    @Test("secret values in audit entries of an earlier version are replaced by the marker; a factory reset keeps none")
    func redaction() throws {
        let dir = NSTemporaryDirectory() + "chargekit-audit-" + UUID().uuidString
        let db = try StationDatabase(directory: dir)
        let t = Date(timeIntervalSince1970: 1_800_000_000)
        try db.saveParameter(key: "DLMNetworkKey", value: .string("old-clear"), old: nil, changedBy: "v0.1", at: t, secret: false)
        try db.saveParameter(key: "DLMNetworkKey", value: .string("new-clear"), old: .string("old-clear"), changedBy: "v0.1", at: t, secret: false)
        try db.saveParameter(key: "HeartbeatInterval", value: .integer(600), old: nil, changedBy: "x", at: t, secret: false)
        try db.redactAudit(keys: ["DLMNetworkKey"])
        try db.factoryReset(at: t, secretKeys: ["DLMNetworkKey"])
        let audit = try db.audit(limit: 100)
        #expect(!audit.contains { ($0.oldValue ?? "").contains("clear") || $0.newValue.contains("clear") }, "\(audit)")
        #expect(audit.contains { $0.key == "HeartbeatInterval" && $0.newValue == "600" })
    }

    @Test("the Finishing connectors and the backend's transaction id are stored")
    func finishingAndTransactionID() throws {
        let dir = NSTemporaryDirectory() + "chargekit-fin-" + UUID().uuidString
        let db = try StationDatabase(directory: dir)
        #expect(try db.loadFinishedConnectors().isEmpty)
        try db.saveFinishedConnectors([2, 1])
        #expect(try StationDatabase(directory: dir).loadFinishedConnectors() == [1, 2])
        let s = ChargingSession(id: UUID(), connector: 1, idTag: "a", method: .rfid, startedAt: Date(timeIntervalSince1970: 1_800_000_000), meterStartWh: 0)
        try db.sessionStarted(s, queueForBackend: false)
        #expect(try db.sessions(limit: 1).first?.transactionId == nil)
        try db.writer.write { try $0.execute(sql: "UPDATE session SET transactionId = 4711 WHERE id = ?", arguments: [s.id.uuidString]) }
        #expect(try db.sessions(limit: 1).first?.transactionId == 4711)
    }
}
