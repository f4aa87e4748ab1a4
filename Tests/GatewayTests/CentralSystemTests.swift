import Foundation
import ModbusTCP
import OCPP16
import Testing
@testable import Gateway

@Suite("Gateway central system: OCPP side")
struct CentralSystemOCPPTests {
    @Test("BootNotification is accepted with the heartbeat interval and fills the information registers")
    func boot() throws {
        var h = Harness()
        let id = h.call(BootNotificationRequest(chargePointVendor: "ChargeKit", chargePointModel: "Wallbox 22",
                                                chargePointSerialNumber: "CP-0001", chargeBoxSerialNumber: "BOX-9"))
        let answer = try #require(h.answer(id))
        #expect(field(answer, "status") == .string("Accepted"))
        #expect(field(answer, "interval") == .integer(300))
        #expect(h.text(.cp1(.chargePointVendor)) == "ChargeKit")
        #expect(h.text(.cp1(.chargePointModel)) == "Wallbox 22")
        #expect(h.text(.cp1(.chargePointSerialNumber)) == "CP-0001")
        #expect(h.text(.cp1(.chargeBoxSerialNumber)) == "BOX-9")
        #expect(h.int(.cp1(.communicationStatus)) == 0)
        #expect(h.int(.charger(slot: 3, .communicationStatus)) == 1, "CP2 is not connected")
    }

    @Test("bad frames get the CALLERROR their fault calls for", arguments: [
        ("[2,\"a1\",\"Heartbeat\"]", "FormationViolation"),
        ("[2,\"a2\",\"Jump\",{}]", "NotImplemented"),
        ("[2,\"a3\",\"Reset\",{\"type\":\"Hard\"}]", "NotSupported"),
        ("[2,\"a4\",\"StatusNotification\",{\"connectorId\":1,\"status\":\"Available\"}]", "OccurenceConstraintViolation"),
        ("[2,\"a5\",\"StatusNotification\",{\"connectorId\":1,\"status\":\"Sleeping\",\"errorCode\":\"NoError\"}]", "PropertyConstraintViolation"),
        ("[2,\"a6\",\"Authorize\",{\"idTag\":7}]", "TypeConstraintViolation"),
        ("[2,\"a7\",\"Heartbeat\",{\"extra\":1}]", "FormationViolation"),
    ])
    func badFrames(_ text: String, _ code: String) throws {
        var h = Harness()
        h.record(h.cs.received("CP1", text: text, now: h.now))
        guard case .callError(_, let got, _, _)? = h.last() else { Issue.record("no CALLERROR for \(text)"); return }
        #expect(got == code)
    }

    @Test("unreadable bytes are dropped and logged, never answered")
    func garbage() {
        var h = Harness()
        h.record(h.cs.received("CP1", text: "\u{0}\u{1}not json", now: h.now))
        #expect(h.sent["CP1"] == nil)
        #expect(h.actions.contains { if case .log(let e) = $0 { e.message.contains("unreadable") } else { false } })
    }

