"""The peer of persistence-bench (scripts/bench-persistence.sh): the same SQL statements in the same transactions on
the same SQLite settings (WAL, synchronous NORMAL, foreign keys on, BEGIN IMMEDIATE per write), through CPython's
sqlite3 module (C, statements cached by the module). It measures what the SQLite library itself costs, so the
difference to the Swift figures is the Swift layer's share. Prints p50/p99 per operation in µs."""
import os, sqlite3, sys, time, uuid

directory, rounds = sys.argv[1], int(sys.argv[2])
os.makedirs(directory, exist_ok=True)
db = sqlite3.connect(os.path.join(directory, "peer.sqlite"), isolation_level=None, cached_statements=256)
db.execute("PRAGMA foreign_keys = ON")
assert db.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
db.execute("PRAGMA synchronous = NORMAL")
db.executescript("""
CREATE TABLE session (number INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, connector INTEGER NOT NULL,
  idTag TEXT NOT NULL, method TEXT NOT NULL, startedAt REAL NOT NULL, meterStartWh DOUBLE NOT NULL, stoppedAt REAL,
  meterStopWh DOUBLE, stopReason TEXT, transactionId INTEGER, presentedIdTag TEXT, parentIdTag TEXT, source TEXT,
  provisional INTEGER NOT NULL DEFAULT 0, transactionDelivered INTEGER NOT NULL DEFAULT 0, reservationId INTEGER,
  stoppedBy TEXT, backendTransaction INTEGER NOT NULL DEFAULT 1);
CREATE INDEX session_open ON session(stoppedAt) WHERE stoppedAt IS NULL;
CREATE TABLE meterSample (id INTEGER PRIMARY KEY AUTOINCREMENT, sessionId TEXT REFERENCES session(id), connector INTEGER NOT NULL,
  at REAL NOT NULL, energyWh DOUBLE NOT NULL, powerW DOUBLE NOT NULL, currentL1 DOUBLE NOT NULL, currentL2 DOUBLE NOT NULL,
  currentL3 DOUBLE NOT NULL, voltageL1 DOUBLE NOT NULL, voltageL2 DOUBLE NOT NULL, voltageL3 DOUBLE NOT NULL);
CREATE INDEX meterSample_session ON meterSample(sessionId, id);
CREATE TABLE hardwareState (id INTEGER PRIMARY KEY CHECK (id = 1), data BLOB NOT NULL, at REAL NOT NULL);
CREATE TABLE ocppQueue (seq INTEGER PRIMARY KEY AUTOINCREMENT, messageId TEXT NOT NULL UNIQUE, action TEXT NOT NULL,
  sessionId TEXT, payload TEXT, attempts INTEGER NOT NULL DEFAULT 0, createdAt REAL NOT NULL);
""")
figures = {}


def measure(name, body):
    start = time.perf_counter()
    result = body()
    figures.setdefault(name, []).append((time.perf_counter() - start) * 1e6)
    return result


def write(body):
    def run():
        db.execute("BEGIN IMMEDIATE TRANSACTION")
        try:
            result = body()
        except BaseException:
            db.execute("ROLLBACK TRANSACTION")
            raise
        db.execute("COMMIT TRANSACTION")
        return result
    return run


def enqueue(action, session, payload, at):
    db.execute("INSERT INTO ocppQueue(messageId, action, sessionId, payload, createdAt) VALUES (?, ?, ?, ?, ?)",
               (str(uuid.uuid4()), action, session, payload, at))


payload = ('{"connectorId":1,"transactionId":1,"meterValue":[{"timestamp":"2027-01-15T10:00:00Z","sampledValue":['
           + ",".join('{"value":"%d1234.5","context":"Sample.Periodic","measurand":"Energy.Active.Import.Register",'
                      '"unit":"Wh","location":"Outlet"}' % i for i in range(7)) + ']}]}')
hardware = bytes(range(64))
t0 = 1_800_000_000.0
for r in range(rounds):
    at = t0 + r * 60
    sid = str(uuid.uuid4()).upper()

    def start():
        db.execute("""INSERT INTO session(id, connector, idTag, method, startedAt, meterStartWh, presentedIdTag, parentIdTag, source, provisional,
                      reservationId, backendTransaction) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                   (sid, 1, "04567DAA5F3580", "RFID", at, float(r), "04567DAA5F3580", None, "localList", False, None, True))
        enqueue("StartTransaction", sid, None, at)
    measure("sessionStarted + StartTransaction queued", write(start))
    for s in range(5):
        def sample():
            db.execute("""INSERT INTO meterSample(sessionId, connector, at, energyWh, powerW, currentL1, currentL2, currentL3,
                          voltageL1, voltageL2, voltageL3) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                       (sid, 1, at + s, float(r + s), 11000.0, 16.0, 16.0, 16.0, 230.0, 230.0, 230.0))
            db.execute("""INSERT INTO hardwareState(id, data, at) VALUES (1, ?, ?)
                          ON CONFLICT(id) DO UPDATE SET data = excluded.data, at = excluded.at""", (hardware, time.time()))
        measure("meter sample + hardware state", write(sample))

    def meter_values():
        enqueue("MeterValues", sid, payload, at)
        excess = db.execute("SELECT COUNT(*) FROM ocppQueue WHERE action = 'MeterValues'").fetchone()[0] - 10_000
        if excess > 0:
            db.execute("DELETE FROM ocppQueue WHERE seq IN (SELECT seq FROM ocppQueue WHERE action = 'MeterValues' ORDER BY seq LIMIT ?)", (excess,))
    measure("MeterValues queued", write(meter_values))
    while True:
        def head():
            db.execute("BEGIN DEFERRED TRANSACTION")
            row = db.execute("SELECT * FROM ocppQueue ORDER BY seq LIMIT 1").fetchone()
            if row is not None and row[3] is not None:
                db.execute("SELECT * FROM session WHERE id = ?", (row[3],)).fetchone()
            db.execute("COMMIT TRANSACTION")
            return row
        row = measure("queue head (read)", head)
        if row is None:
            break

        def delivered():
            if row[3] is not None and row[2] == "StartTransaction":
                db.execute("UPDATE session SET transactionId = ?, transactionDelivered = 1 WHERE id = ?", (r + 1, row[3]))
            db.execute("DELETE FROM ocppQueue WHERE seq = ?", (row[0],))
        measure("message delivered", write(delivered))

    def stop():
        db.execute("UPDATE session SET stoppedAt = ?, meterStopWh = ?, stopReason = ?, stoppedBy = ? WHERE id = ? AND stoppedAt IS NULL",
                   (at + 50, float(r + 10), "Local", None, sid))
        if db.execute("SELECT 1 FROM ocppQueue WHERE sessionId = ? UNION SELECT 1 FROM session WHERE id = ? AND transactionDelivered = 1",
                      (sid, sid)).fetchone():
            enqueue("StopTransaction", sid, None, at + 50)
    measure("sessionStopped + StopTransaction queued", write(stop))

for name in sorted(figures):
    values = sorted(figures[name])
    p = lambda q: values[min(len(values) - 1, int(len(values) * q))]
    print(f"{name}: n={len(values)} p50={round(p(0.5))} µs p99={round(p(0.99))} µs")
