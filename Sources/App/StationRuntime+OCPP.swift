import Foundation
import Logging
import ChargePoint
import EVSECore
import OCPP16
import Persistence
import Transport
import WebUI
import Synchronization

/// The station's OCPP state, owned by the runtime actor.
struct OCPPState {
    var link: OCPPLink
    var settings: BackendSettings
    var outbound: OCPPOutbound?
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
    /// Firmware updates and diagnostics uploads (StationRuntime+Firmware).
    var firmware: FirmwareManagement
    /// Where downloaded packages and diagnostics files are kept.
    var dataDirectory: String
    /// A requested restart of the station services (Reset, firmware installation): it waits until the queued
    /// messages are delivered (at most ``StationRuntime/restartGrace``) so that no answered message is sent again.
    var restart: (kind: StationRestart, since: Date)?
    /// The services are stopping: nothing new is sent.
    var stopping = false
}

/// The profiles the station supports (SupportedFeatureProfiles).
let supportedProfiles: [FeatureProfile] = [.core, .firmwareManagement, .localAuthListManagement, .reservation, .smartCharging, .remoteTrigger]

extension StationRuntime: OCPPConnectionDelegate {
    // MARK: Setup

    /// Prepares OCPP when a backend is configured; returns the connection settings for the WebSocket client.
    func setUpOCPP(version: String, dataDirectory: String) -> OCPPConnectionSettings? {
        let backend = BackendSettings(parameterService.values)
        database.journalTransactions.store(backend.enabled, ordering: .relaxed)
        controller.backendConfigured = backend.enabled
        guard backend.enabled else {
            if (try? database.transactionQueueCount()) ?? 0 > 0 {
                logger.notice("no backend configured: queued OCPP transaction messages are discarded")
                try? database.clearTransactionQueue()
            }
            return nil
        }
        let s = controller.settings
        let boot = BootNotificationRequest(
            chargePointVendor: "ChargeKit", chargePointModel: "CK-\(controller.connectorCount)",
            chargePointSerialNumber: String(s.serialNumber.prefix(25)), chargeBoxSerialNumber: String(s.serialNumber.prefix(25)),
            firmwareVersion: String(firmwareVersion(build: version).prefix(50)), meterType: s.chargeMeters.compactMap { $0?.model.rawValue }.first.map { String($0.prefix(25)) } ?? "ChargeKit internal")
        let link = OCPPLink(configuration: .init(
            bootNotification: boot, heartbeatInterval: .seconds(backend.heartbeatIntervalSeconds), forceHeartbeat: backend.forceHeartbeat,
            messageTimeout: backend.messageTimeout, supportedProfiles: Set(supportedProfiles)))
        ocpp = OCPPState(link: link, settings: backend, firmware: FirmwareManagement(restored: restoredFirmwareJob()), dataDirectory: dataDirectory)
        controller.backendTimeout = backend.messageTimeout
        return OCPPConnectionSettings(
            baseURL: backend.url, chargeBoxIdentity: s.chargeBoxIdentity, basicAuthPassword: backend.basicAuthPassword, proxy: backend.proxy,
            pingInterval: .seconds(backend.pingIntervalSeconds), connectTimeout: backend.messageTimeout,
            tlsStrictness: TLSStrictness(rawValue: backend.sslStrictness) ?? .normal, watchdog: .seconds(backend.tcpWatchdogSeconds))
    }

    // MARK: OCPPConnectionDelegate

    public func ocppConnected(_ outbound: OCPPOutbound) {
        guard ocpp != nil else { outbound.close(); return }
        ocpp!.outbound = outbound
        ocpp!.reported = [:]
        ocpp!.candidate = [:]
        logger.info("backend connected")
        process(ocpp!.link.connected(now: clock.now()))
        updateOnline()
    }

    public func ocppReceived(_ text: String) {
        guard ocpp != nil else { return }
        process(ocpp!.link.received(text, now: clock.now()))
        ocppTick(now: clock.now())
    }

    public func ocppDisconnected(reason: String) {
        guard ocpp != nil else { return }
        let wasConnected = ocpp!.outbound != nil
        ocpp!.outbound = nil
        process(ocpp!.link.disconnected())
        updateOnline()
        if wasConnected { controller.backendUnavailable(now: clock.now()) }
    }

    private func updateOnline() {
        let online = ocpp.map { $0.link.connected && $0.link.registration == .accepted } ?? false
        if controller.online != online { controller.online = online }
    }

