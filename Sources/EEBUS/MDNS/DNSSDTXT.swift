/// The key/value pairs of a DNS-SD TXT record (RFC 6763 §6), in their order. Each string is `key=value` (§6.3), `key`
/// alone for a boolean attribute (§6.4); keys are printable ASCII without `=`, compared case-insensitively, and only the
/// first of a repeated key counts (§6.4). Values are octets; SHIP's are text (SHIP TS 1.0.1 §7.3.2).
public struct DNSSDTXT: Hashable, Sendable, CustomStringConvertible {
    public struct Entry: Hashable, Sendable {
        public var key: String
        /// nil for a key without `=` (a boolean attribute, §6.4); empty for `key=` (§6.5).
        public var value: [UInt8]?
        public init(key: String, value: [UInt8]?) { self.key = key; self.value = value }
        public init(_ key: String, _ text: String) { self.key = key; value = Array(text.utf8) }
        /// The value as UTF-8 text (nil for a boolean attribute).
        public var text: String? { value.map { String(decoding: $0, as: UTF8.self) } }
    }

    public var entries: [Entry]

    public init(_ entries: [Entry] = []) { self.entries = entries }

    /// The pairs in order, from text keys and values.
    public init(pairs: [(String, String)]) { entries = pairs.map { Entry($0.0, $0.1) } }

    /// The value of the first entry whose key matches case-insensitively (RFC 6763 §6.4).
    public subscript(key: String) -> String? {
        let k = key.lowercased()
        return entries.first { $0.key.lowercased() == k }?.text
    }

    /// Whether an entry with this key exists (with or without a value).
    public func contains(_ key: String) -> Bool { entries.contains { $0.key.lowercased() == key.lowercased() } }

    /// The record's strings: the pairs in order. Throws for a key that is empty, not printable ASCII or contains `=`
    /// (§6.4), and for a pair longer than 255 octets (§6.1).
    public func strings() throws -> [[UInt8]] {
        try entries.map { e in
            let key = Array(e.key.utf8)
            guard !key.isEmpty, key.allSatisfy({ (0x20...0x7E).contains($0) && $0 != 0x3D }) else {
                throw DNSMessageError("TXT key '\(e.key)': a key is 1 or more printable ASCII characters without '=' (RFC 6763 §6.4)")
            }
            let s = key + (e.value.map { [0x3D] + $0 } ?? [])
            guard s.count <= 255 else { throw DNSMessageError("TXT entry '\(e.key)': \(s.count) octets (allowed at most 255, RFC 6763 §6.1)") }
            return s
        }
    }

    /// The pairs of a received record's strings: empty strings and strings starting with `=` are skipped (§6.4), and a
    /// repeated key keeps its first value.
    public init(strings: [[UInt8]]) {
        var seen = Set<String>()
        entries = []
        for s in strings where !s.isEmpty && s[0] != 0x3D {
            let cut = s.firstIndex(of: 0x3D)
            let key = String(decoding: s[..<(cut ?? s.endIndex)], as: UTF8.self)
            guard seen.insert(key.lowercased()).inserted else { continue }
            entries.append(Entry(key: key, value: cut.map { Array(s[($0 + 1)...]) }))
        }
    }

    public var description: String {
        entries.map { e in e.text.map { "\(e.key)=\($0)" } ?? e.key }.joined(separator: " ")
    }
}
