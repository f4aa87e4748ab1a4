#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import Firmware
import OCPP16

/// What the charge point reports on its own: meter values (sampled, clock-aligned, kept for StopTransaction), status
/// changes, the persistent transaction queue, and the firmware profile's notifications.
///
/// - SeeAlso: OCPP 1.6 §4.7 MeterValues and §9.1 (MeterValueSampleInterval, ClockAlignedDataInterval, StopTxn…Data),
///   §4.9 StatusNotification (MinimumStatusDuration), §4.10 transaction-related messages.
extension OCPPChargePoint {
    // MARK: Meter values

    /// Returns the connectors whose transaction got a sampled MeterValues (a signing meter is asked for a signed reading
    /// of each, ``StationController/requestSignedSample(connector:now:)``).
    @discardableResult
    mutating func sampleMeterValues(_ station: StationController, _ env: OCPPEnvironment) -> [Int] {
        let now = env.now
        let s = settings
        var sampled: [Int] = []
        for n in 1...station.connectorCount {
            guard let due = nextSample[n], now >= due, let v = station.backendView(connector: n), let session = v.session,
                  session.backendTransaction else { continue }
            enqueueMeterValues(v, session: session, context: "Sample.Periodic", measurands: s.sampledData, at: now, env.store)
            sampled.append(n)
            var next = due.addingTimeInterval(Double(max(1, s.sampleIntervalSeconds)))
            if next <= now { next = now.addingTimeInterval(Double(max(1, s.sampleIntervalSeconds))) }
            nextSample[n] = s.sampleIntervalSeconds > 0 ? next : nil
        }
        guard s.alignedIntervalSeconds > 0 else { nextAligned = nil; return sampled }
        let interval = Double(s.alignedIntervalSeconds)
        let following = Date(timeIntervalSince1970: ((now.timeIntervalSince1970 / interval).rounded(.down) + 1) * interval)
        guard let due = nextAligned else { nextAligned = following; return sampled }
        guard now >= due else { return sampled }
        nextAligned = following
        for n in 1...station.connectorCount {
            guard let v = station.backendView(connector: n) else { continue }
            if let session = v.session, session.backendTransaction {
                // A boundary that passed before the transaction began (a late step) is not the transaction's: its
                // transactionData would start with a Sample.Clock before Transaction.Begin.
                guard session.startedAt <= due else { continue }
                enqueueMeterValues(v, session: session, context: "Sample.Clock", measurands: s.alignedData, at: due, env.store)
                recordTransactionData(station, env, connector: n, session: session.id, measurands: s.stopTxnAlignedData, context: "Sample.Clock", at: due)
            } else if link.registration == .accepted {
                sendMeterValues(v, context: "Sample.Clock", measurands: s.alignedData, at: due, transactionID: nil, allowedWhilePending: false)
            }
        }
        return sampled
    }

    /// A signed reading of the meter for a MeterValues of its transaction (the OCA's signed meter values whitepaper,
    /// `SampledDataSignReadings`): a MeterValues of its own through the persistent queue, its sampled value the OCMF
    /// document as SignedData of the energy register, context Sample.Periodic.
    mutating func enqueueSignedMeterValue(_ station: StationController, connector n: Int, _ reading: SignedReading, _ store: any OCPPStore) {
        guard let session = station.backendView(connector: n)?.session, session.id == reading.session, session.backendTransaction else { return }
        let text = settings.signedValue(ocmf: reading.ocmf, publicKeyHex: station.meterPublicKeys[n],
                                        context: reading.context.rawValue)
        let value = SampledValue(value: text, context: reading.context.rawValue, format: "SignedData",
                                 measurand: Measurand.energyActiveImportRegister.rawValue, location: "Outlet")
        let request = MeterValuesRequest(connectorId: n, meterValue: [MeterValue(timestamp: reading.at, sampledValue: [value])])
        do {
            try store.enqueueMeterValues(session: session.id, payload: OCPPCoding.encode(request).serialized, at: reading.at,
                                         capacity: RetentionPolicy.queuedMeterValuesMax)
            headStale = true
        } catch {
            out.append(.log(.error, "queueing the signed MeterValues failed: \(error)"))
        }
    }

    /// Keeps the current values of `measurands` for the session's StopTransaction.transactionData.
    mutating func recordTransactionData(_ station: StationController, _ env: OCPPEnvironment, connector n: Int, session: UUID,
                                           measurands: [Measurand], context: String, at: Date) {
        guard !measurands.isEmpty, let v = station.backendView(connector: n) else { return }
        let values = OCPPMapping.sampledValues(measurands, v, context: context)
        guard !values.isEmpty else { return }
        let request = MeterValuesRequest(connectorId: n, meterValue: [MeterValue(timestamp: at, sampledValue: values)])
        guard case .object(let o) = OCPPCoding.encode(request), case .array(let mvs)? = o["meterValue"], let mv = mvs.first else { return }
        do { try env.store.appendTransactionData(session: session, payload: mv.serialized) } catch {
            out.append(.log(.error, "keeping transactionData failed: \(error)"))
        }
    }

