#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import LoadManagement
import ModbusTCP
import StationModbus

/// An energy manager's control of the station over Modbus (seeds/000 MODBUS-REGISTERSATZ, the OMCCI set of seeds/001
/// §6.2) as a state machine: the HEMS limit of register 1000, the communication watchdog of registers 131/132 (after
/// "Modbus TCP Timeout" without a request the safe current applies), and the writes of a request — validated completely
/// before anything changes, then returned as actions.
public struct ModbusControl: Sendable, Equatable {
    struct Connector: Sendable, Equatable {
        /// The energy manager's limit (register 1000), 32 A until one writes it.
        var hemsLimitAmps: Double = 32
        /// An energy manager has written the HEMS limit since start (arms the communication watchdog).
        var hemsControlled = false
        /// The last Modbus request on this connector's port.
        var lastRequest: Date?
        /// Multi-register values written register by register, until complete (1110–1119).
        var registerWrites = OMCCIRegisterWrites()
    }

    /// What a write asks of the station, in the order of its registers.
    public enum Action: Sendable, Equatable {
        /// Store a parameter (131 safe current, 132 timeout, 613–615 Operator EVSE Sub-Distribution Limit): through the
        /// registry, with its audit trail; "modbus" changed it.
        case setParameter(key: String, ParameterValue)
        /// Register 124: make the connector operative or inoperative.
        case setOperative(connector: Int, Bool)
        /// Registers 1110–1119: as if that card were presented at the connector.
        case present(idTag: String, connector: Int)
        /// Register 1000 changed: the connector's limit chain must be evaluated again.
        case limitChanged(connector: Int)
    }

    var connectors: [Connector]

    public init(connectorCount: Int) { connectors = Array(repeating: Connector(), count: max(1, connectorCount)) }

    /// Any Modbus request arrived on connector `n`'s port (feeds the communication watchdog).
    public mutating func requested(connector n: Int, now: Date) {
        guard connectors.indices.contains(n - 1) else { return }
        connectors[n - 1].lastRequest = now
    }

    /// The energy manager's limit for connector `n`: the HEMS limit, or the safe current once the manager has been
    /// silent for the communication timeout (registers 131/132).
    public func limit(connector n: Int, _ m: ModbusSettings, now: Date) -> LimitInput {
        let c = connectors[n - 1]
        if m.commTimeoutSeconds > 0, c.hemsControlled, let last = c.lastRequest, now.timeIntervalSince(last) >= m.commTimeoutSeconds {
            return LimitInput(.modbusSafeCurrent, m.safeCurrentAmps)
        }
        return LimitInput(.hems, c.hemsLimitAmps)
    }

    /// The HEMS limit of connector `n` (register 1000).
    public func hemsLimitAmps(connector n: Int) -> Double { connectors[n - 1].hemsLimitAmps }

    /// A write request of `values` from `address` on connector `n`'s port. Every register is checked first — the map
    /// (02 for an address without a writable register), each value (03 out of its range; 01 for 1110–1119 while "Allow
    /// Modbus Start/Stop" is off and for 613–615 unless the station is a DLM master) and the Operator EVSE
    /// Sub-Distribution Limit against the EVSE Sub-Distribution Limit of its phase (03 above it) — and only then is
    /// anything changed. A multi-register value (1110–1119) may come register by register (``OMCCIRegisterWrites``):
    /// its pieces are answered at once and it acts when its last register is written; a write that completes a value
    /// found invalid is refused (03) and changes nothing: the pieces before it still wait (and time out).
    public mutating func write(address: UInt16, values: [UInt16], connector n: Int, _ settings: StationSettings,
                               now: Date) -> Result<[Action], ExceptionCode> {
        guard connectors.indices.contains(n - 1) else { return .failure(.illegalDataAddress) }
        var writes: [OMCCIWrite] = []
        let refuse: (RegisterDefinition) -> ExceptionCode? = {
            OMCCI.refusesWrite($0, allowStartStop: settings.modbus.allowStartStop, dlmMaster: settings.dlm.mode.isMaster)
        }
        // The pieces are kept only once the whole request passed: a refused write changes nothing, not even them.
        var pending = connectors[n - 1].registerWrites
        switch pending.split(address: address, values: values, map: OMCCI.map, now: now, refuse: refuse) {
        case .failure(let code): return .failure(code)
        case .success(let parts):
            for (definition, registers) in parts {
                switch OMCCI.parseWrite(definition, registers, allowStartStop: settings.modbus.allowStartStop,
                                        dlmMaster: settings.dlm.mode.isMaster) {
                case .success(let w): writes.append(w)
                case .failure(let code): return .failure(code)
                }
            }
        }
        for case .operatorSubDistribution(let phase, let amps) in writes where Double(amps) > settings.dlm.subDistributionLimitAmps[phase] {
            return .failure(.illegalDataValue)
        }
        connectors[n - 1].registerWrites = pending
        var actions: [Action] = []
        var operatorLimits = settings.dlm.operatorSubDistributionLimitAmps
        for write in writes {
            switch write {
            case .availability(let on): actions.append(.setOperative(connector: n, on))
            case .safeCurrent(let amps): actions.append(.setParameter(key: StationParameters.modbusSafeCurrent, .integer(amps)))
            case .commTimeout(let seconds): actions.append(.setParameter(key: StationParameters.modbusCommTimeout, .integer(seconds)))
            case .operatorSubDistribution(let phase, let amps):
                // One parameter holds the three phases: each register's write changes its phase of it.
                operatorLimits[phase] = Double(amps)
                actions.append(.setParameter(key: StationParameters.operatorEVSESubDistributionLimit, .phaseTriple(operatorLimits)))
            case .hemsLimit(let amps):
                connectors[n - 1].hemsLimitAmps = Double(amps)
                connectors[n - 1].hemsControlled = true
                actions.append(.limitChanged(connector: n))
            case .idTag(let id): actions.append(.present(idTag: id, connector: n))
            case .chargeMode(let code):
                actions.append(.setParameter(key: "\(StationParameters.chargeMode).\(n)", .string(ChargeMode.modbusOrder[code].rawValue)))
            }
        }
        return .success(actions)
    }

    /// The wall clock was stepped: the watchdog keeps its remaining duration.
    public mutating func shiftTimers(by seconds: Double) {
        for i in connectors.indices {
            connectors[i].lastRequest = connectors[i].lastRequest?.addingTimeInterval(seconds)
            connectors[i].registerWrites.shiftTimers(by: seconds)
        }
    }

    /// The multi-register values of connector `n` that wait for more registers (``OMCCIRegisterWrites``).
    public func unfinishedWrites(connector n: Int, now: Date) -> [UInt16] {
        connectors.indices.contains(n - 1) ? connectors[n - 1].registerWrites.unfinished(now: now) : []
    }
}
