#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// OCPP 1.6 §7.25 FirmwareStatus, and the statuses the security extension adds for a signed update (whitepaper ed. 3
/// §5.1 FirmwareStatusEnumType), which only a signed update reports.
public enum FirmwareStatus: String, Sendable, Codable, Equatable {
    case downloaded = "Downloaded"
    case downloadFailed = "DownloadFailed"
    case downloading = "Downloading"
    case idle = "Idle"
    case installationFailed = "InstallationFailed"
    case installing = "Installing"
    case installed = "Installed"
    case downloadScheduled = "DownloadScheduled"
    case installScheduled = "InstallScheduled"
    case installRebooting = "InstallRebooting"
    case invalidSignature = "InvalidSignature"
    case signatureVerified = "SignatureVerified"
}

/// OCPP 1.6 §7.24 DiagnosticsStatus.
public enum DiagnosticsStatus: String, Sendable, Codable, Equatable {
    case idle = "Idle"
    case uploaded = "Uploaded"
    case uploadFailed = "UploadFailed"
    case uploading = "Uploading"
}

/// A firmware update in progress. Persisted (it survives the restart that completes the installation).
public struct FirmwareUpdateJob: Sendable, Codable, Equatable {
    public enum Phase: String, Sendable, Codable {
        /// Waiting for retrieveDate or for the next attempt.
        case waiting
        case downloading
        /// Downloaded, a signed package's signature being verified (SignedUpdateFirmware).
        case verifying
        /// Downloaded (and verified); waiting until no transaction runs.
        case downloaded
        case installing
        /// Installed; the station restarts and reports Installed after its next BootNotification.
        case restarting
    }

    public var location: String
    public var phase: Phase
    /// When the next download attempt starts.
    public var nextAttemptAt: Date
    public var attemptsLeft: Int
    public var retryIntervalSeconds: Int
    /// The version the installed package named (set once installed).
    public var installedVersion: String?
    /// A signed update (SignedUpdateFirmware, security whitepaper ed. 3 L01): its requestId, which every status
    /// notification carries; nil for UpdateFirmware.
    public var requestId: Int?
    /// The signed update's PEM signing certificate (already checked against the manufacturer roots) and base64
    /// signature over the whole file.
    public var signingCertificate: String?
    public var signature: String?
    /// installDateTime: not installed before it.
    public var installAt: Date?
    /// The version a local package names (checked when it was taken; the web page shows it while it waits).
    public var packageVersion: String?
}

/// A diagnostics upload in progress.
public struct DiagnosticsJob: Sendable, Equatable {
    public var location: String
    public var fileName: String
    public var startTime: Date?
    public var stopTime: Date?
    public var uploading = false
    public var nextAttemptAt: Date
    public var attemptsLeft: Int
    public var retryIntervalSeconds: Int
}

/// The FirmwareManagement profile as a state machine: UpdateFirmware (download from retrieveDate on with retries,
/// install once no transaction runs, restart, Installed after the next boot) and GetDiagnostics (one file uploaded
/// with retries). It does no I/O: the runtime carries out the actions and reports their results.
///
/// Sequences (OCPP 1.6 §4.4, §4.5, §5.9, §5.19; errata 3.12, 3.31, 3.47–3.49; checklist §1.4.9):
/// - firmware: Downloading → Downloaded | DownloadFailed (after the last retry) → Installing → restart →
///   BootNotification → Installed | InstallationFailed (OCTT TC_044_1–3);
/// - diagnostics: Uploading → Uploaded | UploadFailed (after the last retry) (TC_045_1–2);
/// - a triggered status reports the running job's status, or Idle when none runs (TC_054).
/// A new UpdateFirmware replaces a waiting one; one that is installing is not interrupted.
public struct FirmwareManagement: Sendable, Equatable {
    /// Retries when the backend gives none.
    public static let defaultRetries = 2
    /// Retry interval when the backend gives none.
    public static let defaultRetryIntervalSeconds = 60

