import Foundation
import Firmware

/// Checks a downloaded firmware package (its header and SHA-256, ``FirmwarePackage``) and installs it: with an install
/// command, by running it through `/bin/sh` on the payload (as `$1`, with `FIRMWARE_VERSION` and `FIRMWARE_FILE` in its
/// environment); without one (simulation), by returning the version to record. Nothing is run for a package that does
/// not check out.
public enum FirmwareInstaller {
    public static func install(package path: String, payloadPath: String, command: String) -> Result<String, FileTransferError> {
        guard let bytes = FileManager.default.contents(atPath: path) else { return .failure(FileTransferError("the downloaded package is gone")) }
        let package: FirmwarePackage
        do { package = try FirmwarePackage(Array(bytes)) } catch { return .failure(FileTransferError(error.description)) }
        guard !command.isEmpty else { return .success(package.version) }
        guard FileManager.default.createFile(atPath: payloadPath, contents: Data(package.payload)) else {
            return .failure(FileTransferError("cannot write \(payloadPath)"))
        }
        defer { try? FileManager.default.removeItem(atPath: payloadPath) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command, "chargekit-firmware-install", payloadPath]
        process.environment = ProcessInfo.processInfo.environment.merging(["FIRMWARE_VERSION": package.version, "FIRMWARE_FILE": payloadPath]) { $1 }
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            return .failure(FileTransferError("cannot run the install command: \(error)"))
        }
        guard process.terminationStatus == 0 else {
            return .failure(FileTransferError("the install command exited with status \(process.terminationStatus)"))
        }
        return .success(package.version)
    }
}
