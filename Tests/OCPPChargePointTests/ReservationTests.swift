import Foundation
import Testing
import ChargePoint
import EVSECore
import OCPP16
import Simulator

/// The OCTT charge-point cases of the Reservation profile that Tests/Interop/ocpp16/test_reservation.py runs against
/// the binary (OCPP 1.6 §5.13, §5.2), here against the pure charge point in process.
@Suite("OCTT Reservation profile, in process")
struct ReservationTests {
    typealias H = ChargePointHarness

    private func reserve(_ h: inout H, _ connector: Int, id: Int = 1, idTag: String = H.tag, seconds: Double = 600,
                         parent: String? = nil) throws -> ReservationStatus {
        try h.call(ReserveNowRequest(connectorId: connector, expiryDate: h.now.addingTimeInterval(seconds), idTag: idTag,
                                     parentIdTag: parent, reservationId: id)).status
    }

    @Test("TC_047 a reservation expires: Reserved, then Available at its expiryDate; it no longer exists")
    func TC_047() throws {
        var h = try H()
        h.connect()
        let mark = h.mark
        #expect(try reserve(&h, 1, seconds: 4) == .accepted)
        h.run(8)
        let reports = h.statusReports(1, since: mark)
        #expect(reports.map(\.status) == ["Reserved", "Available"])
        let reserved = try #require(reports.first?.timestamp)
        let available = try #require(reports.last?.timestamp)
        #expect((2...6).contains(available.timeIntervalSince(reserved)), "\(available.timeIntervalSince(reserved))")
        #expect(try h.call(CancelReservationRequest(reservationId: 1)).status == .rejected)
    }

    @Test("TC_048_1 a faulted connector answers Faulted")
    func TC_048_1() throws {
        var h = try H()
        h.connect()
        let mark = h.mark
        try h.fault(.meter, 1)
        h.run(2)
        #expect(h.statuses(1, since: mark).last == "Faulted")
        #expect(try reserve(&h, 1) == .faulted)
    }

    @Test("TC_048_4 reservations switched off: Rejected; an unknown connector Rejected")
    func TC_048_4() throws {
        var h = try H(config: [("ReservationsEnabled", "Off")])
        h.connect()
        #expect(try reserve(&h, 1) == .rejected)
        #expect(try reserve(&h, 3) == .rejected)
        #expect(h.statuses(1) == ["Available"], "never Reserved")
    }

    @Test("TC_049 a reservation of the charge point (connector 0) is used by its tag's transaction")
    func TC_049() throws {
        var h = try H()
        h.connect()
        let key = try h.call(GetConfigurationRequest(key: ["ReserveConnectorZeroSupported"])).configurationKey?.first
        #expect(key?.key == "ReserveConnectorZeroSupported" && key?.value == "true" && key?.readonly == true)
        let mark = h.mark
        #expect(try reserve(&h, 0, id: 21) == .accepted)
        try h.card()
        #expect(h.calls(AuthorizeRequest.action, since: mark).count == 1)
        try h.plug()
        h.run(5)
        let starts = h.calls(StartTransactionRequest.action, since: mark)
        #expect(starts.count == 1 && starts.first?["reservationId"] == .integer(21))
    }

    @Test("TC_050_1 every connector faulted: a reservation of the charge point answers Faulted")
    func TC_050_1() throws {
        var h = try H()
        h.connect()
        let mark = h.mark
        try h.fault(.meter, 1)
        try h.fault(.meter, 2)
        h.run(2)
        #expect(h.statuses(1, since: mark).last == "Faulted" && h.statuses(2, since: mark).last == "Faulted")
        #expect(try reserve(&h, 0) == .faulted)
    }

    @Test("TC_050_2 every connector occupied: a reservation of the charge point answers Occupied")
    func TC_050_2() throws {
        var h = try H()
        h.connect()
        let mark = h.mark
        try h.plug(1)
        try h.plug(2)
        h.run(1)
        #expect(h.statuses(1, since: mark).last == "Preparing" && h.statuses(2, since: mark).last == "Preparing")
        #expect(try reserve(&h, 0) == .occupied)
    }

    @Test("TC_050_3 the charge point Inoperative: a reservation of it answers Unavailable")
    func TC_050_3() throws {
        var h = try H()
        h.connect()
        let mark = h.mark
        #expect(try h.call(ChangeAvailabilityRequest(connectorId: 0, type: .inoperative)).status == .accepted)
        h.run(1)
        #expect(h.statuses(0, since: mark).last == "Unavailable")
        #expect(try reserve(&h, 0) == .unavailable)
    }

    @Test("TC_050_4 ReserveConnectorZeroSupported off: Rejected; the backend cannot switch it on (read-only)")
    func TC_050_4() throws {
        var h = try H(config: [("ReserveConnectorZeroSupported", "Off")])
        h.connect()
        #expect(try reserve(&h, 0) == .rejected)
        #expect(try h.call(ChangeConfigurationRequest(key: "ReserveConnectorZeroSupported", value: "true")).status == .rejected)
        #expect(try reserve(&h, 0, id: 2) == .rejected)
    }

