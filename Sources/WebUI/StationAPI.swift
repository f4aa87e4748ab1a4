import Foundation
import ChargePoint
import EVSECore

/// What the HTTP layer needs from the running station. The App target implements it.
public protocol StationService: AuthorizationService, HistoryService {
    func status() async -> StationSnapshot
    /// The newest sessions first, as history rows.
    func sessions(limit: Int) async throws -> [HistoryRow]
    func events(limit: Int) async throws -> [EventLogEntry]
    func parameters() async -> [ParameterView]
    func parameter(_ key: String) async throws -> ParameterView
    /// Changes a parameter; throws ``ParameterError`` for invalid changes.
    func setParameter(_ key: String, _ value: ParameterValue, role: Role, changedBy: String) async throws -> ParameterView
    /// A form's changes as typed: all or nothing; throws ``ParameterBatchError`` with every invalid field.
    func setParameters(_ changes: [(key: String, text: String)], role: Role, changedBy: String) async throws -> [ParameterView]
    func audit(limit: Int) async throws -> [ParameterAuditEntry]
    /// DLM master: removes one slave (nil: all, "Clear persistent DLM slave DB") and returns the removed ids.
    func removeDLMSlaves(_ id: String?) async throws -> [String]
    func systemInfo() async -> SystemInfo
    /// Stops the running sessions and restarts the station services (the kind decides what happens in between).
    func requestRestart(_ kind: StationRestart, by: String) async
    /// "Browser (only once)" time synchronization.
    func setClock(to time: Date, by: String) async throws(ClockSetError)
    /// The log download: the diagnostics files as a ZIP archive.
    func logArchive() async throws -> [UInt8]
}

/// The System page's facts (seeds/002 §1.6, seeds/004 §3 System).
public struct SystemInfo: Sendable, Codable, Equatable {
    public var stationVersion: String
    public var webInterfaceVersion: String
    public var operatingSystem: String
    public var time: Date
    /// IANA name of the site's time zone (parameter Timezone).
    public var timezone: String
    /// Parameter TimeSource: Heartbeat (backend) or NTP (system clock).
    public var timeSource: String
    public var backendConfigured: Bool
    public var lastClockSet: ClockSet?
    /// Simulated seconds per real second.
    public var timeScale: Double
    public var startedAt: Date

    public init(stationVersion: String, webInterfaceVersion: String, operatingSystem: String, time: Date, timezone: String,
                timeSource: String, backendConfigured: Bool, lastClockSet: ClockSet?, timeScale: Double, startedAt: Date) {
        self.stationVersion = stationVersion; self.webInterfaceVersion = webInterfaceVersion; self.operatingSystem = operatingSystem
        self.time = time; self.timezone = timezone; self.timeSource = timeSource; self.backendConfigured = backendConfigured
        self.lastClockSet = lastClockSet; self.timeScale = timeScale; self.startedAt = startedAt
    }
}

/// When and by how much the station clock was last set, and from where (backend, browser).
public struct ClockSet: Sendable, Codable, Equatable {
    public var at: Date
    public var movedSeconds: Double
    public var source: String
    public init(at: Date, movedSeconds: Double, source: String) { self.at = at; self.movedSeconds = movedSeconds; self.source = source }
}

/// The browser's time was refused.
public struct ClockSetError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// How the station services restart (seeds/002 §1.2 user menu "Restart Daemon" / "Reboot System", System → factory
/// reset; OCPP Reset).
public enum StationRestart: String, Sendable, Equatable {
    /// The station services stop (everything persisted) and start again in the same process.
    case services
    /// The controller reboots: the configured reboot command runs after the services stopped; without one, the
    /// services restart like ``services``.
    case reboot
    /// Every setting back to its default, the whitelists, OCPP lists, reservations, charging profiles and the DLM slave
    /// DB emptied; the charging history, the event log, undelivered transaction messages and the accounts are kept.
    case factoryReset
}

/// Simulator commands of the local API (`/api/sim/…`), used by `chargekit sim` and tests.
public enum SimulatorCommand: Sendable, Equatable {
    /// Plug a vehicle into `connector`. `profile` names an EV profile (e.g. `3p-16a`); the other fields
    /// override single properties.
    case plug(PlugRequest)
    case unplug(connector: Int, force: Bool)
    /// Hold a card to the reader; `secure` for a card read with secure messaging.
    case rfid(uid: String, secure: Bool)
    case fault(fault: String, connector: Int?, active: Bool)
    case input(name: String, on: Bool)
    /// Change the state of charge at which the vehicle on `connector` stops charging.
    case target(connector: Int, stateOfChargePercent: Double)
}

