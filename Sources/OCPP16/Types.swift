#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Shared OCPP 1.6 types (OCPP 1.6 §7) with their schemas, as in the errata-corrected JSON schemas.
public enum OCPPTypes {
    public static let idTagInfo = Schema.object([
        req("status", AuthorizationStatus.schema), opt("expiryDate", .dateTime), opt("parentIdTag", .ci(20)),
    ])
    public static let measurands = [
        "Energy.Active.Export.Register", "Energy.Active.Import.Register", "Energy.Reactive.Export.Register",
        "Energy.Reactive.Import.Register", "Energy.Active.Export.Interval", "Energy.Active.Import.Interval",
        "Energy.Reactive.Export.Interval", "Energy.Reactive.Import.Interval", "Power.Active.Export", "Power.Active.Import",
        "Power.Offered", "Power.Reactive.Export", "Power.Reactive.Import", "Power.Factor", "Current.Import", "Current.Export",
        "Current.Offered", "Voltage", "Frequency", "Temperature", "SoC", "RPM",
    ]
    public static let sampledValue = Schema.object([
        req("value", .string()),
        opt("context", .enumeration(["Interruption.Begin", "Interruption.End", "Sample.Clock", "Sample.Periodic", "Transaction.Begin",
                                     "Transaction.End", "Trigger", "Other"])),
        opt("format", .enumeration(["Raw", "SignedData"])),
        opt("measurand", .enumeration(measurands)),
        opt("phase", .enumeration(["L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1"])),
        opt("location", .enumeration(["Cable", "EV", "Inlet", "Outlet", "Body"])),
        opt("unit", .enumeration(["Wh", "kWh", "varh", "kvarh", "W", "kW", "VA", "kVA", "var", "kvar", "A", "V", "K", "Celcius", "Celsius",
                                  "Fahrenheit", "Percent"])),
    ])
    public static let meterValue = Schema.object([req("timestamp", .dateTime), req("sampledValue", .array(sampledValue, minItems: 1))])
    /// `duration` and `startPeriod` are seconds: the official schema only says integer, but a negative one has no
    /// meaning (OCPP 1.6 §7.13), so it is a PropertyConstraintViolation like any other value out of range.
    public static let chargingSchedule = Schema.object([
        opt("duration", .integer(minimum: 0)), opt("startSchedule", .dateTime), req("chargingRateUnit", ChargingRateUnit.schema),
        req("chargingSchedulePeriod", .array(.object([
            req("startPeriod", .integer(minimum: 0)), req("limit", .number(minimum: 0, decimals: 1)), opt("numberPhases", .integer(minimum: 1, maximum: 3)),
        ]), minItems: 1)),
        opt("minChargingRate", .number(minimum: 0, decimals: 1)),
    ])
    public static let chargingProfile = Schema.object([
        req("chargingProfileId", .integer()), opt("transactionId", .integer()), req("stackLevel", .integer(minimum: 0)),
        req("chargingProfilePurpose", ChargingProfilePurpose.schema),
        req("chargingProfileKind", .enumeration(["Absolute", "Recurring", "Relative"])),
        opt("recurrencyKind", .enumeration(["Daily", "Weekly"])), opt("validFrom", .dateTime), opt("validTo", .dateTime),
        req("chargingSchedule", chargingSchedule),
    ])
}

/// OCPP 1.6 §7.2/§7.23 IdTagInfo.
public struct IdTagInfo: Codable, Sendable, Equatable, JSONValueDecodable {
    public var status: AuthorizationStatus
    public var expiryDate: Date?
    public var parentIdTag: String?

    public init(status: AuthorizationStatus, expiryDate: Date? = nil, parentIdTag: String? = nil) {
        self.status = status; self.expiryDate = expiryDate; self.parentIdTag = parentIdTag
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.value("status", AuthorizationStatus.self); expiryDate = try f.optionalDate("expiryDate"); parentIdTag = try f.optionalString("parentIdTag")
    }
}

/// OCPP 1.6 §7.45 SampledValue.
public struct SampledValue: Codable, Sendable, Equatable, JSONValueDecodable {
    public var value: String
    public var context: String?
    public var format: String?
    public var measurand: String?
    public var phase: String?
    public var location: String?
    public var unit: String?

    public init(value: String, context: String? = nil, format: String? = nil, measurand: String? = nil, phase: String? = nil,
                location: String? = nil, unit: String? = nil) {
        self.value = value; self.context = context; self.format = format; self.measurand = measurand; self.phase = phase
        self.location = location; self.unit = unit
    }

    public init(json: JSONValue) throws(OCPPError) {
        // Through the memberwise initializer: the arguments are read left to right, so the first failing field in
        // declaration order still throws.
        let f = try JSONFields(json)
        self.init(value: try f.string("value"), context: try f.optionalString("context"), format: try f.optionalString("format"),
                  measurand: try f.optionalString("measurand"), phase: try f.optionalString("phase"),
                  location: try f.optionalString("location"), unit: try f.optionalString("unit"))
    }
}

/// OCPP 1.6 §7.33 MeterValue.
public struct MeterValue: Codable, Sendable, Equatable, JSONValueDecodable {
    public var timestamp: Date
    public var sampledValue: [SampledValue]

    public init(timestamp: Date, sampledValue: [SampledValue]) { self.timestamp = timestamp; self.sampledValue = sampledValue }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        self.init(timestamp: try f.date("timestamp"), sampledValue: try f.array("sampledValue", of: SampledValue.self))
    }
}

