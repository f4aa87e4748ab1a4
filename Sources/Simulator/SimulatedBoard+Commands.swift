#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

extension SimulatedBoard {
    /// The board at a station's start: the persisted one (vehicles, meters and faults survive a restart) or a new one.
    public static func make(_ setup: BoardSetup, persisted: Data?, now: Date) -> SimulatedBoard {
        persisted.flatMap { restore($0, connectorCount: setup.connectorCount, voltageV: setup.voltageV, phaseCount: setup.phaseCount, now: now) }
            ?? SimulatedBoard(connectorCount: setup.connectorCount, voltageV: setup.voltageV, phaseCount: setup.phaseCount, now: now)
    }
}

/// The simulation port of the simulated board: the commands of the local API's simulator routes and `chargekit sim`.
extension SimulatedBoard: SimulatedHardware {
    public func simulatorStatus(timeScale: Double) -> SimulatorStatus {
        SimulatorStatus(
            time: now, timeScale: timeScale, rfidReaderFault: rfidFault,
            inputs: Dictionary(uniqueKeysWithValues: DigitalInput.allCases.map { ($0.rawValue, input($0)) }),
            connectors: connectors.enumerated().map { i, c in
                SimulatorStatus.Connector(
                    id: i + 1,
                    vehicle: c.ev.map { ev in
                        .init(phases: ev.spec.phases, maxCurrentAmps: ev.spec.maxCurrentAmps, batteryCapacityWh: ev.spec.batteryCapacityWh,
                              stateOfChargePercent: (ev.stateOfChargePercent * 10).rounded() / 10,
                              targetStateOfChargePercent: ev.spec.targetStateOfChargePercent, pilot: ev.pilot,
                              ventilation: ev.spec.requiresVentilation, evccid: ev.spec.evccid)
                    },
                    faults: c.faults.map(\.rawValue).sorted(), currentA: c.currentA, energyWh: c.energyWh,
                    switchedPhases: hasPhaseSwitch && phaseCount[i] == 3 ? c.switchedPhases ?? 3 : nil, phaseSwitches: c.phaseSwitches)
            },
            availableFaults: SimulatedFault.allCases.map(\.rawValue), stationFaults: SimulatedFault.allCases.filter(\.isStationFault).map(\.rawValue),
            powerLost: mainsPowerLost)
    }

    public mutating func perform(_ command: SimulatorCommand) throws(SimulatorCommandError) {
        do {
            switch command {
            case .plug(let r):
                var spec: EVSpec
                if let name = r.ev {
                    guard let p = EVSpec.profile(name) else {
                        throw SimulatorCommandError(.invalid, "unknown EV profile '\(name)'; use <phases>p-<amps>a such as 1p-16a, 3p-16a, 3p-32a")
                    }
                    spec = p
                } else {
                    spec = EVSpec(phases: 3, maxCurrentAmps: 16)
                }
                if let v = r.phases { spec.phases = v }
                if let v = r.maxCurrentAmps { spec.maxCurrentAmps = v }
                if let v = r.batteryCapacityWh { spec.batteryCapacityWh = v }
                if let v = r.stateOfChargePercent { spec.stateOfChargePercent = v }
                if let v = r.targetStateOfChargePercent { spec.targetStateOfChargePercent = v }
                if let v = r.reactionDelaySeconds { spec.reactionDelaySeconds = v }
                if let v = r.ventilation { spec.requiresVentilation = v }
                if let v = r.evccid { spec.evccid = v }
                if let v = r.hlc {
                    guard v == "external" else { throw SimulatorCommandError(.invalid, "hlc: only \"external\" is allowed (the vehicle's ISO 15118 side is a real EVCC on the connector's PLC interface); got \"\(v)\"") }
                    spec.externalHLC = true
                }
                try plug(r.connector, spec)
            case .unplug(let n, let force):
                try unplug(n, force: force)
            case .rfid(let uid, let secure):
                try presentRFID(uid, secure: secure)
            case .fault(let name, let n, let active):
                guard let fault = SimulatedFault(rawValue: name) else {
                    throw SimulatorCommandError(.invalid, "unknown fault '\(name)'; allowed: " + SimulatedFault.allCases.map(\.rawValue).joined(separator: ", "))
                }
                try setFault(fault, connector: n, active: active)
            case .input(let name, let on):
                guard let input = DigitalInput(rawValue: name) else {
                    throw SimulatorCommandError(.invalid, "unknown input '\(name)'; allowed: " + DigitalInput.allCases.map(\.rawValue).joined(separator: ", "))
                }
                setInput(input, on)
            case .target(let n, let soc):
                try setVehicleTarget(n, targetStateOfChargePercent: soc)
            case .vehicleSession(let n, let signal):
                try check(n)
                connectors[n - 1].ev?.session(signal)
            }
        } catch let e as SimulatorError {
            switch e {
            case .invalid(let m): throw SimulatorCommandError(.invalid, m)
            case .conflict(let m): throw SimulatorCommandError(.conflict, m)
            case .unknownConnector: throw SimulatorCommandError(.notFound, e.description)
            }
        } catch let e as SimulatorCommandError {
            throw e
        } catch {
            throw SimulatorCommandError(.invalid, "\(error)")
        }
    }
}