    /// A transaction's MeterValues go through the persistent queue (transactionId filled in when sent).
    private mutating func enqueueMeterValues(_ v: ConnectorBackendView, session: ChargingSession, context: String, measurands: [Measurand],
                                             at: Date, _ store: any OCPPStore) {
        let values = OCPPMapping.sampledValues(measurands, v, context: context)
        guard !values.isEmpty else { return }
        let request = MeterValuesRequest(connectorId: v.connector, meterValue: [MeterValue(timestamp: at, sampledValue: values)])
        do {
            if try store.enqueueMeterValues(session: session.id, payload: OCPPCoding.encode(request).serialized, at: at,
                                            capacity: RetentionPolicy.queuedMeterValuesMax) > 0 {
                out.append(.log(.warning, "more than \(RetentionPolicy.queuedMeterValuesMax) MeterValues wait for the backend; the oldest was dropped"))
            }
            headStale = true
        } catch {
            out.append(.log(.error, "queueing MeterValues failed: \(error)"))
        }
    }

    /// MeterValues outside a transaction (or triggered) are not queued persistently.
    mutating func sendMeterValues(_ v: ConnectorBackendView, context: String, measurands: [Measurand], at: Date, transactionID: Int?,
                                  allowedWhilePending: Bool) {
        let values = OCPPMapping.sampledValues(measurands.isEmpty ? [.energyActiveImportRegister] : measurands, v, context: context)
        let request = MeterValuesRequest(connectorId: v.connector, transactionId: transactionID,
                                         meterValue: [MeterValue(timestamp: at, sampledValue: values)])
        link.enqueue(.init(id: link.newID(), action: MeterValuesRequest.action, payload: OCPPCoding.encode(request), purpose: .other,
                           allowedWhilePending: allowedWhilePending))
    }

    // MARK: Status

    /// Queues the StatusNotification of every connector whose reported status changed (and lasted
    /// MinimumStatusDuration), and of the connectors in `force`.
    mutating func reportStatus(_ station: StationController, now: Date, force: Set<Int>) {
        let s = settings
        var requests: [(Int, StatusNotificationRequest)] = []
        let views = (1...station.connectorCount).compactMap { station.backendView(connector: $0) }
        let stationStatus = OCPPMapping.stationStatus(errors: station.stationErrors, allInoperative: views.allSatisfy { $0.status == .unavailable })
        requests.append((0, OCPPMapping.statusNotification(connector: 0, status: stationStatus, errors: station.stationErrors, settings: s, now: now)))
        for v in views {
            let status = OCPPMapping.status(v, strategy: s.strategy, preparingUntilStateC: s.preparingUntilStateC)
            requests.append((v.connector, OCPPMapping.statusNotification(connector: v.connector, status: status, errors: v.errors, settings: s, now: now)))
        }
        for (n, r) in requests {
            let key = "\(r.status)|\(r.errorCode)|\(r.info ?? "")"
            if force.contains(n) {
                reported[n] = key
                link.enqueueStatus(connector: n, r)
                continue
            }
            guard reported[n] != key else { candidate[n] = nil; continue }
            if candidate[n]?.key != key { candidate[n] = (key, now) }
            guard let c = candidate[n], now.timeIntervalSince(c.since) >= Double(s.minimumStatusDurationSeconds) else { continue }
            candidate[n] = nil
            reported[n] = key
            link.enqueueStatus(connector: n, r)
        }
    }

    // MARK: Transaction queue

    mutating func loadHead(_ store: any OCPPStore) {
        headStale = false
        do {
            guard let m = try store.transactionQueueHead() else { head = nil; return }
            head = (m, try transactionCall(m, store))
        } catch {
            out.append(.log(.error, "reading the OCPP transaction queue failed: \(error)"))
            head = nil
        }
    }

