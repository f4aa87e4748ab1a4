import Foundation
import ModbusTCP
import OCPP16
import Testing
@testable import Gateway

/// Issue 29 items 10–14: register-by-register writes, totals and phases, time sync, signals and the project file, the
/// Heartbeat register. Each test is named after the seed section or the peer behaviour it mirrors.
struct Issue29GatewayTests {
    /// Writes a value's registers one at a time with function 6, as a point-by-point BMS does.
    static func oneByOne(_ h: inout Harness, _ s: SignalAddress, _ v: RegisterValue) -> [ExceptionCode?] {
        Harness.encode(s, v).enumerated().map { i, r in h.write(s.address + i, [r]) }
    }

    @Test("seeds/003 §2.3.1.7: Remote Start with the Id Tag written one register at a time (function 6)")
    func seeds003_2_3_1_7_remoteStartRegisterByRegister() throws {
        var h = Harness()
        #expect(h.write(.cp1(.remoteStartConnectorId), 2) == nil)
        #expect(Self.oneByOne(&h, .cp1(.remoteStartIdTag), .text("REMOTE-ONE-BY-ONE")).allSatisfy { $0 == nil })
        #expect(h.text(.cp1(.remoteStartIdTag)) == "REMOTE-ONE-BY-ONE", "complete with its last register")
        #expect(h.cs.partialValues.isEmpty)
        #expect(h.write(.cp1(.remoteStartFlag), 1) == nil)
        guard case .call(_, "RemoteStartTransaction", let payload)? = h.last() else { Issue.record("no RemoteStartTransaction"); return }
        #expect(field(payload, "idTag") == .string("REMOTE-ONE-BY-ONE"))
    }

