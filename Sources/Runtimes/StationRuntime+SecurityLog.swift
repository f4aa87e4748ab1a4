#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HostServices
import StringSupport
import Logging
import ChargePoint
import EVSECore
import Firmware
import Hosting
import OCPP16
import PKI
import Persistence
import Transport

/// The security extension's work that needs files and the network (OCPP 1.6 security whitepaper ed. 3): security events
/// raised by the runtime, GetLog's uploads (N01), the signature check of a signed firmware package (L01), and the
/// security log for the local API.
extension StationRuntime {
    /// Raises a security event (§8): through the charge point when a backend is configured (log and notification),
    /// else straight into the security log.
    func raiseSecurityEvent(_ type: SecurityEventType, techInfo: String?) {
        if ocpp != nil {
            ocppEvent(.securityEvent(type, techInfo: techInfo))
            return
        }
        logger.notice("security event \(type.rawValue)\(techInfo.map { ": \($0)" } ?? "")")
        do {
            try database.recordSecurityEvent(type: type.rawValue, techInfo: techInfo, critical: type.critical, at: clock.now(), notification: nil)
        } catch {
            logger.error("recording the security event \(type.rawValue) failed: \(error)")
        }
    }

    /// The security log's writer of local events (logins, configuration changes, firmware, certificates: issue 23
    /// item 7), never sent to the central system: `runtime.localSecurityLog.record(.certificateChanged, "… by installer")`.
    public nonisolated var localSecurityLog: LocalSecurityLog {
        LocalSecurityLog(store: database, logger: logger, now: { [clock] in clock.now() })
    }

    /// The newest `limit` entries of the security log, oldest first (the local API and the System page).
    public func securityLog(limit: Int) throws -> [SecurityLogEntry] {
        try database.securityLog(from: nil, to: nil, limit: limit)
    }

    /// GetLog: builds the file (the diagnostics archive, or the security log as CSV) and uploads it.
    func startLogUpload(_ kind: LogKind, location: String, fileName: String, oldest: Date?, latest: Date?, requestId: Int) {
        let dir = ocpp!.dataDirectory.pathAppending("diagnostics")
        let path = dir.pathAppending(fileName)
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let bytes: [UInt8]
            switch kind {
            case .diagnostics:
                bytes = try diagnosticsArchive(from: oldest, to: latest)
            case .security:
                let entries = try database.securityLog(from: oldest, to: latest, limit: SecurityLogPolicy.maxEntries)
                bytes = Array(SecurityLogExport.csv(entries).utf8)
            }
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { throw FileTransferError("cannot write \(path)") }
        } catch {
            logger.error("building the log file failed: \(error)")
            ocppEvent(.logUploadFinished(requestId: requestId, success: false))
            return
        }
        let transfer = FileTransfer(timeout: .seconds(parameterService.values[.fileTransferTimeout]))
        _ = jobs.start { [weak self] in
            let failure = await Self.upload(path, to: location, with: transfer)
            await self?.logUploadFinished(requestId: requestId, failure: failure)
        }
    }

    private func logUploadFinished(requestId: Int, failure: String?) {
        if let failure { logger.warning("log upload \(requestId): \(failure)") }
        ocppEvent(.logUploadFinished(requestId: requestId, success: failure == nil))
    }

    /// Verifies the downloaded package's signature over the whole file (L01.FR.04), reading it in pieces.
    func verifyFirmwareSignature(signingCertificate: String, signature: String) {
        let path = firmwarePackagePath
        _ = jobs.start { [weak self] in
            var failure: String?
            do {
                var digest = FirmwareSigning.FileDigest()
                do { try SystemFile.forEachChunk(of: path) { digest.update($0) } } catch let failure as SystemFile.Failure {
                    throw FileTransferError("cannot read \(failure)")
                }
                try FirmwareSigning.verifySignature(signature, file: digest, signingCertificatePEM: signingCertificate)
            } catch {
                failure = "\(error)"
            }
            await self?.signatureChecked(failure: failure, path: path)
        }
    }

    private func signatureChecked(failure: String?, path: String) {
        // A package whose signature failed is never kept (nothing of it may be installed later).
        if failure != nil { try? FileManager.default.removeItem(atPath: path) }
        ocppEvent(.signatureChecked(failure: failure))
    }
}

extension StationRuntime {
    /// ReconfigurationOfSecurityParameters (whitepaper ed. 3 §8) when a change applied through any path (web, API,
    /// ChangeConfiguration) touched a security parameter; the values are never named.
    func securityParametersChanged(_ entries: [EventLogEntry], changedBy: String) {
        let security = SecurityParameters.changed(entries.compactMap(\.code), secretKeys: parameterService.registry.secretKeys)
        guard !security.isEmpty else { return }
        raiseSecurityEvent(.reconfigurationOfSecurityParameters, techInfo: "\(security.joined(separator: ", ")) changed by \(changedBy)")
    }

    /// The local security log's ConfigurationChanged (issue 23 item 7) for every change through any path: who changed
    /// it (web:installer, api:operator, ocpp, modbus, mqtt …) and which parameters — names only, never a value.
    func configurationChangedSecurityEvent(_ entries: [EventLogEntry], changedBy: String) {
        var seen: Set<String> = []
        let names = entries.compactMap(\.code).filter { seen.insert($0).inserted }
        guard !names.isEmpty else { return }
        localSecurityLog.record(.configurationChanged, "by \(changedBy): \(names.joined(separator: ", "))")
    }

    /// ReconfigurationOfSecurityParameters (whitepaper ed. 3 §8) when the installer installed or reset the HTTPS
    /// certificate (issue 23 item 2): who, and the new certificate's fingerprint (public; the key is never named).
    package func httpsCertificateChanged(_ techInfo: String) {
        raiseSecurityEvent(.reconfigurationOfSecurityParameters, techInfo: techInfo)
    }

    /// SettingSystemTime (critical, §8) when the browser or the API set the station clock (the backend's time is the
    /// charge point's own event).
    func clockSetSecurityEvent(_ techInfo: String) { raiseSecurityEvent(.settingSystemTime, techInfo: techInfo) }

    /// StartupOfTheDevice (critical, whitepaper ed. 3 §8) at every start of the station's services: a process start,
    /// a Reset, a restart for a new setting or firmware.
    package func securityEventAtStart(version: String, previousShutdownClean: Bool) {
        raiseSecurityEvent(.startupOfTheDevice, techInfo: "ChargeKit \(firmwareVersion(build: version)) started"
                                                + (previousShutdownClean ? "" : " after an unclean shutdown"))
    }
}
