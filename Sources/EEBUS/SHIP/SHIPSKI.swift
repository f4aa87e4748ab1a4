import Crypto

/// A SHIP node's identity: the Subject Key Identifier of its certificate, 20 bytes written as 40 lower-case hex digits
/// (SHIP TS 1.0.1 §12.2: the SKI is what a user compares and enters to pair two nodes; trust is by SKI, not by a CA).
///
/// Computed as RFC 5280 §4.2.1.2 method (1): the SHA-1 of the value of the subjectPublicKey BIT STRING (for P-256 the
/// 65-byte uncompressed point), excluding tag, length and the unused-bits byte.
public struct SHIPSKI: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// 40 lower-case hex digits.
    public let hex: String

    /// The SKI of a public key: `subjectPublicKey` is the BIT STRING's contents (for P-256, the X9.63 point).
    public init(subjectPublicKey: [UInt8]) {
        hex = Self.hexString(Array(Insecure.SHA1.hash(data: subjectPublicKey)))
    }

    /// The SKI whose 20 bytes are `bytes` (the keyIdentifier of a certificate's SubjectKeyIdentifier extension).
    public init?(bytes: [UInt8]) {
        guard bytes.count == 20 else { return nil }
        hex = Self.hexString(bytes)
    }

    /// The SKI a user typed or pasted: 40 hex digits in any case, optionally grouped by spaces, colons or dashes (as
    /// devices show it: "A1B2 C3D4 …", "a1:b2:…"). Anything else is refused with a message that says what is wrong.
    public init(userInput: String) throws(SHIPSKIError) {
        var digits: [Character] = []
        for c in userInput {
            if c == " " || c == ":" || c == "-" || c == "\t" { continue }
            guard c.isHexDigit, c.isASCII else {
                throw SHIPSKIError("the SKI may hold only the hex digits 0–9 and a–f (spaces, colons and dashes between them are ignored); \"\(c)\" is not one")
            }
            digits.append(Character(c.lowercased()))
        }
        guard digits.count == 40 else {
            throw SHIPSKIError("the SKI has 40 hex digits (20 bytes); \(digits.count) were given")
        }
        hex = String(digits)
    }

    /// The 20 bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(20)
        var it = hex.utf8.makeIterator()
        while let h = it.next(), let l = it.next() { out.append(Self.nibble(h) << 4 | Self.nibble(l)) }
        return out
    }

    public var description: String { hex }
    public static func < (a: SHIPSKI, b: SHIPSKI) -> Bool { a.hex < b.hex }

    /// The SKI grouped in blocks of four for a page (`a1b2 c3d4 …`), as users compare it with a device's display.
    public var grouped: String {
        var out = ""
        for (i, c) in hex.enumerated() {
            if i > 0, i % 4 == 0 { out.append(" ") }
            out.append(c)
        }
        return out
    }

    static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var s = ""
        s.reserveCapacity(bytes.count * 2)
        for b in bytes { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 0xF)]) }
        return s
    }

    private static func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        default: c - UInt8(ascii: "a") + 10
        }
    }
}

/// Why a text is not an SKI.
public struct SHIPSKIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
