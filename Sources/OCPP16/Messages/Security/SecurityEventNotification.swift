#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// SecurityEventNotification.req (CP→CS) of the security extension: a security event the station saw (OCPP 1.6
/// security whitepaper ed. 3 §5.2, use case A04). `type` is a free string of at most 50 characters; the station sends
/// the names of ``SecurityEventType``.
public struct SecurityEventNotificationRequest: OCPPRequest {
    public static let action = "SecurityEventNotification"
    public typealias Response = SecurityEventNotificationResponse
    public static let schema = Schema.object([
        req("type", .ci(50)),
        req("timestamp", .dateTime),
        opt("techInfo", .ci(255)),
    ])

    public var type: String
    public var timestamp: Date
    public var techInfo: String?

    public init(type: String, timestamp: Date, techInfo: String? = nil) {
        self.type = type
        self.timestamp = timestamp
        self.techInfo = techInfo
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        type = try f.string("type")
        timestamp = try f.date("timestamp")
        techInfo = try f.optionalString("techInfo")
    }
}

/// SecurityEventNotification.conf: empty.
public struct SecurityEventNotificationResponse: OCPPPayload {
    public static let schema = Schema.object([])

    public init() {}

    public init(json: JSONValue) throws(OCPPError) {
        _ = try JSONFields(json)
    }
}
