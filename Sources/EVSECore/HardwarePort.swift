#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Residual current monitoring (RCMB / RDC-DD) of one connector.
///
/// - SeeAlso: seeds/000 MODBUS-REGISTERSATZ registers 135–139 (RCMB mode, last RMS and DC value as
///   integral and fractional parts); seeds/004 §9 groundFailure "Residual current detected via sensor".
public struct ResidualCurrentReading: Sendable, Codable, Equatable {
    /// Mode of the RCMB device as register 135 reports it (0 = not present, 1 = AC+DC monitoring).
    public var mode: UInt16
    /// Last RMS residual current in milliamperes.
    public var rmsMilliamps: Double
    /// Last DC residual current in milliamperes.
    public var dcMilliamps: Double

    public init(mode: UInt16 = 1, rmsMilliamps: Double = 0, dcMilliamps: Double = 0) {
        self.mode = mode; self.rmsMilliamps = rmsMilliamps; self.dcMilliamps = dcMilliamps
    }

    /// AC trip threshold in mA (IEC 62955: 30 mA RMS).
    public static let rmsTripMilliamps: Double = 30
    /// DC trip threshold in mA (IEC 62955 RDC-DD: 6 mA DC).
    public static let dcTripMilliamps: Double = 6

    /// Whether the residual current exceeds a trip threshold.
    public var exceedsTripThreshold: Bool {
        rmsMilliamps >= Self.rmsTripMilliamps || dcMilliamps >= Self.dcTripMilliamps
    }

    /// A value split as registers 136/137 (and 138/139) expect: integral part and hundredths.
    public static func registerParts(_ milliamps: Double) -> (integral: UInt16, fractional: UInt16) {
        let clamped = min(max(milliamps, 0), 65535.99)
        let integral = clamped.rounded(.down)
        return (UInt16(integral), UInt16(((clamped - integral) * 100).rounded().clamped(to: 0...99)))
    }
}

extension Double {
    /// The value limited to `range`.
    public func clamped(to range: ClosedRange<Double>) -> Double { min(max(self, range.lowerBound), range.upperBound) }
}

/// A reading of a connector's energy meter.
///
/// - SeeAlso: seeds/000 MODBUS-REGISTERSATZ registers 200–226 (energy, power, current per phase, voltage).
public struct MeterReading: Sendable, Codable, Equatable {
    /// Cumulative imported active energy register in Wh.
    public var energyWh: Double
    /// Active power per phase in W.
    public var powerW: PhaseValues
    /// Current per phase in A.
    public var currentA: PhaseValues
    /// Voltage per phase (to neutral) in V.
    public var voltageV: PhaseValues
    /// Whether the meter answered; `false` raises powerMeterFailure.
    public var communicating: Bool
    /// Exported active energy in Wh, for meters that count both directions (grid meters).
    public var exportEnergyWh: Double?
    /// Total active power as the meter itself reports it, if it has such a register.
    public var measuredTotalPowerW: Double?

    public init(energyWh: Double, powerW: PhaseValues, currentA: PhaseValues, voltageV: PhaseValues, communicating: Bool = true,
                exportEnergyWh: Double? = nil, measuredTotalPowerW: Double? = nil) {
        self.energyWh = energyWh; self.powerW = powerW; self.currentA = currentA; self.voltageV = voltageV
        self.communicating = communicating; self.exportEnergyWh = exportEnergyWh; self.measuredTotalPowerW = measuredTotalPowerW
    }

    /// Total active power in W (signed: + import): the meter's own total, else the sum of the phases.
    public var totalPowerW: Double { measuredTotalPowerW ?? powerW.sum }
}

