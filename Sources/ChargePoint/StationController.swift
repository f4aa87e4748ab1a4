#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// Something the controller did or noticed, returned for logging by the runtime.
public enum ControllerNotice: Sendable, Equatable {
    case statusChanged(connector: Int, from: ConnectorStatus, to: ConnectorStatus)
    case logged(EventLogEntry)
    /// A store call failed; `what` names the operation.
    case storeFailed(what: String, error: String)
}

/// The station's behaviour in one value: polls the hardware, runs the connector and session state
/// machines, raises and resolves catalogued errors, applies current limits and persists sessions,
/// meter samples and the event log through its store. It does no I/O of its own: time comes in as
/// `now`, the hardware and the store are ports.
public struct StationController<Hardware: HardwarePort> {
    struct ConnectorRuntime {
        var machine: ConnectorStateMachine
        var session: SessionStateMachine
        var pilot: PilotState
        var reading: ConnectorReading
        var limit: CurrentLimit
        var lockCommandedAt: Date?
        var unpluggedSince: Date?
        /// End of the 5 % duty cycle phase in HLC Encouragement mode.
        var encouragementUntil: Date?
    }

    /// Time after which a commanded lock that the lock detect does not confirm raises "Plug locking failed".
    public static var lockConfirmTimeout: Duration { .seconds(2) }
    /// seeds/004 §9 groundFailure: the RCMB error resets 10 s after the EV was unplugged.
    public static var residualCurrentResetDelay: Duration { .seconds(10) }

    public var hardware: Hardware
    public private(set) var settings: StationSettings
    public private(set) var errors = ActiveErrors()
    public let startedAt: Date
    /// How often meter samples of running sessions (and the hardware state) are persisted.
    public var persistInterval: Duration = .seconds(5)

    private var connectors: [ConnectorRuntime]
    private let store: any StationStore
    private let policy: any AuthorizationPolicy
    private let makeID: @Sendable () -> UUID
    private var lastPersistAt: Date
    private var persistPending = false
    private var notices: [ControllerNotice] = []

    /// Creates the controller and recovers sessions that were open when the station stopped: with
    /// "Restart transaction after power loss" On and the vehicle still connected the session resumes;
    /// otherwise it is closed with reason PowerLoss (Reboot after a clean shutdown).
    ///
    /// - SeeAlso: seeds/004 §4 "Restart transaction after power loss".
    public init(settings: StationSettings, hardware: Hardware, store: any StationStore,
                policy: any AuthorizationPolicy = AcceptAnyIdentifier(), now: Date, previousShutdownClean: Bool = false,
                makeID: @escaping @Sendable () -> UUID = { UUID() }) {
        self.settings = settings
        self.hardware = hardware
        self.store = store
        self.policy = policy
        self.makeID = makeID
        self.startedAt = now
        self.lastPersistAt = now
        let count = min(settings.connectorCount, hardware.connectorCount)
        connectors = (1...max(1, count)).map { n in
            let reading = hardware.reading(connector: n)
            var machine = ConnectorStateMachine(configuration: Self.machineConfiguration(settings, n))
            _ = machine.handle(.pilotChanged(.a))
            return ConnectorRuntime(machine: machine,
                                    session: SessionStateMachine(connector: n, vehicleConnectionTimeout: settings.vehicleConnectionTimeout),
                                    pilot: .a, reading: reading, limit: CurrentLimit(amps: 0, binding: .hardware))
        }
        log(now, .stationStarted, 0, "Station started with \(connectors.count) connector(s)")
        recover(now: now, previousShutdownClean: previousShutdownClean)
        applyLimits()
        poll(now: now)
    }

    private static func machineConfiguration(_ s: StationSettings, _ n: Int) -> ConnectorStateMachine.Configuration {
        let c = s.connectors[min(n, s.connectors.count) - 1]
        return .init(lockOnlyIfAuthorized: s.lockActuatorOnlyIfAuthorized,
                     chargingRelays: c.phasesConnected.phaseCount == 3 ? .threePhase : .onePhase)
    }

    /// Number of connectors the controller drives.
    public var connectorCount: Int { connectors.count }

