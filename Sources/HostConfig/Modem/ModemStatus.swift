/// What ModemManager reports about the modem and its SIM (ModemManager 1.x D-Bus API reference: interfaces
/// `org.freedesktop.ModemManager1.Modem`, `.Modem.Modem3gpp` and `.Sim`; the enumerations of "Flags and
/// Enumerations"), as plain values: the page shows them, the planner decides from them, BootNotification carries the
/// SIM's ICCID and IMSI (seeds/002 lists `iccid` and `imsi`).
public struct ModemStatus: Sendable, Equatable {
    /// MMModemState.
    public enum State: Int, Sendable, Comparable {
        case failed = -1, unknown = 0, initializing = 1, locked = 2, disabled = 3, disabling = 4, enabling = 5, enabled = 6,
             searching = 7, registered = 8, disconnecting = 9, connecting = 10, connected = 11

        public static func < (a: State, b: State) -> Bool { a.rawValue < b.rawValue }
        public var name: String {
            switch self {
            case .failed: "failed"
            case .unknown: "unknown"
            case .initializing: "initializing"
            case .locked: "locked"
            case .disabled: "disabled"
            case .disabling: "disabling"
            case .enabling: "enabling"
            case .enabled: "enabled"
            case .searching: "searching"
            case .registered: "registered"
            case .disconnecting: "disconnecting"
            case .connecting: "connecting"
            case .connected: "connected"
            }
        }
    }

    /// MMModemLock: what the modem needs before it can be enabled.
    public enum Lock: Int, Sendable {
        case unknown = 0, none = 1, simPIN = 2, simPIN2 = 3, simPUK = 4, simPUK2 = 5
        /// Any other lock (network personalisation, PH-SIM …): the station cannot unlock it.
        case other = 99
        public init(code: Int) { self = Lock(rawValue: code) ?? .other }
    }

    /// MMModem3gppRegistrationState.
    public enum Registration: Int, Sendable {
        case idle = 0, home = 1, searching = 2, denied = 3, unknown = 4, roaming = 5
        case homeSMSOnly = 6, roamingSMSOnly = 7, emergencyOnly = 8, homeCSFBNotPreferred = 9, roamingCSFBNotPreferred = 10
        case attachedRLOS = 11
        public var name: String {
            switch self {
            case .idle: "not registered"
            case .home, .homeSMSOnly, .homeCSFBNotPreferred: "home network"
            case .searching: "searching"
            case .denied: "registration denied"
            case .unknown: "unknown"
            case .roaming, .roamingSMSOnly, .roamingCSFBNotPreferred: "roaming"
            case .emergencyOnly: "emergency calls only"
            case .attachedRLOS: "attached (RLOS)"
            }
        }
    }

    /// The modem's D-Bus object path (`/org/freedesktop/ModemManager1/Modem/0`).
    public var path: String
    public var manufacturer: String = ""
    public var model: String = ""
    /// The IMEI (3GPP modems' EquipmentIdentifier).
    public var imei: String = ""
    public var state: State = .unknown
    public var lock: Lock = .unknown
    /// PIN attempts left, when the modem says (UnlockRetries for MM_MODEM_LOCK_SIM_PIN).
    public var pinRetries: Int?
    /// Signal quality in percent; nil when unknown.
    public var signalPercent: Int?
    /// Whether the signal quality was measured recently (ModemManager's `recent` flag).
    public var signalRecent = false
    /// MMModemAccessTechnology bits of the current connection.
    public var accessTechnologies: UInt32 = 0
    /// MMModemMode bits: the modes allowed now and the preferred one.
    public var allowedModes: UInt32?
    public var registration: Registration?
    public var operatorName: String = ""
    /// MCC and MNC of the operator the modem is registered with.
    public var operatorCode: String = ""
    /// The SIM's ICCID (Sim.SimIdentifier) and IMSI; empty when no SIM is readable.
    public var iccid: String = ""
    public var imsi: String = ""
    /// The SIM's D-Bus object path; nil without a SIM.
    public var simPath: String?

    public init(path: String) { self.path = path }

    /// The access technologies as words ("LTE", "UMTS, HSPA"), from the MMModemAccessTechnology bits.
    public var accessTechnologyText: String {
        let names: [(UInt32, String)] = [(1 << 1, "GSM"), (1 << 2, "GSM Compact"), (1 << 3, "GPRS"), (1 << 4, "EDGE"), (1 << 5, "UMTS"),
                                         (1 << 6, "HSDPA"), (1 << 7, "HSUPA"), (1 << 8, "HSPA"), (1 << 9, "HSPA+"), (1 << 14, "LTE"),
                                         (1 << 15, "5G NR"), (1 << 16, "LTE Cat-M"), (1 << 17, "LTE NB-IoT")]
        return names.filter { accessTechnologies & $0.0 != 0 }.map(\.1).joined(separator: ", ")
    }

    /// Whether the modem is on a network (registered or further, and not denied).
    public var isRegistered: Bool { state >= .registered }
}
