#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import Parameters
import SECC

private typealias K = StationParameters

/// The ISO 15118 modes of the charge controller: how the control pilot invites a vehicle to high level communication,
/// and whether Plug & Charge is offered.
///
/// - SeeAlso: seeds/004 §7.3 "ISO 15118 Configuratie" (Mode 1 Off … Mode 5 Ed2); seeds/000 "Plug & Charge (ISO 15118)
///   aktivieren" ("15118 Konfiguration": Aus … "Ein (mit PlugNCharge)").
public enum HLCMode: String, Sendable, Codable, CaseIterable {
    case off
    case encouragement
    case offer
    case force
    case ed2
    /// HLC as in Ed2 (the pilot never forces 5 %: the vehicle may begin at any time, as it must to authorize itself
    /// before a session exists), with the contract payment (Plug & Charge, ISO 15118-2 §8.4.3.4 PaymentOptionList
    /// `Contract`) offered besides the external one.
    case plugAndCharge

    /// The label of the seed.
    public var label: String {
        switch self {
        case .off: "Off"
        case .encouragement: "On (Encouragement)"
        case .offer: "On (Offer)"
        case .force: "On (Force)"
        case .ed2: "On (Ed2)"
        case .plugAndCharge: "On (with PlugNCharge)"
        }
    }

    /// How long the 5 % duty cycle is signaled at the start of a transaction in Encouragement mode.
    public static let encouragementDuration = Duration.seconds(2)
}

/// Authorization → "HLC 15118" (seeds/000 "Plug & Charge (ISO 15118) aktivieren"): the mode, the extra logging of
/// every V2G message, Autocharge and the prefix of the vehicle's identifier towards the backend. The Plug & Charge
/// certificate extension of OCPP 1.6 has its own file (ISO15118OCPPParameters.swift).
extension StationParameters {
    public static let hlcMode = "HLCMode"
    public static let hlcAdditionalLogging = "HLCAdditionalLogging"
    public static let autocharge = "Autocharge"
    public static let autochargeIdTagPrefix = "AutochargeIdTagPrefix"
    public static let hlcEVSEID = "HLCEVSEID"
    public static let hlcISO20WithoutTLS = "HLCISO20WithoutTLS"
    static let hlcSection = "HLC 15118"

    /// EVSEID of the ISO 15118 session (evseIDType, ISO 15118-2:2014 §8.4.3.2.3): empty, or 7 to 37 printable ASCII
    /// characters — a length the parameter's text type cannot say alone ("0 or 7…37").
    static let hlcEVSEIDLength = ParameterConstraint(keys: [hlcEVSEID]) { p in
        let n = p.registry.connectorCount
        for c in 1...max(1, n) {
            let id = p[.hlcEVSEID, connector: c]
            guard !id.isEmpty, !SECCConfiguration.isValidEVSEID(id) else { continue }
            return (allowed: "empty (\(SECCConfiguration.unknownEVSEID)) or 7 to 37 printable ASCII characters without spaces",
                    message: "EVSE ID (ISO 15118) of connector \(c) must be empty or 7 to 37 characters (ISO 15118-2 evseIDType, e.g. DE*ABC*E123456*1); \"\(id)\" has \(id.count)")
        }
        return nil
    }