    /// Removes and returns what happened since the last call.
    public mutating func takeNotices() -> [ControllerNotice] {
        defer { notices.removeAll() }
        return notices
    }

    // MARK: Recovery

    private mutating func recover(now: Date, previousShutdownClean: Bool) {
        let open: [SessionRecord]
        do { open = try store.openSessions() } catch {
            notices.append(.storeFailed(what: "openSessions", error: "\(error)")); return
        }
        for record in open {
            let s = record.session
            let n = s.connector
            let reading = connectors.indices.contains(n - 1) ? hardware.reading(connector: n) : nil
            let meterWh = max(reading?.meter.energyWh ?? 0, record.lastSample?.energyWh ?? s.meterStartWh)
            if settings.restartTransactionAfterPowerLoss, let reading, reading.pilot.vehicleConnected {
                connectors[n - 1].pilot = reading.pilot
                connectors[n - 1].reading = reading
                run(n, connectors[n - 1].machine.handle(.pilotChanged(reading.pilot)))
                connectors[n - 1].session.resume(s)
                run(n, connectors[n - 1].machine.handle(.transactionStarted))
                log(now, .sessionResumed, n, "Session \(s.id) of \(s.idTag) resumed after restart (Restart transaction after power loss: On)")
            } else {
                let reason: StopReason = previousShutdownClean ? .reboot : .powerLoss
                let at = record.lastSample?.at ?? s.startedAt
                do { try store.sessionStopped(s.id, at: at, meterStopWh: meterWh, reason: reason) } catch {
                    notices.append(.storeFailed(what: "sessionStopped", error: "\(error)"))
                }
                log(now, .sessionStopped, n, "Session \(s.id) of \(s.idTag) closed after restart, reason \(reason.rawValue), \(Int(meterWh - s.meterStartWh)) Wh")
            }
        }
    }

    // MARK: Settings

    /// Applies changed settings at once (current limits, timeouts, lock behaviour).
    public mutating func update(settings new: StationSettings) {
        settings = new
        for i in connectors.indices {
            connectors[i].machine.configuration = Self.machineConfiguration(new, i + 1)
            connectors[i].session.vehicleConnectionTimeout = new.vehicleConnectionTimeout
        }
    }

    // MARK: Polling

    /// Reads the hardware and advances every state machine to `now`. Call it periodically
    /// (the runtime does every 100 ms) and after every hardware change.
    public mutating func poll(now: Date) {
        for n in 1...connectors.count { pollConnector(n, now: now) }
        pollStation(now: now)
        handleRFID(now: now)
        applyLimits()
        persistIfDue(now: now)
    }

    private mutating func pollConnector(_ n: Int, now: Date) {
        let r = hardware.reading(connector: n)
        connectors[n - 1].reading = r
        // What the reading reflects: contactor commands given before it was taken.
        let relaysAtReading = connectors[n - 1].machine.relays
        let old = connectors[n - 1].pilot
        if r.pilot != old {
            connectors[n - 1].pilot = r.pilot
            run(n, connectors[n - 1].machine.handle(.pilotChanged(r.pilot)))
            persistPending = true
            if old == .a && r.pilot.vehicleConnected {
                connectors[n - 1].unpluggedSince = nil
                vehicleConnected(n, now: now, meterWh: r.meter.energyWh)
            } else if r.pilot == .a && old != .a {
                connectors[n - 1].unpluggedSince = now
                perform(n, connectors[n - 1].session.stop(reason: .evDisconnected, now: now, meterWh: r.meter.energyWh), now: now)
            }
        }
        if r.lockDetected != connectors[n - 1].machine.lockConfirmed {
            run(n, connectors[n - 1].machine.lockFeedback(r.lockDetected))
        }
        evaluateErrors(n, r, relaysCommanded: relaysAtReading, now: now)
        let faulted = errors.stopsCharging(connector: n)
        if faulted != connectors[n - 1].machine.isFaulted {
            if faulted {
                perform(n, connectors[n - 1].session.stop(reason: .other, now: now, meterWh: r.meter.energyWh), now: now)
            }
            run(n, connectors[n - 1].machine.handle(.faulted(faulted)))
        }
        perform(n, connectors[n - 1].session.tick(now: now), now: now)
        updateHighLevelCommunication(n, now: now)
    }

