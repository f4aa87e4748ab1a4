#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The operational status of a connector. The names match the connector states the seeds and OCPP
/// 1.6 §4.9 use, but this type carries no OCPP dependency.
///
/// - SeeAlso: seeds/000 register 104 "OCPP CP Status"; seeds/004 §4 "Strategy for StatusNotification".
public enum ConnectorStatus: String, Sendable, Codable, CaseIterable, Equatable {
    case available = "Available"
    case preparing = "Preparing"
    case charging = "Charging"
    case suspendedEV = "SuspendedEV"
    case suspendedEVSE = "SuspendedEVSE"
    case finishing = "Finishing"
    case reserved = "Reserved"
    case unavailable = "Unavailable"
    case faulted = "Faulted"
}

/// Events that drive a connector.
public enum ConnectorEvent: Sendable, Equatable {
    /// The measured pilot state changed.
    case pilotChanged(PilotState)
    /// A user was authorized on this connector before a vehicle is charging (card first, or plug first).
    case authorized
    /// The authorization given without a vehicle expired or was withdrawn.
    case authorizationEnded
    /// A transaction started (persisted) on this connector.
    case transactionStarted
    /// The transaction ended (persisted).
    case transactionStopped
    /// The current the connector may offer changed (amperes; below 6 A means none).
    case currentLimitChanged(amps: Double)
    /// The set of active errors that stop charging became non-empty (`true`) or empty (`false`).
    case faulted(Bool)
    /// The connector was made operative (`true`) or inoperative (`false`).
    case setOperative(Bool)
    /// Unlock the plug now (OCPP UnlockConnector); it stays unlocked until the vehicle is unplugged.
    case unlockRequested
    /// A reservation started (`true`) or ended (`false`).
    case reserved(Bool)
    /// Signal the 5 % duty cycle (ISO 15118 high-level communication) instead of nominal PWM while a
    /// transaction offers current (`true`), or nominal PWM again (`false`).
    case highLevelCommunication(Bool)
    /// Wake a sleeping vehicle: state F on the pilot while `true` (IEC 61851-1:2017 A.5.3 optional wake-up).
    case wakeUpPulse(Bool)
    /// The vehicle paused its ISO 15118 session (D-LINK_PAUSE, ISO 15118-3:2015: the data link primitive D-LINK_PAUSE.request): while `true` the pilot stays
    /// at X1 (oscillator off) and the contactors open, also when the vehicle goes to state C to wake the station (the
    /// B-C-B toggle); `false` when it woke or left.
    case dataLinkPaused(Bool)
    /// While `true`, contactors that are closed stay closed after the current went below 6 A as long as the vehicle
    /// still requests energy: the vehicle stops drawing before the station opens them (the first steps of a phase
    /// switch, IEC 61851-1: no PWM, the vehicle reduces its current and goes to state B, then the contactors open).
    case holdContactors(Bool)
}

/// What the connector wants done on the hardware, or reports.
public enum ConnectorAction: Sendable, Equatable {
    case setPilot(PilotSignal)
    case setRelays(RelayState)
    case setLock(locked: Bool)
    case statusChanged(from: ConnectorStatus, to: ConnectorStatus)
}

/// The connector state machine: turns events (pilot changes, authorization, transaction, faults,
/// availability, current limit) into a ``ConnectorStatus`` and the pilot, contactor and plug-lock
/// commands that go with it. It does no I/O; every event method returns the actions to carry out.
///
/// Rules (IEC 61851-1 Annex A; seeds/004 §5.1 "Lock Actuator only if authorized"):
/// - PWM is offered only while a transaction runs and at least 6 A may be offered; otherwise the pilot is
///   constant +12 V, or −12 V (state F) while faulted.
/// - Contactors close only while a transaction runs, the vehicle requests energy (C/D), PWM is offered,
///   the connector is not faulted and the plug is locked (when the actuator is used).
/// - The plug is locked while a vehicle is connected and (a) a transaction or authorization exists, or
///   (b) "Lock Actuator only if authorized" is Off and no transaction has finished since plug-in.
public struct ConnectorStateMachine: Sendable, Equatable {
    /// Settings the machine needs.
    public struct Configuration: Sendable, Equatable {
        /// seeds/004 §5.1 "Lock Actuator only if authorized": On = lock only after authorization.
        public var lockOnlyIfAuthorized: Bool
        /// Contactors to close for charging: one phase or three.
        public var chargingRelays: RelayState
        /// Whether the socket has a lock actuator (a tethered cable has none).
        public var hasLockActuator: Bool

