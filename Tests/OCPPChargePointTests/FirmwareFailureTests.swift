import Foundation
import Testing
import ChargePoint
import EVSECore
import Firmware
import OCPP16
import Persistence

/// The OCTT charge-point cases of the FirmwareManagement profile that Tests/Interop/ocpp16/test_firmware.py runs
/// against the binary with real FTP and HTTP servers (OCPP 1.6 §5.9, §5.19, §4.4–4.5); here the transfers are the
/// runtime's and their outcome is handed to the pure charge point (``OCPPChargePoint/Event/downloadFinished(success:)``,
/// ``OCPPChargePoint/Event/uploadFinished(success:)``, ``OCPPChargePoint/Event/installFinished(version:)``).
@Suite("OCTT FirmwareManagement profile, failures, in process")
struct FirmwareFailureTests {
    typealias H = ChargePointHarness

    private func firmwareStatuses(_ h: H, since mark: Int) -> [String] {
        h.calls(FirmwareStatusNotificationRequest.action, since: mark).compactMap { if case .string(let s) = $0["status"] { s } else { nil } }
    }

    private func diagnosticsStatuses(_ h: H, since mark: Int) -> [String] {
        h.calls(DiagnosticsStatusNotificationRequest.action, since: mark).compactMap { if case .string(let s) = $0["status"] { s } else { nil } }
    }

    private func downloads(_ h: H) -> Int { h.actions.filter { if case .download = $0 { true } else { false } }.count }

    @Test("TC_044_2 a download that fails with one retry: two attempts, Downloading each, then one DownloadFailed; no restart")
    func TC_044_2() throws {
        var h = try H()
        h.connect()
        let mark = h.mark
        _ = try h.call(UpdateFirmwareRequest(location: "ftp://files.invalid/download_fail.fwi", retries: 1, retrieveDate: h.now, retryInterval: 1))
        h.run(0.5)
        #expect(downloads(h) == 1)
        h.event(.downloadFinished(success: false))
        h.run(0.5)
        #expect(downloads(h) == 1, "not before the retry interval")
        h.run(1)
        #expect(downloads(h) == 2)
        h.event(.downloadFinished(success: false))
        h.run(3)
        #expect(downloads(h) == 2, "no third attempt")
        #expect(firmwareStatuses(h, since: mark) == ["Downloading", "Downloading", "DownloadFailed"])
        #expect(!h.actions.contains(.install))
        #expect(!h.callNames(since: mark).contains(BootNotificationRequest.action))
        #expect(try h.db.firmwareJob() == nil, "nothing left for the next restart")
    }

    @Test("TC_044_3 an installation that fails: InstallationFailed, no restart, the connectors available again")
    func TC_044_3() throws {
        var h = try H()
        h.connect()
        let mark = h.mark
        _ = try h.call(UpdateFirmwareRequest(location: "http://files.invalid/broken.fwi", retries: 0, retrieveDate: h.now))
        h.run(0.5)
        #expect(downloads(h) == 1)
        h.event(.downloadFinished(success: true))
        h.run(0.5)
        #expect(h.actions.contains(.install))
        h.event(.installFinished(version: nil))
        h.run(1)
        #expect(firmwareStatuses(h, since: mark) == ["Downloading", "Downloaded", "Installing", "InstallationFailed"])
        #expect(!h.actions.contains { if case .restartServices = $0 { true } else { false } })
        #expect(!h.callNames(since: mark).contains(BootNotificationRequest.action))
        for n in 1...2 { #expect(h.statuses(n).last == "Available", "connector \(n)") }
        #expect(try h.db.firmwareJob() == nil)
    }

    @Test("TC_045_2 a diagnostics upload that fails without retries: the file name is answered, Uploading, UploadFailed")
    func TC_045_2() throws {
        var h = try H()
        h.connect()
        let mark = h.mark
        let name = try h.call(GetDiagnosticsRequest(location: "ftp://127.0.0.1:1/diagnostics/", retries: 0)).fileName
        #expect(name?.isEmpty == false)
        h.run(0.5)
        #expect(h.actions.contains { if case .upload(_, let file, _, _) = $0 { file == name } else { false } })
        h.event(.uploadFinished(success: false))
        h.run(3)
        #expect(diagnosticsStatuses(h, since: mark) == ["Uploading", "UploadFailed"])
        #expect(h.actions.filter { if case .upload = $0 { true } else { false } }.count == 1, "no retry")
    }
}
