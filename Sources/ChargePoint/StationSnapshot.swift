#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import LoadManagement
import SEMP
import StationModbus

/// The station's state as the local status API returns it.
public struct StationSnapshot: Sendable, Codable, Equatable {
    public var chargeBoxIdentity: String
    public var serialNumber: String
    public var time: Date
    public var startedAt: Date
    public var activeErrors: [ActiveErrorView]
    /// Levels of the digital inputs ("Opto 1 In", input 2).
    public var inputs: [String: Bool]
    /// The grid (second) meter, when one is configured.
    public var gridMeter: GridMeterState?
    /// Dynamic load management when this station is the master: the last allocation.
    public var dlm: DLMStatus?
    public var connectors: [ConnectorSnapshot]
    /// The OCPP backend connection (nil: no backend configured); filled in by the runtime that owns the link.
    public var backend: BackendStatus?
    /// The link to a real board (nil: the simulator); filled in by the runtime that owns the board.
    public var boardLink: BoardLinkStatus? = nil
}

/// The backend connection for the dashboard and the status API (seeds/004 §3 "Backend connection").
public struct BackendStatus: Sendable, Codable, Equatable {
    public var url: String
    public var connected: Bool
    /// BootNotification result: unknown, pending, accepted or rejected.
    public var registration: String
    public var lastHeartbeatAt: Date?
    public var nextHeartbeatAt: Date?
    /// Transaction messages persisted and not yet confirmed by the backend.
    public var queuedTransactionMessages: Int

    public init(url: String, connected: Bool, registration: String, lastHeartbeatAt: Date?, nextHeartbeatAt: Date?,
                queuedTransactionMessages: Int) {
        self.url = url; self.connected = connected; self.registration = registration; self.lastHeartbeatAt = lastHeartbeatAt
        self.nextHeartbeatAt = nextHeartbeatAt; self.queuedTransactionMessages = queuedTransactionMessages
    }
}

/// Dynamic load management for the status API and the dashboard: the master's allocation and slaves, or the slave's
/// master and grants.
public struct DLMStatus: Sendable, Codable, Equatable {
    public var mode: DLMMode
    public var networkId: Int
    /// The LAN link runs (a key is set and, for a Fixed-IP slave, the master's address).
    public var linkRunning: Bool
    public var lastRun: Date?
    /// Master: the time between its last two allocations (the DLM cycle time).
    public var cycleSeconds: Double?
    /// Per grid phase: what the site has for the vehicles and what is given out.
    public var availableAmps: PhaseValues
    public var appliedAmps: PhaseValues
    public var grants: [DLMGrant]
    /// Configuration warnings (e.g. the Disconnected Limits add up to more than the site allows, seeds/004 §7.7).
    public var warnings: [String]
    /// Master: every known slave (the persistent DLM slave DB).
    public var slaves: [DLMSlaveView]?
    /// Master: the sum of the slaves' Disconnected Limits per grid phase.
    public var disconnectedLimitSumAmps: PhaseValues?
    /// Slave: its master.
    public var master: DLMMasterView?

    public init(mode: DLMMode, networkId: Int, linkRunning: Bool, lastRun: Date?, availableAmps: PhaseValues, appliedAmps: PhaseValues,
                grants: [DLMGrant], warnings: [String]) {
        self.mode = mode; self.networkId = networkId; self.linkRunning = linkRunning; self.lastRun = lastRun
        self.availableAmps = availableAmps; self.appliedAmps = appliedAmps; self.grants = grants; self.warnings = warnings
    }
}

/// A slave as the master's dashboard shows it.
public struct DLMSlaveView: Sendable, Codable, Equatable {
    public var id: String
    public var address: String
    /// It reported within three sample periods; otherwise its current stays reserved.
    public var connected: Bool
    public var firstSeen: Date
    public var lastSeen: Date
    public var disconnectedLimitAmps: Double
    public var connectors: [DLMSlaveConnectorView]
}

public struct DLMSlaveConnectorView: Sendable, Codable, Equatable {
    public var connector: Int
    /// The OCPP status the slave reported.
    public var status: String
    public var rotation: PhaseRotation
    public var demanding: Bool
    public var measuredAmps: PhaseValues
    public var grantAmps: Double
    public var reason: DLMGrantReason?
}

/// A slave's view of its master.
public struct DLMMasterView: Sendable, Codable, Equatable {
    public var id: String?
    public var address: String?
    /// Grants hold (the master answered within three sample periods).
    public var connected: Bool
    public var lastGrants: Date?
    public var grantsAmps: [Double]?
    public var validUntil: Date?
    public var disconnectedLimitAmps: Double
}

