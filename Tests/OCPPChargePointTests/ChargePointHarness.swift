import Foundation
import Synchronization
import ChargePoint
import EVSECore
import Firmware
import OCPP16
import Persistence
import Simulator
import TestSupport

/// A station with its OCPP charge point, run in process on a manual clock: the runtime's loop (board → controller →
/// notices → charge point → actions) without sockets, SQLite in memory, and on the other side a scripted central
/// system that answers the charge point's CALLs like the pytest suite's independent `ocpp` peer does (OCPP 1.6 §4:
/// BootNotification Accepted, Authorize Accepted, a new transactionId per StartTransaction, empty confirmations).
///
/// Scenarios read as frames in and frames out: ``call(_:)`` sends a CALL of the central system and returns its
/// typed answer, ``calls(_:)`` lists what the charge point sent.
struct ChargePointHarness {
    static let card = "04567DAA5F3580"
    /// The card as the station reports it (RFID Tag Letter Case: lower case).
    static let tag = card.lowercased()
    /// A second card (the pytest suite's OTHER_CARD).
    static let otherCard = "0A0E9B83"
    static let identity = "CK-TEST-01"

    var now = Date(timeIntervalSince1970: 1_800_000_000)
    var station: StationController
    var board: SimulatedBoard
    var parameters: ParameterService
    let db: StationDatabase
    /// The certificate store, in a directory of its own (security whitepaper A02/A03, M03–M05).
    let certificates: CertificateDirectory
    var cp: OCPPChargePoint
    let startValues: ParameterSet
    /// Every frame the charge point sent, in order.
    private(set) var sent: [OCPPFrame] = []
    /// The actions other than frames (restarts, clock steps, transfers), in order.
    private(set) var actions: [OCPPChargePoint.Action] = []
    /// The central system's answers to BootNotification, first to last; the last one repeats.
    var bootAnswers: [(RegistrationStatus, interval: Int)] = [(.accepted, 300)]
    /// The central system's answer to Authorize and StartTransaction.
    var authorization: AuthorizationStatus = .accepted
    /// Per idTag, an answer other than ``authorization`` (like the pytest central system's `id_tags`).
    var idTags: [String: AuthorizationStatus] = [:]
    /// Per idTag, the parentIdTag the central system names (its `parents`).
    var parents: [String: String] = [:]
    /// Actions the central system leaves unanswered (a backend that is slow or gone).
    var unanswered: Set<String> = []
    /// The central system's answer to the charge point's DataTransfer (nil: UnknownVendorId).
    var dataTransfer: (@Sendable (DataTransferRequest) -> DataTransferResponse)?
    /// Actions the central system answers with this CALLERROR (SteVe: SecurityEventNotification NotImplemented).
    var callErrors: [String: OCPPErrorCode] = [:]
    /// The central system's clock (Heartbeat and BootNotification currentTime): the real time of the scenario plus
    /// this offset, whatever the station's clock does.
    var backendClockOffsetSeconds: Double = 0
    private let startedAt = Date(timeIntervalSince1970: 1_800_000_000)
    private var elapsedSeconds: Double = 0
    private var draining = false
    private(set) var lastTransactionID = 0
    /// The log lines the charge point asked for.
    private(set) var logs: [String] = []
    /// The services restarted (``OCPPChargePoint/Action/restartServices(drained:)``): the old connection is gone.
    private(set) var servicesStopped = false
    private var answers: [String] = []
    private var callCount = 0
    private var carryingOut = false

