import Foundation
import Testing
import ChargePoint
import EVSECore
import OCPP16
import Simulator

/// The Technagon controller's authentication modes and keys against the pure charge point (seeds/002 §1.7, §2.3;
/// issue 29 item 7): frames in, frames out.
@Suite("Technagon modes and keys, in process")
struct TechnagonTests {
    typealias H = ChargePointHarness

    @Test("seeds002_1_7 no RFID: plugging in sends the dummy RFID in an Authorize at every charge; the transaction carries it; a card does not end it")
    func seeds002_1_7_noRFID_dummyAuthorizedByTheBackend() throws {
        var h = try H(config: [("AuthenticationMode", "NoRFID"), ("DummyRfidTag", "PNC-DUMMY")])
        h.connect()
        try h.plug(1)
        #expect(h.calls(AuthorizeRequest.action).map { $0["idTag"] } == [.string("PNC-DUMMY")])
        h.run(5)
        #expect(h.calls(StartTransactionRequest.action).first?["idTag"] == .string("PNC-DUMMY"))
        #expect(h.statuses(1).last == "Charging")
        let mark = h.mark
        try h.plug(2)
        #expect(h.calls(AuthorizeRequest.action, since: mark).map { $0["idTag"] } == [.string("PNC-DUMMY")],
                "asked again although the cache holds it (every charge)")
        h.run(5)
        #expect(h.statuses(2).last == "Charging")
        let cardMark = h.mark
        try h.card()
        h.run(1)
        #expect(h.calls(StopTransactionRequest.action, since: cardMark).isEmpty, "a card does not end a Plug&Charge charge")
    }

    @Test("seeds002_1_7 no RFID: the backend refuses the dummy RFID: no transaction")
    func seeds002_1_7_noRFID_dummyRefused() throws {
        var h = try H(config: [("AuthenticationMode", "NoRFID")])
        h.idTags = ["DUMMY": .invalid]
        h.connect()
        try h.plug(1)
        h.run(5)
        #expect(h.calls(AuthorizeRequest.action).map { $0["idTag"] } == [.string("DUMMY")])
        #expect(h.calls(StartTransactionRequest.action).isEmpty)
    }

    @Test("seeds002_2_3 Dummy/allowStop: On, the station's button (INPUT_AUTH) ends the Plug&Charge charge; Off, it does not")
    func seeds002_2_3_dummyAllowStop() throws {
        for allowStop in [true, false] {
            var h = try H(config: [("AuthenticationMode", "NoRFID"), ("DummyAllowStop", allowStop ? "On" : "Off")])
            h.connect()
            try h.plug(1)
            h.run(5)
            #expect(h.statuses(1).last == "Charging")
            let mark = h.mark
            h.board.setInput(.input2, true)
            h.run(1)
            h.board.setInput(.input2, false)
            h.run(1)
            let stops = h.calls(StopTransactionRequest.action, since: mark)
            #expect(stops.count == (allowStop ? 1 : 0), "allowStop \(allowStop)")
            if allowStop { #expect(stops.first?["reason"] == nil || stops.first?["reason"] == .string("Local"), "reason Local (the default)") }
        }
    }

    @Test("seeds002_2_3 StopTxOnReset false: a Reset leaves the transaction running; the services restart; no StopTransaction")
    func seeds002_2_3_stopTxOnResetFalse() throws {
        var h = try H(config: [("StopTxOnReset", "Off")])
        h.connect()
        try h.charging()
        let mark = h.mark
        #expect(try h.call(ResetRequest(type: .soft)).status == .accepted)
        h.run(1)
        #expect(h.actions.last == .restartServices(drained: true))
        #expect(!h.actions.contains { if case .reset = $0 { true } else { false } }, "the transactions are not stopped")
        try h.restart()
        h.run(2)
        #expect(h.calls(StopTransactionRequest.action, since: mark).isEmpty)
        #expect(h.calls(BootNotificationRequest.action, since: mark).count == 1)
        #expect(h.statuses(1, since: mark).last == "Charging")
    }
}
