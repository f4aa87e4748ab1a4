#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// StartTransaction.req (CP→CS), feature profile Core.
///
/// - SeeAlso: OCPP 1.6 §4.8.
public struct StartTransactionRequest: OCPPRequest {
    public static let action = "StartTransaction"
    public typealias Response = StartTransactionResponse
    public static let schema = Schema.object([
        req("connectorId", .integer(minimum: 1)),
        req("idTag", .ci(20)),
        req("meterStart", .integer()),
        opt("reservationId", .integer()),
        req("timestamp", .dateTime),
    ])

    public var connectorId: Int
    public var idTag: String
    public var meterStart: Int
    public var reservationId: Int?
    public var timestamp: Date

    public init(connectorId: Int, idTag: String, meterStart: Int, reservationId: Int? = nil, timestamp: Date) {
        self.connectorId = connectorId
        self.idTag = idTag
        self.meterStart = meterStart
        self.reservationId = reservationId
        self.timestamp = timestamp
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        connectorId = try f.int("connectorId")
        idTag = try f.string("idTag")
        meterStart = try f.int("meterStart")
        reservationId = try f.optionalInt("reservationId")
        timestamp = try f.date("timestamp")
    }
}

/// StartTransaction.conf (CP→CS).
///
/// - SeeAlso: OCPP 1.6 §4.8.
public struct StartTransactionResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("idTagInfo", OCPPTypes.idTagInfo),
        req("transactionId", .integer()),
    ])

    public var idTagInfo: IdTagInfo
    public var transactionId: Int

    public init(idTagInfo: IdTagInfo, transactionId: Int) {
        self.idTagInfo = idTagInfo
        self.transactionId = transactionId
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        idTagInfo = try f.object("idTagInfo", IdTagInfo.self)
        transactionId = try f.int("transactionId")
    }
}
