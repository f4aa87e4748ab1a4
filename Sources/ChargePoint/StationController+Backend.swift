#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore
import LoadManagement
import OCPP16

/// The answer to an unlock command: OCPP's UnlockStatus (OCPP 1.6 §5.18).
public typealias UnlockOutcome = UnlockStatus

/// The answer to an availability change: OCPP's AvailabilityStatus (OCPP 1.6 §5.2).
public typealias AvailabilityOutcome = AvailabilityStatus

/// What the OCPP layer needs to know about one connector.
public struct ConnectorBackendView: Sendable, Equatable {
    public var connector: Int
    public var status: ConnectorStatus
    public var vehicleConnected: Bool
    public var authorized: Bool
    public var session: ChargingSession?
    public var meter: MeterReading
    public var offeredAmps: Double
    public var phaseCount: Int
    public var voltageV: Double
    public var stateOfChargePercent: Double?
    /// Active errors of the connector and of the whole station, most severe (stopping charging) first.
    public var errors: [ActiveError]
}

/// Commands of the backend (OCPP) and the views it reads.
extension StationController {
    /// The backend view of connector `n`.
    public func backendView(connector n: Int) -> ConnectorBackendView? {
        guard connectors.indices.contains(n - 1) else { return nil }
        let c = connectors[n - 1]
        var authorized = c.session.activeSession != nil
        if case .awaitingVehicle = c.session.state { authorized = true }
        let errs = errors.errors.filter { $0.connector == n || $0.connector == 0 }
            .sorted { ($0.definition?.stopsCharging ?? true) && !($1.definition?.stopsCharging ?? true) }
        return ConnectorBackendView(
            connector: n, status: c.machine.status, vehicleConnected: c.pilot.vehicleConnected, authorized: authorized,
            session: c.session.activeSession, meter: c.reading.meter, offeredAmps: c.machine.pilotSignal.signaledAmps,
            phaseCount: settings.connectors[min(n, settings.connectors.count) - 1].phasesConnected.phaseCount,
            voltageV: settings.powerSourceVoltageV, stateOfChargePercent: c.reading.vehicle?.stateOfChargePercent,
            errors: errs)
    }

    /// Station-wide active errors (connector 0).
    public var stationErrors: [ActiveError] { errors.errors.filter { $0.connector == 0 } }

    /// RemoteStartTransaction: authorizes `idTag` on `connector` (or the first free one, preferring one where a
    /// vehicle waits). With `authorize` the identifier is checked like a local card (AuthorizeRemoteTxRequests);
    /// otherwise the start is authorized at once and the backend checks the idTag in StartTransaction.
    /// Returns the connector, or nil when none can take it (Rejected).
    ///
    /// - SeeAlso: OCPP 1.6 §5.11; seeds/004 §5.1 "Send Authorize for RemoteStart".
    public mutating func remoteStart(idTag: String, connector: Int?, authorize: Bool, chargingProfile: ChargingProfile? = nil, now: Date) -> Int? {
        // A profile in RemoteStartTransaction must be a TxProfile for the transaction to come (errata 3.41/3.42; TC_060).
        if let p = chargingProfile, p.chargingProfilePurpose != ChargingProfiles.Purpose.txProfile.rawValue || p.transactionId != nil { return nil }
        func free(_ i: Int) -> Bool {
            guard connectors[i].machine.isOperative, !errors.stopsCharging(connector: i + 1) else { return false }
            if case .idle = connectors[i].session.state {} else { return false }
            return !authorizationFlow.pending.contains { $0.connector == i + 1 } && !connectors[i].machine.finishedWhileConnected
        }
        let target: Int
        if let connector {
            guard connectors.indices.contains(connector - 1), free(connector - 1) else { return nil }
            target = connector
        } else {
            let candidates = connectors.indices.filter(free)
            guard let i = candidates.first(where: { connectors[$0].pilot.vehicleConnected })
                ?? candidates.first(where: { reservations.reservation(connector: $0 + 1)?.admits(idTag: idTag, parentIdTag: nil) == true })
                ?? candidates.first(where: { !connectors[$0].machine.isReserved }) ?? candidates.first else { return nil }
            target = i + 1
        }
        // A reserved connector takes only its identifier or group. An identifier whose group the lists do not know is
        // asked about (Authorize.req, OCPP 1.6 §5.13) and checked against the reservation when the answer comes.
        var authorize = authorize
        let parent = authorization.parentIdTag(of: idTag, connector: target, now: now)
        if case .refused = reservationAdmission(connector: target, idTag: idTag, parentIdTag: parent) {
            guard parent == nil, reservations.reservation(connector: target)?.parentIdTag != nil else { return nil }
            authorize = true
        }
        if let chargingProfile { pendingRemoteProfiles[target] = chargingProfile }
        if authorize {
            present(PresentedIdentifier(idTag: idTag, kind: .rfid, secure: true), method: .remote, now: now, connector: target)
        } else {
            grant(target, AuthorizationGrant(idTag: idTag, presented: idTag, source: .backend), method: .remote, now: now)
        }
        applyLimits(now: now)
        return target
    }

