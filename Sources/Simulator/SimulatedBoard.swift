#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// Faults the simulator can inject on a connector or the station.
public enum SimulatedFault: String, Sendable, Codable, CaseIterable {
    /// Residual current above the RCMB trip threshold (35 mA AC, 8 mA DC).
    case rcd
    /// The contactor stays closed whatever it is commanded (welded contacts).
    case welded
    /// The plug lock never reports locked.
    case lock
    /// The locking actuator is stuck where it is: commands no longer move it.
    case lockStuck = "lock-stuck"
    /// The connector's energy meter stops answering.
    case meter
    /// The connector's meter can no longer sign: its public key cannot be read and it delivers no signed reading
    /// (issue 28 item 6; with "Require signed meter values" it stops charging).
    case meterSignature = "meter-signature"
    /// The vehicle diode check fails (tamper detection).
    case diode
    /// The vehicle signals an error (pilot state E).
    case evError = "ev-error"
    /// The RFID reader stops answering (station-wide).
    case rfid
    /// The mains supply fails; the board runs on backup power (station-wide; power returns with the next start).
    case power
    /// The auxiliary contact of the connector's MCB reports it tripped (the MCB cuts the supply: no current flows).
    case mcb
    /// The auxiliary contact of the connector's RCD reports it tripped (the RCD cuts the supply).
    case rcdTrip = "rcd-trip"
    /// One phase of the supply is missing: the connector's meter reads 0 V on L1 (undervoltage).
    case undervoltage
    /// The supply is 15 % above the nominal voltage (overvoltage).
    case overvoltage
    /// The vehicle draws 30 % more than the signalled current (the station's over-current protection trips).
    case overcurrent
    /// The connector board loses its USB link to the controller: it ignores commands and its watchdog opens the
    /// contactor and stops the PWM.
    case link

    /// Whether the fault concerns the whole station rather than a connector.
    public var isStationFault: Bool { self == .rfid || self == .power }
}

/// One simulated connector: its socket hardware, meter and the vehicle plugged into it.
public struct SimulatedConnector: Sendable, Codable, Equatable {
    public var ev: SimulatedEV?
    public var pilotSignal: PilotSignal = .off
    public var relays: RelayState = .open
    public var lockCommanded = false
    public var faults: Set<SimulatedFault> = []
    /// The meter's cumulative energy register in Wh.
    public var energyWh: Double = 0
    public var currentA: PhaseValues = .zero
    /// Contacts welded in this state (set when the weld fault is injected).
    var weldedAs: RelayState?
    /// The phases the phase-switching contactor feeds (nil: never switched, i.e. all the wired phases).
    public var switchedPhases: Int?
    /// The latest phase-switch commands (at most ``SimulatedBoard/phaseSwitchRecordLimit``), for the simulator status.
    public var phaseSwitches: [PhaseSwitchRecord]?
    /// The signing meter's readings delivered, its requests not yet signed and its pagination counter (issue 28 item 6;
    /// optional so that a stored state of an older version still decodes).
    public var signedReadings: [SignedReading]?
    public var signatureJobs: [SimulatedSignatureJob]?
    public var pagination: Int?

    public init() {}
}

/// A simulated EVSE board with one or two connectors, RFID reader and digital inputs, implementing
/// the hardware port. Physics advance only in ``advance(to:)``, driven by the injected clock, so it can
/// run faster than real time or step by step in tests.
public struct SimulatedBoard: HardwarePort, Sendable, Codable, Equatable {
    public internal(set) var connectors: [SimulatedConnector]
    public var voltageV: Double
    /// Phases wired per connector (1 or 3), from "Phases connected to the ChargePoint".
    public var phaseCount: [Int]
    public private(set) var inputs: [DigitalInput: Bool] = [:]
    public private(set) var rfidFault = false
    /// Mains lost (fault `power`); optional so that a stored state of an older version still decodes.
    var powerLost: Bool?
    public var mainsPowerLost: Bool { powerLost ?? false }
    /// The board has a phase-switching contactor per 3-phase connector (issue 25 item 3; optional so that a stored state
    /// of an older version still decodes; nil: it has one, as every simulated board).
    var phaseContactor: Bool?
    public var hasPhaseSwitch: Bool {
        get { phaseContactor ?? true }
        set { phaseContactor = newValue }
    }
    /// How many phase-switch commands the status keeps per connector.
    public static let phaseSwitchRecordLimit = 20
    public private(set) var now: Date
    var rfidQueue: [RFIDRead] = []
    /// The connector meters' signing keys (nil: the meters do not sign). Set by the station's board factory from the data
    /// directory; never persisted with the board.
    public var meterSigners: SimulatedMeterSigners?

