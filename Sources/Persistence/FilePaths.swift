#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Paths and modes of the data directory's files, on the C library alone: the stores need no more of Foundation than
// FoundationEssentials (issue 31 item 1: NSString's path methods and NSNumber bound Persistence to the whole of
// Foundation and ICU).

/// `directory`/`name`, with one slash between them (POSIX paths; `name` is a single component).
func joinPath(_ directory: String, _ name: String) -> String {
    if directory.isEmpty { return name }
    return directory.hasSuffix("/") ? directory + name : directory + "/" + name
}

/// The directory of `path` ("." for a bare name, "/" for a file in the root).
func parentDirectory(_ path: String) -> String {
    var trimmed = Substring(path)
    while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
    guard let slash = trimmed.lastIndex(of: "/") else { return "." }
    return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
}

/// A file operation of the data directory failed: the file and the system's reason.
struct FileError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "\(path): \(reason)" }

    /// The reason `errno` gives.
    static func system(_ path: String) -> FileError { FileError(path: path, reason: String(cString: strerror(errno))) }
}

/// Creates `path` and its missing parents with `mode` (as `mkdir -p -m`); an existing directory is left as it is.
func makeDirectories(_ path: String, mode: mode_t) throws {
    var info = stat()
    if stat(path, &info) == 0 {
        guard info.st_mode & S_IFMT == S_IFDIR else { throw FileError(path: path, reason: "not a directory") }
        return
    }
    let parent = parentDirectory(path)
    if parent != path, parent != "." { try makeDirectories(parent, mode: mode) }
    guard mkdir(path, mode) == 0 || errno == EEXIST else { throw FileError.system(path) }
}

/// Whether `path` exists (any kind of file).
func fileExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
}

/// Sets the permission bits of `path` to `mode` unless it already has them.
func restrictMode(_ path: String, _ mode: mode_t) throws {
    var info = stat()
    guard stat(path, &info) == 0 else { throw FileError.system(path) }
    if info.st_mode & 0o777 != mode { guard chmod(path, mode) == 0 else { throw FileError.system(path) } }
}

/// Creates `path` empty with `mode` if it does not exist.
func createFile(_ path: String, mode: mode_t) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, mode)
    guard fd >= 0 else { throw FileError.system(path) }
    close(fd)
}