/// Everything the controller reads from one connector's hardware in one poll.
public struct ConnectorReading: Sendable, Codable, Equatable {
    /// Control pilot state measured on the line.
    public var pilot: PilotState
    /// Whether the vehicle diode check (negative pilot half-wave) passed.
    public var diodeCheckOK: Bool
    /// Contactor state reported by the auxiliary (feedback) contacts.
    public var relayFeedback: RelayState
    /// Whether the plug lock detect switch reports the plug as locked.
    public var lockDetected: Bool
    /// Residual current monitor values.
    public var residualCurrent: ResidualCurrentReading
    /// Connector energy meter.
    public var meter: MeterReading
    /// ISO 15118 EVCCID (MAC) of the connected vehicle, if it communicated one.
    public var evccid: String?
    /// What an ISO 15118 vehicle reported about itself (nil for basic PWM vehicles).
    public var vehicle: VehicleReport?
    /// The ISO 15118 protocol the station's own SECC negotiated with the vehicle (nil: none, or a board that runs the
    /// session itself and does not say). EEBUS tells an energy manager which standard the vehicle speaks from it.
    public var hlcProtocol: VehicleHLCProtocol? = nil
    /// Whether the connector's board answers on its link to the controller (USB on dual stations). A board that
    /// loses the link de-energises its outputs on its own watchdog; the other fields are then its last values.
    public var boardLinked: Bool
    /// The phases the connector's phase-switching contactor feeds now (1 or 3), as the board reports it back; nil on a
    /// board without that contactor (``HardwarePort/hasPhaseSwitch``) or on a connector wired for one phase.
    public var switchedPhases: Int?
    /// The connector's meter signs its readings (OCMF): its public key and the signed readings it delivered; nil for a
    /// meter that does not sign (issue 28 item 6).
    public var signingMeter: SigningMeterState?
    /// The auxiliary contact of the connector's miniature circuit breaker reports it tripped (seeds/004 §9 "MCB of type 2
    /// socket triggered").
    public var mcbTripped: Bool = false
    /// The auxiliary contact of the connector's residual current device reports it tripped (seeds/004 §9 "RCD-Fault").
    public var rcdTripped: Bool = false
    /// Catalogue errors (``ErrorCatalogue`` ids) a supervised board detected itself and reports (a stuck relay, a
    /// ground fault); the controller raises them as long as the board reports them.
    public var boardErrors: Set<String>

    public init(pilot: PilotState, diodeCheckOK: Bool = true, relayFeedback: RelayState = .open, lockDetected: Bool = false,
                residualCurrent: ResidualCurrentReading = .init(), meter: MeterReading, evccid: String? = nil,
                vehicle: VehicleReport? = nil, boardLinked: Bool = true, switchedPhases: Int? = nil, signingMeter: SigningMeterState? = nil,
                mcbTripped: Bool = false, rcdTripped: Bool = false, boardErrors: Set<String> = []) {
        self.pilot = pilot; self.diodeCheckOK = diodeCheckOK; self.relayFeedback = relayFeedback
        self.lockDetected = lockDetected; self.residualCurrent = residualCurrent; self.meter = meter; self.evccid = evccid
        self.vehicle = vehicle; self.boardLinked = boardLinked; self.switchedPhases = switchedPhases; self.signingMeter = signingMeter
        self.mcbTripped = mcbTripped; self.rcdTripped = rcdTripped; self.boardErrors = boardErrors
    }
}

/// What an ISO 15118 vehicle communicates about itself.
///
/// - SeeAlso: seeds/000 MODBUS-REGISTERSATZ 713 "EV Required Energy", 715 "Max. Current EV".
public struct VehicleReport: Sendable, Codable, Equatable {
    public var maxCurrentAmps: Double
    /// Nil when the vehicle does not say (an ISO 15118-2 AC session carries no state of charge).
    public var stateOfChargePercent: Double?
    public var requiredEnergyWh: Double
    /// When the driver wants to leave: ISO 15118-2:2014 §8.5.3.2 `DepartureTime` (seconds from the
    /// ChargeParameterDiscoveryReq) made absolute by the station; nil when the vehicle gives none (registers 701/703).
    public var departure: Date?

    public init(maxCurrentAmps: Double, stateOfChargePercent: Double?, requiredEnergyWh: Double, departure: Date? = nil) {
        self.maxCurrentAmps = maxCurrentAmps; self.stateOfChargePercent = stateOfChargePercent; self.requiredEnergyWh = requiredEnergyWh
        self.departure = departure
    }
}

