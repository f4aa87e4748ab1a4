import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program of the operating system (`networkctl reload`, `nft -f -`, `dnsmasq --test` …) without a shell, with
/// its standard input given and its output captured, and a time limit after which it is killed: the adapters of the
/// host's services use the programs those services ship rather than reimplementing their configuration interfaces.
///
/// Started with `posix_spawn` and reaped with `waitpid` on threads of its own — not Foundation's `Process`, whose exit
/// detection on Linux rests on descriptors its children inherit (a daemon that closes them, or a program started by
/// another task at the same moment, made programs that had ended look running), and whose blocking waits took the
/// threads the concurrency pool and Dispatch share. The child gets an empty signal mask and default dispositions: the
/// station blocks SIGTERM for its own shutdown, and a child that inherited that could not be stopped.
public struct SystemCommand: Sendable {
    /// What a finished command left: its exit status (128 + signal when killed) and its output, decoded as UTF-8 (lossy).
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
        let stdin = try Self.pipe(), stdout = try Self.pipe(), stderr = try Self.pipe()
        let pid: pid_t
        do {
            pid = try Self.spawn(executable, arguments, stdin: stdin.read, stdout: stdout.write, stderr: stderr.write)
        } catch {
            for fd in [stdin.read, stdin.write, stdout.read, stdout.write, stderr.read, stderr.write] { close(fd) }
            throw error
        }
        // The child has its copies now; ours of its ends must go, so that EOF arrives when it exits.
        for fd in [stdin.read, stdout.write, stderr.write] { close(fd) }
        let state = Outcome()
        let limit = DispatchWorkItem { if state.timeOut() { kill(pid, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: limit)
        async let written: Void = Self.onThread { Self.writeAll(Array((input ?? "").utf8), to: stdin.write); close(stdin.write) }
        async let out = Self.onThread { Self.readAll(stdout.read) }
        async let err = Self.onThread { Self.readAll(stderr.read) }
        // The exit is recorded on the waiting thread the moment waitpid returns: the task that awaits it may resume
        // much later on a busy concurrency pool, and the time limit must not count that delay against the program.
        let (status, inTime) = await Self.onThread { () -> (Int32, Bool) in
            let status = Self.wait(pid)
            return (status, state.exited())
        }
        let timedOut = !inTime
        limit.cancel()
        let (_, o, e) = await (written, out, err)
        if timedOut { throw Failure(description: "\(commandLine) did not finish within \(timeoutSeconds) s") }
        return Result(status: status, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Who came first: the program's exit or its time limit (so that a late timer never signals a finished program).
    final class Outcome: Sendable {
        private let state = Mutex<Bool?>(nil)  // true: exited in time, false: timed out
        /// The timer's side: true when the program must be killed.
        func timeOut() -> Bool { state.withLock { if $0 == nil { $0 = false; return true }; return false } }
        /// The waiter's side: true when the program exited before its time ran out.
        func exited() -> Bool { state.withLock { if $0 == nil { $0 = true }; return $0! } }
    }

    /// Runs blocking work on a thread of its own (never on the concurrency pool or Dispatch's shared threads).
    static func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: work()) }
        }
    }

    /// Starts `path` with the given descriptors as its standard input, output and error (stdin nil: /dev/null), an
    /// empty signal mask and default dispositions for the signals the station handles. Shared with ``ChildProcess``.
    static func spawn(_ path: String, _ arguments: [String], stdin: Int32?, stdout: Int32, stderr: Int32) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdin { posix_spawn_file_actions_adddup2(&actions, stdin, 0) } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
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
        guard rc == 0 else {
            throw Failure(description: "\(path) could not be started (\(String(cString: strerror(rc)))); is it installed?")
        }
        return pid
    }

    /// Blocks until `pid` ends; its exit status, 128 + the signal that killed it, or -1 when it was reaped elsewhere.
    static func wait(_ pid: pid_t) -> Int32 {
        var raw: Int32 = 0
        while true {
            let r = waitpid(pid, &raw, 0)
            if r == pid { break }
            if r < 0 && errno == EINTR { continue }
            return -1
        }
        let signal = raw & 0x7F
        return signal == 0 ? (raw >> 8) & 0xFF : 128 + signal
    }

    static func readAll(_ fd: Int32) -> [UInt8] {
        defer { close(fd) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { data += buffer[0..<n]; continue }
            if n < 0 && errno == EINTR { continue }
            return data
        }
    }

    static func writeAll(_ bytes: [UInt8], to fd: Int32) {
        // A program that exits without reading its input must not take the station with it: SIGPIPE is blocked on
        // this thread (its own), so the write fails with EPIPE instead.
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n > 0 { offset += n; continue }
            if n < 0 && errno == EINTR { continue }
            return  // the program closed its input (EPIPE): what it did not read is not needed
        }
    }

    /// A pipe whose both ends are close-on-exec (the child's copies made by dup2 onto 0, 1 or 2 are not). Glibc's
    /// module does not export pipe2(2), so FD_CLOEXEC follows pipe(2) at once.
    static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        guard Glibc.pipe(&fds) == 0 else { throw Failure(description: "no pipe for a program: \(String(cString: strerror(errno)))") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }
}
