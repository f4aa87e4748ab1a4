import Glibc
import FoundationEssentials
import CivilDate
import StringSupport

/// The few formatting and text helpers the web pages need, without the whole of Foundation (issue 31: its
/// `String(format:)`, `DateFormatter`, `CharacterSet` and percent coding bring in ICU). Each gives exactly what the
/// Foundation call it replaced gave for the pages' values.
enum WebFormat {
    /// `x` with `decimals` digits after the point, as C's `printf("%.*f")` rounds it (the exact binary value, a tie to
    /// even): what `String(format: "%.2f", x)` gave. C's own formatter, in the C locale (a Swift program never sets
    /// another), so the point is always `.`.
    static func fixed(_ x: Double, _ decimals: Int) -> String { x.fixed(decimals) }

    /// `n` at least `width` characters wide, zeros after the sign (`%02d`).
    static func padded(_ n: Int, _ width: Int = 2) -> String {
        let digits = String(n.magnitude), sign = n < 0 ? "-" : ""
        return sign + String(repeating: "0", count: max(0, width - sign.count - digits.count)) + digits
    }

    /// `date` as `yyyy-MM-dd HH:mm:ss` (`separator` between day and time; without `:ss` unless `seconds`) in `tz`, as
    /// DateFormatter wrote it: to the nearest millisecond (ICU's time unit), then the seconds cut off.
    static func dateTime(_ date: Date, tz: TimeZoneRules, separator: String = " ", seconds: Bool = true) -> String {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        let local = Int64((milliseconds / 1000).rounded(.down)) + Int64(tz.secondsFromGMT(for: date))
        let c = CivilDate.split(secondsSince1970: local)
        let s = c.secondOfDay
        return "\(padded(c.year, 4))-\(padded(c.month))-\(padded(c.day))\(separator)\(padded(s / 3600)):\(padded(s / 60 % 60))"
            + (seconds ? ":\(padded(s % 60))" : "")
    }

    /// Whether `s` is what Foundation's `CharacterSet.whitespaces` holds: a space separator (Unicode Zs), a tab, or
    /// the zero width space U+200B.
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == "\t" || s == "\u{200B}" || s.properties.generalCategory == .spaceSeparator
    }
}

extension StringProtocol {
    /// Without the spaces and tabs at both ends (`trimmingCharacters(in: .whitespaces)`).
    var trimmingSpaces: String { trimming(WebFormat.isWhitespace) }
}