    /// Stops the session on connector `n` with `reason`. Returns whether one was running.
    @discardableResult
    public mutating func stopSession(connector n: Int, reason: StopReason, now: Date) -> Bool {
        guard connectors.indices.contains(n - 1), connectors[n - 1].session.activeSession != nil else { return false }
        perform(n, connectors[n - 1].session.stop(reason: reason, now: now, meterWh: connectors[n - 1].reading.meter.energyWh), now: now)
        applyLimits(now: now)
        return true
    }

    /// Stops every running session (Reset) and returns the connectors that had one.
    @discardableResult
    public mutating func stopAllSessions(reason: StopReason, now: Date) -> [Int] {
        connectors.indices.compactMap { i in stopSession(connector: i + 1, reason: reason, now: now) ? i + 1 : nil }
    }

    /// UnlockConnector: a running session stops first (reason UnlockCommand), then the plug is unlocked.
    /// A connector without a lock actuator (fixed cable) or an unknown connector is NotSupported. A plug that is not
    /// locked is Unlocked at once; otherwise the answer waits for the lock detect to follow the command: `nil` here,
    /// then ``ControllerNotice/unlockFinished(connector:_:)`` with Unlocked, or UnlockFailed when the lock stays
    /// detected for ``lockConfirmTimeout`` (seeds/004 §9 "Type 2 actuator stuck") — a real actuator takes its time.
    ///
    /// - SeeAlso: OCPP 1.6 §5.18, errata 3.87; checklist §1.4.6.
    public mutating func unlock(connector n: Int, now: Date) -> UnlockOutcome? {
        guard connectors.indices.contains(n - 1), connectors[n - 1].machine.configuration.hasLockActuator else { return .notSupported }
        stopSession(connector: n, reason: .unlockCommand, now: now)
        run(n, connectors[n - 1].machine.handle(.unlockRequested))
        unlockRequests[n] = now
        return unlockFollowed(n, now: now)
    }

    /// The outcome of a waiting UnlockConnector once the lock detect shows it (nil: still waiting).
    mutating func unlockFollowed(_ n: Int, now: Date) -> UnlockOutcome? {
        guard let since = unlockRequests[n] else { return nil }
        let c = connectors[n - 1]
        if !c.reading.lockDetected || c.machine.lockCommanded {
            unlockRequests[n] = nil
            log(now, .parameterChanged, n, "Connector \(n) unlocked by the backend")
            return .unlocked
        }
        guard now.timeIntervalSince(since) >= Self.lockConfirmTimeout.seconds else { return nil }
        unlockRequests[n] = nil
        log(now, .parameterChanged, n, "Unlock of connector \(n) failed: the lock stays detected")
        return .unlockFailed
    }

    /// ChangeAvailability for connector `n` (0 = the whole station). A connector with a running transaction
    /// becomes inoperative when it ends (Scheduled).
    ///
    /// - SeeAlso: OCPP 1.6 §5.2.
    public mutating func changeAvailability(connector n: Int, operative: Bool, now: Date) -> AvailabilityOutcome {
        let targets = n == 0 ? Array(1...connectors.count) : [n]
        guard n == 0 || connectors.indices.contains(n - 1) else { return .rejected }
        var scheduled = false
        for t in targets {
            if !operative && connectors[t - 1].session.activeSession != nil { scheduled = true }
            setOperative(connector: t, operative, now: now)
        }
        return scheduled ? .scheduled : .accepted
    }

    /// The backend answered a session's StartTransaction with a status other than Accepted. With
    /// StopTransactionOnInvalidId the session stops (DeAuthorized); otherwise it stays and draws no energy.
    ///
    /// - SeeAlso: OCPP 1.6 §9.1.26, errata 3.17.
    public mutating func transactionNotAccepted(session id: UUID, status: String, stop: Bool, now: Date) {
        guard let i = connectors.indices.first(where: { connectors[$0].session.activeSession?.id == id }) else { return }
        log(now, .authorizationRejected, i + 1, "The backend answered StartTransaction with \(status)" + (stop ? "; session stopped" : "; energy stopped"))
        if stop {
            stopSession(connector: i + 1, reason: .deAuthorized, now: now)
        } else {
            connectors[i].energyBlocked = true
            applyLimits(now: now)
        }
    }

    /// Forgets Authorize requests that wait for the backend (the connection is lost; the offline rules apply).
    public mutating func backendUnavailable(now: Date) {
        carryOut(authorizationFlow.backendUnavailable(), now: now)
    }
}