    /// The CALL for a queued transaction message; Start/StopTransaction are built from the stored session.
    private func transactionCall(_ m: QueuedTransactionMessage, _ store: any OCPPStore) throws -> OCPPLink.Call {
        let payload: JSONValue
        switch m.action {
        case StartTransactionRequest.action:
            guard let r = m.session else { throw OCPPError(.internalError, "StartTransaction without its session") }
            payload = OCPPCoding.encode(StartTransactionRequest(connectorId: r.session.connector, idTag: String(r.session.idTag.prefix(20)),
                                                                meterStart: Int(r.session.meterStartWh.rounded()),
                                                                reservationId: r.session.reservationID, timestamp: r.session.startedAt))
        case StopTransactionRequest.action:
            guard let r = m.session else { throw OCPPError(.internalError, "StopTransaction without its session") }
            let recorded = try store.transactionData(session: r.session.id).map { text in try MeterValue(json: try JSONParser.parse(text)) }
            payload = OCPPCoding.encode(OCPPMapping.stopTransaction(r, transactionID: m.transactionID, recorded: recorded,
                                                                    sampledMeasurands: settings.stopTxnSampledData, settings: settings))
        default:
            guard case .object(var o) = try JSONParser.parse(m.payload ?? "{}") else {
                throw OCPPError(.internalError, "stored \(m.action) is not an object")
            }
            if m.sessionID != nil { o["transactionId"] = .integer(Int64(m.transactionID ?? -1)) }
            payload = .object(o)
        }
        return .init(id: m.messageID, action: m.action, payload: payload, purpose: .transaction(sequence: m.sequence))
    }

    // MARK: Firmware

    /// Carries out the firmware profile's actions: notifications are queued, persistence goes to the store, transfers
    /// and the installer are the runtime's.
    mutating func runFirmware(_ actions: [FirmwareManagement.Action], _ station: inout StationController, _ env: inout OCPPEnvironment) {
        for action in actions {
            switch action {
            case .notifyFirmware(let s):
                out.append(.log(.info, "firmware status \(s.rawValue)"))
                enqueue(FirmwareStatusNotificationRequest(status: s.rawValue))
            case .notifyDiagnostics(let s):
                out.append(.log(.info, "diagnostics status \(s.rawValue)"))
                enqueue(DiagnosticsStatusNotificationRequest(status: s.rawValue))
            case .download(let location):
                out.append(.download(location: location))
            case .upload(let location, let fileName, let startTime, let stopTime):
                out.append(.upload(location: location, fileName: fileName, startTime: startTime, stopTime: stopTime))
            case .install:
                out.append(.install)
            case .holdConnectors(let hold):
                holdConnectors(hold, &station, env)
            case .persist(let job):
                do { try env.store.saveFirmwareJob(job) } catch {
                    out.append(.log(.error, "storing the firmware update state failed: \(error)"))
                }
            case .restart:
                out.append(.log(.notice, "firmware installed; the station services restart"))
                requestRestart(now: env.now)
            case .notifySignedFirmware(let s, let requestId):
                out.append(.log(.info, "signed firmware status \(s.rawValue) (request \(requestId))"))
                if let status = SignedFirmwareStatus(rawValue: s.rawValue) {
                    lastSignedFirmwareStatus = SignedFirmwareStatusNotificationRequest(status: status, requestId: requestId)
                    enqueue(SignedFirmwareStatusNotificationRequest(status: status, requestId: requestId))
                }
            case .verifySignature(let certificate, let signature):
                out.append(.verifySignature(signingCertificate: certificate, signature: signature))
            case .signatureRejected:
                break  // the security event follows from ``Event/signatureChecked(failure:)``, which knows why
            case .firmwareUpdated(let version):
                securityEvent(.firmwareUpdated, techInfo: version.map { "firmware \($0) installed" }, &env)
            case .notifyLog(let s, let requestId):
                out.append(.log(.info, "log status \(s.rawValue) (request \(requestId))"))
                if let status = UploadLogStatus(rawValue: s.rawValue) {
                    enqueue(LogStatusNotificationRequest(status: status, requestId: requestId))
                }
            case .uploadLog(let kind, let location, let fileName, let oldest, let latest, let requestId):
                out.append(.uploadLog(kind, location: location, fileName: fileName, oldest: oldest, latest: latest, requestId: requestId))
            }
        }
    }

    /// Queues a non-transaction CALL.
    mutating func enqueue<R: OCPPRequest>(_ request: R, allowedWhilePending: Bool = false) {
        link.enqueue(.init(id: link.newID(), action: R.action, payload: OCPPCoding.encode(request), purpose: R.action == HeartbeatRequest.action ? .heartbeat : .other,
                           allowedWhilePending: allowedWhilePending))
    }

    /// Keeps idle connectors Unavailable while an installation waits and runs (``StationController/holdForFirmware``).
    private func holdConnectors(_ hold: Bool, _ station: inout StationController, _ env: OCPPEnvironment) {
        station.holdForFirmware(hold, persistedInoperative: { (try? env.store.persistedInoperative(connector: $0)) ?? false }, now: env.now)
    }
}
