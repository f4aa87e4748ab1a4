#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The names an OCPP 1.6 frame is mostly made of: every action, every property name and every enumeration value of
/// the catalog's request and response schemas, each kept once as a String.
///
/// The parser looks the bytes of a string up here before it builds a new String: a hit costs a hash and a word
/// comparison instead of UTF-8 validation, a copy and (for names longer than 15 bytes) an allocation, and it hands out
/// a String with the very bits of the schema's (the schema's own above 15 bytes, a small String of the same characters
/// up to 15), so that the schema's name comparisons succeed on their first, bitwise check.
/// A 1 KB MeterValues CALL is about 90 % such names (callgrind, issue 31). The result is the same String either way.
final class NameTable: @unchecked Sendable {
    // @unchecked: the raw buffers are written only in init and never change afterwards.

    /// Longer strings are never looked up (the longest name of the catalog has 32 bytes).
    static let maximumLength = 48

    /// The first (up to) eight bytes of a string as a little-endian word, zero-padded: the parser has them at hand from
    /// its scan, and for most names they decide the comparison on their own.
    @inline(__always) static func prefix(_ p: UnsafePointer<UInt8>, _ count: Int, available: Int) -> UInt64 {
        if available >= 8 {
            let w = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
            return count >= 8 ? w : w & ((1 << (UInt64(count) << 3)) &- 1)
        }
        var w: UInt64 = 0
        for k in 0..<min(count, 8) { w |= UInt64(p[k]) << (UInt64(k) << 3) }
        return w
    }

    @inline(__always) static func hash(_ prefix: UInt64, _ count: Int) -> Int {
        Int(truncatingIfNeeded: ((prefix ^ UInt64(count)) &* 0x9E37_79B9_7F4A_7C15) >> 40)
    }

    /// The names of the OCPP 1.6 catalog (built on first use).
    static let ocpp16 = NameTable(names: OCPP16Catalog.names)

    private struct Entry { var prefix: UInt64; var start: Int32; var count: Int32 }

    /// All names' UTF-8 bytes one after the other, then eight zero bytes (so that a word may be loaded at any name's
    /// end), allocated once for the life of the table.
    private let pool: UnsafeMutablePointer<UInt8>
    private let entries: UnsafeMutablePointer<Entry>
    private let strings: UnsafeMutablePointer<String>
    private let stringCount: Int
    /// Open addressing: `slots[hash & mask]` and on, -1 for empty, else an index into `entries` and `strings`.
    private let slots: UnsafeMutablePointer<Int32>
    private let mask: Int

    init(names: some Sequence<String>) {
        var bytes: [UInt8] = [], entries: [Entry] = [], strings: [String] = []
        var seen = Set<String>()
        for name in names where seen.insert(name).inserted && (1...Self.maximumLength).contains(name.utf8.count) && name.utf8.allSatisfy({ $0 < 0x80 }) {
            let utf8 = Array(name.utf8)
            let prefix = utf8.withUnsafeBufferPointer { Self.prefix($0.baseAddress!, $0.count, available: 0) }
            entries.append(Entry(prefix: prefix, start: Int32(bytes.count), count: Int32(utf8.count)))
            // Up to 15 bytes made anew, so that it is a small String whatever built the schema's (JSONObject.smallKeys);
            // a small String's bits are its characters, so the schema's bitwise comparisons still succeed at once.
            strings.append(utf8.count <= 15 ? String(decoding: utf8, as: UTF8.self) : name)
            bytes.append(contentsOf: utf8)
        }
        var capacity = 16
        while capacity < strings.count * 4 { capacity *= 2 }
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: -1, count: capacity)
        pool = .allocate(capacity: bytes.count + 8)
        pool.initialize(from: bytes + [UInt8](repeating: 0, count: 8), count: bytes.count + 8)
        self.entries = .allocate(capacity: max(1, entries.count))
        self.entries.initialize(from: entries, count: entries.count)
        self.strings = .allocate(capacity: max(1, strings.count))
        self.strings.initialize(from: strings, count: strings.count)
        stringCount = strings.count
        mask = capacity - 1
        for k in entries.indices {
            var s = Self.hash(entries[k].prefix, Int(entries[k].count)) & mask
            while slots[s] >= 0 { s = (s + 1) & mask }
            slots[s] = Int32(k)
        }
    }

    deinit {
        strings.deinitialize(count: stringCount)
        pool.deallocate(); entries.deallocate(); slots.deallocate(); strings.deallocate()
    }

    /// The name whose UTF-8 is the `count` (1 ... ``maximumLength``) bytes at `p`, of which `available` may be read (at
    /// least `count`); nil if none.
    @inline(__always)
    func name(_ p: UnsafePointer<UInt8>, _ count: Int, available: Int) -> String? {
        let prefix = Self.prefix(p, count, available: available)
        var s = Self.hash(prefix, count) & mask
        while true {
            let k = Int(slots[s])
            if k < 0 { return nil }
            let e = entries[k]
            if e.prefix == prefix, Int(e.count) == count, count <= 8 || Self.sameTail(pool + Int(e.start), p, count, available: available) {
                return strings[k]
            }
            s = (s + 1) & mask
        }
    }

    /// Whether bytes 8 ..< `count` at `name` (in the pool) and at `p` are the same: word by word, the last word masked;
    /// byte by byte only where fewer than eight bytes of `p` may be read.
    @inline(__always)
    private static func sameTail(_ name: UnsafePointer<UInt8>, _ p: UnsafePointer<UInt8>, _ count: Int, available: Int) -> Bool {
        var k = 8
        while k < count {
            let left = count - k
            if k + 8 <= available {
                let a = UInt64(littleEndian: UnsafeRawPointer(name + k).loadUnaligned(as: UInt64.self))
                let b = UInt64(littleEndian: UnsafeRawPointer(p + k).loadUnaligned(as: UInt64.self))
                let m: UInt64 = left >= 8 ? ~0 : (1 << (UInt64(left) << 3)) &- 1
                if (a ^ b) & m != 0 { return false }
            } else {
                for j in k..<count where name[j] != p[j] { return false }
                return true
            }
            k += 8
        }
        return true
    }
}

extension OCPP16Catalog {
    /// Every action name, property name and enumeration value of the requests and responses of the catalog.
    static var names: [String] {
        var out: [String] = []
        for (action, entry) in entries.sorted(by: { $0.key < $1.key }) {
            out.append(action)
            entry.request.schema.collectNames(into: &out)
            entry.request.responseSchema.collectNames(into: &out)
        }
        return out
    }
}
