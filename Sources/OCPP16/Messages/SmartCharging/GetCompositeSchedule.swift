#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// GetCompositeSchedule.req (CS→CP), feature profile SmartCharging.
///
/// - SeeAlso: OCPP 1.6 §5.7.
public struct GetCompositeScheduleRequest: OCPPRequest {
    public static let action = "GetCompositeSchedule"
    public typealias Response = GetCompositeScheduleResponse
    public static let schema = Schema.object([
        req("connectorId", .integer(minimum: 0)),
        req("duration", .integer(minimum: 0)),
        opt("chargingRateUnit", ChargingRateUnit.schema),
    ])

    public var connectorId: Int
    public var duration: Int
    public var chargingRateUnit: ChargingRateUnit?

    public init(connectorId: Int, duration: Int, chargingRateUnit: ChargingRateUnit? = nil) {
        self.connectorId = connectorId
        self.duration = duration
        self.chargingRateUnit = chargingRateUnit
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        connectorId = try f.int("connectorId")
        duration = try f.int("duration")
        chargingRateUnit = try f.optionalValue("chargingRateUnit", ChargingRateUnit.self)
    }
}

/// GetCompositeSchedule.conf (CS→CP).
///
/// - SeeAlso: OCPP 1.6 §5.7.
public struct GetCompositeScheduleResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", AcceptedRejected.schema),
        opt("connectorId", .integer(minimum: 0)),
        opt("scheduleStart", .dateTime),
        opt("chargingSchedule", OCPPTypes.chargingSchedule),
    ])

    public var status: AcceptedRejected
    public var connectorId: Int?
    public var scheduleStart: Date?
    public var chargingSchedule: ChargingSchedule?

    public init(
        status: AcceptedRejected,
        connectorId: Int? = nil,
        scheduleStart: Date? = nil,
        chargingSchedule: ChargingSchedule? = nil
    ) {
        self.status = status
        self.connectorId = connectorId
        self.scheduleStart = scheduleStart
        self.chargingSchedule = chargingSchedule
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.value("status", AcceptedRejected.self)
        connectorId = try f.optionalInt("connectorId")
        scheduleStart = try f.optionalDate("scheduleStart")
        chargingSchedule = try f.optionalObject("chargingSchedule", ChargingSchedule.self)
    }
}
