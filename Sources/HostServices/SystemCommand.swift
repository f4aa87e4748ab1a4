import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program of the operating system (`networkctl reload`, `nft -f -`, `dnsmasq --test` …) without a shell, with
/// its standard input given and its output captured, and a time limit after which it is killed: the adapters of the
/// host's services use the programs those services ship rather than reimplementing their configuration interfaces.
public struct SystemCommand: Sendable {
    /// What a finished command left: its exit status and its output, decoded as UTF-8 (lossy).
    public struct Result: Sendable, Equatable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var succeeded: Bool { status == 0 }
    }

    /// The command could not run at all (missing program), or ran over its time.
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    public var executable: String
    public var arguments: [String]

    public init(_ executable: String, _ arguments: [String] = []) { self.executable = executable; self.arguments = arguments }

    /// The command line as a person would type it, for log lines and error messages.
    public var commandLine: String { ([executable] + arguments).joined(separator: " ") }

    /// Runs the command to its end (or kills it after `timeoutSeconds`).
    public func run(input: String? = nil, timeoutSeconds: Double = 30) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        // Pipes made close-on-exec: another program started at the same moment (by another task) must not inherit our
        // ends, or its copy of the input's write end would keep this program from ever seeing the end of its input.
        let stdin = try Self.pipe(), stdout = try Self.pipe(), stderr = try Self.pipe()
        process.standardInput = stdin.read; process.standardOutput = stdout.write; process.standardError = stderr.write
        do { try process.run() } catch {
            throw Failure(description: "\(executable) could not be started (\(error.localizedDescription)); is it installed?")
        }
        // The child has its copies now; ours of its ends must go, so that EOF arrives when it exits.
        for end in [stdin.read, stdout.write, stderr.write] { try? end.close() }
        if let input { try? stdin.write.write(contentsOf: Data(input.utf8)) }
        try? stdin.write.close()
        // Read both pipes while the program runs, so that a full pipe never blocks it — on Dispatch's threads: a blocking
        // read on the concurrency pool (two threads on a 2-core board) would stall every task.
        async let out = Self.readToEnd(stdout.read)
        async let err = Self.readToEnd(stderr.read)
        // The time limit is a Dispatch timer, not a loop on the concurrency pool: a busy pool must not let a hung
        // program run past its limit.
        let state = Outcome()
        let pid = process.processIdentifier
        let limit = DispatchWorkItem {
            // SIGKILL: a child may inherit a blocked SIGTERM from the process's signal mask.
            if state.timeOut() { kill(pid, SIGKILL) }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: limit)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async { process.waitUntilExit(); continuation.resume() }
        }
        let timedOut = !state.exited()
        limit.cancel()
        if timedOut {
            _ = await (out, err)
            throw Failure(description: "\(commandLine) did not finish within \(timeoutSeconds) s")
        }
        let (o, e) = await (out, err)
        return Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Who came first: the program's exit or its time limit (so that a late timer never signals a finished program).
    final class Outcome: Sendable {
        private let state = Mutex<Bool?>(nil)  // true: exited in time, false: timed out
        /// The timer's side: true when the program must be killed.
        func timeOut() -> Bool { state.withLock { if $0 == nil { $0 = false; return true }; return false } }
        /// The waiter's side: true when the program exited before its time ran out.
        func exited() -> Bool { state.withLock { if $0 == nil { $0 = true }; return $0! } }
    }

    static func readToEnd(_ handle: FileHandle) async -> Data {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: handle.readDataToEndOfFile()) }
        }
    }

    /// A pipe whose both ends are close-on-exec (the child's copy made by dup2 onto 0, 1 or 2 is not). Glibc's module
    /// does not export pipe2(2), so FD_CLOEXEC follows pipe(2) at once.
    static func pipe() throws -> (read: FileHandle, write: FileHandle) {
        var fds: [Int32] = [-1, -1]
        guard Glibc.pipe(&fds) == 0 else { throw Failure(description: "no pipe for a program: \(String(cString: strerror(errno)))") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (FileHandle(fileDescriptor: fds[0], closeOnDealloc: true), FileHandle(fileDescriptor: fds[1], closeOnDealloc: true))
    }
}
