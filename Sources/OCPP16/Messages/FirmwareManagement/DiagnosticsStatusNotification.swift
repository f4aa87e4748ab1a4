#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// DiagnosticsStatusNotification.req (CP→CS), feature profile FirmwareManagement.
///
/// - SeeAlso: OCPP 1.6 §4.4.
public struct DiagnosticsStatusNotificationRequest: OCPPRequest {
    public static let action = "DiagnosticsStatusNotification"
    public typealias Response = DiagnosticsStatusNotificationResponse
    public static let schema = Schema.object([
        req("status", .enumeration(["Idle", "Uploaded", "UploadFailed", "Uploading"])),
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

/// DiagnosticsStatusNotification.conf (CP→CS).
///
/// - SeeAlso: OCPP 1.6 §4.4.
public struct DiagnosticsStatusNotificationResponse: OCPPPayload {
    public static let schema = Schema.object([])

    public init() {
    }

    public init(json: JSONValue) throws(OCPPError) {
        _ = try JSONFields(json)
    }
}
