import Foundation
import Testing
import Authorization
import EVSECore
import Simulator
import TestSupport
@testable import ChargePoint

@Suite("Station authorization scenarios (simulator, manual clock)")
struct StationAuthorizationTests {
    @Test("an unknown card is rejected with a logged reason; nothing starts")
    func unknownCard() throws {
        var rig = Rig()
        try rig.plug(1)
        try rig.card("12345678")
        rig.run(5)
        #expect(rig.status(1) == .preparing)
        #expect(rig.connector(1).session == nil)
        let rejection = try #require(rig.events.last { $0.kind == .authorizationRejected })
        #expect(rejection.message.contains("12345678") && rejection.message.contains("unknown"))
    }

    @Test("free charging modes that start on plug-in (seeds/004 §5.2)", arguments: [
        (FreeChargingMode.noOCPP, true), (.statusWithoutAuth, true), (.fullFixedRFIDWithoutAuth, true),
        (.statusWithAuth, false), (.fullFixedRFIDWithAuth, false), (.fullAnyRFID, false),
    ])
    func freeChargingPlugIn(mode: FreeChargingMode, startsOnPlugIn: Bool) throws {
        var rig = Rig {
            $0.set("FreeCharging", .bool(true))
            $0.set("FreeChargingMode", .string(mode.rawValue))
        }
        try rig.plug(1)
        rig.run(3)
        #expect((rig.status(1) == .charging) == startsOnPlugIn)
        if startsOnPlugIn {
            #expect(rig.connector(1).session?.idTag == "freecharging")
            #expect(rig.connector(1).session?.method == .freeCharging)
        } else {
            try rig.card("12345678")
            rig.run(3)
            #expect(rig.status(1) == .charging, "any card starts")
            #expect(rig.connector(1).session?.idTag == (mode.usesFixedIdTag ? "freecharging" : "12345678"))
            try rig.card("87654321")
            #expect(rig.status(1) == .charging, "another card does not stop it")
            try rig.card("12345678")
            #expect(rig.status(1) == .finishing, "the same card stops it")
        }
    }

