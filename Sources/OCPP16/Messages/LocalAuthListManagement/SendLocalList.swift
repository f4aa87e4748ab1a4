#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// SendLocalList.req (CS→CP), feature profile LocalAuthListManagement.
///
/// - SeeAlso: OCPP 1.6 §5.15.
public struct SendLocalListRequest: OCPPRequest {
    public static let action = "SendLocalList"
    public typealias Response = SendLocalListResponse
    public static let schema = Schema.object([
        req("listVersion", .integer()),
        opt("localAuthorizationList", AuthorizationData.schemaArray),
        req("updateType", .enumeration(["Differential", "Full"])),
    ])

    public var listVersion: Int
    public var localAuthorizationList: [AuthorizationData]?
    public var updateType: String

    public init(listVersion: Int, localAuthorizationList: [AuthorizationData]? = nil, updateType: String) {
        self.listVersion = listVersion
        self.localAuthorizationList = localAuthorizationList
        self.updateType = updateType
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        listVersion = try f.int("listVersion")
        localAuthorizationList = try f.optionalArray("localAuthorizationList", JSONElement.object(AuthorizationData.self))
        updateType = try f.string("updateType")
    }
}

/// SendLocalList.conf (CS→CP).
///
/// - SeeAlso: OCPP 1.6 §5.15.
public struct SendLocalListResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", .enumeration(["Accepted", "Failed", "NotSupported", "VersionMismatch"])),
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
