#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CivilDate

/// A plain-text e-mail as RFC 5322 writes it: the header fields Date, From, To, Subject, Message-ID and the MIME fields
/// of a UTF-8 text body (RFC 2045), then the body in quoted-printable, every line ending in CRLF. A subject with letters
/// beyond ASCII goes into RFC 2047 encoded words (UTF-8, base64), folded so no line exceeds 78 characters; the body in
/// quoted-printable stays 7-bit, so the mail passes servers without 8BITMIME (RFC 6152) unchanged.
///
/// Control characters in the subject are replaced by spaces before anything is written: a CR or LF there would start
/// a header of the sender's choosing.
public struct MailMessage: Sendable, Equatable {
    public var from: MailAddress
    public var to: [MailAddress]
    public var subject: String
    /// Lines separated by "\n" (or CRLF); written with CRLF.
    public var body: String
    public var date: Date
    /// The Message-ID's content without the angle brackets: `unique@domain` (RFC 5322 §3.6.4).
    public var messageID: String

    public init(from: MailAddress, to: [MailAddress], subject: String, body: String, date: Date, messageID: String) {
        self.from = from; self.to = to; self.subject = subject; self.body = body; self.date = date; self.messageID = messageID
    }

    /// The message as the octets of SMTP DATA's content, before dot-stuffing (``SMTPData``).
    public func rendered() -> [UInt8] {
        var lines: [String] = []
        lines.append("Date: " + Self.rfc5322Date(date))
        lines.append("From: " + from.text)
        lines.append("To: " + to.map(\.text).joined(separator: ", "))
        lines.append(Self.subjectField(subject))
        lines.append("Message-ID: <\(messageID.filter { $0 != "<" && $0 != ">" && !$0.isWhitespace })>")
        lines.append("MIME-Version: 1.0")
        lines.append("Content-Type: text/plain; charset=utf-8")
        lines.append("Content-Transfer-Encoding: quoted-printable")
        lines.append("")
        var out = Array(lines.joined(separator: "\r\n").utf8) + Array("\r\n".utf8)
        out += QuotedPrintable.encode(body)
        return out
    }

    // MARK: Subject (RFC 2047)

    /// `Subject: …` with its folding: the text as it is when it is printable ASCII (folded at spaces), else encoded words.
    static func subjectField(_ subject: String) -> String {
        let clean = String(subject.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
        let ascii = clean.unicodeScalars.allSatisfy { $0.value < 0x7F }
        if ascii && !clean.contains("=?") {
            return fold("Subject:", words: clean.split(separator: " ", omittingEmptySubsequences: false).map(String.init))
        }
        return fold("Subject:", words: RFC2047.encodedWords(clean))
    }

    /// Joins `words` after `name` with spaces, starting a continuation line (CRLF SP) before a word that would pass 78
    /// characters (RFC 5322 §2.2.3).
    static func fold(_ name: String, words: [String]) -> String {
        var out = name, line = name.count
        for w in words {
            if line + 1 + w.count > 78 && line > name.count {
                out += "\r\n " + w
                line = 1 + w.count
            } else {
                out += " " + w
                line += 1 + w.count
            }
        }
        return out
    }

    // MARK: Date (RFC 5322 §3.3)

    /// `Sat, 05 Dec 2026 13:56:10 +0000`: the date in UTC, computed from Unix seconds (no locale, no time zone data).
    public static func rfc5322Date(_ date: Date) -> String {
        CivilDate.internetDate(secondsSince1970: Int64(date.timeIntervalSince1970.rounded(.down)), zone: "+0000")
    }

    /// `2026-12-05 13:56:10 UTC`: the time as alert texts show it.
    public static func utcText(_ date: Date) -> String {
        let s = CivilDate.split(secondsSince1970: Int64(date.timeIntervalSince1970.rounded(.down)))
        let two = CivilDate.two
        return "\(s.year)-\(two(s.month))-\(two(s.day)) \(two(s.secondOfDay / 3600)):\(two(s.secondOfDay % 3600 / 60)):\(two(s.secondOfDay % 60)) UTC"
    }
}

/// RFC 2047 encoded words: UTF-8 in base64 ("B" encoding), each word at most 75 characters (§2) — 68 here, so that
/// "Subject: " and a word fit in 78 — and never splitting a character's bytes between two words (§5).
public enum RFC2047 {
    /// 14 groups of base64 (42 bytes) and "=?UTF-8?B?", "?=": 68 characters.
    static let bytesPerWord = 42

    public static func encodedWords(_ text: String) -> [String] {
        var words: [String] = [], chunk: [UInt8] = []
        for ch in text {
            let bytes = Array(String(ch).utf8)
            if chunk.count + bytes.count > bytesPerWord, !chunk.isEmpty {
                words.append(word(chunk))
                chunk = []
            }
            chunk += bytes.prefix(bytesPerWord)
        }
        if !chunk.isEmpty || words.isEmpty { words.append(word(chunk)) }
        return words
    }

    static func word(_ bytes: [UInt8]) -> String { "=?UTF-8?B?" + Base64.encode(bytes) + "?=" }
}

/// Base64 (RFC 4648 §4), for encoded words and SMTP AUTH.
public enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i], b1 = i + 1 < bytes.count ? bytes[i + 1] : 0, b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes base64; nil for anything else (an AUTH LOGIN challenge).
    public static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        for c in text.utf8 where c != UInt8(ascii: "=") {
            guard let v = alphabet.firstIndex(of: c) else { return nil }
            values.append(UInt8(v))
        }
        var out: [UInt8] = []
        var i = 0
        while i + 1 < values.count {
            out.append(values[i] << 2 | values[i + 1] >> 4)
            if i + 2 < values.count { out.append(values[i + 1] << 4 | values[i + 2] >> 2) }
            if i + 3 < values.count { out.append(values[i + 2] << 6 | values[i + 3]) }
            i += 4
        }
        return out
    }
}

/// Quoted-printable (RFC 2045 §6.7) of UTF-8 text: printable ASCII stays as it is, other octets become `=XX`, a space
/// or tab at a line's end is encoded, and lines longer than 76 characters get soft line breaks (`=` CRLF).
public enum QuotedPrintable {
    public static func encode(_ text: String) -> [UInt8] {
        let normalized = text.replacing("\r\n", with: "\n").replacing("\r", with: "\n")
        var out: [UInt8] = []
        let hex = Array("0123456789ABCDEF".utf8)
        for line in normalized.split(separator: "\n", omittingEmptySubsequences: false) {
            let bytes = Array(line.utf8)
            var length = 0
            for (i, b) in bytes.enumerated() {
                let last = i == bytes.count - 1
                var piece: [UInt8]
                if (b >= 33 && b <= 126 && b != UInt8(ascii: "=")) || ((b == 0x20 || b == 0x09) && !last) {
                    piece = [b]
                } else {
                    piece = [UInt8(ascii: "="), hex[Int(b >> 4)], hex[Int(b & 0x0F)]]
                }
                // Room for the soft break's "=" within 76 characters.
                if length + piece.count > 75 {
                    out += Array("=\r\n".utf8)
                    length = 0
                }
                out += piece
                length += piece.count
            }
            out += Array("\r\n".utf8)
        }
        return out
    }
}
