#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// MeterValues.req (CP→CS), feature profile Core.
///
/// - SeeAlso: OCPP 1.6 §4.7.
public struct MeterValuesRequest: OCPPRequest {
    public static let action = "MeterValues"
    public typealias Response = MeterValuesResponse
    public static let schema = Schema.object([
        req("connectorId", .integer(minimum: 0)),
        opt("transactionId", .integer()),
        req("meterValue", .array(OCPPTypes.meterValue, minItems: 1)),
    ])

    public var connectorId: Int
    public var transactionId: Int?
    public var meterValue: [MeterValue]

    public init(connectorId: Int, transactionId: Int? = nil, meterValue: [MeterValue]) {
        self.connectorId = connectorId
        self.transactionId = transactionId
        self.meterValue = meterValue
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        self.init(connectorId: try f.int("connectorId"), transactionId: try f.optionalInt("transactionId"),
                  meterValue: try f.array("meterValue", of: MeterValue.self))
    }
}

/// MeterValues.conf (CP→CS).
///
/// - SeeAlso: OCPP 1.6 §4.7.
public struct MeterValuesResponse: OCPPPayload {
    public static let schema = Schema.object([])

    public init() {
    }

    public init(json: JSONValue) throws(OCPPError) {
        _ = try JSONFields(json)
    }
}
