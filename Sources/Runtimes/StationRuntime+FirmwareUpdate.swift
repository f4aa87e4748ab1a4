#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StringSupport
import HostServices
import Logging
import ChargePoint
import EVSECore
import Firmware
import Hosting
import OCPP16
import Persistence
import Transport

/// Firmware installation with signatures and rollback (issue 23 item 5), the one path for every origin: OCPP
/// UpdateFirmware and SignedUpdateFirmware (``startInstall()``), the web page's upload and a USB stick
/// (``installFirmware(file:signatureFile:origin:)``). ``checkFirmware(file:signatureFile:)`` answers whether a file may
/// be installed here and why not, before anything is kept or run.
///
/// After the install command the station restarts into the new version, which runs unconfirmed until its health check
/// (``FirmwareHealthCheck``: the station runs, its board answers and, with a backend, the BootNotification was
/// accepted, within FirmwareHealthCheckTimeout) confirms it; else the previous version is reinstalled, the station
/// restarts once more and the update is reported failed (InstallationFailed). The pending-update marker in the data
/// directory carries this across restarts and crashes.
extension StationRuntime {
    /// The station's firmware rules now: Require signed firmware, the installed manufacturer roots, its architecture.
    public func firmwarePolicy() -> FirmwareFile.Policy {
        var roots: [String] = []
        if !firmwareDirectory.isEmpty {
            let dataDirectory = firmwareDirectory.pathDirectory
            do { roots = try CertificateDirectory(dataDirectory: dataDirectory).rootCertificates(.manufacturerRootCertificate) } catch {
                logger.error("the manufacturer root certificates cannot be read: \(error)")
            }
        }
        roots += Self.rootCertificates(inDirectory: parameterService.values[.firmwareRootsDirectory], logger: logger)
        return FirmwareFile.Policy(requireSigned: parameterService.values[.requireSignedFirmware], roots: roots,
                                   architecture: FirmwareFile.buildArchitecture, now: clock.now())
    }

    /// The PEM files (`*.pem`, at most 32 of at most 64 kB each, in name order) of FirmwareRootsDirectory: the
    /// manufacturer roots that came with the product. A missing directory holds none; an unreadable file is logged and
    /// skipped (the chain check then refuses what only it would have accepted).
    static func rootCertificates(inDirectory directory: String, logger: Logger) -> [String] {
        guard !directory.isEmpty, let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var roots: [String] = []
        for name in names.filter({ $0.hasSuffix(".pem") }).sorted().prefix(32) {
            let path = directory.pathAppending(name)
            guard let size = SystemFile.regularFile(path)?.bytes, size <= 65_536,
                  let data = FileManager.default.contents(atPath: path) else {
                logger.error("firmware root certificate \(path) skipped: unreadable or larger than 64 kB")
                continue
            }
            roots.append(String(decoding: data, as: UTF8.self))
        }
        return roots
    }

    /// Whether `file` may be installed on this station, and why not (its format, version, architecture, signature —
    /// `FILE.sig` beside it when `signatureFile` is nil — and Require signed firmware). Nothing is kept or run.
    public func checkFirmware(file: String, signatureFile: String? = nil) async -> Result<FirmwareFile.Checked, FirmwareRefusal> {
        await FirmwareInstaller.check(file: file, signatureFile: signatureFile, policy: firmwarePolicy())
    }

    /// Checks and installs `file` (origin `web`, `usb`, `cli`), then restarts the station services into the new
    /// version, which must pass its health check. A refusal is logged, recorded (event log, security log for a
    /// signature) and shown on the System page; nothing is installed then.
    public func installFirmware(file: String, signatureFile: String? = nil, origin: String) async -> Result<FirmwareFile.Checked, FirmwareRefusal> {
        let result = await checkAndInstall(file: file, signatureFile: signatureFile, detached: nil, origin: origin)
        if case .success(let checked) = result {
            controller.record(.systemAction, "Firmware \(checked.version) installed from \(origin); the station services restart", now: clock.now())
            scheduleRestart(.services, now: clock.now())
        }
        return result
    }

