import Foundation
import Testing
import EVSECore
import OCPP16
import Simulator
import TestSupport
@testable import ChargePoint

@Suite("Reservations (OCPP 1.6 §5.13)")
struct ReservationTests {
    static let a = "aaaaaaaa", b = "bbbbbbbb", c = "0a0e9b83"

    func free(_ n: Int = 2) -> [ReservationConnectorState] {
        Array(repeating: ReservationConnectorState(faulted: false, operative: true, idle: true, vehicleConnected: false), count: n)
    }

    @Test("ReserveNow answers follow the connector: Faulted, Unavailable, Occupied, Rejected, Accepted")
    func outcomes() {
        let expiry = Date(timeIntervalSince1970: 2_000_000_000)
        let r1 = Reservation(id: 1, connector: 1, idTag: Self.a, expiresAt: expiry)
        let book = ReservationBook()
        var states = free()
        #expect(book.decide(r1, connectors: states, settings: .init()) == .accepted)
        #expect(book.decide(r1, connectors: states, settings: .init(enabled: false)) == .rejected)
        #expect(book.decide(Reservation(id: 1, connector: 3, idTag: Self.a, expiresAt: expiry), connectors: states, settings: .init()) == .rejected)
        states[0].faulted = true
        #expect(book.decide(r1, connectors: states, settings: .init()) == .faulted)
        states[0] = .init(faulted: false, operative: false, idle: true, vehicleConnected: false)
        #expect(book.decide(r1, connectors: states, settings: .init()) == .unavailable)
        states[0] = .init(faulted: false, operative: true, idle: false, vehicleConnected: true)
        #expect(book.decide(r1, connectors: states, settings: .init()) == .occupied)
        states[0] = .init(faulted: false, operative: true, idle: true, vehicleConnected: true)
        #expect(book.decide(r1, connectors: states, settings: .init()) == .occupied, "a plugged-in vehicle occupies the connector")
        let zero = Reservation(id: 9, connector: 0, idTag: Self.a, expiresAt: expiry)
        #expect(book.decide(zero, connectors: free(), settings: .init(connectorZeroSupported: false)) == .rejected)
        let allFaulted = Array(repeating: ReservationConnectorState(faulted: true, operative: true, idle: true, vehicleConnected: false), count: 2)
        #expect(book.decide(zero, connectors: allFaulted, settings: .init()) == .faulted)
    }

    @Test("a reservation with an existing id replaces it; another id on a reserved connector is Occupied")
    func replace() {
        let expiry = Date(timeIntervalSince1970: 2_000_000_000)
        var book = ReservationBook()
        book.place(Reservation(id: 1, connector: 1, idTag: Self.a, expiresAt: expiry))
        #expect(book.decide(Reservation(id: 1, connector: 1, idTag: Self.b, expiresAt: expiry), connectors: free(), settings: .init()) == .accepted)
        #expect(book.decide(Reservation(id: 2, connector: 1, idTag: Self.b, expiresAt: expiry), connectors: free(), settings: .init()) == .occupied)
        book.place(Reservation(id: 1, connector: 2, idTag: Self.b, expiresAt: expiry))
        #expect(book.reservations.count == 1)
        #expect(book.reservation(connector: 2)?.idTag == Self.b)
    }

    @Test("group members may use a reservation with a parentIdTag; others may not")
    func group() {
        let r = Reservation(id: 1, connector: 1, idTag: Self.a, parentIdTag: "FLEET", expiresAt: .distantFuture)
        #expect(r.admits(idTag: "AAAAAAAA", parentIdTag: nil))
        #expect(r.admits(idTag: Self.b, parentIdTag: "fleet"))
        #expect(!r.admits(idTag: Self.b, parentIdTag: "OTHER"))
        #expect(!r.admits(idTag: Self.b, parentIdTag: nil))
    }

    @Test("connector 0 keeps a free connector per reservation; the last ones show Reserved")
    func connectorZero() {
        var book = ReservationBook()
        let states = free()
        book.place(Reservation(id: 1, connector: 0, idTag: Self.a, expiresAt: .distantFuture))
        #expect(book.heldConnectors(states).isEmpty)
        #expect(book.admission(connector: 1, idTag: Self.b, parentIdTag: nil, connectors: states) == .allowed(reservationID: nil))
        var busy = states
        busy[0].idle = false
        #expect(book.admission(connector: 2, idTag: Self.b, parentIdTag: nil, connectors: busy) != .allowed(reservationID: nil))
        #expect(book.admission(connector: 2, idTag: Self.a, parentIdTag: nil, connectors: busy) == .allowed(reservationID: 1))
        #expect(book.heldConnectors(busy) == [2])
        #expect(book.decide(Reservation(id: 2, connector: 0, idTag: Self.b, expiresAt: .distantFuture), connectors: busy, settings: .init()) == .occupied)
        #expect(book.decide(Reservation(id: 2, connector: 0, idTag: Self.b, expiresAt: .distantFuture), connectors: states, settings: .init()) == .accepted)
    }

