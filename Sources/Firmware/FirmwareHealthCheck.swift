#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An installed firmware update that is not confirmed yet (issue 23 item 5): written before the install command runs
/// and kept through every restart until the new version passed its health check, or was rolled back and the failure
/// reported. The adapter keeps it in a small `key=value` file in the data directory (written to a temporary file,
/// synced and renamed: a `kill -9` at any point leaves the old or the new marker, never none), readable by a shell
/// script so that a systemd `OnFailure=` unit can roll back a version that cannot start at all.
public struct PendingFirmwareUpdate: Sendable, Equatable {
    public enum Phase: String, Sendable, Equatable {
        /// The install command runs (or was interrupted: the installed state is unknown).
        case installing
        /// Installed; the new version must pass its health check by ``deadline``.
        case confirming
        /// The previous version was reinstalled; the failure is reported after the next start.
        case rolledBack
    }

    public var phase: Phase
    public var version: String
    public var previousVersion: String
    /// Confirmed by then, or rolled back (wall clock: it must survive restarts).
    public var deadline: Date
    /// How often the new version started.
    public var starts: Int
    /// Where the update came from (`ocpp`, `web`, `usb`, `cli`), for the log.
    public var origin: String
    /// Why it was rolled back.
    public var reason: String?

    public init(phase: Phase, version: String, previousVersion: String, deadline: Date, starts: Int = 0, origin: String, reason: String? = nil) {
        self.phase = phase; self.version = version; self.previousVersion = previousVersion; self.deadline = deadline
        self.starts = starts; self.origin = origin; self.reason = reason
    }

    /// The marker's text: one `key=value` per line (values without line breaks).
    public var text: String {
        var lines = ["phase=\(phase.rawValue)", "version=\(version)", "previous=\(previousVersion)",
                     "deadline=\(Int(deadline.timeIntervalSince1970))", "starts=\(starts)", "origin=\(origin)"]
        if let reason { lines.append("reason=\(reason)") }
        return lines.map { String($0.map { $0 == "\n" || $0 == "\r" ? " " : $0 }) }.joined(separator: "\n") + "\n"
    }

    /// Reads a marker; nil when it is not one (a damaged marker is treated by the caller as an interrupted install).
    public init?(text: String) {
        var f: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            f[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        guard let phase = f["phase"].flatMap(Phase.init(rawValue:)), let version = f["version"], let previous = f["previous"],
              let deadline = f["deadline"].flatMap(Int.init), let starts = f["starts"].flatMap(Int.init) else { return nil }
        self.init(phase: phase, version: version, previousVersion: previous, deadline: Date(timeIntervalSince1970: Double(deadline)),
                  starts: starts, origin: f["origin"] ?? "unknown", reason: f["reason"])
    }
}

/// The decisions around a new firmware version's first starts (issue 23 item 5: "after the restart a health check —
/// the station runs, its board answers, and, when configured, the backend accepted the BootNotification, within a time
/// limit — confirms it, else the previous version is reinstalled and the update reported as failed").
///
/// A version that crashes at start never reaches its health check: every start counts (``atStart(_:now:)``, persisted
/// before anything else starts), and a version that started ``maxStarts`` times or outlived its deadline unconfirmed is
/// rolled back by the next start. On a RAUC image the bootloader's boot counter does the same for a kernel or root file
/// system that does not come up (docs/installer.md).
public enum FirmwareHealthCheck {
    /// Starts of an unconfirmed version before it is rolled back (systemd's `Restart=on-failure` starts it again).
    public static let maxStarts = 3

    public enum StartDecision: Sendable, Equatable {
        /// Run; check the health until the marker's deadline (the updated marker is persisted first).
        case check(PendingFirmwareUpdate)
        /// Reinstall the previous version now, for `reason`.
        case rollBack(reason: String)
        /// A rollback happened before this start: report the update failed (InstallationFailed), then drop the marker.
        case reportRollback(reason: String)
    }

    /// What the station does with the marker it finds at start.
    public static func atStart(_ pending: PendingFirmwareUpdate, now: Date) -> StartDecision {
        switch pending.phase {
        case .rolledBack:
            return .reportRollback(reason: pending.reason ?? "the new version failed its health check")
        case .installing:
            return .rollBack(reason: "the installation of \(pending.version) was interrupted")
        case .confirming:
            if pending.starts >= maxStarts {
                return .rollBack(reason: "version \(pending.version) started \(pending.starts) times without passing its health check")
            }
            if now > pending.deadline {
                return .rollBack(reason: "version \(pending.version) was not confirmed by its deadline")
            }
            var next = pending
            next.starts += 1
            return .check(next)
        }
    }

    /// What the running station knows about its health.
    public struct Health: Sendable, Equatable {
        /// The board answered a read (a connector-board link error clears it).
        public var boardAnswers: Bool
        /// A backend is configured (then its acceptance of BootNotification is part of the check).
        public var backendConfigured: Bool
        /// The backend accepted the BootNotification since this start.
        public var bootAccepted: Bool
        /// How the backend last answered BootNotification when it did not accept it (Rejected, Pending).
        public var bootStatus: String?
        public init(boardAnswers: Bool, backendConfigured: Bool, bootAccepted: Bool, bootStatus: String? = nil) {
            self.boardAnswers = boardAnswers; self.backendConfigured = backendConfigured; self.bootAccepted = bootAccepted
            self.bootStatus = bootStatus
        }
    }

    public enum Decision: Sendable, Equatable {
        case wait
        case confirm
        case rollBack(reason: String)
    }

    /// Confirms once every condition holds; rolls back when the deadline passed before, naming what failed.
    public static func evaluate(_ pending: PendingFirmwareUpdate, health: Health, now: Date) -> Decision {
        guard pending.phase == .confirming else { return .wait }
        if health.boardAnswers, !health.backendConfigured || health.bootAccepted { return .confirm }
        guard now >= pending.deadline else { return .wait }
        var failed: [String] = []
        if !health.boardAnswers { failed.append("the board did not answer") }
        if health.backendConfigured, !health.bootAccepted {
            failed.append("the backend did not accept the BootNotification" + (health.bootStatus.map { " (\($0))" } ?? ""))
        }
        return .rollBack(reason: "version \(pending.version) failed its health check: \(failed.joined(separator: " and "))")
    }
}
