/// Calendar arithmetic without ICU or time-zone data, for every pure target that writes or reads a date: days since
/// 1970-01-01 to a proleptic Gregorian date and back (Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms",
/// public domain), month lengths, and the fixed-length Internet date of HTTP, SSDP and mail headers.
public enum CivilDate {
    /// Days since 1970-01-01 of a proleptic Gregorian date.
    public static func days(fromCivil y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date of a day number (days since 1970-01-01).
    public static func civil(fromDays z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    public static func daysIn(month m: Int, year y: Int) -> Int {
        switch m {
        case 2: isLeap(y) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Seconds since 1970 split into the date and the seconds of its day (floor, also before 1970).
    public static func split(secondsSince1970 t: Int64) -> (year: Int, month: Int, day: Int, secondOfDay: Int, daysSince1970: Int) {
        let days = t >= 0 ? t / 86_400 : -((-t + 86_399) / 86_400)
        let (y, m, d) = civil(fromDays: Int(days))
        return (y, m, d, Int(t - days * 86_400), Int(days))
    }

    /// "Sat, 05 Dec 2026 14:00:00 GMT": the fixed-length date of RFC 5322 §3.3 and RFC 9110 §5.6.7 (IMF-fixdate), in
    /// UTC; `zone` is what the header wants for it ("GMT" in HTTP and SSDP, "+0000" in mail).
    public static func internetDate(secondsSince1970 t: Int64, zone: String = "GMT") -> String {
        let s = split(secondsSince1970: t)
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][((s.daysSince1970 % 7) + 7) % 7]
        let month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][s.month - 1]
        return "\(weekday), \(two(s.day)) \(month) \(s.year) \(two(s.secondOfDay / 3600)):\(two(s.secondOfDay / 60 % 60)):\(two(s.secondOfDay % 60)) \(zone)"
    }

    /// Two digits, zero-padded.
    public static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
}
