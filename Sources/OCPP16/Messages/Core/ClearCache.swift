#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// ClearCache.req (CS→CP), feature profile Core.
///
/// - SeeAlso: OCPP 1.6 §5.4.
public struct ClearCacheRequest: OCPPRequest {
    public static let action = "ClearCache"
    public typealias Response = ClearCacheResponse
    public static let schema = Schema.object([])

    public init() {
    }

    public init(json: JSONValue) throws(OCPPError) {
        _ = try JSONFields(json)
    }
}

/// ClearCache.conf (CS→CP): a status Accepted or Rejected.
///
/// - SeeAlso: OCPP 1.6 §5.4.
public typealias ClearCacheResponse = AcceptedRejectedResponse