    /// Issue 30 item 2: an MQTT start or stop presents the identifier like a card at the named connector, but a start
    /// never stops another session and a stop never starts one.
    @Test("issue30_2: start/stop commands present the identifier like a card, with only the intended effect")
    func issue30_2_startStopCommands() throws {
        var rig = Rig()
        try rig.plug(1)
        let unknown = rig.controller.presentCommand("12345678", connector: 1, start: true, method: .mqtt, now: rig.clock.now)
        guard case .failure(let refusal) = unknown else { Issue.record("an unknown identifier was taken: \(unknown)"); return }
        #expect(refusal.description.contains("12345678 is unknown"), "the whitelist decides, as for a card")
        #expect(rig.controller.presentCommand("AAAAAAAA", connector: 3, start: true, method: .mqtt, now: rig.clock.now)
                == .failure(StationCommandError("connector: '3' is not allowed; allowed is 1–2")))
        #expect(rig.controller.presentCommand("AAAAAAAA", connector: 1, start: true, method: .mqtt, now: rig.clock.now) == .success(.authorized))
        rig.run(3)
        #expect(rig.status(1) == .charging)
        #expect(rig.connector(1).session?.method == .mqtt)
        #expect(rig.controller.presentCommand("BBBBBBBB", connector: 1, start: true, method: .mqtt, now: rig.clock.now)
                == .failure(StationCommandError("connector 1 already has a session; stop it first")))
        #expect(rig.controller.presentCommand("AAAAAAAA", connector: 2, start: true, method: .mqtt, now: rig.clock.now)
                == .failure(StationCommandError("AAAAAAAA has the session on connector 1; send stop there")), "a start never stops")
        #expect(rig.controller.presentCommand("BBBBBBBB", connector: 2, start: false, method: .mqtt, now: rig.clock.now)
                == .failure(StationCommandError("connector 2 has no session to stop")))
        let events = rig.events.count
        #expect(rig.controller.presentCommand("BBBBBBBB", connector: 1, start: false, method: .mqtt, now: rig.clock.now)
                == .failure(StationCommandError("BBBBBBBB may not stop the session on connector 1 (Stop Transaction Mode decides who may)")))
        #expect(rig.status(1) == .charging && rig.events.count == events, "another card neither stops nor starts anything")
        #expect(rig.controller.presentCommand("AAAAAAAA", connector: 1, start: false, method: .mqtt, now: rig.clock.now) == .success(.stopped))
        rig.run(2)
        #expect(rig.status(1) == .finishing)
    }

    @Test("learning mode: the next cards and vehicle MACs are added to the whitelist, not authorized (seeds/004 §5.5)")
    func learning() throws {
        var rig = Rig()
        rig.controller.setLearning(true, now: rig.clock.now)
        try rig.card("0A0B0C0D")
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16, evccid: "00:1A:2B:3C:4D:5E"))
        rig.run(2)
        #expect(rig.controller.learned == ["0A0B0C0D", "00:1A:2B:3C:4D:5E"])
        #expect(rig.controller.authorization.lists.whitelist.lookup("0a0b0c0d", connector: 1) != nil)
        #expect(rig.store.snapshot.lists.whitelist.entries.count == Rig.cards.count + 2, "persisted")
        #expect(rig.connector(1).session == nil)
        rig.controller.setLearning(false, now: rig.clock.now)
        try rig.card("0A0B0C0D")
        rig.run(3)
        #expect(rig.status(1) == .charging)
    }

    @Test("learning mode ends by itself")
    func learningTimeout() {
        var rig = Rig()
        rig.controller.setLearning(true, now: rig.clock.now, duration: .seconds(60))
        rig.run(61, every: 1)
        #expect(rig.controller.learningUntil == nil)
    }

    @Test("Autocharge: a whitelisted vehicle MAC authorizes on plug-in; an unknown one is logged, not shown as rejected, and a card still starts")
    func autocharge() throws {
        var rig = Rig { $0.set("Autocharge", .bool(true)) }
        _ = try rig.controller.changeWhitelist(now: rig.clock.now, "test") { try $0.add(WhitelistEntry(id: "00:1A:2B:3C:4D:5E", kind: .mac)) }
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16, evccid: "00:1a:2b:3c:4d:5e"))
        rig.run(3)
        #expect(rig.status(1) == .charging)
        #expect(rig.connector(1).session?.method == .autocharge)
        #expect(rig.connector(1).session?.idTag == "001A2B3C4D5E", "the idTag is the EVCCID's twelve digits (no prefix set)")
        try rig.plug(2, EVSpec(phases: 3, maxCurrentAmps: 16, evccid: "000000000099"))
        rig.run(3)
        #expect(rig.status(2) == .preparing)
        let refused = try #require(rig.events.last { $0.kind == .authorizationRejected })
        #expect(refused.connector == 2 && refused.message.hasPrefix("Autocharge: 000000000099") && refused.message.hasSuffix("a card can start the session"))
        #expect(rig.connector(2).leds?.state != .rejected, "the driver presented nothing: no rejection is shown")
        try rig.card()
        rig.run(3)
        #expect(rig.status(2) == .charging)
    }

    @Test("Autocharge Off (the seed's default): a whitelisted vehicle waits for a card")
    func autochargeOff() throws {
        var rig = Rig()
        _ = try rig.controller.changeWhitelist(now: rig.clock.now, "test") { try $0.add(WhitelistEntry(id: "00:1A:2B:3C:4D:5E", kind: .mac)) }
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16, evccid: "00:1A:2B:3C:4D:5E"))
        rig.run(3)
        #expect(rig.status(1) == .preparing)
        #expect(!rig.events.contains { $0.kind == .authorizationRejected || $0.kind == .authorizationAccepted })
    }

    @Test("Autocharge with a prefix: the backend is asked for the prefixed idTag; the local whitelist still matches the MAC")
    func autochargePrefix() throws {
        var rig = Rig { $0.set("Autocharge", .bool(true)); $0.set("AutochargeIdTagPrefix", .string("VID:")) }
        rig.controller.online = true
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16, evccid: "02:00:5e:10:00:01"))
        rig.run(1)
        #expect(rig.takeNotices().contains(.backendAuthorizationRequested(idTag: "VID:02005E100001", connector: 1)))
        rig.controller.backendAuthorization(idTag: "VID:02005E100001", status: .accepted, parentIdTag: nil, expiry: nil, now: rig.clock.now)
        rig.run(3)
        #expect(rig.status(1) == .charging)
        #expect(rig.connector(1).session?.idTag == "VID:02005E100001")
    }

    @Test("INPUT_AUTH: the digital input authorizes when the whitelist holds INPUT_AUTH")
    func inputAuth() throws {
        var rig = Rig()
        try rig.plug(1)
        rig.board.setInput(.input2, true)
        rig.run(1)
        #expect(rig.connector(1).session == nil, "not in the whitelist yet")
        rig.board.setInput(.input2, false)
        _ = try rig.controller.changeWhitelist(now: rig.clock.now, "test") { try $0.add(WhitelistEntry(id: inputAuthIdentifier, kind: .input)) }
        rig.run(1)
        rig.board.setInput(.input2, true)
        rig.run(3)
        #expect(rig.status(1) == .charging)
        #expect(rig.connector(1).session?.method == .digitalInput)
    }

    @Test("RFID Tag letter case shapes the identifier everywhere", arguments: [
        (RFIDLetterCase.lower, "0a0e9b83"), (.upper, "0A0E9B83"), (.lowerReversed, "839b0e0a"), (.upperReversed, "839B0E0A"),
    ])
    func letterCase(letterCase: RFIDLetterCase, idTag: String) throws {
        let store = InMemoryStationStore()
        try store.saveWhitelist([WhitelistEntry(id: idTag.uppercased(), kind: .rfid)])
        var rig = Rig(store: store) { $0.set("RFIDTagLetterCase", .string(letterCase.rawValue)) }
        try rig.plug(1)
        try rig.card("0A0E9B83")
        #expect(rig.connector(1).session?.idTag == idTag)
    }

    @Test("postfix _1: the card works on connector 1 only")
    func connectorPostfix() throws {
        let store = InMemoryStationStore()
        try store.saveWhitelist([WhitelistEntry(id: "0A0E9B83", kind: .rfid, connector: 1)])
        var rig = Rig(store: store)
        try rig.plug(2)
        try rig.card("0A0E9B83")
        #expect(rig.connector(2).session == nil)
        #expect(rig.events.last { $0.kind == .authorizationRejected }?.message.contains("only valid on connector 1") == true)
        try rig.plug(1)
        try rig.card("0A0E9B83")
        #expect(rig.connector(1).session != nil)
    }

    @Test("Stop Transaction Mode 'Stop only by unplugging': the card does not stop")
    func unplugOnly() throws {
        var rig = Rig { $0.set("StopTransactionMode", .string("unplugOnly")) }
        try rig.plug(1)
        try rig.card()
        rig.run(3)
        try rig.card()
        rig.run(1)
        #expect(rig.status(1) == .charging)
        try rig.board.unplug(1, force: true)
        rig.run(1)
        #expect(rig.store.sessions.first?.stopReason == .evDisconnected)
    }

    @Test("Stop Transaction Mode 'Only by RFID/RemoteStop': unplugging keeps the transaction (SuspendedEV)")
    func rfidOnly() throws {
        var rig = Rig { $0.set("StopTransactionMode", .string("rfidOrRemoteOnly")) }
        try rig.plug(1)
        try rig.card()
        rig.run(3)
        try rig.board.unplug(1, force: true)
        rig.run(1)
        #expect(rig.status(1) == .suspendedEV)
        #expect(rig.connector(1).session != nil)
        try rig.plug(1)
        rig.run(3)
        #expect(rig.status(1) == .charging, "plugging in again continues the transaction")
        try rig.card()
        #expect(rig.store.sessions.first?.stopReason == .local)
    }

    @Test("Normal + Mode D: a vehicle asking for ventilation ends the transaction")
    func modeD() throws {
        var rig = Rig { $0.set("StopTransactionMode", .string("normalModeDRCD")) }
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16, requiresVentilation: true))
        try rig.card()
        rig.run(3)
        #expect(rig.status(1) == .finishing)
        #expect(rig.store.sessions.first?.stopReason == .other)
    }

    @Test("a card of the same group or a master card stops the session")
    func groupAndMaster() throws {
        let store = InMemoryStationStore()
        try store.saveWhitelist([WhitelistEntry(id: "AAAAAAAA", kind: .rfid, groupID: "FLEET"),
                                 WhitelistEntry(id: "BBBBBBBB", kind: .rfid, groupID: "FLEET"),
                                 WhitelistEntry(id: "CCCCCCCC", kind: .rfid)])
        var rig = Rig(store: store) {
            $0.set("EnforceMasterRFID", .bool(true))
            $0.set("MasterRFIDs", .list(["FFFFFFFF"]))
        }
        try rig.plug(1)
        try rig.card("AAAAAAAA")
        try rig.card("CCCCCCCC")
        #expect(rig.connector(1).session != nil, "another card does not stop it")
        try rig.card("BBBBBBBB")
        #expect(rig.connector(1).session == nil, "the same group stops it")
        try rig.board.unplug(1, force: true)
        rig.run(0.2)
        try rig.plug(1)
        try rig.card("CCCCCCCC")
        try rig.card("FFFFFFFF")
        #expect(rig.connector(1).session == nil, "the master card stops it")
    }

    @Test("Enforce using Secure RFID accepts only secure cards")
    func secureRFID() throws {
        var rig = Rig { $0.set("EnforceSecureRFID", .bool(true)) }
        try rig.plug(1)
        try rig.card("AAAAAAAA")
        #expect(rig.connector(1).session == nil)
        try rig.board.presentRFID("AAAAAAAA", secure: true)
        rig.run(0.1)
        #expect(rig.connector(1).session != nil)
    }

    @Test("a reader delivering garbage is logged and ignored", arguments: [[], [0x01], Array(repeating: 0xFF, count: 11), [0, 1, 2, 3, 4]] as [[UInt8]])
    func readerGarbage(bytes: [UInt8]) throws {
        var rig = Rig()
        try rig.plug(1)
        rig.board.injectRawRFIDRead(bytes)
        rig.run(1)
        #expect(rig.connector(1).session == nil)
        #expect(rig.events.last?.message.contains("ignored") == true)
        try rig.card()
        #expect(rig.connector(1).session != nil, "the station keeps working")
    }

    @Test("If in doubt allow charging: On accepts an unknown card offline; ImmediatelyOnPlugIn starts without one")
    func ifInDoubt() throws {
        var on = Rig { $0.set("IfInDoubtAllowCharging", .string("on")) }
        try on.plug(1)
        try on.card("12345678")
        #expect(on.connector(1).session?.idTag == "12345678")
        #expect(on.store.sessions.first?.session.provisional == true)

        var immediately = Rig { $0.set("IfInDoubtAllowCharging", .string("immediatelyOnPlugIn")) }
        try immediately.plug(1)
        immediately.run(3)
        #expect(immediately.status(1) == .charging)
        #expect(immediately.connector(1).session?.method == .plugIn)
        try immediately.card("12345678")
        #expect(immediately.connector(1).session?.idTag == "12345678", "the card identifies the running session")
        #expect(immediately.store.sessions.first?.session.idTag == "12345678", "persisted")
        #expect(immediately.status(1) == .charging)
    }

    @Test("online: unknown cards go to the backend; its answer is cached; no answer in time → offline rules")
    func backend() throws {
        var rig = Rig { $0.set("IfInDoubtAllowCharging", .string("on")) }
        rig.controller.online = true
        try rig.plug(1)
        _ = rig.takeNotices()
        try rig.card("12345678")
        #expect(rig.takeNotices().contains(.backendAuthorizationRequested(idTag: "12345678", connector: 1)))
        #expect(rig.connector(1).session == nil)
        rig.controller.backendAuthorization(idTag: "12345678", status: .accepted, parentIdTag: "P1", expiry: nil, now: rig.clock.now)
        #expect(rig.connector(1).session?.idTag == "12345678")
        #expect(rig.store.snapshot.lists.cache.map(\.idTag) == ["12345678"])

        try rig.plug(2)
        try rig.card("87654321")
        rig.run(59, every: 1)
        #expect(rig.connector(2).session == nil)
        rig.run(2, every: 1)
        #expect(rig.connector(2).session?.source == .ifInDoubt, "no answer within the backend timeout")
        rig.controller.backendAuthorization(idTag: "87654321", status: .blocked, parentIdTag: nil, expiry: nil, now: rig.clock.now)
        #expect(rig.connector(2).session == nil, "the backend rejected the provisional session")
        #expect(rig.store.sessions.last?.stopReason == .deAuthorized)
    }

    @Test("clearing the cache forgets backend answers")
    func clearCache() throws {
        var rig = Rig()
        rig.controller.online = true
        try rig.plug(1)
        try rig.card("12345678")
        rig.controller.backendAuthorization(idTag: "12345678", status: .accepted, parentIdTag: nil, expiry: nil, now: rig.clock.now)
        try rig.card("12345678")
        rig.controller.online = false
        try rig.board.unplug(1)
        rig.run(0.2)
        try rig.plug(1)
        try rig.card("12345678")
        #expect(rig.connector(1).session?.source == .cache, "offline, the cache authorizes")
        try rig.card("12345678")
        try rig.controller.clearAuthorizationCache(now: rig.clock.now)
        try rig.board.unplug(1)
        rig.run(0.2)
        try rig.plug(1)
        try rig.card("12345678")
        #expect(rig.connector(1).session == nil)
    }
}
