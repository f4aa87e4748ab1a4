import Foundation
import Testing
@testable import Firmware

/// The security extension on the firmware machine (OCPP 1.6 security whitepaper ed. 3): SignedUpdateFirmware (L01)
/// and GetLog (N01).
@Suite("Signed firmware and GetLog on the firmware machine")
struct SignedFirmwareAndLogTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func signed(_ m: inout FirmwareManagement, requestId: Int = 7, at: Date? = nil, installAt: Date? = nil) -> (FirmwareManagement.SignedUpdateOutcome, [FirmwareManagement.Action]) {
        m.signedUpdateFirmware(requestId: requestId, location: "http://x/fw", retrieveDate: at ?? t0, installDate: installAt,
                               signingCertificate: "CERT", signature: "SIG", retries: 0, retryIntervalSeconds: 0, now: t0)
    }

    @Test("whitepaper L01 (TC_080): Downloading, Downloaded, verify, SignatureVerified, Installing, InstallRebooting, Installed, FirmwareUpdated; every status with the requestId")
    func whitepaper_L01_TC_080_sequence() {
        var m = FirmwareManagement()
        let (outcome, first) = signed(&m)
        #expect(outcome == .accepted)
        #expect(first.count == 1, "persisted; retrieveDateTime is now, so no DownloadScheduled")
        #expect(m.tick(now: t0, transactionsRunning: false) == [.notifySignedFirmware(.downloading, requestId: 7), .download(location: "http://x/fw")])
        let downloaded = m.downloadFinished(success: true, now: t0)
        #expect(downloaded.contains(.notifySignedFirmware(.downloaded, requestId: 7)))
        #expect(downloaded.contains(.verifySignature(signingCertificate: "CERT", signature: "SIG")))
        #expect(!downloaded.contains(.holdConnectors(true)), "nothing is prepared for installation before the signature is verified")
        #expect(m.tick(now: t0, transactionsRunning: false).isEmpty, "no installation while verifying")
        let verified = m.signatureChecked(valid: true, now: t0)
        #expect(verified.contains(.notifySignedFirmware(.signatureVerified, requestId: 7)))
        #expect(verified.contains(.holdConnectors(true)))
        #expect(m.tick(now: t0, transactionsRunning: false).contains(.install))
        let installed = m.installFinished(version: "2.0")
        #expect(installed.contains(.notifySignedFirmware(.installRebooting, requestId: 7)) && installed.contains(.restart))
        #expect(m.booted() == [.persist(nil), .notifySignedFirmware(.installed, requestId: 7), .firmwareUpdated(version: "2.0")])
    }

    @Test("whitepaper L01.FR.05 (TC_081): an invalid signature ends with InvalidSignature and nothing installed")
    func whitepaper_L01_FR_05_invalidSignature() {
        var m = FirmwareManagement()
        _ = signed(&m)
        _ = m.tick(now: t0, transactionsRunning: false)
        _ = m.downloadFinished(success: true, now: t0)
        #expect(m.signatureChecked(valid: false, now: t0) == [.persist(nil), .notifySignedFirmware(.invalidSignature, requestId: 7), .signatureRejected])
        #expect(m.firmware == nil)
        #expect(m.tick(now: t0 + 10, transactionsRunning: false).isEmpty)
    }

    @Test("whitepaper L01: DownloadScheduled and InstallScheduled for times ahead; no installation before installDateTime")
    func whitepaper_L01_scheduled() {
        var m = FirmwareManagement()
        let (_, actions) = signed(&m, at: t0 + 60, installAt: t0 + 600)
        #expect(actions.contains(.notifySignedFirmware(.downloadScheduled, requestId: 7)))
        _ = m.tick(now: t0 + 60, transactionsRunning: false)
        _ = m.downloadFinished(success: true, now: t0 + 61)
        #expect(m.signatureChecked(valid: true, now: t0 + 62).contains(.notifySignedFirmware(.installScheduled, requestId: 7)))
        #expect(!m.tick(now: t0 + 100, transactionsRunning: false).contains(.install))
        #expect(m.tick(now: t0 + 600, transactionsRunning: false).contains(.install))
    }

    @Test("whitepaper L01: a new request cancels a waiting or downloading update (AcceptedCanceled), not an installing one (Rejected)")
    func whitepaper_L01_acceptedCanceled() {
        var m = FirmwareManagement()
        _ = signed(&m, requestId: 1)
        _ = m.tick(now: t0, transactionsRunning: false)
        #expect(signed(&m, requestId: 2).0 == .acceptedCanceled)
        #expect(m.firmware?.requestId == 2)
        #expect(m.downloadFinished(success: true, now: t0).isEmpty, "the cancelled download's end is not the new update's")
        _ = m.tick(now: t0, transactionsRunning: false)
        _ = m.downloadFinished(success: true, now: t0)
        _ = m.signatureChecked(valid: true, now: t0)
        _ = m.tick(now: t0, transactionsRunning: false)
        #expect(signed(&m, requestId: 3).0 == .rejected)
        #expect(m.firmware?.requestId == 2)
    }

    @Test("a signed job survives the restart that installs it (persisted with its requestId and signature)")
    func signedJobPersists() throws {
        var m = FirmwareManagement()
        _ = signed(&m)
        let data = try JSONEncoder().encode(m.firmware)
        let restored = try JSONDecoder().decode(FirmwareUpdateJob.self, from: data)
        #expect(restored.requestId == 7 && restored.signature == "SIG" && restored.signingCertificate == "CERT")
        // A job stored by an earlier version (no signed fields) still reads.
        let old = #"{"location":"x","phase":"waiting","nextAttemptAt":0,"attemptsLeft":1,"retryIntervalSeconds":0}"#
        #expect(try JSONDecoder().decode(FirmwareUpdateJob.self, from: Data(old.utf8)).requestId == nil)
    }

    @Test("whitepaper N01 (TC_079): GetLog uploads one file, Uploading then Uploaded with the requestId; retries like GetDiagnostics")
    func whitepaper_N01_TC_079_getLog() {
        var m = FirmwareManagement()
        #expect(m.logStatus.status == .idle && m.logStatus.requestId == nil)
        let (canceled, _) = m.getLog(.security, requestId: 5, location: "ftp://x/", fileName: "f.csv", oldest: nil, latest: nil, retries: 1,
                                     retryIntervalSeconds: 10, now: t0)
        #expect(!canceled)
        #expect(m.tick(now: t0, transactionsRunning: false) == [
            .notifyLog(.uploading, requestId: 5),
            .uploadLog(.security, location: "ftp://x/", fileName: "f.csv", oldest: nil, latest: nil, requestId: 5)])
        #expect(m.logStatus.status == .uploading && m.logStatus.requestId == 5)
        #expect(m.logUploadFinished(requestId: 5, success: false, now: t0).isEmpty, "one retry left")
        #expect(m.tick(now: t0 + 5, transactionsRunning: false).isEmpty)
        #expect(m.tick(now: t0 + 10, transactionsRunning: false).count == 2)
        #expect(m.logUploadFinished(requestId: 5, success: false, now: t0 + 11) == [.notifyLog(.uploadFailure, requestId: 5)])
        #expect(m.logStatus.status == .idle)
    }

    @Test("whitepaper N01.FR.06: a GetLog during an upload cancels it (AcceptedCanceled); the old upload's end is ignored")
    func whitepaper_N01_acceptedCanceled() {
        var m = FirmwareManagement()
        _ = m.getLog(.security, requestId: 1, location: "ftp://x/", fileName: "a", oldest: nil, latest: nil, retries: 0, retryIntervalSeconds: 0, now: t0)
        _ = m.tick(now: t0, transactionsRunning: false)
        let (canceled, _) = m.getLog(.diagnostics, requestId: 2, location: "ftp://x/", fileName: "b", oldest: nil, latest: nil, retries: 0,
                                     retryIntervalSeconds: 0, now: t0)
        #expect(canceled)
        #expect(m.logUploadFinished(requestId: 1, success: true, now: t0).isEmpty)
        #expect(m.tick(now: t0, transactionsRunning: false).first == .notifyLog(.uploading, requestId: 2))
        #expect(m.logUploadFinished(requestId: 2, success: true, now: t0) == [.notifyLog(.uploaded, requestId: 2)])
    }
}