/// The high-level communication protocol a vehicle's session speaks, as the SECC's application protocol handshake
/// chose it (ISO 15118-2:2014 §8.2 supportedAppProtocol; DIN SPEC 70121 is DC only and never chosen on AC).
public enum VehicleHLCProtocol: String, Sendable, Codable, Equatable, CaseIterable {
    case din70121
    case iso15118_2
    case iso15118_20
}

/// The station's digital inputs.
///
/// - SeeAlso: seeds/000 "Lastabwurf konfigurieren": "Aktiviere 'Opto 1 In'", "External Input 2 Config" (seeds/004 §7.4).
public enum DigitalInput: String, Sendable, Codable, CaseIterable, Equatable {
    /// Opto-coupled input 1 ("Opto 1 In"), used for load shedding by the utility.
    case opto1
    /// Second external input.
    case input2
    /// The surge protection device's auxiliary contact: the SPD tripped and must be replaced (seeds/004 §9 "Surge
    /// Protection Device (SPD) tripped").
    case surgeProtector
}

/// One card read by the RFID reader.
public struct RFIDRead: Sendable, Codable, Equatable {
    /// The UID bytes as the reader delivers them.
    public var uid: [UInt8]
    /// Read with secure messaging (e.g. MIFARE DESFire), for "Enforce using Secure RFID".
    public var secure: Bool

    public init(uid: [UInt8], secure: Bool = false) { self.uid = uid; self.secure = secure }
}

/// Parses hexadecimal text into bytes; nil if it is not an even number of hex digits.
public func hexBytes<S: StringProtocol>(_ text: S) -> [UInt8]? {
    guard text.count % 2 == 0, text.allSatisfy(\.isHexDigit) else { return nil }
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        guard let b = UInt8(text[index..<next], radix: 16) else { return nil }
        bytes.append(b)
        index = next
    }
    return bytes
}

/// Commands the controller sends to the hardware.
public enum HardwareCommand: Sendable, Equatable {
    case setPilot(connector: Int, PilotSignal)
    case setRelays(connector: Int, RelayState)
    case setLock(connector: Int, locked: Bool)
    /// Switch the connector's supply between 1 and 3 phases with its phase-switching contactor (issue 25 item 3). Only
    /// with the main contactors open: the controller sends it only then, and a board refuses it otherwise (IEC 61851-1
    /// requires the vehicle to be disconnected from the supply while the phases change).
    case setPhases(connector: Int, phases: Int)
    /// Ask the connector's signing meter for a signed reading (issue 28 item 6); a meter that does not sign ignores it.
    case requestSignedReading(connector: Int, SignedReadingRequest)
    /// Show the connector's state on its LEDs (issue 22 item 5); a board without LEDs ignores it.
    case showLEDs(connector: Int, LEDIndication)
}

/// The port through which the station controller drives an EVSE board: one or two connectors with
/// control pilot, contactors, plug lock, RCMB and meter, plus the RFID reader and digital inputs.
/// The simulator implements it; a real board adapter would too.
///
/// - SeeAlso: IEC 61851-1 (control pilot), seeds/004 §7.3 (dual charge point), seeds/004 §9 (faults).
public protocol HardwarePort: SendableMetatype {
    /// Number of connectors the board drives (1 or 2).
    var connectorCount: Int { get }
    /// Reads the current state of connector `connector` (1-based).
    func reading(connector: Int) -> ConnectorReading
    /// Whether the RFID reader communicates (`false` raises readerFailure).
    var rfidReaderHealthy: Bool { get }
    /// Level of a digital input (`true` = energised).
    func input(_ input: DigitalInput) -> Bool
    /// Removes and returns the cards read since the last call.
    mutating func takeRFIDReads() -> [RFIDRead]
    /// Applies a command to the board.
    mutating func apply(_ command: HardwareCommand)
    /// State the board wants persisted with every meter sample so that meter registers and connected
    /// vehicles survive a restart (the simulator's twin of physics; `nil` for real hardware).
    func persistentState() -> Data?
    /// The mains supply failed and the board runs on its backup power until it shuts down.
    var mainsPowerLost: Bool { get }
    /// The board has a phase-switching contactor per 3-phase connector (``HardwareCommand/setPhases(connector:phases:)``).
    /// False unless a board declares it (the board description of a real board, later): a board without one never
    /// switches.
    var hasPhaseSwitch: Bool { get }
    /// The station stops: a board with I/O threads stops them and closes its devices (the simulator has none).
    mutating func close()
    /// How the board's link fares (a real board: its identity, polls, failures and round trips); nil for the simulator.
    var linkStatus: BoardLinkStatus? { get }
    /// Asks the board to call `handler` whenever a reading changed on its own (a real board's I/O thread saw the vehicle,
    /// a relay or an error change), so that the station reacts at once instead of at its next 100 ms step. A board the
    /// station steps itself (the simulator) never calls it.
    mutating func observeChanges(_ handler: @escaping @Sendable () -> Void)
    /// Time passed: a board that models physics (the simulator) advances to `monotonic` time, which is never stepped
    /// with the wall clock; a real board has nothing to do.
    mutating func advance(to monotonic: Date)
}

