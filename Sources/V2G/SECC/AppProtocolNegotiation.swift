/// The protocols a charger's SECC can speak after the handshake, each by the namespace and major version the vehicle
/// names in its supportedAppProtocolReq.
///
/// - SeeAlso: ISO 15118-2:2014 §8.2 (the handshake, V2G_CI_AppProtocol.xsd) and Table 105 ("urn:iso:15118:2:2013:MsgDef",
///   major version 2); DIN SPEC 70121:2014-12 §8.2 ("urn:din:70121:2012:MsgDef", major 2; DC charging only);
///   ISO 15118-20:2022 §8.1 (one namespace per energy service, "urn:iso:std:iso:15118:-20:AC", major 1).
public enum V2GProtocol: String, Sendable, CaseIterable, Equatable {
    case din70121
    case iso15118_2
    case iso15118_20AC

    public var namespace: String {
        switch self {
        case .din70121: "urn:din:70121:2012:MsgDef"
        case .iso15118_2: "urn:iso:15118:2:2013:MsgDef"
        case .iso15118_20AC: "urn:iso:std:iso:15118:-20:AC"
        }
    }

    /// The major version this implementation speaks; a vehicle's other minor version is a "minor deviation".
    public var majorVersion: UInt32 { self == .iso15118_20AC ? 1 : 2 }
    public var minorVersion: UInt32 { 0 }

    /// Whether the protocol can charge through an AC connector: DIN SPEC 70121 knows only DC energy transfer (its
    /// EVSESupportedEnergyTransferType lists DC_core … DC_unique), so an AC station must not choose it.
    public var chargesAC: Bool { self != .din70121 }
}

/// One entry of the vehicle's supportedAppProtocolReq (ISO 15118-2:2014 §8.2.1, AppProtocolType: at most 20 entries,
/// Priority 1 … 20 with 1 the vehicle's first choice).
public struct OfferedAppProtocol: Sendable, Equatable {
    public var namespace: String
    public var majorVersion: UInt32
    public var minorVersion: UInt32
    public var schemaID: UInt8
    public var priority: UInt8

    public init(namespace: String, majorVersion: UInt32, minorVersion: UInt32, schemaID: UInt8, priority: UInt8) {
        self.namespace = namespace; self.majorVersion = majorVersion; self.minorVersion = minorVersion
        self.schemaID = schemaID; self.priority = priority
    }
}

/// supportedAppProtocolRes's ResponseCode (V2G_CI_AppProtocol.xsd, responseCodeType).
public enum AppProtocolResponseCode: String, Sendable, Equatable {
    case successfulNegotiation = "OK_SuccessfulNegotiation"
    case successfulNegotiationWithMinorDeviation = "OK_SuccessfulNegotiationWithMinorDeviation"
    case noNegotiation = "Failed_NoNegotiation"
}

/// The SECC's answer to the handshake, and the protocol the session goes on with (nil: the session ends, and the
/// vehicle charges by the pilot's PWM alone where the station allows it).
public struct AppProtocolDecision: Sendable, Equatable {
    public var responseCode: AppProtocolResponseCode
    /// The chosen entry's SchemaID, echoed in the response (absent on Failed_NoNegotiation).
    public var schemaID: UInt8?
    public var selected: V2GProtocol?
}

/// The protocol handshake's decision, pure.
///
/// The SECC takes the vehicle's entries in the order of their Priority (1 first) and chooses the first it supports with
/// the same major version: the same minor version is OK_SuccessfulNegotiation, another one
/// OK_SuccessfulNegotiationWithMinorDeviation; none is Failed_NoNegotiation (ISO 15118-2:2014 §8.2.1; the same rule
/// in DIN SPEC 70121 §8.2 and ISO 15118-20 §8.1). Two entries with one priority break the schema's intent; the earlier in the request wins, so the
/// answer never depends on anything but the request.
public enum AppProtocolNegotiation {
    public static func decide(_ offered: [OfferedAppProtocol], supported: [V2GProtocol]) -> AppProtocolDecision {
        let ranked = offered.enumerated().sorted { a, b in
            a.element.priority != b.element.priority ? a.element.priority < b.element.priority : a.offset < b.offset
        }
        for (_, entry) in ranked {
            guard let p = supported.first(where: { $0.namespace == entry.namespace && $0.majorVersion == entry.majorVersion })
            else { continue }
            let code: AppProtocolResponseCode = entry.minorVersion == p.minorVersion ? .successfulNegotiation : .successfulNegotiationWithMinorDeviation
            return AppProtocolDecision(responseCode: code, schemaID: entry.schemaID, selected: p)
        }
        return AppProtocolDecision(responseCode: .noNegotiation, schemaID: nil, selected: nil)
    }

    /// What an AC station offers: ISO 15118-20 AC and ISO 15118-2, never DIN SPEC 70121 (DC only).
    public static let acStation: [V2GProtocol] = V2GProtocol.allCases.filter(\.chargesAC)
}
