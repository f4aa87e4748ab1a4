#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CivilDate

/// OCPP date-time coding: emits `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC, milliseconds), parses RFC 3339 with any
/// fraction and offset (`Z`, `+02:00`, `-0530`). Calendar arithmetic is done here, without ICU.
///
/// - SeeAlso: OCPP 1.6 §3.9 (dateTime, UTC recommended); OCPP-J errata (fractional seconds).
public enum OCPPDate {
    /// Formats a date.
    public static func format(_ date: Date) -> String {
        let ms = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        let days = Int((Double(ms) / 86_400_000).rounded(.down))
        let rest = Int(ms - Int64(days) * 86_400_000)
        let (y, m, d) = civil(fromDays: days)
        func pad(_ n: Int, _ w: Int) -> String { let s = String(n); return String(repeating: "0", count: max(0, w - s.count)) + s }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rest / 3_600_000, 2)):\(pad(rest / 60_000 % 60, 2)):\(pad(rest / 1000 % 60, 2)).\(pad(rest % 1000, 3))Z"
    }

    /// Parses an RFC 3339 date-time; nil if malformed.
    public static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    private static func parse(bytes s: UnsafeBufferPointer<UInt8>) -> Date? {
        @inline(__always) func num(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= s.count else { return nil }
            var v = 0
            for k in from..<(from + count) {
                let c = s[k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        guard s.count >= 19, let y = num(0, 4), s[4] == 45, let mo = num(5, 2), s[7] == 45, let d = num(8, 2),
              s[10] == 84 || s[10] == 116 || s[10] == 32, let h = num(11, 2), s[13] == 58, let mi = num(14, 2), s[16] == 58,
              let se = num(17, 2), (1...12).contains(mo), (1...daysIn(month: mo, year: y)).contains(d), h < 24, mi < 60, se < 61 else {
            return nil
        }
        var i = 19
        var fraction = 0.0
        if i < s.count && s[i] == 46 {
            i += 1
            var scale = 0.1
            let start = i
            while i < s.count, s[i] >= 48 && s[i] <= 57 { fraction += Double(s[i] - 48) * scale; scale /= 10; i += 1 }
            guard i > start else { return nil }
        }
        var offset = 0
        guard i < s.count else { return nil }
        if s[i] == 90 || s[i] == 122 {
            i += 1
        } else if s[i] == 43 || s[i] == 45 {
            let sign = s[i] == 45 ? -1 : 1
            guard let oh = num(i + 1, 2) else { return nil }
            var om = 0
            if i + 3 < s.count && s[i + 3] == 58 {
                guard let m = num(i + 4, 2) else { return nil }
                om = m; i += 6
            } else if let m = num(i + 3, 2) {
                om = m; i += 5
            } else {
                i += 3
            }
            guard oh < 24, om < 60 else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == s.count else { return nil }
        let seconds = Double(days(fromCivil: y, mo, d) * 86_400 + h * 3600 + mi * 60 + min(se, 59) - offset) + fraction
        return Date(timeIntervalSince1970: seconds)
    }

    /// Days in a month of the proleptic Gregorian calendar.
    public static func daysIn(month m: Int, year y: Int) -> Int { CivilDate.daysIn(month: m, year: y) }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    public static func days(fromCivil y: Int, _ m: Int, _ d: Int) -> Int { CivilDate.days(fromCivil: y, m, d) }

    /// The proleptic Gregorian date of a day number.
    public static func civil(fromDays z: Int) -> (year: Int, month: Int, day: Int) { CivilDate.civil(fromDays: z) }
}