    /// The station as the pytest suite configures it (Tests/Interop/ocpp16/harness.py) plus `config`.
    init(connectors: Int = 2, config: [(String, String)] = []) throws {
        db = try StationDatabase()
        certificates = CertificateDirectory(dataDirectory: FileManager.default.temporaryDirectory
            .appendingPathComponent("ck-certs-\(UUID().uuidString)").path)
        parameters = try ParameterService(store: db, connectorCount: connectors)
        let base = [("ConnectorCount", "\(connectors)"), ("BackendURL", "ws://central-system.invalid/ocpp"), ("ChargeBoxIdentity", Self.identity),
                    ("StatusNotificationStrategy", "OccupiedOnAuthorizedOrPlugged"), ("EnableLocalWhitelist", "Off"),
                    ("MeterValueSampleInterval", "0")]
        for (key, value) in base + config {
            _ = try parameters.set(key, text: value, role: .manufacturer, changedBy: "test", now: now)
        }
        startValues = parameters.values
        let settings = StationSettings(parameters.values)
        let phases = settings.connectors.map { $0.phasesConnected.phaseCount }
        board = SimulatedBoard(connectorCount: connectors, phaseCount: phases, now: now)
        station = StationController(settings: settings, board: board.readInputs(), store: db, now: now, backendConfigured: true)
        cp = try Self.chargePoint(parameters, db, connectors: connectors)
    }

    /// A new charge point as the runtime makes one at start: the firmware update that survived the restart, the
    /// version it installed.
    private static func chargePoint(_ parameters: ParameterService, _ db: StationDatabase, connectors: Int) throws -> OCPPChargePoint {
        let counter = Atomic<Int>(0)
        let settings = StationSettings(parameters.values)
        let boot = OCPPChargePoint.bootNotification(settings: settings, connectorCount: connectors,
                                                    firmwareVersion: try db.installedFirmwareVersion() ?? "test")
        return OCPPChargePoint(settings: BackendSettings(parameters.values), bootNotification: boot, chargeBoxIdentity: Self.identity,
                               timePolicy: BackendTimePolicy(earliest: Date(timeIntervalSince1970: 1_700_000_000)),
                               firmware: FirmwareManagement(restored: try db.firmwareJob()),
                               makeID: { "cp-\(counter.add(1, ordering: .relaxed).newValue)" })
    }

    /// The station services restarted (Reset, firmware installation): a new charge point from what is stored, connected.
    mutating func restart() throws {
        cp = try Self.chargePoint(parameters, db, connectors: station.connectorCount)
        servicesStopped = false
        connect()
    }

    /// The process was killed (`kill -9`: nothing more is written) and starts again on the same database, with the
    /// board as it is (the vehicles stay plugged in): the station recovers what was open, re-applies the availability
    /// ChangeAvailability persisted, and a new charge point connects — like `StationApp` at start.
    mutating func kill9() throws {
        carryingOut = false
        let settings = StationSettings(parameters.values)
        station = StationController(settings: settings, board: board.readInputs(), store: db, now: now, previousShutdownClean: false,
                                    backendConfigured: true)
        for n in 1...station.connectorCount where try db.persistedInoperative(connector: n) {
            station.setOperative(connector: n, false, now: now)
        }
        try restart()
    }

    // MARK: Driving

    /// Opens the connection and runs until the station is registered (or `seconds` passed).
    mutating func connect(run seconds: Double = 1) {
        event(.connected)
        run(seconds)
    }

    /// Advances the clock by `seconds`, in 100 ms control steps like the runtime.
    mutating func run(_ seconds: Double, every: Double = 0.1) {
        var left = seconds
        while left > 1e-9 {
            let d = min(every, left)
            now = now.addingTimeInterval(d)
            elapsedSeconds += d
            carryOut()
            board.advance(to: startedAt.addingTimeInterval(elapsedSeconds))  // monotonic, like the runtime
            station.poll(board.readInputs(), now: now)
            carryOut()
            event(.tick)
            left -= d
        }
    }

    /// Carries out the station's effects in order, like the runtime: commands to the board, samples to the database,
    /// notices to the charge point (whose handlers may command the station again: those effects queue behind).
    mutating func carryOut() {
        guard !carryingOut else { return }
        carryingOut = true
        defer { carryingOut = false }
        while case let effects = station.takeEffects(), !effects.isEmpty {
            for effect in effects {
                switch effect {
                case .hardware(let command): board.apply(command)
                case .recordSamples(let samples): try? db.record(samples: samples, hardwareState: board.persistentState())
                case .dlm, .eebus, .eebusPersist: break
                case .notice(let notice):
                    event(.notice(notice))
                    // Like the runtime: on backup power the services restart once the queued messages are delivered.
                    if case .mainsPowerLost = notice { event(.restartRequested) }
                }
            }
        }
    }

