#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How a user or process was authorized to charge.
public enum AuthorizationMethod: String, Sendable, Codable, CaseIterable, Equatable {
    /// An RFID card was presented.
    case rfid = "RFID"
    /// Free charging: no identification (seeds/004 §5.2).
    case freeCharging = "FreeCharging"
    /// Started remotely (backend RemoteStart, local API).
    case remote = "Remote"
    /// Authorization by the digital input (`INPUT_AUTH`, seeds/004 §5.5).
    case digitalInput = "DigitalInput"
    /// The vehicle's MAC / EVCCID (Autocharge, seeds/000).
    case autocharge = "Autocharge"
    /// Started on plug-in without identification ("If in doubt allow charging: ImmediatelyOnPlugIn").
    case plugIn = "PlugIn"
    /// An energy manager wrote the identifier to Modbus registers 1110–1119 (seeds/000).
    case modbus = "Modbus"
    /// An MQTT client published the identifier on a connector's start or stop command topic (MQTTAllowStartStop).
    case mqtt = "MQTT"
    /// ISO 15118 Plug & Charge: the vehicle's contract (eMAID), authorized by the backend through the OCA application
    /// note "Using ISO 15118 Plug & Charge with OCPP 1.6" v1.0.
    case plugAndCharge = "PlugAndCharge"
}

/// Why a session ended. The raw values are the reason names of OCPP 1.6 StopTransaction so that the
/// OCPP layer can pass them through, but no OCPP type is involved here.
///
/// - SeeAlso: seeds/004 §4 "Restart transaction after power loss"; OCPP 1.6 §7.41 Reason.
public enum StopReason: String, Sendable, Codable, CaseIterable, Equatable {
    case deAuthorized = "DeAuthorized"
    case emergencyStop = "EmergencyStop"
    case evDisconnected = "EVDisconnected"
    case hardReset = "HardReset"
    case local = "Local"
    case other = "Other"
    case powerLoss = "PowerLoss"
    case reboot = "Reboot"
    case remote = "Remote"
    case softReset = "SoftReset"
    case unlockCommand = "UnlockCommand"
}

/// Where an authorization came from.
public enum AuthorizationSource: String, Sendable, Codable, CaseIterable {
    case localWhitelist
    case localList
    case cache
    case backend
    case freeCharging
    /// AllowOfflineTxForUnknownId.
    case offlineUnknown
    /// "If in doubt allow charging": to be confirmed by the backend later.
    case ifInDoubt
    case masterRFID
}

/// A granted authorization, waiting for a vehicle or carried by a session.
public struct Authorization: Sendable, Codable, Equatable {
    /// The identifier the transaction carries (may be a fixed free charging tag).
    public var idTag: String
    public var method: AuthorizationMethod
    public var authorizedAt: Date
    /// The identifier that was presented (card UID, MAC, INPUT_AUTH), if any.
    public var presentedIdTag: String?
    /// The group (OCPP parentIdTag) of the identifier.
    public var parentIdTag: String?
    public var source: AuthorizationSource?
    /// The backend must still confirm the identifier ("If in doubt allow charging").
    public var provisional: Bool
    /// The reservation this authorization uses (OCPP 1.6 §5.13); the transaction ends it.
    public var reservationID: Int?
    /// The session becomes a transaction of the backend (StartTransaction, MeterValues, StopTransaction). Free charging
    /// "No OCPP" and the two "With OCPP status notif …" modes charge without one: the backend sees only the
    /// connector's StatusNotifications (seeds/004 §5.2, modes 1–3).
    public var backendTransaction: Bool

    public init(idTag: String, method: AuthorizationMethod, authorizedAt: Date, presentedIdTag: String? = nil,
                parentIdTag: String? = nil, source: AuthorizationSource? = nil, provisional: Bool = false, reservationID: Int? = nil,
                backendTransaction: Bool = true) {
        self.idTag = idTag; self.method = method; self.authorizedAt = authorizedAt; self.presentedIdTag = presentedIdTag
        self.parentIdTag = parentIdTag; self.source = source; self.provisional = provisional; self.reservationID = reservationID
        self.backendTransaction = backendTransaction
    }
}

/// A charging session (transaction) on one connector.
public struct ChargingSession: Sendable, Codable, Equatable, Identifiable {
    public var id: UUID
    public var connector: Int
    public var idTag: String
    public var method: AuthorizationMethod
    public var startedAt: Date
    /// Meter register at start, in Wh.
    public var meterStartWh: Double
    /// The identifier that was presented, if it differs from `idTag` or none was (free charging).
    public var presentedIdTag: String?
    public var parentIdTag: String?
    public var source: AuthorizationSource?
    public var provisional: Bool
    /// The reservation the session ended (OCPP StartTransaction.reservationId).
    public var reservationID: Int?
    /// The backend sees the session as a transaction (see ``Authorization/backendTransaction``).
    public var backendTransaction: Bool

    public init(id: UUID, connector: Int, idTag: String, method: AuthorizationMethod, startedAt: Date, meterStartWh: Double,
                presentedIdTag: String? = nil, parentIdTag: String? = nil, source: AuthorizationSource? = nil, provisional: Bool = false,
                reservationID: Int? = nil, backendTransaction: Bool = true) {
        self.id = id; self.connector = connector; self.idTag = idTag; self.method = method
        self.startedAt = startedAt; self.meterStartWh = meterStartWh; self.presentedIdTag = presentedIdTag
        self.parentIdTag = parentIdTag; self.source = source; self.provisional = provisional; self.reservationID = reservationID
        self.backendTransaction = backendTransaction
    }

