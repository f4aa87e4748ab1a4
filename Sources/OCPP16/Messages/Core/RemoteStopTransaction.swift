#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// RemoteStopTransaction.req (CS→CP), feature profile Core.
///
/// - SeeAlso: OCPP 1.6 §5.12.
public struct RemoteStopTransactionRequest: OCPPRequest {
    public static let action = "RemoteStopTransaction"
    public typealias Response = RemoteStopTransactionResponse
    public static let schema = Schema.object([
        req("transactionId", .integer()),
    ])

    public var transactionId: Int

    public init(transactionId: Int) {
        self.transactionId = transactionId
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        transactionId = try f.int("transactionId")
    }
}

/// RemoteStopTransaction.conf (CS→CP): a status Accepted or Rejected.
///
/// - SeeAlso: OCPP 1.6 §5.12.
public typealias RemoteStopTransactionResponse = AcceptedRejectedResponse