    /// Hands the charge point an event, carries out its actions like the runtime, and lets the central system answer.
    mutating func event(_ e: OCPPChargePoint.Event) {
        let out = cp.handle(e, now: now, station: &station, parameters: &parameters, store: db, certificates: certificates)
        for action in out { execute(action) }
        carryOut()
        // The central system's answers arrive one after the other, like frames on the socket.
        guard !draining else { return }
        draining = true
        defer { draining = false }
        while !answers.isEmpty {
            let text = answers.removeFirst()
            let more = cp.handle(.received(text), now: now, station: &station, parameters: &parameters, store: db, certificates: certificates)
            for action in more { execute(action) }
        }
    }

    private mutating func execute(_ action: OCPPChargePoint.Action) {
        switch action {
        case .send(let text):
            // After a restart of the services nothing more goes out on the old connection.
            guard !servicesStopped, let frame = try? OCPPFrame.parse(text) else { return }
            sent.append(frame)
            if case .call(let id, let name, _) = frame, let code = callErrors[name] {
                answers.append(OCPPFrame.error(OCPPError(code, "\(name) is not implemented here"), id: id).serialized())
            } else if case .call(let id, let name, let payload) = frame, !unanswered.contains(name), let answer = centralSystemAnswer(name, payload) {
                answers.append(OCPPFrame.callResult(id: id, payload: answer).serialized())
            }
        case .parametersChanged:
            station.update(settings: StationSettings(parameters.values.effective(startedWith: startValues)))
            actions.append(action)
            event(.settingsChanged(BackendSettings(parameters.values.effective(startedWith: startValues))))
        case .reset(let type):
            actions.append(action)
            station.stopAllSessions(reason: type == .hard ? .hardReset : .softReset, now: now)
            carryOut()
            event(.restartRequested)
            event(.tick)  // the runtime runs its control step at once
        case .stepClock(let seconds, _):
            actions.append(action)
            now = now.addingTimeInterval(seconds)
            station.wallClockStepped(by: seconds)
        case .log(_, let line):
            logs.append(line)
        case .restartServices:
            actions.append(action)
            servicesStopped = true
        case .download, .upload, .install, .verifySignature, .uploadLog, .iso15118:
            actions.append(action)
        }
    }

    /// What the scripted central system answers (nil: nothing, the action is not the charge point's to send).
    private mutating func centralSystemAnswer(_ action: String, _ payload: JSONValue) -> JSONValue? {
        let time = startedAt.addingTimeInterval(elapsedSeconds + backendClockOffsetSeconds)
        switch action {
        case BootNotificationRequest.action:
            let (status, interval) = bootAnswers.count > 1 ? bootAnswers.removeFirst() : bootAnswers[0]
            return OCPPCoding.encode(BootNotificationResponse(status: status, currentTime: time, interval: interval))
        case HeartbeatRequest.action:
            return OCPPCoding.encode(HeartbeatResponse(currentTime: time))
        case AuthorizeRequest.action:
            return OCPPCoding.encode(AuthorizeResponse(idTagInfo: idTagInfo(payload["idTag"])))
        case StartTransactionRequest.action:
            lastTransactionID += 1
            return OCPPCoding.encode(StartTransactionResponse(idTagInfo: idTagInfo(payload["idTag"]), transactionId: lastTransactionID))
        case StopTransactionRequest.action, StatusNotificationRequest.action, MeterValuesRequest.action,
             FirmwareStatusNotificationRequest.action, DiagnosticsStatusNotificationRequest.action,
             SecurityEventNotificationRequest.action, LogStatusNotificationRequest.action, SignedFirmwareStatusNotificationRequest.action:
            return .object([:])
        case SignCertificateRequest.action:
            return OCPPCoding.encode(SignCertificateResponse(status: .accepted))
        case DataTransferRequest.action:
            guard let r = try? DataTransferRequest(json: payload) else { return nil }
            return OCPPCoding.encode(dataTransfer?(r) ?? DataTransferResponse(status: .unknownVendorId))
        default:
            return nil
        }
    }

