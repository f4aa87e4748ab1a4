#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// The process facts every Prometheus exporter gives (`process_resident_memory_bytes`, `process_open_fds`,
/// `process_max_fds`), read from Linux' /proc at scrape time; nil where the system does not tell.
public struct ProcessFacts: Sendable, Equatable {
    public var residentMemoryBytes: Int?
    public var openFileDescriptors: Int?
    public var maxFileDescriptors: Int?

    public init(residentMemoryBytes: Int?, openFileDescriptors: Int?, maxFileDescriptors: Int?) {
        self.residentMemoryBytes = residentMemoryBytes; self.openFileDescriptors = openFileDescriptors
        self.maxFileDescriptors = maxFileDescriptors
    }

    /// This process, now.
    public static func current() -> ProcessFacts {
        ProcessFacts(residentMemoryBytes: residentMemory(), openFileDescriptors: openDescriptors(), maxFileDescriptors: descriptorLimit())
    }

    /// /proc/self/statm's second field (resident pages) times the page size.
    static func residentMemory() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// The entries of /proc/self/fd (less the one the listing itself holds open).
    static func openDescriptors() -> Int? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return nil }
        return max(0, entries.count - 1)
    }

    static func descriptorLimit() -> Int? {
        #if canImport(Glibc)
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        return Int(min(limit.rlim_cur, rlim_t(Int.max)))
        #else
        return nil
        #endif
    }
}
