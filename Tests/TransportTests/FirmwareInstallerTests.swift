import Firmware
import Foundation
import Testing
@testable import Transport

/// The installation path's files and commands (issue 23 item 5), with real `/bin/sh` commands in a temporary directory:
/// the kept previous file, the marker's phases, the restore command, and the refusals.
@Suite("Firmware installer: kept files, marker, commands")
struct FirmwareInstallerTests {
    let dir: String
    init() throws {
        dir = NSTemporaryDirectory() + "ck-fw-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    func package(_ version: String) throws -> String {
        let path = dir + "/fw-\(version).ckfw"
        try Data(FirmwarePackage.make(version: version, payload: Array("payload \(version)".utf8))).write(to: URL(fileURLWithPath: path))
        return path
    }

    func checked(_ path: String) async throws -> FirmwareFile.Checked {
        let policy = FirmwareFile.Policy(requireSigned: false, roots: [], architecture: FirmwareFile.buildArchitecture, now: Date())
        return try await FirmwareInstaller.check(file: path, policy: policy).get()
    }

    func plan(install: String, restore: String = "", running: String) -> FirmwareInstaller.Plan {
        FirmwareInstaller.Plan(directory: dir + "/firmware", installCommand: install, restoreCommand: restore, runningVersion: running,
                               healthCheckSeconds: 60, origin: "test", now: Date(timeIntervalSince1970: 1_800_000_000))
    }

    @Test("install keeps the previous file, hands the payload to the command, and leaves the marker confirming; a rollback restores")
    func installAndRollBack() async throws {
        let log = dir + "/log"
        let install = "cat \"$1\" >> \(log); echo \" $FIRMWARE_VERSION\" >> \(log)"
        // No kept file and no restore command: refused, nothing run.
        let first = try await package("1.0")
        let refused = await FirmwareInstaller.install(file: first, checked: try await checked(first), plan: plan(install: install, running: "0.9"))
        guard case .failure(let why) = refused else { Issue.record("expected a refusal"); return }
        #expect(why.kind == .noRollback && !FileManager.default.fileExists(atPath: log))
        // With a restore command the first installation goes ahead.
        let restore = "echo \"restore $FIRMWARE_VERSION from $(cat \"$1\" 2>/dev/null || echo nothing)\" >> \(log)"
        let marker = try await FirmwareInstaller.install(file: first, checked: try await checked(first), plan: plan(install: install, restore: restore, running: "0.9")).get()
        #expect(marker.phase == .confirming && marker.version == "1.0" && marker.previousVersion == "0.9")
        #expect(FirmwareInstaller.pendingUpdate(directory: dir + "/firmware", now: Date()) == marker, "persisted")
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "payload 1.0 1.0\n")
        FirmwareInstaller.removeMarker(directory: dir + "/firmware")
        // The second installation keeps the first one's file: no restore command needed, the install command restores.
        let second = try await package("2.0")
        let pending = try await FirmwareInstaller.install(file: second, checked: try await checked(second), plan: plan(install: install, running: "1.0")).get()
        #expect(try String(contentsOfFile: dir + "/firmware/previous.pkg", encoding: .utf8) == "payload 1.0")
        #expect(try String(contentsOfFile: dir + "/firmware/installed.pkg", encoding: .utf8) == "payload 2.0")
        let failure = await FirmwareInstaller.rollBack(pending, reason: "health check failed", plan: plan(install: install, running: "2.0"))
        #expect(failure == nil)
        #expect(try String(contentsOfFile: log, encoding: .utf8).hasSuffix("payload 2.0 2.0\npayload 1.0 1.0\n"), "the previous file with its version")
        let after = FirmwareInstaller.pendingUpdate(directory: dir + "/firmware", now: Date())
        #expect(after?.phase == .rolledBack && after?.reason == "health check failed")
        #expect(try String(contentsOfFile: dir + "/firmware/installed.pkg", encoding: .utf8) == "payload 1.0")
    }

    @Test("a failing install command removes the marker and says how it failed; a damaged marker counts as an interrupted installation")
    func failures() async throws {
        let file = try await package("3.0")
        let result = await FirmwareInstaller.install(file: file, checked: try await checked(file),
                                                     plan: plan(install: "echo broken >&2; exit 4", restore: "true", running: "2.0"))
        guard case .failure(let why) = result else { Issue.record("expected a failure"); return }
        #expect(why.kind == .installFailed && why.reason == "the install command exited with status 4: broken")
        #expect(FirmwareInstaller.pendingUpdate(directory: dir + "/firmware", now: Date()) == nil)
        try "garbage".write(toFile: dir + "/firmware/pending-update", atomically: true, encoding: .utf8)
        #expect(FirmwareInstaller.pendingUpdate(directory: dir + "/firmware", now: Date())?.phase == .installing)
    }

    @Test("check: a file that is no firmware, and a missing detached signature file, are refused with the reason")
    func checkRefusals() async throws {
        let junk = dir + "/junk"
        try Data("\u{7F}ELF".utf8).write(to: URL(fileURLWithPath: junk))
        let policy = FirmwareFile.Policy(requireSigned: true, roots: [], architecture: "amd64", now: Date())
        guard case .failure(let notAPackage) = await FirmwareInstaller.check(file: junk, policy: policy) else { Issue.record("accepted"); return }
        #expect(notAPackage.kind == .notAPackage)
        let file = try await package("1.0")
        guard case .failure(let unsigned) = await FirmwareInstaller.check(file: file, policy: policy) else { Issue.record("accepted"); return }
        #expect(unsigned.kind == .unsigned)
        guard case .failure(let missing) = await FirmwareInstaller.check(file: file, signatureFile: dir + "/none.sig", policy: policy) else { Issue.record("accepted"); return }
        #expect(missing.reason.contains("cannot be read"))
    }
}
