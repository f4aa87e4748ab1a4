#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Authorize.req (CP→CS), feature profile Core.
///
/// - SeeAlso: OCPP 1.6 §4.1.
public struct AuthorizeRequest: OCPPRequest {
    public static let action = "Authorize"
    public typealias Response = AuthorizeResponse
    public static let schema = Schema.object([
        req("idTag", .ci(20)),
    ])

    public var idTag: String

    public init(idTag: String) {
        self.idTag = idTag
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        idTag = try f.string("idTag")
    }
}

/// Authorize.conf (CP→CS).
///
/// - SeeAlso: OCPP 1.6 §4.1.
public struct AuthorizeResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("idTagInfo", OCPPTypes.idTagInfo),
    ])

    public var idTagInfo: IdTagInfo

    public init(idTagInfo: IdTagInfo) {
        self.idTagInfo = idTagInfo
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        idTagInfo = try f.object("idTagInfo", IdTagInfo.self)
    }
}
