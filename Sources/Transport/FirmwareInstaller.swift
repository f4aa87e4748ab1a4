#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StringSupport
import Crypto
import Firmware
import HostServices

/// The one path by which a firmware file is checked and installed, whatever brought it (OCPP UpdateFirmware and
/// SignedUpdateFirmware, the web page's upload, a USB stick): ``check(file:signatureFile:detached:policy:)`` says
/// whether it may be installed and why not; ``install(file:checked:plan:)`` keeps what a rollback needs, writes the
/// pending-update marker and runs the install command. The decisions are the pure ``FirmwareFile`` and
/// ``FirmwareHealthCheck``; this adapter reads files and runs programs (with ``SystemCommand``).
///
/// The install command runs through `/bin/sh -c` with the file as `$1` (a `.deb` as it is — dpkg ignores the
/// signature member after data.tar, deb(5) — or a wrapped package's payload), `FIRMWARE_FILE` and
/// `FIRMWARE_VERSION` in its environment; exit status 0 means installed. The restore command gets the kept previous
/// file the same way (empty: the install command is run on it).
public enum FirmwareInstaller {
    /// Longest time the install or restore command may take.
    public static let commandTimeoutSeconds = 900.0

    /// Whether `file` may be installed under `policy`, and why not. A detached signature comes from `signatureFile`
    /// (nil: `FILE.sig` when it exists) or `detached` (SignedUpdateFirmware's certificate and signature). A `.deb`'s
    /// version, package and architecture are read with `dpkg-deb --field`.
    public static func check(file: String, signatureFile: String? = nil, detached: FirmwareSignature? = nil,
                             policy: FirmwareFile.Policy) async -> Result<FirmwareFile.Checked, FirmwareRefusal> {
        // The size from stat(2), not from FileManager's attributes: their values are UInt64 under FoundationEssentials,
        // and a cast to Int that fails would skip this bound silently.
        guard let size = SystemFile.regularFile(file)?.bytes else {
            return .failure(FirmwareRefusal(.notAPackage, "the file \(file) cannot be read"))
        }
        if size > FirmwareFile.maxBytes {
            return .failure(FirmwareRefusal(.notAPackage, "the file has \(size) bytes (at most \(FirmwareFile.maxBytes))"))
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            return .failure(FirmwareRefusal(.notAPackage, "the file \(file) cannot be read"))
        }
        do {
            let parsed = try FirmwareFile(Array(data))
            var signature = detached
            let sigPath = signatureFile ?? file + ".sig"
            if signature == nil, let sigData = FileManager.default.contents(atPath: sigPath) {
                signature = try FirmwareSignature(text: Array(sigData))
            } else if signature == nil, signatureFile != nil {
                return .failure(FirmwareRefusal(.invalidSignature, "the signature file \(sigPath) cannot be read"))
            }
            var control: [String: String]?
            if parsed.format == .debian {
                switch await debianControl(file) {
                case .success(let fields): control = fields
                case .failure(let refusal): return .failure(refusal)
                }
            }
            return .success(try parsed.verify(control: control, detached: signature, policy: policy))
        } catch let refusal as FirmwareRefusal {
            return .failure(refusal)
        } catch {
            return .failure(FirmwareRefusal(.notAPackage, "\(error)"))
        }
    }

    /// A `.deb`'s Package, Version and Architecture (`dpkg-deb --field`, which reads every compression of control.tar).
    public static func debianControl(_ file: String) async -> Result<[String: String], FirmwareRefusal> {
        do {
            let result = try await SystemCommand("/usr/bin/dpkg-deb", ["--field", file, "Package", "Version", "Architecture"]).run(timeoutSeconds: 60)
            guard result.succeeded else {
                return .failure(FirmwareRefusal(.notAPackage, "dpkg-deb cannot read the package: \(result.stderr.trimmedWhitespaceAndNewlines)"))
            }
            return .success(FirmwareFile.controlFields(result.stdout))
        } catch {
            return .failure(FirmwareRefusal(.notAPackage, "the package's control file cannot be read (dpkg-deb is needed): \(error)"))
        }
    }

