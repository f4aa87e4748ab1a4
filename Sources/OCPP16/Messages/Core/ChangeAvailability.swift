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
        req("type", .enumeration(["Inoperative", "Operative"])),
    ])

    public var connectorId: Int
    public var type: String

    public init(connectorId: Int, type: String) {
        self.connectorId = connectorId
        self.type = type
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        connectorId = try f.int("connectorId")
        type = try f.string("type")
    }
}

/// ChangeAvailability.conf (CS→CP).
///
/// - SeeAlso: OCPP 1.6 §5.2.
public struct ChangeAvailabilityResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", .enumeration(["Accepted", "Rejected", "Scheduled"])),
    ])

    public var status: String

    public init(status: String) {
        self.status = status
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.string("status")
    }
}
