#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EEBUS
import EVSECore
import LoadManagement
import SEMP
import OCPP16
import StationModbus

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
    /// A Modbus meter stopped communicating (after "Failed polls before a meter error" polls in a row), or it
    /// communicates again.
    case meterCommunication(String, communicating: Bool)
    /// An UnlockConnector of the backend finished: the lock detect followed the command, or it did not within
    /// ``StationController/lockConfirmTimeout`` (answered late, when the board has shown what it did).
    case unlockFinished(connector: Int, UnlockOutcome)
    /// The meter delivered a signed reading during a transaction, for a MeterValues (OCA signed meter values whitepaper,
    /// `SampledDataSignReadings`; issue 28 item 6).
    case signedMeterValue(connector: Int, SignedReading)
    /// The SPINE engine refused or noticed something on the energy manager's connection (logged).
    case eebusEvent(SPINEEvent)
}

/// What the station's core wants done, in the order it must happen. The controller never calls the board or a
/// socket: it returns these and the runtime carries them out one after the other (``StationController/takeEffects()``).
///
/// The store is the one exception, on purpose: a session change, a whitelist change or a reservation is written
/// through the synchronous ``StationStore`` port before anything reports it, so that what the station acknowledges is
/// persisted first and a write that fails is never reported as done.
public enum StationEffect: Sendable, Equatable {
    /// Drive the board (pilot, contactors, plug lock).
    case hardware(HardwareCommand)
    /// Tell the rest of the station: the log, and the OCPP charge point.
    case notice(ControllerNotice)
    /// Send a datagram on the DLM link.
    case dlm(DLMDatagram)
    /// Persist these meter samples of running sessions together with the board's own state in one write
    /// (``StationStore/record(samples:hardwareState:)``; the board's state is the runtime's to read).
    case recordSamples([MeterSample])
    /// Send a SPINE datagram on the energy manager's SHIP connection (EEBUS).
    case eebus(SPINEOutgoing)
    /// Keep the LPC failsafe values the energy guard wrote (before the write is acknowledged: they must survive a power
    /// loss, EEBUS UC TS LPC 1.0.0).
    case eebusPersist(LPCControllableSystem.StoredValues)
}

