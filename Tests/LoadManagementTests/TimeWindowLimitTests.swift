import Foundation
import CivilDate
import Testing
import LoadManagement

@Suite("Maximum Current Scheduler windows (seeds/004 DLM screen)")
struct TimeWindowLimitTests {
    @Test("windows in the station's time zone, across midnight, the lower one on overlap; malformed or empty windows refused")
    func windows() {
        let windows = ["17:00-22:00=10", "21:00-06:00=16", "12:00-12:30=0"].compactMap(TimeWindowLimit.init(text:))
        let zone = TimeZoneRules.named("Europe/Berlin")!
        func at(_ hhmm: String) -> Date {  // 2026-11-21 in Berlin (UTC+1)
            let h = Int(hhmm.prefix(2))!, m = Int(hhmm.suffix(2))!
            return Date(timeIntervalSince1970: 1_795_215_600 + Double(h * 3600 + m * 60))
        }
        #expect(TimeWindowLimit.limit(windows, at: at("1659"), timeZone: zone) == nil)
        #expect(TimeWindowLimit.limit(windows, at: at("1700"), timeZone: zone) == 10)
        #expect(TimeWindowLimit.limit(windows, at: at("2130"), timeZone: zone) == 10)
        #expect(TimeWindowLimit.limit(windows, at: at("2300"), timeZone: zone) == 16)
        #expect(TimeWindowLimit.limit(windows, at: at("1215"), timeZone: zone) == 0)
        #expect(TimeWindowLimit(text: "25:00-26:00=10") == nil && TimeWindowLimit(text: "10:00-10:00=6") == nil && TimeWindowLimit(text: "10-12=6") == nil)
    }
}
