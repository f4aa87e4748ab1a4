#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore
import Firmware
import OCPP16
import PKI
import StationModbus

/// The station's OCPP 1.6J charge point as a state machine, shaped like the gateway's central system: it takes events
/// (a connection opened or closed, a received frame, a tick of the injected clock, a station notice, a finished file
/// transfer) and returns ``Action``s for the runtime to execute (send a frame, log, step the clock, transfer a file,
/// restart the services). It does no I/O of its own: the station it commands is the ``StationController`` passed in,
/// durable state goes through the ``OCPPStore`` port, and time comes in as `now`.
///
/// Inside, ``OCPPLink`` runs the wire protocol (registration, one CALL in flight, priorities, heartbeats); this type
/// decides what the station says and does: meter values, status reports, the persistent transaction queue, the typed
/// answers to the central system's requests (``CentralSystemRequest``, one handler per action grouped by feature
/// profile) and the firmware profile (``FirmwareManagement``).
///
/// - SeeAlso: OCPP 1.6 §4 (operations initiated by the charge point), §5 (by the central system); OCPP-J 1.6.
public struct OCPPChargePoint: Sendable {
    /// What happens to the charge point.
    public enum Event: Sendable, Equatable {
        /// The WebSocket to the central system opened.
        case connected
        /// The WebSocket closed.
        case disconnected
        /// A text frame arrived.
        case received(String)
        /// Time passed: sample, report, retry, send what is due.
        case tick
        /// Something happened in the station (a session started or stopped, an identifier needs the backend).
        case notice(ControllerNotice)
        /// Backend parameters changed (web interface, CLI, ChangeConfiguration); those that take effect at once apply.
        case settingsChanged(BackendSettings)
        /// A firmware download (``Action/download(location:)``) or diagnostics upload ended.
        case downloadFinished(success: Bool)
        case uploadFinished(success: Bool)
        /// The firmware installer ended: the installed version, or nil when it failed.
        case installFinished(version: String?)
        /// The station must restart its services (mains lost on backup power): once the queued messages are delivered.
        case restartRequested
        /// The wall clock was stepped by `seconds` by something else than the charge point (the browser's time).
        case wallClockStepped(seconds: Double)
        /// Something outside the charge point saw a security event (a TLS handshake refused the central system's
        /// certificate, a login failed, …): it goes to the security log and, where the whitepaper says so, to the
        /// central system (OCPP 1.6 security whitepaper ed. 3 §8).
        case securityEvent(SecurityEventType, techInfo: String?)
        /// The signature check of a signed firmware package (``Action/verifySignature(signingCertificate:signature:)``)
        /// ended: nil when it is valid, else why not.
        case signatureChecked(failure: String?)
        /// A GetLog upload (``Action/uploadLog(_:location:fileName:oldest:latest:requestId:)``) ended.
        case logUploadFinished(requestId: Int, success: Bool)
        /// A checked local package of `version` (web upload, USB stick) is in the firmware file; the runtime asked
        /// ``FirmwareManagement/localUpdateRefusal`` first (``FirmwareManagement/localUpdate(_:version:now:)``).
        case localFirmware(FirmwareManagement.LocalSource, version: String)
        /// The new firmware passed its health check after the restart (issue 23 item 5): Installed.
        case firmwareConfirmed
        /// The new firmware failed its health check and the previous version was reinstalled: InstallationFailed.
        case firmwareRolledBack(reason: String)
        /// The SECC asks the backend something for a vehicle (ISO 15118 Plug & Charge through the OCA application note,
        /// ``ISO15118Request``); the answer comes back as ``Action/iso15118(_:)``.
        case iso15118(ISO15118Request)
    }

    public enum LogLevel: Sendable, Equatable { case info, notice, warning, error }

