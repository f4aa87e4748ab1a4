#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// FirmwareStatusNotification.req (CP→CS), feature profile FirmwareManagement.
///
/// - SeeAlso: OCPP 1.6 §4.5.
public struct FirmwareStatusNotificationRequest: OCPPRequest {
    public static let action = "FirmwareStatusNotification"
    public typealias Response = FirmwareStatusNotificationResponse
    public static let schema = Schema.object([
        req("status", .enumeration(["Downloaded", "DownloadFailed", "Downloading", "Idle", "InstallationFailed", "Installing", "Installed"])),
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

/// FirmwareStatusNotification.conf (CP→CS).
///
/// - SeeAlso: OCPP 1.6 §4.5.
public struct FirmwareStatusNotificationResponse: OCPPPayload {
    public static let schema = Schema.object([])

    public init() {
    }

    public init(json: JSONValue) throws(OCPPError) {
        _ = try JSONFields(json)
    }
}
