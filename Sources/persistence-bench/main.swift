// Benchmark tool of scripts/bench-persistence.sh: the station database's writes on the acknowledgement path (persisted
// before acknowledged), on a file in WAL mode opened as the station opens it. Prints p50/p99 per operation in µs.
//
// It runs the statements of Persistence (StationDatabase.sessionStarted, record(samples:), enqueueMeterValues,
// transactionQueueHead, transactionMessageDelivered, sessionStopped, append) word for word, in the same transactions,
// on the layer under them alone — the SQLite target, or GRDB when built against it with `-Xswiftc -DGRDB_BASELINE` (the
// names are the same), so that the two layers are compared on exactly the same work without building the whole station
// twice. (Not `canImport(GRDB)`: a GRDB module left in the scratch directory would make it true.)
#if GRDB_BASELINE
import Foundation
import GRDB
#else
import FoundationEssentials
import SQLite
#endif
#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments
guard arguments.count == 3, let rounds = Int(arguments[2]), rounds > 0 else {
    print("usage: persistence-bench DIRECTORY ROUNDS")
    exit(2)
}
mkdir(arguments[1], 0o700)
#if GRDB_BASELINE
var configuration = Configuration()
configuration.busyMode = .timeout(5)
let writer: any DatabaseWriter = try DatabasePool(path: arguments[1] + "/bench.sqlite", configuration: configuration)
#else
let writer: any DatabaseWriter = try DatabasePool(path: arguments[1] + "/bench.sqlite", busyTimeoutSeconds: 5)
#endif
var migrator = DatabaseMigrator()
// The tables of the acknowledgement path as StationDatabase's migrations v1…v15 leave them.
migrator.registerMigration("bench-v1") { db in
    try db.execute(sql: """
        CREATE TABLE session (
            number INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, connector INTEGER NOT NULL, idTag TEXT NOT NULL,
            method TEXT NOT NULL, startedAt REAL NOT NULL, meterStartWh DOUBLE NOT NULL, stoppedAt REAL, meterStopWh DOUBLE,
            stopReason TEXT, transactionId INTEGER, presentedIdTag TEXT, parentIdTag TEXT, source TEXT,
            provisional INTEGER NOT NULL DEFAULT 0, transactionDelivered INTEGER NOT NULL DEFAULT 0, reservationId INTEGER,
            stoppedBy TEXT, backendTransaction INTEGER NOT NULL DEFAULT 1, solarFromPVWh DOUBLE, solarFromGridWh DOUBLE,
            solarMeterWh DOUBLE, solarMeasured INTEGER, signedMeterBegin TEXT, signedMeterEnd TEXT, meterPublicKey TEXT);
        CREATE INDEX session_open ON session(stoppedAt) WHERE stoppedAt IS NULL;
        CREATE TABLE meterSample (
            id INTEGER PRIMARY KEY AUTOINCREMENT, sessionId TEXT REFERENCES session(id), connector INTEGER NOT NULL,
            at REAL NOT NULL, energyWh DOUBLE NOT NULL, powerW DOUBLE NOT NULL,
            currentL1 DOUBLE NOT NULL, currentL2 DOUBLE NOT NULL, currentL3 DOUBLE NOT NULL,
            voltageL1 DOUBLE NOT NULL, voltageL2 DOUBLE NOT NULL, voltageL3 DOUBLE NOT NULL);
        CREATE INDEX meterSample_session ON meterSample(sessionId, id);
        CREATE TABLE event (id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, kind TEXT NOT NULL, connector INTEGER NOT NULL,
                            code TEXT, message TEXT NOT NULL);
        CREATE TABLE hardwareState (id INTEGER PRIMARY KEY CHECK (id = 1), data BLOB NOT NULL, at REAL NOT NULL);
        CREATE TABLE reservation (id INTEGER PRIMARY KEY NOT NULL, connector INTEGER NOT NULL, idTag TEXT NOT NULL, parentIdTag TEXT,
                                  expiresAt REAL NOT NULL);
        CREATE TABLE ocppQueue (seq INTEGER PRIMARY KEY AUTOINCREMENT, messageId TEXT NOT NULL UNIQUE, action TEXT NOT NULL,
                                sessionId TEXT, payload TEXT, attempts INTEGER NOT NULL DEFAULT 0, createdAt REAL NOT NULL);
        CREATE TABLE ocppTransactionData (id INTEGER PRIMARY KEY AUTOINCREMENT, sessionId TEXT NOT NULL, payload TEXT NOT NULL);
        CREATE INDEX ocppTransactionData_session ON ocppTransactionData(sessionId, id);
        """)
}
try migrator.migrate(writer)

let clock = ContinuousClock()
var figures: [String: [Double]] = [:]

/// Runs `body` once and keeps its duration under `name`.
@MainActor @discardableResult
func measure<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
    let start = clock.now
    let result = try body()
    let elapsed = clock.now - start
    figures[name, default: []].append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
    return result
}

/// A UUID's text form; the bench counts so that it needs no random source (the station uses UUID().uuidString).
func identifier(_ n: Int, _ kind: Int) -> String {
    let hex = String(n, radix: 16, uppercase: true)
    return "6F9619FF-8B86-D011-B42D-\(kind)" + String(repeating: "0", count: max(0, 11 - hex.count)) + hex
}