        public init(lockOnlyIfAuthorized: Bool = false, chargingRelays: RelayState = .threePhase, hasLockActuator: Bool = true) {
            self.lockOnlyIfAuthorized = lockOnlyIfAuthorized; self.chargingRelays = chargingRelays
            self.hasLockActuator = hasLockActuator
        }
    }

    public var configuration: Configuration
    public private(set) var status: ConnectorStatus = .available
    public private(set) var pilot: PilotState = .a
    public private(set) var hasTransaction = false
    public private(set) var authorizedWithoutTransaction = false
    public private(set) var offeredAmps: Double = 0
    public private(set) var isFaulted = false
    public private(set) var isOperative = true
    public private(set) var isReserved = false
    /// The 5 % duty cycle is signaled instead of nominal PWM (seeds/004 §7.3 ISO 15118 modes).
    public private(set) var highLevelCommunication = false
    /// A wake-up pulse (state F) is on the pilot.
    public private(set) var wakeUpPulse = false
    /// The vehicle's ISO 15118 session is paused (``ConnectorEvent/dataLinkPaused(_:)``).
    public private(set) var dataLinkPaused = false
    /// Closed contactors are held while the vehicle stops drawing (``ConnectorEvent/holdContactors(_:)``).
    public private(set) var holdingContactors = false
    /// A transaction ended while the vehicle stayed connected (→ Finishing until unplugged).
    public private(set) var finishedWhileConnected = false
    /// The vehicle has requested energy since the transaction started.
    public private(set) var hasRequestedEnergy = false
    /// An unlock was commanded while the vehicle stays connected (cleared on unplug).
    public private(set) var unlockCommanded = false
    /// The plug lock as last confirmed by the lock detect switch (fed by the controller).
    public var lockConfirmed = false

    public private(set) var pilotSignal: PilotSignal = .off
    public private(set) var relays: RelayState = .open
    public private(set) var lockCommanded = false

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Handles one event and returns the actions it causes, in the order to apply them
    /// (contactors open before the pilot changes; status last).
    public mutating func handle(_ event: ConnectorEvent) -> [ConnectorAction] {
        switch event {
        case .pilotChanged(let p):
            let wasConnected = pilot.vehicleConnected
            pilot = p
            if wasConnected && !p.vehicleConnected && p != .e {
                finishedWhileConnected = false
                unlockCommanded = false
                dataLinkPaused = false
            }
            if hasTransaction && p.requestsEnergy { hasRequestedEnergy = true }
        case .authorized:
            authorizedWithoutTransaction = true
        case .authorizationEnded:
            authorizedWithoutTransaction = false
        case .transactionStarted:
            hasTransaction = true
            unlockCommanded = false
            authorizedWithoutTransaction = false
            finishedWhileConnected = false
            hasRequestedEnergy = pilot.requestsEnergy
        case .transactionStopped:
            hasTransaction = false
            authorizedWithoutTransaction = false
            finishedWhileConnected = pilot.vehicleConnected
            hasRequestedEnergy = false
        case .currentLimitChanged(let amps):
            offeredAmps = amps >= PWM.minimumAmps ? min(amps, PWM.maximumAmps) : 0
        case .faulted(let f):
            isFaulted = f
        case .setOperative(let o):
            isOperative = o
        case .unlockRequested:
            unlockCommanded = pilot.vehicleConnected
        case .reserved(let r):
            isReserved = r
        case .highLevelCommunication(let on):
            highLevelCommunication = on
        case .wakeUpPulse(let on):
            wakeUpPulse = on
        case .dataLinkPaused(let on):
            dataLinkPaused = on && pilot.vehicleConnected
        case .holdContactors(let on):
            holdingContactors = on
        }
        return reconcile()
    }