    /// The largest step physics takes at once; longer advances are split.
    public static let maximumStep: TimeInterval = 1

    public init(connectorCount: Int, voltageV: Double = 230, phaseCount: [Int]? = nil, now: Date) {
        connectors = Array(repeating: SimulatedConnector(), count: connectorCount)
        self.voltageV = voltageV
        self.phaseCount = phaseCount ?? Array(repeating: 3, count: connectorCount)
        self.now = now
    }

    /// Restores a board from ``persistentState()``, keeping the wiring of the current configuration.
    public static func restore(_ data: Data, connectorCount: Int, voltageV: Double, phaseCount: [Int], now: Date) -> SimulatedBoard? {
        guard var board = try? JSONDecoder().decode(SimulatedBoard.self, from: data) else { return nil }
        if board.connectors.count < connectorCount {
            board.connectors += Array(repeating: SimulatedConnector(), count: connectorCount - board.connectors.count)
        } else if board.connectors.count > connectorCount {
            board.connectors.removeLast(board.connectors.count - connectorCount)
        }
        board.voltageV = voltageV
        board.phaseCount = phaseCount
        board.now = max(board.now, now)
        board.rfidQueue = []
        board.powerLost = false
        // After a power loss the EVSE's outputs are de-energised.
        for i in board.connectors.indices {
            board.connectors[i].pilotSignal = .off
            board.connectors[i].relays = .open
            board.connectors[i].lockCommanded = false
            board.connectors[i].currentA = .zero
        }
        return board
    }

    // MARK: HardwarePort

    public var connectorCount: Int { connectors.count }

    public func reading(connector n: Int) -> ConnectorReading {
        let c = connectors[n - 1]
        let feedback = c.weldedAs ?? c.relays
        var pilot: PilotState = c.ev?.pilot ?? .a
        if c.ev != nil && c.faults.contains(.evError) { pilot = .e }
        let phases = phaseCount[n - 1]
        let switchedPhases = hasPhaseSwitch && phases == 3 ? c.switchedPhases ?? 3 : nil
        let nominal = c.faults.contains(.overvoltage) ? voltageV * 1.15 : voltageV
        var voltage = PhaseValues(l1: nominal, l2: phases == 3 ? nominal : 0, l3: phases == 3 ? nominal : 0)
        if c.faults.contains(.undervoltage) { voltage.l1 = 0 }
        let power = PhaseValues(l1: voltage.l1 * c.currentA.l1, l2: voltage.l2 * c.currentA.l2, l3: voltage.l3 * c.currentA.l3)
        let meterOK = !c.faults.contains(.meter)
        return ConnectorReading(
            pilot: pilot,
            diodeCheckOK: !c.faults.contains(.diode),
            relayFeedback: feedback,
            lockDetected: c.lockCommanded && c.ev != nil && !c.faults.contains(.lock),
            residualCurrent: c.faults.contains(.rcd) ? ResidualCurrentReading(rmsMilliamps: 35.2, dcMilliamps: 8.4) : ResidualCurrentReading(),
            meter: MeterReading(energyWh: c.energyWh, powerW: meterOK ? power : .zero, currentA: meterOK ? c.currentA : .zero,
                                voltageV: meterOK ? voltage : .zero, communicating: meterOK),
            evccid: c.ev?.spec.evccid,
            vehicle: c.ev.flatMap { ev in
                ev.spec.evccid == nil ? nil : VehicleReport(
                    maxCurrentAmps: ev.spec.maxCurrentAmps, stateOfChargePercent: ev.stateOfChargePercent,
                    requiredEnergyWh: max(0, ev.spec.batteryCapacityWh * ev.spec.targetStateOfChargePercent / 100 - ev.batteryWh))
            },
            boardLinked: !c.faults.contains(.link), switchedPhases: switchedPhases, signingMeter: signingMeterState(n),
            mcbTripped: c.faults.contains(.mcb), rcdTripped: c.faults.contains(.rcdTrip))
    }

    public var rfidReaderHealthy: Bool { !rfidFault }

