#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore
import OCPP16
import Parameters

private typealias K = StationParameters

/// The backend (OCPP) parameters. Where OCPP 1.6 names a standard configuration key for a setting, the parameter
/// carries that name, so the registry stays the single source of truth for the web interface, the CLI and
/// GetConfiguration/ChangeConfiguration alike (see ``OCPPConfigurationKeys``).
///
/// - SeeAlso: seeds/004 §4 "BACKEND" (connection, OCPP, more settings), seeds/002 §1.5, OCPP 1.6 §9.1.
extension StationParameters {
    public static let ocppMode = "OCPPMode"
    public static let backendURL = "BackendURL"
    public static let websocketsProxy = "WebsocketsProxy"
    public static let webSocketPingInterval = "WebSocketPingInterval"
    public static let authorizationKey = "AuthorizationKey"
    public static let authorizationKeyEncoding = "AuthorizationKeyEncoding"
    public static let forceHeartbeat = "ForceHeartbeatRequestMessages"
    public static let sendInformativeStatusNotifications = "SendInformativeStatusNotifications"
    public static let sendErrorStatusNotifications = "SendErrorStatusNotifications"
    public static let sendUSBErrorStatusNotifications = "SendUSBErrorStatusNotifications"
    public static let statusNotificationStrategy = "StatusNotificationStrategy"
    public static let backendConnectionTimeout = "BackendConnectionTimeout"
    public static let sslStrictness = "SSLStrictnessAsClient"
    public static let tcpWatchdogTimeout = "TCPWatchdogTimeout"
    public static let heartbeatInterval = "HeartbeatInterval"
    public static let meterValueSampleInterval = "MeterValueSampleInterval"
    public static let meterValuesSampledData = "MeterValuesSampledData"
    public static let clockAlignedDataInterval = "ClockAlignedDataInterval"
    public static let meterValuesAlignedData = "MeterValuesAlignedData"
    public static let stopTxnSampledData = "StopTxnSampledData"
    public static let stopTxnAlignedData = "StopTxnAlignedData"
    public static let transactionMessageAttempts = "TransactionMessageAttempts"
    public static let transactionMessageRetryInterval = "TransactionMessageRetryInterval"
    public static let stopTransactionOnInvalidId = "StopTransactionOnInvalidId"
    public static let minimumStatusDuration = "MinimumStatusDuration"
    public static let resetRetries = "ResetRetries"
    public static let reservationsEnabled = "ReservationsEnabled"
    public static let reserveConnectorZeroSupported = "ReserveConnectorZeroSupported"
    public static let firmwareInstallCommand = "FirmwareInstallCommand"
    public static let operatorPreset = "OperatorPreset"
    public static let chargeBoxIdentityTemplate = "ChargeBoxIdentityTemplate"
    public static let preparingUntilStateC = "PreparingUntilStateC"
    public static let allowLongGetConfigurationKeys = "AllowLongGetConfigurationKeys"
    public static let timeSource = "TimeSource"
    public static let fileTransferTimeout = "FileTransferTimeout"
    public static let unsignedFirmwareUpdates = "UnsignedFirmwareUpdates"
    public static let requireSignedFirmware = "RequireSignedFirmware"
    public static let firmwareRestoreCommand = "FirmwareRestoreCommand"
    public static let firmwareConfirmCommand = "FirmwareConfirmCommand"
    public static let firmwareHealthCheckTimeout = "FirmwareHealthCheckTimeout"
    public static let firmwareRootsDirectory = "FirmwareRootsDirectory"
}