    /// Applies the ISO 15118 mode (seeds/004 §7.3): Force keeps the 5 % duty cycle during the whole
    /// transaction; Encouragement signals it for the first 2 seconds and keeps it only if the vehicle
    /// answered with ISO 15118 (reported an EVCCID); all other modes use the nominal duty cycle.
    private mutating func updateHighLevelCommunication(_ n: Int, now: Date) {
        let c = connectors[n - 1]
        var wanted = false
        if c.session.activeSession != nil {
            switch settings.hlcMode {
            case .force: wanted = true
            case .encouragement:
                let inWindow = c.encouragementUntil.map { now < $0 } ?? false
                wanted = inWindow || (c.machine.highLevelCommunication && c.reading.evccid != nil)
            case .off, .offer, .ed2: wanted = false
            }
        }
        if wanted != c.machine.highLevelCommunication {
            run(n, connectors[n - 1].machine.handle(.highLevelCommunication(wanted)))
        }
    }

    private mutating func vehicleConnected(_ n: Int, now: Date, meterWh: Double) {
        // Card first on another free connector: the authorization follows the vehicle.
        if case .idle = connectors[n - 1].session.state,
           let m = connectors.indices.first(where: { i in
               if case .awaitingVehicle = connectors[i].session.state, !connectors[i].pilot.vehicleConnected { return true }
               return false
           }),
           case .awaitingVehicle(let auth, _) = connectors[m].session.state {
            _ = connectors[m].session.stop(reason: .other, now: now, meterWh: 0)
            run(m + 1, connectors[m].machine.handle(.authorizationEnded))
            guard !errors.stopsCharging(connector: n) else { return }
            perform(n, connectors[n - 1].session.authorize(auth, vehicleConnected: true, meterWh: meterWh, newID: makeID()), now: now)
            return
        }
        guard !errors.stopsCharging(connector: n) else { return }
        perform(n, connectors[n - 1].session.vehicleConnected(now: now, meterWh: meterWh, newID: makeID()), now: now)
    }

    private mutating func pollStation(now: Date) {
        setError("rfidReaderNotCommunicating", connector: 0, active: !hardware.rfidReaderHealthy, now: now)
    }

    // MARK: Errors

    private mutating func evaluateErrors(_ n: Int, _ r: ConnectorReading, relaysCommanded: RelayState, now: Date) {
        setError("meterNotCommunicating", connector: n, active: !r.meter.communicating, now: now)
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
        setError("contactorWelded", connector: n, active: !relaysCommanded.isClosed && r.relayFeedback.isClosed, now: now)
        if m.lockCommanded && !r.lockDetected {
            if connectors[n - 1].lockCommandedAt == nil { connectors[n - 1].lockCommandedAt = now }
            if let at = connectors[n - 1].lockCommandedAt, now.timeIntervalSince(at) >= Self.lockConfirmTimeout.seconds {
                setError("plugLockingFailed", connector: n, active: true, now: now)
            }
        } else {
            connectors[n - 1].lockCommandedAt = nil
            setError("plugLockingFailed", connector: n, active: false, now: now)
        }
    }

    private mutating func setError(_ id: String, connector n: Int, active: Bool, now: Date) {
        guard let d = ErrorCatalogue.definition(id) else { return }
        if active, errors.raise(id, connector: n, now: now) != nil {
            log(now, .errorRaised, n, d.activationMessage, code: id)
        } else if !active, errors.resolve(id, connector: n) != nil {
            log(now, .errorResolved, n, d.resolutionMessage, code: id)
        }
    }

    // MARK: Authorization

    private mutating func handleRFID(now: Date) {
        for uid in hardware.takeRFIDReads() where !uid.isEmpty {
            let idTag = uid.map { byte in
                let s = String(byte, radix: 16, uppercase: true)
                return s.count == 1 ? "0" + s : s
            }.joined()
            present(idTag: idTag, method: .rfid, now: now)
        }
    }