    /// What the runtime must do, in order.
    public enum Action: Sendable, Equatable {
        case send(String)
        case log(LogLevel, String)
        /// Parameters were changed through OCPP (`changedBy`); apply them like any other change (event log, settings).
        case parametersChanged([ParameterView], before: ParameterSet, changedBy: String)
        /// Step the wall clock by `seconds` to follow the backend's time (TimeSource Heartbeat).
        case stepClock(seconds: Double, backendTime: Date)
        /// Download a firmware package into the station's firmware file (a new download starts from scratch).
        case download(location: String)
        /// Build the diagnostics archive and upload it.
        case upload(location: String, fileName: String, startTime: Date?, stopTime: Date?)
        /// Check and install the downloaded package.
        case install
        /// Verify the downloaded package's signature (whitepaper ed. 3 L01.FR.04, ``PKI/FirmwareSigning``) and report
        /// ``Event/signatureChecked(failure:)``.
        case verifySignature(signingCertificate: String, signature: String)
        /// Build the log file of GetLog (the diagnostics archive, or the security log from `oldest` to `latest` as
        /// CSV), upload it, and report ``Event/logUploadFinished(requestId:success:)``.
        case uploadLog(LogKind, location: String, fileName: String, oldest: Date?, latest: Date?, requestId: Int)
        /// Reset accepted (OCPP 1.6 §5.14): stop every running transaction (reason HardReset/SoftReset), run the station's
        /// control step so that their StopTransactions are queued with their Transaction.End values, then hand the
        /// charge point ``Event/restartRequested``. The answer is sent first.
        case reset(ResetType)
        /// Restart the station services; `drained` says whether every queued message was delivered first.
        case restartServices(drained: Bool)
        /// The backend's answer to an ``ISO15118Request`` (or that none came), for the SECC.
        case iso15118(ISO15118Outcome)
    }

    /// The profiles the station supports (SupportedFeatureProfiles).
    public static let supportedProfiles: [FeatureProfile] = [.core, .firmwareManagement, .localAuthListManagement, .reservation,
                                                              .smartCharging, .remoteTrigger]

    /// How long a restart waits for queued messages to be delivered.
    public static let restartGraceSeconds: Double = 10

    public internal(set) var link: OCPPLink
    public internal(set) var settings: BackendSettings
    public internal(set) var firmware: FirmwareManagement
    /// A new firmware version runs unconfirmed (or was rolled back): the accepted BootNotification does not report
    /// Installed; the runtime's health check sends ``Event/firmwareConfirmed`` or ``Event/firmwareRolledBack(reason:)``.
    public var firmwareAwaitsHealthCheck = false
    /// The services are stopping: nothing new is sent.
    public internal(set) var stopping = false
    /// The station's identity, for the diagnostics file name.
    let chargeBoxIdentity: String
    /// Whether the station clock may follow the backend's (false in a time-scaled simulation, which keeps its own time).
    let mayFollowBackendTime: Bool
    /// Which backend times the station follows (TimeSource Heartbeat).
    let timePolicy: BackendTimePolicy
    /// The head of the persistent transaction queue as a CALL (nil: empty); reloaded after every change.
    var head: (message: QueuedTransactionMessage, call: OCPPLink.Call)?
    var headStale = true
    /// The status last queued per connector (0 = station), to send changes only.
    var reported: [Int: String] = [:]
    /// A status that must last MinimumStatusDuration before it is sent.
    var candidate: [Int: (key: String, since: Date)] = [:]
    /// When the next sampled MeterValues of a running session is due, per connector.
    var nextSample: [Int: Date] = [:]
    var nextAligned: Date?
    /// A requested restart of the station services waits until the queued messages are delivered (at most
    /// ``restartGraceSeconds``), so that no answered message is sent again.
    var restartRequestedAt: Date?
    /// When a backend time was last refused (the event log names it once an hour).
    var lastRefusedBackendTime: Date?
    /// The actions of the event being handled.
    var out: [Action] = []
    /// UnlockConnector CALLs answered when the lock detect has followed: per connector, the CALLs' unique ids (a
    /// repeated request for the same connector gets the same answer).
    var unlockCalls: [Int: [String]] = [:]
    /// Makes the key pair of a certificate signing request (security whitepaper A02/A03); injected, so that the state
    /// machine does not reach for the system's random source itself.
    let makeKey: @Sendable () -> ChargePointKey
    /// The watch on the charge point certificate's expiry (A03) and the back-off of its renewal.
    var certificateRenewal = CertificateRenewal()
    /// When InvalidMessages was last raised, and how many malformed frames came since (rate limit).
    var lastInvalidMessageEvent: Date?
    var suppressedInvalidMessages = 0
    /// The last SignedFirmwareStatusNotification (for ExtendedTriggerMessage, L01.FR.28/29).
    var lastSignedFirmwareStatus: SignedFirmwareStatusNotificationRequest?
    /// The contracts the SECC presented, by eMAID, until the backend answered their Authorize (ISO 15118 Plug & Charge).
    var contractAuthorizations: [String: ContractAuthorization] = [:]

