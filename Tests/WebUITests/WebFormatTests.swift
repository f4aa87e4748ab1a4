import StringSupport
import CivilDate
import Foundation
import Testing
@testable import WebUI

/// WebFormat and PercentCoding replaced Foundation's `String(format:)`, `DateFormatter`, `trimmingCharacters`,
/// `addingPercentEncoding` and `removingPercentEncoding` in WebUI (issue 31); the test binary still links Foundation,
/// so each is compared here with the call it replaced, over values chosen to hit the edges (ties of rounding, a
/// millisecond before the next second, zones east and west, non-ASCII text, broken percent escapes).
@Suite struct WebFormatTests {
    @Test("fixed decimals round as String(format: \"%.Nf\") does, ties and binary edges included")
    func fixed() {
        var values: [Double] = [0, -0.0, 0.5, 1.5, 2.5, -0.5, 0.125, 0.375, 1.005, 2.675, 1e20, 123456789.125, 0.045, 16.05, -3.14159]
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<5000 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            values.append(Double(Int64(bitPattern: x) % 100_000_000) / [1, 8, 1000, 10000, 3][Int(x >> 61) % 5])
        }
        for v in values {
            for d in 0...2 { #expect(WebFormat.fixed(v, d) == String(format: "%.\(d)f", v), "\(v) \(d)") }
        }
        for n in [-5, 0, 7, 12, 123] { #expect(WebFormat.padded(n) == String(format: "%02d", n)) }
    }

    @Test("date and time in a zone as DateFormatter wrote them, to the nearest millisecond, then the seconds cut off")
    func dateTime() throws {
        for name in ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "GMT"] {
            let tz = try #require(TimeZone(identifier: name)), rules = try #require(TimeZoneRules.named(name))
            let f = DateFormatter(), g = DateFormatter()
            f.dateFormat = "yyyy-MM-dd HH:mm:ss"
            g.dateFormat = "yyyy-MM-dd'T'HH:mm"
            f.timeZone = tz
            g.timeZone = tz
            for t in [0, 1_800_000_000, 1_800_000_059.9994, 1_800_000_059.9996, 1_774_746_000, 1_774_745_999.5, 4_102_444_800, 946_684_799.999] {
                let date = Date(timeIntervalSince1970: t)
                #expect(WebFormat.dateTime(date, tz: rules) == f.string(from: date), "\(t) \(name)")
                #expect(WebFormat.dateTime(date, tz: rules, separator: "T", seconds: false) == g.string(from: date), "\(t) \(name)")
            }
        }
    }

    @Test("trimming and percent decoding as Foundation did them; a query value decodes back to itself")
    func text() {
        let samples = ["a b", "  x\t", "\u{00A0}y\u{2003}", "\u{200B}z", "", "   ", "é ü", "\"q\"", "a+b%20c", "%zz", "%C3%A9", "%FF", "%4",
                       "日本 語/?&=#", "x\u{0301}y", "١٢٣", "½", "a\nb", "AZaz09-._~"]
        for s in samples {
            #expect(s.trimmingSpaces == s.trimmingCharacters(in: .whitespaces), "\(s)")
            #expect(s.trimming { $0 == "\"" } == s.trimmingCharacters(in: CharacterSet(charactersIn: "\"")), "\(s)")
            #expect(WebHTTP.query(s).percentDecoded == s, "\(s)")
            #expect(s.percentDecoded == s.removingPercentEncoding, "\(s)")
            #expect(s.trimmedWhitespaceAndNewlines == s.trimmingCharacters(in: .whitespacesAndNewlines), "\(s)")
        }
    }
}
