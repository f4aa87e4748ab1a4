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
        opt("chargingProfilePurpose", .enumeration(["ChargePointMaxProfile", "TxDefaultProfile", "TxProfile"])),
        opt("stackLevel", .integer(minimum: 0)),
    ])

    public var id: Int?
    public var connectorId: Int?
    public var chargingProfilePurpose: String?
    public var stackLevel: Int?

    public init(
        id: Int? = nil,
        connectorId: Int? = nil,
        chargingProfilePurpose: String? = nil,
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
        chargingProfilePurpose = try f.optionalString("chargingProfilePurpose")
        stackLevel = try f.optionalInt("stackLevel")
    }
}

/// ClearChargingProfile.conf (CS→CP).
///
/// - SeeAlso: OCPP 1.6 §5.5.
public struct ClearChargingProfileResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", .enumeration(["Accepted", "Unknown"])),
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
