#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// ExtendedTriggerMessage.req (CS→CP), OCPP 1.6 security whitepaper ed. 3 §5.5: TriggerMessage for the messages of the
/// security extension (LogStatusNotification, SignChargePointCertificate) as well as the core ones.
public struct ExtendedTriggerMessageRequest: OCPPRequest {
    public static let action = "ExtendedTriggerMessage"
    public typealias Response = ExtendedTriggerMessageResponse
    public static let schema = Schema.object([
        req("requestedMessage", ExtendedMessageTrigger.schema),
        opt("connectorId", .integer(minimum: 0)),
    ])

    public var requestedMessage: ExtendedMessageTrigger
    public var connectorId: Int?

    public init(requestedMessage: ExtendedMessageTrigger, connectorId: Int? = nil) {
        self.requestedMessage = requestedMessage
        self.connectorId = connectorId
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        requestedMessage = try f.value("requestedMessage", ExtendedMessageTrigger.self)
        connectorId = try f.optionalInt("connectorId")
    }
}

/// ExtendedTriggerMessage.conf (TriggerMessageStatusEnumType: Accepted, Rejected, NotImplemented).
public struct ExtendedTriggerMessageResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", TriggerMessageStatus.schema),
    ])

    public var status: TriggerMessageStatus

    public init(status: TriggerMessageStatus) { self.status = status }

    public init(json: JSONValue) throws(OCPPError) {
        status = try JSONFields(json).value("status", TriggerMessageStatus.self)
    }
}
