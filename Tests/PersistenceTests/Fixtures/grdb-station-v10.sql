-- A station database at migration v10-session-backend-transaction, as the GRDB versions wrote it (see GRDBUpgradeTests).
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
INSERT INTO grdb_migrations VALUES('v1');
INSERT INTO grdb_migrations VALUES('v2-authorization');
INSERT INTO grdb_migrations VALUES('v3-ocpp');
INSERT INTO grdb_migrations VALUES('v4-ocpp-transaction-data');
INSERT INTO grdb_migrations VALUES('v5-reservations');
INSERT INTO grdb_migrations VALUES('v6-charging-profiles');
INSERT INTO grdb_migrations VALUES('v7-session-stopped-by');
INSERT INTO grdb_migrations VALUES('v8-dlm-slaves');
INSERT INTO grdb_migrations VALUES('v9-accounts');
INSERT INTO grdb_migrations VALUES('v10-session-backend-transaction');
CREATE TABLE parameter (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    updatedAt REAL NOT NULL
);
INSERT INTO parameter VALUES('MaxCurrent','{"integer":16}',1800000000.4999999999);
CREATE TABLE parameterAudit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    oldValue TEXT,
    newValue TEXT NOT NULL,
    changedBy TEXT NOT NULL,
    at REAL NOT NULL
);
INSERT INTO parameterAudit VALUES(1,'MaxCurrent',NULL,'{"integer":16}','web:installer',1800000000.4999999999);
CREATE TABLE session (
    number INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    connector INTEGER NOT NULL,
    idTag TEXT NOT NULL,
    method TEXT NOT NULL,
    startedAt REAL NOT NULL,
    meterStartWh DOUBLE NOT NULL,
    stoppedAt REAL,
    meterStopWh DOUBLE,
    stopReason TEXT,
    transactionId INTEGER
, presentedIdTag TEXT, parentIdTag TEXT, source TEXT, provisional INTEGER NOT NULL DEFAULT 0, transactionDelivered INTEGER NOT NULL DEFAULT 0, reservationId INTEGER, stoppedBy TEXT, backendTransaction INTEGER NOT NULL DEFAULT 1);
INSERT INTO session VALUES(1,'6F9619FF-8B86-D011-B42D-00C04FC964FF',1,'04567DAA5F3580','RFID',1800000000.0,100.0,1800003600.2499999999,11140.0,'Local',42,'04567DAA5F3580',NULL,'localList',0,1,NULL,'card',1);
INSERT INTO session VALUES(2,'0E984725-C51C-4BF4-9960-E1C80E27ABA0',2,'FREE','FreeCharging',1800007200.0,5000.0,NULL,NULL,NULL,NULL,'FREE',NULL,NULL,0,0,NULL,NULL,0);
CREATE TABLE meterSample (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sessionId TEXT REFERENCES session(id),
    connector INTEGER NOT NULL,
    at REAL NOT NULL,
    energyWh DOUBLE NOT NULL,
    powerW DOUBLE NOT NULL,
    currentL1 DOUBLE NOT NULL, currentL2 DOUBLE NOT NULL, currentL3 DOUBLE NOT NULL,
    voltageL1 DOUBLE NOT NULL, voltageL2 DOUBLE NOT NULL, voltageL3 DOUBLE NOT NULL
);
INSERT INTO meterSample VALUES(1,'0E984725-C51C-4BF4-9960-E1C80E27ABA0',2,1800007260.0,5100.0,11000.0,16.0,16.0,16.0,230.0,231.0,229.5);
CREATE TABLE event (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    connector INTEGER NOT NULL,
    code TEXT,
    message TEXT NOT NULL
);
INSERT INTO event VALUES(1,1800000000.0,'sessionStarted',1,NULL,'Session started');
CREATE TABLE hardwareState (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    data BLOB NOT NULL,
    at REAL NOT NULL
);
INSERT INTO hardwareState VALUES(1,X'00ff10',1800007260.0);
CREATE TABLE meta (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
INSERT INTO meta VALUES('localListVersion','3');
INSERT INTO meta VALUES('availability.2','Inoperative');
CREATE TABLE whitelist (
    position INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    connector INTEGER,
    groupId TEXT,
    expiry REAL,
    authorization TEXT NOT NULL
);
CREATE TABLE authList (
    idTag TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
    status TEXT NOT NULL,
    expiry REAL,
    parentIdTag TEXT,
    updatedAt REAL NOT NULL
);
CREATE TABLE authCache (
    idTag TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
    status TEXT NOT NULL,
    expiry REAL,
    parentIdTag TEXT,
    updatedAt REAL NOT NULL
);
CREATE TABLE ocppQueue (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    messageId TEXT NOT NULL UNIQUE,
    action TEXT NOT NULL,
    sessionId TEXT,
    payload TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    createdAt REAL NOT NULL
);
INSERT INTO ocppQueue VALUES(1,'b1c0e0a4-3f0e-4c59-9d5e-5d3c5c0a1a01','StopTransaction','6F9619FF-8B86-D011-B42D-00C04FC964FF',NULL,1,1800003600.2499999999);
CREATE TABLE ocppTransactionData (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sessionId TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE reservation (
    id INTEGER PRIMARY KEY NOT NULL,
    connector INTEGER NOT NULL,
    idTag TEXT NOT NULL,
    parentIdTag TEXT,
    expiresAt REAL NOT NULL
);
CREATE TABLE chargingProfile (
    id INTEGER PRIMARY KEY NOT NULL,
    connector INTEGER NOT NULL,
    profile TEXT NOT NULL
);
CREATE TABLE dlmSlave (
    id TEXT PRIMARY KEY NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE account (
    name TEXT PRIMARY KEY NOT NULL,
    record TEXT NOT NULL
);
DELETE FROM sqlite_sequence;
INSERT INTO sqlite_sequence VALUES('parameterAudit',1);
INSERT INTO sqlite_sequence VALUES('session',2);
INSERT INTO sqlite_sequence VALUES('meterSample',1);
INSERT INTO sqlite_sequence VALUES('ocppQueue',1);
INSERT INTO sqlite_sequence VALUES('event',1);
CREATE INDEX session_open ON session(stoppedAt) WHERE stoppedAt IS NULL;
CREATE INDEX meterSample_session ON meterSample(sessionId, id);
CREATE INDEX session_started ON session(startedAt);
CREATE INDEX ocppTransactionData_session ON ocppTransactionData(sessionId, id);
COMMIT;
