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

/// ClearCache.conf (CS→CP).
///
/// - SeeAlso: OCPP 1.6 §5.4.
public struct ClearCacheResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", .enumeration(["Accepted", "Rejected"])),
    ])

    public var status: String

    public init(status: String) {
        self.status = status
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.string("status")
    }
}
