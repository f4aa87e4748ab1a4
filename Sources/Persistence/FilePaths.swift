#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import HostServices

// Modes of the data directory's files, on the C library alone (paths: StringSupport; writes and directories:
// HostServices' SystemFile): the stores need no more of Foundation than FoundationEssentials (issue 31 item 1).

/// Whether `path` exists (any kind of file).
func fileExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
}

/// Sets the permission bits of `path` to `mode` unless it already has them.
func restrictMode(_ path: String, _ mode: mode_t) throws {
    var info = stat()
    guard stat(path, &info) == 0 else { throw SystemFile.Failure(path: path, reason: String(cString: strerror(errno))) }
    if info.st_mode & 0o777 != mode { guard chmod(path, mode) == 0 else { throw SystemFile.Failure(path: path, reason: String(cString: strerror(errno))) } }
}

/// Creates `path` empty with `mode` if it does not exist.
func createFile(_ path: String, mode: mode_t) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, mode)
    guard fd >= 0 else { throw SystemFile.Failure(path: path, reason: String(cString: strerror(errno))) }
    close(fd)
}