    /// How an installation is carried out on this station.
    public struct Plan: Sendable {
        /// `firmware/` in the data directory: the marker, the kept files.
        public var directory: String
        /// The install command (empty: simulation, the version is only recorded).
        public var installCommand: String
        /// The restore command (empty: the install command on the kept previous file).
        public var restoreCommand: String
        /// The version running now (what a rollback returns to).
        public var runningVersion: String
        /// Health check time limit.
        public var healthCheckSeconds: Int
        public var origin: String
        public var now: Date
        public init(directory: String, installCommand: String, restoreCommand: String, runningVersion: String,
                    healthCheckSeconds: Int, origin: String, now: Date) {
            self.directory = directory; self.installCommand = installCommand; self.restoreCommand = restoreCommand
            self.runningVersion = runningVersion; self.healthCheckSeconds = healthCheckSeconds; self.origin = origin; self.now = now
        }
        var markerPath: String { directory.pathAppending("pending-update") }
        /// The file the running version was installed from (kept for the next rollback).
        var installedPath: String { directory.pathAppending("installed.pkg") }
        /// The previous version's file while an update is unconfirmed.
        var previousPath: String { directory.pathAppending("previous.pkg") }
    }

    /// Installs a checked file: keeps the previous version's file, writes the marker (installing), runs the install
    /// command, keeps the new file and marks the update unconfirmed (confirming). The caller restarts the station.
    ///
    /// A previous version can be restored when a restore command is set (RAUC: the other slot), in simulation (only
    /// the version is recorded), or when the station kept the file it installed last (`installed.pkg`). A station whose
    /// running version came from elsewhere (`apt install`, an image) has none: its first update is refused with a
    /// reason rather than installed without a way back (dpkg-repack would rebuild one, but from the files as they are
    /// now, with a maintainer's changes, and needs minutes and space on a small board).
    public static func install(file: String, checked: FirmwareFile.Checked, plan: Plan) async -> Result<PendingFirmwareUpdate, FirmwareRefusal> {
        let fm = FileManager.default
        do { try fm.createDirectory(atPath: plan.directory, withIntermediateDirectories: true) } catch {
            return .failure(FirmwareRefusal(.installFailed, "cannot create \(plan.directory): \(error)"))
        }
        let simulated = plan.installCommand.trimmedWhitespaceAndNewlines.isEmpty
        if !simulated, plan.restoreCommand.trimmedWhitespaceAndNewlines.isEmpty, !fm.fileExists(atPath: plan.installedPath) {
            return .failure(FirmwareRefusal(.noRollback, "no previous version is kept for a rollback (\(plan.installedPath) is missing: the station keeps each package it installs; after an installation by other means, copy that version's package there or set a Firmware restore command)"))
        }
        // The file the install command gets: the .deb itself, or the wrapped package's payload.
        guard let data = fm.contents(atPath: file) else { return .failure(FirmwareRefusal(.installFailed, "the file \(file) is gone")) }
        let bytes = Array(data)
        let staged = plan.directory.pathAppending("staged.pkg")
        guard checked.installBytes.upperBound <= bytes.count,
              writeDurably(staged, Data(bytes[checked.installBytes])) else {
            return .failure(FirmwareRefusal(.installFailed, "cannot write \(staged)"))
        }
        defer { try? fm.removeItem(atPath: staged) }
        if fm.fileExists(atPath: plan.installedPath) {
            try? fm.removeItem(atPath: plan.previousPath)
            do { try fm.copyItem(atPath: plan.installedPath, toPath: plan.previousPath) } catch {
                return .failure(FirmwareRefusal(.noRollback, "cannot keep the previous version's file: \(error)"))
            }
        }
        var marker = PendingFirmwareUpdate(phase: .installing, version: checked.version, previousVersion: plan.runningVersion,
                                           deadline: plan.now.addingTimeInterval(Double(plan.healthCheckSeconds)), origin: plan.origin)
        guard writeMarker(marker, plan) else { return .failure(FirmwareRefusal(.installFailed, "cannot write \(plan.markerPath)")) }
        if !simulated {
            if let failure = await run(plan.installCommand, file: staged, version: checked.version) {
                try? fm.removeItem(atPath: plan.markerPath)
                return .failure(FirmwareRefusal(.installFailed, "the install command \(failure)"))
            }
        }
        try? fm.removeItem(atPath: plan.installedPath)
        try? fm.copyItem(atPath: staged, toPath: plan.installedPath)
        marker.phase = .confirming
        guard writeMarker(marker, plan) else { return .failure(FirmwareRefusal(.installFailed, "cannot write \(plan.markerPath)")) }
        return .success(marker)
    }

