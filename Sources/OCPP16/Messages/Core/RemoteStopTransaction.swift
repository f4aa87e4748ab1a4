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
}

/// RemoteStopTransaction.conf (CS→CP).
///
/// - SeeAlso: OCPP 1.6 §5.12.
public struct RemoteStopTransactionResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", .enumeration(["Accepted", "Rejected"])),
    ])

    public var status: String

    public init(status: String) {
        self.status = status
    }
}
