#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The rules of a time zone of the IANA tz database ("Europe/Berlin"): its offset from UTC at any instant, read from
/// the system's compiled zone files (TZif, RFC 8536) under /usr/share/zoneinfo — Debian's `tzdata`, which every
/// installation has (Priority: required).
///
/// Why not Foundation's `TimeZone(identifier:)`: FoundationEssentials alone knows only UTC and fixed offsets; the named
/// zones come with ICU's data, 34 MB of the binary, through FoundationInternationalization. Without it `TimeZone` falls
/// back to GMT silently — a station scheduling its current by the wrong hour. This reader is the whole of what the
/// station needs: offsets by instant, and a local wall-clock time back to UTC.
///
/// A TZif file (RFC 8536 §3) holds a version 1 block with 32-bit times and, from version 2, a second block with
/// 64-bit times followed by a footer: a POSIX TZ string (POSIX.1-2017 §8.3 "TZ", with RFC 8536 §3.3.1's extensions:
/// hours up to ±167 in the rule times) that gives the rule for every instant after the last transition.
public struct TimeZoneRules: Sendable, Equatable {
    /// The zone's name as given ("Europe/Berlin", "UTC").
    public let identifier: String
    /// Instants of the transitions (seconds since 1970, UTC), ascending.
    let transitions: [Int64]
    /// The UTC offset in seconds from each transition on (same index as `transitions`).
    let offsets: [Int32]
    /// The offset before the first transition (RFC 8536 §3.2: the first local time type).
    let initialOffset: Int32
    /// The rule after the last transition (the footer); nil: the last offset holds for ever.
    let rule: PosixRule?

    /// UTC: no transitions, offset 0.
    public static let utc = TimeZoneRules(identifier: "UTC", transitions: [], offsets: [], initialOffset: 0, rule: nil)

    /// The zone named `identifier` from the tz database in `directory` (cached per process); nil when the name is not
    /// a zone there (or not a name at all: "..", an absolute path and characters outside the tz names' are refused,
    /// since the name comes from settings a user typed). "UTC", "GMT" and "Etc/UTC" are UTC without the files.
    public static func named(_ identifier: String, directory: String = "/usr/share/zoneinfo") -> TimeZoneRules? {
        if ["UTC", "GMT", "Etc/UTC", "Etc/GMT", "Z"].contains(identifier) { return TimeZoneRules(identifier: identifier, transitions: [], offsets: [], initialOffset: 0, rule: nil) }
        guard isZoneName(identifier) else { return nil }
        let key = directory + "/" + identifier
        if let cached = cache.withLock({ $0[key] }) { return cached }
        guard let bytes = readFile(key), let rules = TimeZoneRules(identifier: identifier, tzif: bytes) else { return nil }
        cache.withLock { $0[key] = rules }
        return rules
    }

    private static let cache = Mutex<[String: TimeZoneRules]>([:])

