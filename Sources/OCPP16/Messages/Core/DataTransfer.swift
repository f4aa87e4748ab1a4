#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// DataTransfer.req (both), feature profile Core.
///
/// - SeeAlso: OCPP 1.6 §4.3, §5.6.
public struct DataTransferRequest: OCPPRequest {
    public static let action = "DataTransfer"
    public typealias Response = DataTransferResponse
    public static let schema = Schema.object([
        req("vendorId", .ci(255)),
        opt("messageId", .ci(50)),
        opt("data", .string()),
    ])

    public var vendorId: String
    public var messageId: String?
    public var data: String?

    public init(vendorId: String, messageId: String? = nil, data: String? = nil) {
        self.vendorId = vendorId
        self.messageId = messageId
        self.data = data
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        vendorId = try f.string("vendorId")
        messageId = try f.optionalString("messageId")
        data = try f.optionalString("data")
    }
}

/// DataTransfer.conf (both).
///
/// - SeeAlso: OCPP 1.6 §4.3, §5.6.
public struct DataTransferResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", DataTransferStatus.schema),
        opt("data", .string()),
    ])

    public var status: DataTransferStatus
    public var data: String?

    public init(status: DataTransferStatus, data: String? = nil) {
        self.status = status
        self.data = data
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.value("status", DataTransferStatus.self)
        data = try f.optionalString("data")
    }
}
