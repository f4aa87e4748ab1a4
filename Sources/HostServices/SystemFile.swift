#if canImport(Glibc)
import Glibc
#endif
import StringSupport

/// Writing the files of the host's services (networkd's `.network` files, dnsmasq's and timesyncd's configuration,
/// pending records, the forwarding switch in /proc) with POSIX calls, so a failure reads as the system says it
/// ("/etc/dnsmasq.d/chargekit.conf: Permission denied") and no part of Foundation is needed.
public enum SystemFile {
    /// A file could not be written: the path and the system's reason (strerror(3)).
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
        public init(path: String, reason: String) { self.path = path; self.reason = reason }
    }

    /// Writes `bytes` to `path` with permissions `mode`. `atomic` writes a temporary file beside it, flushes it to the
    /// disk (fsync), renames it over `path` and flushes the directory, so the service that reads it (or a power cut)
    /// sees the old file or the new one, never a part (rename(2) is atomic within a file system; the directory's fsync
    /// makes the rename itself durable). Not atomic for files that cannot be replaced, such as /proc's.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644, atomic: Bool = true) throws(Failure) {
        let target = atomic ? path + ".tmp" : path
        // The temporary file is made anew (O_EXCL after removing a leftover), so that nothing placed there before — a
        // symbolic link to another file — is written through; as CertificateDirectory writes its keys.
        if atomic { _ = unlink(target) }
        let fd = open(target, O_WRONLY | O_CREAT | (atomic ? O_EXCL : O_TRUNC) | O_CLOEXEC, mode)
        guard fd >= 0 else { throw failure(target) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { let f = failure(target); close(fd); if atomic { unlink(target) }; throw f }
            offset += n
        }
        guard atomic else { close(fd); return }
        // The mode again: open(2) applies the process's umask to it.
        guard fchmod(fd, mode) == 0, fsync(fd) == 0 else { let f = failure(target); close(fd); unlink(target); throw f }
        close(fd)
        guard rename(target, path) == 0 else { let f = failure(path); unlink(target); throw f }
        syncDirectory(directory(of: path))
    }

    /// Flushes a directory's entries to the disk (fsync(2) on the directory): a rename or a new file in it survives a
    /// power cut. A directory that cannot be opened is left as it is (the write itself has succeeded).
    public static func syncDirectory(_ path: String) {
        let dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 { fsync(dir); close(dir) }
    }

    /// The first `maxBytes` bytes of the file at `path` (all of it when nil).
    public static func read(_ path: String, maxBytes: Int? = nil) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path) }
        defer { close(fd) }
        var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while maxBytes.map({ bytes.count < $0 }) ?? true {
            let want = min(chunk.count, (maxBytes ?? Int.max) - bytes.count)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, want) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw failure(path) }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return bytes
    }

    /// The file at `path` as text (UTF-8; invalid sequences replaced).
    public static func readText(_ path: String) throws(Failure) -> String { String(decoding: try read(path), as: UTF8.self) }

    /// Reads the file at `path` in pieces of `chunkBytes`, handing each to `body` (a digest over a large package).
    public static func forEachChunk(of path: String, chunkBytes: Int = 1 << 20, _ body: (ArraySlice<UInt8>) throws -> Void) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path) }
        defer { close(fd) }
        var chunk = [UInt8](repeating: 0, count: chunkBytes)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw failure(path) }
            if n == 0 { return }
            try body(chunk[0..<n])
        }
    }

    /// The size and modification time of the regular file at `path`; nil when there is none (or it is a directory,
    /// a device …).
    public static func regularFile(_ path: String) -> (bytes: Int64, modifiedSecondsSince1970: Int64)? {
        var s = stat()
        guard stat(path, &s) == 0, s.st_mode & S_IFMT == S_IFREG else { return nil }
        return (Int64(s.st_size), Int64(s.st_mtim.tv_sec))
    }

    /// The owner (user and group id) of the file at `path`; nil when it cannot be read.
    public static func owner(_ path: String) -> (uid: uid_t, gid: gid_t)? {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        return (s.st_uid, s.st_gid)
    }

    /// Makes `path` and any missing parent (as `mkdir -p`), new directories with `mode`; an existing directory is fine.
    public static func createDirectory(_ path: String, mode: mode_t = 0o755) throws(Failure) {
        var made = ""
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            made += (made.isEmpty && !path.hasPrefix("/") ? "" : "/") + part
            if mkdir(made, mode) != 0 && errno != EEXIST { throw failure(made) }
        }
        var s = stat()
        guard stat(path, &s) == 0 else { throw failure(path) }
        guard s.st_mode & S_IFMT == S_IFDIR else { throw Failure(path: path, reason: "not a directory") }
    }

    /// `write` for text (UTF-8).
    public static func write(_ text: String, to path: String, mode: mode_t = 0o644, atomic: Bool = true) throws(Failure) {
        try write(Array(text.utf8), to: path, mode: mode, atomic: atomic)
    }

    /// The directory part of a path ("/etc/systemd/timesyncd.conf.d/x.conf" → "/etc/systemd/timesyncd.conf.d"; "x" → ".").
    public static func directory(of path: String) -> String {
        let directory = path.pathDirectory
        return directory.isEmpty ? "." : directory
    }

    private static func failure(_ path: String) -> Failure { Failure(path: path, reason: String(cString: strerror(errno))) }
}
