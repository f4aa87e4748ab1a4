#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// LogEnumType (OCPP 1.6 security whitepaper ed. 3 §5.1).
public enum LogType: String, OCPPEnumeration {
    case diagnosticsLog = "DiagnosticsLog"
    case securityLog = "SecurityLog"
}

/// LogStatusEnumType: GetLog's answer.
public enum LogStatus: String, OCPPEnumeration {
    case accepted = "Accepted"
    case rejected = "Rejected"
    case acceptedCanceled = "AcceptedCanceled"
}

/// LogParametersType: where to upload, and which entries.
public struct LogParameters: Codable, Sendable, Equatable, JSONValueDecodable {
    public var remoteLocation: String
    public var oldestTimestamp: Date?
    public var latestTimestamp: Date?

    public static let schema = Schema.object([
        req("remoteLocation", .ci(512)),
        opt("oldestTimestamp", .dateTime),
        opt("latestTimestamp", .dateTime),
    ])

    public init(remoteLocation: String, oldestTimestamp: Date? = nil, latestTimestamp: Date? = nil) {
        self.remoteLocation = remoteLocation
        self.oldestTimestamp = oldestTimestamp
        self.latestTimestamp = latestTimestamp
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        remoteLocation = try f.string("remoteLocation")
        oldestTimestamp = try f.optionalDate("oldestTimestamp")
        latestTimestamp = try f.optionalDate("latestTimestamp")
    }
}

/// GetLog.req (CS→CP): upload the diagnostics or the security log (OCPP 1.6 security whitepaper ed. 3 §5.9, use case
/// N01).
public struct GetLogRequest: OCPPRequest {
    public static let action = "GetLog"
    public typealias Response = GetLogResponse
    public static let schema = Schema.object([
        req("log", LogParameters.schema),
        req("logType", LogType.schema),
        req("requestId", .integer()),
        opt("retries", .integer()),
        opt("retryInterval", .integer()),
    ])

    public var log: LogParameters
    public var logType: LogType
    public var requestId: Int
    public var retries: Int?
    public var retryInterval: Int?

    public init(log: LogParameters, logType: LogType, requestId: Int, retries: Int? = nil, retryInterval: Int? = nil) {
        self.log = log
        self.logType = logType
        self.requestId = requestId
        self.retries = retries
        self.retryInterval = retryInterval
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        log = try f.object("log", LogParameters.self)
        logType = try f.value("logType", LogType.self)
        requestId = try f.int("requestId")
        retries = try f.optionalInt("retries")
        retryInterval = try f.optionalInt("retryInterval")
    }
}

/// GetLog.conf.
public struct GetLogResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", LogStatus.schema),
        opt("filename", .ci(255)),
    ])

    public var status: LogStatus
    public var filename: String?

    public init(status: LogStatus, filename: String? = nil) {
        self.status = status
        self.filename = filename
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.value("status", LogStatus.self)
        filename = try f.optionalString("filename")
    }
}
