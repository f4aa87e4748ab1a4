#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// What the OMCCI registers of one connector show.
public struct OMCCIState: Sendable, Equatable {
    public var status: ConnectorStatus
    public var activeErrorIDs: [String]
    public var pilot: PilotState
    public var operative: Bool
    public var safeCurrentAmps: Double
    public var commTimeoutSeconds: Double
    public var hardwareLimitAmps: Double
    public var operatorLimitAmps: Double
    public var residualCurrent: ResidualCurrentReading
    public var relays: RelayState
    public var lockDetected: Bool
    public var meter: MeterReading
    public var signaledCurrentAmps: Double
    public var minimumCurrentAmps: Double
    public var sessionStart: Date?
    public var sessionEnergyWh: Double
    public var sessionDurationSeconds: Double
    public var sessionIdTag: String?
    public var lastSessionEnd: Date?
    public var evccid: String?
    public var vehicle: VehicleReport?
    public var hemsLimitAmps: Double
    public var allowUIDDisclose: Bool
    public var model: String
    /// Registers 600–635 (the station's, the same on every connector's port).
    public var dlm: DLMRegisters?
    /// Register 2000: the PV charge mode, 0 Fast, 1 Min+PV, 2 PV.
    public var chargeModeCode: Int = 0

    public init(status: ConnectorStatus, activeErrorIDs: [String], pilot: PilotState, operative: Bool, safeCurrentAmps: Double,
                commTimeoutSeconds: Double, hardwareLimitAmps: Double, operatorLimitAmps: Double, residualCurrent: ResidualCurrentReading,
                relays: RelayState, lockDetected: Bool, meter: MeterReading, signaledCurrentAmps: Double, minimumCurrentAmps: Double,
                sessionStart: Date?, sessionEnergyWh: Double, sessionDurationSeconds: Double, sessionIdTag: String?, lastSessionEnd: Date?,
                evccid: String?, vehicle: VehicleReport?, hemsLimitAmps: Double, allowUIDDisclose: Bool, model: String,
                dlm: DLMRegisters? = nil) {
        self.status = status; self.activeErrorIDs = activeErrorIDs; self.pilot = pilot; self.operative = operative
        self.safeCurrentAmps = safeCurrentAmps; self.commTimeoutSeconds = commTimeoutSeconds; self.hardwareLimitAmps = hardwareLimitAmps
        self.operatorLimitAmps = operatorLimitAmps; self.residualCurrent = residualCurrent; self.relays = relays
        self.lockDetected = lockDetected; self.meter = meter; self.signaledCurrentAmps = signaledCurrentAmps
        self.minimumCurrentAmps = minimumCurrentAmps; self.sessionStart = sessionStart; self.sessionEnergyWh = sessionEnergyWh
        self.sessionDurationSeconds = sessionDurationSeconds; self.sessionIdTag = sessionIdTag; self.lastSessionEnd = lastSessionEnd
        self.evccid = evccid; self.vehicle = vehicle; self.hemsLimitAmps = hemsLimitAmps; self.allowUIDDisclose = allowUIDDisclose
        self.model = model; self.dlm = dlm
    }
}

/// A write an energy manager made, after validation.
public enum OMCCIWrite: Sendable, Equatable {
    /// Register 124: make the connector operative (`true`) or inoperative.
    case availability(Bool)
    /// Register 131, A.
    case safeCurrent(Int)
    /// Register 132, s.
    case commTimeout(Int)
    /// Registers 613–615: the Operator EVSE Sub-Distribution Limit of one phase (0 = L1), A.
    case operatorSubDistribution(phase: Int, amps: Int)
    /// Register 1000, A (0 pauses).
    case hemsLimit(Int)
    /// Registers 1110–1119: acts like presenting that card.
    case idTag(String)
    /// Register 2000: the PV charge mode code (0 Fast, 1 Min+PV, 2 PV).
    case chargeMode(Int)
}

/// The values of Modbus registers 600–635 (seeds/000 MODBUS-REGISTERSATZ): the station's DLM mode, its limits, external
/// meter support, slaves connected, and the overall current applied and available per phase (the master's; 0 on a slave).
/// The station controller fills them (``OMCCIState/dlm``).
public struct DLMRegisters: Sendable, Equatable {
    public var mode: Int64
    public var subDistributionLimitAmps: PhaseValues
    public var operatorSubDistributionLimitAmps: PhaseValues
    public var externalMeterSupport: Bool
    public var slavesConnected: Int
    public var appliedAmps: PhaseValues
    public var availableAmps: PhaseValues

    public init(mode: Int64, subDistributionLimitAmps: PhaseValues, operatorSubDistributionLimitAmps: PhaseValues, externalMeterSupport: Bool,
                slavesConnected: Int, appliedAmps: PhaseValues, availableAmps: PhaseValues) {
        self.mode = mode; self.subDistributionLimitAmps = subDistributionLimitAmps
        self.operatorSubDistributionLimitAmps = operatorSubDistributionLimitAmps; self.externalMeterSupport = externalMeterSupport
        self.slavesConnected = slavesConnected; self.appliedAmps = appliedAmps; self.availableAmps = availableAmps
    }
}
