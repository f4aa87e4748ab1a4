import Authorization
import EVSECore
import Parameters

private typealias K = StationParameters

/// The Technagon controller's authentication settings and configuration keys (seeds/002 §1.7 "User Management →
/// Authentication", §2.3 "Konfiguration"; issue 29 item 7).
///
/// The three Technagon modes are not a code path of their own: `AuthenticationMode` is a preset over the parameters
/// that make them (choosing a mode sets them; the page shows the mode they amount to, or Custom). "no RFID" is the
/// Plug&Charge mode of §2.3 (`/hw/auth/device/Dummy/enabled`): a vehicle plugged in is authorized with the dummy RFID,
/// which the backend authorizes at every charge (§1.7: "Diese wird dann bei jedem Ladevorgang vom Backend
/// autorisiert"); `/hw/auth/device/Dummy/allowStop` lets anyone end such a charge at the station.
extension StationParameters {
    public static let authenticationMode = "AuthenticationMode"
    public static let dummyRfidEnabled = "DummyRfidEnabled"
    public static let dummyRfidTag = "DummyRfidTag"
    public static let dummyAllowStop = "DummyAllowStop"
    public static let stopTxOnReset = "StopTxOnReset"
}

extension ParameterKey {
    public static var authenticationMode: ParameterKey<AuthenticationMode> { .init(K.authenticationMode, .choice) }
    public static var dummyRfidEnabled: ParameterKey<Bool> { .init(K.dummyRfidEnabled, .bool) }
    public static var dummyRfidTag: ParameterKey<String> { .init(K.dummyRfidTag, .text) }
    public static var dummyAllowStop: ParameterKey<Bool> { .init(K.dummyAllowStop, .bool) }
    public static var stopTxOnReset: ParameterKey<Bool> { .init(K.stopTxOnReset, .bool) }
}

/// The Technagon authentication modes, "User needs to provide" (seeds/002 §1.7), as stored spellings.
public enum AuthenticationMode: String, ParameterChoice {
    /// "any unknown RFID or a whitelisted RFID": online the backend decides; offline every card is accepted.
    case anyUnknownOrWhitelistedRFID = "AnyUnknownOrWhitelistedRFID"
    /// "no RFID": charging without a card; the dummy RFID goes to the backend at every charge.
    case noRFID = "NoRFID"
    /// "a whitelisted RFID" (the Technagon factory setting): the card is looked up in the whitelist, then the backend;
    /// unknown cards are refused offline.
    case whitelistedRFID = "WhitelistedRFID"
    /// The parameters below match none of the modes.
    case custom = "Custom"
}

extension StationParameters {
    /// What each mode sets (seeds/002 §1.7). Free charging is off in all three: the mode says what the user must
    /// present, and free charging would override it.
    static let authenticationModes: [String: [String: ParameterValue]] = [
        AuthenticationMode.anyUnknownOrWhitelistedRFID.rawValue: [
            freeCharging: .bool(false), dummyRfidEnabled: .bool(false), allowOfflineTxForUnknownId: .bool(true),
        ],
        AuthenticationMode.noRFID.rawValue: [freeCharging: .bool(false), dummyRfidEnabled: .bool(true)],
        AuthenticationMode.whitelistedRFID.rawValue: [
            freeCharging: .bool(false), dummyRfidEnabled: .bool(false), allowOfflineTxForUnknownId: .bool(false),
            ifInDoubtAllowCharging: .string(IfInDoubtAllowCharging.off.rawValue),
        ],
    ]

    /// The authentication mode and Plug&Charge settings: first on the Authorization page, as on the Technagon's.
    static let authenticationDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .authenticationMode, label: "User needs to provide",
            type: .choice([AuthenticationMode.anyUnknownOrWhitelistedRFID: "any unknown RFID or a whitelisted RFID",
                           .noRFID: "no RFID", .whitelistedRFID: "a whitelisted RFID",
                           .custom: "Custom (the settings match no mode)"]),
            defaultValue: .choice(AuthenticationMode.whitelistedRFID), role: .operator, menu: .authorization, section: "Authentication",
            fills: authenticationModes,
            help: "A preset of the Technagon authentication modes: choosing one sets the settings it stands for, and the field shows the mode the current settings amount to (Custom when they match none). any unknown RFID or a whitelisted RFID: online the backend decides, offline every card is accepted (Allow offline transactions for unknown IDs On). no RFID: charging starts without a card; the dummy RFID below is sent to the backend in an Authorize at every charge, so the backend must accept it (Plug&Charge mode On). a whitelisted RFID: the card is looked up in the whitelist, then the backend; unknown cards are refused offline (Allow offline transactions for unknown IDs and If in doubt allow charging Off). Every mode switches Free Charging Off.",
            seeAlso: "seeds/002 §1.7 Authentication").shownFromFilledValues(),
        ParameterDefinition(
            key: .dummyRfidEnabled, label: "Plug&Charge mode (Online free charge)", type: .bool, defaultValue: .bool(false),
            role: .operator, menu: .authorization, section: "Authentication",
            help: "On: a vehicle plugged in is authorized with the dummy RFID as if its card had been presented: online it is sent to the backend in an Authorize every time (the backend must accept it), offline the lists and the offline rules decide. Free Charging, when On, comes first. OCPP key /hw/auth/device/Dummy/enabled.",
            seeAlso: "seeds/002 §1.7 no RFID, §2.3 /hw/auth/device/Dummy/enabled"),
        ParameterDefinition(
            key: .dummyRfidTag, label: "Dummy RFID tag", type: .string(length: 1...20, allowed: nil), defaultValue: .string("DUMMY"),
            role: .operator, menu: .authorization, section: "Authentication", visibleWhen: .when(.dummyRfidEnabled, is: true),
            help: "The idTag of Plug&Charge mode: sent in Authorize and carried by the transactions. Enable it in the backend. OCPP key /hw/auth/device/Dummy/id/value.",
            seeAlso: "seeds/002 §1.7 (Reader), §2.3 /hw/auth/device/Dummy/id/value"),
        ParameterDefinition(
            key: .dummyAllowStop, label: "End charging by button press in Plug&Charge mode", type: .bool, defaultValue: .bool(false),
            role: .operator, menu: .authorization, section: "Authentication", visibleWhen: .when(.dummyRfidEnabled, is: true),
            help: "On: the station's button (the authorization input, INPUT_AUTH) ends a charge started with the dummy RFID — then everyone can end it and unplug the cable. Off: it ends when the vehicle ends it or is unplugged at the vehicle, or by a remote stop. Cards never end it. OCPP key /hw/auth/device/Dummy/allowStop.",
            seeAlso: "seeds/002 §2.3 /hw/auth/device/Dummy/allowStop"),
    ]

    /// seeds/002 §2.3 StopTxOnReset, among the backend's OCPP keys.
    static let resetDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .stopTxOnReset, label: "Stop transactions on reset", type: .bool, defaultValue: .bool(true),
            role: .operator, menu: .backend, section: "OCPP keys",
            help: "On (OCPP 1.6 compliance): a Reset from the backend stops the running transactions (reason SoftReset/HardReset) before the station services restart. Off: they go on; after the restart a transaction whose vehicle is still connected continues when Restart transaction after power loss is On, otherwise it is closed (reason Reboot). OCPP keys StopTxOnReset and /ocpp/stopTransactionsOnReset.",
            seeAlso: "seeds/002 §2.3 StopTxOnReset, /ocpp/stopTransactionsOnReset; OCPP 1.6 §5.14, errata 3.36"),
    ]
}
