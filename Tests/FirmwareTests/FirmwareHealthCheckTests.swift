import Foundation
import Testing
@testable import Firmware

/// The health check after a firmware update (issue 23 item 5): the decisions at every start and while the new version
/// runs, with time injected.
@Suite("Firmware health check and rollback decisions")
struct FirmwareHealthCheckTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func marker(_ phase: PendingFirmwareUpdate.Phase = .confirming, starts: Int = 0) -> PendingFirmwareUpdate {
        PendingFirmwareUpdate(phase: phase, version: "2.0", previousVersion: "1.0", deadline: t0 + 300, starts: starts, origin: "ocpp")
    }

    @Test("the marker's text round-trips; a line break in a reason cannot forge a field")
    func markerText() {
        var m = marker()
        m.reason = "bad\nphase=confirming"
        let back = PendingFirmwareUpdate(text: m.text)
        #expect(back?.reason == "bad phase=confirming" && back?.phase == .confirming && back?.deadline == t0 + 300)
        #expect(PendingFirmwareUpdate(text: "phase=confirming\nversion=2.0\n") == nil, "a damaged marker is no marker")
    }

    @Test("at start: each start of the unconfirmed version counts; too many starts or a passed deadline roll back")
    func atStart() {
        guard case .check(let next) = FirmwareHealthCheck.atStart(marker(), now: t0) else { Issue.record("expected check"); return }
        #expect(next.starts == 1)
        #expect(FirmwareHealthCheck.atStart(marker(starts: FirmwareHealthCheck.maxStarts), now: t0)
                == .rollBack(reason: "version 2.0 started 3 times without passing its health check"), "a version that crashes at start")
        #expect(FirmwareHealthCheck.atStart(marker(), now: t0 + 301) == .rollBack(reason: "version 2.0 was not confirmed by its deadline"))
        #expect(FirmwareHealthCheck.atStart(marker(.installing), now: t0) == .rollBack(reason: "the installation of 2.0 was interrupted"))
        var rolled = marker(.rolledBack)
        rolled.reason = "why"
        #expect(FirmwareHealthCheck.atStart(rolled, now: t0) == .reportRollback(reason: "why"))
    }

    @Test("while running: confirmed once the board answers and the backend accepted the boot; rolled back at the deadline naming what failed")
    func evaluate() {
        let m = marker()
        let healthy = FirmwareHealthCheck.Health(boardAnswers: true, backendConfigured: true, bootAccepted: true)
        #expect(FirmwareHealthCheck.evaluate(m, health: healthy, now: t0) == .confirm)
        #expect(FirmwareHealthCheck.evaluate(m, health: .init(boardAnswers: true, backendConfigured: false, bootAccepted: false), now: t0) == .confirm,
                "without a backend the boot is not part of the check")
        let rejected = FirmwareHealthCheck.Health(boardAnswers: true, backendConfigured: true, bootAccepted: false, bootStatus: "Rejected")
        #expect(FirmwareHealthCheck.evaluate(m, health: rejected, now: t0 + 299) == .wait)
        #expect(FirmwareHealthCheck.evaluate(m, health: rejected, now: t0 + 300)
                == .rollBack(reason: "version 2.0 failed its health check: the backend did not accept the BootNotification (Rejected)"))
        let silent = FirmwareHealthCheck.Health(boardAnswers: false, backendConfigured: false, bootAccepted: false)
        #expect(FirmwareHealthCheck.evaluate(m, health: silent, now: t0 + 400) == .rollBack(reason: "version 2.0 failed its health check: the board did not answer"))
        #expect(FirmwareHealthCheck.evaluate(marker(.rolledBack), health: silent, now: t0 + 400) == .wait)
    }

    @Test("OCPP 1.6 §4.5: a rollback after the restart ends the update InstallationFailed, with the requestId of a signed one")
    func rolledBackReported() {
        var m = FirmwareManagement(restored: FirmwareUpdateJob(location: "http://x", phase: .restarting, nextAttemptAt: t0, attemptsLeft: 0,
                                                               retryIntervalSeconds: 0, installedVersion: "2.0"))
        #expect(m.rolledBack() == [.persist(nil), .notifyFirmware(.installationFailed)])
        #expect(m.rolledBack().isEmpty && m.firmware == nil)
        var job = FirmwareUpdateJob(location: "http://x", phase: .restarting, nextAttemptAt: t0, attemptsLeft: 0, retryIntervalSeconds: 0)
        job.requestId = 9
        var signed = FirmwareManagement(restored: job)
        #expect(signed.rolledBack() == [.persist(nil), .notifySignedFirmware(.installationFailed, requestId: 9)])
    }
}