    /// An identifier was presented at the station (card, or another method).
    ///
    /// Order: the same identifier stops its own running session (Stop Transaction Mode "Normal",
    /// seeds/004 §5.1); otherwise it authorizes the connector where a vehicle waits, else the first free
    /// connector (the authorization follows the vehicle if it is plugged in elsewhere).
    public mutating func present(idTag: String, method: AuthorizationMethod, now: Date) {
        if let i = connectors.indices.first(where: { connectors[$0].session.activeSession?.idTag == idTag }) {
            let meter = connectors[i].reading.meter.energyWh
            perform(i + 1, connectors[i].session.stop(reason: .local, now: now, meterWh: meter), now: now)
            return
        }
        func usable(_ i: Int) -> Bool {
            guard connectors[i].machine.isOperative, !errors.stopsCharging(connector: i + 1) else { return false }
            if case .idle = connectors[i].session.state { return true }
            if case .awaitingVehicle = connectors[i].session.state { return true }
            return false
        }
        let waiting = connectors.indices.first { usable($0) && connectors[$0].pilot.vehicleConnected && !connectors[$0].machine.finishedWhileConnected }
        guard let i = waiting ?? connectors.indices.first(where: { usable($0) && !connectors[$0].pilot.vehicleConnected }) else {
            log(now, .authorizationRejected, 0, "\(idTag) presented but no connector is free")
            return
        }
        let n = i + 1
        switch policy.decide(idTag: idTag, connector: n, method: method) {
        case .rejected(let reason):
            log(now, .authorizationRejected, n, "\(idTag) rejected: \(reason)")
        case .accepted:
            let auth = Authorization(idTag: idTag, method: method, authorizedAt: now)
            perform(n, connectors[i].session.authorize(auth, vehicleConnected: connectors[i].pilot.vehicleConnected,
                                                       meterWh: connectors[i].reading.meter.energyWh, newID: makeID()), now: now)
        }
    }

    // MARK: Actions

    private mutating func perform(_ n: Int, _ actions: [SessionAction], now: Date) {
        for action in actions {
            switch action {
            case .start(let s):
                do {
                    try store.sessionStarted(s)
                } catch {
                    notices.append(.storeFailed(what: "sessionStarted", error: "\(error)"))
                    connectors[n - 1].session = SessionStateMachine(connector: n, vehicleConnectionTimeout: settings.vehicleConnectionTimeout)
                    continue
                }
                persistPending = true
                connectors[n - 1].encouragementUntil = now.addingTimeInterval(HLCMode.encouragementDuration.seconds)
                updateHighLevelCommunication(n, now: now)
                log(now, .sessionStarted, n, "Session \(s.id) started for \(s.idTag) (\(s.method.rawValue)), meter \(Int(s.meterStartWh)) Wh")
                run(n, connectors[n - 1].machine.handle(.transactionStarted))
            case .stop(let s, let reason, let at, let meterStopWh):
                do {
                    try store.sessionStopped(s.id, at: at, meterStopWh: meterStopWh, reason: reason)
                } catch {
                    notices.append(.storeFailed(what: "sessionStopped", error: "\(error)"))
                }
                persistPending = true
                log(now, .sessionStopped, n, "Session \(s.id) of \(s.idTag) stopped, reason \(reason.rawValue), \(Int(meterStopWh - s.meterStartWh)) Wh")
                run(n, connectors[n - 1].machine.handle(.transactionStopped))
            case .awaitVehicle(let auth, let deadline):
                log(now, .authorizationAccepted, n, "\(auth.idTag) authorized; waiting for a vehicle until \(deadline.formatted(.iso8601))")
                run(n, connectors[n - 1].machine.handle(.authorized))
            case .authorizationExpired(let auth):
                log(now, .authorizationExpired, n, "Authorization of \(auth.idTag) expired: no vehicle connected within the vehicle connection timeout")
                run(n, connectors[n - 1].machine.handle(.authorizationEnded))
            }
        }
    }

