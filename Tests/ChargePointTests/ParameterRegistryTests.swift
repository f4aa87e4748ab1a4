import Foundation
import Testing
import EVSECore
import TestSupport
@testable import ChargePoint

@Suite("Parameter registry")
struct ParameterRegistryTests {
    let registry = ParameterRegistry(connectorCount: 2)
    var values: ParameterSet { ParameterSet(registry: registry) }

    @Test("every default is valid for its own type and range")
    func defaultsValid() throws {
        for r in registry.keys {
            #expect(throws: Never.self) { try registry.check(r.definition.defaultValue, r) }
        }
        #expect(registry.keys.count == registry.definitions.count + registry.definitions.filter { $0.scope == .connector }.count)
    }

    @Test("a parameter shown only for another one's values names a parameter of its own menu, with values it can take")
    func visibility() throws {
        var checked = 0
        for r in registry.keys {
            guard let v = registry.visibility(of: r) else { continue }
            let other = try registry.resolve(v.key)
            #expect(other.definition.menu == r.definition.menu, "\(r.key) depends on \(v.key) of another menu")
            #expect(other.connector == r.connector || other.connector == nil, "\(r.key) depends on \(v.key) of another connector")
            for value in v.values { #expect(throws: Never.self) { try registry.parse(value, for: other) } }
            checked += 1
        }
        #expect(checked >= 10)
        let address = try registry.resolve("MeterIPAddress.2")
        #expect(registry.visibility(of: address) == .when("MeterConfiguration.2", isNot: "internal"))
    }

    @Test("seed defaults (seeds/004 §4, §5.1, §7.1)", arguments: [
        ("VehicleConnectionTimeout", "45"), ("PowerSourceVoltage", "230"), ("PhasesConnected.1", "three"),
        ("PhaseRotation.2", "RST"), ("RestartTransactionAfterPowerLoss", "On"), ("LockActuatorOnlyIfAuthorized", "Off"),
        ("SingleFeedLine", "Off"),
    ])
    func seedDefaults(key: String, value: String) {
        #expect(values.value(key)?.description == value)
    }

    @Test("valid text input is parsed and normalized", arguments: [
        ("OperatorCurrentLimit.1", "16", ParameterValue.integer(16)),
        ("operatorcurrentlimit.2", " 20 ", .integer(20)),
        ("PowerSourceVoltage", "230.5", .decimal(230.5)),
        ("PhasesConnected.1", "single phase system (IT earthing)", .string("singleIT")),
        ("PhaseRotation.1", "tsr", .string("TSR")),
        ("SingleFeedLine", "on", .bool(true)),
        ("LockActuatorOnlyIfAuthorized", "false", .bool(false)),
        ("ChargeBoxIdentity", "+49*839*000000001", .string("+49*839*000000001")),
    ])
    func parses(key: String, text: String, expected: ParameterValue) throws {
        let r = try registry.resolve(key)
        #expect(try registry.parse(text, for: r) == expected)
    }

    @Test("invalid input names the key, the value and what is allowed", arguments: [
        ("OperatorCurrentLimit.1", "90", "a whole number from 6 to 80 A"),
        ("OperatorCurrentLimit.1", "5", "a whole number from 6 to 80 A"),
        ("OperatorCurrentLimit.1", "16.5", "a whole number from 6 to 80 A"),
        ("PowerSourceVoltage", "abc", "a number from 100 to 280 V"),
        ("PowerSourceVoltage", "nan", "a number from 100 to 280 V"),
        ("PhaseRotation.1", "RSS", "one of RST, RTS, SRT, STR, TRS, TSR"),
        ("SingleFeedLine", "maybe", "On or Off"),
        ("VehicleConnectionTimeout", "0", "a whole number from 5 to 600 s"),
        ("ChargeBoxIdentity", "has space", "text of 1 to 48 characters"),
        ("ChargeBoxIdentity", "", "text of 1 to 48 characters"),
    ])
    func rejects(key: String, text: String, allowed: String) throws {
        let r = try registry.resolve(key)
        do {
            _ = try registry.parse(text, for: r)
            Issue.record("\(text) accepted for \(key)")
        } catch {
            #expect(error.kind == .invalidValue)
            #expect(error.message.contains(r.key))
            #expect(error.message.contains("'\(text)'"))
            #expect(error.message.contains(allowed))
        }
    }

    @Test("unknown keys and connectors are refused", arguments: [
        "NoSuchKey", "OperatorCurrentLimit", "OperatorCurrentLimit.3", "OperatorCurrentLimit.x", "PowerSourceVoltage.1",
    ])
    func unknownKeys(key: String) {
        #expect(throws: ParameterError.self) { try registry.resolve(key) }
    }

    @Test("roles: operator may change the operator limit, not the installation limit (seeds/004 §7.2)")
    func roles() throws {
        #expect(throws: Never.self) { try registry.validateChange(key: "OperatorCurrentLimit.1", value: .integer(16), role: .operator, in: values) }
        do {
            _ = try registry.validateChange(key: "InstallationCurrentLimit.1", value: .integer(16), role: .operator, in: values)
            Issue.record("operator changed an installer parameter")
        } catch {
            #expect(error.kind == .forbidden)
            #expect(error.message.contains("installer"))
        }
        #expect(throws: ParameterError.self) {
            try registry.validateChange(key: "HardwareMaxCurrent.1", value: .integer(16), role: .installer, in: values)
        }
        #expect(throws: Never.self) {
            try registry.validateChange(key: "HardwareMaxCurrent.1", value: .integer(40), role: .manufacturer, in: values)
        }
    }

    @Test("single feed line settings open to the installer when the manufacturer allows it (seeds/004 §7.3)")
    func feedLineAccess() throws {
        var v = values
        #expect(throws: ParameterError.self) { try registry.validateChange(key: "FeedLineCapacity", value: .integer(40), role: .installer, in: v) }
        v.set("SingleFeedLineInstallerAccess", .bool(true))
        #expect(throws: Never.self) { try registry.validateChange(key: "FeedLineCapacity", value: .integer(40), role: .installer, in: v) }
    }

    @Test("limits chain: operator ≤ installation ≤ hardware, per connector")
    func ceilings() throws {
        var v = values
        v.set("InstallationCurrentLimit.1", .integer(20))
        do {
            _ = try registry.validateChange(key: "OperatorCurrentLimit.1", value: .integer(25), role: .operator, in: v)
            Issue.record("operator limit above installation limit accepted")
        } catch {
            #expect(error.kind == .conflict)
            #expect(error.message.contains("InstallationCurrentLimit.1"))
        }
        #expect(throws: Never.self) { try registry.validateChange(key: "OperatorCurrentLimit.2", value: .integer(25), role: .operator, in: v) }
        v.set("OperatorCurrentLimit.1", .integer(20))
        #expect(throws: ParameterError.self) {
            try registry.validateChange(key: "InstallationCurrentLimit.1", value: .integer(16), role: .installer, in: v)
        }
        #expect(throws: ParameterError.self) {
            try registry.validateChange(key: "HardwareMaxCurrent.1", value: .integer(16), role: .manufacturer, in: v)
        }
    }

    @Test("typed JSON values are checked like text", arguments: [
        (ParameterValue.decimal(16), true), (.decimal(16.5), false), (.string("16"), false), (.bool(true), false), (.integer(100), false),
    ])
    func typed(value: ParameterValue, ok: Bool) throws {
        let r = try registry.resolve("OperatorCurrentLimit.1")
        if ok { #expect(try registry.check(value, r) == .integer(16)) } else { #expect(throws: ParameterError.self) { try registry.check(value, r) } }
    }

    @Test("the service stores changes with an audit trail and changes nothing on error")
    func service() throws {
        let store = InMemoryParameterStore()
        var s = try ParameterService(store: store, connectorCount: 2)
        let t = Date(timeIntervalSince1970: 1_800_000_000)
        let v = try s.set("OperatorCurrentLimit.1", text: "16", role: .operator, changedBy: "test", now: t)
        #expect(v.value == .integer(16))
        #expect(try s.set("OperatorCurrentLimit.1", .string("16"), role: .operator, changedBy: "again", now: t).value == .integer(16))
        #expect(store.audit == [ParameterAuditEntry(key: "OperatorCurrentLimit.1", oldValue: "32", newValue: "16", changedBy: "test", at: t)])
        #expect(throws: ParameterError.self) { try s.set("OperatorCurrentLimit.1", text: "99", role: .operator, changedBy: "x", now: t) }
        #expect(s.values.value("OperatorCurrentLimit.1") == .integer(16))
        #expect(store.audit.count == 1)
        let reloaded = try ParameterService(store: store, connectorCount: 2)
        #expect(reloaded.values.value("OperatorCurrentLimit.1") == .integer(16))
        #expect(reloaded.list().count == reloaded.registry.keys.count)
        #expect(try reloaded.get("OperatorCurrentLimit.2").label == "Operator Current Limit [A] (Connector 2)")
    }

    @Test("a form's changes: all validated against each other, then all stored; any error stores none")
    func batch() throws {
        let store = InMemoryParameterStore()
        var s = try ParameterService(store: store, connectorCount: 1)
        let t = Date(timeIntervalSince1970: 1_800_000_000)
        // The installation limit may only fall below 32 A once the operator limit below it has fallen: one form does both.
        let views = try s.set(texts: [("InstallationCurrentLimit.1", "20"), ("OperatorCurrentLimit.1", "16")], role: .installer,
                              changedBy: "web", now: t)
        #expect(views.map(\.key) == ["OperatorCurrentLimit.1", "InstallationCurrentLimit.1"])
        #expect(s.values.value("InstallationCurrentLimit.1") == .integer(20))
        do {
            try s.set(texts: [("PowerSourceVoltage", "240"), ("OperatorCurrentLimit.1", "99"), ("HardwareMaxCurrent.1", "16")],
                      role: .installer, changedBy: "web", now: t)
            Issue.record("accepted")
        } catch let e as ParameterBatchError {
            #expect(e.errors["OperatorCurrentLimit.1"]?.kind == .invalidValue)
            #expect(e.errors["HardwareMaxCurrent.1"]?.kind == .forbidden)
            #expect(e.errors["PowerSourceVoltage"] == nil)
        }
        #expect(s.values.number("PowerSourceVoltage") == 230, "the valid change of a refused form is not stored either")
        #expect(store.audit.count == 2)
    }

    @Test("seeds004_3 Operator Default: the operator's parameters return to their defaults, the installer's and the backend connection stay; a default above an installer's limit is kept")
    func seeds004_3_operatorDefault() throws {
        let store = InMemoryParameterStore()
        var s = try ParameterService(store: store, connectorCount: 2)
        let t = Date(timeIntervalSince1970: 1_800_000_000)
        try s.set(texts: [("InstallationCurrentLimit.1", "20"), ("OperatorCurrentLimit.1", "16"), ("OperatorCurrentLimit.2", "10"),
                          ("FreeCharging", "On"), ("PowerSourceVoltage", "240"), ("BackendURL", "ws://cs.example:9000/ocpp"),
                          ("ChargeBoxIdentity", "CK-FLEET-7"), ("AuthorizationKey", "fleet-secret-key")],
                  role: .installer, changedBy: "setup", now: t)
        let audited = store.audit.count
        let (restored, kept) = try s.restoreOperatorDefaults(changedBy: "operator default (test)", now: t)
        #expect(Set(restored.map(\.key)) == ["OperatorCurrentLimit.2", "FreeCharging"])
        #expect(kept == ["OperatorCurrentLimit.1"], "32 A would exceed the installation limit of 20 A")
        #expect(s.values.value("OperatorCurrentLimit.2") == .integer(32) && s.values.value("FreeCharging") == .bool(false))
        #expect(s.values.number("PowerSourceVoltage") == 240 && s.values.value("InstallationCurrentLimit.1") == .integer(20))
        #expect(s.values.value("BackendURL") == .string("ws://cs.example:9000/ocpp") && s.values.value("ChargeBoxIdentity") == .string("CK-FLEET-7")
                && s.values.value("AuthorizationKey") == .string("fleet-secret-key"), "the backend connection stays")
        #expect(store.audit.dropFirst(audited).allSatisfy { $0.changedBy == "operator default (test)" } && store.audit.count == audited + 2)
        let reloaded = try ParameterService(store: store, connectorCount: 2)
        #expect(reloaded.values.value("FreeCharging") == .bool(false), "stored")
    }

    @Test("seeds004_4 the parameters that wait for a restart: changed restart-required ones, not those in effect at once")
    func seeds004_4_waitingForRestart() throws {
        var s = try ParameterService(store: InMemoryParameterStore(), connectorCount: 1)
        let start = s.values
        let t = Date(timeIntervalSince1970: 1_800_000_000)
        try s.set(texts: [("ChargeBoxIdentity", "CK-NEW"), ("FreeCharging", "On")], role: .operator, changedBy: "web", now: t)
        #expect(s.values.waitingForRestart(startedWith: start).map(\.key) == ["ChargeBoxIdentity"])
        try s.set("ChargeBoxIdentity", text: start.value("ChargeBoxIdentity")?.description ?? "", role: .operator, changedBy: "web", now: t)
        #expect(s.values.waitingForRestart(startedWith: start).isEmpty, "changed back: nothing waits")
    }

    @Test("stored values that no longer validate fall back to the default")
    func invalidStored() throws {
        let store = InMemoryParameterStore(["OperatorCurrentLimit.1": .integer(500), "Bogus": .bool(true)])
        let s = try ParameterService(store: store, connectorCount: 1)
        #expect(s.values.value("OperatorCurrentLimit.1") == .integer(32))
    }

    @Test("current limits: the smallest binds; a shared feed line is split between running sessions")
    func currentLimits() {
        var v = values
        v.set("ConnectorCount", .integer(2))
        v.set("InstallationCurrentLimit.1", .integer(25))
        v.set("OperatorCurrentLimit.2", .integer(20))
        var s = StationSettings(v)
        #expect(CurrentLimits.compute(s, demanding: []).map { "\($0.amps) \($0.binding)" } == ["25.0 installation", "20.0 operator"])
        s.singleFeedLine = true
        s.feedLineCapacityAmps = 32
        #expect(CurrentLimits.compute(s, demanding: [1]).map(\.amps) == [25, 16])
        #expect(CurrentLimits.compute(s, demanding: [1, 2]).map { "\($0.amps) \($0.binding)" } == ["16.0 singleFeedLine", "16.0 singleFeedLine"])
    }
}
