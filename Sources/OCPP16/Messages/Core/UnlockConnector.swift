#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// UnlockConnector.req (CS→CP), feature profile Core.
///
/// - SeeAlso: OCPP 1.6 §5.18.
public struct UnlockConnectorRequest: OCPPRequest {
    public static let action = "UnlockConnector"
    public typealias Response = UnlockConnectorResponse
    public static let schema = Schema.object([
        req("connectorId", .integer(minimum: 0)),
    ])

    public var connectorId: Int

    public init(connectorId: Int) {
        self.connectorId = connectorId
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        connectorId = try f.int("connectorId")
    }
}

/// UnlockConnector.conf (CS→CP).
///
/// - SeeAlso: OCPP 1.6 §5.18.
public struct UnlockConnectorResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", UnlockStatus.schema),
    ])

    public var status: UnlockStatus

    public init(status: UnlockStatus) {
        self.status = status
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.value("status", UnlockStatus.self)
    }
}
