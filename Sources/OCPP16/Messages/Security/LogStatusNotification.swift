#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// UploadLogStatusEnumType (OCPP 1.6 security whitepaper ed. 3 §5.1; the text's "UploadFailed" is `UploadFailure` in
/// the schema, which the station follows).
public enum UploadLogStatus: String, OCPPEnumeration {
    case badMessage = "BadMessage"
    case idle = "Idle"
    case notSupportedOperation = "NotSupportedOperation"
    case permissionDenied = "PermissionDenied"
    case uploaded = "Uploaded"
    case uploadFailure = "UploadFailure"
    case uploading = "Uploading"
}

/// LogStatusNotification.req (CP→CS): how a GetLog upload goes (use case N01); `requestId` is GetLog's, absent only
/// for Idle (N01.FR.12).
public struct LogStatusNotificationRequest: OCPPRequest {
    public static let action = "LogStatusNotification"
    public typealias Response = LogStatusNotificationResponse
    public static let schema = Schema.object([
        req("status", UploadLogStatus.schema),
        opt("requestId", .integer()),
    ])

    public var status: UploadLogStatus
    public var requestId: Int?

    public init(status: UploadLogStatus, requestId: Int? = nil) {
        self.status = status
        self.requestId = requestId
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.value("status", UploadLogStatus.self)
        requestId = try f.optionalInt("requestId")
    }
}

/// LogStatusNotification.conf: empty.
public struct LogStatusNotificationResponse: OCPPPayload {
    public static let schema = Schema.object([])

    public init() {}

    public init(json: JSONValue) throws(OCPPError) {
        _ = try JSONFields(json)
    }
}
