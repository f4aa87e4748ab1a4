#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// ChangeConfiguration.req (CS→CP), feature profile Core.
///
/// - SeeAlso: OCPP 1.6 §5.3.
public struct ChangeConfigurationRequest: OCPPRequest {
    public static let action = "ChangeConfiguration"
    public typealias Response = ChangeConfigurationResponse
    public static let schema = Schema.object([
        req("key", .ci(50)),
        req("value", .ci(500)),
    ])

    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        key = try f.string("key")
        value = try f.string("value")
    }
}

/// ChangeConfiguration.conf (CS→CP).
///
/// - SeeAlso: OCPP 1.6 §5.3.
public struct ChangeConfigurationResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", ConfigurationStatus.schema),
    ])

    public var status: ConfigurationStatus

    public init(status: ConfigurationStatus) {
        self.status = status
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.value("status", ConfigurationStatus.self)
    }
}
