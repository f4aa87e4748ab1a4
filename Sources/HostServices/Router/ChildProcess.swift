import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A long-running child started with `posix_spawn` and reaped with `waitpid(pid, WNOHANG)` — not Foundation's
/// `Process`, whose exit detection on Linux rests on a socket the child inherits: a daemon such as dnsmasq closes its
/// inherited descriptors at start, Foundation takes that for the exit and blocks a Dispatch thread in `waitpid` until
/// the daemon really ends, and every other `Process` of the station (`nft`, `ip`) is never seen to end meanwhile.
///
/// The child gets /dev/null as standard input, one pipe for standard output and error (``outputFD``, the parent's read
/// end), an empty signal mask and default signal dispositions (the station blocks SIGTERM for its own shutdown handling;
/// a child that inherited that could not be stopped politely).
final class ChildProcess: @unchecked Sendable {
    let processIdentifier: pid_t
    /// The read end of the child's output pipe; the caller owns it.
    let outputFD: Int32
    private let lock = NSLock()
    private var status: Int32?

    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    init(_ path: String, _ arguments: [String]) throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw SpawnError(description: "pipe: \(String(cString: strerror(errno)))") }
        // Neither end may leak into other children (the dup2 below gives the child its own copies).
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigemptyset(&defaults)
        for s in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw SpawnError(description: "\(path) could not be started: \(String(cString: strerror(rc)))")
        }
        processIdentifier = pid
        outputFD = fds[0]
    }

    /// Whether the child still runs (reaps it once it ended).
    var isRunning: Bool { exitStatus == nil }

    /// Its exit status (128 + signal when killed), nil while it runs.
    var exitStatus: Int32? {
        lock.withLock {
            if status == nil {
                var raw: Int32 = 0
                let r = waitpid(processIdentifier, &raw, WNOHANG)
                if r == processIdentifier {
                    let signal = raw & 0x7F
                    status = signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
                } else if r < 0 && errno == ECHILD {
                    status = -1  // reaped elsewhere: gone all the same
                }
            }
            return status
        }
    }
}
