#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Firmware

/// The firmware update of the System page and the local API (seeds/004 §8 "Systeem → Firmware Update"; seeds/000
/// "Firmwareaktualisierung"; seeds/002 §1.8 "Update Progress"): where the firmware machine stands, for the page's live
/// progress and `GET /api/firmware`.
public struct FirmwareUpdateView: Sendable, Codable, Equatable {
    /// What the station does with firmware now.
    public enum State: String, Sendable, Codable {
        /// No update under way.
        case idle
        /// The backend's update waits for its retrieveDate or its next attempt.
        case scheduled
        /// The backend's package is being downloaded or its signature checked.
        case downloading
        /// A package is ready and waits until no transaction runs (``FirmwareUpdateView/waitingFor``).
        case waiting
        case installing
        /// Installed; the station services restart into it.
        case restarting
    }

    public var state: State
    /// The FirmwareStatus the backend was last told of this update (OCPP 1.6 §7.25), Idle when none runs.
    public var status: String
    /// Where the update came from: `web`, `usb`, or `backend`.
    public var source: String?
    /// The version of the package being installed, when known.
    public var packageVersion: String?
    /// The version the station runs.
    public var runningVersion: String
    /// Connectors whose transaction the installation waits for.
    public var waitingFor: [Int]
    /// How the last local update ended (installed, refused or failed), with the reason; nil when none since the start.
    public var lastResult: FirmwareResult?
    /// Largest package the upload accepts, in bytes.
    public var maximumUploadBytes: Int

    public init(state: State, status: String, source: String?, packageVersion: String?, runningVersion: String, waitingFor: [Int],
                lastResult: FirmwareResult?, maximumUploadBytes: Int) {
        self.state = state; self.status = status; self.source = source; self.packageVersion = packageVersion
        self.runningVersion = runningVersion; self.waitingFor = waitingFor; self.lastResult = lastResult
        self.maximumUploadBytes = maximumUploadBytes
    }

    /// The view of `machine`'s job.
    public static func state(of machine: FirmwareManagement) -> State {
        guard let f = machine.firmware else { return .idle }
        switch f.phase {
        case .waiting: return .scheduled
        case .downloading, .verifying: return .downloading
        case .downloaded: return .waiting
        case .installing: return .installing
        case .restarting: return .restarting
        }
    }
}

/// How a local firmware update ended.
public struct FirmwareResult: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable { case installed, refused, failed }
    public var at: Date
    public var outcome: Outcome
    public var source: String
    public var version: String?
    public var message: String

    public init(at: Date, outcome: Outcome, source: String, version: String?, message: String) {
        self.at = at; self.outcome = outcome; self.source = source; self.version = version; self.message = message
    }
}

/// Why a local package is not taken: another update runs (`conflict`) or the file is not an installable package
/// (`invalid`, with the check's reason).
public struct FirmwareUploadRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable { case conflict, invalid }
    public var kind: Kind
    public var description: String
    public init(_ kind: Kind, _ description: String) { self.kind = kind; self.description = description }
}

/// The upload's size bound.
public enum FirmwareUpload {
    /// Largest package the System page and `POST /api/firmware` accept: 256 MiB. ChargeKit's own package (the static
    /// release binary as a .deb) is some tens of MiB; a whole root file system image for an A/B updater such as RAUC
    /// (issue 23 item 5) may be larger, yet the bound must keep an upload from filling the data partition it is written
    /// to (the station's database lives there too).
    public static let maximumBytes = 256 * 1024 * 1024
}