/// The grid meter's state: the input (and fallback signal) of load management.
public struct GridMeterState: Sendable, Codable, Equatable {
    public var model: MeterModel?
    /// False after the configured number of failed polls: load management must use its fallback.
    public var communicating: Bool
    /// The last good reading (kept while the meter fails).
    public var reading: MeterReading?
    public var updatedAt: Date
    /// What the house connection leaves for the vehicles per grid phase, on a station that divides it itself (External
    /// Meter Support On, no DLM role; seeds/000 "Externen Zähler einbinden"); nil otherwise.
    public var availableAmps: PhaseValues? = nil
}

/// An active error with its catalogue texts.
public struct ActiveErrorView: Sendable, Codable, Equatable {
    public var id: String
    public var code: String
    public var connector: Int
    public var since: Date
    public var message: String
    public var stopsCharging: Bool

    public init(_ e: ActiveError) {
        let d = e.definition
        id = e.id; code = d?.code ?? e.id; connector = e.connector; since = e.since
        message = d?.activationMessage ?? e.id; stopsCharging = d?.stopsCharging ?? true
    }
}

/// The pilot signal in API form: kind, duty cycle and signaled current.
public struct PilotSignalView: Sendable, Codable, Equatable {
    /// "off" (+12 V), "pwm", "hlc" (5 %, limit communicated digitally) or "stateF" (−12 V).
    public var kind: String
    public var dutyPercent: Double
    public var signaledCurrentAmps: Double

    public init(_ s: PilotSignal) {
        switch s {
        case .off: kind = "off"
        case .pwm: kind = "pwm"
        case .highLevelCommunication: kind = "hlc"
        case .stateF: kind = "stateF"
        }
        dutyPercent = (s.dutyPercent * 100).rounded() / 100
        signaledCurrentAmps = s.signaledAmps
    }
}

/// An authorization that waits for a vehicle.
public struct AuthorizationView: Sendable, Codable, Equatable {
    public var idTag: String
    public var method: AuthorizationMethod
    public var expiresAt: Date
}

/// A running session.
public struct ActiveSessionView: Sendable, Codable, Equatable {
    public var id: UUID
    public var idTag: String
    public var method: AuthorizationMethod
    /// Where the authorization came from (local whitelist, cache, backend, free charging, …).
    public var source: AuthorizationSource?
    /// The presented identifier when it differs from `idTag` (fixed free charging tag).
    public var presentedIdTag: String?
    /// The backend must still confirm the identifier.
    public var provisional: Bool
    public var startedAt: Date
    public var meterStartWh: Double
    public var energyWh: Double
    public var durationSeconds: Double
}

/// One connector's state.
public struct ConnectorSnapshot: Sendable, Codable, Equatable {
    public var id: Int
    public var status: ConnectorStatus
    public var pilotState: PilotState
    public var pilotSignal: PilotSignalView
    public var relays: RelayState
    public var relayFeedback: RelayState
    public var lockCommanded: Bool
    public var lockDetected: Bool
    /// The current the connector may offer and which limit binds it.
    public var currentLimit: CurrentLimit
    public var meter: MeterReading
    public var residualCurrent: ResidualCurrentReading
    public var evccid: String?
    public var awaitingVehicle: AuthorizationView?
    public var session: ActiveSessionView?
    /// Min+PV or PV mode: the surplus controller's limit and why (nil in Fast mode).
    public var pvSurplus: SurplusDecision?
    /// SMA interface On with charge mode Surplus: the Sunny Home Manager's limit and why (nil otherwise).
    public var semp: SEMPDecision? = nil
    /// EEBUS On: the energy manager's limit on this connector and why (LPC, its failsafe, OPEV, OSCEV; nil when it sets
    /// none).
    public var eebus: EEBUSLimitView? = nil
    /// The phase-switching contactor's phases and a switch under way (nil when the board has no such contactor or the
    /// connector is wired for one phase; issue 25 item 3).
    public var phaseSwitch: PhaseSwitchView? = nil
    /// The public key of the connector's signing meter (hex DER SubjectPublicKeyInfo, as the OCPP key MeterPublicKey<N>
    /// reports it); nil when the meter does not sign or its key cannot be read (issue 28 item 6).
    public var meterPublicKey: String? = nil
    /// What the connector's LEDs show (issue 22 item 5; seeds/004 §6), whatever the board.
    public var leds: LEDIndication? = nil
}

/// The energy manager's limit on a connector (EEBUS), as `/api/status` and the dashboard show it.
public struct EEBUSLimitView: Sendable, Codable, Equatable {
    /// Per grid phase L1, L2, L3, A.
    public var gridPhaseAmps: [Double]
    public var reason: String
    public init(gridPhaseAmps: [Double], reason: String) {
        self.gridPhaseAmps = gridPhaseAmps
        self.reason = reason
    }
}