    // MARK: Tick

    /// Station events that concern the backend.
    func ocppNotice(_ notice: ControllerNotice, now: Date) {
        guard ocpp != nil else { return }
        switch notice {
        case .backendAuthorizationRequested(let idTag, _):
            ocpp!.link.enqueue(.init(id: ocpp!.link.newID(), action: AuthorizeRequest.action,
                                     payload: OCPPCoding.encode(AuthorizeRequest(idTag: idTag)), purpose: .authorize(idTag: idTag)))
        case .sessionStarted(let s):
            ocpp!.headStale = true
            recordTransactionData(connector: s.connector, session: s.id, measurands: ocpp!.settings.stopTxnSampledData,
                                  context: "Transaction.Begin", at: s.startedAt)
            if ocpp!.settings.sampleIntervalSeconds > 0 {
                ocpp!.nextSample[s.connector] = s.startedAt.addingTimeInterval(Double(ocpp!.settings.sampleIntervalSeconds))
            }
        case .sessionStopped(let s, _, _):
            ocpp!.headStale = true
            recordTransactionData(connector: s.connector, session: s.id, measurands: ocpp!.settings.stopTxnSampledData,
                                  context: "Transaction.End", at: now)
            ocpp!.nextSample[s.connector] = nil
        default:
            break
        }
    }

    /// Samples meter values, reports status changes and sends what is due.
    func ocppTick(now: Date) {
        guard ocpp != nil, !ocpp!.stopping else { return }
        sampleMeterValues(now: now)
        if ocpp!.link.registration == .accepted && ocpp!.link.connected { reportStatus(now: now, force: []) }
        firmwareTick(now: now)
        if ocpp!.headStale { loadHead() }
        if restartIfDrained(now: now) { return }
        process(ocpp!.link.poll(now: now, transaction: ocpp!.head?.call))
    }

    /// How long a restart waits for queued messages to be delivered.
    static let restartGrace: TimeInterval = 10

    /// Restarts the station services once the requested restart may go: offline, nothing left to deliver, or the
    /// grace period over (what is left stays queued in SQLite and is sent after the restart).
    private func restartIfDrained(now: Date) -> Bool {
        guard let r = ocpp!.restart else { return false }
        let link = ocpp!.link
        let drained = link.inFlight == nil && link.pendingCalls.isEmpty && ocpp!.head == nil
        guard !link.connected || drained || now.timeIntervalSince(r.since) >= Self.restartGrace else { return false }
        ocpp!.restart = nil
        ocpp!.stopping = true
        logger.notice("restarting the station services\(drained ? "" : "; undelivered messages stay queued")")
        restartHandler?(r.kind)
        return true
    }

    private func loadHead() {
        ocpp!.headStale = false
        do {
            guard let m = try database.transactionQueueHead() else { ocpp!.head = nil; return }
            ocpp!.head = (m, try transactionCall(m))
        } catch {
            logger.error("reading the OCPP transaction queue failed: \(error)")
            ocpp!.head = nil
        }
    }

    /// The CALL for a queued transaction message; Start/StopTransaction are built from the stored session.
    private func transactionCall(_ m: QueuedTransactionMessage) throws -> OCPPLink.Call {
        let payload: JSONValue
        switch m.action {
        case StartTransactionRequest.action:
            guard let r = m.session else { throw StartupError("StartTransaction without its session") }
            payload = OCPPCoding.encode(StartTransactionRequest(connectorId: r.session.connector, idTag: String(r.session.idTag.prefix(20)),
                                                                meterStart: Int(r.session.meterStartWh.rounded()),
                                                                reservationId: r.session.reservationID, timestamp: r.session.startedAt))
        case StopTransactionRequest.action:
            guard let r = m.session else { throw StartupError("StopTransaction without its session") }
            let recorded = try database.transactionData(session: r.session.id).map { text in
                try MeterValue(json: try JSONParser.parse(text))
            }
            payload = OCPPCoding.encode(OCPPMapping.stopTransaction(r, transactionID: m.transactionID, recorded: recorded,
                                                                    sampledMeasurands: ocpp!.settings.stopTxnSampledData))
        default:
            guard case .object(var o) = try JSONParser.parse(m.payload ?? "{}") else { throw StartupError("stored \(m.action) is not an object") }
            if m.sessionID != nil { o["transactionId"] = .integer(Int64(m.transactionID ?? -1)) }
            payload = .object(o)
        }
        return .init(id: m.messageID, action: m.action, payload: payload, purpose: .transaction(sequence: m.sequence))
    }