    @Test("StatusNotification and MeterValues fill the connector registers with units")
    func statusAndMeters() throws {
        var h = Harness()
        _ = h.call(StatusNotificationRequest(connectorId: 1, errorCode: "GroundFailure", status: "Faulted"))
        #expect(h.int(.cp1(1, .status)) == 8)
        #expect(h.int(.cp1(1, .errorCode)) == 2)
        let t = h.now
        _ = h.call(MeterValuesRequest(connectorId: 2, meterValue: [MeterValue(timestamp: t, sampledValue: [
            SampledValue(value: "15.5", measurand: "Current.Import", phase: "L2", unit: "A"),
            SampledValue(value: "231.2", measurand: "Voltage", phase: "L3-N", unit: "V"),
            SampledValue(value: "12.5", measurand: "Energy.Active.Import.Register", unit: "kWh"),
            SampledValue(value: "80", measurand: "SoC", location: "EV", unit: "Percent"),
            SampledValue(value: "7300"),
        ])]))
        #expect(h.value(.cp1(2, .value(.currentImport, phase: 1))) == .float(15.5))
        #expect(h.int(.cp1(2, .units(.currentImport))) == 10)
        if case .float(let v) = h.value(.cp1(2, .value(.voltage, phase: 2))) { #expect(abs(v - 231.2) < 0.001) } else { Issue.record("voltage") }
        #expect(h.int(.cp1(2, .units(.voltage))) == 11)
        #expect(h.value(.cp1(2, .value(.energyActiveImportRegister, phase: 0))) == .float(7300), "no measurand: Energy.Active.Import.Register in Wh")
        #expect(h.int(.cp1(2, .units(.energyActiveImportRegister))) == 0)
        #expect(h.int(.cp1(2, .units(.soc))) == 15)
        #expect(h.int(.cp1(1, .units(.soc))) == 0xFFFF, "nothing reported on connector 1")
    }

    @Test("unconfigured chargers: refused by default; with acceptUnconfiguredChargers served without registers")
    func unconfigured() throws {
        var h = Harness()
        #expect(!h.cs.admits("CP77"))
        #expect(h.cs.connected("CP77", connection: 9, now: h.now).isEmpty)
        h.cs.settings.acceptUnconfiguredChargers = true
        #expect(h.cs.admits("CP77"))
        let before = h.cs.image.words
        h.record(h.cs.connected("CP77", connection: 9, now: h.now))
        let boot = h.call(BootNotificationRequest(chargePointVendor: "Far", chargePointModel: "Away"), from: "CP77")
        #expect(field(h.answer(boot, "CP77"), "status") == .string("Accepted"))
        _ = h.call(StatusNotificationRequest(connectorId: 1, errorCode: "NoError", status: "Charging"), from: "CP77")
        let auth = h.call(AuthorizeRequest(idTag: "AAA"), from: "CP77")
        #expect(field(h.answer(auth, "CP77"), "idTagInfo", "status") == .string("Invalid"), "the BMS cannot see it: answered at once")
        let start = h.call(StartTransactionRequest(connectorId: 1, idTag: "AAA", meterStart: 0, timestamp: h.now), from: "CP77")
        #expect(field(h.answer(start, "CP77"), "transactionId") == .integer(1))
        #expect(h.cs.image.words == before, "no register changed")
        #expect(h.int(.cp1(.authorizationFlag)) == 0)
        h.record(h.cs.disconnected("CP77", connection: 9, now: h.now))
        #expect(h.cs.chargers["CP77"] == nil, "forgotten with its connection")
    }
}

@Suite("Gateway central system: BMS handshakes (seeds/003 Appendix 1)")
struct BMSHandshakeTests {
    @Test("SEQ_Authorize: flag, result, parent, expiration, processed")
    func authorize() throws {
        var h = Harness()
        let id = h.call(AuthorizeRequest(idTag: "04567DAA5F3580"))
        #expect(h.answer(id) == nil, "waits for the BMS")
        #expect(h.int(.cp1(.authorizationFlag)) == 1)
        #expect(h.text(.cp1(.authorizationIdTag)) == "04567DAA5F3580")
        #expect(h.write(.cp1(.authorizationProcessed), 1) == .illegalDataValue, "no result written yet")
        #expect(h.write(.cp1(.authorizationResult), 7) == .illegalDataValue)
        #expect(h.write(.cp1(.authorizationResult), 0) == nil)
        #expect(h.write(.cp1(.authorizationParentIdTag), text: "FLEET-1") == nil)
        #expect(h.write(.cp1(.authorizationExpiration), 1_900_000_000) == nil)
        #expect(h.answer(id) == nil)
        #expect(h.write(.cp1(.authorizationProcessed), 1) == nil)
        let answer = try #require(h.answer(id))
        #expect(field(answer, "idTagInfo", "status") == .string("Accepted"))
        #expect(field(answer, "idTagInfo", "parentIdTag") == .string("FLEET-1"))
        #expect(field(answer, "idTagInfo", "expiryDate") == .string(OCPPDate.format(Date(timeIntervalSince1970: 1_900_000_000))))
        #expect(h.int(.cp1(.authorizationFlag)) == 0)
        #expect(h.int(.cp1(.authorizationProcessed)) == 0)
        #expect(h.text(.cp1(.authorizationParentIdTag)) == "", "cleared for the next request")
        #expect(h.write(.cp1(.authorizationProcessed), 1) == .illegalDataValue, "nothing pending")
    }

