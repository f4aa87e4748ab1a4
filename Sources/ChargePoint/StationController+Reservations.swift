#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore
import OCPP16

/// Reservations (OCPP 1.6 §5.13 ReserveNow / §5.2 CancelReservation): taking, keeping, expiring and ending them.
extension StationController {
    /// What the reservation rules need to know about each connector (index 0 = connector 1).
    var reservationStates: [ReservationConnectorState] {
        connectors.indices.map { i in
            var idle = false
            if case .idle = connectors[i].session.state { idle = !authorizationFlow.pending.contains { $0.connector == i + 1 } }
            return ReservationConnectorState(faulted: connectors[i].machine.isFaulted || errors.stopsCharging(connector: i + 1),
                                             operative: connectors[i].machine.isOperative, idle: idle,
                                             vehicleConnected: connectors[i].pilot.vehicleConnected)
        }
    }

    /// ReserveNow: places (or replaces) the reservation when the connector can take it, persisted before it is accepted.
    public mutating func reserve(_ r: Reservation, now: Date) -> ReservationOutcome {
        guard r.expiresAt > now else {
            log(now, .reservationChanged, r.connector, "Reservation \(r.id) for \(r.idTag) rejected: it expires in the past")
            return .rejected
        }
        let outcome = reservations.decide(r, connectors: reservationStates, settings: settings.reservations)
        guard outcome == .accepted else {
            log(now, .reservationChanged, r.connector, "Reservation \(r.id) for \(r.idTag) on connector \(r.connector): \(outcome.rawValue)")
            return outcome
        }
        do { try store.saveReservation(r) } catch {
            notice(.storeFailed(what: "saveReservation", error: "\(error)"))
            return .rejected
        }
        reservations.place(r)
        log(now, .reservationChanged, r.connector,
            "Connector \(r.connector) reserved for \(r.idTag)\(r.parentIdTag.map { " (group \($0))" } ?? "") until \(r.expiresAt.formatted(.iso8601)), reservation \(r.id)")
        updateReservedConnectors()
        return .accepted
    }

    /// CancelReservation: whether the reservation existed.
    public mutating func cancelReservation(id: Int, now: Date) -> Bool {
        guard reservations.reservations.contains(where: { $0.id == id }) else { return false }
        endReservation(id, now: now, why: "cancelled")
        return true
    }

    /// Expires reservations and ends those of connectors that became faulted or unavailable (checklist §1.4.7).
    mutating func maintainReservations(now: Date) {
        guard !reservations.reservations.isEmpty else { return }
        for r in reservations.reservations where r.expiresAt <= now { endReservation(r.id, now: now, why: "expired") }
        let states = reservationStates
        for r in reservations.reservations where r.connector > 0 {
            let s = states[r.connector - 1]
            if s.faulted { endReservation(r.id, now: now, why: "ended: the connector is faulted") }
            else if !s.operative { endReservation(r.id, now: now, why: "ended: the connector is unavailable") }
        }
        updateReservedConnectors()
    }

    private mutating func endReservation(_ id: Int, now: Date, why: String) {
        do { try store.deleteReservation(id: id) } catch {
            notice(.storeFailed(what: "deleteReservation", error: "\(error)"))
        }
        guard let r = reservations.remove(id: id) else { return }
        log(now, .reservationChanged, r.connector, "Reservation \(r.id) of \(r.idTag) \(why)")
        updateReservedConnectors()
    }

    /// A session that used a reservation ended it (the store removed it with the session start).
    mutating func reservationUsed(_ id: Int) {
        reservations.remove(id: id)
        updateReservedConnectors()
    }

    /// Shows Reserved on the connectors the reservations hold.
    mutating func updateReservedConnectors() {
        let held = reservations.heldConnectors(reservationStates)
        for i in connectors.indices where connectors[i].machine.isReserved != held.contains(i + 1) {
            run(i + 1, connectors[i].machine.handle(.reserved(held.contains(i + 1))))
        }
    }

    /// Whether `idTag` of group `parentIdTag` may start on connector `n`, and the reservation it would use.
    func reservationAdmission(connector n: Int, idTag: String, parentIdTag: String?) -> ReservationBook.Admission {
        guard !reservations.reservations.isEmpty else { return .allowed(reservationID: nil) }
        return reservations.admission(connector: n, idTag: idTag, parentIdTag: parentIdTag, connectors: reservationStates)
    }
}
