#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reset.req (CS→CP), feature profile Core.
///
/// - SeeAlso: OCPP 1.6 §5.14.
public struct ResetRequest: OCPPRequest {
    public static let action = "Reset"
    public typealias Response = ResetResponse
    public static let schema = Schema.object([
        req("type", ResetType.schema),
    ])

    public var type: ResetType

    public init(type: ResetType) {
        self.type = type
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        type = try f.value("type", ResetType.self)
    }
}

/// Reset.conf (CS→CP): a status Accepted or Rejected.
///
/// - SeeAlso: OCPP 1.6 §5.14.
public typealias ResetResponse = AcceptedRejectedResponse