/// The typed keys of the backend parameters, by which BackendSettings reads them (see StationParameterKeys.swift).
extension ParameterKey {
    public static var ocppMode: ParameterKey<OCPPMode> { .init(K.ocppMode, .choice) }
    public static var backendURL: ParameterKey<String> { .init(K.backendURL, .text) }
    public static var websocketsProxy: ParameterKey<String> { .init(K.websocketsProxy, .text) }
    public static var webSocketPingInterval: ParameterKey<Int> { .init(K.webSocketPingInterval, .integer) }
    public static var authorizationKey: ParameterKey<String> { .init(K.authorizationKey, .text) }
    public static var authorizationKeyEncoding: ParameterKey<PasswordEncoding> { .init(K.authorizationKeyEncoding, .choice) }
    public static var forceHeartbeat: ParameterKey<Bool> { .init(K.forceHeartbeat, .bool) }
    public static var sendInformativeStatusNotifications: ParameterKey<Bool> { .init(K.sendInformativeStatusNotifications, .bool) }
    public static var sendErrorStatusNotifications: ParameterKey<Bool> { .init(K.sendErrorStatusNotifications, .bool) }
    public static var sendUSBErrorStatusNotifications: ParameterKey<Bool> { .init(K.sendUSBErrorStatusNotifications, .bool) }
    public static var statusNotificationStrategy: ParameterKey<StatusNotificationStrategy> { .init(K.statusNotificationStrategy, .choice) }
    public static var backendConnectionTimeout: ParameterKey<Int> { .init(K.backendConnectionTimeout, .integer) }
    public static var sslStrictness: ParameterKey<String> { .init(K.sslStrictness, .text) }
    public static var tcpWatchdogTimeout: ParameterKey<Int> { .init(K.tcpWatchdogTimeout, .integer) }
    public static var heartbeatInterval: ParameterKey<Int> { .init(K.heartbeatInterval, .integer) }
    public static var meterValueSampleInterval: ParameterKey<Int> { .init(K.meterValueSampleInterval, .integer) }
    public static var meterValuesSampledData: ParameterKey<[Measurand]> { .init(K.meterValuesSampledData, .choices(Measurand.self)) }
    public static var clockAlignedDataInterval: ParameterKey<Int> { .init(K.clockAlignedDataInterval, .integer) }
    public static var meterValuesAlignedData: ParameterKey<[Measurand]> { .init(K.meterValuesAlignedData, .choices(Measurand.self)) }
    public static var stopTxnSampledData: ParameterKey<[Measurand]> { .init(K.stopTxnSampledData, .choices(Measurand.self)) }
    public static var stopTxnAlignedData: ParameterKey<[Measurand]> { .init(K.stopTxnAlignedData, .choices(Measurand.self)) }
    public static var transactionMessageAttempts: ParameterKey<Int> { .init(K.transactionMessageAttempts, .integer) }
    public static var transactionMessageRetryInterval: ParameterKey<Int> { .init(K.transactionMessageRetryInterval, .integer) }
    public static var stopTransactionOnInvalidId: ParameterKey<Bool> { .init(K.stopTransactionOnInvalidId, .bool) }
    public static var minimumStatusDuration: ParameterKey<Int> { .init(K.minimumStatusDuration, .integer) }
    public static var resetRetries: ParameterKey<Int> { .init(K.resetRetries, .integer) }
    public static var reservationsEnabled: ParameterKey<Bool> { .init(K.reservationsEnabled, .bool) }
    public static var reserveConnectorZeroSupported: ParameterKey<Bool> { .init(K.reserveConnectorZeroSupported, .bool) }
    public static var firmwareInstallCommand: ParameterKey<String> { .init(K.firmwareInstallCommand, .text) }
    public static var operatorPreset: ParameterKey<String> { .init(K.operatorPreset, .text) }
    public static var chargeBoxIdentityTemplate: ParameterKey<String> { .init(K.chargeBoxIdentityTemplate, .text) }
    public static var preparingUntilStateC: ParameterKey<Bool> { .init(K.preparingUntilStateC, .bool) }
    public static var allowLongGetConfigurationKeys: ParameterKey<Bool> { .init(K.allowLongGetConfigurationKeys, .bool) }
    public static var timeSource: ParameterKey<TimeSource> { .init(K.timeSource, .choice) }
    public static var fileTransferTimeout: ParameterKey<Int> { .init(K.fileTransferTimeout, .integer) }
    public static var unsignedFirmwareUpdates: ParameterKey<Bool> { .init(K.unsignedFirmwareUpdates, .bool) }
    public static var requireSignedFirmware: ParameterKey<Bool> { .init(K.requireSignedFirmware, .bool) }
    public static var firmwareRootsDirectory: ParameterKey<String> { .init(K.firmwareRootsDirectory, .text) }
    public static var firmwareRestoreCommand: ParameterKey<String> { .init(K.firmwareRestoreCommand, .text) }
    public static var firmwareConfirmCommand: ParameterKey<String> { .init(K.firmwareConfirmCommand, .text) }
    public static var firmwareHealthCheckTimeout: ParameterKey<Int> { .init(K.firmwareHealthCheckTimeout, .integer) }
}

extension StationParameters {

    /// The measurands ChargeKit can sample (seeds/002 §2 MeterValues; OCPP 1.6 §7.31).
    public static let supportedMeasurands: [Choice] = Measurand.allCases.map { Choice($0.rawValue, $0.rawValue) }
    /// Most measurands one CSL key may list (`…MaxLength`).
    public static let measurandListMaxLength = 10

    /// The backend providers seeds/004 §1.3 names, with what they need (Total also needs upper-case card UIDs).
    static let operatorPresets: [String: [String: ParameterValue]] = [
        "E-Flux": [backendURL: .string("wss://ocpp.e-flux.nl/1.6/powerstation"), ocppMode: .choice(OCPPMode.ocppJ16)],
        "TotalEnergies": [backendURL: .string("ws://evse.total-ev-charge.com:9999/ocpp/WebSocket"), ocppMode: .choice(OCPPMode.ocppJ16),
                          rfidTagLetterCase: .string(RFIDLetterCase.upper.rawValue)],
        "LMS": [backendURL: .string("ws://ws-private.evc-net.com"), ocppMode: .choice(OCPPMode.ocppJ16)],
    ]