    private func sampleMeterValues(now: Date) {
        let s = ocpp!.settings
        for n in 1...controller.connectorCount {
            guard let due = ocpp!.nextSample[n], now >= due, let v = controller.backendView(connector: n), let session = v.session else { continue }
            enqueueMeterValues(v, session: session, context: "Sample.Periodic", measurands: s.sampledData, at: now)
            var next = due.addingTimeInterval(Double(max(1, s.sampleIntervalSeconds)))
            if next <= now { next = now.addingTimeInterval(Double(max(1, s.sampleIntervalSeconds))) }
            ocpp!.nextSample[n] = s.sampleIntervalSeconds > 0 ? next : nil
        }
        guard s.alignedIntervalSeconds > 0 else { ocpp!.nextAligned = nil; return }
        let interval = Double(s.alignedIntervalSeconds)
        guard let due = ocpp!.nextAligned else {
            ocpp!.nextAligned = Date(timeIntervalSince1970: ((now.timeIntervalSince1970 / interval).rounded(.down) + 1) * interval)
            return
        }
        guard now >= due else { return }
        ocpp!.nextAligned = Date(timeIntervalSince1970: ((now.timeIntervalSince1970 / interval).rounded(.down) + 1) * interval)
        for n in 1...controller.connectorCount {
            guard let v = controller.backendView(connector: n) else { continue }
            if let session = v.session {
                enqueueMeterValues(v, session: session, context: "Sample.Clock", measurands: s.alignedData, at: due)
                recordTransactionData(connector: n, session: session.id, measurands: s.stopTxnAlignedData, context: "Sample.Clock", at: due)
            } else if ocpp!.link.registration == .accepted {
                sendMeterValues(v, context: "Sample.Clock", measurands: s.alignedData, at: due, transactionID: nil, allowedWhilePending: false)
            }
        }
    }

    /// Keeps the current values of `measurands` for the session's StopTransaction.transactionData.
    private func recordTransactionData(connector n: Int, session: UUID, measurands: [Measurand], context: String, at: Date) {
        guard !measurands.isEmpty, let v = controller.backendView(connector: n) else { return }
        let values = OCPPMapping.sampledValues(measurands, v, context: context)
        guard !values.isEmpty else { return }
        let request = MeterValuesRequest(connectorId: n, meterValue: [MeterValue(timestamp: at, sampledValue: values)])
        guard case .object(let o) = OCPPCoding.encode(request), case .array(let mvs)? = o["meterValue"], let mv = mvs.first else { return }
        do { try database.appendTransactionData(session: session, payload: mv.serialized) } catch {
            logger.error("keeping transactionData failed: \(error)")
        }
    }

    /// A transaction's MeterValues go through the persistent queue (transactionId filled in when sent).
    private func enqueueMeterValues(_ v: ConnectorBackendView, session: ChargingSession, context: String, measurands: [Measurand], at: Date) {
        let values = OCPPMapping.sampledValues(measurands, v, context: context)
        guard !values.isEmpty else { return }
        let request = MeterValuesRequest(connectorId: v.connector, meterValue: [MeterValue(timestamp: at, sampledValue: values)])
        do {
            if try database.enqueueMeterValues(session: session.id, payload: OCPPCoding.encode(request).serialized, at: at) > 0 {
                logger.warning("more than \(RetentionPolicy.queuedMeterValuesMax) MeterValues wait for the backend; the oldest was dropped")
            }
            ocpp!.headStale = true
        } catch {
            logger.error("queueing MeterValues failed: \(error)")
        }
    }

    private func sendMeterValues(_ v: ConnectorBackendView, context: String, measurands: [Measurand], at: Date, transactionID: Int?,
                                 allowedWhilePending: Bool) {
        let values = OCPPMapping.sampledValues(measurands.isEmpty ? [.energyActiveImportRegister] : measurands, v, context: context)
        let request = MeterValuesRequest(connectorId: v.connector, transactionId: transactionID, meterValue: [MeterValue(timestamp: at, sampledValue: values)])
        ocpp!.link.enqueue(.init(id: ocpp!.link.newID(), action: MeterValuesRequest.action, payload: OCPPCoding.encode(request), purpose: .other,
                                 allowedWhilePending: allowedWhilePending))
    }