    /// Reinstalls the previous version (restore command, else the install command on the kept file; in simulation
    /// nothing runs) and marks the update rolled back with `reason`. The failure, if the restore did not work.
    public static func rollBack(_ pending: PendingFirmwareUpdate, reason: String, plan: Plan) async -> String? {
        var failure: String?
        let restore = plan.restoreCommand.trimmedWhitespaceAndNewlines.isEmpty ? plan.installCommand : plan.restoreCommand
        if !restore.trimmedWhitespaceAndNewlines.isEmpty {
            failure = await run(restore, file: plan.previousPath, version: pending.previousVersion).map { "the restore command \($0)" }
            if failure == nil {
                try? FileManager.default.removeItem(atPath: plan.installedPath)
                try? FileManager.default.copyItem(atPath: plan.previousPath, toPath: plan.installedPath)
            }
        }
        var marker = pending
        marker.phase = .rolledBack
        marker.reason = reason + (failure.map { "; \($0)" } ?? "")
        _ = writeMarker(marker, plan)
        return failure
    }

    /// The marker in `directory`, if any; a marker that cannot be read counts as an interrupted installation.
    public static func pendingUpdate(directory: String, now: Date) -> PendingFirmwareUpdate? {
        let path = directory.pathAppending("pending-update")
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return PendingFirmwareUpdate(text: String(decoding: data, as: UTF8.self))
            ?? PendingFirmwareUpdate(phase: .installing, version: "unknown", previousVersion: "unknown", deadline: now, origin: "unknown")
    }

    /// Persists the marker (write, fsync, rename, fsync of the directory: a kill -9 leaves the old or the new one).
    @discardableResult
    public static func writeMarker(_ marker: PendingFirmwareUpdate, _ plan: Plan) -> Bool {
        writeDurably(plan.markerPath, Data(marker.text.utf8))
    }

    /// Removes the marker (the update is confirmed or its failure reported).
    public static func removeMarker(directory: String) {
        try? FileManager.default.removeItem(atPath: directory.pathAppending("pending-update"))
    }

    static func writeDurably(_ path: String, _ data: Data) -> Bool {
        (try? SystemFile.write(Array(data), to: path, mode: 0o600)) != nil
    }

    /// Runs `command` through `/bin/sh -c` on `file`; the failure, if any.
    static func run(_ command: String, file: String, version: String) async -> String? {
        let line = SystemCommand("/usr/bin/env", ["FIRMWARE_FILE=\(file)", "FIRMWARE_VERSION=\(version)",
                                                   "/bin/sh", "-c", command, "chargekit-firmware-install", file])
        do {
            let result = try await line.run(timeoutSeconds: commandTimeoutSeconds)
            guard result.succeeded else {
                let tail = String(result.stderr.trimmedWhitespaceAndNewlines.suffix(300))
                return "exited with status \(result.status)\(tail.isEmpty ? "" : ": \(tail)")"
            }
            return nil
        } catch {
            return "could not run: \(error)"
        }
    }

    /// Runs the confirm command (RAUC: `rauc status mark-good`); the failure, if any.
    public static func confirm(command: String, version: String) async -> String? {
        guard !command.trimmedWhitespaceAndNewlines.isEmpty else { return nil }
        return await run(command, file: "", version: version).map { "the confirm command \($0)" }
    }
}
