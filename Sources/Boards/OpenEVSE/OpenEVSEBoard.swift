import EVSECore

/// OpenEVSE's EVSE states (`EVSE_STATE_xxx` in the firmware's `open_evse.h`, the values `$GS`, `$AT` and `$ST` carry;
/// RAPI 5.2.1, see ``RAPI``), and what each means for ChargeKit.
///
/// The errors a state reports, as ids of the error catalogue (``ErrorCatalogue``), chosen by what the board detected:
///
/// | state | OpenEVSE | catalogue id | why |
/// |---|---|---|---|
/// | 5 | diode check failed | (``SupervisedConnectorStatus/diodeCheckOK`` false) | the controller raises `vehicleDiodeCheckFailed` from it and resolves it when the vehicle is unplugged, as seeds/004 §9 says ("Vehicle with diode problem disconnected") |
/// | 6 | GFCI fault | `rcdFault` | the board's residual-current monitor tripped: seeds/004 §9 "RCD-Fault" (GroundFailure; seeds/002 §3's "RCD hat ausgelöst" is the same fault, with its 4 blinks on this entry). Not `rcmbResidualCurrent`: the controller resolves that one itself from its own residual-current reading 10 s after unplugging, which would fight the board's report |
/// | 7 | no ground | `rcdFault` | a ground fault of the supply (GroundFailure), which the board retries and clears itself: seeds/004 §9 "RCD-Fault", "corrected automatically up to a certain point" |
/// | 8 | stuck relay | `contactorWelded` | the board found its relay closed when open: seeds/004 §9 "Contactor welded" (PowerSwitchFailure) |
/// | 9 | GFI self-test failed | `rcdFault` | the residual-current device itself failed its test: seeds/004 §9 "RCD-Fault" |
/// | 11 | over current | `overCurrentProtection` | the vehicle drew more than offered and the board shut down: seeds/002 §3 "Die Überstromsicherung hat ausgelöst" (OverCurrentFailure) |
/// | 10 | over temperature | — | the catalogue has no temperature entry; the board stops charging itself (its relay opens, which the status shows) |
/// | 14 | relay closure fault | — | the relay did not close; the catalogue's contactor entries are for a welded contactor, which this is not |
///
/// States 1–4 are the vehicle states A–D, 254 sleeping (charging withheld, `$FS`), 255 disabled (`$FD`, the pilot at
/// −12 V), 0 unknown (at boot).
public enum OpenEVSEStateCode: UInt8, Sendable, CaseIterable {
    case unknown = 0
    case a = 1, b = 2, c = 3, d = 4
    case diodeCheckFailed = 5
    case gfciFault = 6
    case noGround = 7
    case stuckRelay = 8
    case gfiSelfTestFailed = 9
    case overTemperature = 10
    case overCurrent = 11
    case relayClosureFault = 14
    case sleeping = 254
    case disabled = 255

    /// The catalogue error the state reports (the table above); nil for none.
    public var errorID: String? {
        switch self {
        case .gfciFault: "rcdFault"
        case .noGround, .gfiSelfTestFailed: "rcdFault"
        case .stuckRelay: "contactorWelded"
        case .overCurrent: "overCurrentProtection"
        case .unknown, .a, .b, .c, .d, .diodeCheckFailed, .overTemperature, .relayClosureFault, .sleeping, .disabled: nil
        }
    }

    /// The vehicle state A–D of a state or pilot state 1–4.
    var vehicleState: PilotState? {
        switch self {
        case .a: .a
        case .b: .b
        case .c: .c
        case .d: .d
        default: nil
        }
    }
}

/// What ChargeKit knows of an OpenEVSE board, folded from its answers and notifications in the order they arrived, and
/// the connector status it amounts to.
public struct OpenEVSEObservation: Sendable, Equatable {
    /// The flag "charging relay is closed" (`ECVF_CHARGING_ON` in the firmware's `J1772EvseController.h`, reported in
    /// the `vflags` of `$GS` and `$AT`).
    public static let chargingOnFlag: UInt16 = 0x0040

    /// The last EVSE state reported (the raw value: a firmware may report a state this table does not know).
    public private(set) var evseState: UInt8 = 0
    /// The vehicle state last measured; kept while the board reports none (unknown, or a state without a pilot value).
    public private(set) var pilot: PilotState = .a
    public private(set) var flags: UInt16?
    /// The current capacity the board last reported (`$AT`, or the answer to `$SC`).
    public private(set) var currentCapacityAmps: Int?
    private var diodeFailed = false

    public init() {}

