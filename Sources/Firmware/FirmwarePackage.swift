import StringSupport
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
        public init(description: String) { self.description = description }
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
        let header = try Header(bytes.prefix(Self.maxHeaderBytes))
        let payload = Array(bytes[header.payloadOffset...])
        try header.check(payloadDigest: Self.sha256Hex(payload))
        self.version = header.version; self.sha256 = header.sha256; self.payload = payload
    }

    /// A package's header, read from its first bytes (at most ``maxHeaderBytes``): a file is checked without holding
    /// all of it in memory (an upload, a USB stick's file) by reading the header, then hashing the payload from
    /// ``payloadOffset`` on in pieces (``PayloadDigest``).
    public struct Header: Sendable, Equatable {
        public var version: String
        public var sha256: String
        /// Where the payload starts (after the blank line).
        public var payloadOffset: Int

        /// How many bytes of the file's start to hand to ``init(_:)``.
        public static var readBytes: Int { FirmwarePackage.maxHeaderBytes }

        public init(_ start: some Collection<UInt8>) throws(Invalid) {
            let bytes = Array(start.prefix(FirmwarePackage.maxHeaderBytes))
            var end: Int?
            for i in 0..<max(0, bytes.count - 1) where bytes[i] == 0x0A && bytes[i + 1] == 0x0A { end = i; break }
            guard let end, bytes.starts(with: Array(FirmwarePackage.magic.utf8)) else {
                throw Invalid(description: "not a ChargeKit firmware package (it must start with '\(FirmwarePackage.magic)')")
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
            self.version = version; self.sha256 = digest; payloadOffset = end + 2
        }

        /// Throws unless `payloadDigest` (64 hex digits) is the one the header names.
        public func check(payloadDigest actual: String) throws(Invalid) {
            guard actual == sha256 else {
                throw Invalid(description: "the payload is damaged: sha256 \(actual) instead of \(sha256)")
            }
        }
    }

    /// The SHA-256 of a payload fed in pieces.
    public struct PayloadDigest {
        private var hash = SHA256()
        public init() {}
        public mutating func update(_ bytes: some Collection<UInt8>) { hash.update(data: Array(bytes)) }
        /// 64 lower-case hex digits.
        public func finalize() -> String {
            let hex = Array("0123456789abcdef".utf8)
            var out: [UInt8] = []
            for b in hash.finalize() { out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 0xF)]) }
            return String(decoding: out, as: UTF8.self)
        }
    }
}

private extension Substring {
    /// Without spaces, tabs and a CRLF line's CR at both ends.
    var trimmingSpaces: String { trimming { $0 == " " || $0 == "\t" || $0 == "\r" } }
}