    static let backendDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .operatorPreset, label: "Backend provider",
            type: .choice([Choice("Custom", "Custom"), Choice("E-Flux", "E-Flux"), Choice("TotalEnergies", "TotalEnergies"), Choice("LMS", "LMS")]),
            defaultValue: .string("Custom"), role: .operator, menu: .backend, section: "OCPP", restartRequired: true,
            fills: operatorPresets,
            help: "Choosing a provider fills its backend settings in one step: E-Flux wss://ocpp.e-flux.nl/1.6/powerstation, TotalEnergies ws://evse.total-ev-charge.com:9999/ocpp/WebSocket (and RFID Tag letter case Upper Case), LMS ws://ws-private.evc-net.com; OCPP-J 1.6. Custom changes nothing. Register the station with the provider afterwards (ChargeBoxIdentity, serial number).",
            seeAlso: "seeds/004 §1.3, §4 Overzicht van verschillende backend-providers"),
        ParameterDefinition(
            key: .chargeBoxIdentityTemplate, label: "Chargebox ID (Template)", type: .string(length: 0...48, allowed: identityCharacters + "{}"),
            defaultValue: .string(""), role: .operator, menu: .backend, section: "OCPP", restartRequired: true,
            help: "How the station names itself to the backend, built from the serial number: {serial} is the whole serial number, {serial:6} its last 6 characters (e.g. TE-{serial}). Empty: the OCPP ChargeBoxIdentity above is used as it is.",
            seeAlso: "seeds/002 §1.5 Chargebox ID (Template)"),
        ParameterDefinition(
            key: .preparingUntilStateC, label: "Preparing until state C", type: .bool, defaultValue: .bool(true),
            role: .operator, menu: .backend, section: "OCPP",
            help: "When the backend sees Charging: On, only once the vehicle requests energy (state C); Off, as soon as the transaction runs with the vehicle connected (state B).",
            seeAlso: "seeds/004 §4 Preparing until state C (OCPP 1.6)"),
        ParameterDefinition(
            key: .allowLongGetConfigurationKeys, label: "Allow long get configuration keys", type: .bool, defaultValue: .bool(false),
            role: .operator, menu: .backend, section: "OCPP",
            help: "Off: GetConfiguration keeps to the OCPP 1.6 limits (keys of more than 50 characters are left out, values are cut at 500). On: names and values are sent in full, for backends that accept longer ones.",
            seeAlso: "seeds/004 §4 Allow long get configuration keys, OCPP 1.6 §6.25 KeyValue"),
        ParameterDefinition(
            key: .timeSource, label: "Time source", type: .choice([TimeSource.heartbeat: "Heartbeat (backend time)", .ntp: "NTP (system clock)"]),
            defaultValue: .choice(TimeSource.heartbeat), role: .operator, menu: .backend, section: "OCPP",
            help: "Heartbeat: the station sets its clock from the backend's time in BootNotification and Heartbeat answers (steps of more than 2 s). NTP: the system clock is used as it is (keep it synchronized with NTP).",
            seeAlso: "seeds/002 §2.3 TimeSource, OCPP 1.6 §4.6"),
        ParameterDefinition(
            key: .ocppMode, label: "OCPP Mode", type: .choice([OCPPMode.off: "Off (no backend)", .ocppJ16: "OCPP-J 1.6"]),
            defaultValue: .choice(OCPPMode.ocppJ16), role: .operator, menu: .backend, section: "OCPP", restartRequired: true,
            help: "OCPP-J 1.6: JSON over WebSocket to the backend URL below. Off: the station runs without a backend.",
            seeAlso: "seeds/004 §4 Scenario 2, seeds/002 §1.5"),
        ParameterDefinition(
            key: .backendURL, label: "WebSockets JSON OCPP URL of the Backend", type: .url(schemes: ["ws", "wss"], maxLength: 512),
            defaultValue: .string(""), role: .operator, menu: .backend, section: "OCPP", restartRequired: true,
            help: "The ws:// or wss:// URL your provider gives you. Without a placeholder the station appends '/<ChargeBoxIdentity>' (a URL ending in '/' keeps it: ws://cs/ocpp/ connects to ws://cs/ocpp/<ChargeBoxIdentity>/). Where the provider puts the identity elsewhere in the path, write {ChargeBoxIdentity} (or {id}) there, e.g. wss://cs.example.com/ocpp/{ChargeBoxIdentity}/ws. Empty: no backend.",
            seeAlso: "seeds/004 §4 WebSockets JSON OCPP URL of the Backend, OCPP-J §3.1.1"),
        ParameterDefinition(
            key: .websocketsProxy, label: "Websockets proxy", type: .url(schemes: ["http"], maxLength: 256),
            defaultValue: .string(""), role: .operator, menu: .backend, section: "OCPP", restartRequired: true,
            help: "An HTTP proxy (http://host:port) the WebSocket connection is tunnelled through with CONNECT. Empty: direct connection.",
            seeAlso: "seeds/004 §4 Websockets proxy"),
        ParameterDefinition(
            key: .webSocketPingInterval, label: "WebSockets keep-alive interval", type: .integer(0...3600, unit: "s"),
            defaultValue: .integer(0), role: .operator, menu: .backend, section: "OCPP", restartRequired: true,
            help: "Seconds between WebSocket pings; a backend that does not answer them is treated as gone and the station reconnects. 0 (factory setting) disables the pings. Switch it on behind a NAT router (e.g. 60), or it may drop the idle connection.",
            seeAlso: "seeds/004 §4 WebSockets keep-alive interval, OCPP-J §5.3 WebSocketPingInterval"),
        ParameterDefinition(
            key: .authorizationKey, label: "HTTP Basic Authentication password", type: .string(length: 0...40, allowed: nil),
            defaultValue: .string(""), role: .operator, menu: .backend, section: "OCPP", secret: true,
            help: "Password of HTTP Basic authentication (user = ChargeBoxIdentity; security profiles 1 and 2 need 16 to 40 characters). Empty: no authentication. Never shown to the backend. A new password applies at once: the station reconnects with it.",
            seeAlso: "seeds/004 §4, OCPP-J §6.1.3 AuthorizationKey, OCPP 1.6 security whitepaper ed. 3 A01"),
        ParameterDefinition(
            key: .authorizationKeyEncoding, label: "Basic Authentication password encoding",
            type: .choice([PasswordEncoding.plain: "As typed (factory setting)",
                           .hex: "Hex as bytes: a key of 32–40 hex digits is sent as the bytes it encodes (OCTT TC_085)"]),
            defaultValue: .choice(PasswordEncoding.plain), role: .operator, menu: .backend, section: "OCPP",
            help: "How the password is put in the Authorization header. As typed (factory setting): the key goes out exactly as entered; central systems that compare the password they issued expect this. Hex as bytes: a key of 32–40 hex digits is sent as the 16–20 bytes it encodes, the reading of the OCPP security whitepaper that the OCA test tool (OCTT TC_085) checks; choose it only when the backend is tested or configured that way. Keys of another length or with other characters are always sent as typed.",
            seeAlso: "OCPP-J §6.1.3; OCA Improved security for OCPP 1.6-J (AuthorizationKey)"),
        ParameterDefinition(
            key: .forceHeartbeat, label: "Force Heartbeat request messages", type: .bool, defaultValue: .bool(true),
            role: .operator, menu: .backend, section: "OCPP",
            help: "On: a Heartbeat every HeartbeatInterval, whatever else is sent. Off: only after HeartbeatInterval without any message (OCPP 1.6 §4.6).",
            seeAlso: "seeds/004 §4 Force Heartbeat request messages"),
        ParameterDefinition(
            key: .sendInformativeStatusNotifications, label: "Send informative StatusNotifications", type: .bool, defaultValue: .bool(true),
            role: .operator, menu: .backend, section: "OCPP",
            help: "Send StatusNotifications that only inform (warnings with a non-Faulted status, e.g. an external meter that does not answer).",
            seeAlso: "seeds/004 §4 Send informative StatusNotifications"),
        ParameterDefinition(
            key: .sendErrorStatusNotifications, label: "Send error StatusNotifications", type: .bool, defaultValue: .bool(true),
            role: .operator, menu: .backend, section: "OCPP",
            help: "Send the errors of the controller and the charge points (errorCode, info, vendorErrorCode; e.g. a defective lock actuator).",
            seeAlso: "seeds/004 §4 Send error StatusNotifications, seeds/002 §3"),
        ParameterDefinition(
            key: .sendUSBErrorStatusNotifications, label: "Send USB error StatusNotifications", type: .bool, defaultValue: .bool(false),
            role: .operator, menu: .backend, section: "OCPP",
            help: "Send failures of the USB link between the controller and a connector board (dual stations) to the backend as errors. Off: the connector still reports Faulted, without the error code.",
            seeAlso: "seeds/004 §4 Send USB error StatusNotifications"),
        ParameterDefinition(
            key: .statusNotificationStrategy, label: "Strategy for StatusNotification state transitions",
            type: .choice([Choice("OccupiedOnCharging", "Occupied on Charging"), Choice("OccupiedOnAuthorizedOrPlugged", "Occupied on Authorized/Plugged")]),
            defaultValue: .string("OccupiedOnCharging"), role: .operator, menu: .backend, section: "OCPP",
            help: "Occupied on Charging: the backend sees the charge point occupied (Preparing) only when a cable is plugged in and the user is authorized. Occupied on Authorized/Plugged: either one is enough.",
            seeAlso: "seeds/004 §4 Strategy for StatusNotification state transitions"),
        ParameterDefinition(
            key: .backendConnectionTimeout, label: "Backend connection timeout", type: .integer(5...600, unit: "s"),
            defaultValue: .integer(60), role: .operator, menu: .backend, section: "More settings",
            help: "How long the station waits for the backend's answer to a message (and for the connection to be established) before it treats the backend as unreachable. OCPP key MessageTimeout.",
            seeAlso: "seeds/004 §4 Backend connection timeout, OCPP 1.6 errata 3.83"),
        ParameterDefinition(
            key: .sslStrictness, label: "SSL Strictness as client",
            type: .choice([Choice("EncryptOnly", "Encrypt only, no authentication"),
                           Choice("AllowExpiredSkipHostCheck", "Allow expired certificate and skip host check"),
                           Choice("SkipHostCheck", "Skip host check"),
                           Choice("AllowExpired", "Allow expired certificate"),
                           Choice("Normal", "Normal SSL Auth")]),
            defaultValue: .string("Normal"), role: .operator, menu: .backend, section: "More settings", restartRequired: true,
            help: "How strictly the backend's TLS certificate is checked on wss:// connections. Normal: a valid, unexpired certificate for the host name, signed by a trusted CA.",
            seeAlso: "seeds/004 §4 SSL Strictness as client"),
        ParameterDefinition(
            key: .tcpWatchdogTimeout, label: "TCP Watchdog Timeout", type: .integer(0...604_800, unit: "s"),
            defaultValue: .integer(10800), role: .operator, menu: .backend, section: "More settings", restartRequired: true,
            help: "When the backend stays unreachable this long, the OCPP connection stack is restarted and connects anew. 0 disables it.",
            seeAlso: "seeds/004 §4 TCP Watchdog Timeout"),
        ParameterDefinition(
            key: .heartbeatInterval, label: "Heartbeat interval", type: .integer(0...86400, unit: "s"),
            defaultValue: .integer(300), role: .operator, menu: .backend, section: "OCPP keys",
            help: "Seconds between Heartbeats; the backend sets it in its BootNotification answer. 0: the backend's choice is kept off, one Heartbeat a day for time sync.",
            seeAlso: "OCPP 1.6 §4.6, §9.1.14"),
        ParameterDefinition(
            key: .meterValueSampleInterval, label: "Meter value sample interval", type: .integer(0...86400, unit: "s"),
            defaultValue: .integer(60), role: .operator, menu: .backend, section: "OCPP keys",
            help: "Seconds between sampled MeterValues during a transaction (context Sample.Periodic). 0: none.",
            seeAlso: "OCPP 1.6 §9.1.20, seeds/002 §2 MeterValues"),
        ParameterDefinition(
            key: .meterValuesSampledData, label: "Sampled measurands",
            type: .multiChoice(supportedMeasurands, maxCount: measurandListMaxLength),
            defaultValue: .list(["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Current.Offered", "Voltage"]),
            role: .operator, menu: .backend, section: "OCPP keys",
            help: "The measurands of sampled MeterValues. Per-phase measurands (Current.Import, Voltage) are sent per connected phase.",
            seeAlso: "OCPP 1.6 §9.1.19, seeds/002 §2 MeterValues"),
        ParameterDefinition(
            key: .clockAlignedDataInterval, label: "Clock-aligned data interval", type: .integer(0...86400, unit: "s"),
            defaultValue: .integer(0), role: .operator, menu: .backend, section: "OCPP keys",
            help: "Seconds between clock-aligned MeterValues, aligned to midnight UTC (e.g. 900 = every quarter hour). 0: none.",
            seeAlso: "OCPP 1.6 §9.1.6"),
        ParameterDefinition(
            key: .meterValuesAlignedData, label: "Clock-aligned measurands",
            type: .multiChoice(supportedMeasurands, maxCount: measurandListMaxLength),
            defaultValue: .list(["Energy.Active.Import.Register"]), role: .operator, menu: .backend, section: "OCPP keys",
            help: "The measurands of clock-aligned MeterValues.", seeAlso: "OCPP 1.6 §9.1.17"),
        ParameterDefinition(
            key: .stopTxnSampledData, label: "Sampled measurands in StopTransaction",
            type: .multiChoice(supportedMeasurands, maxCount: measurandListMaxLength),
            defaultValue: .list(["Energy.Active.Import.Register"]), role: .operator, menu: .backend, section: "OCPP keys",
            help: "Measurands put in StopTransaction's transactionData at the start and end of the transaction (Transaction.Begin/End).",
            seeAlso: "OCPP 1.6 §9.1.27, errata 3.14"),
        ParameterDefinition(
            key: .stopTxnAlignedData, label: "Clock-aligned measurands in StopTransaction",
            type: .multiChoice(supportedMeasurands, maxCount: measurandListMaxLength),
            defaultValue: .list([]), role: .operator, menu: .backend, section: "OCPP keys",
            help: "Clock-aligned measurands added to StopTransaction's transactionData (empty: none).", seeAlso: "OCPP 1.6 §9.1.25"),
        ParameterDefinition(
            key: .transactionMessageAttempts, label: "Transaction message attempts", type: .integer(1...100, unit: nil),
            defaultValue: .integer(3), role: .operator, menu: .backend, section: "OCPP keys",
            help: "How often a transaction message the backend fails to process (CALLERROR) is sent before it is dropped. Being offline never counts.",
            seeAlso: "OCPP 1.6 §4.10, §9.1.33"),
        ParameterDefinition(
            key: .transactionMessageRetryInterval, label: "Transaction message retry interval", type: .integer(1...86400, unit: "s"),
            defaultValue: .integer(60), role: .operator, menu: .backend, section: "OCPP keys",
            help: "Wait before resending a failed transaction message, multiplied by the attempts so far (60 s, 120 s, …).",
            seeAlso: "OCPP 1.6 §4.10, §9.1.34"),
        ParameterDefinition(
            key: .stopTransactionOnInvalidId, label: "Stop transaction on invalid id", type: .bool, defaultValue: .bool(true),
            role: .operator, menu: .backend, section: "OCPP keys",
            help: "When the backend answers a StartTransaction with a status other than Accepted: On stops the transaction (DeAuthorized), Off only stops the energy (SuspendedEVSE).",
            seeAlso: "OCPP 1.6 §9.1.26, errata 3.17"),
        ParameterDefinition(
            key: .minimumStatusDuration, label: "Minimum status duration", type: .integer(0...3600, unit: "s"),
            defaultValue: .integer(0), role: .operator, menu: .backend, section: "OCPP keys",
            help: "A connector status must last this long before it is reported; shorter states are not sent. 0: every change is reported.",
            seeAlso: "OCPP 1.6 §9.1.21"),
        ParameterDefinition(
            key: .resetRetries, label: "Reset retries", type: .integer(0...10, unit: nil), defaultValue: .integer(3),
            role: .operator, menu: .backend, section: "OCPP keys",
            help: "How often a failed reset is retried. A ChargeKit reset restarts the station services in the same process and does not fail, so the value is kept for backends that set it.",
            seeAlso: "OCPP 1.6 §9.1.23"),
        ParameterDefinition(
            key: .reservationsEnabled, label: "Accept reservations", type: .bool, defaultValue: .bool(true),
            role: .operator, menu: .backend, section: "Reservation",
            help: "On: the backend may reserve a connector (ReserveNow) for an RFID card or its group until an expiry time. Off: every reservation is Rejected.",
            seeAlso: "OCPP 1.6 §5.13, seeds/002 §2 ReserveNow"),
        ParameterDefinition(
            key: .reserveConnectorZeroSupported, label: "Reserve connector zero supported", type: .bool, defaultValue: .bool(true),
            role: .installer, menu: .backend, section: "Reservation",
            help: "On: a reservation of connector 0 keeps one free connector of the station for the card, whichever it is. Read-only for the backend.",
            seeAlso: "OCPP 1.6 §9.3.1, seeds/002 §2.3"),
        ParameterDefinition(
            key: .firmwareInstallCommand, label: "Firmware install command", type: .string(length: 0...512, allowed: nil),
            defaultValue: .string("/usr/lib/chargekit/firmware-request install \"$1\""), role: .manufacturer, menu: .system, section: "Firmware",
            help: "Shell command (/bin/sh -c) that installs a checked firmware file. The default hands the .deb to the root service chargekit-firmware of the Debian package (the station itself runs unprivileged), which checks it again, keeps the installed version for a rollback and runs dpkg -i; a station run as root may use dpkg -i \"$1\", a RAUC image rauc install \"$1\". $1 and FIRMWARE_FILE are the .deb itself (or a wrapped package's payload), FIRMWARE_VERSION its version; exit status 0 means installed. The station services restart afterwards and the new version must pass its health check. Empty (a simulated station starts with it empty): the new version is only recorded and the services restart.",
            seeAlso: "OCPP 1.6 §5.19 UpdateFirmware, checklist §1.4.9, seeds/004 §8"),
        // Issue 23 item 5: signed updates with rollback. The station keeps the file it installed last; a rollback runs
        // the restore command (or the install command) on it.
        ParameterDefinition(
            key: .requireSignedFirmware, label: "Require signed firmware", type: .bool, defaultValue: .bool(true),
            role: .manufacturer, menu: .system, section: "Firmware",
            help: "On: a firmware file is installed only with a signature (ECDSA P-256, chargekit firmware sign) whose signing certificate chains to an installed manufacturer root certificate; anything else is refused (InstallationFailed, the reason in the log and the security log). A simulated station starts with Off.",
            seeAlso: "OCPP 1.6 security whitepaper ed. 3 L01, §8 InvalidFirmwareSignature"),
        // The manufacturer's root comes with the product (the package's /etc/chargekit/firmware-roots/), not only over
        // OCPP InstallCertificate: a station without a backend must still accept its manufacturer's signed updates.
        ParameterDefinition(
            key: .firmwareRootsDirectory, label: "Firmware root certificates directory", type: .string(length: 0...256, allowed: nil),
            defaultValue: .string("/etc/chargekit/firmware-roots"), role: .manufacturer, menu: .system, section: "Firmware",
            help: "A directory of PEM files (*.pem) whose certificates count as manufacturer root certificates for signed firmware, beside those installed over OCPP (InstallCertificate ManufacturerRootCertificate). Empty: only the installed ones. A missing directory holds none.",
            seeAlso: "OCPP 1.6 security whitepaper ed. 3 L01, docs/installer.md"),
        ParameterDefinition(
            key: .firmwareRestoreCommand, label: "Firmware restore command", type: .string(length: 0...512, allowed: nil),
            defaultValue: .string("/usr/lib/chargekit/firmware-request restore"), role: .manufacturer, menu: .system, section: "Firmware",
            help: "Shell command (/bin/sh -c) that reinstalls the previous version when a new one fails its health check; $1 and FIRMWARE_FILE are the previous version's kept file, FIRMWARE_VERSION its version. The default asks the root service chargekit-firmware of the Debian package to reinstall the version it kept. Empty: the install command is run on the kept file (dpkg -i of the previous .deb; a simulated station starts with it empty). RAUC: rauc status mark-active other && systemctl reboot.",
            seeAlso: "seeds/004 §8"),
        ParameterDefinition(
            key: .firmwareConfirmCommand, label: "Firmware confirm command", type: .string(length: 0...512, allowed: nil),
            defaultValue: .string(""), role: .manufacturer, menu: .system, section: "Firmware",
            help: "Shell command (/bin/sh -c) run once a new version passed its health check, FIRMWARE_VERSION its version. Empty: nothing to run (dpkg). RAUC: rauc status mark-good.",
            seeAlso: "seeds/004 §8"),
        ParameterDefinition(
            key: .firmwareHealthCheckTimeout, label: "Firmware health check time limit", type: .integer(10...3600, unit: "s"),
            defaultValue: .integer(300), role: .manufacturer, menu: .system, section: "Firmware",
            help: "After a firmware update the new version must run, its board answer and, with a backend, the backend accept its BootNotification within this time; else the previous version is reinstalled and the update reported failed (InstallationFailed).",
            seeAlso: "OCPP 1.6 §5.19 UpdateFirmware"),
        ParameterDefinition(
            key: .fileTransferTimeout, label: "File transfer timeout", type: .integer(10...3600, unit: "s"),
            defaultValue: .integer(300), role: .operator, menu: .system, section: "Firmware",
            help: "Longest time one firmware download or diagnostics upload may take before the attempt counts as failed (and is retried as the backend asked).",
            seeAlso: "OCPP 1.6 §5.9 GetDiagnostics, §5.19 UpdateFirmware"),
        // OCPP 1.6 security whitepaper ed. 3 L01.FR.20 asks a charge point with signed updates to refuse UpdateFirmware;
        // central systems in the field still send it (and OCTT keeps TC_044), so it stays accepted unless switched off.
        ParameterDefinition(
            key: .unsignedFirmwareUpdates, label: "Unsigned firmware updates", type: .bool, defaultValue: .bool(true),
            role: .operator, menu: .system, section: "Firmware",
            help: "On: the backend may also update the firmware with UpdateFirmware (unsigned; the package's own checksum is checked). Off: only SignedUpdateFirmware is taken (the signature over the package must verify against an installed manufacturer root certificate); UpdateFirmware is answered NotSupported.",
            seeAlso: "OCPP 1.6 security whitepaper ed. 3 L01.FR.20, OCPP 1.6 §5.19 UpdateFirmware"),
    ]
}

