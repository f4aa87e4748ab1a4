#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Tells systemd how the process is doing, by its service notification protocol (sd_notify(3), systemd 252 as in
/// Debian bookworm): one datagram per state to the AF_UNIX socket named by `NOTIFY_SOCKET`. The package's units are
/// `Type=notify` with `WatchdogSec`: systemd counts the service as started at `READY=1` (once the web interface
/// listens), restarts it when `WATCHDOG=1` stays away longer than `WatchdogSec` (the runtime's own loop sends it, so
/// a hung loop is caught, not only a dead process), and knows a stop it asked for from a crash by `STOPPING=1`.
///
/// Nothing is sent when `NOTIFY_SOCKET` is unset (a station started by hand or by a test): ``fromEnvironment(_:pid:)``
/// returns nil then. Linking libsystemd for this would add a library to the appliance binary for a dozen lines.
public struct ServiceNotifier: Sendable {
    /// The socket's path; a leading `@` names Linux's abstract namespace (sd_notify(3)).
    public let socketPath: String
    /// How often the service must send `WATCHDOG=1`: half of `WATCHDOG_USEC`, as sd_watchdog_enabled(3) advises; nil
    /// when the unit has no watchdog or it is meant for another process (`WATCHDOG_PID`).
    public let watchdogInterval: Duration?

    public init(socketPath: String, watchdogInterval: Duration?) {
        self.socketPath = socketPath
        self.watchdogInterval = watchdogInterval
    }

    /// The notifier systemd's environment asks for, or nil when the process was not started by a `Type=notify` unit.
    /// `WATCHDOG_USEC` counts only when `WATCHDOG_PID` is unset or this process's id (sd_watchdog_enabled(3)): a child
    /// (dnsmasq) that inherits the environment must not take the watchdog over.
    public static func fromEnvironment(_ environment: [String: String], pid: Int32 = getpid()) -> ServiceNotifier? {
        guard let path = environment["NOTIFY_SOCKET"], path.count > 1, path.hasPrefix("/") || path.hasPrefix("@") else { return nil }
        var interval: Duration?
        if let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0,
           environment["WATCHDOG_PID"].map({ Int32($0) == pid }) ?? true {
            interval = .microseconds(Int64(clamping: usec / 2))
        }
        return ServiceNotifier(socketPath: path, watchdogInterval: interval)
    }

    /// The service is up: it listens and answers. `status` is shown by `systemctl status`.
    @discardableResult
    public func ready(status: String? = nil) -> Bool { send("READY=1" + (status.map { "\nSTATUS=\($0)" } ?? "")) }

    /// The runtime's loop went round: the watchdog's timer starts again.
    @discardableResult
    public func watchdog() -> Bool { send("WATCHDOG=1") }

    /// The service begins a stop it was asked for (SIGTERM), so systemd does not count the exit as a failure.
    @discardableResult
    public func stopping() -> Bool { send("STOPPING=1") }

    /// Sends one notification (newline-separated `KEY=VALUE` assignments); false when it could not be sent — the
    /// service runs on, as sd_notify's callers do, and systemd's own timeout reports what went missing.
    @discardableResult
    public func send(_ state: String) -> Bool {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        let abstract = path.first == UInt8(ascii: "@")
        if abstract { path[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
            if !abstract { raw[path.count] = 0 }
        }
        // An abstract name's length is exact (no terminating NUL); a path's is the whole structure.
        let length = abstract ? socklen_t(MemoryLayout<sa_family_t>.size + path.count) : socklen_t(MemoryLayout<sockaddr_un>.size)
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(state.utf8)
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), $0, length)
                }
            }
        }
        return sent == bytes.count
    }
}

/// When the next `WATCHDOG=1` is due: the loop asks at every turn with the monotonic time, and it is due at the first
/// turn and then once per ``ServiceNotifier/watchdogInterval`` — a 100 ms loop does not send ten datagrams a second.
public struct WatchdogPacer: Sendable {
    public let interval: Duration
    private var last: ContinuousClock.Instant?

    public init(interval: Duration) { self.interval = interval }

    /// Whether to send now; if so, the interval starts again from `now`.
    public mutating func due(at now: ContinuousClock.Instant) -> Bool {
        if let last, now - last < interval { return false }
        last = now
        return true
    }
}

/// The notifier and its pacer as the runtime's loop uses them: `turn()` after every completed round.
public struct WatchdogKeeper: Sendable {
    let notifier: ServiceNotifier
    var pacer: WatchdogPacer

    /// Nil when there is no notifier or its unit has no watchdog.
    public init?(_ notifier: ServiceNotifier?) {
        guard let notifier, let interval = notifier.watchdogInterval else { return nil }
        self.notifier = notifier
        pacer = WatchdogPacer(interval: interval)
    }

    /// A round of the loop finished at `now`: sends `WATCHDOG=1` when it is due.
    public mutating func turn(at now: ContinuousClock.Instant = .now) {
        if pacer.due(at: now) { notifier.watchdog() }
    }
}