    /// Queues the StatusNotification of every connector whose reported status changed (and lasted
    /// MinimumStatusDuration), and of the connectors in `force`.
    private func reportStatus(now: Date, force: Set<Int>) {
        let s = ocpp!.settings
        var requests: [(Int, StatusNotificationRequest)] = []
        let views = (1...controller.connectorCount).compactMap { controller.backendView(connector: $0) }
        let stationStatus = OCPPMapping.stationStatus(errors: controller.stationErrors, allInoperative: views.allSatisfy { $0.status == .unavailable })
        requests.append((0, OCPPMapping.statusNotification(connector: 0, status: stationStatus, errors: controller.stationErrors, settings: s, now: now)))
        for v in views {
            let status = OCPPMapping.status(v, strategy: s.strategy, preparingUntilStateC: s.preparingUntilStateC)
            requests.append((v.connector, OCPPMapping.statusNotification(connector: v.connector, status: status, errors: v.errors, settings: s, now: now)))
        }
        for (n, r) in requests {
            let key = "\(r.status)|\(r.errorCode)|\(r.info ?? "")"
            if force.contains(n) {
                ocpp!.reported[n] = key
                ocpp!.link.enqueueStatus(connector: n, r)
                continue
            }
            guard ocpp!.reported[n] != key else { ocpp!.candidate[n] = nil; continue }
            if ocpp!.candidate[n]?.key != key { ocpp!.candidate[n] = (key, now) }
            guard let c = ocpp!.candidate[n], now.timeIntervalSince(c.since) >= Double(s.minimumStatusDurationSeconds) else { continue }
            ocpp!.candidate[n] = nil
            ocpp!.reported[n] = key
            ocpp!.link.enqueueStatus(connector: n, r)
        }
    }

    // MARK: Outputs

    private func process(_ outputs: [OCPPLink.Output]) {
        for output in outputs {
            switch output {
            case .send(let text):
                ocpp?.outbound?.send(text)
            case .request(let id, let action, let payload):
                let now = clock.now()
                let (answer, after) = handleRequest(action: action, payload: payload, now: now)
                ocpp?.outbound?.send(answer(id))
                after()
            case .answered(let purpose, let action, let payload):
                answered(purpose, action: action, payload: payload)
            case .failed(let purpose, let action, let code, let description, let timedOut):
                failed(purpose, action: action, code: code, description: description, timedOut: timedOut)
            case .registered(let status, let interval, let currentTime):
                logger.info("BootNotification \(status.rawValue) (interval \(interval) s, backend time \(OCPPDate.format(currentTime)))")
                followBackendTime(currentTime)
                if status == .accepted {
                    if interval > 0, interval != ocpp!.settings.heartbeatIntervalSeconds {
                        _ = try? parameterService.set(StationParameters.heartbeatInterval, .integer(interval), role: .manufacturer,
                                                      changedBy: "ocpp:BootNotification", now: clock.now())
                        ocpp!.settings = BackendSettings(parameterService.values)
                    }
                    ocpp!.reported = [:]
                    firmwareBooted()
                }
                updateOnline()
            case .dropped(let reason):
                logger.warning("OCPP frame ignored: \(reason)")
            }
        }
    }

    private func answered(_ purpose: OCPPLink.Purpose, action: String, payload: JSONValue) {
        let now = clock.now()
        switch purpose {
        case .authorize(let idTag):
            guard let r = try? AuthorizeResponse(json: payload) else { return }
            updateCache(idTag: idTag, r.idTagInfo, now: now)
        case .transaction(let sequence):
            let head = ocpp!.head?.message
            var transactionID: Int?
            var info: IdTagInfo?
            if action == StartTransactionRequest.action, let r = try? StartTransactionResponse(json: payload) {
                transactionID = r.transactionId
                info = r.idTagInfo
            } else if action == StopTransactionRequest.action {
                info = (try? StopTransactionResponse(json: payload))?.idTagInfo
            }
            do {
                try database.transactionMessageDelivered(sequence, session: head?.sessionID, transactionID: transactionID,
                                                         finished: action == StopTransactionRequest.action)
            } catch {
                logger.error("recording the delivery of \(action) failed: \(error)")
            }
            ocpp!.link.transactionsNotBefore = nil
            ocpp!.headStale = true
            if let info, let idTag = head?.session?.session.idTag, !idTag.isEmpty {
                updateCache(idTag: idTag, info, now: now)
                if action == StartTransactionRequest.action, info.status != "Accepted", let id = head?.sessionID {
                    controller.transactionNotAccepted(session: id, status: info.status, stop: ocpp!.settings.stopTransactionOnInvalidId, now: now)
                }
            }
        case .heartbeat:
            if let r = try? HeartbeatResponse(json: payload) { followBackendTime(r.currentTime) }
        case .boot, .status, .other:
            break
        }
    }

