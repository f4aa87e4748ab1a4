import ArgumentParser
import Firmware
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Transport

/// `chargekit firmware` — builds, signs and checks firmware files for the station's installer (OCPP UpdateFirmware and
/// SignedUpdateFirmware, the web page's upload, a USB stick).
struct FirmwareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "firmware",
        abstract: "Build, sign or check firmware files (the project's .deb or a ChargeKit-wrapped package).",
        subcommands: [Pack.self, Sign.self, Check.self])

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

    /// Signs with the manufacturer's firmware signing key (issue 23 item 5): a `.deb` gets the `_chargekit-sig` member
    /// (dpkg ignores it, deb(5)); any other file, or `--detached`, a `FILE.sig` beside it.
    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a firmware file (ECDSA P-256 over SHA-256) with a signing certificate that chains to the manufacturer root.",
            discussion: "A .deb gets the signature as its last ar member '_chargekit-sig' (dpkg ignores it); another file, or --detached, gets FILE.sig. The signing certificate must chain to a ManufacturerRootCertificate installed on the station.")
        @Argument(help: "The .deb or ChargeKit package to sign.") var package: String
        @Option(help: "The signing key (EC P-256, PEM).") var key: String
        @Option(help: "The signing certificate (PEM) of that key.") var cert: String
        @Option(help: "A sub-CA certificate between the signing certificate and the root (PEM; repeatable, nearest first).") var chain: [String] = []
        @Option(name: .shortAndLong, help: "The signed .deb to write (default: the package itself). With --detached: the signature file (default PACKAGE.sig).") var output: String?
        @Flag(help: "Write a detached FILE.sig even for a .deb.") var detached = false

        func run() throws {
            guard let bytes = FileManager.default.contents(atPath: package) else { throw fail("cannot read \(package)") }
            guard let keyPEM = try? String(contentsOfFile: key, encoding: .utf8) else { throw fail("cannot read --key \(key)") }
            var chainPEM = ""
            for file in [cert] + chain {
                guard let pem = try? String(contentsOfFile: file, encoding: .utf8) else { throw fail("cannot read \(file)") }
                chainPEM += pem.hasSuffix("\n") ? pem : pem + "\n"
            }
            let isDebian = Array(bytes.prefix(ArArchive.magic.count)) == ArArchive.magic
            do {
                if isDebian, !detached {
                    _ = try FirmwareFile(Array(bytes))
                    let signed = try FirmwareSignature.embed(in: Array(bytes), keyPEM: keyPEM, chainPEM: chainPEM,
                                                             mtime: Int(Date().timeIntervalSince1970))
                    let target = output ?? package
                    guard (try? Data(signed).write(to: URL(fileURLWithPath: target), options: .atomic)) != nil else { throw fail("cannot write \(target)") }
                    print("\(target): signed (member \(FirmwareSignature.memberName))")
                } else {
                    let signature = try FirmwareSignature.sign(bytes, keyPEM: keyPEM, chainPEM: chainPEM)
                    let target = output ?? package + ".sig"
                    guard FileManager.default.createFile(atPath: target, contents: Data(signature.text.utf8)) else { throw fail("cannot write \(target)") }
                    print("\(target): detached signature of \(package)")
                }
            } catch let refusal as FirmwareRefusal {
                throw fail("\(package): \(refusal.reason)")
            }
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a firmware file as the station's installer does, with its signature status.",
            discussion: "With --root the signing certificate must chain to one of the given manufacturer roots (as on the station); without, only the signature against its own certificate is checked. Exit status 1 when the file would be refused.")
        @Argument(help: "The .deb or ChargeKit package.") var package: String
        @Option(help: "A detached signature file (default: PACKAGE.sig when it exists).") var signature: String?
        @Option(help: "A manufacturer root certificate (PEM; repeatable).") var root: [String] = []
        @Flag(help: "Refuse an unsigned file (as a station with Require signed firmware On).") var requireSigned = false

        func run() async throws {
            var roots: [String] = []
            for file in root {
                guard let pem = try? String(contentsOfFile: file, encoding: .utf8) else { throw fail("cannot read --root \(file)") }
                roots.append(pem)
            }
            let policy = FirmwareFile.Policy(requireSigned: requireSigned, roots: roots, architecture: FirmwareFile.buildArchitecture, now: Date())
            if roots.isEmpty {
                // No root: everything but the chain, then the signature against its own certificate.
                guard let bytes = FileManager.default.contents(atPath: package) else { throw fail("cannot read \(package)") }
                do {
                    let file = try FirmwareFile(Array(bytes))
                    var status = "unsigned"
                    let sigPath = signature ?? package + ".sig"
                    if let sig = FileManager.default.contents(atPath: sigPath) {
                        let subject = try FirmwareSignature(text: Array(sig)).verifySignatureOnly(digest: file.fileDigest)
                        status = "detached signature valid, signed by \(subject) (chain not checked: no --root)"
                    } else if let embedded = file.embeddedSignature {
                        let subject = try embedded.verifySignatureOnly(digest: file.signedDigest)
                        status = "signature valid, signed by \(subject) (chain not checked: no --root)"
                    } else if requireSigned {
                        throw FirmwareRefusal(.unsigned, "the file is not signed")
                    }
                    var what = "ChargeKit firmware \(file.wrappedVersion ?? "")"
                    if file.format == .debian {
                        let control = try await FirmwareInstaller.debianControl(package).get()
                        what = "Debian package \(control["Package"] ?? "?") \(control["Version"] ?? "?") (\(control["Architecture"] ?? "?"))"
                    }
                    print("\(package): \(what), \(status)")
                } catch let refusal as FirmwareRefusal {
                    throw fail("\(package): \(refusal.reason)")
                }
                return
            }
            switch await FirmwareInstaller.check(file: package, signatureFile: signature, policy: policy) {
            case .success(let checked):
                let what = checked.format == .debian ? "Debian package \(checked.package ?? "") \(checked.version)" : "ChargeKit firmware \(checked.version)"
                print("\(package): \(what), \(checked.signedBy.map { "signature valid, signed by \($0), chains to a given root" } ?? "unsigned")")
            case .failure(let refusal):
                throw fail("\(package): \(refusal.reason)")
            }
        }
    }
}
