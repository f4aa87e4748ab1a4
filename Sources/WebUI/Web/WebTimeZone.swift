import CivilDate
import FoundationEssentials

/// The web interface's time zones: the station's Timezone parameter and the gateway host's zone, as CivilDate's
/// `TimeZoneRules` read from the system's tz database. FoundationEssentials alone knows only GMT and fixed offsets, so
/// Foundation's `TimeZone(identifier: "Europe/Berlin")` would fall back to GMT without ICU in the binary.
enum WebTimeZone {
    /// The zone `name` (the station's Timezone parameter), UTC when it is unknown.
    static func named(_ name: String) -> TimeZoneRules { TimeZoneRules.named(name) ?? .utc }

    /// The host's zone (the gateway shows its times in it), read once per process as the C library's localtime(3)
    /// and Foundation's `TimeZone.current` do.
    static let host = TimeZoneRules.host()
}

extension TimeZoneRules {
    /// The offset from UTC in seconds at `date` (what `TimeZone.secondsFromGMT(for:)` gave).
    func secondsFromGMT(for date: Date) -> Int { offsetSeconds(at: Int64(date.timeIntervalSince1970.rounded(.down))) }

    /// The instant local midnight starts day `day` of `month` in `year` here (a day past the month's end continues
    /// into the next month, as calendar arithmetic does).
    func startOfDay(_ year: Int, _ month: Int, _ day: Int) -> Date {
        Date(timeIntervalSince1970: Double(utcSeconds(fromLocal: Int64(CivilDate.days(fromCivil: year, month, day)) * 86_400)))
    }
}
