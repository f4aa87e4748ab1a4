/// How the station reaches its backend and how the built-in modem connects (seeds/004 §1.3 "Connection Type" LAN or
/// GSM, "Access Point Name (APN)", "APN Username", "APN Password", "Simcard PIN Number", "Network selection mode",
/// "Modem Access Technology", "Requested Network operator"; seeds/002 §1.4 Mobile: Service Mode, APN, PIN,
/// Authentication Method, Username, Password), as values the planner reads. The station's parameter registry declares
/// them; this is their meaning.
public struct MobileSettings: Sendable, Equatable {
    /// seeds/004 "Connection Type": LAN (Ethernet) or GSM (the built-in modem).
    public enum ConnectionType: String, Sendable, CaseIterable { case lan = "LAN", gsm = "GSM" }

    /// seeds/002 §1.4 "Authentication Method" of the APN; ModemManager's `allowed-auth` bits (MMBearerAllowedAuth).
    public enum Authentication: String, Sendable, CaseIterable {
        case automatic = "Auto", none = "None", pap = "PAP", chap = "CHAP"

        /// The `allowed-auth` value of the bearer properties; nil leaves it to the modem (automatic).
        public var allowedAuthBits: UInt32? {
            switch self {
            case .automatic: nil
            case .none: 1 << 0
            case .pap: 1 << 1
            case .chap: 1 << 2
            }
        }
    }

    /// seeds/004 "Network selection mode": in Auto the modem chooses the operator; in Manual the requested operator is
    /// used; in Manual/Auto the requested one is tried and automatic selection follows if it fails.
    public enum NetworkSelection: String, Sendable, CaseIterable { case automatic = "Auto", manual = "Manual", manualThenAutomatic = "ManualAuto" }

    /// seeds/004 "Modem Access Technology": Auto, 2G (GSM), 3G (UTRAN) or 4G (LTE).
    public enum AccessTechnology: String, Sendable, CaseIterable {
        case automatic = "Auto", g2 = "2G", g3 = "3G", g4 = "4G"

        /// ModemManager's MMModemMode bits (ModemManager API reference, "MMModemMode"): 2G 1<<1, 3G 1<<2, 4G 1<<3.
        public var modeBits: UInt32? {
            switch self {
            case .automatic: nil
            case .g2: 1 << 1
            case .g3: 1 << 2
            case .g4: 1 << 3
            }
        }
    }

    public var connectionType: ConnectionType
    public var apn: String
    public var user: String
    public var password: String
    /// The SIM's PIN; empty when the SIM needs none.
    public var pin: String
    public var authentication: Authentication
    public var networkSelection: NetworkSelection
    /// MCC and MNC of the requested operator (`26201`), used in the manual modes.
    public var requestedOperator: String
    public var accessTechnology: AccessTechnology
    /// Below this signal quality (in percent, as ModemManager reports it) WeakSignal is raised (seeds/002 §3).
    public var weakSignalThresholdPercent: Int

    public init(connectionType: ConnectionType = .lan, apn: String = "", user: String = "", password: String = "", pin: String = "",
                authentication: Authentication = .automatic, networkSelection: NetworkSelection = .automatic, requestedOperator: String = "",
                accessTechnology: AccessTechnology = .automatic, weakSignalThresholdPercent: Int = 20) {
        self.connectionType = connectionType; self.apn = apn; self.user = user; self.password = password; self.pin = pin
        self.authentication = authentication; self.networkSelection = networkSelection; self.requestedOperator = requestedOperator
        self.accessTechnology = accessTechnology; self.weakSignalThresholdPercent = weakSignalThresholdPercent
    }

    /// A PIN as a SIM takes it: 4 to 8 digits (3GPP TS 31.101 / ETSI TS 102 221 §9.5.1), or empty.
    public static func isValidPIN(_ pin: String) -> Bool {
        pin.isEmpty || ((4...8).contains(pin.count) && pin.allSatisfy { $0.isASCII && $0.isNumber })
    }

    /// An operator id as 3GPP writes it: MCC (3 digits) and MNC (2 or 3 digits), or empty.
    public static func isValidOperatorID(_ id: String) -> Bool {
        id.isEmpty || ((5...6).contains(id.count) && id.allSatisfy { $0.isASCII && $0.isNumber })
    }
}
