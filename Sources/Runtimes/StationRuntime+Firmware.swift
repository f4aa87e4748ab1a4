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
import WebUI

/// The file transfers and the installer of the FirmwareManagement profile, which ``OCPPChargePoint`` asks for with its
/// download, upload and install actions; each reports back with an event when it ends.
///
/// - SeeAlso: OCPP 1.6 §5.9 GetDiagnostics, §5.19 UpdateFirmware, §4.4–4.5; checklist §1.4.9.
extension StationRuntime {
    private var packagePath: String { firmwarePackagePath }
    /// Where the downloaded package is kept until it is installed.
    var firmwarePackagePath: String { firmwareDirectory.pathAppending("package.ckfw") }

    private var transfer: FileTransfer { FileTransfer(timeout: .seconds(parameterService.values[.fileTransferTimeout])) }

    func startDownload(_ location: String) {
        let path = packagePath, transfer = transfer
        // A new download starts from scratch (no resume of another package's bytes).
        try? FileManager.default.removeItem(atPath: path)
        do { try FileManager.default.createDirectory(atPath: firmwareDirectory, withIntermediateDirectories: true) } catch {
            logger.error("cannot create \(firmwareDirectory): \(error)")
        }
        _ = jobs.start { [weak self] in
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
        if let failure { logger.warning("firmware download: \(failure)") }
        ocppEvent(.downloadFinished(success: failure == nil))
    }

    func startUpload(_ location: String, fileName: String, startTime: Date?, stopTime: Date?) {
        let dir = ocpp!.dataDirectory.pathAppending("diagnostics")
        let path = dir.pathAppending(fileName)
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let archive = try diagnosticsArchive(from: startTime, to: stopTime)
            guard FileManager.default.createFile(atPath: path, contents: Data(archive)) else { throw FileTransferError("cannot write \(path)") }
        } catch {
            logger.error("building the diagnostics file failed: \(error)")
            ocppEvent(.uploadFinished(success: false))
            return
        }
        let transfer = transfer
        _ = jobs.start { [weak self] in
            let failure = await Self.upload(path, to: location, with: transfer)
            await self?.uploadFinished(failure: failure)
        }
    }

    /// Uploads the file at `path` to `location` (GetDiagnostics, GetLog) and removes it; the failure, if any.
    nonisolated static func upload(_ path: String, to location: String, with transfer: FileTransfer) async -> String? {
        var failure: String?
        do {
            guard let url = URL(string: location) else { throw FileTransferError("not a URL") }
            try await transfer.upload(path, to: url)
        } catch {
            failure = "\(error)"
        }
        try? FileManager.default.removeItem(atPath: path)
        return failure
    }

    private func uploadFinished(failure: String?) {
        if let failure { logger.warning("diagnostics upload: \(failure)") }
        ocppEvent(.uploadFinished(success: failure == nil))
    }

    /// Checks the downloaded file and installs it through the one installation path
    /// (``checkAndInstall(file:signatureFile:detached:origin:)``): a SignedUpdateFirmware's certificate and signature are
    /// checked again as a detached signature over the whole file, next to any signature the file carries itself.
    func startInstall() {
        let path = packagePath
        let job = ocpp?.chargePoint.firmware.firmware
        let detached = job?.signingCertificate.flatMap { certificate in
            job?.signature.map { FirmwareSignature(certificateChainPEM: certificate, signatureBase64: $0) }
        }
        _ = jobs.start { [weak self] in await self?.installDownloaded(path: path, detached: detached) }
    }

    private func installDownloaded(path: String, detached: FirmwareSignature?) async {
        // A local package (web, USB) installs with its origin; a backend's with "ocpp".
        let origin = (ocpp?.chargePoint.firmware ?? localFirmware.machine)?.localSource?.rawValue ?? "ocpp"
        let result = await checkAndInstall(file: path, signatureFile: nil, detached: detached, origin: origin)
        try? FileManager.default.removeItem(atPath: path)
        var version: String?
        switch result {
        case .success(let checked): version = checked.version
        case .failure(let refusal): localInstallFailed(refusal.reason)
        }
        if ocpp != nil {
            ocppEvent(.installFinished(version: version))
        } else {
            runLocalFirmware { $0.installFinished(version: version) }
        }
    }
}