    @Test("a second Authorize waits until the first is processed")
    func queue() throws {
        var h = Harness()
        let a = h.call(AuthorizeRequest(idTag: "AAA"))
        let b = h.call(AuthorizeRequest(idTag: "BBB"))
        #expect(h.write(.cp1(.authorizationResult), 1) == nil)
        #expect(h.write(.cp1(.authorizationProcessed), 1) == nil)
        #expect(field(h.answer(a), "idTagInfo", "status") == .string("Blocked"))
        #expect(h.answer(b) == nil)
        #expect(h.int(.cp1(.authorizationFlag)) == 1)
        #expect(h.text(.cp1(.authorizationIdTag)) == "BBB")
    }

    @Test("the BMS timeout answers Invalid and logs it")
    func timeout() throws {
        var h = Harness(bmsTimeout: 5)
        let id = h.call(AuthorizeRequest(idTag: "AAA"))
        h.tick(4)
        #expect(h.answer(id) == nil)
        h.tick(1)
        #expect(field(h.answer(id), "idTagInfo", "status") == .string("Invalid"))
        #expect(h.int(.cp1(.authorizationFlag)) == 0)
        #expect(h.actions.contains { if case .log(let e) = $0 { e.level == .warning && e.message.contains("Authorize answered Invalid because the BMS did not process it") } else { false } })
    }

    @Test("SEQ_StartTransaction and SEQ_StopTransaction with the BMS's transaction id")
    func startStop() throws {
        var h = Harness()
        let start = h.call(StartTransactionRequest(connectorId: 2, idTag: "TAG1", meterStart: 1200, reservationId: 42, timestamp: h.now))
        #expect(h.int(.cp1(.startFlag)) == 1)
        #expect(h.int(.cp1(.startConnectorId)) == 2)
        #expect(h.value(.cp1(.startMeterValue)) == .float(1200))
        #expect(h.int(.cp1(.startReservationId)) == 42)
        #expect(h.int(.cp1(.startTimestamp)) == 1_800_000_000)
        // One FC16 write: result, transaction id, then Processed after them in the same request is refused (Processed
        // 114 comes before result 127), so the BMS writes the block 115…128 first.
        var block = [UInt16](repeating: 0, count: 14)
        block[12] = 0  // result Accepted at 127
        block[13] = 777  // transaction id at 128
        #expect(h.write(100 + 115, block) == nil)
        #expect(h.write(.cp1(.startProcessed), 1) == nil)
        let answer = try #require(h.answer(start))
        #expect(field(answer, "transactionId") == .integer(777))
        #expect(field(answer, "idTagInfo", "status") == .string("Accepted"))
        #expect(h.text(.cp1(2, .transactionIdTag)) == "TAG1")
        #expect(h.value(.cp1(2, .transactionMeterValueOnStart)) == .float(1200))
        #expect(h.actions.contains(.transactionStarted(GatewayTransaction(charger: "CP1", connectorId: 2, transactionId: 777, idTag: "TAG1",
                                                                          meterStartWh: 1200, startedAt: h.now, status: "Accepted",
                                                                          decidedBy: .bms))))

        let stop = h.call(StopTransactionRequest(idTag: "TAG1", meterStop: 4500, timestamp: h.now, transactionId: 777, reason: "EVDisconnected"))
        #expect(h.int(.cp1(.stopFlag)) == 1)
        #expect(h.int(.cp1(.stopTransactionId)) == 777)
        #expect(h.int(.cp1(.stopReason)) == 2)
        #expect(h.value(.cp1(.stopMeterValue)) == .float(4500))
        #expect(h.write(.cp1(.stopResult), 0) == nil)
        #expect(h.write(.cp1(.stopProcessed), 1) == nil)
        #expect(field(h.answer(stop), "idTagInfo", "status") == .string("Accepted"))
        #expect(h.text(.cp1(2, .transactionIdTag)) == "")
    }

    @Test("a StartTransaction the BMS does not process gets Invalid and a transaction id of the gateway's own")
    func startTimeout() throws {
        var h = Harness(bmsTimeout: 3)
        let start = h.call(StartTransactionRequest(connectorId: 1, idTag: "TAG1", meterStart: 0, timestamp: h.now))
        h.tick(3)
        let answer = try #require(h.answer(start))
        #expect(field(answer, "idTagInfo", "status") == .string("Invalid"))
        #expect(field(answer, "transactionId") == .integer(1))
        #expect(h.actions.contains { if case .transactionStarted(let t) = $0 { t.decidedBy == .gateway && t.transactionId == 1 } else { false } })
        #expect(h.actions.contains(.nextTransactionId(2)))
    }

    @Test("a StopTransaction without idTag is answered without idTagInfo")
    func stopWithoutIdTag() throws {
        var h = Harness()
        let stop = h.call(StopTransactionRequest(meterStop: 10, timestamp: h.now, transactionId: 5))
        #expect(h.text(.cp1(.stopIdTag)) == "")
        #expect(h.int(.cp1(.stopReason)) == 4, "reason defaults to Local")
        #expect(h.write(.cp1(.stopResult), 0) == nil)
        #expect(h.write(.cp1(.stopProcessed), 1) == nil)
        #expect(h.answer(stop) == .object([:]))
    }

    @Test("a disconnect drops what waits for the BMS")
    func disconnect() {
        var h = Harness()
        _ = h.call(AuthorizeRequest(idTag: "AAA"))
        h.record(h.cs.disconnected("CP1", connection: 1, now: h.now))
        #expect(h.int(.cp1(.authorizationFlag)) == 0)
        #expect(h.int(.cp1(.communicationStatus)) == 1)
    }
}

