import Foundation
import Testing
@testable import Firmware

@Suite("Firmware from the web page and a USB stick (issue 23 items 3–4; seeds/004 §8)")
struct LocalFirmwareTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("a local package starts at Downloaded, waits for the transactions, installs with the same installer, Installed after boot")
    func localUpdate() {
        var m = FirmwareManagement()
        #expect(m.localUpdateRefusal == nil)
        let actions = m.localUpdate(.web, version: "2.0.0", now: t0)
        #expect(actions.count == 3)
        #expect(actions[1] == .notifyFirmware(.downloaded))
        #expect(actions[2] == .holdConnectors(true))
        #expect(m.localSource == .web)
        #expect(m.firmware?.packageVersion == "2.0.0")
        #expect(FirmwareManagement.transferable(m.firmware!.location) == false, "a local job is never downloaded")
        // A transaction runs: nothing happens (OCPP 1.6 §5.19, as for a downloaded package of the backend's).
        #expect(m.tick(now: t0, transactionsRunning: true).isEmpty)
        #expect(m.triggeredFirmwareStatus == .downloaded)
        let install = m.tick(now: t0.addingTimeInterval(1), transactionsRunning: false)
        #expect(install.contains(.install) && install.contains(.notifyFirmware(.installing)))
        #expect(m.installFinished(version: "2.0.0").contains(.restart))
        let booted = m.booted()
        #expect(booted.contains(.notifyFirmware(.installed)) && booted.contains(.firmwareUpdated(version: "2.0.0")))
        #expect(m.firmware == nil)
    }

    @Test("refused with the reason while another update is under way; nothing changes")
    func refusals() {
        var m = FirmwareManagement()
        _ = m.updateFirmware(location: "http://h/fw", retrieveDate: t0.addingTimeInterval(3600), retries: 0, retryIntervalSeconds: 0)
        #expect(m.localUpdateRefusal?.contains("scheduled") == true)
        let before = m
        #expect(m.localUpdate(.usb, version: "2.0.0", now: t0).isEmpty)
        #expect(m == before)

        var local = FirmwareManagement()
        _ = local.localUpdate(.web, version: "2.0.0", now: t0)
        #expect(local.localUpdateRefusal?.contains("uploaded before") == true)
        _ = local.tick(now: t0, transactionsRunning: false)
        #expect(local.localUpdateRefusal == "a firmware installation runs")
    }

    @Test("a failed installation releases the connectors and ends the job (InstallationFailed)")
    func failed() {
        var m = FirmwareManagement()
        _ = m.localUpdate(.usb, version: "2.0.0", now: t0)
        _ = m.tick(now: t0, transactionsRunning: false)
        let actions = m.installFinished(version: nil)
        #expect(actions.contains(.notifyFirmware(.installationFailed)) && actions.contains(.holdConnectors(false)))
        #expect(m.firmware == nil && m.localUpdateRefusal == nil)
    }

    @Test("restored after a crash: a local package installs anew (nothing to download), a backend's starts over")
    func restore() {
        var m = FirmwareManagement()
        _ = m.localUpdate(.web, version: "2.0.0", now: t0)
        _ = m.tick(now: t0, transactionsRunning: false)  // installing when the process died
        let restored = FirmwareManagement(restored: m.firmware)
        #expect(restored.firmware?.phase == .downloaded)
        var backend = FirmwareManagement()
        _ = backend.updateFirmware(location: "http://h/fw", retrieveDate: t0, retries: 0, retryIntervalSeconds: 0)
        _ = backend.tick(now: t0, transactionsRunning: false)
        #expect(FirmwareManagement(restored: backend.firmware).firmware?.phase == .waiting)
    }

    @Test("a package is checked from its header and its payload in pieces, as from the whole bytes")
    func streamingCheck() throws {
        let payload = Array((0..<100_000).map { UInt8($0 % 251) })
        let bytes = FirmwarePackage.make(version: "3.1.4", payload: payload)
        let header = try FirmwarePackage.Header(bytes.prefix(FirmwarePackage.Header.readBytes))
        #expect(header.version == "3.1.4")
        var digest = FirmwarePackage.PayloadDigest()
        var offset = header.payloadOffset
        while offset < bytes.count {
            digest.update(bytes[offset..<min(bytes.count, offset + 4096)])
            offset += 4096
        }
        try header.check(payloadDigest: digest.finalize())
        var other = FirmwarePackage.PayloadDigest()
        other.update(payload.dropLast())
        #expect(throws: FirmwarePackage.Invalid.self) { try header.check(payloadDigest: other.finalize()) }
        #expect(throws: FirmwarePackage.Invalid.self) { try FirmwarePackage.Header(Array("!<arch>\ndebian-binary".utf8)) }
    }

    @Test("a USB stick's files are acted on once per insertion, the logs first; USB_PASSWORD loses only its line end")
    func usbStick() {
        let deb = USBStick.Stamp(file: USBStick.updateFile, bytes: 10, modified: 100)
        let logs = USBStick.Stamp(file: USBStick.fieldEngineerFile, bytes: 0, modified: 100)
        #expect(USBStick.tasks(present: [deb, logs], done: []) == [.writeLogs(logs), .install(deb)])
        #expect(USBStick.tasks(present: [deb, logs], done: [deb, logs]).isEmpty)
        var newer = deb
        newer.modified = 200
        #expect(USBStick.tasks(present: [newer], done: [deb]) == [.install(newer)], "another file under the same name counts")
        #expect(USBStick.password(Array("s3cret pass\r\n".utf8)) == "s3cret pass")
        #expect(USBStick.password(Array("s3cret \n".utf8)) == "s3cret ")
        #expect(USBStick.password([0xEF, 0xBB, 0xBF] + Array("pw".utf8)) == "pw")
    }
}
