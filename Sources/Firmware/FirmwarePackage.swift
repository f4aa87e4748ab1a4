import Crypto

/// A ChargeKit firmware package: a short text header that names the release and the SHA-256 of the payload, a blank
/// line, then the payload (what the install command receives, e.g. a Debian package or an image).
///
/// ```
/// CHARGEKIT-FIRMWARE/1
/// version: 1.4.0
/// sha256: <64 hex digits of the payload>
///
/// <payload bytes>
/// ```
/// The installer refuses anything else (InstallationFailed): a file that is not a ChargeKit release, a damaged
/// download, or a package without a version.
///
/// - SeeAlso: OCPP 1.6 §5.19 UpdateFirmware, §4.5 FirmwareStatusNotification; checklist §1.4.9.
public struct FirmwarePackage: Sendable, Equatable {
    public static let magic = "CHARGEKIT-FIRMWARE/1"
    /// Longest header accepted before the blank line.
    static let maxHeaderBytes = 4096

    public var version: String
    public var sha256: String
    public var payload: [UInt8]

    /// Why a file is not an installable package.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// The SHA-256 (FIPS 180-4) of `bytes` as 64 lower-case hex digits.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in SHA256.hash(data: bytes) { out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Builds a package for `payload` (the `chargekit firmware pack` command).
    public static func make(version: String, payload: [UInt8]) -> [UInt8] {
        Array("\(magic)\nversion: \(version)\nsha256: \(Self.sha256Hex(payload))\n\n".utf8) + payload
    }

    /// Reads and checks a package.
    public init(_ bytes: [UInt8]) throws(Invalid) {
        let limit = min(bytes.count, Self.maxHeaderBytes)
        var end: Int?
        for i in 0..<max(0, limit - 1) where bytes[i] == 0x0A && bytes[i + 1] == 0x0A { end = i; break }
        guard let end, bytes.starts(with: Array(Self.magic.utf8)) else {
            throw Invalid(description: "not a ChargeKit firmware package (it must start with '\(Self.magic)')")
        }
        var fields: [String: String] = [:]
        for line in String(decoding: bytes[0..<end], as: UTF8.self).split(separator: "\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].trimmingSpaces.lowercased()] = line[line.index(after: colon)...].trimmingSpaces
        }
        guard let version = fields["version"], !version.isEmpty, version.count <= 50 else {
            throw Invalid(description: "the package names no version (1 to 50 characters)")
        }
        guard let digest = fields["sha256"]?.lowercased(), digest.count == 64 else {
            throw Invalid(description: "the package has no sha256 of its payload")
        }
        let payload = Array(bytes[(end + 2)...])
        let actual = Self.sha256Hex(payload)
        guard actual == digest else {
            throw Invalid(description: "the payload is damaged: sha256 \(actual) instead of \(digest)")
        }
        self.version = version; self.sha256 = digest; self.payload = payload
    }
}

private extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
    }
}