    /// Which backend times the station follows.
    static let backendTimePolicy = BackendTimePolicy(earliest: ChargeKitVersion.releaseDate)

    /// TimeSource Heartbeat: steps the station clock to the backend's time when ``backendTimePolicy`` finds it plausible
    /// (real-time stations only; a time-scaled simulation keeps its own time).
    private func followBackendTime(_ backend: Date) {
        guard ocpp!.settings.timeFromBackend, clock.scale == 1 else { return }
        let now = clock.now()
        let roundTrip = ocpp!.link.lastSentAt.map { max(0, now.timeIntervalSince($0)) } ?? 0
        let difference: Double
        switch Self.backendTimePolicy.decide(backend: backend, now: now, roundTripSeconds: roundTrip) {
        case .keep: return
        case .refuse(let why):
            if lastRefusedBackendTime.map({ now.timeIntervalSince($0) >= 3600 || now < $0 }) ?? true {
                lastRefusedBackendTime = now  // once an hour in the event log, not at every heartbeat
                controller.record(.systemAction, "Clock not set: \(why)", now: now)
            }
            logger.warning("station clock not set: \(why)")
            return
        case .step(let seconds): difference = seconds
        }
        clock.step(by: difference)
        lastClockSet = ClockSet(at: clock.now(), movedSeconds: difference, source: "backend")
        logger.notice("station clock set to the backend's time \(OCPPDate.format(backend)) (moved by \(Int(difference.rounded())) s; TimeSource Heartbeat)")
    }

    private func failed(_ purpose: OCPPLink.Purpose, action: String, code: String, description: String, timedOut: Bool) {
        let now = clock.now()
        switch purpose {
        case .transaction(let sequence):
            let retry = Double(ocpp!.settings.transactionMessageRetryIntervalSeconds)
            if timedOut {
                // Offline or no answer: not a failure to process; the message stays and is resent (OCPP 1.6 §4.10).
                ocpp!.link.transactionsNotBefore = now.addingTimeInterval(retry)
                return
            }
            do {
                let (attempts, dropped) = try database.transactionMessageFailed(sequence, maxAttempts: ocpp!.settings.transactionMessageAttempts)
                logger.warning("backend failed to process \(action) (\(code): \(description)); attempt \(attempts)\(dropped ? ", dropped" : "")")
                ocpp!.link.transactionsNotBefore = dropped ? nil : now.addingTimeInterval(retry * Double(attempts))
            } catch {
                logger.error("recording the failed \(action) failed: \(error)")
            }
            ocpp!.headStale = true
        case .authorize(let idTag):
            logger.warning("Authorize of \(idTag) failed (\(code)); the offline rules apply")
        default:
            if !timedOut { logger.warning("backend answered \(action) with \(code): \(description)") }
        }
    }

    /// The backend's answer about an idTag (Authorize, Start/StopTransaction): cached and applied to waiting requests.
    private func updateCache(idTag: String, _ info: IdTagInfo, now: Date) {
        guard let status = IdentifierStatus(rawValue: info.status) else { return }
        controller.backendAuthorization(idTag: idTag, status: status, parentIdTag: info.parentIdTag, expiry: info.expiryDate, now: now)
    }

    // MARK: Requests of the central system

    typealias Answer = (@Sendable (String) -> String, () -> Void)