    /// The authorization the session was started with.
    public var authorization: Authorization {
        Authorization(idTag: idTag, method: method, authorizedAt: startedAt, presentedIdTag: presentedIdTag, parentIdTag: parentIdTag,
                      source: source, provisional: provisional, reservationID: reservationID, backendTransaction: backendTransaction)
    }
}

/// State of the session machine.
public enum SessionState: Sendable, Equatable {
    case idle
    /// Authorized, waiting up to `deadline` for a vehicle to connect ("Vehicle connection timeout").
    case awaitingVehicle(Authorization, deadline: Date)
    case active(ChargingSession)
}

/// What the session machine asks its owner to do.
public enum SessionAction: Sendable, Equatable {
    /// Persist the new session, then tell the connector a transaction started.
    case start(ChargingSession)
    /// Persist the end of the session, then tell the connector the transaction stopped.
    case stop(ChargingSession, reason: StopReason, at: Date, meterStopWh: Double)
    /// An authorization now waits for a vehicle until the deadline.
    case awaitVehicle(Authorization, deadline: Date)
    /// The authorization expired before a vehicle connected.
    case authorizationExpired(Authorization)
}

/// The charging-session state machine of one connector: authorization → vehicle → transaction → end.
///
/// - SeeAlso: seeds/004 §5.1 "Vehicle connection timeout" (default 45 s): after authorization the user
///   must connect the vehicle within this period, otherwise the authorization expires.
/// - SeeAlso: seeds/004 §5.1 "Stop Transaction Mode" Normal: unplugging or presenting the same card
///   again ends the transaction.
public struct SessionStateMachine: Sendable, Equatable {
    public let connector: Int
    public private(set) var state: SessionState = .idle
    /// seeds/004 §5.1 "Vehicle connection timeout".
    public var vehicleConnectionTimeout: Duration

    public init(connector: Int, vehicleConnectionTimeout: Duration = .seconds(45)) {
        self.connector = connector
        self.vehicleConnectionTimeout = vehicleConnectionTimeout
    }

    /// The running session, if any.
    public var activeSession: ChargingSession? {
        if case .active(let s) = state { return s }
        return nil
    }

    /// A user was authorized. Starts a session at once when a vehicle is connected; otherwise waits.
    public mutating func authorize(_ auth: Authorization, vehicleConnected: Bool, meterWh: Double, newID: UUID) -> [SessionAction] {
        switch state {
        case .idle, .awaitingVehicle:
            if vehicleConnected { return start(auth, meterWh: meterWh, id: newID) }
            let deadline = auth.authorizedAt.addingTimeInterval(vehicleConnectionTimeout.seconds)
            state = .awaitingVehicle(auth, deadline: deadline)
            return [.awaitVehicle(auth, deadline: deadline)]
        case .active:
            return []
        }
    }

    /// A vehicle connected: starts the session when an authorization is waiting.
    public mutating func vehicleConnected(now: Date, meterWh: Double, newID: UUID) -> [SessionAction] {
        guard case .awaitingVehicle(var auth, _) = state else { return [] }
        auth.authorizedAt = now
        return start(auth, meterWh: meterWh, id: newID)
    }

    /// Ends the running session for `reason`. A session never ends before it started: after the wall clock was stepped
    /// back during the session (backend time, browser) the stop is dated at its start, so that no StopTransaction
    /// precedes its StartTransaction and no duration is negative (issue 20 item 9).
    public mutating func stop(reason: StopReason, now: Date, meterWh: Double) -> [SessionAction] {
        switch state {
        case .active(let s):
            state = .idle
            return [.stop(s, reason: reason, at: max(now, s.startedAt), meterStopWh: max(meterWh, s.meterStartWh))]
        case .awaitingVehicle(let auth, _):
            state = .idle
            return [.authorizationExpired(auth)]
        case .idle:
            return []
        }
    }

    /// Lets the authorization expire once the vehicle connection timeout has passed.
    /// The wall clock stepped by `seconds`: the vehicle connection deadline keeps its remaining time.
    public mutating func shiftTimers(by seconds: Double) {
        if case .awaitingVehicle(let authorization, let deadline) = state {
            state = .awaitingVehicle(authorization, deadline: deadline.addingTimeInterval(seconds))
        }
    }

    public mutating func tick(now: Date) -> [SessionAction] {
        if case .awaitingVehicle(let auth, let deadline) = state, now >= deadline {
            state = .idle
            return [.authorizationExpired(auth)]
        }
        return []
    }

    /// Restores a session that was running before a restart.
    public mutating func resume(_ session: ChargingSession) {
        state = .active(session)
    }

    private mutating func start(_ auth: Authorization, meterWh: Double, id: UUID) -> [SessionAction] {
        let s = ChargingSession(id: id, connector: connector, idTag: auth.idTag, method: auth.method,
                                startedAt: auth.authorizedAt, meterStartWh: meterWh, presentedIdTag: auth.presentedIdTag,
                                parentIdTag: auth.parentIdTag, source: auth.source, provisional: auth.provisional,
                                reservationID: auth.reservationID, backendTransaction: auth.backendTransaction)
        state = .active(s)
        return [.start(s)]
    }
}

extension Duration {
    /// The duration in seconds as a floating-point number.
    public var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
