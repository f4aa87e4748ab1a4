#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import Authorization
import MetricsExporter
import ChargePoint
import EEBUS
import EVSECore
import Hosting
import LoadManagement
import Persistence
import WebUI
import ModbusTCP
import StationModbus
import Transport
import Firmware

/// The running station: owns the controller, its board (any ``HardwarePort``; the simulated one with `--simulate`), the
/// parameters and the database, and serves the local API. All state changes happen on this actor; every control step
/// reads the board, hands the readings to the controller and carries out the effects it returns, in order.
public actor StationRuntime<Board: HardwarePort>: StationService, ModbusRequestHandler, DLMLinkHandler {
    var controller: StationController
    var board: Board
    var parameterService: ParameterService
    let database: StationDatabase
    let clock: ScaledClock
    let logger: Logger
    /// The OCPP connection state when a backend is configured.
    var ocpp: OCPPState?
    /// Restarts the station services (OCPP Reset, firmware installation, the web interface's restart actions).
    var restartHandler: (@Sendable (StationRestart) -> Void)?
    /// The parameter values the station started with; parameters that need a restart keep these values until then
    /// (``ParameterSet/effective(startedWith:)``).
    let startValues: ParameterSet
    /// What Modbus reads are answered from.
    nonisolated let modbusSnapshot = OMCCISnapshot()
    /// The Prometheus counters (Modbus, meter failures, CALLERRORs); read by `/metrics` with the gauges of the snapshot.
    public nonisolated let metrics = StationMetrics()
    /// The DLM link's socket, once bound.
    var dlmSender: DLMLinkSender?
    /// The last time the clock was set (backend time or browser), for the System page.
    var lastClockSet: ClockSet?
    /// The mobile modem as the modem service saw it last (issue 24 item 3).
    var mobile = MobileStatusView()
    /// The service port's DHCP server and WAN router as their service last reported them (nil: not running).
    var servicePortStatus: DHCPRouterStatus?
    /// The operating system's clock as ``OSTimeService`` last saw it (nil while that service does not run).
    var osClock: OSClockStatus?
    /// File transfers and the firmware installer run here (a service of the station's service group).
    package nonisolated let jobs = ChildTasks()
    /// The kind of restart that waits for the OCPP charge point to deliver its queued messages.
    var pendingRestart: StationRestart?
    /// Request ids of the simulated vehicles' Get15118EVCertificate (``simulatedVehicleRequests(_:)``).
    var simulatedEVCertificateRequests = 0
    /// Where firmware files, the kept previous version and the pending-update marker live (`firmware/` in the data
    /// directory; set at start).
    var firmwareDirectory = ""
    /// The installed firmware update that waits for its health check, or whose rollback must be reported.
    var pendingFirmware: PendingFirmwareUpdate?
    /// A firmware file is being checked and installed (one at a time).
    var firmwareInstalling = false
    /// The confirmation or rollback of ``pendingFirmware`` runs (a program may be running for it).
    var firmwareHealthBusy = false
    /// The last firmware installation's outcome, for the System page and the status API.
    var firmwareUpdateOutcome: FirmwareUpdateOutcome?
    /// Every connector's board link answered at the last control step.
    var boardAnswers = false
    /// Effects are being carried out (a notice handed to the charge point may produce more; they queue behind).
    private var carryingOut = false
    /// Firmware from the web page and a USB stick, and the firmware machine when no backend is configured
    /// (`StationRuntime+LocalFirmware.swift`).
    var localFirmware = LocalFirmware()
    /// The EEBUS interface's SHIP node and DNS-SD, once started (`StationRuntime+EEBUS.swift`).
    var eebus = EEBUSRuntimeState()
    /// Each connector's ISO 15118 session as the SECC reported it (`StationRuntime+SECC.swift`).
    var secc = SECCRuntimeState()

    public init(controller: StationController, board: Board, parameters: ParameterService, database: StationDatabase,
                clock: ScaledClock, logger: Logger) {
        self.controller = controller
        self.board = board
        self.parameterService = parameters
        self.database = database
        self.clock = clock
        self.logger = logger
        self.startValues = parameters.values
    }

    /// Steps at once whenever the board reports a change of its own (``HardwarePort/observeChanges(_:)``): a vehicle
    /// plugging in reaches the controller, and its StatusNotification the backend, without waiting for the next step.
    public func stepOnBoardChanges() {
        board.observeChanges { [weak self] in
            Task { await self?.tick() }
        }
    }

    /// One control step: carries out what is pending, advances the board to the monotonic clock, hands its readings to
    /// the controller and the tick to the OCPP charge point, and carries out what they return.
    public func tick() {
        carryOut()
        let now = clock.now()
        board.advance(to: clock.monotonicNow())
        let inputs = board.readInputs()
        boardAnswers = inputs.connectors.allSatisfy(\.boardLinked)
        // The vehicle the station's own ISO 15118 session identified, as if the board had reported it.
        controller.poll(secc.vehicles.isEmpty ? inputs : inputs.overlaying(secc.vehicles), now: now)
        seccFollowPlugs()
        if controller.settings.modbus.enabled { refreshModbusSnapshot(now: now) }
        carryOut()
        ocppEvent(.tick)
        localFirmwareTick()
        if pendingFirmware != nil { firmwareHealthTick(now: now) }
    }

    /// Carries out the controller's effects in the order it returned them. A notice handed to the OCPP charge point may
    /// command the controller again; those effects queue behind the ones being carried out, never before them.
    func carryOut() {
        guard !carryingOut else { return }
        carryingOut = true
        defer { carryingOut = false }
        while true {
            let effects = controller.takeEffects()
            if effects.isEmpty { return }
            for effect in effects { carryOut(effect) }
        }
    }

    private func carryOut(_ effect: StationEffect) {
        switch effect {
        case .hardware(let command):
            board.apply(command)
        case .recordSamples(let samples):
            do { try database.record(samples: samples, hardwareState: board.persistentState()) } catch {
                logger.error("persisting meter samples failed: \(error)")
            }
        case .dlm(let datagram):
            send(datagram)
        case .eebus(let outgoing):
            eebusSend(outgoing)
        case .eebusPersist(let values):
            eebusPersist(values)
        case .notice(let notice):
            log(notice)
            if case .mainsPowerLost = notice {
                // On backup power: the StopTransactions go out first (OCPP), then the station goes down. The simulated
                // board's power returns with the next start, so the services restart in-process.
                scheduleRestart(.services, now: clock.now())
            }
            ocppEvent(.notice(notice))
        }
    }

    private func log(_ notice: ControllerNotice) {
        switch notice {
        case .statusChanged(let n, let from, let to):
            logger.info("status \(from.rawValue) → \(to.rawValue)", metadata: ["connector": "\(n)"])
        case .logged(let e):
            logger.info("\(e.message)", metadata: ["connector": "\(e.connector)", "event": "\(e.kind.rawValue)"])
        case .storeFailed(let what, let error):
            logger.error("persisting \(what) failed: \(error)")
        case .backendAuthorizationRequested(let idTag, let n):
            logger.info("authorization of \(idTag) needs the backend", metadata: ["connector": "\(n)"])
        case .dlmLinkWarning(let message):
            logger.warning("\(message)")
        case .meterCommunication(let message, let communicating):
            if communicating { logger.info("\(message)") } else { logger.warning("\(message)") }
        case .mainsPowerLost:
            logger.warning("mains power lost: shutting down on backup power")
        case .eebusEvent(let e):
            switch e.kind {
            case .refused, .answeredError, .remoteError: logger.warning("EEBUS: \(e)")
            case .discovered, .subscribed, .unsubscribed, .bound, .unbound: logger.info("EEBUS: \(e)")
            case .ignored: logger.debug("EEBUS: \(e)")
            }
        case .sessionStarted, .sessionStopped, .unlockFinished, .signedMeterValue:
            break
        }
    }

    /// Restarts the station services: with a backend once the queued messages are delivered (at most
    /// ``OCPPChargePoint/restartGraceSeconds``), without one at once.
    func scheduleRestart(_ kind: StationRestart, now: Date) {
        guard ocpp != nil else { restartHandler?(kind); return }
        pendingRestart = kind
        ocppEvent(.restartRequested)
    }

    /// Sets the handler that restarts the station services.
    public func setRestartHandler(_ handler: @escaping @Sendable (StationRestart) -> Void) { restartHandler = handler }

    /// Persists everything before exit.
    public func shutdown() {
        tick()
        controller.shutdown(now: clock.now())
        carryOut()
        board.close()
    }

    // MARK: StationService

    public func status() -> StationSnapshot {
        var s = controller.snapshot(now: clock.now())
        s.boardLink = board.linkStatus
        if let cp = ocpp?.chargePoint {
            let link = cp.link
            s.backend = BackendStatus(url: cp.settings.url, connected: link.connected, registration: link.registration.rawValue,
                                      lastHeartbeatAt: link.lastHeartbeatAt, nextHeartbeatAt: link.connected ? link.nextHeartbeatAt : nil,
                                      queuedTransactionMessages: (try? database.transactionQueueCount()) ?? 0)
        }
        return s
    }

    public func sessions(limit: Int) throws -> [HistoryRow] {
        try database.sessions(limit: limit).map { HistoryRow($0, disclose: controller.settings.uidDisclose) }
    }

    public func events(limit: Int) throws -> [EventLogEntry] { try database.events(limit: limit) }

    public func parameters() -> [ParameterView] { parameterService.list() }

    public func parameter(_ key: String) throws -> ParameterView { try parameterService.get(key) }

    public func audit(limit: Int) throws -> [ParameterAuditEntry] { try database.audit(limit: limit) }

    public func setParameter(_ key: String, _ value: ParameterValue, role: Role, changedBy: String) throws -> ParameterView {
        let before = parameterService.values
        let view = try parameterService.set(key, value, role: role, changedBy: changedBy, now: clock.now())
        try applied([view], before: before, changedBy: changedBy)
        return view
    }

    public func setParameters(_ changes: [(key: String, text: String)], role: Role, changedBy: String) throws -> [ParameterView] {
        let before = parameterService.values
        let views = try parameterService.set(texts: changes, role: role, changedBy: changedBy, now: clock.now())
        try applied(views, before: before, changedBy: changedBy)
        return views
    }

    /// Logs the changed parameters and applies them (those that need a restart keep their start value).
    func applied(_ views: [ParameterView], before: ParameterSet, changedBy: String) throws {
        let entries = parameterService.changeLog(views, before: before, changedBy: changedBy, now: clock.now())
        guard !entries.isEmpty else { return }
        for entry in entries { try database.append(entry) }
        configurationChangedSecurityEvent(entries, changedBy: changedBy)
        securityParametersChanged(entries, changedBy: changedBy)
        controller.update(settings: effectiveSettings())
        eebusFollowPairing()
        ocppEvent(.settingsChanged(BackendSettings(parameterService.values.effective(startedWith: startValues))))
        securitySettingsChanged(before: before)
        tick()
    }

    /// The settings the controller works with now.
    var settingsInEffect: StationSettings { controller.settings }

    /// New values apply at once, except those of parameters that need a restart.
    func effectiveSettings() -> StationSettings {
        StationSettings(parameterService.values.effective(startedWith: startValues))
    }

    public func removeDLMSlaves(_ id: String?) throws -> [String] {
        let removed = try controller.removeDLMSlaves(id, now: clock.now())
        carryOut()
        return removed
    }

    // MARK: DLM link

    public func dlmLinkStarted(_ sender: DLMLinkSender) {
        dlmSender = sender
        carryOut()
    }

    public func dlmDatagram(_ bytes: [UInt8], host: String, port: Int) {
        controller.dlmReceive(bytes, from: DLMEndpoint(host: host, port: port), now: clock.now())
        carryOut()
    }

    /// Sends a datagram of the controller's DLM link (none before the link's socket is bound).
    private func send(_ datagram: DLMDatagram) {
        guard let sender = dlmSender else { return }
        switch datagram.destination {
        case .broadcast: sender.sendBroadcast(datagram.bytes)
        case .endpoint(let e): sender.send(datagram.bytes, host: e.host, port: e.port)
        case .configuredMaster:
            let d = controller.settings.dlm
            guard let e = DLMEndpoint(parsing: d.masterAddress, defaultPort: d.linkPort) else { return }
            sender.send(datagram.bytes, host: e.host, port: e.port)
        }
    }

    // MARK: AuthorizationService

    public func whitelist(search: String) -> WhitelistView { WhitelistView(controller.authorization, search: search) }

    public func whitelistAdd(_ input: WhitelistEntryInput) throws -> WhitelistEntryView { try controller.whitelistAdd(input, now: clock.now()) }

    public func whitelistUpdate(_ id: String, _ input: WhitelistEntryInput) throws -> WhitelistEntryView {
        try controller.whitelistUpdate(input, now: clock.now())
    }

    public func whitelistRemove(_ id: String) throws -> WhitelistEntryView { try controller.whitelistRemove(id, now: clock.now()) }

    public func whitelistRemoveAll() throws -> Int { try controller.whitelistRemoveAll(now: clock.now()) }

    public func whitelistRestore(_ id: String) throws -> WhitelistEntryView { try controller.whitelistRestore(id, now: clock.now()) }

    public func whitelistImport(_ csv: String, mode: WhitelistImportMode) throws -> WhitelistImportReport {
        try controller.whitelistImport(csv, mode: mode, now: clock.now())
    }

    public func whitelistExport(format: WhitelistCSVFormat) -> String {
        WhitelistCSV.export(controller.authorization.lists.whitelist.entries, format: format)
    }

    public func learning() -> LearningView { LearningView(controller.authorizationFlow) }

    public func setLearning(_ active: Bool) -> LearningView {
        controller.setLearning(active, now: clock.now())
        return learning()
    }

    public func authorizationLists() -> AuthorizationListsView { AuthorizationListsView(controller.authorization) }

    public func clearAuthorizationCache() throws {
        try controller.clearAuthorizationCache(now: clock.now())
    }

    // MARK: HistoryService

    public func history(from: Date?, to: Date?) throws -> [HistoryRow] {
        try database.sessions(from: from, to: to).map { HistoryRow($0, disclose: controller.settings.uidDisclose) }
    }

    public func historySummary() throws -> HistorySummary {
        ChargingHistory.summary(try database.sessions(from: nil, to: nil), now: clock.now())
    }

    // MARK: Meters

    /// The result of one meter poll (the controller counts failures and raises the meter errors).
    public func meterPolled(_ target: MeterTarget, _ result: Result<MeterReading, any Error>) {
        switch result {
        case .success(let reading): controller.meterPolled(target, reading, now: clock.now())
        case .failure(let error):
            metrics.meterPollFailed(target)
            controller.meterPolled(target, nil, error: "\(error)", now: clock.now())
        }
        carryOut()
    }

    // MARK: Modbus (OMCCI register set)

    /// Answers a Modbus request on connector `connector`'s port (the controller decides; a write's parameters are stored
    /// first, and a write that cannot be stored answers 04).
    public func handleModbus(connector: Int, unitID: UInt8, request: ModbusRequest) -> ModbusResponse {
        let (parameters, answer) = controller.modbus(request, connector: connector, now: clock.now())
        for (key, value) in parameters {
            guard (try? setParameter(key, value, role: .operator, changedBy: "modbus")) != nil else {
                let failure = ModbusResponse.exception(function: request.function.rawValue, .serverDeviceFailure)
                metrics.modbusAnswered(function: request.function.rawValue, response: failure)
                return failure
            }
        }
        if case .readHoldingRegisters = request {} else { tick() }
        metrics.modbusAnswered(function: request.function.rawValue, response: answer)
        return answer
    }

    /// Answers reads from the view of the last control step; writes go through the actor.
    nonisolated public func handleModbusImmediately(connector: Int, unitID: UInt8, request: ModbusRequest) -> ModbusResponse? {
        let answer = modbusSnapshot.answer(connector: connector, request)
        if let answer { metrics.modbusAnswered(function: request.function.rawValue, response: answer) }
        return answer
    }

    private func refreshModbusSnapshot(now: Date) {
        let read = modbusSnapshot.refresh((1...controller.connectorCount).map { controller.omcciState(connector: $0, now: now) })
        for n in read { controller.modbusRequest(connector: n, now: now) }
    }
}

// MARK: SimulatorControl

/// With a simulated board, the runtime answers the local API's simulator routes; each command runs between two control
/// steps so that its effect is seen at once.
extension StationRuntime: SimulatorControl where Board: SimulatedHardware {
    public func simulatorStatus() -> SimulatorStatus { board.simulatorStatus(timeScale: clock.scale) }

    public func perform(_ command: SimulatorCommand) throws(SimulatorCommandError) {
        var vehicleRequests: [ISO15118Request] = []
        if case .plug(let r) = command { vehicleRequests = try simulatedVehicleRequests(r) }
        tick()
        try board.perform(command)
        tick()
        for request in vehicleRequests { ocppEvent(.iso15118(request)) }
    }
}
