#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// ReserveNow.req (CS→CP), feature profile Reservation.
///
/// - SeeAlso: OCPP 1.6 §5.13.
public struct ReserveNowRequest: OCPPRequest {
    public static let action = "ReserveNow"
    public typealias Response = ReserveNowResponse
    public static let schema = Schema.object([
        req("connectorId", .integer(minimum: 0)),
        req("expiryDate", .dateTime),
        req("idTag", .ci(20)),
        opt("parentIdTag", .ci(20)),
        req("reservationId", .integer()),
    ])

    public var connectorId: Int
    public var expiryDate: Date
    public var idTag: String
    public var parentIdTag: String?
    public var reservationId: Int

    public init(connectorId: Int, expiryDate: Date, idTag: String, parentIdTag: String? = nil, reservationId: Int) {
        self.connectorId = connectorId
        self.expiryDate = expiryDate
        self.idTag = idTag
        self.parentIdTag = parentIdTag
        self.reservationId = reservationId
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        connectorId = try f.int("connectorId")
        expiryDate = try f.date("expiryDate")
        idTag = try f.string("idTag")
        parentIdTag = try f.optionalString("parentIdTag")
        reservationId = try f.int("reservationId")
    }
}

/// ReserveNow.conf (CS→CP).
///
/// - SeeAlso: OCPP 1.6 §5.13.
public struct ReserveNowResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", ReservationStatus.schema),
    ])

    public var status: ReservationStatus

    public init(status: ReservationStatus) {
        self.status = status
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.value("status", ReservationStatus.self)
    }
}