    private func handleRequest(action: String, payload: JSONValue, now: Date) -> Answer {
        func answer<P: OCPPPayload>(_ p: P, then: @escaping () -> Void = {}) -> Answer {
            let text = { @Sendable (id: String) in OCPPLink.respond(to: id, p) }
            return (text, then)
        }
        func status(_ s: String) -> Answer { answer(AcceptedRejectedResponse(status: s)) }
        do {
            switch action {
            case GetConfigurationRequest.action:
                let r = try GetConfigurationRequest(json: payload)
                let (known, unknown) = OCPPConfigurationKeys.get(r.key ?? [], parameterService.values,
                                                                 .init(supportedProfiles: supportedProfiles,
                                                                       allowLongKeys: ocpp!.settings.allowLongConfigurationKeys))
                return answer(GetConfigurationResponse(configurationKey: known, unknownKey: unknown.isEmpty ? nil : unknown))
            case ChangeConfigurationRequest.action:
                let r = try ChangeConfigurationRequest(json: payload)
                return answer(ChangeConfigurationResponse(status: changeConfiguration(r, now: now)))
            case RemoteStartTransactionRequest.action:
                let r = try RemoteStartTransactionRequest(json: payload)
                if let c = r.connectorId, c <= 0 { return status("Rejected") }
                let started = controller.remoteStart(idTag: r.idTag, connector: r.connectorId, authorize: controller.settings.sendAuthorizeForRemoteStart,
                                                     chargingProfile: r.chargingProfile, now: now)
                return status(started == nil ? "Rejected" : "Accepted")
            case RemoteStopTransactionRequest.action:
                let r = try RemoteStopTransactionRequest(json: payload)
                guard let s = try database.openSession(transactionID: r.transactionId) else { return status("Rejected") }
                return status(controller.stopSession(connector: s.session.connector, reason: .remote, now: now) ? "Accepted" : "Rejected")
            case ResetRequest.action:
                let r = try ResetRequest(json: payload)
                return answer(AcceptedRejectedResponse(status: "Accepted")) { [self] in self.reset(hard: r.type == "Hard") }
            case ChangeAvailabilityRequest.action:
                let r = try ChangeAvailabilityRequest(json: payload)
                guard r.connectorId == 0 || (1...controller.connectorCount).contains(r.connectorId) else {
                    return answer(ChangeAvailabilityResponse(status: "Rejected"))
                }
                let operative = r.type == "Operative"
                let outcome = controller.changeAvailability(connector: r.connectorId, operative: operative, now: now)
                let targets = r.connectorId == 0 ? Array(1...controller.connectorCount) : [r.connectorId]
                for t in targets { try? database.setMeta("availability.\(t)", operative ? "Operative" : "Inoperative") }
                return answer(ChangeAvailabilityResponse(status: outcome.rawValue))
            case UnlockConnectorRequest.action:
                let r = try UnlockConnectorRequest(json: payload)
                return answer(UnlockConnectorResponse(status: controller.unlock(connector: r.connectorId, now: now).rawValue))
            case DataTransferRequest.action:
                // ChargeKit defines no vendor-specific DataTransfer messages (OCPP 1.6 §5.6).
                return answer(DataTransferResponse(status: "UnknownVendorId"))
            case ClearCacheRequest.action:
                guard controller.authorization.settings.cacheEnabled else { return status("Rejected") }
                try controller.clearAuthorizationCache(now: now)
                return status("Accepted")
            case GetLocalListVersionRequest.action:
                // -1: no local list support (switched off); 0: the list is empty (OCPP 1.6 §5.10).
                let lists = controller.authorization.lists
                let version = !controller.authorization.settings.localListEnabled ? -1 : lists.localList.isEmpty ? 0 : lists.localListVersion
                return answer(GetLocalListVersionResponse(listVersion: version))
            case SendLocalListRequest.action:
                let r = try SendLocalListRequest(json: payload)
                return answer(SendLocalListResponse(status: sendLocalList(r, now: now)))
            case TriggerMessageRequest.action:
                let r = try TriggerMessageRequest(json: payload)
                return triggerMessage(r, now: now)
            case UpdateFirmwareRequest.action:
                let r = try UpdateFirmwareRequest(json: payload)
                return answer(UpdateFirmwareResponse()) { [self] in _ = self.updateFirmware(r) }
            case GetDiagnosticsRequest.action:
                let r = try GetDiagnosticsRequest(json: payload)
                return answer(GetDiagnosticsResponse(fileName: getDiagnostics(r, now: now)))
            case SetChargingProfileRequest.action:
                let r = try SetChargingProfileRequest(json: payload)
                let running = controller.backendView(connector: r.connectorId)?.session
                let transactionID = running.flatMap { try? database.transactionID(session: $0.id) }
                let rejection = controller.setChargingProfile(connector: r.connectorId, r.csChargingProfiles, transactionID: transactionID, now: now)
                if let rejection { logger.info("SetChargingProfile \(r.csChargingProfiles.chargingProfileId) rejected: \(rejection)") }
                return answer(SetChargingProfileResponse(status: rejection == nil ? "Accepted" : "Rejected"))
            case ClearChargingProfileRequest.action:
                let r = try ClearChargingProfileRequest(json: payload)
                let cleared = controller.clearChargingProfiles(id: r.id, connector: r.connectorId, purpose: r.chargingProfilePurpose,
                                                               stackLevel: r.stackLevel, now: now)
                return answer(ClearChargingProfileResponse(status: cleared ? "Accepted" : "Unknown"))
            case GetCompositeScheduleRequest.action:
                let r = try GetCompositeScheduleRequest(json: payload)
                guard let schedule = controller.compositeSchedule(connector: r.connectorId, durationSeconds: r.duration,
                                                                  unit: r.chargingRateUnit ?? "A", now: now) else {
                    return answer(GetCompositeScheduleResponse(status: "Rejected"))
                }
                return answer(GetCompositeScheduleResponse(status: "Accepted", connectorId: r.connectorId, scheduleStart: now,
                                                           chargingSchedule: schedule))
            case ReserveNowRequest.action:
                let r = try ReserveNowRequest(json: payload)
                let reservation = Reservation(id: r.reservationId, connector: r.connectorId, idTag: r.idTag, parentIdTag: r.parentIdTag,
                                              expiresAt: r.expiryDate)
                return answer(ReserveNowResponse(status: controller.reserve(reservation, now: now).rawValue))
            case CancelReservationRequest.action:
                let r = try CancelReservationRequest(json: payload)
                return status(controller.cancelReservation(id: r.reservationId, now: now) ? "Accepted" : "Rejected")
            default:
                return ({ id in OCPPLink.fail(id, OCPPError(.notSupported, "\(action) is not supported")) }, {})
            }
        } catch let e as OCPPError {
            return ({ id in OCPPLink.fail(id, e) }, {})
        } catch {
            let text = "\(error)"
            return ({ id in OCPPLink.fail(id, OCPPError(.internalError, text)) }, {})
        }
    }