    public mutating func apply(_ s: OpenEVSEStateReport) {
        apply(evseState: s.evseState, pilotState: s.pilotState, flags: s.flags)
    }

    public mutating func apply(_ t: OpenEVSETransition) {
        apply(evseState: t.evseState, pilotState: t.pilotState, flags: t.flags)
        if let c = t.currentCapacityAmps { currentCapacityAmps = c }
    }

    /// The capacity in force after a `$SC`.
    public mutating func applyCurrentCapacity(_ amps: Int) { currentCapacityAmps = amps }

    private mutating func apply(evseState: UInt8, pilotState: UInt8?, flags: UInt16?) {
        self.evseState = evseState
        if let flags { self.flags = flags }
        let code = OpenEVSEStateCode(rawValue: evseState)
        diodeFailed = code == .diodeCheckFailed || pilotState == OpenEVSEStateCode.diodeCheckFailed.rawValue
        if code == .disabled {
            // The board drives −12 V: IEC 61851-1 state F; it cannot see the vehicle then ($G0: "unknown when EVSE pilot is -12VDC").
            pilot = .f
        } else if let p = pilotState.flatMap(OpenEVSEStateCode.init(rawValue:))?.vehicleState ?? (pilotState == nil ? code?.vehicleState : nil) {
            pilot = p
        } else if diodeFailed && !pilot.vehicleConnected {
            // A diode check runs on a connected vehicle's PWM: the vehicle is there even if no B/C/D was seen yet.
            pilot = .b
        } else if pilot == .f {
            pilot = .a
        }
    }

    /// The connector status: the pilot, the relay (the flag, or state C where the board reports no flags), the current
    /// signalled (the capacity in B and C, where the board's PWM is on), the errors of the state, the diode check.
    ///
    /// Asleep or disabled, the relay counts as open whatever the flag says: after `$FS` the board waits for the vehicle
    /// to stop drawing before it opens its relay (to spare the contacts an arc), and it checks the relay for welding
    /// itself (state 8, stuck relay). ChargeKit's own rule (a closed relay after charging was withheld is a welded
    /// contactor) would otherwise take that wait for a weld.
    public var status: SupervisedConnectorStatus {
        let code = OpenEVSEStateCode(rawValue: evseState)
        let withheld = code == .sleeping || code == .disabled
        let relay = !withheld && (flags.map { $0 & Self.chargingOnFlag != 0 } ?? (code == .c))
        let pwm = code == .b || code == .c
        return SupervisedConnectorStatus(pilot: pilot, relayClosed: relay, signaledAmps: pwm ? Double(currentCapacityAmps ?? 0) : 0,
                                         errors: Set(code?.errorID.map { [$0] } ?? []), diodeCheckOK: !diodeFailed)
    }
}

/// A command ChargeKit sends to an OpenEVSE board.
public enum OpenEVSECommand: Sendable, Equatable {
    /// `$SC amps V`: the current capacity, volatile (`V`: not written to EEPROM, so that a current changed every few
    /// seconds by load management does not wear it out; the board falls back to its stored capacity at reboot, when
    /// ChargeKit sets it again).
    case setCurrent(amps: Int)
    /// `$FE`: enable (charging released: the board offers its capacity and closes its relay in state C).
    case enable
    /// `$FS`: sleep (charging withheld: pilot at +12 V without PWM, relay open once the vehicle stopped drawing, the
    /// vehicle still seen).
    case sleep
    /// `$FB colour`: the LCD's RGB backlight, the board's own LED (rapi_proc.h: OFF 0, RED 1, GREEN 2, YELLOW 3, BLUE 4,
    /// VIOLET 5, TEAL 6, WHITE 7).
    case setBacklight(colour: Int)
    /// `$GS`, `$GG`, `$GU`, `$GE`, `$GC`, `$GV`: the reads.
    case getState, getCurrent, getEnergy, getSettings, getCurrentRange, getVersion

    /// The backlight colour that shows a connector's LED indication (seeds/004 §6): green ready, yellow reserved, white
    /// a card being checked and an update, blue authorized and charging, violet a refused card, red an error, off out of
    /// service. The backlight cannot blink; the colour is the state's.
    public static func backlightColour(_ indication: LEDIndication) -> Int {
        switch indication.state {
        case .off: 0
        case .fault: 1
        case .ready: 2
        case .reserved: 3
        case .authorized, .charging: 4
        case .rejected: 5
        case .authorizing, .updating: 7
        }
    }

