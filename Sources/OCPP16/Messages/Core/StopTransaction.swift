#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// StopTransaction.req (CP→CS), feature profile Core.
///
/// - SeeAlso: OCPP 1.6 §4.10.
public struct StopTransactionRequest: OCPPRequest {
    public static let action = "StopTransaction"
    public typealias Response = StopTransactionResponse
    public static let schema = Schema.object([
        opt("idTag", .ci(20)),
        req("meterStop", .integer()),
        req("timestamp", .dateTime),
        req("transactionId", .integer()),
        opt("reason", .enumeration(StopTransactionRequest.reasons)),
        opt("transactionData", .array(OCPPTypes.meterValue)),
    ])

    /// OCPP 1.6 §7.41 Reason.
    public static let reasons = ["EmergencyStop", "EVDisconnected", "HardReset", "Local", "Other", "PowerLoss", "Reboot", "Remote",
                                 "SoftReset", "UnlockCommand", "DeAuthorized"]

    public var idTag: String?
    public var meterStop: Int
    public var timestamp: Date
    public var transactionId: Int
    public var reason: String?
    public var transactionData: [MeterValue]?

    public init(
        idTag: String? = nil,
        meterStop: Int,
        timestamp: Date,
        transactionId: Int,
        reason: String? = nil,
        transactionData: [MeterValue]? = nil
    ) {
        self.idTag = idTag
        self.meterStop = meterStop
        self.timestamp = timestamp
        self.transactionId = transactionId
        self.reason = reason
        self.transactionData = transactionData
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        idTag = try f.optionalString("idTag")
        meterStop = try f.int("meterStop")
        timestamp = try f.date("timestamp")
        transactionId = try f.int("transactionId")
        reason = try f.optionalString("reason")
        transactionData = try f.optionalArray("transactionData", JSONElement.object(MeterValue.self))
    }
}

/// StopTransaction.conf (CP→CS).
///
/// - SeeAlso: OCPP 1.6 §4.10.
public struct StopTransactionResponse: OCPPPayload {
    public static let schema = Schema.object([
        opt("idTagInfo", OCPPTypes.idTagInfo),
    ])

    public var idTagInfo: IdTagInfo?

    public init(idTagInfo: IdTagInfo? = nil) {
        self.idTagInfo = idTagInfo
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        idTagInfo = try f.optionalObject("idTagInfo", IdTagInfo.self)
    }
}