    public init(settings: BackendSettings, bootNotification: BootNotificationRequest, chargeBoxIdentity: String,
                timePolicy: BackendTimePolicy, firmware: FirmwareManagement = FirmwareManagement(), mayFollowBackendTime: Bool = true,
                makeID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() },
                makeKey: @escaping @Sendable () -> ChargePointKey = { ChargePointKey.generate() }) {
        self.settings = settings
        self.makeKey = makeKey
        self.link = OCPPLink(configuration: .init(
            bootNotification: bootNotification, heartbeatInterval: .seconds(settings.heartbeatIntervalSeconds),
            forceHeartbeat: settings.forceHeartbeat, messageTimeout: settings.messageTimeout,
            supportedProfiles: Set(Self.supportedProfiles + [.security])),
            makeID: makeID)
        self.chargeBoxIdentity = chargeBoxIdentity
        self.firmware = firmware
        self.mayFollowBackendTime = mayFollowBackendTime
        self.timePolicy = timePolicy
    }

    /// The BootNotification of a station (OCPP 1.6 §4.2; the CiString limits of §6.2).
    public static func bootNotification(settings s: StationSettings, connectorCount: Int, firmwareVersion: String) -> BootNotificationRequest {
        BootNotificationRequest(
            chargePointVendor: "ChargeKit", chargePointModel: "CK-\(connectorCount)",
            chargePointSerialNumber: String(s.serialNumber.prefix(25)), chargeBoxSerialNumber: String(s.serialNumber.prefix(25)),
            firmwareVersion: String(firmwareVersion.prefix(50)),
            meterType: s.chargeMeters.compactMap { $0?.model.rawValue }.first.map { String($0.prefix(25)) } ?? "ChargeKit internal")
    }

    /// Whether the central system is reachable and accepted the station.
    public var online: Bool { link.connected && link.registration == .accepted }

    // MARK: Events

    /// Handles one event and returns what the runtime must do.
    public mutating func handle(_ event: Event, now: Date, station: inout StationController,
                                                 parameters: inout ParameterService, store: any OCPPStore,
                                                 certificates: any CertificateStore = NoCertificateStore()) -> [Action] {
        out = []
        var env = OCPPEnvironment(now: now, store: store, parameters: parameters, certificates: certificates)
        switch event {
        case .connected:
            reported = [:]
            candidate = [:]
            out.append(.log(.info, "backend connected"))
            process(link.connected(now: now), &station, &env)
        case .disconnected:
            unlockCalls = [:]  // an answer belongs to its connection
            let wasConnected = link.connected
            process(link.disconnected(), &station, &env)
            if wasConnected { station.backendUnavailable(now: now) }
        case .received(let text):
            process(link.received(text, now: now), &station, &env)
            tick(&station, &env)
        case .tick:
            tick(&station, &env)
        case .notice(let notice):
            noticed(notice, &station, &env)
        case .settingsChanged(let new):
            apply(new, &station, now: now)
        case .downloadFinished(let success):
            out.append(success ? .log(.info, "firmware downloaded") : .log(.warning, "firmware download failed"))
            runFirmware(firmware.downloadFinished(success: success, now: now), &station, &env)
        case .uploadFinished(let success):
            out.append(success ? .log(.info, "diagnostics uploaded") : .log(.warning, "diagnostics upload failed"))
            runFirmware(firmware.uploadFinished(success: success, now: now), &station, &env)
        case .installFinished(let version):
            if let version {
                out.append(.log(.notice, "firmware \(version) installed"))
                do { try store.setInstalledFirmwareVersion(version) } catch {
                    out.append(.log(.error, "recording the firmware version failed: \(error)"))
                }
            } else {
                out.append(.log(.error, "firmware installation failed"))
            }
            runFirmware(firmware.installFinished(version: version), &station, &env)
        case .restartRequested:
            requestRestart(now: now)
        case .wallClockStepped(let seconds):
            shiftTimers(by: seconds)
        case .securityEvent(let type, let techInfo):
            securityEvent(type, techInfo: techInfo, &env)
        case .signatureChecked(let failure):
            if let failure { out.append(.log(.warning, "firmware signature refused: \(failure)")) }
            runFirmware(firmware.signatureChecked(valid: failure == nil, now: now), &station, &env)
            if let failure { securityEvent(.invalidFirmwareSignature, techInfo: failure, &env) }
        case .logUploadFinished(let requestId, let success):
            out.append(success ? .log(.info, "log \(requestId) uploaded") : .log(.warning, "log \(requestId) upload failed"))
            runFirmware(firmware.logUploadFinished(requestId: requestId, success: success, now: now), &station, &env)
        case .localFirmware(let source, let version):
            out.append(.log(.notice, "firmware \(version) taken from the \(source.rawValue) for installation"))
            runFirmware(firmware.localUpdate(source, version: version, now: now), &station, &env)
        case .firmwareConfirmed:
            firmwareAwaitsHealthCheck = false
            runFirmware(firmware.booted(), &station, &env)
        case .firmwareRolledBack(let reason):
            firmwareAwaitsHealthCheck = false
            out.append(.log(.error, "firmware update rolled back: \(reason)"))
            runFirmware(firmware.rolledBack(), &station, &env)
        case .iso15118(let request):
            iso15118(request, &station, &env)
        }
        if station.online != online { station.online = online }
        parameters = env.parameters
        let actions = out
        out = []
        return actions
    }

    /// Restarts the station services once the queued messages are delivered (at most ``restartGraceSeconds``).
    mutating func requestRestart(now: Date) { restartRequestedAt = now }

    /// Samples meter values, reports status changes and sends what is due.
    mutating func tick(_ station: inout StationController, _ env: inout OCPPEnvironment) {
        guard !stopping else { return }
        let now = env.now
        for n in sampleMeterValues(station, env) { station.requestSignedSample(connector: n, now: now) }
        if online { reportStatus(station, now: now, force: []) }
        runFirmware(firmware.tick(now: now, transactionsRunning: station.transactionsRunning), &station, &env)
        if online { watchCertificateExpiry(&env) }
        if headStale { loadHead(env.store) }
        if restartIfDrained(now: now) { return }
        // A StopTransaction waits for the session's signed final reading (issue 28 item 6); it is read again from the
        // store once the reading is there.
        var held = false
        if let (m, _) = head, m.action == StopTransactionRequest.action, let record = m.session,
           station.holdsStopTransaction(record, now: now) {
            held = true
            headStale = true
        }
        process(link.poll(now: now, transaction: held ? nil : head?.call), &station, &env)
    }

    /// Ends a requested restart once it may go: offline, nothing left to deliver, or the grace period over (what is
    /// left stays queued in SQLite and is sent after the restart).
    private mutating func restartIfDrained(now: Date) -> Bool {
        guard let since = restartRequestedAt else { return false }
        let drained = link.inFlight == nil && link.pendingCalls.isEmpty && head == nil
        guard !link.connected || drained || now.timeIntervalSince(since) >= Self.restartGraceSeconds else { return false }
        restartRequestedAt = nil
        stopping = true
        out.append(.log(.notice, "restarting the station services\(drained ? "" : "; undelivered messages stay queued")"))
        out.append(.restartServices(drained: drained))
        return true
    }

    /// Station events that concern the backend.
    mutating func noticed(_ notice: ControllerNotice, _ station: inout StationController, _ env: inout OCPPEnvironment) {
        switch notice {
        case .backendAuthorizationRequested(let idTag, _) where contractAuthorizations[idTag] != nil:
            authorizeContract(idTag, &station, &env)
        case .backendAuthorizationRequested(let idTag, _):
            link.enqueue(.init(id: link.newID(), action: AuthorizeRequest.action, payload: OCPPCoding.encode(AuthorizeRequest(idTag: idTag)),
                               purpose: .authorize(idTag: idTag)))
        case .sessionStarted(let s) where s.backendTransaction:
            headStale = true
            recordTransactionData(station, env, connector: s.connector, session: s.id, measurands: settings.stopTxnSampledData,
                                  context: "Transaction.Begin", at: s.startedAt)
            if settings.sampleIntervalSeconds > 0 {
                nextSample[s.connector] = s.startedAt.addingTimeInterval(Double(settings.sampleIntervalSeconds))
            }
        case .sessionStopped(let s, _, _) where s.backendTransaction:
            headStale = true
            recordTransactionData(station, env, connector: s.connector, session: s.id, measurands: settings.stopTxnSampledData,
                                  context: "Transaction.End", at: env.now)
            nextSample[s.connector] = nil
        case .signedMeterValue(let n, let reading):
            enqueueSignedMeterValue(station, connector: n, reading, env.store)
        case .unlockFinished(let n, let outcome):
            for id in unlockCalls.removeValue(forKey: n) ?? [] {
                out.append(.send(OCPPLink.respond(to: id, UnlockConnectorResponse(status: outcome))))
            }
        case .sessionStarted, .sessionStopped, .statusChanged, .logged, .storeFailed, .dlmLinkWarning, .meterCommunication, .mainsPowerLost, .eebusEvent:
            // A free charging session of the status-only modes is no transaction of the backend (seeds/004 §5.2).
            break
        }
    }

    /// Applies changed backend parameters that take effect at once. The connection settings (URL, proxy, password,
    /// TLS, keep-alive) were handed to the WebSocket client at start and change after a restart (restartRequired in the
    /// registry).
    private mutating func apply(_ new: BackendSettings, _ station: inout StationController, now: Date) {
        let old = settings
        settings = new
        link.configuration.heartbeatInterval = .seconds(new.heartbeatIntervalSeconds)
        link.configuration.forceHeartbeat = new.forceHeartbeat
        link.configuration.messageTimeout = new.messageTimeout
        station.backendTimeout = new.messageTimeout
        if new.sampleIntervalSeconds != old.sampleIntervalSeconds {
            for n in 1...station.connectorCount {
                let running = station.backendView(connector: n)?.session != nil
                nextSample[n] = running && new.sampleIntervalSeconds > 0 ? now.addingTimeInterval(Double(new.sampleIntervalSeconds)) : nil
            }
        }
        if new.alignedIntervalSeconds != old.alignedIntervalSeconds { nextAligned = nil }
    }

    // MARK: Link outputs

    private mutating func process(_ outputs: [OCPPLink.Output], _ station: inout StationController, _ env: inout OCPPEnvironment) {
        for output in outputs {
            switch output {
            case .send(let text):
                out.append(.send(text))
            case .request(let id, let action, let payload):
                answer(id: id, action: action, payload: payload, &station, &env)
            case .answered(let purpose, let action, let payload):
                answered(purpose, action: action, payload: payload, &station, &env)
            case .failed(.iso15118(let call), _, let code, _, let timedOut):
                iso15118Failed(call, code: code, timedOut: timedOut, &station, &env)
            case .failed(let purpose, let action, let code, let description, let timedOut):
                failed(purpose, action: action, code: code, description: description, timedOut: timedOut, env)
            case .registered(let status, let interval, let currentTime):
                out.append(.log(.info, "BootNotification \(status.rawValue) (interval \(interval) s, backend time \(OCPPDate.format(currentTime)))"))
                followBackendTime(currentTime, &station, &env)
                if status == .accepted {
                    if interval > 0, interval != settings.heartbeatIntervalSeconds {
                        let before = env.parameters.values
                        if let view = try? env.parameters.set(StationParameters.heartbeatInterval, .integer(interval), role: .manufacturer,
                                                              changedBy: "ocpp:BootNotification", now: env.now) {
                            out.append(.parametersChanged([view], before: before, changedBy: "ocpp:BootNotification"))
                            settings = BackendSettings(env.parameters.values)
                        }
                    }
                    reported = [:]
                    if !firmwareAwaitsHealthCheck { runFirmware(firmware.booted(), &station, &env) }
                }
            case .dropped(let reason):
                out.append(.log(.warning, "OCPP frame ignored: \(reason)"))
            case .invalid(let reason):
                invalidMessage(reason, &env)
            }
        }
    }

    /// Answers a validated CALL of the central system with its typed handler (``CentralSystemRequest``); the answer
    /// goes out before anything the handler queued.
    private mutating func answer(id: String, action: String, payload: JSONValue, _ station: inout StationController,
                                    _ env: inout OCPPEnvironment) {
        guard let type = OCPP16Catalog.entries[action]?.request as? any CentralSystemRequest.Type else {
            out.append(.send(OCPPLink.fail(id, OCPPError(.notSupported, "\(action) is not supported"))))
            return
        }
        // What the handler asked for (a reset, a log line) comes after its answer: the central system must have the
        // answer before the station restarts.
        let mark = out.count
        env.callID = id
        let frame = answer(type, id: id, payload: payload, &station, &env)
        let followUps = Array(out[mark...])
        out.removeSubrange(mark...)
        if env.answerLater { env.answerLater = false } else { out.append(.send(frame)) }
        out += followUps
    }

    private mutating func answer<R: CentralSystemRequest>(_ type: R.Type, id: String, payload: JSONValue,
                                                            _ station: inout StationController, _ env: inout OCPPEnvironment) -> String {
        do {
            let request = try R(json: payload)
            return OCPPLink.respond(to: id, try R.answer(request, &self, &station, &env))
        } catch let e as OCPPError {
            return OCPPLink.fail(id, e)
        } catch {
            return OCPPLink.fail(id, OCPPError(.internalError, "\(error)"))
        }
    }

    private mutating func answered(_ purpose: OCPPLink.Purpose, action: String, payload: JSONValue, _ station: inout StationController,
                                      _ env: inout OCPPEnvironment) {
        let now = env.now
        switch purpose {
        case .authorize(let idTag):
            guard let r = try? AuthorizeResponse(json: payload) else { return }
            updateCache(idTag: idTag, r.idTagInfo, &station, now: now)
        case .transaction(let sequence):
            let message = head?.message
            var transactionID: Int?
            var info: IdTagInfo?
            if action == StartTransactionRequest.action, let r = try? StartTransactionResponse(json: payload) {
                transactionID = r.transactionId
                info = r.idTagInfo
            } else if action == StopTransactionRequest.action {
                info = (try? StopTransactionResponse(json: payload))?.idTagInfo
            }
            do {
                try env.store.transactionMessageDelivered(sequence, session: message?.sessionID, transactionID: transactionID,
                                                          finished: action == StopTransactionRequest.action)
            } catch {
                out.append(.log(.error, "recording the delivery of \(action) failed: \(error)"))
            }
            link.transactionsNotBefore = nil
            headStale = true
            if let info, let idTag = message?.session?.session.idTag, !idTag.isEmpty {
                updateCache(idTag: idTag, info, &station, now: now)
                if action == StartTransactionRequest.action, info.status != .accepted, let id = message?.sessionID {
                    station.transactionNotAccepted(session: id, status: info.status.rawValue, stop: settings.stopTransactionOnInvalidId, now: now)
                }
            }
        case .heartbeat:
            if let r = try? HeartbeatResponse(json: payload) { followBackendTime(r.currentTime, &station, &env) }
        case .iso15118(let call):
            iso15118Answered(call, payload, &station, &env)
        case .boot, .status, .other:
            break
        }
    }

    private mutating func failed(_ purpose: OCPPLink.Purpose, action: String, code: String, description: String, timedOut: Bool,
                                 _ env: OCPPEnvironment) {
        switch purpose {
        case .transaction(let sequence):
            let retry = Double(settings.transactionMessageRetryIntervalSeconds)
            if timedOut {
                // Offline or no answer: not a failure to process; the message stays and is resent (OCPP 1.6 §4.10).
                link.transactionsNotBefore = env.now.addingTimeInterval(retry)
                return
            }
            if Self.unsupportedByCentralSystem(action: action, code: code) {
                out.append(.log(.notice, "backend does not implement \(action) (\(code)); retired"))
                do { try env.store.transactionMessageDelivered(sequence, session: nil, transactionID: nil, finished: false) } catch {
                    out.append(.log(.error, "retiring \(action) failed: \(error)"))
                }
                link.transactionsNotBefore = nil
                headStale = true
                return
            }
            do {
                let (attempts, dropped) = try env.store.transactionMessageFailed(sequence, maxAttempts: settings.transactionMessageAttempts)
                out.append(.log(.warning, "backend failed to process \(action) (\(code): \(description)); attempt \(attempts)\(dropped ? ", dropped" : "")"))
                link.transactionsNotBefore = dropped ? nil : env.now.addingTimeInterval(retry * Double(attempts))
            } catch {
                out.append(.log(.error, "recording the failed \(action) failed: \(error)"))
            }
            headStale = true
        case .authorize(let idTag):
            out.append(.log(.warning, "Authorize of \(idTag) failed (\(code)); the offline rules apply"))
        default:
            if !timedOut { out.append(.log(.warning, "backend answered \(action) with \(code): \(description)")) }
        }
    }

    /// The backend's answer about an idTag (Authorize, Start/StopTransaction): cached and applied to waiting requests.
    private func updateCache(idTag: String, _ info: IdTagInfo, _ station: inout StationController, now: Date) {
        guard let status = IdentifierStatus(rawValue: info.status.rawValue) else { return }
        station.backendAuthorization(idTag: idTag, status: status, parentIdTag: info.parentIdTag, expiry: info.expiryDate, now: now)
    }

    /// TimeSource Heartbeat: steps the station clock to the backend's time when the time policy finds it plausible. The
    /// rest of the event already runs on the stepped time (the StatusNotifications after an accepted boot carry it).
    private mutating func followBackendTime(_ backend: Date, _ station: inout StationController, _ env: inout OCPPEnvironment) {
        let now = env.now
        guard settings.timeFromBackend, mayFollowBackendTime else { return }
        let roundTrip = link.lastSentAt.map { max(0, now.timeIntervalSince($0)) } ?? 0
        switch timePolicy.decide(backend: backend, now: now, roundTripSeconds: roundTrip) {
        case .keep:
            return
        case .refuse(let why):
            if lastRefusedBackendTime.map({ now.timeIntervalSince($0) >= 3600 || now < $0 }) ?? true {
                lastRefusedBackendTime = now  // once an hour in the event log, not at every heartbeat
                station.record(.systemAction, "Clock not set: \(why)", now: now)
            }
            out.append(.log(.warning, "station clock not set: \(why)"))
        case .step(let seconds):
            out.append(.stepClock(seconds: seconds, backendTime: backend))
            env.now = now.addingTimeInterval(seconds)
            shiftTimers(by: seconds)
            // Security whitepaper ed. 3 §8: SettingSystemTime (critical), stamped with the new time.
            securityEvent(.settingSystemTime, techInfo: "set from the central system's time (moved by \(Int(seconds.rounded())) s)", &env)
        }
    }
}

extension OCPPChargePoint {
    /// Keeps every interval of the charge point as long as it was when the wall clock steps: heartbeats, timeouts,
    /// retries, MinimumStatusDuration and the sample interval are durations, not times of day (a backend two hours
    /// behind must not silence the heartbeat for two hours). Clock-aligned sampling is aligned to the new time of day.
    mutating func shiftTimers(by seconds: Double) {
        link.shiftTimers(by: seconds)
        candidate = candidate.mapValues { ($0.key, $0.since.addingTimeInterval(seconds)) }
        nextSample = nextSample.mapValues { $0.addingTimeInterval(seconds) }
        nextAligned = nil
        restartRequestedAt = restartRequestedAt?.addingTimeInterval(seconds)
    }
}
