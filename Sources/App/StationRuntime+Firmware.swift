import Foundation
import Logging
import ChargePoint
import EVSECore
import OCPP16
import Persistence
import Transport
import WebUI

/// The FirmwareManagement profile: carries out the actions of ``FirmwareManagement`` — file transfers, the
/// diagnostics archive, the firmware installer and the restart that completes an installation.
///
/// - SeeAlso: OCPP 1.6 §5.9 GetDiagnostics, §5.19 UpdateFirmware, §4.4–4.5; checklist §1.4.9.
extension StationRuntime {
    /// `meta` key of a firmware update that must survive the restart.
    static let firmwareJobKey = "firmware.job"
    /// `meta` key of the version of the last installed firmware package.
    static let firmwareVersionKey = "firmware.version"

    /// The firmware version BootNotification reports: the last installed package's, else the build's.
    func firmwareVersion(build: String) -> String { (try? database.meta(Self.firmwareVersionKey)) ?? build }

    /// A firmware update persisted before the last restart.
    func restoredFirmwareJob() -> FirmwareUpdateJob? {
        guard let text = try? database.meta(Self.firmwareJobKey) else { return nil }
        return try? JSONDecoder().decode(FirmwareUpdateJob.self, from: Data(text.utf8))
    }

    private var firmwareDirectory: String { (ocpp!.dataDirectory as NSString).appendingPathComponent("firmware") }
    private var packagePath: String { (firmwareDirectory as NSString).appendingPathComponent("package.ckfw") }

    // MARK: Requests

    func updateFirmware(_ r: UpdateFirmwareRequest) -> Bool {
        guard let url = URL(string: r.location), FileTransfer.supportedSchemes.contains(url.scheme?.lowercased() ?? "") else {
            logger.warning("UpdateFirmware: '\(r.location)' is not an ftp://, http:// or https:// URL; ignored")
            return false
        }
        // A new download starts from scratch (no resume of another package's bytes).
        try? FileManager.default.removeItem(atPath: packagePath)
        logger.notice("firmware update from \(r.location) at \(OCPPDate.format(r.retrieveDate))")
        runFirmware(ocpp!.firmware.updateFirmware(location: r.location, retrieveDate: r.retrieveDate, retries: r.retries,
                                                  retryIntervalSeconds: r.retryInterval))
        return true
    }

