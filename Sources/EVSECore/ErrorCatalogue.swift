#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Whether an error concerns one connector or the whole station (seeds/002 §3 column ID: "0 = the whole
/// station or a component of the whole station, n = a particular EVSE connector").
public enum ErrorScope: String, Sendable, Codable, Equatable {
    case station
    case connector
}

/// One entry of the error catalogue.
public struct ErrorDefinition: Sendable, Codable, Equatable, Identifiable {
    /// Stable identifier used in the API, the event log and the database.
    public var id: String
    /// The error code the seed names (seeds/004 §9 "Error code", seeds/002 §3 "Error").
    public var code: String
    /// Message logged and shown when the error becomes active.
    public var activationMessage: String
    /// Message logged when the error is resolved.
    public var resolutionMessage: String
    /// seeds/004 §9 "Transaction and charging is stopped"; seeds/002 §3 status "Fehlerhaft".
    public var stopsCharging: Bool
    public var scope: ErrorScope
    /// Corrective action or note from the seed, if any.
    public var correctiveAction: String?
    /// Number of LED blinks the seed lists (seeds/002 §3 "Topper"), if any.
    public var ledBlinks: Int?
    /// Where the entry comes from.
    public var source: String
    /// A failure of the USB link between the controller and a connector board (dual stations): reported to the
    /// backend only with "Send USB error StatusNotifications" (seeds/004 §4).
    public var usbLink: Bool = false
}

/// The error catalogue: every error of seeds/004 §9 (Foutdocumentatie) and seeds/002 §3 (OCPP Errors)
/// with its activation message, resolution message, whether it stops charging and its scope.
/// Texts are kept as the seeds give them (seeds/002 in German).
public enum ErrorCatalogue {
    private static func bender(_ id: String, _ code: String, _ on: String, _ off: String, stops: Bool,
                               _ scope: ErrorScope, _ action: String? = nil, blinks: Int? = nil) -> ErrorDefinition {
        ErrorDefinition(id: id, code: code, activationMessage: on, resolutionMessage: off, stopsCharging: stops,
                        scope: scope, correctiveAction: action, ledBlinks: blinks, source: blinks == nil ? "seeds/004 §9" : "seeds/004 §9; blinks seeds/002 §3")
    }

    private static func technagon(_ id: String, _ code: String, _ info: String, stops: Bool, _ scope: ErrorScope,
                                  blinks: Int? = nil) -> ErrorDefinition {
        ErrorDefinition(id: id, code: code, activationMessage: info, resolutionMessage: "Behoben: \(info)",
                        stopsCharging: stops, scope: scope, correctiveAction: nil, ledBlinks: blinks,
                        source: "seeds/002 §3")
    }