    @Test("TC_053_1 a reserved connector with a parentIdTag takes a local card of the same group")
    func TC_053_1() throws {
        var h = try H(connectors: 1)
        h.parents = [H.tag: "FLEET", H.otherCard.lowercased(): "FLEET"]
        h.connect()
        let mark = h.mark
        #expect(try reserve(&h, 1, id: 41, parent: "FLEET") == .accepted)
        h.run(0.5)
        #expect(h.statuses(1, since: mark).last == "Reserved")
        try h.card(H.otherCard)
        #expect(h.calls(AuthorizeRequest.action, since: mark).first?["idTag"] == .string(H.otherCard.lowercased()))
        h.run(1)
        #expect(h.statuses(1, since: mark).last == "Preparing")
        try h.plug()
        h.run(5)
        let start = try #require(h.calls(StartTransactionRequest.action, since: mark).first)
        #expect(start["idTag"] == .string(H.otherCard.lowercased()))
        #expect(start["reservationId"] == .integer(41) && start["connectorId"] == .integer(1))
    }

    @Test("TC_053_2 a reserved connector with a parentIdTag: a remote start of the same group is authorized first, then uses it")
    func TC_053_2() throws {
        var h = try H(config: [("SendAuthorizeForRemoteStart", "Off")])
        h.parents = ["MEMBER2": "FLEET"]
        h.connect()
        let mark = h.mark
        #expect(try reserve(&h, 1, id: 42, parent: "FLEET") == .accepted)
        h.run(0.5)
        #expect(h.statuses(1, since: mark).last == "Reserved")
        #expect(try h.call(RemoteStartTransactionRequest(connectorId: 1, idTag: "MEMBER2")).status == .accepted)
        h.run(1)
        #expect(h.calls(AuthorizeRequest.action, since: mark).first?["idTag"] == .string("MEMBER2"))
        try h.plug()
        h.run(5)
        let start = try #require(h.calls(StartTransactionRequest.action, since: mark).first)
        #expect(start["idTag"] == .string("MEMBER2") && start["reservationId"] == .integer(42))
    }

    @Test("TC_046_2 a reserved connector: a remote start of another idTag is Rejected, of its own idTag uses the reservation")
    func TC_046_2() throws {
        var h = try H()
        h.connect()
        let mark = h.mark
        #expect(try reserve(&h, 1, id: 12) == .accepted)
        h.run(0.5)
        #expect(h.statuses(1, since: mark).last == "Reserved")
        #expect(try h.call(RemoteStartTransactionRequest(connectorId: 1, idTag: "SOMEONE")).status == .rejected)
        #expect(try h.call(RemoteStartTransactionRequest(connectorId: 1, idTag: H.tag)).status == .accepted)
        h.run(1)
        #expect(h.statuses(1, since: mark).last == "Preparing")
        try h.plug()
        h.run(5)
        let starts = h.calls(StartTransactionRequest.action, since: mark)
        #expect(starts.count == 1 && starts.first?["idTag"] == .string(H.tag) && starts.first?["reservationId"] == .integer(12))
    }

    @Test("TC_048_2 an occupied connector answers Occupied, and so does one reserved for another idTag")
    func TC_048_2() throws {
        var h = try H()
        h.connect()
        let mark = h.mark
        try h.plug(1)
        #expect(h.statuses(1, since: mark).last == "Preparing")
        #expect(try reserve(&h, 1) == .occupied)
        #expect(try reserve(&h, 2, id: 5) == .accepted)
        #expect(try reserve(&h, 2, id: 6, idTag: "SOMEONE") == .occupied)
    }

    @Test("TC_048_3 an Inoperative connector answers Unavailable")
    func TC_048_3() throws {
        var h = try H()
        h.connect()
        let mark = h.mark
        #expect(try h.call(ChangeAvailabilityRequest(connectorId: 1, type: .inoperative)).status == .accepted)
        h.run(1)
        #expect(h.statuses(1, since: mark).last == "Unavailable")
        #expect(try reserve(&h, 1) == .unavailable)
    }

    @Test("TC_051 CancelReservation: Available again, and the next transaction names no reservation")
    func TC_051() throws {
        var h = try H()
        h.connect()
        let mark = h.mark
        #expect(try reserve(&h, 1, id: 31) == .accepted)
        h.run(0.5)
        #expect(h.statuses(1, since: mark).last == "Reserved")
        let after = h.mark
        #expect(try h.call(CancelReservationRequest(reservationId: 31)).status == .accepted)
        h.run(0.5)
        #expect(h.statuses(1, since: after) == ["Available"])
        try h.card()
        try h.plug()
        h.run(5)
        let start = try #require(h.calls(StartTransactionRequest.action, since: after).first)
        #expect(start["reservationId"] == nil)
    }

    @Test("TC_052 CancelReservation of an unknown reservation is Rejected")
    func TC_052() throws {
        var h = try H()
        h.connect()
        #expect(try h.call(CancelReservationRequest(reservationId: 999)).status == .rejected)
    }
}