    public enum Action: Sendable, Equatable {
        case notifyFirmware(FirmwareStatus)
        case notifyDiagnostics(DiagnosticsStatus)
        /// Download `location` into the station's firmware file.
        case download(location: String)
        /// Build the diagnostics archive `fileName` (entries from `startTime` to `stopTime`) and upload it to `location`.
        case upload(location: String, fileName: String, startTime: Date?, stopTime: Date?)
        /// Check and install the downloaded package.
        case install
        /// Keep idle connectors Unavailable while an installation waits and runs (`true`), or release them.
        case holdConnectors(Bool)
        /// Store ``firmware`` (nil: remove it) before continuing.
        case persist(FirmwareUpdateJob?)
        /// Restart the station services to complete the installation.
        case restart
        /// A signed update's status (SignedFirmwareStatusNotification with `requestId`).
        case notifySignedFirmware(FirmwareStatus, requestId: Int)
        /// Verify the downloaded file's signature; answer with ``signatureChecked(valid:)``.
        case verifySignature(signingCertificate: String, signature: String)
        /// The signature did not match: nothing is installed (security event InvalidFirmwareSignature).
        case signatureRejected
        /// A package was installed and the station runs it (security event FirmwareUpdated).
        case firmwareUpdated(version: String?)
        /// A GetLog upload's status (LogStatusNotification with `requestId`).
        case notifyLog(LogUploadStatus, requestId: Int)
        /// Build the log file of `kind` (entries from `oldest` to `latest`) and upload it to `location`; answer with
        /// ``logUploadFinished(requestId:success:now:)``.
        case uploadLog(LogKind, location: String, fileName: String, oldest: Date?, latest: Date?, requestId: Int)
    }

    public internal(set) var firmware: FirmwareUpdateJob?
    public private(set) var diagnostics: DiagnosticsJob?
    public internal(set) var log: LogJob?

    /// Restores a persisted job (after a restart).
    public init(restored: FirmwareUpdateJob? = nil) {
        firmware = restored
        guard let restored, restored.phase != .restarting else { return }
        // A local package (web, USB) has nothing to download again: it is still in the firmware file and installs anew
        // (``localUpdate(_:version:now:)``); a backend's update starts over with its download.
        firmware?.phase = restored.location.hasPrefix("local:") ? .downloaded : .waiting
    }

    // MARK: Firmware

    /// UpdateFirmware.req: the answer is empty; the download starts at `retrieveDate`.
    public mutating func updateFirmware(location: String, retrieveDate: Date, retries: Int?, retryIntervalSeconds: Int?) -> [Action] {
        if let f = firmware, [.installing, .restarting].contains(f.phase) { return [] }
        let job = FirmwareUpdateJob(location: location, phase: .waiting, nextAttemptAt: retrieveDate,
                                    attemptsLeft: 1 + max(0, retries ?? Self.defaultRetries),
                                    retryIntervalSeconds: max(0, retryIntervalSeconds ?? Self.defaultRetryIntervalSeconds))
        firmware = job
        return [.persist(job)]
    }

    /// Advances timed steps. `transactionsRunning`: a transaction runs on any connector.
    public mutating func tick(now: Date, transactionsRunning: Bool) -> [Action] {
        var actions: [Action] = []
        if var f = firmware {
            switch f.phase {
            case .waiting where now >= f.nextAttemptAt:
                f.phase = .downloading
                f.attemptsLeft -= 1
                firmware = f
                actions += [notify(.downloading, f), .download(location: f.location)]
            case .downloaded where !transactionsRunning && f.installAt.map({ now >= $0 }) ?? true:
                f.phase = .installing
                firmware = f
                actions += [.persist(f), notify(.installing, f), .install]
            default:
                break
            }
        }
        actions += tickLog(now: now)
        if var d = diagnostics, !d.uploading, now >= d.nextAttemptAt {
            d.uploading = true
            d.attemptsLeft -= 1
            diagnostics = d
            actions += [.notifyDiagnostics(.uploading), .upload(location: d.location, fileName: d.fileName, startTime: d.startTime, stopTime: d.stopTime)]
        }
        return actions
    }

    /// The download ended.
    public mutating func downloadFinished(success: Bool, now: Date) -> [Action] {
        guard var f = firmware, f.phase == .downloading else { return [] }
        if success, let certificate = f.signingCertificate, let signature = f.signature {
            // Signed (L01.FR.04): nothing is installed before the signature over the whole file is verified.
            f.phase = .verifying
            firmware = f
            return [.persist(f), notify(.downloaded, f), .verifySignature(signingCertificate: certificate, signature: signature)]
        }
        if success {
            f.phase = .downloaded
            firmware = f
            return [.persist(f), notify(.downloaded, f), .holdConnectors(true)]
        }
        if f.attemptsLeft > 0 {
            f.phase = .waiting
            f.nextAttemptAt = now.addingTimeInterval(Double(f.retryIntervalSeconds))
            firmware = f
            return [.persist(f)]
        }
        firmware = nil
        return [.persist(nil), notify(.downloadFailed, f)]
    }

