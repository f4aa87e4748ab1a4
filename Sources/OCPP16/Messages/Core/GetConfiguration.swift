#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// GetConfiguration.req (CS→CP), feature profile Core.
///
/// - SeeAlso: OCPP 1.6 §5.8.
public struct GetConfigurationRequest: OCPPRequest {
    public static let action = "GetConfiguration"
    public typealias Response = GetConfigurationResponse
    public static let schema = Schema.object([
        opt("key", .array(.ci(50))),
    ])

    public var key: [String]?

    public init(key: [String]? = nil) {
        self.key = key
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        key = try f.optionalArray("key", JSONElement.string)
    }
}

/// GetConfiguration.conf (CS→CP).
///
/// - SeeAlso: OCPP 1.6 §5.8.
public struct GetConfigurationResponse: OCPPPayload {
    public static let schema = Schema.object([
        opt("configurationKey", KeyValue.schemaArray),
        opt("unknownKey", .array(.ci(50))),
    ])

    public var configurationKey: [KeyValue]?
    public var unknownKey: [String]?

    public init(configurationKey: [KeyValue]? = nil, unknownKey: [String]? = nil) {
        self.configurationKey = configurationKey
        self.unknownKey = unknownKey
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        configurationKey = try f.optionalArray("configurationKey", JSONElement.object(KeyValue.self))
        unknownKey = try f.optionalArray("unknownKey", JSONElement.string)
    }
}
