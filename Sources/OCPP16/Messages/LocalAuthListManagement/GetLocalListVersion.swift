#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// GetLocalListVersion.req (CS→CP), feature profile LocalAuthListManagement.
///
/// - SeeAlso: OCPP 1.6 §5.10.
public struct GetLocalListVersionRequest: OCPPRequest {
    public static let action = "GetLocalListVersion"
    public typealias Response = GetLocalListVersionResponse
    public static let schema = Schema.object([])

    public init() {
    }

    public init(json: JSONValue) throws(OCPPError) {
        _ = try JSONFields(json)
    }
}

/// GetLocalListVersion.conf (CS→CP).
///
/// - SeeAlso: OCPP 1.6 §5.10.
public struct GetLocalListVersionResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("listVersion", .integer()),
    ])

    public var listVersion: Int

    public init(listVersion: Int) {
        self.listVersion = listVersion
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        listVersion = try f.int("listVersion")
    }
}