/// The station's behaviour in one value: takes what the board read (``BoardInputs``), runs the connector and session
/// state machines, raises and resolves catalogued errors, applies current limits and persists sessions and the event
/// log through its store. It does no I/O of its own: time comes in as `now`, the board's readings as values, and what
/// must happen goes out as one ordered list of ``StationEffect``s.
public struct StationController {
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
        /// The ISO 15118 link failed on this plug-in (D-LINK_ERROR): the pilot keeps the nominal duty cycle until the
        /// vehicle is unplugged (``StationController/hlcLinkFailed(connector:now:)``).
        var hlcLinkFailed = false
        /// While the ISO 15118 session is paused: the vehicle went to state C (the first half of its B-C-B wake-up
        /// toggle); back in B it has woken (``StationController/hlcSessionPaused(connector:now:)``).
        var wakeToggleSeen = false
        /// When the last session on this connector ended (Modbus END_TIME).
        var lastSessionEnd: Date?
        /// The latest reading of a Modbus charge meter (replaces the board's meter when one is configured).
        var chargeMeter: MeterReading?
        /// The errors the connector's supervised board reported in the last reading.
        var boardErrors: Set<String> = []
        /// Since when the vehicle draws more than the signalled current plus the tolerance (over-current protection).
        var overCurrentSince: Date?
        /// Lock attempts in a row that the lock detect never confirmed ("Could not detect type 2 locking actuator").
        var unconfirmedLocks = 0
        /// What the connector's LEDs were last told to show.
        var leds: LEDIndication?
        /// The running session may draw no energy (backend answered its StartTransaction with an invalid idTag).
        var energyBlocked = false
        /// Signed readings asked of the connector's meter and not yet delivered (issue 28 item 6).
        var signedReadings: [PendingSignedReading] = []
        /// A required signed reading did not come within ``StationController/signedReadingTimeout``.
        var signatureOverdue = false
    }

    /// The grid (second) meter as load management sees it.
    public internal(set) var gridMeter: GridMeterState?

    /// Time after which a commanded lock that the lock detect does not confirm raises "Plug locking failed".
    public static var lockConfirmTimeout: Duration { .seconds(2) }
    /// How long the signalled current must be stable before it may rise again (IEC 61851-1 Table A.6, 5 s).
    public static var increaseHoldOff: Duration { .seconds(5) }
    /// seeds/004 §9 groundFailure: the RCMB error resets 10 s after the EV was unplugged.
    public static var residualCurrentResetDelay: Duration { .seconds(10) }

    /// What the board read in the latest control step.
    public internal(set) var board: BoardInputs
    public internal(set) var settings: StationSettings
    public internal(set) var errors = ActiveErrors()
    public let startedAt: Date
    /// How often meter samples of running sessions (and the hardware state) are persisted.
    public var persistInterval: Duration = .seconds(5)

    var connectors: [ConnectorRuntime]
    let store: any StationStore
    /// The authorization flow: the engine with its lists, the requests that wait for the backend, learning mode
    /// (see ``AuthorizationFlow``).
    public internal(set) var authorizationFlow: AuthorizationFlow
    /// The authorization engine with its lists (local whitelist, OCPP local list, cache).
    public internal(set) var authorization: AuthorizationEngine {
        get { authorizationFlow.engine }
        set { authorizationFlow.engine = newValue }
    }
    /// Whether a backend is connected and can answer Authorize requests (set by the OCPP layer).
    public var online = false
    /// When a card was last read, and when a presented identifier was last refused per connector (0: no connector):
    /// the LEDs show both for a moment.
    var cardReadAt: Date?
    var rejectedAt: [Int: Date] = [:]
    /// A firmware installation holds the connectors: the LEDs show the update.
    var firmwareHold = false
    /// Since when a configured backend is not connected ("Backend disconnected").
    var backendOfflineSince: Date?
    /// The supply voltage outside its limits, held (UnderVoltage, OverVoltage).
    var underVoltageHeld = HeldCondition()
    var overVoltageHeld = HeldCondition()
    /// Whether an OCPP backend is configured: then "offline" limits apply while it is unreachable, and every session
    /// change queues its transaction message for the backend in the same write.
    public var backendConfigured: Bool
    /// How long an Authorize request may stay unanswered before the offline rules apply
    /// (seeds/004 §4 "Backend connection timeout", 60 s).
    public var backendTimeout: Duration = .seconds(60)
    /// Learning mode ("Add entry", seeds/004 §5.5) is on until this time.
    public var learningUntil: Date? { authorizationFlow.learningUntil }
    /// Identifiers read in learning mode since it was switched on.
    public var learned: [String] { authorizationFlow.learned }
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
    /// An energy manager's control over Modbus: the HEMS limit and its watchdog (see ``ModbusControl``).
    public internal(set) var modbus: ModbusControl
    /// The DLM master when this station is one (see StationController+DLM).
    public internal(set) var dlmMaster: DLMMaster?
    /// The DLM slave when this station is one.
    public internal(set) var dlmSlave: DLMSlave?
    /// Load management of the house connection with an external meter and no DLM role (see StationController+MeterLoad).
    public internal(set) var meterLoadManagement: MeterLoadManagement?
    /// PV surplus charging (see StationController+Surplus) and its last decision per connector in Min+PV or PV mode.
    var surplus = SurplusController()
    public internal(set) var surplusDecisions: [Int: SurplusDecision] = [:]
    /// The SMA interface (see StationController+SEMP): the SEMP gateway while the interface is On, and its last
    /// decision per connector.
    var sempGateway: SEMPGateway?
    public internal(set) var sempDecisions: [Int: SEMPDecision] = [:]
    /// The EEBUS interface's SPINE device with the charger's use cases, once the runtime started it.
    var eebus: SPINENode<ChargerEEBUSApplication>?
    /// Each connector's `eebus` limit and why.
    public internal(set) var eebusLimits: [Int: EEBUSConnectorLimit] = [:]
    /// When the paired manager's connection was lost (nil while it is connected, or before it ever was).
    var eebusLostAt: Date?
    /// Automatic 1-phase/3-phase switching per connector (see StationController+PhaseSwitching).
    public internal(set) var phaseSwitching: [Int: PhaseSwitchState] = [:]
    /// The running sessions' PV/grid split (see StationController+SolarShare).
    var solarShares = SolarShareBook()
    /// Failed polls in a row per Modbus meter.
    var meterFailures: [MeterTarget: Int] = [:]
    /// When each DLM link warning was last logged (rate limit).
    var dlmWarnings: [String: Date] = [:]
    /// The loss of mains power has been acted on (once per start).
    var powerLossHandled = false

    var input2 = false
    let makeID: @Sendable () -> UUID
    var lastPersistAt: Date
    var persistPending = false
    /// The connectors stored as Finishing (``StationStore/saveFinishedConnectors(_:)``); written before the status
    /// change is reported.
    var finishedPersisted: Set<Int> = []
    /// What must happen, in order (``takeEffects()``).
    var effects: [StationEffect] = []
    /// UnlockConnector requests of the backend that wait for the lock detect to follow, per connector: since when.
    var unlockRequests: [Int: Date] = [:]
    /// The reading the controller starts with was taken before it commanded anything: a board that outlives the process
    /// (real hardware after a `kill -9`) may still hold the contactors of a session that resumes. The weld check waits
    /// for the first reading taken after the controller's own commands.
    var readingPredatesCommands = false

    /// Creates the controller and recovers sessions that were open when the station stopped: with
    /// "Restart transaction after power loss" On and the vehicle still connected the session resumes;
    /// otherwise it is closed with reason PowerLoss (Reboot after a clean shutdown).
    ///
    /// - SeeAlso: seeds/004 §4 "Restart transaction after power loss".
    public init(settings: StationSettings, board: BoardInputs, store: any StationStore,
                now: Date, previousShutdownClean: Bool = false, backendConfigured: Bool = false,
                makeID: @escaping @Sendable () -> UUID = { UUID() }) {
        self.settings = settings
        self.board = board
        self.store = store
        self.backendConfigured = backendConfigured
        var lists = AuthorizationLists()
        var loadFailure: String?
        do { lists = try store.loadAuthorizationLists() } catch { loadFailure = "\(error)" }
        self.authorizationFlow = AuthorizationFlow(engine: AuthorizationEngine(settings: settings.authorization, lists: lists),
                                                   cacheCapacity: RetentionPolicy.authorizationCacheMaxEntries)
        self.makeID = makeID
        self.startedAt = now
        self.lastPersistAt = now
        self.modbus = ModbusControl(connectorCount: min(settings.connectorCount, board.connectors.count))
        let count = min(settings.connectorCount, board.connectors.count)
        connectors = (1...max(1, count)).map { n in
            let reading = board.reading(connector: n) ?? ConnectorReading(pilot: .a, meter: MeterReading(
                energyWh: 0, powerW: .zero, currentA: .zero, voltageV: .zero, communicating: false))
            var machine = ConnectorStateMachine(configuration: Self.machineConfiguration(settings, n))
            _ = machine.handle(.pilotChanged(.a))
            return ConnectorRuntime(machine: machine,
                                    session: SessionStateMachine(connector: n, vehicleConnectionTimeout: settings.vehicleConnectionTimeout),
                                    pilot: .a, reading: reading, limit: CurrentLimit(amps: 0, binding: .hardware))
        }
        if let loadFailure { notice(.storeFailed(what: "loadAuthorizationLists", error: loadFailure)) }
        do { reservations = ReservationBook(try store.loadReservations()) } catch {
            notice(.storeFailed(what: "loadReservations", error: "\(error)"))
        }
        do { chargingProfiles = ChargingProfiles(try store.loadChargingProfiles()) } catch {
            notice(.storeFailed(what: "loadChargingProfiles", error: "\(error)"))
        }
        log(now, .stationStarted, 0, "Station started with \(connectors.count) connector(s)")
        restoreFinished()
        saveFinishedIfChanged()  // forgets connectors whose vehicle left while the station was off
        recover(now: now, previousShutdownClean: previousShutdownClean)
        applyLimits(now: now)
        readingPredatesCommands = true
        poll(board, now: now)
        readingPredatesCommands = false
    }

    private static func machineConfiguration(_ s: StationSettings, _ n: Int) -> ConnectorStateMachine.Configuration {
        let c = s.connectors[min(n, s.connectors.count) - 1]
        return .init(lockOnlyIfAuthorized: s.lockActuatorOnlyIfAuthorized,
                     chargingRelays: c.phasesConnected.phaseCount == 3 ? .threePhase : .onePhase, hasLockActuator: c.hasLockActuator)
    }

    /// Number of connectors the controller drives.
    public var connectorCount: Int { connectors.count }

    /// Removes and returns what must happen since the last call, in order. The runtime takes them after every call
    /// into the controller and carries them out before the next one.
    public mutating func takeEffects() -> [StationEffect] {
        defer { effects.removeAll() }
        return effects
    }

    mutating func notice(_ notice: ControllerNotice) { effects.append(.notice(notice)) }
    mutating func sendDLM(_ datagram: DLMDatagram) { effects.append(.dlm(datagram)) }

    // MARK: Recovery

    /// Connectors that were Finishing before the restart and still have their vehicle stay Finishing: the pilot is
    /// taken as it is (no plug-in event, so no session starts on plug-in) and the ended transaction is replayed into
    /// the connector machine.
    private mutating func restoreFinished() {
        do { finishedPersisted = try store.loadFinishedConnectors() } catch {
            notice(.storeFailed(what: "loadFinishedConnectors", error: "\(error)")); return
        }
        for n in finishedPersisted.sorted() where connectors.indices.contains(n - 1) {
            let reading = board.connectors[n - 1]
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
            notice(.storeFailed(what: "saveFinishedConnectors", error: "\(error)"))
        }
    }

    private mutating func recover(now: Date, previousShutdownClean: Bool) {
        let open: [SessionRecord]
        do { open = try store.openSessions() } catch {
            notice(.storeFailed(what: "openSessions", error: "\(error)")); return
        }
        for record in open {
            let s = record.session
            let n = s.connector
            let reading = connectors.indices.contains(n - 1) ? board.reading(connector: n) : nil
            let meterWh = max(reading?.meter.energyWh ?? 0, record.lastSample?.energyWh ?? s.meterStartWh)
            if settings.restartTransactionAfterPowerLoss, let reading, reading.pilot.vehicleConnected {
                connectors[n - 1].pilot = reading.pilot
                connectors[n - 1].reading = reading
                run(n, connectors[n - 1].machine.handle(.pilotChanged(reading.pilot)))
                connectors[n - 1].session.resume(s)
                if let share = record.solarShare { solarShares.resumed[s.id] = share }
                run(n, connectors[n - 1].machine.handle(.transactionStarted))
                log(now, .sessionResumed, n, "Session \(s.id) of \(s.idTag) resumed after restart (Restart transaction after power loss: On)")
            } else {
                let reason: StopReason = previousShutdownClean ? .reboot : .powerLoss
                let at = record.lastSample?.at ?? s.startedAt
                do {
                    try store.sessionStopped(s.id, at: at, meterStopWh: meterWh, reason: reason, stoppedBy: nil,
                                             queueForBackend: backendConfigured && s.backendTransaction,
                                             solarShare: record.solarShare?.extended(to: meterWh))
                } catch {
                    notice(.storeFailed(what: "sessionStopped", error: "\(error)"))
                }
                log(now, .sessionStopped, n, "Session \(s.id) of \(s.idTag) closed after restart, reason \(reason.rawValue), \(Int(meterWh - s.meterStartWh)) Wh")
                if connectors.indices.contains(n - 1), record.signedMeter?.end == nil { requestSignedReading(n, s, .transactionEnd, now: now) }
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

    /// Takes what the board read and advances every state machine to `now`. Call it periodically (the runtime does
    /// every 100 ms) and after every hardware change.
    public mutating func poll(_ inputs: BoardInputs, now: Date) {
        board = inputs
        for n in 1...connectors.count { pollConnector(n, now: now) }
        pollStation(now: now)
        maintainReservations(now: now)
        expireChargingProfiles(now: now)
        handleRFID(now: now)
        runDLM(now: now)
        runMeterLoadManagement(now: now)
        runSurplus(now: now)
        runSEMP(now: now)
        runEEBUS(now: now)
        runPhaseSwitching(now: now)
        meterSolarShares()
        applyLimits(now: now)
        updateLEDs(now: now)
        persistIfDue(now: now)
    }

    private mutating func pollStation(now: Date) {
        if board.mainsPowerLost && !powerLossHandled {
            // OCPP 1.6 TC_032_1: with backup power, transactions end with PowerLoss before the station goes down.
            powerLossHandled = true
            log(now, .stationStopped, 0, "Mains power lost: stopping every transaction (PowerLoss) and shutting down on backup power")
            stopAllSessions(reason: .powerLoss, now: now)
            notice(.mainsPowerLost)
        }
        setError("rfidReaderNotCommunicating", connector: 0, active: !board.rfidReaderHealthy, now: now)
        evaluateStationSurroundings(now: now)
        // INPUT_AUTH: a rising edge of input 2 authorizes like a card (seeds/000, seeds/004 §5.5).
        let level = board.input(.input2)
        if level && !input2 {
            present(PresentedIdentifier(idTag: inputAuthIdentifier, kind: .input), method: .digitalInput, now: now)
        }
        input2 = level
        // Authorize requests the backend did not answer in time fall back to the offline rules.
        carryOut(authorizationFlow.step(now: now, backendTimeout: backendTimeout), now: now)
    }

    // MARK: Actions

    mutating func perform(_ n: Int, _ actions: [SessionAction], now: Date) {
        for action in actions {
            switch action {
            case .start(let s):
                do {
                    try store.sessionStarted(s, queueForBackend: backendConfigured && s.backendTransaction)
                } catch {
                    notice(.storeFailed(what: "sessionStarted", error: "\(error)"))
                    connectors[n - 1].session = SessionStateMachine(connector: n, vehicleConnectionTimeout: settings.vehicleConnectionTimeout)
                    continue
                }
                persistPending = true
                connectors[n - 1].encouragementUntil = now.addingTimeInterval(HLCMode.encouragementDuration.seconds)
                updateHighLevelCommunication(n, now: now)
                log(now, .sessionStarted, n, "Session \(s.id) started for \(s.idTag) (\(s.method.rawValue)), meter \(Int(s.meterStartWh)) Wh"
                    + (s.reservationID.map { ", reservation \($0)" } ?? ""))
                notice(.sessionStarted(s))
                requestSignedReading(n, s, .transactionBegin, now: now)
                run(n, connectors[n - 1].machine.handle(.transactionStarted))
                if let r = s.reservationID { reservationUsed(r) }
                chargingProfilesOnTransaction(started: true, connector: n, now: now)
            case .stop(let s, let reason, let at, let meterStopWh):
                let stoppedBy = stopIdentifiers.removeValue(forKey: n)
                let solar = solarShareAtStop(n, s, meterStopWh: meterStopWh)
                do {
                    try store.sessionStopped(s.id, at: at, meterStopWh: meterStopWh, reason: reason, stoppedBy: stoppedBy,
                                             queueForBackend: backendConfigured && s.backendTransaction, solarShare: solar)
                } catch {
                    notice(.storeFailed(what: "sessionStopped", error: "\(error)"))
                }
                persistPending = true
                connectors[n - 1].energyBlocked = false
                connectors[n - 1].lastSessionEnd = at
                log(now, .sessionStopped, n, "Session \(s.id) of \(s.idTag) stopped, reason \(reason.rawValue), \(Int(meterStopWh - s.meterStartWh)) Wh")
                requestSignedReading(n, s, .transactionEnd, now: now)
                notice(.sessionStopped(s, reason: reason, meterStopWh: meterStopWh))
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
            case .setPilot(let signal): effects.append(.hardware(.setPilot(connector: n, signal)))
            case .setRelays(let relays): effects.append(.hardware(.setRelays(connector: n, relays)))
            case .setLock(let locked): effects.append(.hardware(.setLock(connector: n, locked: locked)))
            case .statusChanged(let from, let to): notice(.statusChanged(connector: n, from: from, to: to))
            }
        }
    }
}
