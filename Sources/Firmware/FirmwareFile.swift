#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto

/// A firmware file as the station receives it (OCPP UpdateFirmware and SignedUpdateFirmware, the web page's upload, a
/// USB stick's `sw_update.deb`, seeds/004 §8): the project's own Debian package (`chargekit_<version>_<arch>.deb`, what
/// seeds/004 expects), or the older ChargeKit-wrapped package (``FirmwarePackage``), either signed or not.
///
/// A `.deb` is checked as deb(5) describes it: `debian-binary` ("2.x"), `control.tar[.gz|.xz|.zst]`,
/// `data.tar[.*]` in this order, then only members whose names start with '_' (deb(5) reserves them for members dpkg
/// ignores); among them the optional ``FirmwareSignature/memberName``, which must be the last. The version, package and
/// architecture come from its control file, read by the adapter (`dpkg-deb --field`; control.tar is xz-compressed by
/// default, which this pure target does not decompress) and handed to ``verify(control:detached:policy:)``.
public struct FirmwareFile: Sendable, Equatable {
    public enum Format: String, Sendable, Codable, Equatable {
        /// A Debian binary package: the install command gets the file itself.
        case debian
        /// A ChargeKit-wrapped package: the install command gets its payload.
        case wrapped
    }

    public var format: Format
    /// The wrapped package's version (a `.deb`'s comes from its control file).
    public var wrappedVersion: String?
    /// The signature carried inside the file (a `.deb`'s `_chargekit-sig` member).
    public var embeddedSignature: FirmwareSignature?
    /// The SHA-256 of the bytes the embedded signature covers (a `.deb` without its signature member).
    public var signedDigest: SHA256.Digest
    /// The SHA-256 of the whole file (what a detached signature covers).
    public var fileDigest: SHA256.Digest
    /// The bytes the install command gets: the whole `.deb`, or the wrapped package's payload.
    public var installBytes: Range<Int>

    /// The largest file accepted (a station's release is tens of MB; the check reads the file into memory).
    public static let maxBytes = 512 << 20

    /// Reads the container of `bytes`; the refusal says why it is not a firmware file.
    public init(_ bytes: [UInt8]) throws(FirmwareRefusal) {
        guard bytes.count <= Self.maxBytes else {
            throw FirmwareRefusal(.notAPackage, "the file has \(bytes.count) bytes (at most \(Self.maxBytes))")
        }
        fileDigest = SHA256.hash(data: bytes)
        if bytes.starts(with: ArArchive.magic) {
            format = .debian
            let archive: ArArchive
            do { archive = try ArArchive(bytes) } catch {
                throw FirmwareRefusal(.notAPackage, "not a valid Debian package: \(error.description)")
            }
            let m = archive.members
            guard m.count >= 3, m[0].name == "debian-binary", bytes[m[0].data].starts(with: Array("2.".utf8)) else {
                throw FirmwareRefusal(.notAPackage, "not a Debian package: the first member must be 'debian-binary' with format 2.x")
            }
            guard m[1].name == "control.tar" || m[1].name.hasPrefix("control.tar.") else {
                throw FirmwareRefusal(.notAPackage, "not a Debian package: the second member is '\(m[1].name)', not control.tar")
            }
            guard m[2].name == "data.tar" || m[2].name.hasPrefix("data.tar.") else {
                throw FirmwareRefusal(.notAPackage, "not a Debian package: the third member is '\(m[2].name)', not data.tar")
            }
            var signature: FirmwareSignature?
            var signedEnd = bytes.count
            for (i, member) in m.enumerated().dropFirst(3) {
                guard member.name.hasPrefix("_") else {
                    throw FirmwareRefusal(.notAPackage, "the package has a member '\(member.name)' after data.tar (only names starting with '_' may follow)")
                }
                guard member.name == FirmwareSignature.memberName else { continue }
                guard i == m.count - 1 else {
                    throw FirmwareRefusal(.invalidSignature, "the \(FirmwareSignature.memberName) member must be the last one")
                }
                signature = try FirmwareSignature(text: bytes[member.data])
                signedEnd = member.headerOffset
            }
            embeddedSignature = signature
            signedDigest = signedEnd == bytes.count ? fileDigest : SHA256.hash(data: bytes[0..<signedEnd])
            wrappedVersion = nil
            installBytes = 0..<bytes.count
        } else if bytes.starts(with: Array(FirmwarePackage.magic.utf8)) {
            format = .wrapped
            let package: FirmwarePackage
            do { package = try FirmwarePackage(bytes) } catch {
                throw FirmwareRefusal(.notAPackage, error.description)
            }
            wrappedVersion = package.version
            embeddedSignature = nil
            signedDigest = fileDigest
            installBytes = (bytes.count - package.payload.count)..<bytes.count
        } else {
            throw FirmwareRefusal(.notAPackage, "neither a Debian package (.deb) nor a ChargeKit firmware package")
        }
    }

