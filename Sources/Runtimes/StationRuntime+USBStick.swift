#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import HostServices
import StringSupport
import Logging
import ChargePoint
import EVSECore
import Firmware
import Hosting
import Persistence
import Transport

/// The USB stick (seeds/004 §8 "Met USB-stick", "USB-stick functies"; issue 23 item 4): the directory the package's
/// udev rule mounts a stick on (parameter UsbMountDirectory) is looked at every ``usbPollInterval``; a stick's
/// `sw_update.deb` goes through ``installFirmware(from:source:by:)`` like an upload, `FIELD_ENGINEER` receives the
/// diagnostics archive, both only with the operator's password in `USB_PASSWORD` and with UsbFirmwareUpdate On. What
/// was done is written back to the stick (``USBStick/reportFile``) and to the event log.
extension StationRuntime {
    /// A look at one directory costs two `stat` calls; two seconds is well under the time it takes to read a LED.
    static var usbPollInterval: Duration { .seconds(2) }
    /// Where the stamps of the files acted on for the stick in the slot are kept (cleared when the stick is out).
    static var usbDoneKey: String { "usb.done" }

    /// Looks at the stick directory until cancelled (a child task of the station's services).
    package nonisolated func watchUSBSticks() async {
        while !Task.isCancelled {
            await pollUSBStick()
            try? await Task.sleep(for: Self.usbPollInterval)
        }
    }

    /// One look: acts on each file of the stick not acted on since it was inserted.
    package nonisolated func pollUSBStick() async {
        let (enabled, directory) = await usbSettings()
        let present = [USBStick.fieldEngineerFile, USBStick.updateFile].compactMap { Self.stamp(directory, $0) }
        let done = await usbDone()
        guard !present.isEmpty else {
            if !done.isEmpty { await setUSBDone([]) }  // taken out: the next insertion counts again
            return
        }
        let tasks = USBStick.tasks(present: present, done: done)
        guard !tasks.isEmpty else { return }
        // Remembered before anything is done: an installation restarts the station with the stick still in.
        await setUSBDone(Array(Set(done + present)))
        let refusal: String?
        if !enabled {
            refusal = "refused: the station's USB stick functions are off (parameter UsbFirmwareUpdate)"
        } else if let password = Self.readPassword(directory) {
            let matches = await localFirmware.operatorPassword?(password) ?? false
            refusal = matches ? nil : "refused: \(USBStick.passwordFile) is not the operator's current password"
        } else {
            refusal = "refused: the stick has no \(USBStick.passwordFile) file with the operator's password"
        }
        for task in tasks {
            let (file, outcome): (String, String)
            switch task {
            case .writeLogs(let s): (file, outcome) = (s.file, refusal == nil ? await writeLogs(to: directory) : refusal!)
            case .install(let s): (file, outcome) = (s.file, refusal == nil ? await installFromStick(directory, s) : refusal!)
            }
            Self.appendReport(directory, "\(Self.reportTime(Date())) \(file): \(outcome)")
            await recordUSBOutcome(file: file, outcome: outcome)
        }
    }

    private func usbSettings() -> (Bool, String) {
        (parameterService.values[.usbFirmwareUpdate], parameterService.values[.usbMountDirectory])
    }

    private func usbDone() -> [USBStick.Stamp] {
        guard let text = try? database.meta(Self.usbDoneKey), let done = try? JSONDecoder().decode([USBStick.Stamp].self, from: Data(text.utf8))
        else { return [] }
        return done
    }

    private func setUSBDone(_ done: [USBStick.Stamp]) {
        let text = (try? JSONEncoder().encode(done)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        do { try database.setMeta(Self.usbDoneKey, text) } catch { logger.error("remembering the USB stick's files failed: \(error)") }
    }

    private func recordUSBOutcome(file: String, outcome: String) {
        recordEvent(EventLogEntry(at: clock.now(), kind: .systemAction, connector: 0, code: "usbStick", message: "USB stick \(file): \(outcome)"))
    }

    /// Copies the stick's package into the firmware directory (the stick may be pulled while it installs) and hands it
    /// over like an upload.
    private nonisolated func installFromStick(_ directory: String, _ stamp: USBStick.Stamp) async -> String {
        guard stamp.bytes <= FirmwareUpload.maximumBytes else {
            return "refused: the package has \(stamp.bytes) bytes, more than the \(FirmwareUpload.maximumBytes) bytes allowed"
        }
        let path: String
        do {
            path = try await firmwareUploadFile()
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.copyItem(atPath: directory.pathAppending(stamp.file), toPath: path)
        } catch {
            return "failed: the package cannot be copied from the stick: \(error)"
        }
        do {
            let view = try await installFirmware(from: path, source: .usb, by: "usb")
            return "accepted: firmware \(view.packageVersion ?? "?") installs once no transaction runs, then the station restarts"
        } catch {
            return "refused: \(error.description)"
        }
    }

    /// FIELD_ENGINEER: the diagnostics archive (the log files and the status, as GetDiagnostics uploads it).
    private func writeLogs(to directory: String) -> String {
        let identity = controller.settings.chargeBoxIdentity.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }
        let name = "chargekit-logs-\(String(identity))-\(Self.reportTime(clock.now()).filter { $0 != ":" }).tar.gz"
        do {
            let archive = try diagnosticsArchive(from: nil, to: nil)
            let url = URL(fileURLWithPath: directory.pathAppending(name))
            try Data(archive).write(to: url)
            return "written: \(name) (\(archive.count) bytes)"
        } catch {
            return "failed: the log files cannot be written to the stick: \(error)"
        }
    }

    static func stamp(_ directory: String, _ file: String) -> USBStick.Stamp? {
        let path = directory.pathAppending(file)
        guard let s = SystemFile.regularFile(path) else { return nil }
        return USBStick.Stamp(file: file, bytes: s.bytes, modified: s.modifiedSecondsSince1970)
    }

    static func readPassword(_ directory: String) -> String? {
        guard let data = try? SystemFile.read(directory.pathAppending(USBStick.passwordFile), maxBytes: USBStick.maximumPasswordBytes) else { return nil }
        return USBStick.password(data)
    }

    /// Appends one line to the stick's report (at most the last 64 KiB are kept).
    static func appendReport(_ directory: String, _ line: String) {
        let path = directory.pathAppending(USBStick.reportFile)
        var text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        text += line + "\r\n"
        if text.utf8.count > 64 * 1024 { text = String(text.suffix(32 * 1024)) }
        try? Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func reportTime(_ date: Date) -> String {
        Date.ISO8601FormatStyle().format(date)
    }
}