    @Test("station: a reserved connector shows Reserved, serves only its card, and the session carries the reservation")
    func station() throws {
        var rig = Rig()
        let expiry = rig.clock.now.addingTimeInterval(600)
        let answer1 = rig.controller.reserve(Reservation(id: 7, connector: 1, idTag: Self.a, expiresAt: expiry), now: rig.clock.now)
        #expect(answer1 == .accepted)
        #expect(rig.status(1) == .reserved)
        #expect(rig.store.snapshot.reservations.map(\.id) == [7])
        // Another card goes to the free connector 2 instead.
        try rig.card("BBBBBBBB")
        #expect(rig.connector(2).awaitingVehicle?.idTag == Self.b)
        #expect(rig.status(1) == .reserved)
        // A vehicle plugged into the reserved connector does not start for the other card.
        try rig.plug(1)
        #expect(rig.connector(1).session == nil)
        let answer2 = rig.controller.reserve(Reservation(id: 8, connector: 1, idTag: Self.b, expiresAt: expiry), now: rig.clock.now)
        #expect(answer2 == .occupied)
        try rig.card("AAAAAAAA")
        let session = try #require(rig.connector(1).session)
        #expect(session.idTag == Self.a)
        let stored = try #require(rig.store.sessions.first { $0.session.id == session.id })
        #expect(stored.session.reservationID == 7)
        #expect(rig.store.snapshot.reservations.isEmpty, "the session start ends the reservation")
        #expect(rig.controller.reservations.reservations.isEmpty)
        let answer3 = rig.controller.cancelReservation(id: 7, now: rig.clock.now)
        #expect(!answer3)
    }

    @Test("a reservation expires at its expiry date and survives a restart until then")
    func expiry() throws {
        var rig = Rig()
        let expiry = rig.clock.now.addingTimeInterval(60)
        let answer4 = rig.controller.reserve(Reservation(id: 3, connector: 2, idTag: Self.c, expiresAt: expiry), now: rig.clock.now)
        #expect(answer4 == .accepted)
        let answer5 = rig.controller.reserve(Reservation(id: 4, connector: 1, idTag: Self.c, expiresAt: rig.clock.now), now: rig.clock.now)
        #expect(answer5 == .rejected)
        let restarted = StationController(settings: Rig.settings(), board: { var b = rig.board; return b.readInputs() }(),
                                          store: rig.store, now: rig.clock.now)
        #expect(restarted.reservations.reservation(connector: 2)?.id == 3)
        rig.run(59)
        #expect(rig.status(2) == .reserved)
        rig.run(1.1)
        #expect(rig.status(2) == .available)
        #expect(rig.store.snapshot.reservations.isEmpty)
        #expect(rig.events.contains { $0.kind == .reservationChanged && $0.message.contains("expired") })
    }

    @Test("making a reserved connector inoperative ends its reservation; CancelReservation ends another")
    func endings() throws {
        var rig = Rig()
        let expiry = rig.clock.now.addingTimeInterval(600)
        _ = rig.controller.reserve(Reservation(id: 1, connector: 1, idTag: Self.a, expiresAt: expiry), now: rig.clock.now)
        _ = rig.controller.reserve(Reservation(id: 2, connector: 2, idTag: Self.b, expiresAt: expiry), now: rig.clock.now)
        _ = rig.controller.changeAvailability(connector: 1, operative: false, now: rig.clock.now)
        rig.run(0.1)
        #expect(rig.status(1) == .unavailable)
        #expect(rig.controller.reservations.reservation(connector: 1) == nil)
        let answer6 = rig.controller.cancelReservation(id: 2, now: rig.clock.now)
        #expect(answer6)
        #expect(rig.status(2) == .available)
        #expect(rig.store.snapshot.reservations.isEmpty)
    }

    @Test("remote start on a reserved connector: its card is accepted with the reservation, another card is rejected")
    func remoteStart() throws {
        var rig = Rig()
        _ = rig.controller.reserve(Reservation(id: 5, connector: 1, idTag: Self.a, expiresAt: rig.clock.now.addingTimeInterval(600)), now: rig.clock.now)
        let answer7 = rig.controller.remoteStart(idTag: Self.b, connector: 1, authorize: false, now: rig.clock.now)
        #expect(answer7 == nil)
        let answer8 = rig.controller.remoteStart(idTag: Self.a, connector: nil, authorize: false, now: rig.clock.now)
        #expect(answer8 == 1)
        try rig.plug(1)
        #expect(rig.connector(1).session.map { s in rig.store.sessions.first { $0.session.id == s.id }?.session.reservationID } == 5)
    }
}
