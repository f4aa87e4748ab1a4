#if canImport(Glibc)
import Glibc
#endif

/// String operations the adapters had from Foundation and FoundationEssentials lacks. They live here, pure and small,
/// because importing the whole of Foundation for them brings ICU's 34 MB of data into the binary.
extension StringProtocol {
    /// The text without the scalars that `drop` holds at both ends (Foundation's `trimmingCharacters(in:)` with a set of
    /// one's own): each format says what it trims — spaces and tabs of a parameter, a CR of a CRLF line, quotes.
    public func trimming(_ drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !drop($0) }), let last = scalars.lastIndex(where: { !drop($0) }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }

    /// The text without leading and trailing white space and line breaks — a program's output, a file's line: exactly
    /// what Foundation's `trimmingCharacters(in: .whitespacesAndNewlines)` removes, i.e. Unicode's White_Space
    /// property and the zero width space U+200B (which Foundation's set counts, and WebFormatTests compares).
    public var trimmedWhitespaceAndNewlines: String {
        trimming { $0.properties.isWhitespace || $0 == "\u{200B}" }
    }

    /// The text with its percent-encoded octets decoded (RFC 3986 §2.1: "%" HEXDIG HEXDIG); nil when a "%" is not
    /// followed by two hexadecimal digits or the octets are not UTF-8 (as Foundation's `removingPercentEncoding`).
    public var percentDecoded: String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var it = utf8.makeIterator()
        while let b = it.next() {
            guard b == UInt8(ascii: "%") else { bytes.append(b); continue }
            guard let h = it.next().flatMap(Self.hexValue), let l = it.next().flatMap(Self.hexValue) else { return nil }
            bytes.append(h << 4 | l)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The text with every octet percent-encoded (upper-case hexadecimal, RFC 3986 §2.1) except the unreserved
    /// characters (ALPHA, DIGIT, "-", ".", "_", "~"; §2.3) and the ASCII characters in `keeping` — e.g. a URL path
    /// segment keeps "!$&'()*+,;=@" (§3.3).
    public func percentEncoded(keeping: String = "") -> String {
        let kept = Set(keeping.utf8.filter { $0 < 0x80 })
        var out = ""
        out.reserveCapacity(utf8.count)
        for b in utf8 {
            if Self.isUnreserved(b) || kept.contains(b) {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                let digits: [Character] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "A", "B", "C", "D", "E", "F"]
                out.append("%"); out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0x0F)])
            }
        }
        return out
    }

    private static func isUnreserved(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): true
        default: false
        }
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// Path text, as the station builds it: absolute or relative POSIX paths of its data directory and USB sticks, no
/// "~" and no URL forms (what NSString's path methods did for these paths).
extension String {
    /// The path with `component` appended after one "/" ("/var/lib/chargekit" + "firmware" →
    /// "/var/lib/chargekit/firmware"; a trailing "/" of the path or a leading one of the component is not doubled).
    public func pathAppending(_ component: String) -> String {
        guard !isEmpty else { return component }
        guard !component.isEmpty else { return self }
        switch (hasSuffix("/"), component.hasPrefix("/")) {
        case (true, true): return self + component.dropFirst()
        case (false, false): return self + "/" + component
        default: return self + component
        }
    }

    /// The path without its last component ("/a/b/c" → "/a/b", "/a" → "/", "c" → "").
    public var pathDirectory: String {
        var path = Substring(self)
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The last component of the path ("/a/b/c.pkg" → "c.pkg"; "/a/b/" → "b").
    public var pathLastComponent: String {
        var path = Substring(self)
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        guard let slash = path.lastIndex(of: "/"), path.count > 1 else { return String(path) }
        return String(path[path.index(after: slash)...])
    }
}

extension String {
    /// The text left-justified in `width` characters: padded with spaces, or cut to `width` when longer (what
    /// Foundation's `padding(toLength:withPad:" ", startingAt: 0)` gave the command line's tables).
    public func padded(to width: Int) -> String {
        count >= width ? String(prefix(width)) : self + String(repeating: " ", count: width - count)
    }

    /// The text right-justified in at least `width` characters (a number column); never cut.
    public func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

extension Double {
    /// The number with exactly `decimals` digits after the point, as C's `printf("%.*f")` rounds it (the exact binary
    /// value, a tie to even) — what `String(format: "%.1f", x)` gave: C's own formatter in the C locale (a Swift program
    /// never sets another), so the point is always ".". Not finite: "nan", "inf", "-inf".
    public func fixed(_ decimals: Int) -> String {
        guard isFinite else { return isNaN ? "nan" : (self < 0 ? "-inf" : "inf") }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 352) { buffer in
            let n = withVaList([Int32(Swift.max(0, Swift.min(decimals, 17))), self]) { vsnprintf(buffer.baseAddress, buffer.count, "%.*f", $0) }
            guard n > 0 else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: Swift.min(Int(n), buffer.count - 1)), as: UTF8.self)
        }
    }
}