@Suite("Gateway central system: operations the BMS requests")
struct BMSOperationTests {
    @Test("SEQ_RemoteStartTransaction: parameters, flag, CALL, result")
    func remoteStart() throws {
        var h = Harness()
        #expect(h.write(.cp1(.remoteStartConnectorId), 3) == .illegalDataValue, "CP1 has 2 connectors")
        #expect(h.write(.cp1(.remoteStartFlag), 1) == .illegalDataValue, "no Id Tag written")
        #expect(h.write(.cp1(.remoteStartConnectorId), 2) == nil)
        #expect(h.write(.cp1(.remoteStartIdTag), text: "REMOTE1") == nil)
        #expect(h.write(.cp1(.remoteStartFlag), 1) == nil)
        guard case .call(let mid, "RemoteStartTransaction", let payload)? = h.last() else { Issue.record("no CALL"); return }
        #expect(field(payload, "idTag") == .string("REMOTE1"))
        #expect(field(payload, "connectorId") == .integer(2))
        #expect(h.int(.cp1(.remoteStartFlag)) == 1)
        #expect(h.write(.cp1(.remoteStartFlag), 1) == .illegalDataValue, "still running")
        h.record(h.cs.received("CP1", text: OCPPFrame.callResult(id: mid, payload: ["status": "Rejected"] as JSONValue).serialized(), now: h.now))
        #expect(h.int(.cp1(.remoteStartFlag)) == 0)
        #expect(h.int(.cp1(.remoteStartResult)) == 1)
    }

    @Test("an operation for a charger that is not connected answers 0x0A and changes nothing")
    func notConnected() {
        var h = Harness()
        #expect(h.write(.charger(slot: 3, .clearCacheFlag), 1) == .gatewayPathUnavailable)
        #expect(h.int(.charger(slot: 3, .clearCacheFlag)) == 0)
    }

    @Test("operations are sent one at a time; a CALLERROR or silence gives 65535")
    func oneAtATime() throws {
        var h = Harness()
        #expect(h.write(.cp1(.clearCacheFlag), 1) == nil)
        #expect(h.write(.cp1(.resetFlag), 2) == nil)
        #expect(h.sent["CP1"]?.count == 1)
        guard case .call(let first, "ClearCache", _)? = h.last() else { Issue.record("no ClearCache"); return }
        h.record(h.cs.received("CP1", text: OCPPFrame.callError(id: first, code: "InternalError", description: "x", details: .object([:])).serialized(),
                               now: h.now))
        #expect(h.int(.cp1(.clearCacheResult)) == 0xFFFF)
        guard case .call(_, "Reset", let payload)? = h.last() else { Issue.record("no Reset"); return }
        #expect(field(payload, "type") == .string("Hard"))
        h.tick(30)
        #expect(h.int(.cp1(.resetFlag)) == 0)
        #expect(h.int(.cp1(.resetStatus)) == 0xFFFF)
    }

