#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// FirmwareType of SignedUpdateFirmware (OCPP 1.6 security whitepaper ed. 3 §5.1): the package's location, when to
/// fetch and install it, the PEM signing certificate and the base64 signature over the whole file.
public struct SignedFirmware: Codable, Sendable, Equatable, JSONValueDecodable {
    public var location: String
    public var retrieveDateTime: Date
    public var installDateTime: Date?
    public var signingCertificate: String
    public var signature: String

    public static let schema = Schema.object([
        req("location", .ci(512)),
        req("retrieveDateTime", .dateTime),
        opt("installDateTime", .dateTime),
        req("signingCertificate", .ci(5500)),
        req("signature", .ci(800)),
    ])

    public init(location: String, retrieveDateTime: Date, installDateTime: Date? = nil, signingCertificate: String, signature: String) {
        self.location = location
        self.retrieveDateTime = retrieveDateTime
        self.installDateTime = installDateTime
        self.signingCertificate = signingCertificate
        self.signature = signature
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        location = try f.string("location")
        retrieveDateTime = try f.date("retrieveDateTime")
        installDateTime = try f.optionalDate("installDateTime")
        signingCertificate = try f.string("signingCertificate")
        signature = try f.string("signature")
    }
}

/// UpdateFirmwareStatusEnumType: SignedUpdateFirmware's answer.
public enum UpdateFirmwareStatus: String, OCPPEnumeration {
    case accepted = "Accepted"
    case rejected = "Rejected"
    case acceptedCanceled = "AcceptedCanceled"
    case invalidCertificate = "InvalidCertificate"
    case revokedCertificate = "RevokedCertificate"
}

/// SignedUpdateFirmware.req (CS→CP): a signed firmware update (security whitepaper ed. 3 §5.12, use case L01).
public struct SignedUpdateFirmwareRequest: OCPPRequest {
    public static let action = "SignedUpdateFirmware"
    public typealias Response = SignedUpdateFirmwareResponse
    public static let schema = Schema.object([
        opt("retries", .integer()),
        opt("retryInterval", .integer()),
        req("requestId", .integer()),
        req("firmware", SignedFirmware.schema),
    ])

    public var retries: Int?
    public var retryInterval: Int?
    public var requestId: Int
    public var firmware: SignedFirmware

    public init(retries: Int? = nil, retryInterval: Int? = nil, requestId: Int, firmware: SignedFirmware) {
        self.retries = retries
        self.retryInterval = retryInterval
        self.requestId = requestId
        self.firmware = firmware
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        retries = try f.optionalInt("retries")
        retryInterval = try f.optionalInt("retryInterval")
        requestId = try f.int("requestId")
        firmware = try f.object("firmware", SignedFirmware.self)
    }
}

/// SignedUpdateFirmware.conf.
public struct SignedUpdateFirmwareResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", UpdateFirmwareStatus.schema),
    ])

    public var status: UpdateFirmwareStatus

    public init(status: UpdateFirmwareStatus) {
        self.status = status
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.value("status", UpdateFirmwareStatus.self)
    }
}