extension HardwarePort {
    public mutating func advance(to monotonic: Date) {}
    public mutating func close() {}
    public mutating func observeChanges(_ handler: @escaping @Sendable () -> Void) {}
    public var linkStatus: BoardLinkStatus? { nil }
    public var hasPhaseSwitch: Bool { false }
}

/// Everything the station reads from its board in one control step: the controller takes this value and never calls
/// the board itself, so the same core runs on the simulator, a real board or a test's hand-made readings.
public struct BoardInputs: Sendable, Equatable {
    /// Per connector (index 0 = connector 1).
    public var connectors: [ConnectorReading]
    public var rfidReaderHealthy: Bool
    /// The digital inputs' levels (`true` = energised).
    public var inputs: [DigitalInput: Bool]
    /// Cards read since the previous step.
    public var rfidReads: [RFIDRead]
    public var mainsPowerLost: Bool

    public init(connectors: [ConnectorReading], rfidReaderHealthy: Bool = true, inputs: [DigitalInput: Bool] = [:],
                rfidReads: [RFIDRead] = [], mainsPowerLost: Bool = false) {
        self.connectors = connectors; self.rfidReaderHealthy = rfidReaderHealthy; self.inputs = inputs
        self.rfidReads = rfidReads; self.mainsPowerLost = mainsPowerLost
    }

    /// The level of `input` (an input that was not read is de-energised).
    public func input(_ input: DigitalInput) -> Bool { inputs[input] ?? false }

    /// The reading of connector `n` (1-based).
    public func reading(connector n: Int) -> ConnectorReading? { connectors.indices.contains(n - 1) ? connectors[n - 1] : nil }
}

extension HardwarePort {
    /// Reads everything the controller needs for one step (and takes the cards read since the last one).
    public mutating func readInputs() -> BoardInputs {
        BoardInputs(connectors: (0..<connectorCount).map { reading(connector: $0 + 1) }, rfidReaderHealthy: rfidReaderHealthy,
                    inputs: Dictionary(uniqueKeysWithValues: DigitalInput.allCases.map { ($0, input($0)) }),
                    rfidReads: takeRFIDReads(), mainsPowerLost: mainsPowerLost)
    }
}

/// What a board is set up with at start, from the station's parameters (ConnectorCount, the supply voltage, the phases
/// wired per connector).
public struct BoardSetup: Sendable, Equatable {
    public var connectorCount: Int
    public var voltageV: Double
    public var phaseCount: [Int]
    /// "Failed polls before a meter error": a board's own charge meters count as not communicating after this many.
    public var meterFailedPolls: Int
    /// Per connector: a socket with a lock actuator (ConnectorKind Socket), not a tethered cable.
    public var hasLockActuator: [Bool]
    public init(connectorCount: Int, voltageV: Double, phaseCount: [Int], meterFailedPolls: Int = 3, hasLockActuator: [Bool] = []) {
        self.connectorCount = connectorCount; self.voltageV = voltageV; self.phaseCount = phaseCount
        self.meterFailedPolls = meterFailedPolls; self.hasLockActuator = hasLockActuator
    }
}