    /// Every catalogued error, each raised by something real (issue 22 item 6). seeds/002 §3 lists, for the same
    /// faults, entries of its own whose blink counts ("Topper") are kept on the seeds/004 entry that ChargeKit raises:
    /// GroundFailure ×4 on `rcdFault`, PowerSwitchFailure ×2 on `contactorWelded`, ConnectorLockFailure ×5 on the lock
    /// errors, PowerMeterFailure ×6 on `meterNotCommunicating`, EVSE/EVCommunicationError ×1 on `vehicleError`,
    /// OverCurrentFailure ×3 on the MCB and the over-current protection. Removed because nothing here can raise them:
    /// seeds/002's duplicates of those (RCD, Schützkleber, Stecker-Verriegelung, Zähler-Kommunikation, Fehler am
    /// Fahrzeug ×2, RFID reader not found — a missing reader stops the start instead), its OverVoltageProtectionFailure
    /// (the surge protector's contact raises `spdTripped`), its GSWML SD-card RegulatoryComplianceFailure (ChargeKit has
    /// no GSWML; signed readings have `signedMeterValuesUnavailable`), and seeds/004's "MCB of domestic socket" (ChargeKit
    /// drives no domestic socket; the OMCCI error bit 4 stays reserved for it).
    public static let all: [ErrorDefinition] = [
        // seeds/004 §9 (Bender CC613)
        bender("rcmbResidualCurrent", "groundFailure", "Residual current detected via sensor",
               "Residual current situation resolved", stops: true, .connector,
               "Reset every time the cable is unplugged; otherwise automatically 10 seconds after the EV was unplugged. If the problem persists, check the current transformer (coil) and its connection."),
        bender("vehicleError", "mode3Error", "Vehicle signals error", "Vehicle error resolved", stops: false, .connector,
               "Disconnect EV and try again. If that doesn't help, follow EV's instructions.", blinks: 1),
        bender("vehicleDiodeCheckFailed", "mode3Error", "Vehicle diode check failed - tamper detection",
               "Vehicle with diode problem disconnected", stops: true, .connector,
               "Disconnect EV and try again. If that doesn't help, follow EV's instructions."),
        bender("mcbType2Triggered", "overCurrentFailure", "MCB of type 2 socket triggered", "MCB type 2 reconnected",
               stops: true, .connector, "MCB needs to be re-armed, requires a maintenance visit.", blinks: 3),
        bender("rcdFault", "groundFailure", "RCD-Fault", "RCD reconnected", stops: true, .connector,
               "Up to a certain point this will be corrected automatically.", blinks: 4),
        bender("spdTripped", "otherError", "Surge Protection Device (SPD) tripped. Replace.", "SPD triggered",
               stops: false, .station, "Surge Protection Devices (SPD) need to be replaced."),
        bender("contactorWelded", "powerSwitchFailure", "Contactor welded", "Contactor weld resolved", stops: true,
               .connector, "Very likely requires a maintenance visit with high priority.", blinks: 2),
        bender("backendDisconnected", "otherError", "Backend disconnected", "Backend disconnected", stops: false, .station),
        bender("plugLockingFailed", "connectorLockFailure", "Plug locking failed", "Plug locking failed", stops: false,
               .connector, "Typically caused by not fully inserted plugs; unplugging and plugging again in most cases resolves the problem.", blinks: 5),
        bender("actuatorStuck", "connectorLockFailure", "Type 2 actuator stuck, cannot unlock",
               "Type 2 locking actuator recovered", stops: true, .connector,
               "An Unlock Connector or Hard Reset triggers another attempt to unlock.", blinks: 5),
        bender("actuatorNotDetected", "connectorLockFailure", "Could not detect type 2 locking actuator",
               "Type 2 locking actuator detected", stops: true, .connector,
               "A hard reset triggers another attempt to redetect the actuator type.", blinks: 5),
        bender("meterNotCommunicating", "powerMeterFailure", "OCPP meter not communicating",
               "OCPP meter communication recovered", stops: true, .connector, blinks: 6),
        bender("externalMeterNotCommunicating", "powerMeterFailure", "External meter not communicating",
               "External meter communication recovered", stops: false, .station),
        ErrorDefinition(id: "connectorBoardNotCommunicating", code: "internalError",
                        activationMessage: "Connector board not communicating (USB link lost)",
                        resolutionMessage: "Connector board communication recovered", stopsCharging: true, scope: .connector,
                        correctiveAction: "Check the USB cable between the controller and the connector board.", ledBlinks: nil,
                        source: "seeds/004 §4 Send USB error StatusNotifications", usbLink: true),
        bender("rfidReaderNotCommunicating", "readerFailure", "RFID reader not communicating", "RFID reader recovered",
               stops: false, .station),
        // seeds/002 §3 (Technagon, OCPP 1.6 error codes; "Verfügbar" = keeps charging, "Fehlerhaft" = stops)
        technagon("weakSignal", "WeakSignal", "Schlechter Empfang über das Mobilfunknetz", stops: false, .station),
        // seeds/002 §3 lists RegulatoryComplianceFailure for the whole station (its GSWML's SD card, which ChargeKit does
        // not have); a meter that cannot sign concerns one connector, so it is an entry of its own with the same code (issue 28 item 6: "Require
        // signed meter values"). It stops charging like the seed's entry ("Fehlerhaft").
        ErrorDefinition(id: "signedMeterValuesUnavailable", code: "RegulatoryComplianceFailure",
                        activationMessage: "Signed meter values unavailable: the meter's public key or signature cannot be read",
                        resolutionMessage: "Signed meter values available again", stopsCharging: true, scope: .connector,
                        correctiveAction: "Check the signing meter and its connection. Where calibration law does not apply, turn off Require signed meter values.",
                        ledBlinks: 7, source: "seeds/002 §3 RegulatoryComplianceFailure"),
        technagon("underVoltage", "UnderVoltage", "Phasenausfall: min. 1 Phase fehlt", stops: true, .station),
        // OverVoltage is an OCPP 1.6 error code (§7.6) without an entry in either seed; the meter's voltages raise it
        // like UnderVoltage (issue 22 item 6, EN 50160's +10 %).
        ErrorDefinition(id: "overVoltage", code: "OverVoltage", activationMessage: "Overvoltage: a phase is above the upper voltage limit",
                        resolutionMessage: "Voltage back within limits", stopsCharging: true, scope: .station,
                        correctiveAction: "Check the supply voltage; the limits are the parameters Overvoltage threshold and Voltage error hold time.",
                        ledBlinks: nil, source: "OCPP 1.6 §7.6 ChargePointErrorCode OverVoltage"),
        // seeds/002's "Die Überstromsicherung hat ausgelöst": the station's own over-current protection trips when a
        // vehicle draws more than the signalled current for too long (the MCB's own trip is mcbType2Triggered).
        technagon("overCurrentProtection", "OverCurrentFailure", "Die Überstromsicherung hat ausgelöst", stops: true,
                  .connector, blinks: 3),
    ]

