#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore
import OCPP16

/// A reservation of one connector, or of any connector (`connector` 0), for an identifier or its group until
/// `expiresAt`.
///
/// - SeeAlso: OCPP 1.6 §5.13 ReserveNow, §3.11 Reservation; checklist §1.4.7.
public struct Reservation: Sendable, Codable, Equatable {
    public var id: Int
    /// The reserved connector; 0 keeps one connector of the station free instead of a specific one.
    public var connector: Int
    public var idTag: String
    /// Identifiers of this group (OCPP parentIdTag) may also use the reservation.
    public var parentIdTag: String?
    public var expiresAt: Date

    public init(id: Int, connector: Int, idTag: String, parentIdTag: String? = nil, expiresAt: Date) {
        self.id = id; self.connector = connector; self.idTag = idTag; self.parentIdTag = parentIdTag; self.expiresAt = expiresAt
    }

    /// Whether an identifier with the given group may use the reservation (identifiers compare case-insensitively).
    public func admits(idTag: String, parentIdTag: String?) -> Bool {
        if sameIdentifier(self.idTag, idTag) { return true }
        guard let group = self.parentIdTag, let parentIdTag else { return false }
        return sameIdentifier(group, parentIdTag)
    }
}

/// The answer to a reservation request (OCPP 1.6 §7.38 ReservationStatus).
public typealias ReservationOutcome = ReservationStatus

/// Whether reservations are taken at all and whether connector 0 may be reserved (ReserveConnectorZeroSupported).
public struct ReservationSettings: Sendable, Equatable {
    public var enabled: Bool
    public var connectorZeroSupported: Bool

    public init(enabled: Bool = true, connectorZeroSupported: Bool = true) {
        self.enabled = enabled; self.connectorZeroSupported = connectorZeroSupported
    }
}

/// What reservation decisions need to know about one connector.
public struct ReservationConnectorState: Sendable, Equatable {
    public var faulted: Bool
    public var operative: Bool
    /// No session runs and no authorization waits for a vehicle.
    public var idle: Bool
    public var vehicleConnected: Bool

    public init(faulted: Bool, operative: Bool, idle: Bool, vehicleConnected: Bool) {
        self.faulted = faulted; self.operative = operative; self.idle = idle; self.vehicleConnected = vehicleConnected
    }

    /// Could take a new user now.
    var usable: Bool { !faulted && operative && idle }
}

/// The station's reservations and the rules that decide who may use which connector.
///
/// Rules (OCPP 1.6 §5.13, checklist §1.4.7):
/// - A reservation with an existing id replaces it.
/// - A connector reservation is Faulted, Unavailable or Occupied (busy, vehicle plugged in, or already reserved) as
///   the connector is; otherwise Accepted and the connector shows Reserved.
/// - Connector 0 (only with ReserveConnectorZeroSupported) keeps one usable, not otherwise reserved connector free per
///   reservation; when as many connectors are left as such reservations wait, the remaining ones show Reserved.
/// - While reserved, only the reservation's identifier or an identifier of its group (parentIdTag) may start.
public struct ReservationBook: Sendable, Equatable {
    public private(set) var reservations: [Reservation]

    public init(_ reservations: [Reservation] = []) { self.reservations = reservations }

    /// The reservation of connector `n` itself (not connector 0).
    public func reservation(connector n: Int) -> Reservation? { reservations.first { $0.connector == n && n > 0 } }

    /// Reservations for any connector.
    public var stationReservations: [Reservation] { reservations.filter { $0.connector == 0 } }

    /// The answer to a ReserveNow for `r`, given the connectors (index 0 = connector 1). Does not change the book.
    public func decide(_ r: Reservation, connectors: [ReservationConnectorState], settings: ReservationSettings) -> ReservationOutcome {
        guard settings.enabled, (0...connectors.count).contains(r.connector) else { return .rejected }
        let others = ReservationBook(reservations.filter { $0.id != r.id })
        if r.connector > 0 {
            let c = connectors[r.connector - 1]
            if c.faulted { return .faulted }
            if !c.operative { return .unavailable }
            if !c.idle || c.vehicleConnected || others.reservation(connector: r.connector) != nil { return .occupied }
            return .accepted
        }
        guard settings.connectorZeroSupported else { return .rejected }
        if connectors.allSatisfy(\.faulted) { return .faulted }
        if connectors.allSatisfy({ $0.faulted || !$0.operative }) { return .unavailable }
        let free = others.freeConnectors(connectors).filter { !connectors[$0 - 1].vehicleConnected }
        return free.count > others.stationReservations.count ? .accepted : .occupied
    }

    /// Connectors that are usable and not reserved for themselves (they serve connector-0 reservations).
    func freeConnectors(_ connectors: [ReservationConnectorState]) -> [Int] {
        connectors.indices.filter { connectors[$0].usable && reservation(connector: $0 + 1) == nil }.map { $0 + 1 }
    }

    /// Adds `r`, replacing a reservation with the same id.
    public mutating func place(_ r: Reservation) {
        reservations.removeAll { $0.id == r.id }
        reservations.append(r)
    }

    /// Removes and returns reservation `id`.
    @discardableResult
    public mutating func remove(id: Int) -> Reservation? {
        guard let i = reservations.firstIndex(where: { $0.id == id }) else { return nil }
        return reservations.remove(at: i)
    }

    /// Removes and returns the reservations that expired at `now`.
    public mutating func expire(now: Date) -> [Reservation] {
        let gone = reservations.filter { $0.expiresAt <= now }
        reservations.removeAll { $0.expiresAt <= now }
        return gone
    }

    /// Whether an identifier may start on connector `n`.
    public enum Admission: Sendable, Equatable {
        /// Allowed; the transaction uses (and ends) this reservation, if any.
        case allowed(reservationID: Int?)
        case refused(reason: String)
    }

    /// Decides whether `idTag` (of group `parentIdTag`) may use connector `n` now.
    public func admission(connector n: Int, idTag: String, parentIdTag: String?, connectors: [ReservationConnectorState]) -> Admission {
        if let r = reservation(connector: n) {
            return r.admits(idTag: idTag, parentIdTag: parentIdTag)
                ? .allowed(reservationID: r.id)
                : .refused(reason: "Connector \(n) is reserved (reservation \(r.id)) for another identifier")
        }
        let station = stationReservations
        if let r = station.first(where: { $0.admits(idTag: idTag, parentIdTag: parentIdTag) }) { return .allowed(reservationID: r.id) }
        guard !station.isEmpty else { return .allowed(reservationID: nil) }
        // Connector n is one of the free ones while it waits for this identifier.
        var free = Set(freeConnectors(connectors))
        free.insert(n)
        return free.count > station.count
            ? .allowed(reservationID: nil)
            : .refused(reason: "The last free connector is kept for reservation \(station.map { String($0.id) }.joined(separator: ", "))")
    }

    /// The connectors that show Reserved.
    public func heldConnectors(_ connectors: [ReservationConnectorState]) -> Set<Int> {
        var held = Set(reservations.map(\.connector).filter { $0 > 0 })
        let station = stationReservations.count
        let free = freeConnectors(connectors).filter { !connectors[$0 - 1].vehicleConnected }
        if station > 0 && free.count <= station { held.formUnion(free) }
        return held
    }
}