    private mutating func run(_ n: Int, _ actions: [ConnectorAction]) {
        for action in actions {
            switch action {
            case .setPilot(let signal): hardware.apply(.setPilot(connector: n, signal))
            case .setRelays(let relays): hardware.apply(.setRelays(connector: n, relays))
            case .setLock(let locked): hardware.apply(.setLock(connector: n, locked: locked))
            case .statusChanged(let from, let to): notices.append(.statusChanged(connector: n, from: from, to: to))
            }
        }
    }

    private mutating func applyLimits() {
        let demanding = Set(connectors.indices.filter { connectors[$0].session.activeSession != nil }.map { $0 + 1 })
        let limits = CurrentLimits.compute(settings, demanding: demanding)
        for i in connectors.indices where i < limits.count {
            let changed = connectors[i].limit != limits[i]
            connectors[i].limit = limits[i]
            if changed { run(i + 1, connectors[i].machine.handle(.currentLimitChanged(amps: limits[i].amps))) }
        }
    }

    // MARK: Persistence

    private mutating func persistIfDue(now: Date) {
        guard persistPending || now.timeIntervalSince(lastPersistAt) >= persistInterval.seconds else { return }
        persistNow(now: now)
    }

    /// Persists meter samples of running sessions and the hardware state at once.
    public mutating func persistNow(now: Date) {
        let samples = connectors.indices.compactMap { i -> MeterSample? in
            guard let s = connectors[i].session.activeSession else { return nil }
            let m = connectors[i].reading.meter
            return MeterSample(connector: i + 1, sessionID: s.id, at: now, energyWh: m.energyWh, powerW: m.totalPowerW,
                               currentA: m.currentA, voltageV: m.voltageV)
        }
        do {
            try store.record(samples: samples, hardwareState: hardware.persistentState())
            lastPersistAt = now
            persistPending = false
        } catch {
            notices.append(.storeFailed(what: "record", error: "\(error)"))
        }
    }

    /// Persists everything before the process exits (sessions stay open and are recovered on start).
    public mutating func shutdown(now: Date) {
        persistNow(now: now)
        log(now, .stationStopped, 0, "Station stopped")
    }

    private mutating func log(_ at: Date, _ kind: EventKind, _ connector: Int, _ message: String, code: String? = nil) {
        let entry = EventLogEntry(at: at, kind: kind, connector: connector, code: code, message: message)
        do { try store.append(entry) } catch { notices.append(.storeFailed(what: "append", error: "\(error)")) }
        notices.append(.logged(entry))
    }

    // MARK: Status

    /// The state of the station for the status API.
    public func snapshot(now: Date) -> StationSnapshot {
        StationSnapshot(
            chargeBoxIdentity: settings.chargeBoxIdentity, serialNumber: settings.serialNumber, time: now,
            startedAt: startedAt,
            activeErrors: errors.errors.map(ActiveErrorView.init),
            inputs: Dictionary(uniqueKeysWithValues: DigitalInput.allCases.map { ($0.rawValue, hardware.input($0)) }),
            connectors: connectors.indices.map { i in
                let c = connectors[i]
                let r = c.reading
                var auth: AuthorizationView?
                if case .awaitingVehicle(let a, let deadline) = c.session.state {
                    auth = AuthorizationView(idTag: a.idTag, method: a.method, expiresAt: deadline)
                }
                return ConnectorSnapshot(
                    id: i + 1, status: c.machine.status, pilotState: r.pilot, pilotSignal: PilotSignalView(c.machine.pilotSignal),
                    relays: c.machine.relays, relayFeedback: r.relayFeedback, lockCommanded: c.machine.lockCommanded,
                    lockDetected: r.lockDetected, currentLimit: c.limit, meter: r.meter, residualCurrent: r.residualCurrent,
                    evccid: r.evccid, awaitingVehicle: auth,
                    session: c.session.activeSession.map { s in
                        ActiveSessionView(id: s.id, idTag: s.idTag, method: s.method, startedAt: s.startedAt,
                                          meterStartWh: s.meterStartWh, energyWh: max(0, r.meter.energyWh - s.meterStartWh),
                                          durationSeconds: max(0, now.timeIntervalSince(s.startedAt)))
                    })
            })
    }
}
