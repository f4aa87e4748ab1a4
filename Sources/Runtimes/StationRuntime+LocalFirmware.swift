#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StringSupport
import Logging
import ChargePoint
import EVSECore
import Firmware
import Hosting
import OCPP16
import Persistence
import Transport

/// Firmware from the web page and from a USB stick (issue 23 items 3–4; seeds/004 §8): the package is checked, put where
/// a download would have put it, and handed to the firmware machine (``FirmwareManagement/localUpdate(_:version:now:)``),
/// which installs it once no transaction runs, with the same installer as OCPP UpdateFirmware. With a backend the OCPP
/// charge point drives the machine (and reports the statuses); without one the runtime does here.
struct LocalFirmware {
    /// The station's data directory (its `firmware/` holds uploads and the package).
    var dataDirectory = "."
    /// The firmware machine when no backend is configured; nil with one (the charge point holds it).
    var machine: FirmwareManagement?
    /// How the last local update ended, since the start (an installation's result survives its restart).
    var lastResult: FirmwareResult?
    /// Checks a USB stick's USB_PASSWORD against the operator account's current password.
    var operatorPassword: (@Sendable (String) async -> Bool)?
}

extension StationRuntime {
    /// After ``setUpOCPP(version:dataDirectory:)``: removes uploads a crash left half-written, and without a backend
    /// restores the firmware machine. A local installation that restarted the station is confirmed by the station
    /// running again (without a backend there is no BootNotification to wait for; with one the charge point waits).
    package func setUpLocalFirmware(dataDirectory: String, operatorPassword: (@Sendable (String) async -> Bool)?) {
        localFirmware.dataDirectory = dataDirectory
        localFirmware.operatorPassword = operatorPassword
        let names = (try? FileManager.default.contentsOfDirectory(atPath: firmwareDirectory)) ?? []
        for name in names where name.hasPrefix(Self.uploadPrefix) {
            try? FileManager.default.removeItem(atPath: firmwareDirectory.pathAppending(name))
        }
        var restored: FirmwareUpdateJob?
        do { restored = try database.firmwareJob() } catch { logger.error("the stored firmware update cannot be read: \(error)") }
        if let job = restored, job.phase == .restarting, job.location.hasPrefix("local:") {
            let version = job.installedVersion ?? "?"
            localFirmware.lastResult = FirmwareResult(at: clock.now(), outcome: .installed, source: String(job.location.dropFirst(6)),
                                                      version: job.installedVersion, message: "firmware \(version) installed; the station runs it")
        }
        guard ocpp == nil else { return }
        if let job = restored, !job.location.hasPrefix("local:") {
            // The backend that asked for it is no longer configured: nobody would hear its statuses.
            logger.notice("the firmware update from \(job.location) is dropped: no backend is configured")
            try? database.saveFirmwareJob(nil)
            restored = nil
        }
        localFirmware.machine = FirmwareManagement(restored: restored)
        // An installation with a health check pending is confirmed by it (``firmwareConfirmed``), else at once.
        if pendingFirmware == nil { runLocalFirmware { $0.booted() } }
        if localFirmware.machine?.firmware?.phase == .downloaded { runLocalFirmware { _ in [.holdConnectors(true)] } }
    }

    static var uploadPrefix: String { "upload-" }

    /// Advances the machine when no backend does (every control step).
    func localFirmwareTick() {
        guard ocpp == nil, localFirmware.machine != nil else { return }
        let running = controller.transactionsRunning
        runLocalFirmware { [now = clock.now()] in $0.tick(now: now, transactionsRunning: running) }
    }

    /// Hands the machine one event and carries out its actions, as the OCPP charge point does with a backend, minus
    /// the notifications (there is nobody to notify) and the transfers (a local job has none).
    func runLocalFirmware(_ event: (inout FirmwareManagement) -> [FirmwareManagement.Action]) {
        guard var machine = localFirmware.machine else { return }
        let actions = event(&machine)
        localFirmware.machine = machine
        let now = clock.now()
        for action in actions {
            switch action {
            case .notifyFirmware(let s), .notifySignedFirmware(let s, _):
                logger.info("firmware status \(s.rawValue)")
            case .install:
                startInstall()
            case .holdConnectors(let hold):
                controller.holdForFirmware(hold, persistedInoperative: { [database] in (try? database.persistedInoperative(connector: $0)) ?? false },
                                           now: now)
                carryOut()
            case .persist(let job):
                do { try database.saveFirmwareJob(job) } catch { logger.error("storing the firmware update state failed: \(error)") }
            case .restart:
                logger.notice("firmware installed; the station services restart")
                scheduleRestart(.services, now: now)
            case .firmwareUpdated(let version):
                raiseSecurityEvent(.firmwareUpdated, techInfo: version.map { "firmware \($0) installed" })
            case .signatureRejected, .notifyDiagnostics, .notifyLog, .download, .upload, .uploadLog, .verifySignature:
                // Backend work: a local job never asks for it, and without a backend no backend job is restored.
                logger.warning("firmware action \(action) ignored: no backend is configured")
            }
        }
    }

