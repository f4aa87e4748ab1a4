#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// BootNotification.req (CP→CS), feature profile Core.
///
/// - SeeAlso: OCPP 1.6 §4.2.
public struct BootNotificationRequest: OCPPRequest {
    public static let action = "BootNotification"
    public typealias Response = BootNotificationResponse
    public static let schema = Schema.object([
        req("chargePointVendor", .ci(20)),
        req("chargePointModel", .ci(20)),
        opt("chargePointSerialNumber", .ci(25)),
        opt("chargeBoxSerialNumber", .ci(25)),
        opt("firmwareVersion", .ci(50)),
        opt("iccid", .ci(20)),
        opt("imsi", .ci(20)),
        opt("meterType", .ci(25)),
        opt("meterSerialNumber", .ci(25)),
    ])

    public var chargePointVendor: String
    public var chargePointModel: String
    public var chargePointSerialNumber: String?
    public var chargeBoxSerialNumber: String?
    public var firmwareVersion: String?
    public var iccid: String?
    public var imsi: String?
    public var meterType: String?
    public var meterSerialNumber: String?

    public init(
        chargePointVendor: String,
        chargePointModel: String,
        chargePointSerialNumber: String? = nil,
        chargeBoxSerialNumber: String? = nil,
        firmwareVersion: String? = nil,
        iccid: String? = nil,
        imsi: String? = nil,
        meterType: String? = nil,
        meterSerialNumber: String? = nil
    ) {
        self.chargePointVendor = chargePointVendor
        self.chargePointModel = chargePointModel
        self.chargePointSerialNumber = chargePointSerialNumber
        self.chargeBoxSerialNumber = chargeBoxSerialNumber
        self.firmwareVersion = firmwareVersion
        self.iccid = iccid
        self.imsi = imsi
        self.meterType = meterType
        self.meterSerialNumber = meterSerialNumber
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        chargePointVendor = try f.string("chargePointVendor")
        chargePointModel = try f.string("chargePointModel")
        chargePointSerialNumber = try f.optionalString("chargePointSerialNumber")
        chargeBoxSerialNumber = try f.optionalString("chargeBoxSerialNumber")
        firmwareVersion = try f.optionalString("firmwareVersion")
        iccid = try f.optionalString("iccid")
        imsi = try f.optionalString("imsi")
        meterType = try f.optionalString("meterType")
        meterSerialNumber = try f.optionalString("meterSerialNumber")
    }
}

/// BootNotification.conf (CP→CS).
///
/// - SeeAlso: OCPP 1.6 §4.2.
public struct BootNotificationResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", RegistrationStatus.schema),
        req("currentTime", .dateTime),
        req("interval", .integer()),
    ])

    public var status: RegistrationStatus
    public var currentTime: Date
    public var interval: Int

    public init(status: RegistrationStatus, currentTime: Date, interval: Int) {
        self.status = status
        self.currentTime = currentTime
        self.interval = interval
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.value("status", RegistrationStatus.self)
        currentTime = try f.date("currentTime")
        interval = try f.int("interval")
    }
}
