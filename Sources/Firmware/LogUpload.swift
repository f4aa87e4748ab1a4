#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Which log GetLog asks for (OCPP 1.6 security whitepaper ed. 3 §5.1 LogEnumType).
public enum LogKind: String, Sendable, Equatable {
    /// The diagnostics archive GetDiagnostics uploads.
    case diagnostics = "DiagnosticsLog"
    /// The security log as a CSV file.
    case security = "SecurityLog"
}

/// UploadLogStatusEnumType (whitepaper ed. 3 §5.1; the text's "UploadFailed" is `UploadFailure` in the schema).
public enum LogUploadStatus: String, Sendable, Equatable {
    case badMessage = "BadMessage"
    case idle = "Idle"
    case notSupportedOperation = "NotSupportedOperation"
    case permissionDenied = "PermissionDenied"
    case uploaded = "Uploaded"
    case uploadFailure = "UploadFailure"
    case uploading = "Uploading"
}

/// A GetLog upload in progress.
public struct LogJob: Sendable, Equatable {
    public var kind: LogKind
    public var requestId: Int
    public var location: String
    public var fileName: String
    public var oldest: Date?
    public var latest: Date?
    public var uploading = false
    public var nextAttemptAt: Date
    public var attemptsLeft: Int
    public var retryIntervalSeconds: Int
}

/// GetLog on the firmware machine (use case N01): one file uploaded with the retry rules of GetDiagnostics
/// (OCPP 1.6 §5.9), reported Uploading → Uploaded | UploadFailure with GetLog's requestId throughout; a new GetLog
/// while one is under way cancels it (N01.FR.06/07: AcceptedCanceled) — the cancelled upload's end is ignored.
extension FirmwareManagement {
    /// GetLog.req: whether an earlier request was cancelled (answer AcceptedCanceled rather than Accepted).
    public mutating func getLog(_ kind: LogKind, requestId: Int, location: String, fileName: String, oldest: Date?, latest: Date?,
                                retries: Int?, retryIntervalSeconds: Int?, now: Date) -> (canceled: Bool, actions: [Action]) {
        let canceled = log != nil
        log = LogJob(kind: kind, requestId: requestId, location: location, fileName: fileName, oldest: oldest, latest: latest,
                     nextAttemptAt: now, attemptsLeft: 1 + max(0, retries ?? Self.defaultRetries),
                     retryIntervalSeconds: max(0, retryIntervalSeconds ?? Self.defaultRetryIntervalSeconds))
        return (canceled, [])
    }

    /// Starts the log upload when it is due.
    mutating func tickLog(now: Date) -> [Action] {
        guard var l = log, !l.uploading, now >= l.nextAttemptAt else { return [] }
        l.uploading = true
        l.attemptsLeft -= 1
        log = l
        return [.notifyLog(.uploading, requestId: l.requestId),
                .uploadLog(l.kind, location: l.location, fileName: l.fileName, oldest: l.oldest, latest: l.latest, requestId: l.requestId)]
    }

    /// The upload of GetLog `requestId` ended; the end of a cancelled one is ignored.
    public mutating func logUploadFinished(requestId: Int, success: Bool, now: Date) -> [Action] {
        guard var l = log, l.uploading, l.requestId == requestId else { return [] }
        if success {
            log = nil
            return [.notifyLog(.uploaded, requestId: requestId)]
        }
        if l.attemptsLeft > 0 {
            l.uploading = false
            l.nextAttemptAt = now.addingTimeInterval(Double(l.retryIntervalSeconds))
            log = l
            return []
        }
        log = nil
        return [.notifyLog(.uploadFailure, requestId: requestId)]
    }

    /// The current log status for a triggered LogStatusNotification (ExtendedTriggerMessage, N01.FR.12): Uploading
    /// with the requestId while a GetLog is under way (also between its attempts), else Idle without one.
    public var logStatus: (status: LogUploadStatus, requestId: Int?) {
        log.map { (.uploading, $0.requestId) } ?? (.idle, nil)
    }
}
