#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// Login attempts: the lockout after failed logins and the rate limit per source address (issue 20 item 5).
///
/// The account names are public and fixed (one per role), so a lockout per account lets anyone keep the operator out
/// with one wrong password per lock period. The lockout therefore applies to an (account, source address) pair: three
/// wrong passwords from one address lock that account *for that address*, doubling from 30 s up to 1 h
/// (``LoginPolicy/lockout(afterFailures:)``); the right password from another address still logs in. Every attempt —
/// also for unknown names, which never lock anything — takes a token from its source's bucket (``burst`` attempts,
/// refilled at one per ``refillSeconds``), so a flood from one address is refused before any password is checked.
///
/// IPv6 sources are counted per /64 (a host usually holds a whole /64 and could rotate addresses inside it). The
/// tables keep at most ``maximumEntries`` sources; the oldest entries are forgotten first.
public struct LoginThrottle: Sendable {
    /// Attempts one source may make at once.
    public static let burst = 10.0
    /// One more attempt every this many seconds (10 a minute sustained).
    public static let refillSeconds = 6.0
    /// Sources and (account, source) pairs remembered.
    public static let maximumEntries = 4096

    struct Failures: Sendable { var count: Int; var lockedUntil: Date?; var last: Date }
    struct Bucket: Sendable { var tokens: Double; var at: Date }
    struct Pair: Hashable, Sendable { var account: String; var source: String }

    private var failures: [Pair: Failures] = [:]
    private var buckets: [String: Bucket] = [:]

    public init() {}

    /// The key of a source address: the address itself, an IPv6 address's /64, an IPv4-mapped IPv6 address
    /// (`::ffff:192.0.2.1`, what a dual-stack listener sees of an IPv4 client) as its IPv4 address, "unknown" without
    /// one. The listeners count connections the same way (`ConnectionLedger.addressKey`).
    public static func sourceKey(_ address: String?) -> String {
        guard let address, !address.isEmpty else { return "unknown" }
        guard address.contains(":") else { return address }
        if let dot = address.lastIndex(of: ":"), address[address.index(after: dot)...].contains("."),
           address.lowercased().hasPrefix("::ffff:") {
            return String(address[address.index(after: dot)...])
        }
        // Expand `::` far enough to take the first four groups.
        let halves = address.split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false).map { $0.split(separator: ":") }
        var groups = Array(halves[0])
        if halves.count == 2 { groups += Array(repeating: "0", count: max(0, 8 - halves[0].count - halves[1].count)) + halves[1] }
        return groups.prefix(4).map { String(Int($0, radix: 16) ?? 0, radix: 16) }.joined(separator: ":") + "::/64"
    }

    /// Takes one attempt from `source`'s bucket: nil when admitted, else when the next attempt is possible.
    public mutating func admit(source: String, now: Date) -> Date? {
        var b = buckets[source] ?? Bucket(tokens: Self.burst, at: now)
        b.tokens = min(Self.burst, b.tokens + max(0, now.timeIntervalSince(b.at)) / Self.refillSeconds)
        b.at = now
        guard b.tokens >= 1 else {
            buckets[source] = b
            return now.addingTimeInterval((1 - b.tokens) * Self.refillSeconds)
        }
        b.tokens -= 1
        buckets[source] = b
        prune(now: now)
        return nil
    }

    /// Until when `account` is locked for `source`, if it is.
    public func lockedUntil(account: String, source: String, now: Date) -> Date? {
        guard let until = failures[Pair(account: account, source: source)]?.lockedUntil, until > now else { return nil }
        return until
    }

    /// Records a wrong password; returns the lock it starts, if any.
    public mutating func failed(account: String, source: String, now: Date) -> Date? {
        let key = Pair(account: account, source: source)
        var f = failures[key] ?? Failures(count: 0, lockedUntil: nil, last: now)
        f.count += 1
        f.last = now
        f.lockedUntil = LoginPolicy.lockout(afterFailures: f.count).map { now.addingTimeInterval($0.seconds) }
        failures[key] = f
        prune(now: now)
        return f.lockedUntil
    }

    /// A successful login forgets the pair's failures.
    public mutating func succeeded(account: String, source: String) {
        failures[Pair(account: account, source: source)] = nil
    }

    /// How many sources and pairs are remembered (for tests of the bound).
    public var entryCounts: (buckets: Int, failures: Int) { (buckets.count, failures.count) }

    /// Forgets what no longer matters (full buckets, failures idle for the longest lock), then the oldest entries.
    private mutating func prune(now: Date) {
        guard buckets.count > Self.maximumEntries || failures.count > Self.maximumEntries else { return }
        let idle = LoginPolicy.maximumLockout.seconds
        buckets = buckets.filter { now.timeIntervalSince($0.value.at) < Self.burst * Self.refillSeconds }
        failures = failures.filter { now.timeIntervalSince($0.value.last) < idle }
        if buckets.count > Self.maximumEntries {
            let keep = buckets.sorted { $0.value.at > $1.value.at }.prefix(Self.maximumEntries / 2)
            buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
        if failures.count > Self.maximumEntries {
            let keep = failures.sorted { $0.value.last > $1.value.last }.prefix(Self.maximumEntries / 2)
            failures = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}
