#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// StatusNotification.req (CP→CS), feature profile Core.
///
/// - SeeAlso: OCPP 1.6 §4.9.
public struct StatusNotificationRequest: OCPPRequest {
    public static let action = "StatusNotification"
    public typealias Response = StatusNotificationResponse
    public static let schema = Schema.object([
        req("connectorId", .integer(minimum: 0)),
        req("errorCode", .enumeration(StatusNotificationRequest.errorCodes)),
        opt("info", .ci(50)),
        req("status", .enumeration(StatusNotificationRequest.statuses)),
        opt("timestamp", .dateTime),
        opt("vendorId", .ci(255)),
        opt("vendorErrorCode", .ci(50)),
    ])

    /// The errorCode values of OCPP 1.6 §7.6 ChargePointErrorCode.
    public static let errorCodes = ["ConnectorLockFailure", "EVCommunicationError", "GroundFailure", "HighTemperature", "InternalError",
                                    "LocalListConflict", "NoError", "OtherError", "OverCurrentFailure", "PowerMeterFailure",
                                    "PowerSwitchFailure", "ReaderFailure", "ResetFailure", "UnderVoltage", "OverVoltage", "WeakSignal"]
    /// The status values of OCPP 1.6 §7.7 ChargePointStatus.
    public static let statuses = ["Available", "Preparing", "Charging", "SuspendedEVSE", "SuspendedEV", "Finishing", "Reserved",
                                  "Unavailable", "Faulted"]

    public var connectorId: Int
    public var errorCode: String
    public var info: String?
    public var status: String
    public var timestamp: Date?
    public var vendorId: String?
    public var vendorErrorCode: String?

    public init(
        connectorId: Int,
        errorCode: String,
        info: String? = nil,
        status: String,
        timestamp: Date? = nil,
        vendorId: String? = nil,
        vendorErrorCode: String? = nil
    ) {
        self.connectorId = connectorId
        self.errorCode = errorCode
        self.info = info
        self.status = status
        self.timestamp = timestamp
        self.vendorId = vendorId
        self.vendorErrorCode = vendorErrorCode
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        connectorId = try f.int("connectorId")
        errorCode = try f.string("errorCode")
        info = try f.optionalString("info")
        status = try f.string("status")
        timestamp = try f.optionalDate("timestamp")
        vendorId = try f.optionalString("vendorId")
        vendorErrorCode = try f.optionalString("vendorErrorCode")
    }
}

/// StatusNotification.conf (CP→CS).
///
/// - SeeAlso: OCPP 1.6 §4.9.
public struct StatusNotificationResponse: OCPPPayload {
    public static let schema = Schema.object([])

    public init() {
    }

    public init(json: JSONValue) throws(OCPPError) {
        _ = try JSONFields(json)
    }
}