    private func idTagInfo(_ idTag: JSONValue?) -> IdTagInfo {
        guard case .string(let tag) = idTag else { return IdTagInfo(status: authorization) }
        return IdTagInfo(status: idTags[tag] ?? authorization, parentIdTag: parents[tag])
    }

    // MARK: The central system's side

    /// Sends a CALL of the central system and returns the charge point's answer, decoded.
    mutating func call<R: OCPPRequest>(_ request: R) throws -> R.Response {
        let answer = try send(R.action, OCPPCoding.encode(request))
        guard case .callResult(_, let payload) = answer else { throw HarnessError("\(R.action) answered \(answer)") }
        return try R.Response(json: payload)
    }

    /// Sends a raw CALL and returns the answer frame (a CALLRESULT or a CALLERROR).
    mutating func send(_ action: String, _ payload: JSONValue) throws -> OCPPFrame {
        callCount += 1
        let id = "cs-\(callCount)"
        event(.received(OCPPFrame.call(id: id, action: action, payload: payload).serialized()))
        // An answer that waits for the station (UnlockConnector and its lock detect) comes within a few control steps.
        for _ in 0..<50 {
            if let answer = sent.last(where: { if case .call = $0 { false } else { $0.id == id } }) { return answer }
            run(0.1)
        }
        throw HarnessError("\(action) was not answered within 5 s")
    }

    /// The payloads of the CALLs `action` the charge point sent (after `mark`, an index into ``sent``).
    func calls(_ action: String, since mark: Int = 0) -> [JSONValue] {
        sent[mark...].compactMap { if case .call(_, action, let payload) = $0 { payload } else { nil } }
    }

    /// The names of the CALLs the charge point sent, in order.
    func callNames(since mark: Int = 0) -> [String] {
        sent[mark...].compactMap { if case .call(_, let action, _) = $0 { action } else { nil } }
    }

    /// The position in ``sent`` to look from.
    var mark: Int { sent.count }

    /// The StatusNotifications reported for `connector`, in order.
    func statusReports(_ connector: Int, since mark: Int = 0) -> [StatusNotificationRequest] {
        calls(StatusNotificationRequest.action, since: mark).compactMap { try? StatusNotificationRequest(json: $0) }.filter { $0.connectorId == connector }
    }

    /// The statuses reported for `connector`, in order.
    func statuses(_ connector: Int, since mark: Int = 0) -> [String] {
        calls(StatusNotificationRequest.action, since: mark).compactMap { p in
            guard let r = try? StatusNotificationRequest(json: p), r.connectorId == connector else { return nil }
            return r.status
        }
    }

    // MARK: The station's side

    mutating func plug(_ n: Int = 1) throws {
        try board.plug(n, EVSpec(phases: 3, maxCurrentAmps: 16))
        run(0.5)
    }

    mutating func unplug(_ n: Int = 1, force: Bool = false) throws {
        try board.unplug(n, force: force)
        run(0.5)
    }

    mutating func card(_ uid: String = Self.card) throws {
        try board.presentRFID(uid)
        run(0.5)
    }

    /// Injects (or clears) a fault of the simulated board on connector `n` (nil: a station fault such as `.power`).
    mutating func fault(_ kind: SimulatedFault, _ n: Int?, clear: Bool = false) throws {
        try board.setFault(kind, connector: n, active: !clear)
        run(0.5)
    }

    /// Plugs in and presents the card: the session of connector `n` runs and its StartTransaction was answered.
    mutating func charging(_ n: Int = 1, card uid: String = Self.card) throws {
        try plug(n)
        try card(uid)
        run(5)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension JSONValue {
    /// A field of an object payload.
    subscript(_ key: String) -> JSONValue? {
        if case .object(let o) = self { o[key] } else { nil }
    }
}