/// The OCPP 1.6 measurands ChargeKit can report (OCPP 1.6 §7.31).
public enum Measurand: String, Sendable, CaseIterable, ParameterChoice {
    case energyActiveImportRegister = "Energy.Active.Import.Register"
    case powerActiveImport = "Power.Active.Import"
    case currentImport = "Current.Import"
    case currentOffered = "Current.Offered"
    case powerOffered = "Power.Offered"
    case voltage = "Voltage"
    case soc = "SoC"
}

/// Whether the station talks to a backend (seeds/004 §4 "OCPP Mode").
public enum OCPPMode: String, ParameterChoice {
    case off = "Off"
    case ocppJ16 = "OCPP-J 1.6"
}

/// How the Basic Authentication password (AuthorizationKey) is sent (OCPP-J §6.1.3; OCTT TC_085). Plain (as typed) is
/// the factory setting since issue 29 item 5: the independent central systems tested (the PyPI `ocpp-csms` and
/// `arthexis`) compare the password as they issued it and refuse the decoded bytes; hex is the OCTT reading.
public enum PasswordEncoding: String, ParameterChoice {
    /// The key's text, as typed.
    case plain
    /// A key of 32–40 hex digits as the 16–20 bytes it encodes (the security whitepaper's reading, OCTT TC_085).
    case hex
}

