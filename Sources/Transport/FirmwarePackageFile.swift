import Foundation
import Firmware

/// Checks a firmware package file without reading all of it into memory (an upload of tens of megabytes on a board
/// with little RAM): the header (``FirmwarePackage/Header``) from the file's start, then the payload's SHA-256 in
/// pieces of ``chunkBytes``.
public enum FirmwarePackageFile {
    /// How much of the file is read at a time.
    static let chunkBytes = 1 << 20

    /// The version the package at `path` names; throws why it is not an installable package.
    public static func check(_ path: String) throws(FirmwarePackage.Invalid) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FirmwarePackage.Invalid(description: "the package file cannot be read")
        }
        defer { try? handle.close() }
        do {
            let start = try handle.read(upToCount: FirmwarePackage.Header.readBytes) ?? Data()
            let header = try FirmwarePackage.Header(Array(start))
            try handle.seek(toOffset: UInt64(header.payloadOffset))
            var digest = FirmwarePackage.PayloadDigest()
            while let chunk = try handle.read(upToCount: chunkBytes), !chunk.isEmpty { digest.update(chunk) }
            try header.check(payloadDigest: digest.finalize())
            return header.version
        } catch let invalid as FirmwarePackage.Invalid {
            throw invalid
        } catch {
            throw FirmwarePackage.Invalid(description: "the package file cannot be read: \(error)")
        }
    }
}
