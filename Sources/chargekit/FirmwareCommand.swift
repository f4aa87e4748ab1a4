import ArgumentParser
import Firmware
import Foundation

/// `chargekit firmware` — builds and checks firmware packages for UpdateFirmware.
struct FirmwareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "firmware",
        abstract: "Build or check ChargeKit firmware packages (what OCPP UpdateFirmware downloads and installs).",
        subcommands: [Pack.self, Check.self])

    struct Pack: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Wrap a payload (the file the install command receives) into a package with its version and SHA-256.")
        @Option(help: "The release version the package installs (reported in BootNotification.firmwareVersion).") var version: String
        @Argument(help: "The payload file.") var payload: String
        @Option(name: .shortAndLong, help: "The package file to write.") var output: String

        func run() throws {
            guard (1...50).contains(version.count) else { throw fail("--version must have 1 to 50 characters") }
            guard let bytes = FileManager.default.contents(atPath: payload) else { throw fail("cannot read \(payload)") }
            let package = FirmwarePackage.make(version: version, payload: Array(bytes))
            guard FileManager.default.createFile(atPath: output, contents: Data(package)) else { throw fail("cannot write \(output)") }
            print("\(output): ChargeKit firmware \(version), \(bytes.count) bytes of payload")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a package as the station's installer does.")
        @Argument(help: "The package file.") var package: String

        func run() throws {
            guard let bytes = FileManager.default.contents(atPath: package) else { throw fail("cannot read \(package)") }
            do {
                let p = try FirmwarePackage(Array(bytes))
                print("\(package): ChargeKit firmware \(p.version), \(p.payload.count) bytes of payload, sha256 \(p.sha256)")
            } catch {
                throw fail("\(package): \(error.description)")
            }
        }
    }
}
