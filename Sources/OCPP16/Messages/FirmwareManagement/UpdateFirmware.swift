#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// UpdateFirmware.req (CS→CP), feature profile FirmwareManagement.
///
/// - SeeAlso: OCPP 1.6 §5.19.
public struct UpdateFirmwareRequest: OCPPRequest {
    public static let action = "UpdateFirmware"
    public typealias Response = UpdateFirmwareResponse
    public static let schema = Schema.object([
        req("location", .string()),
        opt("retries", .integer(minimum: 0)),
        req("retrieveDate", .dateTime),
        opt("retryInterval", .integer(minimum: 0)),
    ])

    public var location: String
    public var retries: Int?
    public var retrieveDate: Date
    public var retryInterval: Int?

    public init(location: String, retries: Int? = nil, retrieveDate: Date, retryInterval: Int? = nil) {
        self.location = location
        self.retries = retries
        self.retrieveDate = retrieveDate
        self.retryInterval = retryInterval
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        location = try f.string("location")
        retries = try f.optionalInt("retries")
        retrieveDate = try f.date("retrieveDate")
        retryInterval = try f.optionalInt("retryInterval")
    }
}

/// UpdateFirmware.conf (CS→CP).
///
/// - SeeAlso: OCPP 1.6 §5.19.
public struct UpdateFirmwareResponse: OCPPPayload {
    public static let schema = Schema.object([])

    public init() {
    }

    public init(json: JSONValue) throws(OCPPError) {
        _ = try JSONFields(json)
    }
}
