#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import LoadManagement
import OCPP16

/// The catalogued errors of the station and its connectors: raised and resolved from what the board reports
/// (seeds/004 §9, seeds/002 §3).
extension StationController {
    // MARK: Errors

    mutating func evaluateErrors(_ n: Int, _ r: ConnectorReading, relaysCommanded: RelayState, now: Date) {
        evaluateBoardErrors(n, r.boardErrors, now: now)
        evaluateSurroundings(n, r, now: now)
        setError("connectorBoardNotCommunicating", connector: n, active: !r.boardLinked, now: now)
        setError("meterNotCommunicating", connector: n, active: !r.meter.communicating || r.boardErrors.contains("meterNotCommunicating"), now: now)
        setError("vehicleError", connector: n, active: r.pilot == .e, now: now)
        if r.pilot != .a && !r.diodeCheckOK {
            setError("vehicleDiodeCheckFailed", connector: n, active: true, now: now)
        } else if r.pilot == .a {
            setError("vehicleDiodeCheckFailed", connector: n, active: false, now: now)
        }
        if r.residualCurrent.exceedsTripThreshold {
            setError("rcmbResidualCurrent", connector: n, active: true, now: now)
        } else if let since = connectors[n - 1].unpluggedSince,
                  now.timeIntervalSince(since) >= Self.residualCurrentResetDelay.seconds {
            setError("rcmbResidualCurrent", connector: n, active: false, now: now)
        }
        let m = connectors[n - 1].machine
        if !readingPredatesCommands {
            setError("contactorWelded", connector: n, active: (!relaysCommanded.isClosed && r.relayFeedback.isClosed)
                     || r.boardErrors.contains("contactorWelded"), now: now)
        }
        if m.lockCommanded && !r.lockDetected {
            if connectors[n - 1].lockCommandedAt == nil { connectors[n - 1].lockCommandedAt = now }
            if let at = connectors[n - 1].lockCommandedAt, now.timeIntervalSince(at) >= Self.lockConfirmTimeout.seconds,
               !errors.isActive("plugLockingFailed", connector: n) {
                setError("plugLockingFailed", connector: n, active: true, now: now)
                lockAttempt(n, confirmed: false, now: now)
            }
        } else {
            if m.lockCommanded && r.lockDetected && connectors[n - 1].unconfirmedLocks > 0 { lockAttempt(n, confirmed: true, now: now) }
            connectors[n - 1].lockCommandedAt = nil
            setError("plugLockingFailed", connector: n, active: false, now: now)
        }
        // seeds/004 §9 "Type 2 actuator stuck, cannot unlock": the lock stays detected after an unlock command.
        if !m.lockCommanded && r.lockDetected && m.configuration.hasLockActuator {
            if connectors[n - 1].unlockCommandedAt == nil { connectors[n - 1].unlockCommandedAt = now }
            if let at = connectors[n - 1].unlockCommandedAt, now.timeIntervalSince(at) >= Self.lockConfirmTimeout.seconds {
                setError("actuatorStuck", connector: n, active: true, now: now)
            }
        } else {
            connectors[n - 1].unlockCommandedAt = nil
            setError("actuatorStuck", connector: n, active: false, now: now)
        }
    }

    /// The errors a supervised board reports itself: raised while it reports them, resolved when it stops. An id the
    /// controller also derives from the reading (a welded contactor) is left to that rule, which the board's own
    /// report then only adds to.
    mutating func evaluateBoardErrors(_ n: Int, _ reported: Set<String>, now: Date) {
        let previous = connectors[n - 1].boardErrors
        guard reported != previous else { return }
        for id in reported.subtracting(previous).sorted() { setError(id, connector: n, active: true, now: now) }
        for id in previous.subtracting(reported).sorted() { setError(id, connector: n, active: false, now: now) }
        connectors[n - 1].boardErrors = reported
    }

    /// Raises or resolves `id` on connector `n` and logs the change. Called for every rule on every tick (ten times a
    /// second per connector), so it looks at the catalogue only when the state changes: the catalogue is a dictionary
    /// keyed by the error's name, and hashing a name reads its bytes from the binary's constant strings, which the
    /// station would otherwise keep mapped (and pay for) in a dozen places for nothing.
    mutating func setError(_ id: String, connector n: Int, active: Bool, now: Date) {
        guard active != errors.isActive(id, connector: n), let d = ErrorCatalogue.definition(id) else { return }
        if active, errors.raise(id, connector: n, now: now) != nil {
            log(now, .errorRaised, n, d.activationMessage, code: id)
        } else if !active, errors.resolve(id, connector: n) != nil {
            log(now, .errorResolved, n, d.resolutionMessage, code: id)
        }
    }
}
