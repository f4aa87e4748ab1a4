#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// The file descriptors the process may spend on accepted connections, shared by every listener.
///
/// When a process runs out of descriptors it cannot open its database, a meter's socket or even the
/// `/proc/<tid>/stat` that libdispatch reads when it starts a thread — libdispatch then traps (SIGILL), which is how
/// ~1,100 idle connections to the station's Modbus port used to kill it under the common embedded limit of 1,024
/// (issue #20 item 2). So the start raises the soft limit to the hard one, and listeners together never hold more
/// connections than the limit less the descriptors open at the start and a ``reserve``.
public final class DescriptorBudget: Sendable {
    /// Descriptors kept free for everything that is not an accepted connection. A running station holds about 25 on 2
    /// cores (measured: stdio, SQLite with its WAL and shared memory, NIO's event loops with 3 each per core, the
    /// listening sockets); what opens after the start — event loops on a larger machine (3 per core), the OCPP client,
    /// up to 3 meters, the DLM link, an FTP transfer with its file, a child process's pipes, libdispatch's transient
    /// `/proc` reads — stays below 64 even on 8 cores, so 128 leaves at least half spare.
    public static let reserve = 128
    /// The highest soft limit the start sets: above the gateway's tested 10,000 chargers with room, and low enough
    /// that code closing every descriptor up to the limit (a child process's start) stays quick.
    public static let maximumLimit = 65_536

    /// The soft `RLIMIT_NOFILE` in force.
    public let limit: Int
    /// The soft limit the process was started with, when the start raised it (for the log); nil when it was in force.
    public let raisedFrom: Int?
    /// Connections all listeners together may hold.
    public let capacity: Int
    private let held = Atomic<Int>(0)

    public init(limit: Int, openAtStart: Int, raisedFrom: Int? = nil) {
        self.limit = limit
        self.raisedFrom = raisedFrom
        self.capacity = Self.capacity(limit: limit, openAtStart: openAtStart)
    }

    /// What listeners may hold under `limit` when `openAtStart` descriptors are open: at least 1, so that a
    /// misconfigured limit still lets a client in, one at a time.
    public static func capacity(limit: Int, openAtStart: Int) -> Int {
        max(1, limit - openAtStart - reserve)
    }

    /// The process's budget, made at the first use — the start of `chargekit station` and `chargekit gateway` — after
    /// raising the soft limit.
    public static let process: DescriptorBudget = {
        let (before, limit) = raiseSoftLimit()
        return DescriptorBudget(limit: limit, openAtStart: openDescriptors() ?? 16, raisedFrom: before < limit ? before : nil)
    }()

    /// Connections held now by every listener.
    public var inUse: Int { held.load(ordering: .relaxed) }

    /// Takes one descriptor for an accepted connection; false when the budget is spent.
    public func acquire() -> Bool {
        var current = held.load(ordering: .relaxed)
        while current < capacity {
            let (exchanged, original) = held.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Gives back a descriptor taken by ``acquire()``.
    public func release() {
        held.subtract(1, ordering: .relaxed)
    }

    /// Raises the soft `RLIMIT_NOFILE` to the hard limit (at most ``maximumLimit``) and returns the soft limit before and
    /// the one in force.
    /// Embedded systems often start services with 1,024 and a higher hard limit; systemd's default is 1,024:524,288.
    static func raiseSoftLimit() -> (before: Int, now: Int) {
        #if canImport(Glibc)
        var limits = rlimit()
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        guard getrlimit(resource, &limits) == 0 else { return (1024, 1024) }
        let before = Int(min(limits.rlim_cur, rlim_t(Int.max)))
        let target = min(limits.rlim_max, rlim_t(maximumLimit))
        if limits.rlim_cur < target {
            var raised = limits
            raised.rlim_cur = target
            if setrlimit(resource, &raised) == 0 { limits = raised }
        }
        return (before, Int(min(limits.rlim_cur, rlim_t(Int.max))))
        #else
        return (1024, 1024)
        #endif
    }

    /// The descriptors open now (Linux: the entries of `/proc/self/fd`, less the one that lists them); nil elsewhere.
    static func openDescriptors() -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")).map { max(0, $0.count - 1) }
    }
}
