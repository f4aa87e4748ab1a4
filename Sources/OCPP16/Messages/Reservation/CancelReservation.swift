#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// CancelReservation.req (CS→CP), feature profile Reservation.
///
/// - SeeAlso: OCPP 1.6 §5.1.
public struct CancelReservationRequest: OCPPRequest {
    public static let action = "CancelReservation"
    public typealias Response = CancelReservationResponse
    public static let schema = Schema.object([
        req("reservationId", .integer()),
    ])

    public var reservationId: Int

    public init(reservationId: Int) {
        self.reservationId = reservationId
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        reservationId = try f.int("reservationId")
    }
}

/// CancelReservation.conf (CS→CP): a status Accepted or Rejected.
///
/// - SeeAlso: OCPP 1.6 §5.1.
public typealias CancelReservationResponse = AcceptedRejectedResponse
