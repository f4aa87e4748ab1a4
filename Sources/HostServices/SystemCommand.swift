#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
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
        // The time limit on a thread of its own, waiting in poll(2) on a pipe that the program's end closes: no shared
        // pool can hold the kill back (Dispatch's global queue runs as many items at once as there are cores, and two
        // blocking items of anyone else on a 2-core controller once kept a 0.2 s limit from firing until the program
        // ended on its own).
        let stopTimer: (read: Int32, write: Int32)
        do { stopTimer = try Self.pipe() } catch {
            kill(pid, SIGKILL)
            _ = Self.wait(pid)
            for fd in [stdin.write, stdout.read, stderr.read] { close(fd) }
            throw error
        }
        let limit = OnThread { () -> Void in
            if Self.waitReadable(stopTimer.read, seconds: timeoutSeconds) == false, state.timeOut() { kill(pid, SIGKILL) }
            close(stopTimer.read)
        }
        // The threads start here, synchronously: started from child tasks they would wait for a thread of a busy
        // concurrency pool, and the program would wait for its input meanwhile. The exit is recorded on the waiting
        // thread the moment waitpid returns, so that a late resumption of this task is not counted against the program.
        let bytes = Array((input ?? "").utf8)
        let written = OnThread { Self.writeAll(bytes, to: stdin.write); close(stdin.write) }
        let out = OnThread { Self.readAll(stdout.read) }
        let err = OnThread { Self.readAll(stderr.read) }
        let exit = OnThread { () -> (Int32, Bool) in
            let status = Self.wait(pid)
            return (status, state.exited())
        }
        let (status, inTime) = await exit.value
        let timedOut = !inTime
        close(stopTimer.write)
        await limit.value
        let (_, o, e) = (await written.value, await out.value, await err.value)
        if timedOut { throw Failure(description: "\(commandLine) did not finish within \(timeoutSeconds) s") }
        return Result(status: status, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// Whether `fd` becomes readable (or reaches its end) within `seconds`; false when the time ran out.
    static func waitReadable(_ fd: Int32, seconds: Double) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(min(max(seconds, 0), 86_400 * 365) * 1000))
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return false }
            let ms = Int32(min(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1, Int64(Int32.max)))
            let r = poll(&entry, 1, ms)
            if r > 0 { return true }
            if r < 0 && errno != EINTR { return true }  // no timer to keep: the caller goes on as if the program ended
        }
    }

    /// Who came first: the program's exit or its time limit (so that a late timer never signals a finished program).
    final class Outcome: Sendable {
        private let state = Mutex<Bool?>(nil)  // true: exited in time, false: timed out
        /// The timer's side: true when the program must be killed.
        func timeOut() -> Bool { state.withLock { if $0 == nil { $0 = false; return true }; return false } }
        /// The waiter's side: true when the program exited before its time ran out.
        func exited() -> Bool { state.withLock { if $0 == nil { $0 = true }; return $0! } }
    }

    /// Blocking work on a thread of its own, started at once (never on the concurrency pool or Dispatch's shared
    /// threads); `value` waits for its result, whether it came before or after.
    final class OnThread<T: Sendable>: Sendable {
        private let state = Mutex<(result: T?, waiter: CheckedContinuation<T, Never>?)>((nil, nil))

        init(_ work: @escaping @Sendable () -> T) {
            OSThread.detach { [self] in
                let result = work()
                let waiter = state.withLock { s -> CheckedContinuation<T, Never>? in
                    s.result = result
                    defer { s.waiter = nil }
                    return s.waiter
                }
                waiter?.resume(returning: result)
            }
        }

        var value: T {
            get async {
                await withCheckedContinuation { continuation in
                    let ready = state.withLock { s -> T? in
                        if let r = s.result { return r }
                        s.waiter = continuation
                        return nil
                    }
                    if let ready { continuation.resume(returning: ready) }
                }
            }
        }
    }

    /// How often, and how long apart, a start refused with ETXTBSY is tried again (at most 100 ms in all).
    static let textBusyRetries = 20
    static let textBusyPauseMicroseconds: useconds_t = 5_000

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
        var rc = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        // ETXTBSY: a program just written (a script a test or an installer made) is still open for writing in a child
        // that another thread forked in the meantime and that has not reached its exec yet; that descriptor closes
        // within milliseconds. Retried briefly, as Go's os/exec does, instead of reporting a program that is fine.
        for _ in 0..<Self.textBusyRetries where rc == ETXTBSY {
            usleep(Self.textBusyPauseMicroseconds)
            rc = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        }
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
        return exitStatus(raw)
    }

    /// A wait status as a shell shows it: the exit code, or 128 + the signal that killed the program.
    static func exitStatus(_ raw: Int32) -> Int32 {
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

    /// A pipe whose both ends are close-on-exec from the moment they exist (the child's copies made by dup2 onto 0, 1
    /// or 2 are not): pipe2(2) with O_CLOEXEC. Setting FD_CLOEXEC after pipe(2) leaves a window in which a program
    /// started by another thread inherits the write end of a child's input — and that child then never sees the end
    /// of its input. Glibc's Swift module does not export pipe2, so it is looked up once.
    static func pipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        let rc: Int32
        if let pipe2 = Self.pipe2 { rc = fds.withUnsafeMutableBufferPointer { pipe2($0.baseAddress!, O_CLOEXEC) } } else {
            rc = Glibc.pipe(&fds)
            if rc == 0 { for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) } }
        }
        guard rc == 0 else { throw Failure(description: "no pipe for a program: \(String(cString: strerror(errno)))") }
        return (fds[0], fds[1])
    }

    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private static let pipe2: Pipe2? = dlsym(nil, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }
}
