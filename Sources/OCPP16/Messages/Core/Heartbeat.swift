#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Heartbeat.req (CP→CS), feature profile Core.
///
/// - SeeAlso: OCPP 1.6 §4.6.
public struct HeartbeatRequest: OCPPRequest {
    public static let action = "Heartbeat"
    public typealias Response = HeartbeatResponse
    public static let schema = Schema.object([])

    public init() {
    }

    public init(json: JSONValue) throws(OCPPError) {
        _ = try JSONFields(json)
    }
}

/// Heartbeat.conf (CP→CS).
///
/// - SeeAlso: OCPP 1.6 §4.6.
public struct HeartbeatResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("currentTime", .dateTime),
    ])

    public var currentTime: Date

    public init(currentTime: Date) {
        self.currentTime = currentTime
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        currentTime = try f.date("currentTime")
    }
}
