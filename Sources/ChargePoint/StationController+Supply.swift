#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// A condition that counts only once it has held for a while, and ends only once it has been gone as long: a dip of
/// the supply voltage, a spike, does not raise an error, and an error does not flicker off and on.
struct HeldCondition: Sendable, Equatable {
    private(set) var active = false
    private var changingSince: Date?

    /// Feeds the condition's current value; returns whether it counts as active now.
    mutating func update(_ condition: Bool, now: Date, holdSeconds: Double) -> Bool {
        if condition == active { changingSince = nil; return active }
        let since = changingSince ?? now
        changingSince = since
        if now.timeIntervalSince(since) >= holdSeconds { active = condition; changingSince = nil }
        return active
    }
}

/// The catalogue errors raised by the station's surroundings (issue 22 item 6): the auxiliary contacts of the MCB, RCD
/// and surge protector, the supply's voltage from the connector meters, a vehicle drawing more than it may, a lock
/// actuator that never confirms, and a lost backend shown as an error.
extension StationController {
    /// How long a vehicle may draw more than the signalled current: IEC 61851-1:2017 gives the vehicle 5 s to follow a
    /// lower duty cycle (Annex A, Table A.6, sequence 9.2); 2 s more for the meter's reading to follow.
    static let overCurrentHoldSeconds = 7.0
    /// Lock attempts in a row without a confirmation before the actuator counts as not detected.
    static let lockAttemptsBeforeNotDetected = 3

    /// The tolerance above the signalled current: 2 A, or 10 % above 20 A (meters and vehicles' chargers are not exact).
    static func overCurrentToleranceAmps(signaled: Double) -> Double { max(2, signaled * 0.1) }

    /// Connector `n`'s auxiliary contacts and its vehicle's current.
    mutating func evaluateSurroundings(_ n: Int, _ r: ConnectorReading, now: Date) {
        // seeds/004 §9: "MCB of type 2 socket triggered" until "MCB type 2 reconnected"; "RCD-Fault" until "RCD reconnected".
        // A supervised board that detects them itself reports them as the contact would (``SupervisedBoardPort``).
        setError("mcbType2Triggered", connector: n, active: r.mcbTripped, now: now)
        setError("rcdFault", connector: n, active: r.rcdTripped, now: now)
        let signaled = connectors[n - 1].machine.pilotSignal.signaledAmps
        let drawn = max(r.meter.currentA.l1, r.meter.currentA.l2, r.meter.currentA.l3)
        if signaled > 0, r.meter.communicating, drawn > signaled + Self.overCurrentToleranceAmps(signaled: signaled) {
            let since = connectors[n - 1].overCurrentSince ?? now
            connectors[n - 1].overCurrentSince = since
            if now.timeIntervalSince(since) >= Self.overCurrentHoldSeconds {
                setError("overCurrentProtection", connector: n, active: true, now: now)
            }
        } else {
            connectors[n - 1].overCurrentSince = nil
        }
        // The protection holds until the vehicle is unplugged (a new vehicle, or the same one after the driver saw it).
        if r.pilot == .a && !r.boardErrors.contains("overCurrentProtection") {
            setError("overCurrentProtection", connector: n, active: false, now: now)
        }
    }

    /// A lock command the detect switch did not confirm in time ("Plug locking failed" was raised): after three in a
    /// row, "Could not detect type 2 locking actuator"; a confirmed lock clears both the count and the error (a restart
    /// tries again, as seeds/004 §9 says of a hard reset).
    mutating func lockAttempt(_ n: Int, confirmed: Bool, now: Date) {
        if confirmed {
            connectors[n - 1].unconfirmedLocks = 0
            setError("actuatorNotDetected", connector: n, active: false, now: now)
        } else {
            connectors[n - 1].unconfirmedLocks += 1
            if connectors[n - 1].unconfirmedLocks >= Self.lockAttemptsBeforeNotDetected {
                setError("actuatorNotDetected", connector: n, active: true, now: now)
            }
        }
    }

    /// The station's supply and surroundings: the surge protector's contact, the phase voltages of the connector meters
    /// (wired phases only; a meter that does not answer or measures no voltage at all is left out), the backend.
    mutating func evaluateStationSurroundings(now: Date) {
        setError("spdTripped", connector: 0, active: board.input(.surgeProtector), now: now)
        let limits = settings.supplyProtection
        var under = false, over = false
        for (i, c) in connectors.enumerated() {
            let m = c.reading.meter
            guard m.communicating, m.voltageV.l1 != 0 || m.voltageV.l2 != 0 || m.voltageV.l3 != 0 else { continue }
            let wired = settings.connectors[min(i, settings.connectors.count - 1)].phasesConnected.phaseCount
            for p in 0..<wired {
                under = under || m.voltageV[p] < limits.underVoltageV
                over = over || m.voltageV[p] > limits.overVoltageV
            }
        }
        setError("underVoltage", connector: 0, active: underVoltageHeld.update(under, now: now, holdSeconds: limits.holdSeconds), now: now)
        setError("overVoltage", connector: 0, active: overVoltageHeld.update(over, now: now, holdSeconds: limits.holdSeconds), now: now)
        // seeds/004 §4 "Display backend disconnect as error": raised once the backend is away longer than the Backend
        // connection timeout, resolved when it is back (or the display is turned off).
        if online || !backendConfigured { backendOfflineSince = nil } else if backendOfflineSince == nil { backendOfflineSince = now }
        let away = backendOfflineSince.map { now.timeIntervalSince($0) >= limits.backendGraceSeconds } ?? false
        setError("backendDisconnected", connector: 0, active: limits.displayBackendDisconnect && away, now: now)
    }
}