/// OCPP 1.6 §7.8 ChargingSchedulePeriod.
public struct ChargingSchedulePeriod: Codable, Sendable, Equatable, JSONValueDecodable {
    public var startPeriod: Int
    public var limit: Double
    public var numberPhases: Int?

    public init(startPeriod: Int, limit: Double, numberPhases: Int? = nil) {
        self.startPeriod = startPeriod; self.limit = limit; self.numberPhases = numberPhases
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        startPeriod = try f.int("startPeriod"); limit = try f.double("limit"); numberPhases = try f.optionalInt("numberPhases")
    }
}

/// OCPP 1.6 §7.7 ChargingSchedule.
public struct ChargingSchedule: Codable, Sendable, Equatable, JSONValueDecodable {
    public var duration: Int?
    public var startSchedule: Date?
    public var chargingRateUnit: String
    public var chargingSchedulePeriod: [ChargingSchedulePeriod]
    public var minChargingRate: Double?

    public init(duration: Int? = nil, startSchedule: Date? = nil, chargingRateUnit: String, chargingSchedulePeriod: [ChargingSchedulePeriod],
                minChargingRate: Double? = nil) {
        self.duration = duration; self.startSchedule = startSchedule; self.chargingRateUnit = chargingRateUnit
        self.chargingSchedulePeriod = chargingSchedulePeriod; self.minChargingRate = minChargingRate
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        duration = try f.optionalInt("duration"); startSchedule = try f.optionalDate("startSchedule")
        chargingRateUnit = try f.string("chargingRateUnit")
        chargingSchedulePeriod = try f.array("chargingSchedulePeriod", JSONElement.object(ChargingSchedulePeriod.self))
        minChargingRate = try f.optionalDouble("minChargingRate")
    }
}

/// OCPP 1.6 §7.4 ChargingProfile.
public struct ChargingProfile: Codable, Sendable, Equatable, JSONValueDecodable {
    public var chargingProfileId: Int
    public var transactionId: Int?
    public var stackLevel: Int
    public var chargingProfilePurpose: String
    public var chargingProfileKind: String
    public var recurrencyKind: String?
    public var validFrom: Date?
    public var validTo: Date?
    public var chargingSchedule: ChargingSchedule

    public init(chargingProfileId: Int, transactionId: Int? = nil, stackLevel: Int, chargingProfilePurpose: String, chargingProfileKind: String,
                recurrencyKind: String? = nil, validFrom: Date? = nil, validTo: Date? = nil, chargingSchedule: ChargingSchedule) {
        self.chargingProfileId = chargingProfileId; self.transactionId = transactionId; self.stackLevel = stackLevel
        self.chargingProfilePurpose = chargingProfilePurpose; self.chargingProfileKind = chargingProfileKind
        self.recurrencyKind = recurrencyKind; self.validFrom = validFrom; self.validTo = validTo; self.chargingSchedule = chargingSchedule
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        chargingProfileId = try f.int("chargingProfileId"); transactionId = try f.optionalInt("transactionId")
        stackLevel = try f.int("stackLevel"); chargingProfilePurpose = try f.string("chargingProfilePurpose")
        chargingProfileKind = try f.string("chargingProfileKind"); recurrencyKind = try f.optionalString("recurrencyKind")
        validFrom = try f.optionalDate("validFrom"); validTo = try f.optionalDate("validTo")
        chargingSchedule = try f.object("chargingSchedule", ChargingSchedule.self)
    }
}

/// An empty payload `{}`.
public struct EmptyPayload: OCPPPayload {
    public static let schema = Schema.object([])
    public init() {}
    public init(json: JSONValue) throws(OCPPError) { _ = try JSONFields(json) }
}

/// OCPP 1.6 §7.22 KeyValue (GetConfiguration.conf).
public struct KeyValue: Codable, Sendable, Equatable, JSONValueDecodable {
    public static let schema = Schema.object([req("key", .ci(50)), req("readonly", .boolean), opt("value", .ci(500))])
    public static let schemaArray = Schema.array(schema)

    public var key: String
    public var readonly: Bool
    public var value: String?

    public init(key: String, readonly: Bool, value: String? = nil) { self.key = key; self.readonly = readonly; self.value = value }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        key = try f.string("key"); readonly = try f.bool("readonly"); value = try f.optionalString("value")
    }
}

/// OCPP 1.6 §7.3 AuthorizationData (SendLocalList.req).
public struct AuthorizationData: Codable, Sendable, Equatable, JSONValueDecodable {
    public static let schema = Schema.object([req("idTag", .ci(20)), opt("idTagInfo", OCPPTypes.idTagInfo)])
    public static let schemaArray = Schema.array(schema)

    public var idTag: String
    public var idTagInfo: IdTagInfo?

    public init(idTag: String, idTagInfo: IdTagInfo? = nil) { self.idTag = idTag; self.idTagInfo = idTagInfo }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        idTag = try f.string("idTag"); idTagInfo = try f.optionalObject("idTagInfo", IdTagInfo.self)
    }
}

/// The response of the actions that answer only `status` Accepted or Rejected (ClearCache, RemoteStartTransaction,
/// RemoteStopTransaction, Reset, CancelReservation).
public struct AcceptedRejectedResponse: OCPPPayload {
    public static let schema = Schema.object([req("status", AcceptedRejected.schema)])

    public var status: AcceptedRejected

    public init(status: AcceptedRejected) { self.status = status }

    public init(json: JSONValue) throws(OCPPError) {
        status = try JSONFields(json).value("status", AcceptedRejected.self)
    }
}
