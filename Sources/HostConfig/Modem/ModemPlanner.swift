/// Decides what the station asks of the modem, one poll at a time (a state machine that returns actions; the adapter
/// carries them out through ModemManager and reports the outcome back). It follows seeds/004 §1.3 (connection type,
/// APN, SIM PIN, network selection, access technology) and protects the SIM: a PIN is sent at most once per value —
/// a wrong one is reported once and never retried, since a SIM locks after three wrong PINs (3GPP TS 31.101) — and
/// never when the modem says only one attempt is left.
public struct ModemPlanner: Sendable {
    public enum Action: Sendable, Equatable {
        /// Modem.Enable(true).
        case enable
        /// Sim.SendPin(pin).
        case sendPIN(String)
        /// Modem.SetCurrentModes((allowed, preferred)).
        case setModes(allowed: UInt32, preferred: UInt32)
        /// Modem3gpp.Register(operator): "" returns to automatic selection.
        case register(operatorID: String)
        /// Modem.Simple.Connect with the APN's bearer properties.
        case connect(ConnectRequest)
        /// Modem.Simple.Disconnect("/"): every bearer of the modem.
        case disconnect
    }

    /// The bearer properties of Simple.Connect (ModemManager API reference, "Modem.Simple" Connect): `apn`, `user`,
    /// `password`, `allowed-auth`.
    public struct ConnectRequest: Sendable, Equatable {
        public var apn: String
        public var user: String
        public var password: String
        public var allowedAuth: UInt32?

        public init(apn: String, user: String, password: String, allowedAuth: UInt32?) {
            self.apn = apn; self.user = user; self.password = password; self.allowedAuth = allowedAuth
        }
    }

    /// A problem the user must act on; the runtime logs it once and the page shows the latest.
    public enum Problem: String, Sendable, Equatable {
        case pinNeeded, pinRejected, pinLastAttempt, pukNeeded, otherLock, apnMissing, connectFailed, registrationFailed, modemFailed

        public var message: String {
            switch self {
            case .pinNeeded: "The SIM card needs its PIN: set SIM PIN (Network, Mobile)."
            case .pinRejected: "The SIM card refused the PIN. It is not tried again (a SIM locks after three wrong PINs): set the right SIM PIN."
            case .pinLastAttempt: "The SIM card has one PIN attempt left: the station does not try it. Check the PIN, then unlock the SIM in a phone or set the PIN again."
            case .pukNeeded: "The SIM card is blocked and needs its PUK: unlock it in a phone, then put it back."
            case .otherLock: "The modem is locked in a way the station cannot unlock (network or SIM personalisation)."
            case .apnMissing: "The Access Point Name (APN) is not set: the modem cannot connect to the mobile network."
            case .connectFailed: "The mobile data connection failed; it is retried with back-off. Check the APN, user and password."
            case .registrationFailed: "The requested network operator is not available."
            case .modemFailed: "The modem failed (no SIM card, or a hardware fault)."
            }
        }
    }

    /// The first retry of a failed connection comes after this long; each failure doubles it up to ``maxRetrySeconds``.
    public static let firstRetrySeconds = 30.0
    public static let maxRetrySeconds = 600.0
    /// WeakSignal needs the signal below the threshold this long (one short dip is no error) and clears at
    /// ``weakSignalHysteresisPercent`` above it (so that a signal at the threshold does not raise and clear it every poll).
    public static let weakSignalDelaySeconds = 60.0
    public static let weakSignalHysteresisPercent = 5

    /// The PIN value sent last; the same value is never sent again.
    private(set) var pinTried: String?
    private(set) var pinRejected = false
    private var modesRequested: UInt32?
    private var registerRequested: String?
    /// The operator whose manual registration failed (Manual/Auto then stays automatic until the setting changes).
    private var failedOperator: String?
    private var connectedByStation = false
    private var nextConnectAt: Double?
    private var retrySeconds = firstRetrySeconds
    private var weakSince: Double?
    /// Whether WeakSignal is raised now.
    public private(set) var weakSignal = false
    /// The problem the user must act on now (nil: none).
    public private(set) var problem: Problem?

    public init() {}