    /// The common part: check, then install with the station's plan; every refusal goes through ``firmwareRefused``.
    func checkAndInstall(file: String, signatureFile: String?, detached: FirmwareSignature?, origin: String) async -> Result<FirmwareFile.Checked, FirmwareRefusal> {
        if let pending = pendingFirmware {
            let refusal = FirmwareRefusal(.installFailed, "version \(pending.version) is not confirmed yet (its health check or the report of its rollback is pending)")
            firmwareRefused(refusal, origin: origin)
            return .failure(refusal)
        }
        guard !firmwareInstalling else {
            let refusal = FirmwareRefusal(.installFailed, "another firmware installation is under way")
            firmwareRefused(refusal, origin: origin)
            return .failure(refusal)
        }
        // Stays set after a success: the station restarts into the new version, nothing else is installed before.
        firmwareInstalling = true
        let checked: FirmwareFile.Checked
        switch await FirmwareInstaller.check(file: file, signatureFile: signatureFile, detached: detached, policy: firmwarePolicy()) {
        case .success(let c): checked = c
        case .failure(let refusal):
            firmwareInstalling = false
            firmwareRefused(refusal, origin: origin)
            return .failure(refusal)
        }
        logger.notice("firmware \(checked.version) from \(origin) checked: \(checked.format.rawValue), \(checked.signedBy.map { "signed by \($0)" } ?? "unsigned (signing not required)")")
        switch await FirmwareInstaller.install(file: file, checked: checked, plan: firmwarePlan(origin: origin)) {
        case .success(let marker):
            do { try database.setInstalledFirmwareVersion(checked.version) } catch {
                logger.error("recording the firmware version failed: \(error)")
            }
            recordEvent(EventLogEntry(at: clock.now(), kind: .firmwareInstallation, connector: 0, code: "installed",
                                      message: "Firmware \(checked.version) installed"))
            firmwareUpdateOutcome = FirmwareUpdateOutcome(state: .confirming, version: checked.version, reason: nil, origin: origin, at: clock.now())
            _ = marker
            return .success(checked)
        case .failure(let refusal):
            firmwareInstalling = false
            firmwareRefused(refusal, origin: origin)
            return .failure(refusal)
        }
    }

    /// How this station installs and restores: the commands, the version running now, the health check's limit.
    func firmwarePlan(origin: String) -> FirmwareInstaller.Plan {
        let p = parameterService.values
        return FirmwareInstaller.Plan(directory: firmwareDirectory, installCommand: p[.firmwareInstallCommand],
                                      restoreCommand: p[.firmwareRestoreCommand], runningVersion: firmwareVersion(build: ChargeKitVersion.current),
                                      healthCheckSeconds: p[.firmwareHealthCheckTimeout], origin: origin, now: clock.now())
    }

    /// A file was not installed: the log, the event log, the security log (a signature problem) and the System page.
    func firmwareRefused(_ refusal: FirmwareRefusal, origin: String) {
        logger.error("firmware from \(origin) refused: \(refusal.reason)")
        recordEvent(EventLogEntry(at: clock.now(), kind: .firmwareInstallation, connector: 0, code: "failed",
                                  message: "Firmware installation failed: \(refusal.reason)"))
        switch refusal.kind {
        case .unsigned, .invalidSignature: raiseSecurityEvent(.invalidFirmwareSignature, techInfo: refusal.reason)
        case .invalidSigningCertificate: raiseSecurityEvent(.invalidFirmwareSigningCertificate, techInfo: refusal.reason)
        case .notAPackage, .wrongPackage, .noRollback, .installFailed: break
        }
        firmwareUpdateOutcome = FirmwareUpdateOutcome(state: .refused, version: nil, reason: refusal.reason, origin: origin, at: clock.now())
    }

    // MARK: At start and after

    /// At every start, before the services run: the marker of an unconfirmed update is counted (persisted first), an
    /// update that outlived its deadline or its starts, or whose installation was interrupted, is rolled back now, and
    /// a rollback is reported once the backend accepted the BootNotification.
    package func firmwareAtStart(dataDirectory: String) async {
        firmwareDirectory = dataDirectory.pathAppending("firmware")
        let now = clock.now()
        guard var pending = FirmwareInstaller.pendingUpdate(directory: firmwareDirectory, now: now) else { return }
        let plan = firmwarePlan(origin: pending.origin)
        switch FirmwareHealthCheck.atStart(pending, now: now) {
        case .check(let next):
            guard FirmwareInstaller.writeMarker(next, plan) else {
                logger.error("the firmware update marker cannot be written; version \(next.version) is rolled back")
                await rollBackFirmware(next, reason: "the firmware update marker cannot be written", restart: false)
                return
            }
            pending = next
            logger.notice("firmware \(next.version) runs unconfirmed (start \(next.starts) of \(FirmwareHealthCheck.maxStarts)); health check until \(OCPPDate.format(next.deadline))")
            firmwareUpdateOutcome = FirmwareUpdateOutcome(state: .confirming, version: next.version, reason: nil, origin: next.origin, at: now)
        case .rollBack(let reason):
            // The start is the rollback's restart: the restored version reports the failure once booted.
            await rollBackFirmware(pending, reason: reason, restart: false)
            return
        case .reportRollback:
            break
        }
        pendingFirmware = pending
        ocpp?.chargePoint.firmwareAwaitsHealthCheck = true
    }

