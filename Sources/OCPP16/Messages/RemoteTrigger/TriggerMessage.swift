#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// TriggerMessage.req (CS→CP), feature profile RemoteTrigger.
///
/// - SeeAlso: OCPP 1.6 §5.17.
public struct TriggerMessageRequest: OCPPRequest {
    public static let action = "TriggerMessage"
    public typealias Response = TriggerMessageResponse
    public static let schema = Schema.object([
        req("requestedMessage", MessageTrigger.schema),
        opt("connectorId", .integer(minimum: 0)),
    ])

    public var requestedMessage: MessageTrigger
    public var connectorId: Int?

    public init(requestedMessage: MessageTrigger, connectorId: Int? = nil) {
        self.requestedMessage = requestedMessage
        self.connectorId = connectorId
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        requestedMessage = try f.value("requestedMessage", MessageTrigger.self)
        connectorId = try f.optionalInt("connectorId")
    }
}

/// TriggerMessage.conf (CS→CP).
///
/// - SeeAlso: OCPP 1.6 §5.17.
public struct TriggerMessageResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", TriggerMessageStatus.schema),
    ])

    public var status: TriggerMessageStatus

    public init(status: TriggerMessageStatus) {
        self.status = status
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.value("status", TriggerMessageStatus.self)
    }
}
