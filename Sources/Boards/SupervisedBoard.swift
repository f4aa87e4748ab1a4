import EVSECore

/// What a supervised board reports about one connector.
///
/// A supervised board runs the IEC 61851-1 control pilot itself: it measures the vehicle's state, generates the PWM
/// for the current set-point it was given, closes and opens its contactor on state C/D while charging is released, and
/// checks its own relay, ground and pilot faults. ChargeKit supervises it: it releases or withholds charging and sets
/// the current (OpenEVSE over RAPI, EVSE-DIN over Modbus RTU, Phoenix Contact EV Charge Control over Modbus TCP).
/// A low-level board, where ChargeKit drives PWM, contactors and lock itself, implements ``HardwarePort`` directly,
/// as the simulator does.
public struct SupervisedConnectorStatus: Sendable, Equatable {
    /// The vehicle state the board measures on the pilot (A–F).
    public var pilot: PilotState
    /// Whether the board's contactor is closed (its feedback contact, or its own relay command where it has no feedback).
    public var relayClosed: Bool
    /// The cable's current capacity read from the proximity pilot (PP) resistor, in amperes; nil if the board has no PP
    /// input or no cable is plugged (IEC 61851-1 Annex B.5: 13, 20, 32 or 63 A).
    public var cableCapacityAmps: Double?
    /// Whether the plug lock is detected locked; nil if the board has no lock.
    public var lockLocked: Bool?
    /// The current the board signals now, in amperes (0: no PWM).
    public var signaledAmps: Double
    /// The catalogue errors the board reports itself (ids of ``ErrorCatalogue``), e.g. a stuck relay or a ground fault.
    public var errors: Set<String>
    /// Whether the board's diode check passed (a board that does not report it: true).
    public var diodeCheckOK: Bool

    public init(pilot: PilotState, relayClosed: Bool = false, cableCapacityAmps: Double? = nil, lockLocked: Bool? = nil,
                signaledAmps: Double = 0, errors: Set<String> = [], diodeCheckOK: Bool = true) {
        self.pilot = pilot; self.relayClosed = relayClosed; self.cableCapacityAmps = cableCapacityAmps; self.lockLocked = lockLocked
        self.signaledAmps = signaledAmps; self.errors = errors; self.diodeCheckOK = diodeCheckOK
    }
}

/// What ChargeKit asks of a supervised board for one connector: release charging at a current, or withhold it.
public struct SupervisedConnectorControl: Sendable, Equatable {
    /// Charging is released: the board offers `currentAmps` by PWM and closes its contactor when the vehicle asks.
    public var released: Bool
    /// The current to offer, in amperes (6–80 while released; 0 otherwise).
    public var currentAmps: Double
    /// The board should show state F (−12 V) if it can, else withhold charging: ChargeKit has an error that stops it.
    public var stateF: Bool
    /// The plug should be locked (boards with a lock actuator).
    public var locked: Bool
    /// The controller has commanded the contactor closed. The board closes it on its own as soon as the vehicle asks
    /// (state C) while charging is released, one control step before the controller's command: its feedback is held
    /// back until then (``SupervisedBoardPort``), or the controller would take it for a welded contactor.
    public var contactorCommanded: Bool

    /// What the connector's LEDs should show, for a board that has LEDs of its own (its protocol's colour command).
    public var leds: LEDIndication?

    public init(released: Bool = false, currentAmps: Double = 0, stateF: Bool = false, locked: Bool = false, leds: LEDIndication? = nil,
                contactorCommanded: Bool = false) {
        self.released = released; self.currentAmps = currentAmps; self.stateF = stateF; self.locked = locked; self.leds = leds
        self.contactorCommanded = contactorCommanded
    }

    /// Folds one of the controller's hardware commands in. The pilot command decides release and current (the board
    /// generates the PWM, including the 5 % signal's current where it cannot signal 5 %); the contactor command needs no
    /// translation, because the board closes its contactor itself exactly when the controller would (released, vehicle
    /// in C or D) and opens it when charging is withheld (it is only remembered, see ``contactorCommanded``); the lock
    /// command is passed on.
    ///
    /// - SeeAlso: IEC 61851-1:2017 Annex A.2 (the pilot function), the controller's rules in ``ConnectorStateMachine``.
    public mutating func apply(_ command: HardwareCommand) {
        switch command {
        case .setPilot(_, let signal):
            switch signal {
            case .off: released = false; currentAmps = 0; stateF = false
            case .stateF: released = false; currentAmps = 0; stateF = true
            case .pwm(let amps), .highLevelCommunication(let amps):
                released = true; currentAmps = min(max(amps, PWM.minimumAmps), PWM.maximumAmps); stateF = false
            }
        case .setLock(_, let on): locked = on
        case .showLEDs(_, let indication): leds = indication
        case .setRelays(_, let state): contactorCommanded = state.isClosed
        case .setPhases, .requestSignedReading: break
        }
    }
}

/// The connector a hardware command is for.
extension HardwareCommand {
    public var connector: Int {
        switch self {
        case .setPilot(let c, _), .setRelays(let c, _), .setLock(let c, _), .setPhases(let c, _), .requestSignedReading(let c, _),
             .showLEDs(let c, _): c
        }
    }
}
