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
}

/// DiagnosticsStatusNotification.conf (CP→CS).
///
/// - SeeAlso: OCPP 1.6 §4.4.
public struct DiagnosticsStatusNotificationResponse: OCPPPayload {
    public static let schema = Schema.object([])

    public init() {
    }
}
