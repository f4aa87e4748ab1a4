#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ChargePoint
import EVSECore
import Hosting
import MetricsExporter
import Firmware
import OCPP16
import Persistence
import Transport
import WebUI

/// The OCPP connection as the runtime holds it: the pure charge point and the open WebSocket.
struct OCPPState {
    var chargePoint: OCPPChargePoint
    var outbound: OCPPOutbound?
    /// Where downloaded packages and diagnostics files are kept.
    var dataDirectory: String
    /// The station's certificates and keys, under the data directory (security whitepaper ed. 3 A02/A03, M03–M05).
    var certificates: CertificateDirectory
    /// The connection's settings, changed while it runs when the security profile, the password or the certificates
    /// change.
    var control: OCPPConnectionControl?
    /// How the last connection attempt failed (nil after a connection), so that a failure repeated at every attempt
    /// raises its security event once.
    var lastConnectFailure: OCPPConnectFailure?
    /// Why the security profile cannot connect as configured, as last logged.
    var lastPlanProblem: String?
}

/// Executes the station's OCPP charge point (``OCPPChargePoint``): feeds it the connection's events, the station's
/// notices and the clock's ticks, and carries out the actions it returns. No OCPP decision is taken here.
extension StationRuntime: OCPPConnectionDelegate {
    /// Prepares OCPP when a backend is configured; returns the connection's settings for the WebSocket client.
    package func setUpOCPP(version: String, dataDirectory: String) -> OCPPConnectionControl? {
        let backend = BackendSettings(parameterService.values)
        guard backend.enabled else {
            if (try? database.transactionQueueCount()) ?? 0 > 0 {
                logger.notice("no backend configured: queued OCPP transaction messages are discarded")
                try? database.clearTransactionQueue()
            }
            return nil
        }
        let s = controller.settings
        let boot = OCPPChargePoint.bootNotification(settings: s, connectorCount: controller.connectorCount,
                                                    firmwareVersion: firmwareVersion(build: version))
        let restoredJob: FirmwareUpdateJob?
        do { restoredJob = try database.firmwareJob() } catch {
            logger.error("the stored firmware update cannot be read and is dropped: \(error)")
            restoredJob = nil
        }
        ocpp = OCPPState(chargePoint: OCPPChargePoint(
            settings: backend, bootNotification: boot, chargeBoxIdentity: s.chargeBoxIdentity,
            timePolicy: BackendTimePolicy(earliest: ChargeKitVersion.releaseDate), firmware: FirmwareManagement(restored: restoredJob),
            mayFollowBackendTime: clock.scale == 1), dataDirectory: dataDirectory,
            certificates: CertificateDirectory(dataDirectory: dataDirectory))
        controller.backendTimeout = backend.messageTimeout
        restoreSIMIdentity()
        let control = OCPPConnectionControl(ocppConnectionSettings())
        ocpp!.control = control
        return control
    }

    /// The firmware version BootNotification reports: the last installed package's, else the build's.
    func firmwareVersion(build: String) -> String { (try? database.installedFirmwareVersion()) ?? build }

    // MARK: OCPPConnectionDelegate

    public func ocppConnected(_ outbound: OCPPOutbound) {
        guard ocpp != nil else { outbound.close(); return }
        ocpp!.outbound = outbound
        securityProfileConnected()
        ocppEvent(.connected)
    }

    public func ocppReceived(_ text: String) {
        metrics.ocppFrame(text, direction: .received)
        ocppEvent(.received(text))
    }

    public func ocppDisconnected(reason: String) {
        guard ocpp != nil else { return }
        ocpp!.outbound = nil
        ocppEvent(.disconnected)
        // The next attempt uses the certificates as they are now: a charge point certificate signed or a Central
        // System root installed since the last one (A02: the new certificate is used from the next connection).
        refreshOCPPConnection(reconnect: false)
    }

    public func ocppConnectFailed(_ failure: OCPPConnectFailure, reason: String) {
        connectFailed(failure, reason: reason)
    }

    // MARK: Executing

    /// Hands the charge point one event and carries out what it returns, then what it asked of the station.
    func ocppEvent(_ event: OCPPChargePoint.Event) {
        guard ocpp != nil else { return }
        let actions = ocpp!.chargePoint.handle(event, now: clock.now(), station: &controller, parameters: &parameterService, store: database,
                                               certificates: ocpp!.certificates)
        for action in actions { execute(action) }
        carryOut()  // what its handlers asked of the station
    }

    private func execute(_ action: OCPPChargePoint.Action) {
        switch action {
        case .send(let text):
            metrics.ocppFrame(text, direction: .sent)
            ocpp?.outbound?.send(text)
        case .log(let level, let message):
            switch level {
            case .info: logger.info("\(message)")
            case .notice: logger.notice("\(message)")
            case .warning: logger.warning("\(message)")
            case .error: logger.error("\(message)")
            }
        case .parametersChanged(let views, let before, let changedBy):
            do { try applied(views, before: before, changedBy: changedBy) } catch {
                logger.error("recording the parameter change by \(changedBy) failed: \(error)")
            }
        case .stepClock(let seconds, let backendTime):
            clock.step(by: seconds)
            controller.wallClockStepped(by: seconds)
            lastClockSet = ClockSet(at: clock.now(), movedSeconds: seconds, source: "backend")
            logger.notice("station clock set to the backend's time \(OCPPDate.format(backendTime)) (moved by \(Int(seconds.rounded())) s; TimeSource Heartbeat)")
        case .download(let location):
            startDownload(location)
        case .upload(let location, let fileName, let startTime, let stopTime):
            startUpload(location, fileName: fileName, startTime: startTime, stopTime: stopTime)
        case .install:
            startInstall()
        case .verifySignature(let certificate, let signature):
            verifyFirmwareSignature(signingCertificate: certificate, signature: signature)
        case .uploadLog(let kind, let location, let fileName, let oldest, let latest, let requestId):
            startLogUpload(kind, location: location, fileName: fileName, oldest: oldest, latest: latest, requestId: requestId)
        case .reset(let type):
            let now = clock.now()
            let stopped = controller.stopAllSessions(reason: type == .hard ? .hardReset : .softReset, now: now)
            logger.notice("\(type.rawValue) reset requested by the backend; \(stopped.count) transaction(s) stopped")
            scheduleRestart(.services, now: now)
            tick()
        case .restartServices:
            let kind = pendingRestart ?? .services
            pendingRestart = nil
            restartHandler?(kind)
        case .iso15118(let outcome):
            iso15118Outcome(outcome)
        }
    }

    /// Re-applies availability set by ChangeAvailability before the restart (persisted, OCPP 1.6 §5.2).
    package func restoreAvailability() {
        let now = clock.now()
        for n in 1...controller.connectorCount where (try? database.persistedInoperative(connector: n)) == true {
            controller.setOperative(connector: n, false, now: now)
        }
    }
}