    public func input(_ input: DigitalInput) -> Bool { inputs[input] ?? false }

    public mutating func takeRFIDReads() -> [RFIDRead] {
        defer { rfidQueue.removeAll() }
        return rfidQueue
    }

    public mutating func apply(_ command: HardwareCommand) {
        switch command {
        case .setPilot(let n, _), .setRelays(let n, _), .setLock(let n, _), .setPhases(let n, _), .requestSignedReading(let n, _):
            // A board without its link never receives the command.
            if connectors[n - 1].faults.contains(.link) { return }
        case .showLEDs:
            // The simulated board has no lamps: the dashboard and /api/status show the controller's indication.
            return
        }
        switch command {
        case .setPilot(let n, let s):
            connectors[n - 1].pilotSignal = s
            // The vehicle sees the new signal at once; its reaction delay counts from now.
            connectors[n - 1].ev?.react(to: s, now: now)
        case .setRelays(let n, let r):
            connectors[n - 1].relays = r
            if !r.isClosed && connectors[n - 1].weldedAs == nil { connectors[n - 1].currentA = .zero }
        case .setLock(let n, let locked):
            if !connectors[n - 1].faults.contains(.lockStuck) { connectors[n - 1].lockCommanded = locked }
        case .setPhases(let n, let phases):
            switchPhases(n, phases)
        case .requestSignedReading(let n, let request):
            requestSignedReading(n, request)
        case .showLEDs:
            break
        }
    }

    /// The phase-switching contactor: switches only with the main contactors open (their feedback, so a welded contactor
    /// counts as closed) on a 3-phase connector of a board that has one; a command it refuses is recorded with the
    /// reason and changes nothing (a real contactor switched under load would arc, IEC 61851-1).
    mutating func switchPhases(_ n: Int, _ phases: Int) {
        let c = connectors[n - 1]
        let relays = c.weldedAs ?? c.relays
        var refused: String?
        if !hasPhaseSwitch || phaseCount[n - 1] != 3 {
            refused = "no phase-switching contactor"
        } else if phases != 1 && phases != 3 {
            refused = "phases must be 1 or 3"
        } else if relays.isClosed {
            refused = "main contactors closed"
        } else {
            connectors[n - 1].switchedPhases = phases
        }
        var log = c.phaseSwitches ?? []
        log.append(PhaseSwitchRecord(time: now, phases: phases, relays: relays, refused: refused))
        connectors[n - 1].phaseSwitches = Array(log.suffix(Self.phaseSwitchRecordLimit))
    }

    public func persistentState() -> Data? {
        try? JSONEncoder().encode(self)
    }

    // MARK: Physics

    /// Advances vehicles and meters to `time` in steps of at most ``maximumStep``.
    public mutating func advance(to time: Date) {
        while now < time {
            let step = min(Self.maximumStep, time.timeIntervalSince(now))
            now = now.addingTimeInterval(step)
            for i in connectors.indices { stepConnector(i, dt: step) }
            signDueReadings()
        }
    }

    private mutating func stepConnector(_ i: Int, dt: TimeInterval) {
        guard var ev = connectors[i].ev else {
            connectors[i].currentA = .zero
            return
        }
        let c = connectors[i]
        // A vehicle sees no PWM while the EVSE drives state F.
        ev.react(to: c.pilotSignal, now: now)
        let conducting = (c.weldedAs ?? c.relays).isClosed
        var perPhase = 0.0
        let supplied = !c.faults.contains(.mcb) && !c.faults.contains(.rcdTrip)
        if conducting, supplied, ev.pilot.requestsEnergy, c.pilotSignal.signaledAmps >= PWM.minimumAmps, !ev.isFull {
            perPhase = min(ev.obeyedAmps, ev.spec.maxCurrentAmps, ev.acceptedAmps)
            if c.faults.contains(.overcurrent) { perPhase = ev.obeyedAmps * 1.3 }
        }
        let wired = (c.weldedAs ?? c.relays) == .onePhase || (hasPhaseSwitch && c.switchedPhases == 1) ? 1 : phaseCount[i]
        let used = min(ev.spec.phases, wired)
        var current = PhaseValues.zero
        for p in 0..<used { current[p] = perPhase }
        let energyWh = current.sum * voltageV * dt / 3600
        ev.batteryWh = min(ev.spec.batteryCapacityWh, ev.batteryWh + energyWh)
        connectors[i].ev = ev
        connectors[i].currentA = current
        connectors[i].energyWh += energyWh
    }

