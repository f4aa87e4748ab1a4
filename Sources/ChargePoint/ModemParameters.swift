import HostConfig
import Parameters

private typealias K = StationParameters

extension MobileSettings.ConnectionType: ParameterChoice {}
extension MobileSettings.Authentication: ParameterChoice {}
extension MobileSettings.NetworkSelection: ParameterChoice {}
extension MobileSettings.AccessTechnology: ParameterChoice {}

/// The mobile connection (menu Network, section "Mobile"; issue 24 item 3): seeds/004 §1.3 "Connection Type" (LAN or
/// GSM), "Access Point Name (APN)", "APN Username", "APN Password", "Simcard PIN Number", "Network selection mode",
/// "Requested Network operator", "Modem Access Technology"; seeds/002 §1.4 "Authentication Method"; and the threshold of
/// seeds/002 §3 WeakSignal. They take effect at once: the modem service reads them on every poll.
extension StationParameters {
    public static let connectionType = "ConnectionType"
    public static let mobileAPN = "MobileAPN"
    public static let mobileAPNUser = "MobileAPNUser"
    public static let mobileAPNPassword = "MobileAPNPassword"
    public static let mobileSIMPIN = "MobileSIMPIN"
    public static let mobileAuthentication = "MobileAuthentication"
    public static let mobileNetworkSelection = "MobileNetworkSelection"
    public static let mobileRequestedOperator = "MobileRequestedOperator"
    public static let mobileAccessTechnology = "MobileAccessTechnology"
    public static let weakSignalThreshold = "WeakSignalThreshold"

    static let mobileSection = "Mobile"
    /// APN names are DNS-like labels (3GPP TS 23.003 §9.1): letters, digits, hyphens and dots.
    static let apnCharacters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-"

    /// The PIN's and the operator id's formats (``ParameterRules/textChecks``).
    static let mobileTextChecks: [String: @Sendable (String) -> String?] = [
        mobileSIMPIN: { MobileSettings.isValidPIN($0) ? nil : "a PIN has 4 to 8 digits (or leave it empty when the SIM needs none)" },
        mobileRequestedOperator: { MobileSettings.isValidOperatorID($0) ? nil : "an operator is its MCC and MNC: 5 or 6 digits, e.g. 26201" },
    ]