    /// The host's zone, as the C library finds it (tzset(3)): the TZ environment variable — a zone name, with or
    /// without a leading ":", or a POSIX rule such as "CET-1CEST,M3.5.0,M10.5.0/3" — else /etc/localtime (named after
    /// the zone its link points to), else UTC.
    public static func host(tz: String? = getenv("TZ").map { String(cString: $0) }, localtime: String = "/etc/localtime") -> TimeZoneRules {
        if let tz, !tz.isEmpty {
            let name = tz.hasPrefix(":") ? String(tz.dropFirst()) : tz
            if let rules = named(name) { return rules }
            if let rule = PosixRule(name) { return TimeZoneRules(identifier: name, transitions: [], offsets: [], initialOffset: Int32(rule.standardOffset), rule: rule) }
        }
        guard let bytes = readFile(localtime) else { return .utc }
        var target = [CChar](repeating: 0, count: 1024)
        let n = readlink(localtime, &target, target.count - 1)
        let link = n > 0 ? String(decoding: target[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        let parts = link.split(separator: "/").map(String.init)
        let name = parts.lastIndex(of: "zoneinfo").map { parts[($0 + 1)...].joined(separator: "/") } ?? "localtime"
        return TimeZoneRules(identifier: name, tzif: bytes) ?? .utc
    }

    /// Letters, digits, "/", "_", "-", "+" (the tz names' characters), no empty, "." or ".." component.
    static func isZoneName(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 64, !s.hasPrefix("/") else { return false }
        let allowed = s.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || "/_-+".unicodeScalars.contains($0) }
        return allowed && !s.split(separator: "/", omittingEmptySubsequences: false).contains { $0.isEmpty || $0 == "." || $0 == ".." }
    }

    /// The offset from UTC in seconds at the instant `t` (seconds since 1970).
    public func offsetSeconds(at t: Int64) -> Int {
        if let last = transitions.last, t >= last, let rule { return rule.offsetSeconds(at: t) }
        if transitions.isEmpty { return Int(rule?.offsetSeconds(at: t) ?? Int(initialOffset)) }
        // The last transition at or before t.
        var low = 0, high = transitions.count
        while low < high {
            let mid = (low + high) / 2
            if transitions[mid] <= t { low = mid + 1 } else { high = mid }
        }
        return Int(low == 0 ? initialOffset : offsets[low - 1])
    }

    /// The instant (seconds since 1970, UTC) of the local wall-clock time `local` (seconds since 1970 as if the local
    /// time were UTC). Of a time that occurs twice (the hour the clocks go back) the first; a time that does not occur
    /// (the hour the clocks go forward) is read with the offset before the change, as a clock that was not put forward
    /// would show it (what POSIX mktime(3) and Foundation's Calendar do).
    public func utcSeconds(fromLocal local: Int64) -> Int64 {
        // The offsets a day around the time: the candidates; the first that maps back to the same local time wins.
        let early = offsetSeconds(at: local - 86_400), late = offsetSeconds(at: local + 86_400)
        for offset in [early, late] where offsetSeconds(at: local - Int64(offset)) == offset { return local - Int64(offset) }
        return local - Int64(early)
    }
}

extension TimeZoneRules {
    /// Parses a TZif file (RFC 8536 §3); nil when it is not one or is cut short.
    public init?(identifier: String, tzif b: [UInt8]) {
        var r = ByteReader(b)
        guard let header = r.header() else { return nil }
        var version1 = header
        var useVersion2 = false
        if header.version >= 2 {
            // Skip the version 1 data block (32-bit times) to the second header.
            guard r.skip(version1.dataBytes(timeBytes: 4)), let second = r.header() else { return nil }
            version1 = second
            useVersion2 = true
        }
        let h = version1, timeBytes = useVersion2 ? 8 : 4
        var transitions: [Int64] = [], indices: [Int] = []
        transitions.reserveCapacity(h.timecnt)
        for _ in 0..<h.timecnt {
            guard let t = timeBytes == 8 ? r.int64() : r.int32().map(Int64.init) else { return nil }
            transitions.append(t)
        }
        for _ in 0..<h.timecnt {
            guard let i = r.byte(), Int(i) < h.typecnt else { return nil }
            indices.append(Int(i))
        }
        var types: [Int32] = []
        for _ in 0..<h.typecnt {
            guard let utoff = r.int32(), r.byte() != nil, r.byte() != nil else { return nil }
            types.append(utoff)
        }
        guard !types.isEmpty, r.skip(h.charcnt + h.leapcnt * (timeBytes + 4) + h.isstdcnt + h.isutcnt) else { return nil }
        var rule: PosixRule?
        if useVersion2 {
            // The footer: "\n" TZ string "\n" (RFC 8536 §3.3); empty when the zone has no rule.
            let rest = r.rest()
            guard rest.first == 0x0A, let end = rest.dropFirst().firstIndex(of: 0x0A) else { return nil }
            let text = String(decoding: rest[rest.index(after: rest.startIndex)..<end], as: UTF8.self)
            if !text.isEmpty {
                guard let parsed = PosixRule(text) else { return nil }
                rule = parsed
            }
        }
        self.init(identifier: identifier, transitions: transitions, offsets: indices.map { types[$0] }, initialOffset: types[0], rule: rule)
    }

    private static func readFile(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = [], chunk = [UInt8](repeating: 0, count: 16_384)
        while bytes.count < 1 << 20 {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { return nil }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return bytes
    }
}

/// Big-endian reading of a TZif file.
private struct ByteReader {
    let bytes: [UInt8]
    var at = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    struct Header {
        var version: Int
        var isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0
        func dataBytes(timeBytes: Int) -> Int {
            timecnt * timeBytes + timecnt + typecnt * 6 + charcnt + leapcnt * (timeBytes + 4) + isstdcnt + isutcnt
        }
    }

    /// "TZif", the version ("\0", "2", "3" or "4"), 15 reserved bytes, six counts (RFC 8536 §3.1).
    mutating func header() -> Header? {
        guard at + 44 <= bytes.count, bytes[at..<at + 4].elementsEqual("TZif".utf8) else { return nil }
        let v = bytes[at + 4]
        at += 20
        var h = Header(version: v == 0 ? 1 : Int(v) - 0x30)
        guard let a = count(), let b = count(), let c = count(), let d = count(), let e = count(), let f = count() else { return nil }
        (h.isutcnt, h.isstdcnt, h.leapcnt, h.timecnt, h.typecnt, h.charcnt) = (a, b, c, d, e, f)
        return h
    }

    private mutating func count() -> Int? { int32().flatMap { $0 >= 0 && $0 < 1_000_000 ? Int($0) : nil } }

    mutating func byte() -> UInt8? {
        guard at < bytes.count else { return nil }
        defer { at += 1 }
        return bytes[at]
    }

    mutating func int32() -> Int32? { bigEndian() }
    mutating func int64() -> Int64? { bigEndian() }

    /// A signed big-endian integer of `T`'s width (TZif's 32- and 64-bit fields, RFC 8536 §3), nil past the end.
    private mutating func bigEndian<T: FixedWidthInteger & SignedInteger>() -> T? {
        let width = T.bitWidth / 8
        guard at + width <= bytes.count else { return nil }
        var v: T.Magnitude = 0
        for i in 0..<width { v = v << 8 | T.Magnitude(bytes[at + i]) }
        at += width
        return T(truncatingIfNeeded: v)
    }

    mutating func skip(_ n: Int) -> Bool {
        guard n >= 0, at + n <= bytes.count else { return false }
        at += n
        return true
    }

    func rest() -> ArraySlice<UInt8> { bytes[at...] }
}