    // MARK: Simulator control

    func check(_ n: Int) throws(SimulatorError) {
        guard (1...connectors.count).contains(n) else { throw .unknownConnector(n, count: connectors.count) }
    }

    /// Plugs a vehicle into connector `n`.
    public mutating func plug(_ n: Int, _ spec: EVSpec) throws(SimulatorError) {
        try check(n)
        try spec.validate()
        guard connectors[n - 1].ev == nil else { throw .conflict("connector \(n) already has a vehicle plugged in; unplug it first") }
        connectors[n - 1].ev = SimulatedEV(spec: spec)
    }

    /// Unplugs the vehicle from connector `n`. Refused while the plug is locked, as a real socket would.
    public mutating func unplug(_ n: Int, force: Bool = false) throws(SimulatorError) {
        try check(n)
        guard connectors[n - 1].ev != nil else { throw .conflict("connector \(n) has no vehicle plugged in") }
        if connectors[n - 1].lockCommanded && !connectors[n - 1].faults.contains(.lock) && !force {
            throw .conflict("connector \(n) is locked; stop the session first (present the card again) or use --force to pull the cable from the vehicle side")
        }
        connectors[n - 1].ev = nil
        connectors[n - 1].currentA = .zero
    }

    /// Makes the vehicle on connector `n` stop or resume requesting energy (e.g. timer charging).
    public mutating func setVehicleTarget(_ n: Int, targetStateOfChargePercent: Double) throws(SimulatorError) {
        try check(n)
        guard connectors[n - 1].ev != nil else { throw .conflict("connector \(n) has no vehicle plugged in") }
        guard (1...100).contains(targetStateOfChargePercent) else { throw .invalid("target must be 1 to 100 % (got \(targetStateOfChargePercent))") }
        connectors[n - 1].ev?.spec.targetStateOfChargePercent = targetStateOfChargePercent
    }

    /// Holds a card with the given UID (hex, 4, 7 or 10 bytes) to the reader; `secure` for a card read with
    /// secure messaging.
    public mutating func presentRFID(_ hex: String, secure: Bool = false) throws(SimulatorError) {
        let clean = String(hex.filter { $0 != ":" })
        guard [8, 14, 20].contains(clean.count), let bytes = hexBytes(clean) else {
            throw .invalid("RFID UID must be 4, 7 or 10 bytes in hexadecimal, e.g. 04567DAA5F3580 (got '\(hex)')")
        }
        guard !rfidFault else { throw .conflict("the RFID reader has a fault injected; clear it with 'chargekit sim fault rfid --clear'") }
        rfidQueue.append(RFIDRead(uid: bytes, secure: secure))
    }

    /// Delivers raw bytes as a reader read, as a misbehaving reader would (empty, too long, …).
    public mutating func injectRawRFIDRead(_ bytes: [UInt8]) {
        rfidQueue.append(RFIDRead(uid: bytes))
    }

    /// Injects (`active`) or clears a fault. Station faults ignore the connector.
    public mutating func setFault(_ fault: SimulatedFault, connector n: Int?, active: Bool) throws(SimulatorError) {
        if fault == .power {
            powerLost = active
            return
        }
        if fault.isStationFault {
            rfidFault = active
            return
        }
        guard let n else { throw .invalid("fault '\(fault.rawValue)' concerns a connector; give its number") }
        try check(n)
        if active {
            connectors[n - 1].faults.insert(fault)
            if fault == .link {
                // The board's watchdog: outputs de-energised when the controller is gone.
                connectors[n - 1].pilotSignal = .off
                connectors[n - 1].ev?.react(to: .off, now: now)
                connectors[n - 1].relays = .open
                if connectors[n - 1].weldedAs == nil { connectors[n - 1].currentA = .zero }
            }
            if fault == .welded { connectors[n - 1].weldedAs = connectors[n - 1].relays.isClosed ? connectors[n - 1].relays : .threePhase }
        } else {
            connectors[n - 1].faults.remove(fault)
            if fault == .welded {
                connectors[n - 1].weldedAs = nil
                if !connectors[n - 1].relays.isClosed { connectors[n - 1].currentA = .zero }
            }
        }
    }

    /// Sets a digital input level.
    public mutating func setInput(_ input: DigitalInput, _ on: Bool) {
        inputs[input] = on
    }
}