    static let mobileDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .connectionType, label: "Connection Type",
            type: .choice([MobileSettings.ConnectionType.lan: "LAN", .gsm: "GSM (mobile network)"]),
            defaultValue: .choice(MobileSettings.ConnectionType.lan), role: .installer, menu: .network, section: mobileSection,
            help: "How the station reaches its backend: over the LAN, or through the built-in modem (which ModemManager drives). The LAN may be connected at the same time.",
            seeAlso: "seeds/004 §1.3 Connection Type"),
        ParameterDefinition(
            key: .mobileAPN, label: "Access Point Name (APN)", type: .string(length: 0...100, allowed: apnCharacters),
            defaultValue: .string(""), role: .installer, menu: .network, section: mobileSection,
            help: "The APN of the mobile network, from the SIM's provider or the backend provider (e.g. m2m.services).",
            seeAlso: "seeds/004 §1.3 Access Point Name (APN)"),
        ParameterDefinition(
            key: .mobileAPNUser, label: "APN Username", type: .string(length: 0...64, allowed: nil),
            defaultValue: .string(""), role: .installer, menu: .network, section: mobileSection,
            help: "The user name for the APN, if the provider gives one.", seeAlso: "seeds/004 §1.3 APN Username"),
        ParameterDefinition(
            key: .mobileAPNPassword, label: "APN Password", type: .string(length: 0...64, allowed: nil),
            defaultValue: .string(""), role: .installer, menu: .network, section: mobileSection, secret: true,
            help: "The password for the APN, if the provider gives one.", seeAlso: "seeds/004 §1.3 APN Password"),
        ParameterDefinition(
            key: .mobileSIMPIN, label: "SIM PIN", type: .string(length: 0...8, allowed: "0123456789"),
            defaultValue: .string(""), role: .installer, menu: .network, section: mobileSection, secret: true,
            help: "The SIM card's PIN, if it asks for one. A wrong PIN is tried once and not again (a SIM locks after three); the station never spends the last attempt.",
            seeAlso: "seeds/004 §1.3 Simcard PIN Number"),
        ParameterDefinition(
            key: .mobileAuthentication, label: "Authentication Method",
            type: .choice([MobileSettings.Authentication.automatic: "Automatic", .none: "None", .pap: "PAP", .chap: "CHAP"]),
            defaultValue: .choice(MobileSettings.Authentication.automatic), role: .installer, menu: .network, section: mobileSection,
            help: "How the APN user and password are sent; Automatic lets the modem choose.", seeAlso: "seeds/002 §1.4 Authentication Method"),
        ParameterDefinition(
            key: .mobileNetworkSelection, label: "Network selection mode",
            type: .choice([MobileSettings.NetworkSelection.automatic: "Auto", .manual: "Manual", .manualThenAutomatic: "Manual/Auto"]),
            defaultValue: .choice(MobileSettings.NetworkSelection.automatic), role: .installer, menu: .network, section: mobileSection,
            help: "Auto: the modem chooses the operator. Manual: the requested operator is used. Manual/Auto: automatic selection follows when the requested operator fails.",
            seeAlso: "seeds/004 §1.3 Network selection mode"),
        ParameterDefinition(
            key: .mobileRequestedOperator, label: "Requested Network operator", type: .string(length: 0...6, allowed: "0123456789"),
            defaultValue: .string(""), role: .installer, menu: .network, section: mobileSection,
            help: "The operator for the manual modes, as MCC and MNC (e.g. 26201); the Mobile status shows the operator in use.",
            seeAlso: "seeds/004 §1.3 Requested Network operator"),
        ParameterDefinition(
            key: .mobileAccessTechnology, label: "Modem Access Technology",
            type: .choice([MobileSettings.AccessTechnology.automatic: "Auto", .g2: "2G (GSM)", .g3: "3G (UTRAN)", .g4: "4G (LTE)"]),
            defaultValue: .choice(MobileSettings.AccessTechnology.automatic), role: .installer, menu: .network, section: mobileSection,
            help: "The technology the modem uses; in Auto the modem chooses.", seeAlso: "seeds/004 §1.3 Modem Access Technology"),
        ParameterDefinition(
            key: .weakSignalThreshold, label: "Weak signal threshold [%]", type: .integer(0...100, unit: "%"), defaultValue: .integer(20),
            role: .installer, menu: .network, section: mobileSection,
            help: "WeakSignal is raised when the mobile signal stays below this quality for a minute, and cleared 5 points above it (0: never).",
            seeAlso: "seeds/002 §3 WeakSignal"),
    ]
}

extension ParameterKey {
    public static var connectionType: ParameterKey<MobileSettings.ConnectionType> { .init(K.connectionType, .choice) }
    public static var mobileAPN: ParameterKey<String> { .init(K.mobileAPN, .text) }
    public static var mobileAPNUser: ParameterKey<String> { .init(K.mobileAPNUser, .text) }
    public static var mobileAPNPassword: ParameterKey<String> { .init(K.mobileAPNPassword, .text) }
    public static var mobileSIMPIN: ParameterKey<String> { .init(K.mobileSIMPIN, .text) }
    public static var mobileAuthentication: ParameterKey<MobileSettings.Authentication> { .init(K.mobileAuthentication, .choice) }
    public static var mobileNetworkSelection: ParameterKey<MobileSettings.NetworkSelection> { .init(K.mobileNetworkSelection, .choice) }
    public static var mobileRequestedOperator: ParameterKey<String> { .init(K.mobileRequestedOperator, .text) }
    public static var mobileAccessTechnology: ParameterKey<MobileSettings.AccessTechnology> { .init(K.mobileAccessTechnology, .choice) }
    public static var weakSignalThreshold: ParameterKey<Int> { .init(K.weakSignalThreshold, .integer) }
}

extension MobileSettings {
    public init(_ p: ParameterSet) {
        self.init(connectionType: p[.connectionType], apn: p[.mobileAPN], user: p[.mobileAPNUser], password: p[.mobileAPNPassword],
                  pin: p[.mobileSIMPIN], authentication: p[.mobileAuthentication], networkSelection: p[.mobileNetworkSelection],
                  requestedOperator: p[.mobileRequestedOperator], accessTechnology: p[.mobileAccessTechnology],
                  weakSignalThresholdPercent: p[.weakSignalThreshold])
    }
}