    /// One poll: `status` is nil when no modem is present; `nowSeconds` is any monotonic time in seconds.
    public mutating func plan(_ settings: MobileSettings, status: ModemStatus?, nowSeconds: Double) -> [Action] {
        updateWeakSignal(settings, status, nowSeconds)
        guard let status else { problem = nil; return [] }
        guard settings.connectionType == .gsm else {
            problem = nil
            // Back to LAN: the connection the station made is closed; one made by someone else stays.
            if connectedByStation && status.state == .connected { connectedByStation = false; return [.disconnect] }
            connectedByStation = false
            return []
        }
        if status.state == .failed { problem = .modemFailed; return [] }
        if status.state == .locked || (status.lock != .none && status.lock != .unknown) {
            return unlock(settings, status)
        }
        problem = nil
        if status.state == .disabled { return [.enable] }
        guard status.state >= .enabled else { return [] }
        var actions: [Action] = []
        if let bits = desiredModes(settings), status.allowedModes != bits, modesRequested != bits {
            modesRequested = bits  // asked once per value: a modem that refuses it is not asked again until the setting changes
            actions.append(.setModes(allowed: bits, preferred: 0))
        }
        if let operatorID = desiredOperator(settings), registerRequested != operatorID, status.operatorCode != operatorID || operatorID.isEmpty {
            registerRequested = operatorID
            actions.append(.register(operatorID: operatorID))
        }
        if settings.networkSelection == .manual, failedOperator != nil, failedOperator == settings.requestedOperator { problem = .registrationFailed }
        guard status.state != .connected else {
            retrySeconds = Self.firstRetrySeconds
            return actions
        }
        guard !settings.apn.isEmpty else { problem = .apnMissing; return actions }
        if status.isRegistered && status.state != .connecting && (nextConnectAt ?? nowSeconds) <= nowSeconds {
            nextConnectAt = nowSeconds + retrySeconds  // the next try when this one does not succeed meanwhile
            actions.append(.connect(ConnectRequest(apn: settings.apn, user: settings.user, password: settings.password,
                                                   allowedAuth: settings.authentication.allowedAuthBits)))
        }
        return actions
    }

    /// The outcome of ``Action/sendPIN(_:)``.
    public mutating func pinResult(accepted: Bool) {
        pinRejected = !accepted
        if !accepted { problem = .pinRejected }
    }

    /// The outcome of ``Action/connect(_:)``.
    public mutating func connectResult(succeeded: Bool, nowSeconds: Double) {
        if succeeded {
            connectedByStation = true
            retrySeconds = Self.firstRetrySeconds
            nextConnectAt = nil
            if problem == .connectFailed { problem = nil }
        } else {
            problem = .connectFailed
            nextConnectAt = nowSeconds + retrySeconds
            retrySeconds = min(retrySeconds * 2, Self.maxRetrySeconds)
        }
    }

    /// The outcome of ``Action/register(operatorID:)``: in Manual/Auto a failed manual registration falls back to
    /// automatic selection (seeds/004 "Network selection mode").
    public mutating func registerResult(succeeded: Bool) {
        if !succeeded, let id = registerRequested, !id.isEmpty { failedOperator = id }
        if succeeded, registerRequested == failedOperator { failedOperator = nil }
    }

    private mutating func unlock(_ settings: MobileSettings, _ status: ModemStatus) -> [Action] {
        switch status.lock {
        case .simPIN:
            if settings.pin.isEmpty { problem = .pinNeeded; return [] }
            if settings.pin == pinTried {  // this value was sent: accepted (the lock will go) or refused (never again)
                problem = pinRejected ? .pinRejected : nil
                return []
            }
            if let left = status.pinRetries, left <= 1 { problem = .pinLastAttempt; return [] }
            pinTried = settings.pin
            pinRejected = false
            problem = nil
            return [.sendPIN(settings.pin)]
        case .simPUK, .simPUK2:
            problem = .pukNeeded
        case .none, .unknown:
            problem = nil
        default:
            problem = .otherLock
        }
        return []
    }

    /// The operator to register with: the requested one in the manual modes (automatic after a failure in Manual/Auto);
    /// "" (automatic) once after a manual one was requested; nil when nothing is to be done.
    private func desiredOperator(_ settings: MobileSettings) -> String? {
        switch settings.networkSelection {
        case .manual where !settings.requestedOperator.isEmpty:
            return settings.requestedOperator
        case .manualThenAutomatic where !settings.requestedOperator.isEmpty:
            return failedOperator == settings.requestedOperator ? "" : settings.requestedOperator
        default:
            return registerRequested.map { $0.isEmpty ? nil : "" } ?? nil
        }
    }

    /// MM_MODEM_MODE_ANY: every mode the modem supports.
    public static let anyModeBits: UInt32 = 0xFFFF_FFFF

    /// The modes to ask for: the chosen technology; in Auto, "any" only after the station had narrowed them (a modem
    /// nobody narrowed keeps its own configuration); nil when nothing is to be asked.
    private func desiredModes(_ settings: MobileSettings) -> UInt32? {
        if let bits = settings.accessTechnology.modeBits { return bits }
        return modesRequested.map { _ in Self.anyModeBits }
    }

    private mutating func updateWeakSignal(_ settings: MobileSettings, _ status: ModemStatus?, _ now: Double) {
        guard settings.connectionType == .gsm, let status, status.state >= .enabled, let percent = status.signalPercent else {
            weakSince = nil; weakSignal = false
            return
        }
        if percent < settings.weakSignalThresholdPercent {
            let since = weakSince ?? now
            weakSince = since
            if now - since >= Self.weakSignalDelaySeconds { weakSignal = true }
        } else {
            weakSince = nil
            if percent >= settings.weakSignalThresholdPercent + Self.weakSignalHysteresisPercent { weakSignal = false }
        }
    }
}
