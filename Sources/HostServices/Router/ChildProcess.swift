#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization
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
final class ChildProcess: Sendable {
    let processIdentifier: pid_t
    /// The read end of the child's output pipe; the caller owns it.
    let outputFD: Int32
    /// Its exit status once reaped.
    private let status = Mutex<Int32?>(nil)

    struct SpawnError: Error, CustomStringConvertible {
        var description: String
    }

    init(_ path: String, _ arguments: [String]) throws {
        // Both ends close-on-exec: neither may leak into other children (the child gets its own copies by dup2).
        let output = try SystemCommand.pipe()
        let pid: pid_t
        do {
            pid = try SystemCommand.spawn(path, arguments, stdin: nil, stdout: output.write, stderr: output.write)
        } catch {
            close(output.read); close(output.write)
            throw SpawnError(description: "\(error)")
        }
        close(output.write)
        processIdentifier = pid
        outputFD = output.read
    }

    /// Whether the child still runs (reaps it once it ended).
    var isRunning: Bool { exitStatus == nil }

    /// Its exit status (128 + signal when killed), nil while it runs.
    var exitStatus: Int32? {
        status.withLock { status in
            if status == nil {
                var raw: Int32 = 0
                let r = waitpid(processIdentifier, &raw, WNOHANG)
                if r == processIdentifier {
                    status = SystemCommand.exitStatus(raw)
                } else if r < 0 && errno == ECHILD {
                    status = -1  // reaped elsewhere: gone all the same
                }
            }
            return status
        }
    }
}