    // MARK: StationService

    public func firmwareUpdate() -> FirmwareUpdateView {
        let machine = ocpp?.chargePoint.firmware ?? localFirmware.machine ?? FirmwareManagement()
        let state = FirmwareUpdateView.state(of: machine)
        let waiting = state == .waiting ? (1...controller.connectorCount).filter { controller.backendView(connector: $0)?.session != nil } : []
        let job = machine.firmware
        return FirmwareUpdateView(state: state, status: machine.triggeredFirmwareStatus.rawValue,
                                  source: machine.localSource?.rawValue ?? (job == nil ? nil : "backend"),
                                  packageVersion: job?.packageVersion ?? job?.installedVersion,
                                  runningVersion: firmwareVersion(build: ChargeKitVersion.current), waitingFor: waiting,
                                  lastResult: localFirmware.lastResult, maximumUploadBytes: FirmwareUpload.maximumBytes)
    }

    public func firmwareUploadFile() throws -> String {
        try FileManager.default.createDirectory(atPath: firmwareDirectory, withIntermediateDirectories: true)
        let path = firmwareDirectory.pathAppending("\(Self.uploadPrefix)\(RandomHex.words(2)).part")
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw FileTransferError("cannot create \(path)")
        }
        return path
    }

    /// Checks the package at `path` (outside the actor: a package of tens of MiB is hashed in pieces) and hands it to
    /// the machine; a package that is refused is removed and the reason kept for the page.
    public nonisolated func installFirmware(from path: String, source: FirmwareManagement.LocalSource, by: String) async throws(FirmwareUploadRefusal)
        -> FirmwareUpdateView {
        if let why = await localUpdateRefusal() {
            try? FileManager.default.removeItem(atPath: path)
            throw await refused(FirmwareUploadRefusal(.conflict, why), source: source, by: by)
        }
        // The one check of every firmware file (signature, format, version), as the installation repeats it.
        let version: String
        switch await checkFirmware(file: path, signatureFile: nil) {
        case .success(let checked): version = checked.version
        case .failure(let refusal):
            try? FileManager.default.removeItem(atPath: path)
            throw await refused(FirmwareUploadRefusal(.invalid, refusal.reason), source: source, by: by)
        }
        return try await take(path, version: version, source: source, by: by)
    }

    private func localUpdateRefusal() -> String? {
        (ocpp?.chargePoint.firmware ?? localFirmware.machine ?? FirmwareManagement()).localUpdateRefusal
    }

    private func refused(_ refusal: FirmwareUploadRefusal, source: FirmwareManagement.LocalSource, by: String) -> FirmwareUploadRefusal {
        logger.warning("firmware from the \(source.rawValue) (\(by)) refused: \(refusal.description)")
        localFirmware.lastResult = FirmwareResult(at: clock.now(), outcome: .refused, source: source.rawValue, version: nil,
                                                  message: refusal.description)
        recordEvent(EventLogEntry(at: clock.now(), kind: .systemAction, connector: 0, code: "firmwareRefused",
                                  message: "Firmware from the \(source.rawValue) refused (\(by)): \(refusal.description)"))
        return refusal
    }

    private func take(_ path: String, version: String, source: FirmwareManagement.LocalSource, by: String) throws(FirmwareUploadRefusal)
        -> FirmwareUpdateView {
        // Checked again: another update may have been taken while the file was hashed.
        if let why = localUpdateRefusal() {
            try? FileManager.default.removeItem(atPath: path)
            throw refused(FirmwareUploadRefusal(.conflict, why), source: source, by: by)
        }
        do {
            try? FileManager.default.removeItem(atPath: firmwarePackagePath)
            try FileManager.default.moveItem(atPath: path, toPath: firmwarePackagePath)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw refused(FirmwareUploadRefusal(.conflict, "the package cannot be kept: \(error)"), source: source, by: by)
        }
        localFirmware.lastResult = nil
        recordEvent(EventLogEntry(at: clock.now(), kind: .systemAction, connector: 0, code: "firmwareReceived",
                                  message: "Firmware \(version) received from the \(source.rawValue) (\(by)); it installs once no transaction runs"))
        if ocpp != nil {
            ocppEvent(.localFirmware(source, version: version))
        } else {
            runLocalFirmware { [now = clock.now()] in $0.localUpdate(source, version: version, now: now) }
        }
        tick()
        return firmwareUpdate()
    }

    /// The installer failed: a local update's page shows why.
    func localInstallFailed(_ message: String) {
        guard let source = (ocpp?.chargePoint.firmware ?? localFirmware.machine)?.localSource else { return }
        localFirmware.lastResult = FirmwareResult(at: clock.now(), outcome: .failed, source: source.rawValue, version: nil, message: message)
    }
}