    private func changeConfiguration(_ r: ChangeConfigurationRequest, now: Date) -> String {
        switch OCPPConfigurationKeys.change(key: r.key, value: r.value, parameterService.values, .init(supportedProfiles: supportedProfiles)) {
        case .notSupported: return "NotSupported"
        case .rejected(let why):
            logger.info("ChangeConfiguration \(r.key)=\(r.value) rejected: \(why)")
            return "Rejected"
        case .apply(let values, let rebootRequired):
            do {
                for (k, v) in values.sorted(by: { $0.key < $1.key }) {
                    _ = try setParameter(k, v, role: OCPPConfigurationKeys.backendRole, changedBy: "ocpp")
                }
            } catch {
                logger.info("ChangeConfiguration \(r.key)=\(r.value) rejected: \(error)")
                return "Rejected"
            }
            applyBackendSettings()
            return rebootRequired ? "RebootRequired" : "Accepted"
        }
    }

    /// Applies changed backend parameters that take effect at once.
    func applyBackendSettings() {
        guard ocpp != nil else { return }
        let b = BackendSettings(parameterService.values)
        let old = ocpp!.settings
        // The connection settings (URL, proxy, password, TLS, keep-alive) were handed to the WebSocket client at
        // start and change after a restart (restartRequired in the registry); everything else applies now.
        ocpp!.settings = b
        ocpp!.link.configuration.heartbeatInterval = .seconds(b.heartbeatIntervalSeconds)
        ocpp!.link.configuration.forceHeartbeat = b.forceHeartbeat
        ocpp!.link.configuration.messageTimeout = b.messageTimeout
        controller.backendTimeout = b.messageTimeout
        if b.sampleIntervalSeconds != old.sampleIntervalSeconds {
            let now = clock.now()
            for n in 1...controller.connectorCount {
                let running = controller.backendView(connector: n)?.session != nil
                ocpp!.nextSample[n] = running && b.sampleIntervalSeconds > 0 ? now.addingTimeInterval(Double(b.sampleIntervalSeconds)) : nil
            }
        }
        if b.alignedIntervalSeconds != old.alignedIntervalSeconds { ocpp!.nextAligned = nil }
    }