    @Test("SEQ_SendLocalList asks for the version first and sends the next one")
    func sendLocalList() throws {
        var h = Harness()
        #expect(h.write(.cp1(.sendLocalListOperation), 4) == .illegalDataValue)
        #expect(h.write(.cp1(.sendLocalListOperation), 1) == nil)
        #expect(h.write(.cp1(.sendLocalListIdTag), text: "CARD7") == nil)
        #expect(h.write(.cp1(.sendLocalListFlag), 1) == .illegalDataValue, "add needs the Authorization Status")
        #expect(h.write(.cp1(.sendLocalListAuthorizationStatus), 0) == nil)
        #expect(h.write(.cp1(.sendLocalListFlag), 1) == nil)
        guard case .call(let q, "GetLocalListVersion", _)? = h.last() else { Issue.record("no GetLocalListVersion"); return }
        h.record(h.cs.received("CP1", text: OCPPFrame.callResult(id: q, payload: ["listVersion": 4]).serialized(), now: h.now))
        guard case .call(let s, "SendLocalList", let payload)? = h.last() else { Issue.record("no SendLocalList"); return }
        #expect(field(payload, "listVersion") == .integer(5))
        #expect(field(payload, "updateType") == .string("Differential"))
        guard case .array(let list)? = field(payload, "localAuthorizationList") else { Issue.record("no list"); return }
        #expect(list == [.object(["idTag": "CARD7", "idTagInfo": .object(["status": "Accepted"])])])
        h.record(h.cs.received("CP1", text: OCPPFrame.callResult(id: s, payload: ["status": "Accepted"]).serialized(), now: h.now))
        #expect(h.int(.cp1(.sendLocalListResult)) == 0)
        #expect(h.int(.cp1(.sendLocalListFlag)) == 0)
        #expect(h.value(.cp1(.localListVersion)) == .integer(5))
    }

    @Test("SEQ_GetLocalListVersion; -1 reads as two's complement")
    func getLocalListVersion() throws {
        var h = Harness()
        #expect(h.write(.cp1(.getLocalListVersionFlag), 1) == nil)
        guard case .call(let q, "GetLocalListVersion", _)? = h.last() else { Issue.record("no CALL"); return }
        h.record(h.cs.received("CP1", text: OCPPFrame.callResult(id: q, payload: ["listVersion": -1]).serialized(), now: h.now))
        #expect(h.read(100 + 291, 1) == .success([0xFFFF]))
        #expect(h.int(.cp1(.getLocalListVersionFlag)) == 0)
    }

    @Test("TriggerMessage(MeterValues) for a connector (seeds/003 §2.3.1.6)")
    func trigger() throws {
        var h = Harness()
        #expect(h.write(100 + 367, [4, 1]) == nil)
        #expect(h.write(.cp1(.triggerMessageFlag), 1) == nil)
        guard case .call(_, "TriggerMessage", let payload)? = h.last() else { Issue.record("no CALL"); return }
        #expect(payload == .object(["requestedMessage": "MeterValues", "connectorId": 1]))
        #expect(h.write(100 + 367, [6]) == .illegalDataValue)
    }

    @Test("Unlock Connector and Availability on the connector registers")
    func connectorOperations() throws {
        var h = Harness()
        #expect(h.write(.cp1(0, .unlockConnector), 1) == .illegalDataValue, "connector 0 cannot be unlocked")
        #expect(h.write(.cp1(1, .unlockConnector), 1) == nil)
        guard case .call(let u, "UnlockConnector", _)? = h.last() else { Issue.record("no UnlockConnector"); return }
        #expect(h.int(.cp1(1, .unlockConnector)) == 1)
        h.record(h.cs.received("CP1", text: OCPPFrame.callResult(id: u, payload: ["status": "Unlocked"]).serialized(), now: h.now))
        #expect(h.int(.cp1(1, .unlockConnector)) == 0)
        #expect(h.write(.cp1(2, .availability), 0) == nil)
        guard case .call(let a, "ChangeAvailability", let payload)? = h.last() else { Issue.record("no ChangeAvailability"); return }
        #expect(payload == .object(["connectorId": 2, "type": "Inoperative"]))
        h.record(h.cs.received("CP1", text: OCPPFrame.callResult(id: a, payload: ["status": "Rejected"]).serialized(), now: h.now))
        #expect(h.int(.cp1(2, .availability)) == 1, "a rejected change puts the register back")
    }