    /// Re-evaluates outputs after the lock detect feedback changed.
    public mutating func lockFeedback(_ locked: Bool) -> [ConnectorAction] {
        lockConfirmed = locked
        return reconcile()
    }

    private var desiredLock: Bool {
        guard configuration.hasLockActuator, pilot.vehicleConnected, !unlockCommanded || hasTransaction else { return false }
        if hasTransaction || authorizedWithoutTransaction { return true }
        return !isFaulted && !configuration.lockOnlyIfAuthorized && !finishedWhileConnected
    }

    private var desiredPilot: PilotSignal {
        if isFaulted || (wakeUpPulse && hasTransaction) { return .stateF }
        if dataLinkPaused { return .off }
        if hasTransaction && offeredAmps >= PWM.minimumAmps {
            return highLevelCommunication ? .highLevelCommunication(amps: offeredAmps) : .pwm(amps: offeredAmps)
        }
        // 5 % before a session (ISO 15118-3 §7: digital communication required, nothing offered yet): the vehicle
        // begins its ISO 15118 session, which can authorize it (Autocharge, Plug & Charge) or wait for a card.
        if highLevelCommunication && !hasTransaction && pilot.vehicleConnected && !finishedWhileConnected {
            return .highLevelCommunication(amps: 0)
        }
        return .off
    }

    private var desiredRelays: RelayState {
        let lockOK = !configuration.hasLockActuator || lockConfirmed
        if hasTransaction, !isFaulted, !dataLinkPaused, pilot.requestsEnergy, offeredAmps >= PWM.minimumAmps, lockOK {
            return configuration.chargingRelays
        }
        if holdingContactors, relays.isClosed, hasTransaction, !isFaulted, !dataLinkPaused, pilot.requestsEnergy { return relays }
        return .open
    }

    /// The status that follows from the current inputs.
    public var derivedStatus: ConnectorStatus {
        if isFaulted { return .faulted }
        if hasTransaction {
            // The vehicle paused its session itself (a B-C-B wake-up toggle included).
            if dataLinkPaused { return .suspendedEV }
            if pilot.requestsEnergy {
                if relays.isClosed { return .charging }
                // Contactors stay open for lack of current (or a fault), or until the plug lock is confirmed.
                return offeredAmps < PWM.minimumAmps ? .suspendedEVSE : .preparing
            }
            if pilot == .b {
                if offeredAmps < PWM.minimumAmps { return .suspendedEVSE }
                return hasRequestedEnergy ? .suspendedEV : .preparing
            }
            // The transaction outlives the cable (Stop Transaction Mode "Only by RFID/RemoteStop").
            if pilot == .a { return .suspendedEV }
            return .preparing
        }
        if !isOperative { return .unavailable }
        if pilot.vehicleConnected { return finishedWhileConnected ? .finishing : .preparing }
        if authorizedWithoutTransaction { return .preparing }
        if isReserved { return .reserved }
        return .available
    }

    private mutating func reconcile() -> [ConnectorAction] {
        var actions: [ConnectorAction] = []
        let relaysWanted = desiredRelays
        // Open contactors before anything else changes; close them last.
        if relays != relaysWanted && !relaysWanted.isClosed {
            relays = relaysWanted; actions.append(.setRelays(relaysWanted))
        }
        let lockWanted = desiredLock
        if lockCommanded != lockWanted, lockWanted || !relays.isClosed {
            lockCommanded = lockWanted; actions.append(.setLock(locked: lockWanted))
        }
        let pilotWanted = desiredPilot
        if pilotSignal != pilotWanted {
            pilotSignal = pilotWanted; actions.append(.setPilot(pilotWanted))
        }
        if relays != relaysWanted && relaysWanted.isClosed {
            relays = relaysWanted; actions.append(.setRelays(relaysWanted))
        }
        let newStatus = derivedStatus
        if newStatus != status {
            actions.append(.statusChanged(from: status, to: newStatus))
            status = newStatus
        }
        return actions
    }
}