    /// GetDiagnostics: the file name to answer with (nil: nothing will be uploaded).
    func getDiagnostics(_ r: GetDiagnosticsRequest, now: Date) -> String? {
        guard let url = URL(string: r.location), FileTransfer.supportedSchemes.contains(url.scheme?.lowercased() ?? "") else {
            logger.warning("GetDiagnostics: '\(r.location)' is not an ftp://, http:// or https:// URL; nothing is uploaded")
            return nil
        }
        let stamp = OCPPDate.format(now).replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "")
        let name = "diagnostics-\(controller.settings.chargeBoxIdentity)-\(stamp.prefix(15)).tar.gz"
        return ocpp!.firmware.getDiagnostics(location: r.location, fileName: String(name.prefix(255)), startTime: r.startTime,
                                             stopTime: r.stopTime, retries: r.retries, retryIntervalSeconds: r.retryInterval, now: now)
    }

    /// The status a triggered FirmwareStatusNotification / DiagnosticsStatusNotification reports.
    func triggeredFirmwareStatus() -> FirmwareStatusNotificationRequest {
        FirmwareStatusNotificationRequest(status: ocpp!.firmware.triggeredFirmwareStatus.rawValue)
    }

    func triggeredDiagnosticsStatus() -> DiagnosticsStatusNotificationRequest {
        DiagnosticsStatusNotificationRequest(status: ocpp!.firmware.triggeredDiagnosticsStatus.rawValue)
    }

    // MARK: Tick

    func firmwareTick(now: Date) {
        let running = (1...controller.connectorCount).contains { controller.backendView(connector: $0)?.session != nil }
        runFirmware(ocpp!.firmware.tick(now: now, transactionsRunning: running))
    }

    /// The backend accepted the BootNotification.
    func firmwareBooted() { runFirmware(ocpp!.firmware.booted()) }

    // MARK: Actions

    private func runFirmware(_ actions: [FirmwareManagement.Action]) {
        for action in actions {
            switch action {
            case .notifyFirmware(let s):
                logger.info("firmware status \(s.rawValue)")
                enqueueNotification(FirmwareStatusNotificationRequest(status: s.rawValue))
            case .notifyDiagnostics(let s):
                logger.info("diagnostics status \(s.rawValue)")
                enqueueNotification(DiagnosticsStatusNotificationRequest(status: s.rawValue))
            case .download(let location):
                startDownload(location)
            case .upload(let location, let fileName, let startTime, let stopTime):
                startUpload(location, fileName: fileName, startTime: startTime, stopTime: stopTime)
            case .install:
                startInstall()
            case .holdConnectors(let hold):
                holdConnectors(hold)
            case .persist(let job):
                do {
                    if let job {
                        try database.setMeta(Self.firmwareJobKey, String(decoding: try JSONEncoder().encode(job), as: UTF8.self))
                    } else {
                        try database.deleteMeta(Self.firmwareJobKey)
                    }
                } catch {
                    logger.error("storing the firmware update state failed: \(error)")
                }
            case .restart:
                logger.notice("firmware installed; the station services restart")
                scheduleRestart(.services, now: clock.now())
            }
        }
    }

    func enqueueNotification<R: OCPPRequest>(_ request: R, allowedWhilePending: Bool = false) {
        ocpp!.link.enqueue(.init(id: ocpp!.link.newID(), action: R.action, payload: OCPPCoding.encode(request), purpose: .other,
                                 allowedWhilePending: allowedWhilePending))
    }

    private var transfer: FileTransfer { FileTransfer(timeout: .seconds(Int(parameterService.values.number(StationParameters.fileTransferTimeout)))) }

    private func startDownload(_ location: String) {
        let path = packagePath, transfer = transfer
        do { try FileManager.default.createDirectory(atPath: firmwareDirectory, withIntermediateDirectories: true) } catch {
            logger.error("cannot create \(firmwareDirectory): \(error)")
        }
        Task { [weak self] in
            var failure: String?
            do {
                guard let url = URL(string: location) else { throw FileTransferError("not a URL") }
                try await transfer.download(url, to: path)
            } catch {
                failure = "\(error)"
            }
            await self?.downloadFinished(failure: failure)
        }
    }

    private func downloadFinished(failure: String?) {
        guard ocpp != nil else { return }
        if let failure { logger.warning("firmware download failed: \(failure)") } else { logger.info("firmware downloaded") }
        runFirmware(ocpp!.firmware.downloadFinished(success: failure == nil, now: clock.now()))
    }

    private func startUpload(_ location: String, fileName: String, startTime: Date?, stopTime: Date?) {
        let dir = (ocpp!.dataDirectory as NSString).appendingPathComponent("diagnostics")
        let path = (dir as NSString).appendingPathComponent(fileName)
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let archive = try diagnosticsArchive(from: startTime, to: stopTime)
            guard FileManager.default.createFile(atPath: path, contents: Data(archive)) else { throw FileTransferError("cannot write \(path)") }
        } catch {
            logger.error("building the diagnostics file failed: \(error)")
            runFirmware(ocpp!.firmware.uploadFinished(success: false, now: clock.now()))
            return
        }
        let transfer = transfer
        Task { [weak self] in
            var failure: String?
            do {
                guard let url = URL(string: location) else { throw FileTransferError("not a URL") }
                try await transfer.upload(path, to: url)
            } catch {
                failure = "\(error)"
            }
            try? FileManager.default.removeItem(atPath: path)
            await self?.uploadFinished(failure: failure)
        }
    }

    private func uploadFinished(failure: String?) {
        guard ocpp != nil else { return }
        if let failure { logger.warning("diagnostics upload failed: \(failure)") } else { logger.info("diagnostics uploaded") }
        runFirmware(ocpp!.firmware.uploadFinished(success: failure == nil, now: clock.now()))
    }

    /// Checks the package and installs it: with an install command, by running it on the payload; in simulation
    /// (no command), by recording the version.
    private func startInstall() {
        let path = packagePath
        let payloadPath = (firmwareDirectory as NSString).appendingPathComponent("payload")
        let command = parameterService.values.string(StationParameters.firmwareInstallCommand)
        Task.detached { [weak self] in
            let outcome = FirmwareInstaller.install(package: path, payloadPath: payloadPath, command: command)
            await self?.installFinished(outcome)
        }
    }

    private func installFinished(_ outcome: Result<String, FileTransferError>) {
        guard ocpp != nil else { return }
        switch outcome {
        case .success(let version):
            logger.notice("firmware \(version) installed")
            do { try database.setMeta(Self.firmwareVersionKey, version) } catch {
                logger.error("recording the firmware version failed: \(error)")
            }
            runFirmware(ocpp!.firmware.installFinished(version: version))
        case .failure(let error):
            logger.error("firmware installation failed: \(error)")
            runFirmware(ocpp!.firmware.installFinished(version: nil))
        }
        try? FileManager.default.removeItem(atPath: packagePath)
    }

    /// Keeps idle connectors Unavailable while an installation waits and runs; releasing restores the
    /// availability the backend set (persisted by ChangeAvailability).
    private func holdConnectors(_ hold: Bool) {
        let now = clock.now()
        for n in 1...controller.connectorCount {
            let persistedInoperative = (try? database.meta("availability.\(n)")) == "Inoperative"
            if hold {
                guard controller.backendView(connector: n)?.session == nil else { continue }
                controller.setOperative(connector: n, false, now: now)
            } else if !persistedInoperative {
                controller.setOperative(connector: n, true, now: now)
            }
        }
    }
}

/// Checks a downloaded firmware package and runs the install command.
enum FirmwareInstaller {
    static func install(package path: String, payloadPath: String, command: String) -> Result<String, FileTransferError> {
        guard let bytes = FileManager.default.contents(atPath: path) else { return .failure(FileTransferError("the downloaded package is gone")) }
        let package: FirmwarePackage
        do { package = try FirmwarePackage(Array(bytes)) } catch { return .failure(FileTransferError(error.description)) }
        guard !command.isEmpty else { return .success(package.version) }
        guard FileManager.default.createFile(atPath: payloadPath, contents: Data(package.payload)) else {
            return .failure(FileTransferError("cannot write \(payloadPath)"))
        }
        defer { try? FileManager.default.removeItem(atPath: payloadPath) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command, "chargekit-firmware-install", payloadPath]
        process.environment = ProcessInfo.processInfo.environment.merging(["FIRMWARE_VERSION": package.version, "FIRMWARE_FILE": payloadPath]) { $1 }
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            return .failure(FileTransferError("cannot run the install command: \(error)"))
        }
        guard process.terminationStatus == 0 else {
            return .failure(FileTransferError("the install command exited with status \(process.terminationStatus)"))
        }
        return .success(package.version)
    }
}