    /// Once per control step while an update is pending: confirm it, roll it back, or report its rollback.
    func firmwareHealthTick(now: Date) {
        guard let pending = pendingFirmware, !firmwareHealthBusy else { return }
        let bootAccepted = ocpp?.chargePoint.online ?? false
        switch pending.phase {
        case .rolledBack:
            guard ocpp == nil || bootAccepted else { return }
            let reason = pending.reason ?? "the new version failed its health check"
            pendingFirmware = nil
            FirmwareInstaller.removeMarker(directory: firmwareDirectory)
            firmwareUpdateOutcome = FirmwareUpdateOutcome(state: .rolledBack, version: pending.version, reason: reason, origin: pending.origin, at: now)
            recordEvent(EventLogEntry(at: now, kind: .firmwareInstallation, connector: 0, code: "rolledBack",
                                      message: "Firmware \(pending.version) rolled back to \(pending.previousVersion): \(reason)"))
            ocppEvent(.firmwareRolledBack(reason: reason))
        case .confirming:
            let health = FirmwareHealthCheck.Health(
                boardAnswers: boardAnswers, backendConfigured: ocpp != nil, bootAccepted: bootAccepted,
                bootStatus: ocpp.map { Self.bootStatusText($0.chargePoint.link.registration) })
            switch FirmwareHealthCheck.evaluate(pending, health: health, now: now) {
            case .wait:
                break
            case .confirm:
                firmwareHealthBusy = true
                let command = parameterService.values[.firmwareConfirmCommand]
                _ = jobs.start { [weak self] in
                    let failure = await FirmwareInstaller.confirm(command: command, version: pending.version)
                    await self?.firmwareConfirmed(pending, failure: failure)
                }
            case .rollBack(let reason):
                firmwareHealthBusy = true
                _ = jobs.start { [weak self] in await self?.rollBackFirmware(pending, reason: reason, restart: true) }
            }
        case .installing:
            break
        }
    }

    /// The BootNotification's registration status with OCPP's spelling (OCPP 1.6 §7.42 RegistrationStatus).
    static func bootStatusText(_ registration: OCPPLink.Registration) -> String {
        switch registration {
        case .unknown: "no answer"
        case .pending: "Pending"
        case .accepted: "Accepted"
        case .rejected: "Rejected"
        }
    }

    private func firmwareConfirmed(_ pending: PendingFirmwareUpdate, failure: String?) async {
        if let failure {
            await rollBackFirmware(pending, reason: "version \(pending.version) could not be confirmed: \(failure)", restart: true)
            return
        }
        firmwareHealthBusy = false
        pendingFirmware = nil
        FirmwareInstaller.removeMarker(directory: firmwareDirectory)
        let now = clock.now()
        logger.notice("firmware \(pending.version) passed its health check")
        recordEvent(EventLogEntry(at: now, kind: .firmwareInstallation, connector: 0, code: "confirmed",
                                  message: "Firmware \(pending.version) passed its health check"))
        firmwareUpdateOutcome = FirmwareUpdateOutcome(state: .confirmed, version: pending.version, reason: nil, origin: pending.origin, at: now)
        if ocpp != nil {
            ocppEvent(.firmwareConfirmed)
        } else if localFirmware.machine?.firmware?.phase == .restarting {
            runLocalFirmware { $0.booted() }  // the local update's job ends Installed (FirmwareUpdated from the machine)
        } else {
            raiseSecurityEvent(.firmwareUpdated, techInfo: "firmware \(pending.version) installed")
        }
    }

    /// Reinstalls the previous version and marks the update rolled back; with `restart`, restarts the services (the
    /// next start reports the failure). The version BootNotification reports is the previous one again.
    func rollBackFirmware(_ pending: PendingFirmwareUpdate, reason: String, restart: Bool) async {
        logger.error("firmware \(pending.version): \(reason); reinstalling \(pending.previousVersion)")
        let failure = await FirmwareInstaller.rollBack(pending, reason: reason, plan: firmwarePlan(origin: pending.origin))
        if let failure { logger.critical("firmware rollback to \(pending.previousVersion) failed: \(failure)") }
        if pending.previousVersion != "unknown" {
            do { try database.setInstalledFirmwareVersion(pending.previousVersion) } catch {
                logger.error("recording the firmware version failed: \(error)")
            }
        }
        var marked = pending
        marked.phase = .rolledBack
        marked.reason = reason + (failure.map { "; \($0)" } ?? "")
        pendingFirmware = marked
        firmwareHealthBusy = false
        ocpp?.chargePoint.firmwareAwaitsHealthCheck = true
        if restart { scheduleRestart(.services, now: clock.now()) }
    }
}