    /// The installer ended: on success the station restarts and reports Installed after its next boot.
    public mutating func installFinished(version: String?) -> [Action] {
        guard var f = firmware, f.phase == .installing else { return [] }
        guard let version else {
            firmware = nil
            return [.persist(nil), notify(.installationFailed, f), .holdConnectors(false)]
        }
        f.phase = .restarting
        f.installedVersion = version
        firmware = f
        // A signed update says that the station reboots into it (whitepaper ed. 3 §5.1 InstallRebooting).
        return [.persist(f)] + (f.requestId == nil ? [] : [notify(.installRebooting, f)]) + [.restart]
    }

    /// The backend accepted the BootNotification after the restart.
    public mutating func booted() -> [Action] {
        guard let f = firmware, f.phase == .restarting else { return [] }
        firmware = nil
        return [.persist(nil), notify(.installed, f), .firmwareUpdated(version: f.installedVersion)]
    }

    /// The new version failed its health check after the restart and the previous one was reinstalled (issue 23 item
    /// 5): the update ends InstallationFailed (OCPP 1.6 §4.5; a signed update's status carries its requestId).
    public mutating func rolledBack() -> [Action] {
        guard let f = firmware, f.phase == .restarting else { return [] }
        firmware = nil
        return [.persist(nil), notify(.installationFailed, f)]
    }

    /// A status of `job`: FirmwareStatusNotification for UpdateFirmware, SignedFirmwareStatusNotification with the
    /// requestId for a signed update.
    func notify(_ status: FirmwareStatus, _ job: FirmwareUpdateJob) -> Action {
        job.requestId.map { .notifySignedFirmware(status, requestId: $0) } ?? .notifyFirmware(status)
    }

    // MARK: Diagnostics

    /// GetDiagnostics.req: the file name to answer with, or nil while another upload runs.
    public mutating func getDiagnostics(location: String, fileName: String, startTime: Date?, stopTime: Date?, retries: Int?,
                                        retryIntervalSeconds: Int?, now: Date) -> String? {
        if diagnostics?.uploading == true { return nil }
        diagnostics = DiagnosticsJob(location: location, fileName: fileName, startTime: startTime, stopTime: stopTime, nextAttemptAt: now,
                                     attemptsLeft: 1 + max(0, retries ?? Self.defaultRetries),
                                     retryIntervalSeconds: max(0, retryIntervalSeconds ?? Self.defaultRetryIntervalSeconds))
        return fileName
    }

    /// The upload ended.
    public mutating func uploadFinished(success: Bool, now: Date) -> [Action] {
        guard var d = diagnostics, d.uploading else { return [] }
        if success {
            diagnostics = nil
            return [.notifyDiagnostics(.uploaded)]
        }
        if d.attemptsLeft > 0 {
            d.uploading = false
            d.nextAttemptAt = now.addingTimeInterval(Double(d.retryIntervalSeconds))
            diagnostics = d
            return []
        }
        diagnostics = nil
        return [.notifyDiagnostics(.uploadFailed)]
    }

    // MARK: TriggerMessage

    /// The status a triggered FirmwareStatusNotification reports: the running job's, else Idle (TC_054).
    public var triggeredFirmwareStatus: FirmwareStatus {
        guard let f = firmware else { return .idle }
        switch f.phase {
        case .waiting: return .idle
        case .downloading: return .downloading
        case .verifying, .downloaded: return .downloaded
        case .installing, .restarting: return .installing
        }
    }

    /// The status a triggered DiagnosticsStatusNotification reports.
    public var triggeredDiagnosticsStatus: DiagnosticsStatus { diagnostics?.uploading == true ? .uploading : .idle }
}

extension FirmwareManagement {
    /// The URL schemes the station can download from and upload to (the file transfers implement exactly these).
    public static let transferSchemes: Set<String> = ["ftp", "http", "https"]

    /// Whether `location` is a URL of one of ``transferSchemes``.
    public static func transferable(_ location: String) -> Bool {
        guard let colon = location.firstIndex(of: ":") else { return false }
        return transferSchemes.contains(location[..<colon].lowercased()) && location[colon...].hasPrefix("://")
    }
}