/// Where the station clock comes from (seeds/002 §2.3 TimeSource).
public enum TimeSource: String, ParameterChoice {
    /// The backend's time in BootNotification and Heartbeat answers.
    case heartbeat = "Heartbeat"
    /// The system clock, kept by NTP.
    case ntp = "NTP"
}

/// How StatusNotifications show an occupied charge point (seeds/004 §4).
public enum StatusNotificationStrategy: String, Sendable, CaseIterable, ParameterChoice {
    case occupiedOnCharging = "OccupiedOnCharging"
    case occupiedOnAuthorizedOrPlugged = "OccupiedOnAuthorizedOrPlugged"
}

/// The typed backend settings.
public struct BackendSettings: Sendable, Equatable {
    public var enabled: Bool
    public var url: String
    public var proxy: String
    public var pingIntervalSeconds: Int
    public var authorizationKey: String
    public var authorizationKeyHex: Bool
    public var forceHeartbeat: Bool
    public var sendInformativeStatus: Bool
    public var sendErrorStatus: Bool
    public var sendUSBErrorStatus: Bool
    public var strategy: StatusNotificationStrategy
    public var messageTimeout: Duration
    public var sslStrictness: String
    public var tcpWatchdogSeconds: Int
    public var heartbeatIntervalSeconds: Int
    public var sampleIntervalSeconds: Int
    public var sampledData: [Measurand]
    public var alignedIntervalSeconds: Int
    public var alignedData: [Measurand]
    public var stopTxnSampledData: [Measurand]
    public var stopTxnAlignedData: [Measurand]
    public var transactionMessageAttempts: Int
    public var transactionMessageRetryIntervalSeconds: Int
    public var stopTransactionOnInvalidId: Bool
    public var minimumStatusDurationSeconds: Int
    public var preparingUntilStateC: Bool
    public var allowLongConfigurationKeys: Bool
    /// TimeSource Heartbeat: the station clock follows the backend's time.
    public var timeFromBackend: Bool
    /// A Reset stops the running transactions first (seeds/002 §2.3 StopTxOnReset; OCPP 1.6 §5.14).
    public var stopTransactionsOnReset: Bool
    /// How signed meter readings are written, and which carry the meter's key (OCA Signed Meter Values whitepaper).
    public var signedValueEncoding: SignedValueEncoding
    public var publicKeyWithSignedMeterValue: PublicKeyWithSignedMeterValue
    /// UpdateFirmware (unsigned) is taken; off: only SignedUpdateFirmware (whitepaper ed. 3 L01.FR.20).
    public var unsignedFirmwareUpdates: Bool

