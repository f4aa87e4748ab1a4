#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// SetChargingProfile.req (CS→CP), feature profile SmartCharging.
///
/// - SeeAlso: OCPP 1.6 §5.16.
public struct SetChargingProfileRequest: OCPPRequest {
    public static let action = "SetChargingProfile"
    public typealias Response = SetChargingProfileResponse
    public static let schema = Schema.object([
        req("connectorId", .integer(minimum: 0)),
        req("csChargingProfiles", OCPPTypes.chargingProfile),
    ])

    public var connectorId: Int
    public var csChargingProfiles: ChargingProfile

    public init(connectorId: Int, csChargingProfiles: ChargingProfile) {
        self.connectorId = connectorId
        self.csChargingProfiles = csChargingProfiles
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        connectorId = try f.int("connectorId")
        csChargingProfiles = try f.object("csChargingProfiles", ChargingProfile.self)
    }
}

/// SetChargingProfile.conf (CS→CP).
///
/// - SeeAlso: OCPP 1.6 §5.16.
public struct SetChargingProfileResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", ChargingProfileStatus.schema),
    ])

    public var status: ChargingProfileStatus

    public init(status: ChargingProfileStatus) {
        self.status = status
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.value("status", ChargingProfileStatus.self)
    }
}
