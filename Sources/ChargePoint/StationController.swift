#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import LoadManagement
import OCPP16

/// Something the controller did or noticed, returned for logging by the runtime.
public enum ControllerNotice: Sendable, Equatable {
    case statusChanged(connector: Int, from: ConnectorStatus, to: ConnectorStatus)
    case logged(EventLogEntry)
    /// The backend must be asked about an identifier (Authorize.req); answer with
    /// ``StationController/backendAuthorization(idTag:status:parentIdTag:expiry:now:)``.
    case backendAuthorizationRequested(idTag: String, connector: Int)
    /// A store call failed; `what` names the operation.
    case storeFailed(what: String, error: String)
    /// A session started (it is persisted, with its OCPP StartTransaction when a backend is configured).
    case sessionStarted(ChargingSession)
    /// A session stopped (persisted, with its OCPP StopTransaction when a backend is configured).
    case sessionStopped(ChargingSession, reason: StopReason, meterStopWh: Double)
    /// The mains failed: every session was stopped (PowerLoss) and the station should shut down once their messages
    /// are delivered, while its backup power lasts.
    case mainsPowerLost
    /// The DLM link refused a datagram, or the DLM configuration needs attention (logged, rate-limited).
    case dlmLinkWarning(String)
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
        /// When an unlock was commanded that the lock detect does not follow yet.
        var unlockCommandedAt: Date?
        /// When the signalled current last changed (rate rule for increases).
        var limitChangedAt: Date?
        /// Current returned after a pause of a vehicle that was charging: when, for the wake-up check.
        var resumedAt: Date?
        /// The vehicle was drawing energy when its current was paused.
        var chargingWhenPaused = false
        /// The end of a running wake-up pulse.
        var wakeUpUntil: Date?
        var unpluggedSince: Date?
        /// End of the 5 % duty cycle phase in HLC Encouragement mode.
        var encouragementUntil: Date?
        /// When the last session on this connector ended (Modbus END_TIME).
        var lastSessionEnd: Date?
        /// The energy manager's limit (Modbus register 1000), 32 A until one writes it.
        var hemsLimitAmps: Double = 32
        /// An energy manager has written the HEMS limit since start (arms the communication watchdog).
        var hemsControlled = false
        /// The last Modbus request on this connector's port.
        var lastModbusRequest: Date?
        /// The latest reading of a Modbus charge meter (replaces the board's meter when one is configured).
        var chargeMeter: MeterReading?
        /// The running session may draw no energy (backend answered its StartTransaction with an invalid idTag).
        var energyBlocked = false
    }

    /// The grid (second) meter as load management sees it.
    public private(set) var gridMeter: GridMeterState?

    /// Time after which a commanded lock that the lock detect does not confirm raises "Plug locking failed".
    public static var lockConfirmTimeout: Duration { .seconds(2) }
    /// How long the signalled current must be stable before it may rise again (IEC 61851-1 Table A.6, 5 s).
    public static var increaseHoldOff: Duration { .seconds(5) }
    /// seeds/004 §9 groundFailure: the RCMB error resets 10 s after the EV was unplugged.
    public static var residualCurrentResetDelay: Duration { .seconds(10) }

    public var hardware: Hardware
    public private(set) var settings: StationSettings
    public private(set) var errors = ActiveErrors()
    public let startedAt: Date
    /// How often meter samples of running sessions (and the hardware state) are persisted.
    public var persistInterval: Duration = .seconds(5)

    var connectors: [ConnectorRuntime]
    let store: any StationStore
    /// The authorization engine with its lists (local whitelist, OCPP local list, cache).
    public private(set) var authorization: AuthorizationEngine
    /// Whether a backend is connected and can answer Authorize requests (set by the OCPP layer).
    public var online = false
    /// Whether an OCPP backend is configured: then "offline" limits apply while it is unreachable, and every session
    /// change queues its transaction message for the backend in the same write.
    public var backendConfigured: Bool
    /// The station's time zone (the Maximum Current Scheduler's windows are local times).
    public var timeZone = TimeZone.current
    /// How long an Authorize request may stay unanswered before the offline rules apply
    /// (seeds/004 §4 "Backend connection timeout", 60 s).
    public var backendTimeout: Duration = .seconds(60)
    /// Learning mode ("Add entry", seeds/004 §5.5) is on until this time.
    public private(set) var learningUntil: Date?
    /// Identifiers read in learning mode since it was switched on.
    public private(set) var learned: [String] = []
    /// Reservations of the backend (persisted; see StationController+Reservations).
    public internal(set) var reservations = ReservationBook()
    /// OCPP charging profiles (persisted; see StationController+SmartCharging).
    public internal(set) var chargingProfiles = ChargingProfiles()
    /// A TxProfile that came with RemoteStartTransaction, installed when that transaction starts.
    var pendingRemoteProfiles: [Int: ChargingProfile] = [:]
    /// The identifier that is stopping the session of a connector, when it is not the session's own.
    var stopIdentifiers: [Int: String] = [:]
    /// Limits fed in from outside the controller (DLM, PV surplus, SEMP, EEBUS), per connector (1-based) and source.
    public internal(set) var externalLimits: [Int: [LimitSource: ExternalLimit]] = [:]
    /// The DLM master's state when this station is the master (see StationController+DLM).
    public internal(set) var dlm = DLMMasterState()
    /// The DLM slave's state when this station is a slave.
    public internal(set) var dlmSlave: DLMSlaveLink?
    /// Datagrams of the DLM link for the adapter to send (``takeDLMDatagrams()``).
    var dlmOutbox: [DLMDatagram] = []
    /// When each DLM link warning was last logged (rate limit).
    var dlmWarnings: [String: Date] = [:]
    /// The loss of mains power has been acted on (once per start).
    var powerLossHandled = false

    struct PendingAuthorization {
        var presented: PresentedIdentifier
        var connector: Int
        var method: AuthorizationMethod
        var since: Date
    }
    var pendingBackend: [PendingAuthorization] = []
    private var input2 = false
    let makeID: @Sendable () -> UUID
    private var lastPersistAt: Date
    private var persistPending = false
    /// The connectors stored as Finishing (``StationStore/saveFinishedConnectors(_:)``); written before the status
    /// change is reported.
    var finishedPersisted: Set<Int> = []
    var notices: [ControllerNotice] = []

    /// Creates the controller and recovers sessions that were open when the station stopped: with
    /// "Restart transaction after power loss" On and the vehicle still connected the session resumes;
    /// otherwise it is closed with reason PowerLoss (Reboot after a clean shutdown).
    ///
    /// - SeeAlso: seeds/004 §4 "Restart transaction after power loss".
    public init(settings: StationSettings, hardware: Hardware, store: any StationStore,
                now: Date, previousShutdownClean: Bool = false, backendConfigured: Bool = false,
                makeID: @escaping @Sendable () -> UUID = { UUID() }) {
        self.settings = settings
        self.hardware = hardware
        self.store = store
        self.backendConfigured = backendConfigured
        var lists = AuthorizationLists()
        var loadFailure: String?
        do { lists = try store.loadAuthorizationLists() } catch { loadFailure = "\(error)" }
        self.authorization = AuthorizationEngine(settings: settings.authorization, lists: lists)
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
        if let loadFailure { notices.append(.storeFailed(what: "loadAuthorizationLists", error: loadFailure)) }
        do { reservations = ReservationBook(try store.loadReservations()) } catch {
            notices.append(.storeFailed(what: "loadReservations", error: "\(error)"))
        }
        do { chargingProfiles = ChargingProfiles(try store.loadChargingProfiles()) } catch {
            notices.append(.storeFailed(what: "loadChargingProfiles", error: "\(error)"))
        }
        log(now, .stationStarted, 0, "Station started with \(connectors.count) connector(s)")
        restoreFinished()
        saveFinishedIfChanged()  // forgets connectors whose vehicle left while the station was off
        recover(now: now, previousShutdownClean: previousShutdownClean)
        applyLimits(now: now)
        poll(now: now)
    }

    private static func machineConfiguration(_ s: StationSettings, _ n: Int) -> ConnectorStateMachine.Configuration {
        let c = s.connectors[min(n, s.connectors.count) - 1]
        return .init(lockOnlyIfAuthorized: s.lockActuatorOnlyIfAuthorized,
                     chargingRelays: c.phasesConnected.phaseCount == 3 ? .threePhase : .onePhase, hasLockActuator: c.hasLockActuator)
    }

    /// Number of connectors the controller drives.
    public var connectorCount: Int { connectors.count }

    /// Removes and returns the DLM link's datagrams to send.
    public mutating func takeDLMDatagrams() -> [DLMDatagram] {
        defer { dlmOutbox.removeAll() }
        return dlmOutbox
    }

    /// Removes and returns what happened since the last call.
    public mutating func takeNotices() -> [ControllerNotice] {
        defer { notices.removeAll() }
        return notices
    }

    // MARK: Recovery

    /// Connectors that were Finishing before the restart and still have their vehicle stay Finishing: the pilot is
    /// taken as it is (no plug-in event, so no session starts on plug-in) and the ended transaction is replayed into
    /// the connector machine.
    private mutating func restoreFinished() {
        do { finishedPersisted = try store.loadFinishedConnectors() } catch {
            notices.append(.storeFailed(what: "loadFinishedConnectors", error: "\(error)")); return
        }
        for n in finishedPersisted.sorted() where connectors.indices.contains(n - 1) {
            let reading = hardware.reading(connector: n)
            guard reading.pilot.vehicleConnected else { continue }
            connectors[n - 1].pilot = reading.pilot
            connectors[n - 1].reading = reading
            run(n, connectors[n - 1].machine.handle(.pilotChanged(reading.pilot)))
            run(n, connectors[n - 1].machine.handle(.transactionStopped))
        }
    }

    /// Persists which connectors are Finishing whenever that changes, so that a restart restores it.
    mutating func saveFinishedIfChanged() {
        let finished = Set(connectors.indices.filter { connectors[$0].machine.finishedWhileConnected }.map { $0 + 1 })
        guard finished != finishedPersisted else { return }
        do {
            try store.saveFinishedConnectors(finished)
            finishedPersisted = finished
        } catch {
            notices.append(.storeFailed(what: "saveFinishedConnectors", error: "\(error)"))
        }
    }

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
                do { try store.sessionStopped(s.id, at: at, meterStopWh: meterWh, reason: reason, stoppedBy: nil, queueForBackend: backendConfigured) } catch {
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
        authorization.settings = new.authorization
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
        maintainReservations(now: now)
        expireChargingProfiles(now: now)
        handleRFID(now: now)
        runDLM(now: now)
        applyLimits(now: now)
        persistIfDue(now: now)
    }

    private mutating func pollConnector(_ n: Int, now: Date) {
        var r = hardware.reading(connector: n)
        if settings.chargeMeters.indices.contains(n - 1), settings.chargeMeters[n - 1] != nil {
            // A Modbus charge meter is configured: its values replace the controller's own meter.
            r.meter = connectors[n - 1].chargeMeter
                ?? MeterReading(energyWh: 0, powerW: .zero, currentA: .zero, voltageV: .zero, communicating: true)
        }
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
                if authorization.settings.stopMode.unplugStops {
                    perform(n, connectors[n - 1].session.stop(reason: .evDisconnected, now: now, meterWh: r.meter.energyWh), now: now)
                } else if case .awaitingVehicle = connectors[n - 1].session.state {
                    perform(n, connectors[n - 1].session.stop(reason: .evDisconnected, now: now, meterWh: r.meter.energyWh), now: now)
                }
            }
            if r.pilot == .d && authorization.settings.stopMode == .normalModeDRCD {
                perform(n, connectors[n - 1].session.stop(reason: .other, now: now, meterWh: r.meter.energyWh), now: now)
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
        wakeUpIfAsleep(n, now: now)
    }

    /// How long a vehicle may stay in state B after its current returned before it is woken.
    public static var wakeUpDelay: Duration { .seconds(10) }
    /// Length of the wake-up pulse (state F).
    public static var wakeUpPulse: Duration { .seconds(4) }

    /// seeds/004 "Allow EV Wakeup": a vehicle that was charging when its current paused and does not request energy
    /// within ``wakeUpDelay`` after the current returned gets one state F pulse of ``wakeUpPulse`` (IEC 61851-1:2017
    /// A.5.3), as a vehicle that fell asleep during the pause no longer reacts to the PWM alone.
    private mutating func wakeUpIfAsleep(_ n: Int, now: Date) {
        let c = connectors[n - 1]
        if let until = c.wakeUpUntil {
            guard now >= until else { return }
            connectors[n - 1].wakeUpUntil = nil
            run(n, connectors[n - 1].machine.handle(.wakeUpPulse(false)))
            log(now, .currentLimitChanged, n, "Wake-up pulse on connector \(n) finished")
            return
        }
        guard let resumed = c.resumedAt else { return }
        if c.session.activeSession == nil || c.pilot.requestsEnergy || c.limit.paused {
            connectors[n - 1].resumedAt = nil
            return
        }
        guard settings.allowEVWakeup, now.timeIntervalSince(resumed) >= Self.wakeUpDelay.seconds else { return }
        connectors[n - 1].resumedAt = nil
        connectors[n - 1].wakeUpUntil = now.addingTimeInterval(Self.wakeUpPulse.seconds)
        run(n, connectors[n - 1].machine.handle(.wakeUpPulse(true)))
        log(now, .currentLimitChanged, n, "The vehicle on connector \(n) did not resume charging; waking it (Allow EV Wakeup)")
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
           case .awaitingVehicle(var auth, _) = connectors[m].session.state,
           case .allowed(let reservationID) = reservationAdmission(connector: n, idTag: auth.idTag, parentIdTag: auth.parentIdTag) {
            auth.reservationID = reservationID
            _ = connectors[m].session.stop(reason: .other, now: now, meterWh: 0)
            run(m + 1, connectors[m].machine.handle(.authorizationEnded))
            guard !errors.stopsCharging(connector: n) else { return }
            perform(n, connectors[n - 1].session.authorize(auth, vehicleConnected: true, meterWh: meterWh, newID: makeID()), now: now)
            return
        }
        guard !errors.stopsCharging(connector: n) else { return }
        perform(n, connectors[n - 1].session.vehicleConnected(now: now, meterWh: meterWh, newID: makeID()), now: now)
        guard case .idle = connectors[n - 1].session.state else { return }
        let a = authorization.settings
        if let mac = connectors[n - 1].reading.evccid {
            if learningUntil.map({ now < $0 }) == true {
                learn(PresentedIdentifier(idTag: mac, kind: .mac), now: now)
                return
            }
            // Autocharge: the vehicle's MAC authorizes when the local whitelist holds it (seeds/000).
            if a.localWhitelistEnabled && !a.freeCharging, authorization.lists.whitelist.lookup(mac, connector: n) != nil {
                present(PresentedIdentifier(idTag: mac, kind: .mac), method: .autocharge, now: now, connector: n)
                return
            }
        }
        if a.freeCharging && a.freeChargingMode.startsOnPlugIn {
            grant(n, AuthorizationGrant(idTag: a.freeChargingIdTag, presented: nil, source: .freeCharging), method: .freeCharging, now: now)
        } else if !a.freeCharging && a.ifInDoubt == .immediatelyOnPlugIn && !online {
            // Charging starts without a card; the card presented later is checked with the backend.
            grant(n, AuthorizationGrant(idTag: "", presented: nil, source: .ifInDoubt, provisional: true), method: .plugIn, now: now)
        }
    }

    private mutating func pollStation(now: Date) {
        if hardware.mainsPowerLost && !powerLossHandled {
            // OCPP 1.6 TC_032_1: with backup power, transactions end with PowerLoss before the station goes down.
            powerLossHandled = true
            log(now, .stationStopped, 0, "Mains power lost: stopping every transaction (PowerLoss) and shutting down on backup power")
            stopAllSessions(reason: .powerLoss, now: now)
            notices.append(.mainsPowerLost)
        }
        setError("rfidReaderNotCommunicating", connector: 0, active: !hardware.rfidReaderHealthy, now: now)
        // INPUT_AUTH: a rising edge of input 2 authorizes like a card (seeds/000, seeds/004 §5.5).
        let level = hardware.input(.input2)
        if level && !input2 {
            present(PresentedIdentifier(idTag: inputAuthIdentifier, kind: .input), method: .digitalInput, now: now)
        }
        input2 = level
        if let until = learningUntil, now >= until { setLearning(false, now: now) }
        // Authorize requests the backend did not answer in time fall back to the offline rules.
        let expired = pendingBackend.filter { now.timeIntervalSince($0.since) >= backendTimeout.seconds }
        pendingBackend.removeAll { now.timeIntervalSince($0.since) >= backendTimeout.seconds }
        for p in expired { decided(authorization.offlineFallback(idTag: p.presented.idTag), p, now: now) }
    }

    // MARK: Errors

    private mutating func evaluateErrors(_ n: Int, _ r: ConnectorReading, relaysCommanded: RelayState, now: Date) {
        setError("connectorBoardNotCommunicating", connector: n, active: !r.boardLinked, now: now)
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
        for read in hardware.takeRFIDReads() {
            // A reader delivering garbage is logged and ignored (ISO 14443 UIDs have 4, 7 or 10 bytes).
            guard [4, 7, 10].contains(read.uid.count) else {
                log(now, .authorizationRejected, 0, "RFID reader delivered \(read.uid.count) bytes; ignored (a UID has 4, 7 or 10 bytes)")
                continue
            }
            let idTag = authorization.settings.letterCase.format(read.uid)
            let p = PresentedIdentifier(idTag: idTag, kind: .rfid, secure: read.secure)
            if learningUntil != nil {
                learn(p, now: now)
            } else {
                present(p, method: .rfid, now: now)
            }
        }
    }

    /// An identifier was presented at the station (card, digital input, vehicle MAC, or via the API).
    ///
    /// Order: a card that may stop a running session stops it (Stop Transaction Mode, group, master card);
    /// a session started on plug-in without identification takes the card; otherwise the engine decides for
    /// the connector where a vehicle waits, else the first free connector (the authorization follows the
    /// vehicle if it is plugged in elsewhere).
    public mutating func present(_ p: PresentedIdentifier, method: AuthorizationMethod, now: Date, connector: Int? = nil) {
        for i in connectors.indices {
            guard let s = connectors[i].session.activeSession, !s.idTag.isEmpty else { continue }
            let started = AuthorizationGrant(idTag: s.idTag, presented: s.presentedIdTag, parentIdTag: s.parentIdTag,
                                             source: s.source ?? .localWhitelist)
            if authorization.mayStop(started: started, presented: p.idTag, connector: i + 1, now: now) != nil {
                stopByIdentifier(i + 1, p.idTag, now: now)
                return
            }
        }
        if p.kind == .rfid, let i = connectors.indices.first(where: { connectors[$0].session.activeSession?.idTag.isEmpty == true }),
           var s = connectors[i].session.activeSession {
            s.idTag = p.idTag
            s.presentedIdTag = p.idTag
            do { try store.sessionIdentified(s.id, idTag: p.idTag) } catch {
                notices.append(.storeFailed(what: "sessionIdentified", error: "\(error)"))
            }
            connectors[i].session.resume(s)
            log(now, .authorizationAccepted, i + 1, "\(p.idTag) identifies the session started on plug-in; to be confirmed by the backend")
            return
        }
        func usable(_ i: Int) -> Bool {
            guard connectors[i].machine.isOperative, !errors.stopsCharging(connector: i + 1) else { return false }
            if case .active = connectors[i].session.state { return false }
            return !pendingBackend.contains { $0.connector == i + 1 }
        }
        let target: Int?
        if let connector {
            target = connectors.indices.contains(connector - 1) && usable(connector - 1) ? connector - 1 : nil
        } else {
            // A vehicle waiting, else the connector reserved for this identifier, else a free one that is not reserved.
            let waiting = connectors.indices.first { usable($0) && connectors[$0].pilot.vehicleConnected && !connectors[$0].machine.finishedWhileConnected }
            let free = connectors.indices.filter { usable($0) && !connectors[$0].pilot.vehicleConnected }
            let reservedForTag = free.first { reservations.reservation(connector: $0 + 1)?.admits(idTag: p.idTag, parentIdTag: nil) == true }
            target = waiting ?? reservedForTag ?? free.first { !connectors[$0].machine.isReserved } ?? free.first
        }
        guard let i = target else {
            // No free connector: a card of a running session's group may still stop it once the backend names its
            // group (OCPP 1.6 §3.10 / OCTT TC_069).
            if online, authorization.settings.stopMode.cardStops,
               let g = connectors.indices.first(where: { connectors[$0].session.activeSession?.parentIdTag != nil }) {
                decided(.askBackend, PendingAuthorization(presented: p, connector: g + 1, method: method, since: now), now: now)
                return
            }
            log(now, .authorizationRejected, 0, "\(p.idTag) presented but no connector is free")
            return
        }
        decided(authorization.decide(p, connector: i + 1, online: online, now: now),
                PendingAuthorization(presented: p, connector: i + 1, method: method, since: now), now: now)
    }

    /// Stops connector `n`'s session because `idTag` was presented (reason Local; StopTransaction names `idTag`).
    private mutating func stopByIdentifier(_ n: Int, _ idTag: String, now: Date) {
        guard let s = connectors[n - 1].session.activeSession else { return }
        if !sameIdentifier(s.idTag, idTag) { stopIdentifiers[n] = idTag }
        perform(n, connectors[n - 1].session.stop(reason: .local, now: now, meterWh: connectors[n - 1].reading.meter.energyWh), now: now)
    }

    mutating func decided(_ outcome: AuthorizationOutcome, _ request: PendingAuthorization, now: Date) {
        switch outcome {
        case .accept(let g):
            grant(request.connector, g, method: request.method, now: now)
        case .reject(let reason):
            log(now, .authorizationRejected, request.connector, reason, code: request.presented.idTag)
        case .askBackend:
            pendingBackend.append(request)
            notices.append(.backendAuthorizationRequested(idTag: request.presented.idTag, connector: request.connector))
        }
    }

    mutating func grant(_ n: Int, _ g: AuthorizationGrant, method: AuthorizationMethod, now: Date) {
        let reservationID: Int?
        switch reservationAdmission(connector: n, idTag: g.idTag, parentIdTag: g.parentIdTag) {
        case .allowed(let id): reservationID = id
        case .refused(let reason):
            log(now, .authorizationRejected, n, "\(g.idTag) may not charge: \(reason)", code: g.presented)
            return
        }
        let auth = Authorization(idTag: g.idTag, method: method, authorizedAt: now, presentedIdTag: g.presented,
                                 parentIdTag: g.parentIdTag, source: g.source, provisional: g.provisional, reservationID: reservationID)
        perform(n, connectors[n - 1].session.authorize(auth, vehicleConnected: connectors[n - 1].pilot.vehicleConnected,
                                                       meterWh: connectors[n - 1].reading.meter.energyWh, newID: makeID()), now: now)
    }

    /// The backend answered an Authorize request (or confirmed a provisional session). Accepted answers are
    /// cached when the OCPP whitelist is enabled; a provisional session of a rejected identifier is stopped
    /// (seeds/004 §5.1 "If in doubt allow charging: … kan het oplaadproces vervolgens worden afgebroken").
    public mutating func backendAuthorization(idTag: String, status: IdentifierStatus, parentIdTag: String?, expiry: Date?, now: Date) {
        if authorization.settings.cacheEnabled {
            let entry = ListedIdentifier(idTag: idTag, status: status, expiry: expiry, parentIdTag: parentIdTag, updatedAt: now)
            authorization.lists.remember(entry)
            do { try store.saveCacheEntry(entry) } catch { notices.append(.storeFailed(what: "saveCacheEntry", error: "\(error)")) }
        }
        for i in connectors.indices {
            guard let s = connectors[i].session.activeSession, s.provisional, sameIdentifier(s.idTag, idTag) else { continue }
            if status != .accepted {
                log(now, .authorizationRejected, i + 1, "The backend rejected \(idTag) (\(status.rawValue)); session stopped", code: idTag)
                perform(i + 1, connectors[i].session.stop(reason: .deAuthorized, now: now, meterWh: connectors[i].reading.meter.energyWh), now: now)
            }
        }
        guard let index = pendingBackend.firstIndex(where: { sameIdentifier($0.presented.idTag, idTag) }) else { return }
        let request = pendingBackend.remove(at: index)
        // A card of the same group as a running session stops it (OCPP 1.6 §3.10, OCTT TC_069).
        if let parentIdTag, authorization.settings.stopMode.cardStops, !authorization.settings.freeCharging,
           let i = connectors.indices.first(where: { i in
               connectors[i].session.activeSession.map { $0.parentIdTag.map { sameIdentifier($0, parentIdTag) } ?? false } ?? false
           }) {
            stopByIdentifier(i + 1, idTag, now: now)
            return
        }
        if status == .accepted {
            grant(request.connector, AuthorizationGrant(idTag: idTag, presented: idTag, parentIdTag: parentIdTag, source: .backend),
                  method: request.method, now: now)
        } else {
            log(now, .authorizationRejected, request.connector, "The backend rejected \(idTag) (\(status.rawValue))", code: idTag)
        }
    }

    // MARK: Lists

    /// Switches learning mode on (for `duration`) or off. While on, every card read and every vehicle MAC
    /// is added to the local whitelist instead of authorizing (seeds/004 §5.5 "Add entry").
    public mutating func setLearning(_ on: Bool, now: Date, duration: Duration = .seconds(300)) {
        learningUntil = on ? now.addingTimeInterval(duration.seconds) : nil
        if on { learned = [] }
    }

    private mutating func learn(_ p: PresentedIdentifier, now: Date) {
        guard let parsed = try? WhitelistEntry.parseIdentifier(p.idTag) else { return }
        let entry = WhitelistEntry(id: parsed.id, kind: parsed.kind)
        do {
            try changeWhitelist(now: now, "\(entry.id) learned") { try $0.add(entry) }
            learned.append(entry.id)
            log(now, .identifierLearned, 0, "\(entry.id) added to the local whitelist in learning mode", code: entry.id)
        } catch {
            log(now, .identifierLearned, 0, "\(entry.id) read in learning mode: \(error)", code: entry.id)
        }
    }

    /// Changes the local whitelist and persists it; nothing changes if the change or the write fails.
    public mutating func changeWhitelist<T>(now: Date, _ what: String, _ change: (inout LocalWhitelist) throws -> T) throws -> T {
        var list = authorization.lists.whitelist
        let result = try change(&list)
        try store.saveWhitelist(list.entries)
        authorization.lists.whitelist = list
        log(now, .whitelistChanged, 0, what)
        return result
    }

    /// Empties the authorization cache ("OCPP whitelist", ClearCache).
    public mutating func clearAuthorizationCache(now: Date) throws {
        try store.clearCache()
        authorization.lists.cache = []
        log(now, .whitelistChanged, 0, "Authorization cache cleared")
    }

    /// Replaces the OCPP local authorization list (SendLocalList Full).
    public mutating func replaceLocalList(version: Int, entries: [ListedIdentifier], now: Date) throws {
        try store.saveLocalList(version: version, entries: entries)
        authorization.lists.localList = entries
        authorization.lists.localListVersion = version
        log(now, .whitelistChanged, 0, "Local authorization list version \(version) with \(entries.count) entries")
    }

    // MARK: Actions

    mutating func perform(_ n: Int, _ actions: [SessionAction], now: Date) {
        for action in actions {
            switch action {
            case .start(let s):
                do {
                    try store.sessionStarted(s, queueForBackend: backendConfigured)
                } catch {
                    notices.append(.storeFailed(what: "sessionStarted", error: "\(error)"))
                    connectors[n - 1].session = SessionStateMachine(connector: n, vehicleConnectionTimeout: settings.vehicleConnectionTimeout)
                    continue
                }
                persistPending = true
                connectors[n - 1].encouragementUntil = now.addingTimeInterval(HLCMode.encouragementDuration.seconds)
                updateHighLevelCommunication(n, now: now)
                log(now, .sessionStarted, n, "Session \(s.id) started for \(s.idTag) (\(s.method.rawValue)), meter \(Int(s.meterStartWh)) Wh"
                    + (s.reservationID.map { ", reservation \($0)" } ?? ""))
                notices.append(.sessionStarted(s))
                run(n, connectors[n - 1].machine.handle(.transactionStarted))
                if let r = s.reservationID { reservationUsed(r) }
                chargingProfilesOnTransaction(started: true, connector: n, now: now)
            case .stop(let s, let reason, let at, let meterStopWh):
                let stoppedBy = stopIdentifiers.removeValue(forKey: n)
                do {
                    try store.sessionStopped(s.id, at: at, meterStopWh: meterStopWh, reason: reason, stoppedBy: stoppedBy, queueForBackend: backendConfigured)
                } catch {
                    notices.append(.storeFailed(what: "sessionStopped", error: "\(error)"))
                }
                persistPending = true
                connectors[n - 1].energyBlocked = false
                connectors[n - 1].lastSessionEnd = at
                log(now, .sessionStopped, n, "Session \(s.id) of \(s.idTag) stopped, reason \(reason.rawValue), \(Int(meterStopWh - s.meterStartWh)) Wh")
                notices.append(.sessionStopped(s, reason: reason, meterStopWh: meterStopWh))
                run(n, connectors[n - 1].machine.handle(.transactionStopped))
                chargingProfilesOnTransaction(started: false, connector: n, now: now)
            case .awaitVehicle(let auth, let deadline):
                log(now, .authorizationAccepted, n, "\(auth.idTag) authorized; waiting for a vehicle until \(deadline.formatted(.iso8601))")
                run(n, connectors[n - 1].machine.handle(.authorized))
            case .authorizationExpired(let auth):
                log(now, .authorizationExpired, n, "Authorization of \(auth.idTag) expired: no vehicle connected within the vehicle connection timeout")
                run(n, connectors[n - 1].machine.handle(.authorizationEnded))
            }
        }
    }

    mutating func run(_ n: Int, _ actions: [ConnectorAction]) {
        if connectors[n - 1].machine.finishedWhileConnected != finishedPersisted.contains(n) { saveFinishedIfChanged() }
        for action in actions {
            switch action {
            case .setPilot(let signal): hardware.apply(.setPilot(connector: n, signal))
            case .setRelays(let relays): hardware.apply(.setRelays(connector: n, relays))
            case .setLock(let locked): hardware.apply(.setLock(connector: n, locked: locked))
            case .statusChanged(let from, let to): notices.append(.statusChanged(connector: n, from: from, to: to))
            }
        }
    }

    /// Recomputes every connector's limit chain (CurrentLimits) and signals the result; a change of the binding source
    /// is written to the event log.
    mutating func applyLimits(now: Date) {
        let demanding = Set(connectors.indices.filter { connectors[$0].session.activeSession != nil }.map { $0 + 1 })
        let phases = vehiclePhases
        let statics = CurrentLimits.staticInputs(settings, demanding: demanding, usedPhases: phases)
        let shedding = loadSheddingActive
        let scheduled = settings.currentSchedule.isEmpty ? nil : TimeWindowLimit.limit(settings.currentSchedule, at: now, timeZone: timeZone)
        for i in connectors.indices where i < statics.count {
            var inputs = statics[i]
            if let amps = scheduled { inputs.append(LimitInput(.scheduler, amps)) }
            if shedding, let amps = settings.loadSheddingAmps { inputs.append(LimitInput(.loadShedding, amps)) }
            if settings.modbus.enabled { inputs.append(modbusLimit(i, now: now)) }
            if let external = externalLimits[i + 1], !external.isEmpty {
                let used = CurrentLimits.usedGridPhases(settings, connector: i + 1, usedPhases: phases[i + 1])
                inputs += external.values.compactMap { $0.input(at: now, usedGridPhases: used) }
            }
            if let amps = chargingProfileLimit(i + 1, demanding: demanding.count, now: now) { inputs.append(LimitInput(.chargingProfile, amps)) }
            if backendConfigured && !online, let amps = settings.offlineLimitAmps { inputs.append(LimitInput(.smartChargingOffline, amps)) }
            if connectors[i].energyBlocked { inputs.append(LimitInput(.invalidIdTag, 0)) }
            let limit = CurrentLimits.decide(inputs, minimumAmps: max(PWM.minimumAmps, settings.minimumCurrentAmps))
            let old = connectors[i].limit
            guard old != limit else { continue }
            // Decreases at once (IEC 61851-1 Table A.6: the vehicle follows within 5 s); an increase waits until the
            // signalled current has been stable for 5 s during the session, so that a vehicle still following a
            // decrease never sees the current swing back and forth.
            if limit.amps > old.amps, let at = connectors[i].limitChangedAt, now.timeIntervalSince(at) < Self.increaseHoldOff.seconds {
                continue
            }
            // Only a vehicle in a session follows the signal; an idle connector's changes hold nothing back.
            if limit.amps != old.amps && connectors[i].session.activeSession != nil { connectors[i].limitChangedAt = now }
            if limit.paused && !old.paused { connectors[i].chargingWhenPaused = connectors[i].pilot.requestsEnergy }
            if !limit.paused && old.paused && connectors[i].chargingWhenPaused { connectors[i].resumedAt = now }
            connectors[i].limit = limit
            if old.binding != limit.binding || old.paused != limit.paused {
                log(now, .currentLimitChanged, i + 1, limit.paused
                    ? "Connector \(i + 1) paused: \(limit.binding.rawValue) allows less than the minimum current"
                    : "Connector \(i + 1) limited by \(limit.binding.rawValue) to \(ParameterValue.decimal(limit.amps)) A")
            }
            if old.amps != limit.amps { run(i + 1, connectors[i].machine.handle(.currentLimitChanged(amps: limit.amps))) }
        }
    }

    /// Sets (or with nil removes) the limit a component outside the controller feeds into connector `n`'s chain, and
    /// applies the chain at once (a lower limit is signalled without delay).
    public mutating func setExternalLimit(_ limit: ExternalLimit?, source: LimitSource, connector n: Int, now: Date) {
        guard connectors.indices.contains(n - 1) else { return }
        externalLimits[n, default: [:]][source] = limit
        applyLimits(now: now)
    }

    /// The charge point phases each charging vehicle draws current on (above 1 A), for the phase-aware feed line share.
    var vehiclePhases: [Int: [Int]] {
        var out: [Int: [Int]] = [:]
        for i in connectors.indices where connectors[i].session.activeSession != nil {
            let a = connectors[i].reading.meter.currentA
            let used = [a.l1, a.l2, a.l3].indices.filter { [a.l1, a.l2, a.l3][$0] > 1 }
            if !used.isEmpty { out[i + 1] = used }
        }
        return out
    }

    /// Load shedding is signalled on "Opto 1 In" (seeds/000 "Lastabwurf"): Low active = the contact is closed (input
    /// on), High active = it is open.
    var loadSheddingActive: Bool {
        guard settings.loadSheddingAmps != nil else { return false }
        return hardware.input(.opto1) != settings.loadSheddingActiveHigh
    }

    // MARK: Meters

    /// A poll of the grid meter: a reading, or a failure after the configured number of failed polls.
    /// Raises or resolves "External meter not communicating" (seeds/004 §9; charging continues).
    public mutating func gridMeterUpdate(_ reading: MeterReading?, communicating: Bool, now: Date) {
        let model = settings.gridMeter?.model
        gridMeter = GridMeterState(model: model, communicating: communicating, reading: reading ?? gridMeter?.reading, updatedAt: now)
        setError("externalMeterNotCommunicating", connector: 0, active: !communicating, now: now)
    }

    /// A poll of connector `n`'s Modbus charge meter. A failure marks the meter as not communicating, which
    /// raises "OCPP meter not communicating" and stops charging (seeds/004 §9).
    public mutating func chargeMeterUpdate(connector n: Int, _ reading: MeterReading?, communicating: Bool) {
        guard connectors.indices.contains(n - 1) else { return }
        if var r = reading ?? connectors[n - 1].chargeMeter {
            r.communicating = communicating
            connectors[n - 1].chargeMeter = r
        } else {
            connectors[n - 1].chargeMeter = MeterReading(energyWh: 0, powerW: .zero, currentA: .zero, voltageV: .zero, communicating: communicating)
        }
    }

    // MARK: Modbus (seeds/000 MODBUS-REGISTERSATZ)

    /// The energy manager's limit for a connector: the HEMS limit, or the safe current once the manager has
    /// been silent for the communication timeout (registers 131/132).
    private func modbusLimit(_ i: Int, now: Date) -> LimitInput {
        let c = connectors[i]
        let m = settings.modbus
        if m.commTimeoutSeconds > 0, c.hemsControlled, let last = c.lastModbusRequest,
           now.timeIntervalSince(last) >= m.commTimeoutSeconds {
            return LimitInput(.modbusSafeCurrent, m.safeCurrentAmps)
        }
        return LimitInput(.hems, c.hemsLimitAmps)
    }

    /// Any Modbus request arrived on connector `n`'s port (feeds the communication watchdog).
    public mutating func modbusRequest(connector n: Int, now: Date) {
        guard connectors.indices.contains(n - 1) else { return }
        connectors[n - 1].lastModbusRequest = now
    }

    /// Applies a validated Modbus write to connector `n` (the parameters of 131/132 and 613–615 are the runtime's).
    public mutating func applyModbus(_ write: OMCCIWrite, connector n: Int, now: Date) {
        guard connectors.indices.contains(n - 1) else { return }
        switch write {
        case .availability(let on):
            setOperative(connector: n, on, now: now)
        case .hemsLimit(let amps):
            connectors[n - 1].hemsLimitAmps = Double(amps)
            connectors[n - 1].hemsControlled = true
            applyLimits(now: now)
        case .idTag(let id):
            present(PresentedIdentifier(idTag: id, kind: .rfid, secure: true), method: .modbus, now: now, connector: n)
        case .safeCurrent, .commTimeout, .operatorSubDistribution:
            break
        }
    }

    /// Makes connector `n` operative or inoperative (a running transaction finishes first).
    public mutating func setOperative(connector n: Int, _ on: Bool, now: Date) {
        guard connectors.indices.contains(n - 1), connectors[n - 1].machine.isOperative != on else { return }
        run(n, connectors[n - 1].machine.handle(.setOperative(on)))
        log(now, .parameterChanged, n, "Connector \(n) made \(on ? "operative" : "inoperative")")
    }

    /// What the OMCCI registers of connector `n` show.
    public func omcciState(connector n: Int, now: Date) -> OMCCIState {
        let c = connectors[n - 1]
        let cs = settings.connectors[n - 1]
        let session = c.session.activeSession
        return OMCCIState(
            status: c.machine.status, activeErrorIDs: errors.errors.filter { $0.connector == n || $0.connector == 0 }.map(\.id),
            pilot: c.reading.pilot, operative: c.machine.isOperative, safeCurrentAmps: settings.modbus.safeCurrentAmps,
            commTimeoutSeconds: settings.modbus.commTimeoutSeconds, hardwareLimitAmps: cs.hardwareMaxCurrentAmps,
            operatorLimitAmps: cs.operatorCurrentLimitAmps, residualCurrent: c.reading.residualCurrent, relays: c.reading.relayFeedback,
            lockDetected: c.reading.lockDetected, meter: c.reading.meter, signaledCurrentAmps: c.machine.pilotSignal.signaledAmps,
            minimumCurrentAmps: PWM.minimumAmps, sessionStart: session?.startedAt,
            sessionEnergyWh: session.map { max(0, c.reading.meter.energyWh - $0.meterStartWh) } ?? 0,
            sessionDurationSeconds: session.map { max(0, now.timeIntervalSince($0.startedAt)) } ?? 0,
            sessionIdTag: session?.idTag, lastSessionEnd: c.lastSessionEnd, evccid: c.reading.evccid, vehicle: c.reading.vehicle,
            hemsLimitAmps: c.hemsLimitAmps, allowUIDDisclose: settings.modbus.allowUIDDisclose, model: "ChargeKit CK-\(connectors.count)",
            dlm: settings.dlm.mode == .off ? nil : dlmRegisters(now: now))
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
        applyRetention(now: now)
    }

    /// Persists everything before the process exits (sessions stay open and are recovered on start).
    public mutating func shutdown(now: Date) {
        persistNow(now: now)
        log(now, .stationStopped, 0, "Station stopped")
    }

    /// Records an event of the station as a whole (connector 0) in the event log.
    public mutating func record(_ kind: EventKind, _ message: String, now: Date) { log(now, kind, 0, message) }

    mutating func log(_ at: Date, _ kind: EventKind, _ connector: Int, _ message: String, code: String? = nil) {
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
            gridMeter: gridMeter,
            dlm: dlmStatus(now: now),
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
                        ActiveSessionView(id: s.id, idTag: s.idTag, method: s.method, source: s.source,
                                          presentedIdTag: s.presentedIdTag == s.idTag ? nil : s.presentedIdTag,
                                          provisional: s.provisional, startedAt: s.startedAt,
                                          meterStartWh: s.meterStartWh, energyWh: max(0, r.meter.energyWh - s.meterStartWh),
                                          durationSeconds: max(0, now.timeIntervalSince(s.startedAt)))
                    })
            })
    }
}