    /// Reads the backend settings from the parameters through their typed keys.
    public init(_ p: ParameterSet) {
        url = p[.backendURL]
        enabled = p[.ocppMode] == .ocppJ16 && !url.isEmpty
        proxy = p[.websocketsProxy]
        pingIntervalSeconds = p[.webSocketPingInterval]
        authorizationKey = p[.authorizationKey]
        authorizationKeyHex = p[.authorizationKeyEncoding] == .hex
        forceHeartbeat = p[.forceHeartbeat]
        sendInformativeStatus = p[.sendInformativeStatusNotifications]
        sendErrorStatus = p[.sendErrorStatusNotifications]
        sendUSBErrorStatus = p[.sendUSBErrorStatusNotifications]
        strategy = p[.statusNotificationStrategy]
        messageTimeout = .seconds(p[.backendConnectionTimeout])
        sslStrictness = p[.sslStrictness]
        tcpWatchdogSeconds = p[.tcpWatchdogTimeout]
        heartbeatIntervalSeconds = p[.heartbeatInterval]
        sampleIntervalSeconds = p[.meterValueSampleInterval]
        sampledData = p[.meterValuesSampledData]
        alignedIntervalSeconds = p[.clockAlignedDataInterval]
        alignedData = p[.meterValuesAlignedData]
        stopTxnSampledData = p[.stopTxnSampledData]
        stopTxnAlignedData = p[.stopTxnAlignedData]
        transactionMessageAttempts = p[.transactionMessageAttempts]
        transactionMessageRetryIntervalSeconds = p[.transactionMessageRetryInterval]
        stopTransactionOnInvalidId = p[.stopTransactionOnInvalidId]
        minimumStatusDurationSeconds = p[.minimumStatusDuration]
        preparingUntilStateC = p[.preparingUntilStateC]
        allowLongConfigurationKeys = p[.allowLongGetConfigurationKeys]
        timeFromBackend = p[.timeSource] == .heartbeat
        stopTransactionsOnReset = p[.stopTxOnReset]
        unsignedFirmwareUpdates = p[.unsignedFirmwareUpdates]
        signedValueEncoding = p[.signedMeterValueFormat]
        publicKeyWithSignedMeterValue = p[.publicKeyWithSignedMeterValue]
    }

    /// A signed reading as the value of a SignedData sampled value, as these settings say.
    public func signedValue(ocmf: String, publicKeyHex: String?, context: String) -> String {
        SignedMeterValue.value(ocmf: ocmf, publicKeyHex: publicKeyHex, context: context, encoding: signedValueEncoding,
                               publicKey: publicKeyWithSignedMeterValue)
    }

    /// The password for HTTP Basic authentication: the AuthorizationKey as typed (the factory setting); with the
    /// encoding "hex" a key of 32–40 hex digits (16–20 bytes) stands for the bytes it encodes (OCPP-J §6.1.3, OCTT
    /// TC_085).
    public var basicAuthPassword: [UInt8]? {
        guard !authorizationKey.isEmpty else { return nil }
        if authorizationKeyHex, (32...40).contains(authorizationKey.count),
           let bytes = hexBytes(authorizationKey) {
            return bytes
        }
        return Array(authorizationKey.utf8)
    }
}
