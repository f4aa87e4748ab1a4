#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// RemoteStartTransaction.req (CS→CP), feature profile Core.
///
/// - SeeAlso: OCPP 1.6 §5.11.
public struct RemoteStartTransactionRequest: OCPPRequest {
    public static let action = "RemoteStartTransaction"
    public typealias Response = RemoteStartTransactionResponse
    public static let schema = Schema.object([
        opt("connectorId", .integer(minimum: 1)),
        req("idTag", .ci(20)),
        opt("chargingProfile", OCPPTypes.chargingProfile),
    ])

    public var connectorId: Int?
    public var idTag: String
    public var chargingProfile: ChargingProfile?

    public init(connectorId: Int? = nil, idTag: String, chargingProfile: ChargingProfile? = nil) {
        self.connectorId = connectorId
        self.idTag = idTag
        self.chargingProfile = chargingProfile
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        connectorId = try f.optionalInt("connectorId")
        idTag = try f.string("idTag")
        chargingProfile = try f.optionalObject("chargingProfile", ChargingProfile.self)
    }
}

/// RemoteStartTransaction.conf (CS→CP): a status Accepted or Rejected.
///
/// - SeeAlso: OCPP 1.6 §5.11.
public typealias RemoteStartTransactionResponse = AcceptedRejectedResponse
