#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A firmware package that is already on the station — uploaded on the System page (seeds/004 §8 "Handmatig met
/// Computer en USB-kabel": Systeem → Firmware Update; seeds/000 "Firmwareaktualisierung") or found on a USB stick
/// (seeds/004 §8 "Met USB-stick") — goes through the same machine as UpdateFirmware: it starts where a download
/// ends (Downloaded), waits until no transaction runs with the idle connectors held, installs with the same installer
/// and restarts; the backend, when there is one, hears the same FirmwareStatusNotifications (OCPP 1.6 §4.5). There is
/// no download and no retry: the file is there, or the update is refused before it is taken.
extension FirmwareManagement {
    /// Where a local package came from; its job's `location` is `local:<source>`.
    public enum LocalSource: String, Sendable, Codable, CaseIterable {
        /// The System page or `POST /api/firmware`.
        case web
        /// A USB stick's `sw_update.deb`.
        case usb
    }

    /// The `location` a local job carries (never a URL: ``transferable(_:)`` refuses it).
    public static func localLocation(_ source: LocalSource) -> String { "local:\(source.rawValue)" }

    /// The source of the running job when it is a local one.
    public var localSource: LocalSource? {
        guard let location = firmware?.location, location.hasPrefix("local:") else { return nil }
        return LocalSource(rawValue: String(location.dropFirst("local:".count)))
    }

    /// Why a local package cannot be taken now, or nil. An update of the backend's that has been accepted is never
    /// replaced from the station's side: the backend waits for its statuses (a scheduled one, too: its retrieveDate is
    /// the backend's promise), and two packages would share the one firmware file.
    public var localUpdateRefusal: String? {
        guard let f = firmware else { return nil }
        let local = localSource != nil
        switch f.phase {
        case .waiting:
            return "a firmware update from the backend is scheduled (download from \(f.location)); try again after it has ended"
        case .downloading, .verifying:
            return "a firmware update from the backend is being downloaded; try again after it has ended"
        case .downloaded:
            return local ? "a firmware package uploaded before waits to be installed (it installs once no transaction runs)"
                : "a firmware update from the backend waits to be installed; try again after it has ended"
        case .installing, .restarting:
            return "a firmware installation runs"
        }
    }

    /// A local package of `version` was checked and put where a download would have put it: it is installed once no
    /// transaction runs (the next ``tick(now:transactionsRunning:)``). Call only when ``localUpdateRefusal`` is nil;
    /// otherwise nothing changes.
    public mutating func localUpdate(_ source: LocalSource, version: String, now: Date) -> [Action] {
        guard localUpdateRefusal == nil else { return [] }
        var job = FirmwareUpdateJob(location: Self.localLocation(source), phase: .downloaded, nextAttemptAt: now, attemptsLeft: 0,
                                    retryIntervalSeconds: 0)
        job.packageVersion = version
        firmware = job
        return [.persist(job), notify(.downloaded, job), .holdConnectors(true)]
    }
}