    static let hlcDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .hlcMode, label: "15118 Configuration",
            type: .choice(HLCMode.allCases.map { Choice($0.rawValue, $0.label) }), defaultValue: .string(HLCMode.off.rawValue),
            role: .installer, menu: .authorization, section: hlcSection, restartRequired: false,
            help: "Off: no HLC. Encouragement: 5 % duty cycle for the first 2 seconds, then nominal (kept at 5 % when the vehicle answers with ISO 15118). Offer: nominal duty cycle only. Force: 5 % always. Ed2: nominal duty cycle, HLC may start at any time (ISO 15118 second edition). With PlugNCharge: as Ed2, and vehicles with a contract certificate authorize themselves (Plug & Charge).",
            seeAlso: "seeds/004 §7.3 ISO 15118 Configuratie; seeds/000 15118 Konfiguration"),
        ParameterDefinition(
            key: .hlcAdditionalLogging, label: "Additional Logging", type: .bool, defaultValue: .bool(false),
            role: .installer, menu: .authorization, section: hlcSection,
            help: "Write every ISO 15118 message to and from the vehicle, decoded, into the log (for commissioning and fault finding; certificates and signatures are shortened).",
            seeAlso: "seeds/000 Zusätzliche Protokollierung"),
        ParameterDefinition(
            key: .autocharge, label: "Autocharge", type: .bool, defaultValue: .bool(false),
            role: .operator, menu: .authorization, section: hlcSection,
            help: "The vehicle's identifier (EVCCID, the MAC address it sends over ISO 15118) authorizes like a card: through the local whitelist (add the car there as a MAC address, or in learning mode), the OCPP lists or the backend.",
            seeAlso: "seeds/000 Autocharge; Dein Auto hinzufügen"),
        ParameterDefinition(
            key: .autochargeIdTagPrefix, label: "Prefix for EVCCID or MAC Address for OCPP Authorization",
            type: .string(length: 0...VehicleIdentifier.maximumPrefixLength, allowed: prefixCharacters), defaultValue: .string(""),
            role: .operator, menu: .authorization, section: hlcSection,
            help: "Put before the vehicle's twelve hexadecimal digits in the idTag sent to the backend (e.g. VID: gives VID:001A2B3C4D5E), so that the backend tells vehicles from cards. At most 8 characters: an OCPP idTag has at most 20.",
            seeAlso: "seeds/000 Prefix für EVCCID oder MAC-Adresse für die OCPP Autorisierung"),
        ParameterDefinition(
            key: .hlcEVSEID, label: "EVSE ID (ISO 15118)", type: .string(length: 0...37, allowed: evseIDCharacters), defaultValue: .string(""),
            role: .installer, menu: .authorization, section: hlcSection,
            help: "The connector's EVSE ID that the vehicle gets in its ISO 15118 session (SessionSetupRes, ChargingStatusRes), as the operator registered it, e.g. DE*ABC*E123456*1: 7 to 37 characters. Empty: ZZ00000 (no ID).",
            seeAlso: "ISO 15118-2:2014 §8.4.3.2.3 EVSEID (evseIDType); DIN SPEC 91286"),
        ParameterDefinition(
            key: .hlcISO20WithoutTLS, label: "ISO 15118-20 without TLS", type: .bool, defaultValue: .bool(false),
            role: .installer, menu: .authorization, section: hlcSection,
            help: "Also speak ISO 15118-20 with vehicles that connect without TLS or over TLS 1.2. The standard allows -20 only over TLS 1.3; test vehicles and simulators often skip it. Off: such a vehicle is offered ISO 15118-2.",
            seeAlso: "ISO 15118-20:2022 §7.7.4 [V2G20-2356]"),
    ]

    /// Printable ASCII without the space (evseIDType is a string of 7 to 37 characters; operators' IDs use letters,
    /// digits, `*` and `-`).
    static let evseIDCharacters = String((0x21...0x7E).map { Character(UnicodeScalar(UInt8($0))) })

    /// Letters, digits and the punctuation backends use in idTags.
    static let prefixCharacters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:#*+"
}

extension ParameterKey {
    public static var hlcMode: ParameterKey<HLCMode> { .init(K.hlcMode, .choice) }
    public static var hlcAdditionalLogging: ParameterKey<Bool> { .init(K.hlcAdditionalLogging, .bool) }
    public static var autocharge: ParameterKey<Bool> { .init(K.autocharge, .bool) }
    public static var autochargeIdTagPrefix: ParameterKey<String> { .init(K.autochargeIdTagPrefix, .text) }
    public static var hlcISO20WithoutTLS: ParameterKey<Bool> { .init(K.hlcISO20WithoutTLS, .bool) }
}

extension ConnectorParameterKey {
    public static var hlcEVSEID: ConnectorParameterKey<String> { .init(K.hlcEVSEID, .text) }
}

/// The "HLC 15118" settings as the station runs with them.
public struct HLCSettings: Sendable, Equatable {
    public var mode: HLCMode = .off
    public var additionalLogging = false
    public var autocharge = false
    public var autochargeIdTagPrefix = ""
    /// Each connector's EVSE ID for ISO 15118 ("" = none, ``SECCConfiguration/unknownEVSEID``).
    public var evseIDs: [String] = []
    /// ISO 15118-20 also over plain TCP (``SECCConfiguration/iso20WithoutTLS``).
    public var iso20WithoutTLS = false

    public init() {}

    public init(_ p: ParameterSet) {
        mode = p[.hlcMode]
        additionalLogging = p[.hlcAdditionalLogging]
        autocharge = p[.autocharge]
        autochargeIdTagPrefix = p[.autochargeIdTagPrefix]
        evseIDs = (1...max(1, p.registry.connectorCount)).map { p[.hlcEVSEID, connector: $0] }
        iso20WithoutTLS = p[.hlcISO20WithoutTLS]
    }

    /// The EVSE ID connector `n` sends: the parameter, or ZZ00000 when it is empty.
    public func evseID(connector n: Int) -> String {
        let id = evseIDs.indices.contains(n - 1) ? evseIDs[n - 1] : ""
        return id.isEmpty ? SECCConfiguration.unknownEVSEID : id
    }
}
