#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// GetDiagnostics.req (CS→CP), feature profile FirmwareManagement.
///
/// - SeeAlso: OCPP 1.6 §5.9.
public struct GetDiagnosticsRequest: OCPPRequest {
    public static let action = "GetDiagnostics"
    public typealias Response = GetDiagnosticsResponse
    public static let schema = Schema.object([
        req("location", .string()),
        opt("retries", .integer(minimum: 0)),
        opt("retryInterval", .integer(minimum: 0)),
        opt("startTime", .dateTime),
        opt("stopTime", .dateTime),
    ])

    public var location: String
    public var retries: Int?
    public var retryInterval: Int?
    public var startTime: Date?
    public var stopTime: Date?

    public init(
        location: String,
        retries: Int? = nil,
        retryInterval: Int? = nil,
        startTime: Date? = nil,
        stopTime: Date? = nil
    ) {
        self.location = location
        self.retries = retries
        self.retryInterval = retryInterval
        self.startTime = startTime
        self.stopTime = stopTime
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        location = try f.string("location")
        retries = try f.optionalInt("retries")
        retryInterval = try f.optionalInt("retryInterval")
        startTime = try f.optionalDate("startTime")
        stopTime = try f.optionalDate("stopTime")
    }
}

/// GetDiagnostics.conf (CS→CP).
///
/// - SeeAlso: OCPP 1.6 §5.9.
public struct GetDiagnosticsResponse: OCPPPayload {
    public static let schema = Schema.object([
        opt("fileName", .ci(255)),
    ])

    public var fileName: String?

    public init(fileName: String? = nil) {
        self.fileName = fileName
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        fileName = try f.optionalString("fileName")
    }
}
