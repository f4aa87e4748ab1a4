#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The simulation port: what the local API's simulator routes and `chargekit sim` ask of a simulated board (plug a
/// vehicle, hold a card, inject a fault), beside the hardware port every board implements. A real board has none of it.

/// Simulator commands of the local API (`/api/sim/…`), used by `chargekit sim` and tests.
/// A command of the simulator (`POST /api/sim/…`, `chargekit sim …`).
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
    /// What the station's own ISO 15118 session told a vehicle whose ISO 15118 side is external (`hlc: "external"`):
    /// not a route of the API — the station's runtime gives it when its SECC sees PowerDeliveryReq or the link fails.
    case vehicleSession(connector: Int, VehicleSessionSignal)
}

/// A step of the ISO 15118 session of a vehicle whose ISO 15118 side runs outside the simulator (a real EVCC such as
/// Josev's on the PLC interface): the simulated vehicle, which follows the pilot, closes S2 (state C) only after
/// PowerDeliveryReq Start, as ISO 15118-2:2014 §8.7.3.1 and [V2G2-847] have it, opens it after Stop, and charges by the
/// PWM alone once the link failed (ISO 15118-3:2015 §7.7 basic charging).
public enum VehicleSessionSignal: String, Sendable, Codable, Equatable {
    case powerDeliveryStart
    case powerDeliveryStop
    case linkFailed
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
    /// "external": the vehicle's ISO 15118 side is a real EVCC on the connector's PLC interface (board description
    /// `plcInterface`); the simulated vehicle follows the pilot and goes to state C after PowerDelivery Start.
    public var hlc: String?
    /// A Plug & Charge vehicle: its contract certificate chain in PEM (leaf first, CN = eMAID). Until the SECC exists
    /// the simulation presents the contract to the backend itself once the vehicle is plugged.
    public var contractCertificateChain: String?
    /// A vehicle that asks for a contract certificate: its CertificateInstallationReq (EXI, base64, ISO 15118-2:2014
    /// §8.4.3.11), which the simulation relays to the backend after the plug (Get15118EVCertificate).
    public var certificateInstallationRequest: String?

    public init(connector: Int, ev: String? = nil, phases: Int? = nil, maxCurrentAmps: Double? = nil, batteryCapacityWh: Double? = nil,
                stateOfChargePercent: Double? = nil, targetStateOfChargePercent: Double? = nil, reactionDelaySeconds: Double? = nil,
                ventilation: Bool? = nil, evccid: String? = nil, contractCertificateChain: String? = nil,
                certificateInstallationRequest: String? = nil, hlc: String? = nil) {
        self.hlc = hlc
        self.contractCertificateChain = contractCertificateChain; self.certificateInstallationRequest = certificateInstallationRequest
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

/// A phase-switch command as the simulated board saw it: when, to how many phases, the state of the main contactors
/// then, and why it was refused (nil: carried out).
public struct PhaseSwitchRecord: Sendable, Codable, Equatable {
    public var time: Date
    public var phases: Int
    public var relays: RelayState
    public var refused: String?
    public init(time: Date, phases: Int, relays: RelayState, refused: String? = nil) {
        self.time = time; self.phases = phases; self.relays = relays; self.refused = refused
    }
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
        /// The phases the simulated phase-switching contactor feeds (nil: the connector has none, or is wired 1-phase).
        public var switchedPhases: Int?
        /// The latest phase-switch commands the board received, oldest first: what it did and what it refused.
        public var phaseSwitches: [PhaseSwitchRecord]?
        public init(id: Int, vehicle: Vehicle?, faults: [String], currentA: PhaseValues, energyWh: Double,
                    switchedPhases: Int? = nil, phaseSwitches: [PhaseSwitchRecord]? = nil) {
            self.id = id; self.vehicle = vehicle; self.faults = faults; self.currentA = currentA; self.energyWh = energyWh
            self.switchedPhases = switchedPhases; self.phaseSwitches = phaseSwitches
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


/// The simulator side of the local API, implemented by the runtime when its board is simulated.
public protocol SimulatorControl: Sendable {
    func simulatorStatus() async -> SimulatorStatus
    func perform(_ command: SimulatorCommand) async throws(SimulatorCommandError)
}

/// A board that simulates the hardware and its vehicles: it takes the simulator's commands and reports their state.
/// Its physics runs on monotonic time (``HardwarePort/advance(to:)``).
public protocol SimulatedHardware: HardwarePort {
    mutating func perform(_ command: SimulatorCommand) throws(SimulatorCommandError)
    func simulatorStatus(timeScale: Double) -> SimulatorStatus
}