/// Body of `POST /api/sim/plug`.
public struct PlugRequest: Sendable, Codable, Equatable {
    public var connector: Int
    public var ev: String?
    public var phases: Int?
    public var maxCurrentAmps: Double?
    public var batteryCapacityWh: Double?
    public var stateOfChargePercent: Double?
    public var targetStateOfChargePercent: Double?
    public var reactionDelaySeconds: Double?
    public var ventilation: Bool?
    public var evccid: String?

    public init(connector: Int, ev: String? = nil, phases: Int? = nil, maxCurrentAmps: Double? = nil, batteryCapacityWh: Double? = nil,
                stateOfChargePercent: Double? = nil, targetStateOfChargePercent: Double? = nil, reactionDelaySeconds: Double? = nil,
                ventilation: Bool? = nil, evccid: String? = nil) {
        self.connector = connector; self.ev = ev; self.phases = phases; self.maxCurrentAmps = maxCurrentAmps
        self.batteryCapacityWh = batteryCapacityWh; self.stateOfChargePercent = stateOfChargePercent
        self.targetStateOfChargePercent = targetStateOfChargePercent; self.reactionDelaySeconds = reactionDelaySeconds
        self.ventilation = ventilation; self.evccid = evccid
    }
}

/// A simulator command that could not be carried out.
public struct SimulatorCommandError: Error, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A value is invalid (HTTP 400).
        case invalid
        /// No such connector (HTTP 404).
        case notFound
        /// The command does not fit the current state (HTTP 409).
        case conflict
    }
    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) { self.kind = kind; self.message = message }
}

/// The simulator's state for `GET /api/sim`.
public struct SimulatorStatus: Sendable, Codable, Equatable {
    public struct Vehicle: Sendable, Codable, Equatable {
        public var phases: Int
        public var maxCurrentAmps: Double
        public var batteryCapacityWh: Double
        public var stateOfChargePercent: Double
        public var targetStateOfChargePercent: Double
        public var pilot: PilotState
        public var ventilation: Bool
        public var evccid: String?
        public init(phases: Int, maxCurrentAmps: Double, batteryCapacityWh: Double, stateOfChargePercent: Double,
                    targetStateOfChargePercent: Double, pilot: PilotState, ventilation: Bool, evccid: String?) {
            self.phases = phases; self.maxCurrentAmps = maxCurrentAmps; self.batteryCapacityWh = batteryCapacityWh
            self.stateOfChargePercent = stateOfChargePercent; self.targetStateOfChargePercent = targetStateOfChargePercent
            self.pilot = pilot; self.ventilation = ventilation; self.evccid = evccid
        }
    }
    public struct Connector: Sendable, Codable, Equatable {
        public var id: Int
        public var vehicle: Vehicle?
        public var faults: [String]
        public var currentA: PhaseValues
        public var energyWh: Double
        public init(id: Int, vehicle: Vehicle?, faults: [String], currentA: PhaseValues, energyWh: Double) {
            self.id = id; self.vehicle = vehicle; self.faults = faults; self.currentA = currentA; self.energyWh = energyWh
        }
    }
    public var time: Date
    public var timeScale: Double
    public var rfidReaderFault: Bool
    public var inputs: [String: Bool]
    public var connectors: [Connector]
    /// The faults `POST /api/sim/fault` injects, and those of them that concern the whole station.
    public var availableFaults: [String]
    public var stationFaults: [String]
    /// Whether the mains supply is lost (fault `power`).
    public var powerLost: Bool
    public init(time: Date, timeScale: Double, rfidReaderFault: Bool, inputs: [String: Bool], connectors: [Connector],
                availableFaults: [String], stationFaults: [String], powerLost: Bool) {
        self.time = time; self.timeScale = timeScale; self.rfidReaderFault = rfidReaderFault; self.inputs = inputs
        self.connectors = connectors; self.availableFaults = availableFaults; self.stationFaults = stationFaults; self.powerLost = powerLost
    }
}

/// The simulator side of the local API.
public protocol SimulatorControl: Sendable {
    func simulatorStatus() async -> SimulatorStatus
    func perform(_ command: SimulatorCommand) async throws(SimulatorCommandError)
}
