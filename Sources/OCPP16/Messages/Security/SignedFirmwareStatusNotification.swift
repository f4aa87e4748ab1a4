#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// FirmwareStatusEnumType of the security extension (whitepaper ed. 3 §5.1): the 14 statuses of a signed update.
public enum SignedFirmwareStatus: String, OCPPEnumeration {
    case downloaded = "Downloaded"
    case downloadFailed = "DownloadFailed"
    case downloading = "Downloading"
    case downloadScheduled = "DownloadScheduled"
    case downloadPaused = "DownloadPaused"
    case idle = "Idle"
    case installationFailed = "InstallationFailed"
    case installing = "Installing"
    case installed = "Installed"
    case installRebooting = "InstallRebooting"
    case installScheduled = "InstallScheduled"
    case installVerificationFailed = "InstallVerificationFailed"
    case invalidSignature = "InvalidSignature"
    case signatureVerified = "SignatureVerified"
}

/// SignedFirmwareStatusNotification.req (CP→CS): how a SignedUpdateFirmware goes (use case L01); every status but Idle
/// carries the request's `requestId` (whitepaper ed. 3 §5.13: requestId is left out only for Idle).
public struct SignedFirmwareStatusNotificationRequest: OCPPRequest {
    public static let action = "SignedFirmwareStatusNotification"
    public typealias Response = SignedFirmwareStatusNotificationResponse
    public static let schema = Schema.object([
        req("status", SignedFirmwareStatus.schema),
        opt("requestId", .integer()),
    ])

    public var status: SignedFirmwareStatus
    public var requestId: Int?

    public init(status: SignedFirmwareStatus, requestId: Int? = nil) {
        self.status = status
        self.requestId = requestId
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.value("status", SignedFirmwareStatus.self)
        requestId = try f.optionalInt("requestId")
    }
}

/// SignedFirmwareStatusNotification.conf: empty.
public struct SignedFirmwareStatusNotificationResponse: OCPPPayload {
    public static let schema = Schema.object([])

    public init() {}

    public init(json: JSONValue) throws(OCPPError) {
        _ = try JSONFields(json)
    }
}