    /// What the station requires of a firmware file.
    public struct Policy: Sendable, Equatable {
        /// "Require signed firmware": a file without a valid signature chaining to `roots` is refused.
        public var requireSigned: Bool
        /// The installed ManufacturerRootCertificates (PEM).
        public var roots: [String]
        /// The station's Debian architecture (a `.deb` must be for it or for `all`).
        public var architecture: String
        public var now: Date
        public init(requireSigned: Bool, roots: [String], architecture: String, now: Date) {
            self.requireSigned = requireSigned; self.roots = roots; self.architecture = architecture; self.now = now
        }
    }

    /// A file that may be installed.
    public struct Checked: Sendable, Equatable {
        public var format: Format
        /// The version it installs (BootNotification's firmwareVersion: at most 50 characters).
        public var version: String
        /// The Debian package's name (nil for a wrapped package).
        public var package: String?
        /// The signing certificate's subject when signed (nil: unsigned, allowed because signing is not required).
        public var signedBy: String?
        public var installBytes: Range<Int>
    }

    /// The Debian control fields from `dpkg-deb --field FILE Package Version Architecture` (RFC 822-style lines).
    public static func controlFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix(" ") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            fields[String(line[..<colon])] = String(value.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
        }
        return fields
    }

    /// Decides whether the file may be installed: its version, and its signatures (the embedded one and a `detached`
    /// one over the whole file — a `FILE.sig`, or SignedUpdateFirmware's); every signature present must verify, and
    /// with ``Policy/requireSigned`` at least one must be present. `control`: a `.deb`'s control fields.
    public func verify(control: [String: String]?, detached: FirmwareSignature?, policy: Policy) throws(FirmwareRefusal) -> Checked {
        var package: String?
        let version: String
        switch format {
        case .wrapped:
            version = wrappedVersion ?? ""
        case .debian:
            guard let control, let name = control["Package"], !name.isEmpty else {
                throw FirmwareRefusal(.notAPackage, "the Debian package's control file names no Package")
            }
            guard let v = control["Version"], (1...50).contains(v.count) else {
                throw FirmwareRefusal(.notAPackage, "the Debian package's Version must have 1 to 50 characters")
            }
            let arch = control["Architecture"] ?? ""
            guard arch == policy.architecture || arch == "all" else {
                throw FirmwareRefusal(.wrongPackage, "the package is for architecture '\(arch)', the station is \(policy.architecture)")
            }
            package = name
            version = v
        }
        var signedBy: String?
        if let embeddedSignature { signedBy = try embeddedSignature.verify(digest: signedDigest, roots: policy.roots, now: policy.now) }
        if let detached { signedBy = try detached.verify(digest: fileDigest, roots: policy.roots, now: policy.now) }
        if signedBy == nil, policy.requireSigned {
            throw FirmwareRefusal(.unsigned, "the file is not signed and the station requires signed firmware (Require signed firmware)")
        }
        return Checked(format: format, version: version, package: package, signedBy: signedBy, installBytes: installBytes)
    }

    /// The Debian architecture this program was built for (`dpkg --print-architecture` on the station).
    public static var buildArchitecture: String {
        #if arch(x86_64)
        return "amd64"
        #elseif arch(arm64)
        return "arm64"
        #elseif arch(arm)
        return "armhf"
        #elseif arch(i386)
        return "i386"
        #else
        return "unknown"
        #endif
    }
}