    /// The command's letters and parameters.
    public var rapi: (name: String, parameters: [String]) {
        switch self {
        case .setCurrent(let amps): ("SC", [String(amps), "V"])
        case .enable: ("FE", [])
        case .sleep: ("FS", [])
        case .setBacklight(let colour): ("FB", [String(colour)])
        case .getState: ("GS", [])
        case .getCurrent: ("GG", [])
        case .getEnergy: ("GU", [])
        case .getSettings: ("GE", [])
        case .getCurrentRange: ("GC", [])
        case .getVersion: ("GV", [])
        }
    }

    /// The bytes on the line with the sequence id.
    public func bytes(sequenceID: UInt8) -> [UInt8] {
        let r = rapi
        return RAPI.command(r.name, r.parameters, sequenceID: sequenceID)
    }
}

/// Which commands carry ChargeKit's controls to the board: only what changed since the board last acknowledged it.
///
/// - Release at a current: `$SC amps V` (when the current changed), then `$FE` (when not yet enabled) — the current is
///   set before charging is enabled, so the board never offers an earlier, higher current.
/// - Withhold (and ChargeKit's state F): `$FS`. Not `$FD` (disable), although it puts the pilot at −12 V as state F
///   asks: a disabled board no longer sees the vehicle (the document's `$G0`: "unknown when EVSE pilot is -12VDC"), so
///   ChargeKit would miss the unplug that ends the session and clears a vehicle's error.
/// - Currents are whole amperes, rounded down (never more than the controller allows). A current below the board's
///   minimum (`$GC`) is not raised to it: charging is withheld instead.
/// - What the board was told is forgotten, and sent again, when it reports a state that contradicts it (enabled but
///   sleeping: its own time or energy limit, the front panel; asleep but in A–D), another current capacity (`$AT`), a
///   reboot (`$AB`), or when the link was reopened.
public struct OpenEVSEControlPlan: Sendable, Equatable {
    /// Whether the board was told to enable (true) or sleep (false); nil: unknown.
    public private(set) var enabled: Bool?
    /// The current last set; nil: unknown.
    public private(set) var amps: Int?
    /// The backlight colour last set; nil: unknown (the firmware repaints it on its own state changes).
    public private(set) var backlight: Int?
    /// The board's current range (`$GC`); nil: not known (the board answers `$NK` with the capacity it set instead).
    public var range: OpenEVSECurrentRange?

    public init(range: OpenEVSECurrentRange? = nil) { self.range = range }

    /// The commands that bring the board to `control`, in order.
    public func commands(for control: SupervisedConnectorControl) -> [OpenEVSECommand] {
        var amps = control.released ? Int(control.currentAmps.rounded(.down)) : 0
        if let r = range { amps = min(amps, r.maximumAmps) }
        let release = control.released && !control.stateF && amps >= (range?.minimumAmps ?? Int(PWM.minimumAmps))
        var out: [OpenEVSECommand] = []
        if let leds = control.leds, backlight != OpenEVSECommand.backlightColour(leds) {
            out.append(.setBacklight(colour: OpenEVSECommand.backlightColour(leds)))
        }
        guard release else { return enabled == false ? out : [.sleep] + out }
        if self.amps != amps { out.append(.setCurrent(amps: amps)) }
        if enabled != true { out.append(.enable) }
        return out
    }

    /// Records the board's answer to a command it was sent.
    public mutating func acknowledged(_ command: OpenEVSECommand, ok: Bool) {
        switch command {
        case .setCurrent(let a): amps = a  // `$NK ampsset` too: the board set what it could; asking again changes nothing
        case .enable: enabled = ok ? true : nil
        case .sleep: enabled = ok ? false : nil
        case .setBacklight(let colour): backlight = colour  // `$NK` (a monochrome LCD): not asked again
        default: break
        }
    }

    /// Compares a report of the board with what it was told; forgets what it contradicts.
    public mutating func observe(evseState: UInt8, currentCapacityAmps: Int?) {
        let code = OpenEVSEStateCode(rawValue: evseState)
        // The firmware paints its backlight on its own state changes: paint ChargeKit's again after one.
        if let last = lastState, last != evseState { backlight = nil }
        lastState = evseState
        if enabled == true && (code == .sleeping || code == .disabled) { enabled = nil }
        if enabled == false && code?.vehicleState != nil { enabled = nil }
        if let c = currentCapacityAmps, let a = amps, c != a, c != clampedToRange(a) { amps = nil }
    }

    private func clampedToRange(_ a: Int) -> Int {
        guard let r = range else { return a }
        return min(max(a, r.minimumAmps), r.maximumAmps)
    }

    /// Forgets everything the board was told (a reboot, a reopened link).
    public mutating func forget() { enabled = nil; amps = nil; backlight = nil }
    private var lastState: UInt8?
}
