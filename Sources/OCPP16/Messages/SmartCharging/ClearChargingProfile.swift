#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// ClearChargingProfile.req (CS→CP), feature profile SmartCharging.
///
/// - SeeAlso: OCPP 1.6 §5.5.
public struct ClearChargingProfileRequest: OCPPRequest {
    public static let action = "ClearChargingProfile"
    public typealias Response = ClearChargingProfileResponse
    public static let schema = Schema.object([
        opt("id", .integer()),
        opt("connectorId", .integer(minimum: 0)),
        opt("chargingProfilePurpose", ChargingProfilePurpose.schema),
        opt("stackLevel", .integer(minimum: 0)),
    ])

    public var id: Int?
    public var connectorId: Int?
    public var chargingProfilePurpose: ChargingProfilePurpose?
    public var stackLevel: Int?

    public init(
        id: Int? = nil,
        connectorId: Int? = nil,
        chargingProfilePurpose: ChargingProfilePurpose? = nil,
        stackLevel: Int? = nil
    ) {
        self.id = id
        self.connectorId = connectorId
        self.chargingProfilePurpose = chargingProfilePurpose
        self.stackLevel = stackLevel
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        id = try f.optionalInt("id")
        connectorId = try f.optionalInt("connectorId")
        chargingProfilePurpose = try f.optionalValue("chargingProfilePurpose", ChargingProfilePurpose.self)
        stackLevel = try f.optionalInt("stackLevel")
    }
}

/// ClearChargingProfile.conf (CS→CP).
///
/// - SeeAlso: OCPP 1.6 §5.5.
public struct ClearChargingProfileResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", ClearChargingProfileStatus.schema),
    ])

    public var status: ClearChargingProfileStatus

    public init(status: ClearChargingProfileStatus) {
        self.status = status
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.value("status", ClearChargingProfileStatus.self)
    }
}