    private static let byID: [String: ErrorDefinition] = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0) })

    /// The definition with identifier `id`.
    public static func definition(_ id: String) -> ErrorDefinition? { byID[id] }
}

/// An error that is currently active.
public struct ActiveError: Sendable, Codable, Equatable, Hashable {
    public var id: String
    /// Connector number for connector errors; 0 for station errors.
    public var connector: Int
    public var since: Date

    public init(id: String, connector: Int, since: Date) {
        self.id = id; self.connector = connector; self.since = since
    }

    public var definition: ErrorDefinition? { ErrorCatalogue.definition(id) }
}

/// The set of active errors, with raise/resolve transitions that report whether anything changed,
/// so that every activation and resolution is logged exactly once.
public struct ActiveErrors: Sendable, Equatable {
    public private(set) var errors: [ActiveError] = []

    public init() {}

    /// Raises `id` on `connector` (0 = station). Returns the new entry, or `nil` if it was already active.
    public mutating func raise(_ id: String, connector: Int, now: Date) -> ActiveError? {
        guard !isActive(id, connector: connector) else { return nil }
        let e = ActiveError(id: id, connector: connector, since: now)
        errors.append(e)
        return e
    }

    /// Resolves `id` on `connector`. Returns the resolved entry, or `nil` if it was not active.
    public mutating func resolve(_ id: String, connector: Int) -> ActiveError? {
        guard let i = errors.firstIndex(where: { $0.id == id && $0.connector == connector }) else { return nil }
        return errors.remove(at: i)
    }

    public func isActive(_ id: String, connector: Int) -> Bool {
        errors.contains { $0.id == id && $0.connector == connector }
    }

    /// Whether an active error stops charging on `connector` (its own errors or the station's).
    public func stopsCharging(connector: Int) -> Bool {
        errors.contains { ($0.connector == connector || $0.connector == 0) && ($0.definition?.stopsCharging ?? true) }
    }
}