func enqueue(_ db: Database, action: String, session: String?, payload: String?, at: Double, message: Int) throws {
    try db.execute(sql: "INSERT INTO ocppQueue(messageId, action, sessionId, payload, createdAt) VALUES (?, ?, ?, ?, ?)",
                   arguments: [identifier(message, 1).lowercased(), action, session, payload, at])
}

/// A MeterValues payload of 7 sampled values (about 1 KB), as the station queues it.
let payload = "{\"connectorId\":1,\"transactionId\":1,\"meterValue\":[{\"timestamp\":\"2027-01-15T10:00:00Z\",\"sampledValue\":["
    + (0..<7).map { "{\"value\":\"\($0)1234.5\",\"context\":\"Sample.Periodic\",\"measurand\":\"Energy.Active.Import.Register\",\"unit\":\"Wh\",\"location\":\"Outlet\"}" }
        .joined(separator: ",") + "]}]}"
let hardware = Data((0..<64).map { UInt8($0) })  // the station binds the hardware state as Data
var messages = 0

for round in 0..<rounds {
    let at = 1_800_000_000 + Double(round) * 60
    let session = identifier(round, 2)
    try measure("sessionStarted + StartTransaction queued") {
        try writer.write { db in
            try db.execute(sql: """
                INSERT INTO session(id, connector, idTag, method, startedAt, meterStartWh, presentedIdTag, parentIdTag, source, provisional,
                                    reservationId, backendTransaction)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [session, 1, "04567DAA5F3580", "RFID", at, Double(round), "04567DAA5F3580", nil, "localList", false, nil, true])
            messages += 1
            try enqueue(db, action: "StartTransaction", session: session, payload: nil, at: at, message: messages)
        }
    }
    for s in 0..<5 {
        try measure("meter sample + hardware state") {
            try writer.write { db in
                try db.execute(sql: """
                    INSERT INTO meterSample(sessionId, connector, at, energyWh, powerW, currentL1, currentL2, currentL3,
                                            voltageL1, voltageL2, voltageL3) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [session, 1, at + Double(s), Double(round + s), 11_000.0, 16.0, 16.0, 16.0, 230.0, 230.0, 230.0])
                try db.execute(sql: """
                    INSERT INTO hardwareState(id, data, at) VALUES (1, ?, ?)
                    ON CONFLICT(id) DO UPDATE SET data = excluded.data, at = excluded.at
                    """, arguments: [hardware, at + Double(s)])
            }
        }
    }
    try measure("MeterValues queued") {
        try writer.write { db in
            messages += 1
            try enqueue(db, action: "MeterValues", session: session, payload: payload, at: at, message: messages)
            let excess = (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ocppQueue WHERE action = 'MeterValues'") ?? 0) - 10_000
            if excess > 0 {
                try db.execute(sql: "DELETE FROM ocppQueue WHERE seq IN (SELECT seq FROM ocppQueue WHERE action = 'MeterValues' ORDER BY seq LIMIT ?)",
                               arguments: [excess])
            }
        }
    }
    while let head = try measure("queue head (read)", {
        try writer.read { db -> (seq: Int64, action: String, session: String?)? in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM ocppQueue ORDER BY seq LIMIT 1") else { return nil }
            let sessionID: String? = try row["sessionId"]
            if let sessionID, let s = try Row.fetchOne(db, sql: "SELECT * FROM session WHERE id = ?", arguments: [sessionID]) {
                let _: Int? = try s["transactionId"]
                let _: Double = try s["startedAt"]
            }
            return try (row["seq"], row["action"], sessionID)
        }
    }) {
        try measure("message delivered") {
            try writer.write { db in
                if let session = head.session, head.action == "StartTransaction" {
                    try db.execute(sql: "UPDATE session SET transactionId = ?, transactionDelivered = 1 WHERE id = ?", arguments: [round + 1, session])
                }
                if let session = head.session, head.action == "StopTransaction" {
                    try db.execute(sql: "DELETE FROM ocppTransactionData WHERE sessionId = ?", arguments: [session])
                }
                try db.execute(sql: "DELETE FROM ocppQueue WHERE seq = ?", arguments: [head.seq])
            }
        }
    }
    try measure("sessionStopped + StopTransaction queued") {
        try writer.write { db in
            try db.execute(sql: """
                UPDATE session SET stoppedAt = ?, meterStopWh = ?, stopReason = ?, stoppedBy = ? WHERE id = ? AND stoppedAt IS NULL
                """, arguments: [at + 50, Double(round + 10), "Local", nil, session])
            if db.changesCount > 0,
               try Bool.fetchOne(db, sql: "SELECT 1 FROM ocppQueue WHERE sessionId = ? UNION SELECT 1 FROM session WHERE id = ? AND transactionDelivered = 1",
                                 arguments: [session, session]) == true {
                messages += 1
                try enqueue(db, action: "StopTransaction", session: session, payload: nil, at: at + 50, message: messages)
            }
        }
    }
    try measure("event appended") {
        try writer.write { db in
            try db.execute(sql: "INSERT INTO event(at, kind, connector, code, message) VALUES (?, ?, ?, ?, ?)",
                           arguments: [at, "sessionStopped", 1, nil, "Session stopped"])
        }
    }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
for name in figures.keys.sorted() {
    let values = figures[name]!.sorted()
    print("\(name): n=\(values.count) p50=\(Int(percentile(values, 0.5).rounded())) µs p99=\(Int(percentile(values, 0.99).rounded())) µs")
}
