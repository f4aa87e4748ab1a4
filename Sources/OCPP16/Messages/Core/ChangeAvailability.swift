#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// ChangeAvailability.req (CS→CP), feature profile Core.
///
/// - SeeAlso: OCPP 1.6 §5.2.
public struct ChangeAvailabilityRequest: OCPPRequest {
    public static let action = "ChangeAvailability"
    public typealias Response = ChangeAvailabilityResponse
    public static let schema = Schema.object([
        req("connectorId", .integer(minimum: 0)),
        req("type", AvailabilityType.schema),
    ])

    public var connectorId: Int
    public var type: AvailabilityType

    public init(connectorId: Int, type: AvailabilityType) {
        self.connectorId = connectorId
        self.type = type
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        connectorId = try f.int("connectorId")
        type = try f.value("type", AvailabilityType.self)
    }
}

/// ChangeAvailability.conf (CS→CP).
///
/// - SeeAlso: OCPP 1.6 §5.2.
public struct ChangeAvailabilityResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", AvailabilityStatus.schema),
    ])

    public var status: AvailabilityStatus

    public init(status: AvailabilityStatus) {
        self.status = status
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.value("status", AvailabilityStatus.self)
    }
}