    /// SendLocalList: Full replaces, Differential adds/updates entries with idTagInfo and removes those without.
    ///
    /// - SeeAlso: OCPP 1.6 §5.15; checklist §1.4.4.
    private func sendLocalList(_ r: SendLocalListRequest, now: Date) -> String {
        guard controller.authorization.settings.localListEnabled else { return "NotSupported" }
        let items = r.localAuthorizationList ?? []
        guard items.count <= OCPPConfigurationKeys.localAuthListMaxLength else { return "Failed" }
        let lists = controller.authorization.lists
        var entries: [ListedIdentifier]
        if r.updateType == "Full" {
            entries = []
        } else {
            guard r.listVersion > lists.localListVersion else { return "VersionMismatch" }
            entries = lists.localList
        }
        for item in items {
            entries.removeAll { $0.idTag.lowercased() == item.idTag.lowercased() }
            if let info = item.idTagInfo {
                guard let status = IdentifierStatus(rawValue: info.status) else { return "Failed" }
                entries.append(ListedIdentifier(idTag: item.idTag, status: status, expiry: info.expiryDate, parentIdTag: info.parentIdTag, updatedAt: now))
            }
        }
        guard entries.count <= OCPPConfigurationKeys.localAuthListMaxLength else { return "Failed" }
        do {
            try controller.replaceLocalList(version: r.listVersion, entries: entries, now: now)
        } catch {
            logger.error("storing the local list failed: \(error)")
            return "Failed"
        }
        return "Accepted"
    }

    /// TriggerMessage: answered first, then the requested message is sent (OCPP 1.6 §5.17).
    private func triggerMessage(_ r: TriggerMessageRequest, now: Date) -> Answer {
        let n = controller.connectorCount
        if let c = r.connectorId, !(0...n).contains(c) { return (answerStatus("Rejected"), {}) }
        let connectors = r.connectorId.map { $0 == 0 ? [] : [$0] } ?? Array(1...n)
        let link = ocpp!.link
        switch r.requestedMessage {
        case "BootNotification":
            // After acceptance a BootNotification is not triggered again until the next reconnect (errata 3.35).
            guard link.registration != .accepted else { return (answerStatus("Rejected"), {}) }
            return (answerStatus("Accepted"), {})
        case "Heartbeat":
            return (answerStatus("Accepted"), { [self] in
                self.ocpp!.link.enqueue(.init(id: self.ocpp!.link.newID(), action: HeartbeatRequest.action, payload: .object([:]), purpose: .heartbeat,
                                              allowedWhilePending: true))
            })
        case "StatusNotification":
            let targets = Set(r.connectorId.map { [$0] } ?? Array(0...n))
            return (answerStatus("Accepted"), { [self] in self.triggeredStatus(targets, now: now) })
        case "MeterValues":
            return (answerStatus("Accepted"), { [self] in
                for c in connectors {
                    guard let v = self.controller.backendView(connector: c) else { continue }
                    let tx = v.session.flatMap { try? self.database.transactionID(session: $0.id) }
                    self.sendMeterValues(v, context: "Trigger", measurands: self.ocpp!.settings.sampledData, at: now, transactionID: tx,
                                         allowedWhilePending: true)
                }
            })
        case "FirmwareStatusNotification":
            return (answerStatus("Accepted"), { [self] in self.enqueueNotification(self.triggeredFirmwareStatus(), allowedWhilePending: true) })
        case "DiagnosticsStatusNotification":
            return (answerStatus("Accepted"), { [self] in self.enqueueNotification(self.triggeredDiagnosticsStatus(), allowedWhilePending: true) })
        default:
            return (answerStatus("NotImplemented"), {})
        }
    }

    private func answerStatus(_ s: String) -> @Sendable (String) -> String {
        { id in OCPPLink.respond(to: id, TriggerMessageResponse(status: s)) }
    }

    private func triggeredStatus(_ targets: Set<Int>, now: Date) {
        let accepted = ocpp!.link.registration == .accepted
        guard accepted else { return }
        reportStatus(now: now, force: targets)
    }

    /// Reset: running transactions stop (SoftReset/HardReset); the station services restart once their
    /// StopTransactions are delivered (OCPP 1.6 §5.14).
    private func reset(hard: Bool) {
        let now = clock.now()
        let stopped = controller.stopAllSessions(reason: hard ? .hardReset : .softReset, now: now)
        logger.notice("\(hard ? "Hard" : "Soft") reset requested by the backend; \(stopped.count) transaction(s) stopped")
        scheduleRestart(.services, now: now)
        tick()
    }

    /// Re-applies availability set by ChangeAvailability before the restart (persisted, OCPP 1.6 §5.2).
    func restoreAvailability() {
        let now = clock.now()
        for n in 1...controller.connectorCount where (try? database.meta("availability.\(n)")) == "Inoperative" {
            controller.setOperative(connector: n, false, now: now)
        }
    }
}
