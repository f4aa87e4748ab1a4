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
    public init(time: Date, timeScale: Double, rfidReaderFault: Bool, inputs: [String: Bool], connectors: [Connector]) {
        self.time = time; self.timeScale = timeScale; self.rfidReaderFault = rfidReaderFault; self.inputs = inputs
        self.connectors = connectors
    }
}

/// The simulator side of the local API.
public protocol SimulatorControl: Sendable {
    func simulatorStatus() async -> SimulatorStatus
    func perform(_ command: SimulatorCommand) async throws(SimulatorCommandError)
}