    @Test("writes to read-only registers answer 02, bad strings 03, and nothing changes")
    func refusedWrites() {
        var h = Harness()
        #expect(h.write(.cp1(.authorizationFlag), 1) == .illegalDataAddress)
        #expect(h.write(.cp1(.communicationStatus), 1) == .illegalDataAddress)
        #expect(h.write(100 + 378, [0x4142, 0x0143]) == .illegalDataValue, "a control character in part of the Id Tag")
        #expect(h.write(100 + 379, [0x0041]) == .illegalDataValue, "a character after the NUL")
        #expect(h.write(100 + 388, [1]) == .illegalDataAddress, "not used")
        // A multi-register write with one bad value changes nothing.
        #expect(h.write(100 + 376, [1, 9]) == .illegalDataValue)
        #expect(h.int(.cp1(.remoteStartFlag)) == 0)
        #expect(h.sent["CP1"] == nil)
    }

    @Test("SEQ_SyncDateTime: all six registers, each within 15 s of the last, set the gateway clock once the 15 s are over")
    func syncDateTime() throws {
        var h = Harness()
        #expect(h.write(1, [30, 15, 12, 29, 2, 2028]) == nil)
        h.tick(15)
        #expect(h.actions.contains { if case .clockOffsetChanged = $0 { true } else { false } })
        #expect(try h.read(1, 6).get() == [45, 15, 12, 29, 2, 2028], "the date as of the write, 15 s later")
        let id = h.call(HeartbeatRequest())
        #expect(field(h.answer(id), "currentTime") == .string("2028-02-29T12:15:45.000Z"))
        // One at a time, 2.8 s apart: taken 15 s after the last.
        for (i, v) in [0, 0, 8, 1, 3, 2029].enumerated() {
            #expect(h.write(1 + i, [UInt16(v)]) == nil)
            h.tick(2.8)
        }
        h.tick(12.2)
        #expect(try h.read(3, 4).get() == [8, 1, 3, 2029])
    }

    @Test("partial and impossible dates are not taken")
    func badDates() throws {
        var h = Harness()
        let before = try h.read(1, 6).get()
        #expect(h.write(1, [0, 0, 0]) == nil)
        h.tick(16)
        #expect(h.actions.contains { if case .log(let e) = $0 { e.message.contains("partial dates") } else { false } })
        #expect(h.write(4, [2028]) == .illegalDataValue, "day 2028")
        #expect(h.write(1, [0, 0, 0, 31, 4, 2028]) == .illegalDataValue, "31 April")
        #expect(h.write(1, [60]) == .illegalDataValue)
        let after = try h.read(1, 6).get()
        #expect(after[5] == before[5])
        #expect(h.cs.clockOffsetSeconds == 0)
    }

    @Test("the Heartbeat register is set by the BMS and reset by the gateway")
    func heartbeat() throws {
        var h = Harness()
        #expect(h.cs.bmsOnline(now: h.now) == nil)
        #expect(h.write(0, [2]) == .illegalDataValue)
        #expect(h.write(0, [1]) == nil)
        #expect(h.read(0, 1) == .success([1]))
        h.tick(0.5)
        #expect(h.read(0, 1) == .success([0]))
        #expect(h.cs.bmsOnline(now: h.now) == true)
        h.tick(61)
        #expect(h.cs.bmsOnline(now: h.now) == false)
    }

    @Test("coils: flags as bits")
    func coils() throws {
        var h = Harness()
        #expect(h.cs.modbusReadBits(address: 164, quantity: 1).map { $0 } == .success([false]))
        #expect((try? h.cs.modbusReadBits(address: 165, quantity: 1).get()) == nil, "the Id Tag is no bit")
        _ = h.call(AuthorizeRequest(idTag: "AAA"))
        #expect(h.cs.modbusReadBits(address: 164, quantity: 1).map { $0 } == .success([true]))
        switch h.cs.modbusWriteBits(address: 100 + 266, values: [true], now: h.now) {
        case .success(let a): h.record(a)
        case .failure(let r): Issue.record("\(r)")
        }
        guard case .call(_, "ClearCache", _)? = h.last() else { Issue.record("no ClearCache"); return }
    }
}
