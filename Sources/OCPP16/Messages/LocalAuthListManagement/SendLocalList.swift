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
        req("updateType", UpdateType.schema),
    ])

    public var listVersion: Int
    public var localAuthorizationList: [AuthorizationData]?
    public var updateType: UpdateType

    public init(listVersion: Int, localAuthorizationList: [AuthorizationData]? = nil, updateType: UpdateType) {
        self.listVersion = listVersion
        self.localAuthorizationList = localAuthorizationList
        self.updateType = updateType
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        listVersion = try f.int("listVersion")
        localAuthorizationList = try f.optionalArray("localAuthorizationList", JSONElement.object(AuthorizationData.self))
        updateType = try f.value("updateType", UpdateType.self)
    }
}

/// SendLocalList.conf (CS→CP).
///
/// - SeeAlso: OCPP 1.6 §5.15.
public struct SendLocalListResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", UpdateStatus.schema),
    ])

    public var status: UpdateStatus

    public init(status: UpdateStatus) {
        self.status = status
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.value("status", UpdateStatus.self)
    }
}
