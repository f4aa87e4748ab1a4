import Foundation
import Testing
@testable import Firmware

@Suite("Firmware management (OCPP 1.6 §5.9, §5.19)")
struct FirmwareManagementTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("SHA-256 matches the FIPS 180-4 examples")
    func sha256() {
        #expect(FirmwarePackage.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(FirmwarePackage.sha256Hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(FirmwarePackage.sha256Hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(FirmwarePackage.sha256Hex([UInt8](repeating: 0x61, count: 1_000_000)) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("a package round-trips; other files, damaged payloads and missing versions are refused with the reason")
    func package() throws {
        let bytes = FirmwarePackage.make(version: "2.1.0", payload: Array("payload\n\nwith blank lines".utf8))
        let p = try FirmwarePackage(bytes)
        #expect(p.version == "2.1.0")
        #expect(String(decoding: p.payload, as: UTF8.self) == "payload\n\nwith blank lines")
        #expect(throws: FirmwarePackage.Invalid.self) { try FirmwarePackage(Array("\u{7f}ELF binary".utf8)) }
        var damaged = bytes
        damaged[damaged.count - 1] ^= 1
        #expect { try FirmwarePackage(damaged) } throws: { ($0 as? FirmwarePackage.Invalid)?.description.contains("damaged") == true }
        let noVersion = Array("CHARGEKIT-FIRMWARE/1\nsha256: \(FirmwarePackage.sha256Hex([UInt8]()))\n\n".utf8)
        #expect { try FirmwarePackage(noVersion) } throws: { ($0 as? FirmwarePackage.Invalid)?.description.contains("version") == true }
    }

    @Test("update: waits for retrieveDate, retries downloads, installs only when no transaction runs, Installed after boot")
    func update() {
        var m = FirmwareManagement()
        let start = t0.addingTimeInterval(100)
        #expect(m.updateFirmware(location: "ftp://h/fw", retrieveDate: start, retries: 1, retryIntervalSeconds: 30).count == 1)
        #expect(m.tick(now: t0, transactionsRunning: false).isEmpty)
        #expect(m.tick(now: start, transactionsRunning: false) == [.notifyFirmware(.downloading), .download(location: "ftp://h/fw")])
        #expect(m.triggeredFirmwareStatus == .downloading)
        // First attempt fails: silent retry after the interval.
        #expect(m.downloadFinished(success: false, now: start.addingTimeInterval(5)).allSatisfy { if case .persist = $0 { true } else { false } })
        #expect(m.tick(now: start.addingTimeInterval(34), transactionsRunning: false).isEmpty)
        #expect(m.tick(now: start.addingTimeInterval(35), transactionsRunning: false).contains(.notifyFirmware(.downloading)))
        let downloaded = m.downloadFinished(success: true, now: start.addingTimeInterval(40))
        #expect(downloaded.contains(.notifyFirmware(.downloaded)) && downloaded.contains(.holdConnectors(true)))
        #expect(m.tick(now: start.addingTimeInterval(41), transactionsRunning: true).isEmpty, "a running transaction delays the installation")
        #expect(m.tick(now: start.addingTimeInterval(42), transactionsRunning: false).suffix(2) == [.notifyFirmware(.installing), .install])
        // A new request does not interrupt an installation.
        #expect(m.updateFirmware(location: "ftp://h/other", retrieveDate: start, retries: nil, retryIntervalSeconds: nil).isEmpty)
        #expect(m.installFinished(version: "2.0").last == .restart)
        // After the restart the persisted job reports Installed once the backend accepted the boot.
        var restarted = FirmwareManagement(restored: m.firmware)
        #expect(restarted.triggeredFirmwareStatus == .installing)
        #expect(restarted.booted().suffix(2) == [.notifyFirmware(.installed), .firmwareUpdated(version: "2.0")])
        #expect(restarted.firmware == nil)
        #expect(restarted.booted().isEmpty)
    }

    @Test("download and installation failures end with DownloadFailed / InstallationFailed and release the connectors")
    func failures() {
        var m = FirmwareManagement()
        _ = m.updateFirmware(location: "ftp://h/fw", retrieveDate: t0, retries: 0, retryIntervalSeconds: nil)
        _ = m.tick(now: t0, transactionsRunning: false)
        #expect(m.downloadFinished(success: false, now: t0).last == .notifyFirmware(.downloadFailed))
        #expect(m.firmware == nil)
        _ = m.updateFirmware(location: "ftp://h/fw", retrieveDate: t0, retries: 0, retryIntervalSeconds: nil)
        _ = m.tick(now: t0, transactionsRunning: false)
        _ = m.downloadFinished(success: true, now: t0)
        _ = m.tick(now: t0, transactionsRunning: false)
        #expect(m.installFinished(version: nil).suffix(2) == [.notifyFirmware(.installationFailed), .holdConnectors(false)])
    }

    @Test("diagnostics: one upload at a time, retries, then Uploaded or UploadFailed; triggered status is Idle between")
    func diagnostics() {
        var m = FirmwareManagement()
        #expect(m.triggeredDiagnosticsStatus == .idle)
        #expect(m.getDiagnostics(location: "ftp://h/", fileName: "d.tar.gz", startTime: nil, stopTime: nil, retries: 1,
                                 retryIntervalSeconds: 10, now: t0) == "d.tar.gz")
        #expect(m.tick(now: t0, transactionsRunning: false).first == .notifyDiagnostics(.uploading))
        #expect(m.getDiagnostics(location: "ftp://h/", fileName: "e.tar.gz", startTime: nil, stopTime: nil, retries: nil,
                                 retryIntervalSeconds: nil, now: t0) == nil)
        #expect(m.uploadFinished(success: false, now: t0).isEmpty)
        #expect(m.tick(now: t0.addingTimeInterval(9), transactionsRunning: false).isEmpty)
        #expect(m.tick(now: t0.addingTimeInterval(10), transactionsRunning: false).count == 2)
        #expect(m.uploadFinished(success: false, now: t0) == [.notifyDiagnostics(.uploadFailed)])
        #expect(m.triggeredDiagnosticsStatus == .idle)
    }
}