    @Test("seeds/003 §2.3.1.7: Reserve Now register by register; a short Id Tag is completed by raising the Flag")
    func seeds003_2_3_1_7_reserveNowRegisterByRegister() throws {
        var h = Harness()
        #expect(h.write(.cp1(.reserveNowConnectorId), 1) == nil)
        #expect(Self.oneByOne(&h, .cp1(.reserveNowExpiration), .integer(1_900_000_000)).allSatisfy { $0 == nil })
        // "RES-7" fits in three registers: the BMS writes those and raises the Flag.
        let tag = Harness.encode(.cp1(.reserveNowIdTag), .text("RES-7"))
        for i in 0..<3 { #expect(h.write(SignalAddress.cp1(.reserveNowIdTag).address + i, [tag[i]]) == nil) }
        #expect(h.cs.partialValues.count == 1, "the Id Tag is not complete yet")
        #expect(h.write(.cp1(.reserveNowReservationId), 42) == nil)
        #expect(h.write(.cp1(.reserveNowFlag), 1) == nil)
        #expect(h.cs.partialValues.isEmpty)
        guard case .call(_, "ReserveNow", let payload)? = h.last() else { Issue.record("no ReserveNow"); return }
        #expect(field(payload, "idTag") == .string("RES-7"))
        #expect(field(payload, "reservationId") == .integer(42))
        #expect(field(payload, "expiryDate") == .string(OCPPDate.format(Date(timeIntervalSince1970: 1_900_000_000))))
    }

    @Test("seeds/003 §2.3.1.7: Send Local List with Id Tag, Parent Id Tag and Expiration written register by register")
    func seeds003_2_3_1_7_sendLocalListRegisterByRegister() throws {
        var h = Harness()
        #expect(h.write(.cp1(.sendLocalListOperation), 1) == nil)
        #expect(Self.oneByOne(&h, .cp1(.sendLocalListIdTag), .text("CARD-1")).allSatisfy { $0 == nil })
        #expect(Self.oneByOne(&h, .cp1(.sendLocalListParentIdTag), .text("FLEET")).allSatisfy { $0 == nil })
        #expect(Self.oneByOne(&h, .cp1(.sendLocalListExpiration), .integer(1_950_000_000)).allSatisfy { $0 == nil })
        #expect(h.write(.cp1(.sendLocalListAuthorizationStatus), 0) == nil)
        #expect(h.write(.cp1(.sendLocalListFlag), 1) == nil)
        guard case .call(_, "GetLocalListVersion", _)? = h.last() else { Issue.record("the list operation did not start"); return }
    }

    @Test("seeds/003 §2.3.1.7: a value never completed is discarded after 15 s, its registers as before")
    func seeds003_2_3_1_7_partialValueDiscardedAfterTimeout() throws {
        var h = Harness()
        #expect(h.write(.cp1(.remoteStartIdTag), text: "OLD-TAG") == nil)
        #expect(h.write(SignalAddress.cp1(.remoteStartIdTag).address, [0x4E45]) == nil)  // "NE"
        #expect(h.text(.cp1(.remoteStartIdTag)) == "NED-TAG", "the register written reads back at once")
        h.tick(14.75)
        #expect(h.cs.partialValues.count == 1)
        h.tick(0.25)
        #expect(h.cs.partialValues.isEmpty)
        #expect(h.text(.cp1(.remoteStartIdTag)) == "OLD-TAG")
        #expect(h.actions.contains { if case .log(let e) = $0 { e.message.contains("Remote Start Id Tag") && e.message.contains("discarded") } else { false } })
    }

    @Test("seeds/003 §2.3.1.7: a value that is invalid once complete is refused with 03 at the write or Flag that completes it")
    func seeds003_2_3_1_7_invalidPartialValueRefused() throws {
        var h = Harness()
        let a = SignalAddress.cp1(.remoteStartIdTag).address
        #expect(h.write(a, [0x4100]) == nil)   // "A", NUL
        #expect(h.write(a + 1, [0x4242]) == nil, "not complete yet")
        #expect(h.write(.cp1(.remoteStartFlag), 1) == .illegalDataValue, "a character after the NUL")
        #expect(h.sent["CP1"] == nil)
        #expect(h.write(a + 9, [0x4343]) == .illegalDataValue, "the last register completes it: refused")
    }

    @Test("seeds/003 §2.3.1.7: a Flag completes only its own operation's values; another operation's half-written value waits")
    func seeds003_2_3_1_7_flagCompletesItsOwnBlockOnly() throws {
        var h = Harness()
        let a = SignalAddress.cp1(.sendLocalListIdTag).address
        #expect(h.write(a, [0x4100]) == nil)   // "A", NUL: invalid once a character follows
        #expect(h.write(a + 1, [0x4242]) == nil)
        #expect(h.write(.cp1(.resetFlag), 1) == nil, "the Reset is not refused for the Send Local List's Id Tag")
        guard case .call(_, "Reset", _)? = h.last() else { Issue.record("no Reset"); return }
        #expect(h.cs.partialValues.count == 1, "the Id Tag still waits for its own Flag or last register")
        #expect(h.write(.cp1(.sendLocalListFlag), 1) == .illegalDataValue, "its own Flag checks it")
    }

    @Test("OCPP 1.6 §7.45: a one-register measurand gets the total, not the L1 value sent with it")
    func ocpp16_7_45_totalNotOverwrittenByPhases() throws {
        var h = Harness()
        func sv(_ v: String, _ m: String, _ phase: String?) -> SampledValue { SampledValue(value: v, measurand: m, phase: phase, unit: nil) }
        let values = [sv("11000", "Power.Active.Import", nil), sv("3600", "Power.Active.Import", "L1"), sv("3700", "Power.Active.Import", "L2"),
                      sv("10", "Current.Import", "L1"), sv("11", "Current.Import", "L2"), sv("5000", "Energy.Active.Import.Register", "L1"),
                      sv("15000", "Energy.Active.Import.Register", nil)]
        _ = h.call(MeterValuesRequest(connectorId: 1, meterValue: [MeterValue(timestamp: h.now, sampledValue: values)]))
        #expect(h.value(.cp1(1, .value(.powerActiveImport, phase: 0))) == .float(11000))
        #expect(h.value(.cp1(1, .value(.energyActiveImportRegister, phase: 0))) == .float(15000))
        #expect(h.value(.cp1(1, .value(.currentImport, phase: 1))) == .float(11), "phase-wise measurands keep their phases")
        // Without a total the L1 value is taken, as before.
        _ = h.call(MeterValuesRequest(connectorId: 1,
                                      meterValue: [MeterValue(timestamp: h.now, sampledValue: [sv("3500", "Power.Active.Import", "L1")])]))
        #expect(h.value(.cp1(1, .value(.powerActiveImport, phase: 0))) == .float(3500))
    }

    @Test("seeds/003 Appendix 2 register 0: the gateway resets the Heartbeat within a second (after 0.5 s, ticked every 0.25 s)")
    func seeds003_appendix2_heartbeatResetWithinASecond() throws {
        var h = Harness()
        #expect(h.write(0, [1]) == nil)
        var elapsed = 0.0
        while h.read(0, 1) == .success([1]), elapsed < 5 {
            h.tick(CentralSystem.tickIntervalSeconds)
            elapsed += CentralSystem.tickIntervalSeconds
        }
        // The adapter's tick may come up to one interval after the write: the reset is within 0.5 + 0.25 s.
        #expect(elapsed + CentralSystem.tickIntervalSeconds < 1, "reset after \(elapsed) s")
        #expect(elapsed >= CentralSystem.heartbeatResetSeconds, "a BMS reading right after its write still sees the 1")
    }

    @Test("seeds/003 §2.3.1.1: registers 1…6 in the BMS's time zone, taken 15 s after the last write; they read back the written values meanwhile")
    func seeds003_2_3_1_1_timeZoneAndWindow() throws {
        var h = Harness { $0.bmsTimeZone = "Europe/Berlin" }
        #expect(h.write(1, [0, 0, 12, 1, 7, 2028]) == nil)  // 12:00 local (CEST, UTC+2)
        h.tick(14.75)
        #expect(h.cs.clockOffsetSeconds == 0, "not taken within the window")
        #expect(try h.read(1, 6).get() == [0, 0, 12, 1, 7, 2028], "the registers hold what the BMS wrote")
        // The window is over; the next OCPP answer carries the new date even before the tick took it.
        h.now = h.now.addingTimeInterval(0.25)
        let id = h.call(HeartbeatRequest())
        #expect(field(h.answer(id), "currentTime") == .string("2028-07-01T10:00:15.000Z"), "local 12:00 is 10:00 UTC; 15 s later")
        #expect(try h.read(1, 6).get() == [15, 0, 12, 1, 7, 2028], "the clock reads back in the BMS's time zone")
        // In winter the same zone is UTC+1.
        #expect(h.write(1, [0, 0, 12, 1, 1, 2029]) == nil)
        h.tick(15)
        let winter = h.call(HeartbeatRequest())
        #expect(field(h.answer(winter), "currentTime") == .string("2029-01-01T11:00:15.000Z"))
    }

    @Test("seeds/003 §2.3.1.1: a partial date is discarded at the end of the window; a rewrite inside it restarts the window")
    func seeds003_2_3_1_1_partialDateDiscarded() throws {
        var h = Harness()
        #expect(h.write(1, [0, 0, 0, 1, 1]) == nil)
        h.tick(10)
        #expect(h.write(6, [2030]) == nil, "10 s later: still within 15 s of the last write")
        h.tick(10)
        #expect(h.cs.clockOffsetSeconds == 0)
        h.tick(5)
        #expect(h.cs.clockOffsetSeconds != 0, "all six written, 15 s after the last write")
        let offset = h.cs.clockOffsetSeconds
        #expect(h.write(1, [0, 0, 0]) == nil)
        h.tick(15)
        #expect(h.cs.clockOffsetSeconds == offset)
        #expect(h.actions.contains { if case .log(let e) = $0 { e.message.contains("partial dates are not valid") } else { false } })
    }

    @Test("seeds/003 §2.2 step 6: a signal switched off answers as \"Not used\": reads 0, writes and bit access answer 02")
    func seeds003_2_2_signalOffAnswersAsNotUsed() throws {
        let tag = SignalAddress.cp1(.remoteStartIdTag).address, flag = SignalAddress.cp1(.authorizationFlag).address
        var h = Harness { $0.signalsOff = [tag, flag] }
        #expect(h.write(.cp1(.remoteStartIdTag), text: "X") == .illegalDataAddress)
        #expect(h.write(tag + 3, [0x4141]) == .illegalDataAddress)
        _ = h.call(AuthorizeRequest(idTag: "AAA"))
        #expect(h.read(flag, 1) == .success([0]), "the flag is set inside but the signal reads 0")
        #expect((try? h.cs.modbusReadBits(address: flag, quantity: 1).get()) == nil)
        #expect(h.read(tag, 10) == .success(Array(repeating: 0, count: 10)))
        let rows = h.cs.settings.signalRows
        #expect(rows.first { $0.address == tag }?.on == false)
        #expect(rows.first { $0.address == SignalAddress.cp1(.remoteStartFlag).address }?.on == true)
    }

    @Test("the signal list: every signal with address, format and access as seeds/003 Appendix 2 lists them")
    func seeds003_appendix2_signalList() throws {
        var s = GatewaySettings()
        s.chargers = [ChargerEntry(id: "CP1", slot: 0, connectors: 1)]
        let rows = s.signalRows
        #expect(rows.first?.name == "Heartbeat" && rows.first?.access == "RW")
        let idTag = try #require(rows.first { $0.address == 165 })
        #expect(idTag.name == "Id Tag Authorization" && idTag.format == "String" && idTag.access == "R" && idTag.addresses == "165…174")
        #expect(rows.first { $0.address == 188 }?.format == "DateTime")
        #expect(rows.first { $0.address == 612 + 0 }?.owner == "CP1 connector 0")
        #expect(RegisterLayout.signal(forAddress: 165) == .charger(slot: 0, .authorizationIdTag))
        #expect(RegisterLayout.signal(forAddress: 166) == nil)
        s.signalsOff = [166]
        #expect(s.problems().contains { $0.field == "signalsOff" })
    }

    @Test("project file: the whole configuration round-trips, secrets are not exported and the import keeps the stored one")
    func seeds003_2_2_projectFileRoundTrip() throws {
        var s = GatewaySettings()
        s.chargers = [ChargerEntry(id: "CP1", slot: 0, connectors: 2), ChargerEntry(id: "CP9", slot: 5, connectors: 1)]
        s.signalsOff = [165, 376]
        s.bmsTimeZone = "Europe/Amsterdam"
        s.heartbeatIntervalSeconds = 600
        s.externalPassword = "s3cret-upstream"
        let file = try GatewayProject.export(s)
        #expect(!file.contains("s3cret-upstream") && !file.contains("\"externalPassword\" :"))
        var other = GatewaySettings()
        other.externalPassword = "the-other-one"
        let imported = try GatewayProject.read(Array(file.utf8), keepingSecretsOf: other)
        var expected = s
        expected.externalPassword = "the-other-one"
        #expect(imported == expected)
    }

    @Test("project file import: a bad file names its bad field and is refused whole")
    func seeds003_2_2_projectFileValidation() throws {
        let good = try GatewayProject.export(GatewaySettings())
        func problems(_ text: String) -> [SettingProblem] {
            do { _ = try GatewayProject.read(Array(text.utf8), keepingSecretsOf: GatewaySettings()) } catch { return error.problems }
            return []
        }
        #expect(problems("not json").first?.field == "file")
        #expect(problems("{\"format\": \"other\"}").first?.field == "format")
        #expect(problems(good.replacingOccurrences(of: "\"heartbeatIntervalSeconds\" : 300", with: "\"heartbeatIntervalSeconds\" : 5"))
            .first?.field == "heartbeatIntervalSeconds")
        #expect(problems(good.replacingOccurrences(of: "\"heartbeatIntervalSeconds\" : 300", with: "\"heartbeatIntervalSeconds\" : \"x\""))
            .first?.field == "heartbeatIntervalSeconds")
        #expect(problems(good.replacingOccurrences(of: "\"bmsTimeZone\" : \"UTC\"", with: "\"bmsTimeZone\" : \"Mars/Base\"")).first?.field == "bmsTimeZone")
        #expect(problems(good.replacingOccurrences(of: "\"chargers\" : [", with: "\"colour\" : 1, \"chargers\" : [")).first?.field == "colour")
        #expect(problems(good.replacingOccurrences(of: "\"chargers\" : [", with: "\"chargers\" : [{\"id\": \"A\", \"slot\": \"x\", \"connectors\": 1}"))
            .first?.field == "chargers")
        #expect(problems(good).isEmpty)
    }
}
