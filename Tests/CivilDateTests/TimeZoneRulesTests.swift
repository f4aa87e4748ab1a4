@testable import CivilDate
import Foundation
import Testing

/// The TZif reader against the system's tz database, with Foundation's ICU-backed TimeZone (linked into the tests
/// only) as the second opinion, and against hand-made TZif files and POSIX rules.
@Suite struct TimeZoneRulesTests {
    /// Every 6 hours from 1975 to 2037, and around every transition: the same offset as ICU's.
    @Test(arguments: ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Europe/London", "America/Los_Angeles", "Pacific/Auckland", "Asia/Tokyo"])
    func offsetsAgreeWithICU(zone: String) throws {
        let rules = try #require(TimeZoneRules.named(zone))
        let icu = try #require(TimeZone(identifier: zone))
        var mismatches: [Int64] = []
        var t: Int64 = 157_766_400  // 1975-01-01
        while t < 2_114_380_800 {   // 2037-01-01
            if rules.offsetSeconds(at: t) != icu.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t))) { mismatches.append(t) }
            t += 6 * 3600
        }
        for tr in rules.transitions where tr > 157_766_400 && tr < 2_114_380_800 {
            for probe in [tr - 1, tr, tr + 1] where rules.offsetSeconds(at: probe) != icu.secondsFromGMT(for: Date(timeIntervalSince1970: Double(probe))) {
                mismatches.append(probe)
            }
        }
        #expect(mismatches.isEmpty, "\(zone): \(mismatches.prefix(5))")
    }

    @Test func berlinSwitchesAtOneUTCOnTheLastSundaysOfMarchAndOctober() throws {
        let berlin = try #require(TimeZoneRules.named("Europe/Berlin"))
        let march = Int64(CivilDate.days(fromCivil: 2026, 3, 29)) * 86_400 + 3600  // 01:00 UTC
        #expect(berlin.offsetSeconds(at: march - 1) == 3600 && berlin.offsetSeconds(at: march) == 7200)
        let october = Int64(CivilDate.days(fromCivil: 2026, 10, 25)) * 86_400 + 3600
        #expect(berlin.offsetSeconds(at: october - 1) == 7200 && berlin.offsetSeconds(at: october) == 3600)
        // Far beyond the file's transitions, from its footer "CET-1CEST,M3.5.0,M10.5.0/3".
        let july2300 = Int64(CivilDate.days(fromCivil: 2300, 7, 1)) * 86_400
        #expect(berlin.offsetSeconds(at: july2300) == 7200)
        #expect(berlin.offsetSeconds(at: july2300 + 180 * 86_400) == 3600)
    }

    @Test func localTimesInTheGapAndTheOverlap() throws {
        let berlin = try #require(TimeZoneRules.named("Europe/Berlin"))
        let day = Int64(CivilDate.days(fromCivil: 2026, 3, 29)) * 86_400
        #expect(berlin.utcSeconds(fromLocal: day + 1 * 3600 + 1800) == day + 1800)              // 01:30 CET
        #expect(berlin.utcSeconds(fromLocal: day + 2 * 3600 + 1800) == day + 3600 + 1800)       // 02:30 does not exist: read as CET
        #expect(berlin.utcSeconds(fromLocal: day + 3 * 3600 + 1800) == day + 3600 + 1800)       // 03:30 CEST
        let autumn = Int64(CivilDate.days(fromCivil: 2026, 10, 25)) * 86_400
        #expect(berlin.utcSeconds(fromLocal: autumn + 2 * 3600 + 1800) == autumn + 1800)        // 02:30 twice: the first (CEST)
        #expect(berlin.utcSeconds(fromLocal: autumn + 12 * 3600) == autumn + 11 * 3600)
    }

    @Test func namesThatAreNoZonesOrNoNamesAreRefused() {
        #expect(TimeZoneRules.named("Mars/Base") == nil)
        #expect(TimeZoneRules.named("../../etc/passwd") == nil)
        #expect(TimeZoneRules.named("/etc/localtime") == nil)
        #expect(TimeZoneRules.named("Europe//Berlin") == nil)
        #expect(TimeZoneRules.named("") == nil)
        #expect(TimeZoneRules.named("UTC")?.offsetSeconds(at: 0) == 0)
        #expect(TimeZoneRules.named("Europe") == nil)  // a directory
    }

    @Test func damagedFilesAreRefusedNotTrusted() throws {
        let bytes = try #require(readBerlin())
        #expect(TimeZoneRules(identifier: "x", tzif: bytes) != nil)
        for cut in [0, 10, 44, 100, bytes.count / 2, bytes.count - 3] {
            #expect(TimeZoneRules(identifier: "x", tzif: Array(bytes.prefix(cut))) == nil, "cut at \(cut)")
        }
        var wrongMagic = bytes
        wrongMagic[0] = UInt8(ascii: "X")
        #expect(TimeZoneRules(identifier: "x", tzif: wrongMagic) == nil)
    }

    @Test func posixRulesOfBothHemispheresAndJulianDays() throws {
        // Sydney: daylight time from the first Sunday of October to the first Sunday of April (southern hemisphere).
        let sydney = try #require(PosixRule("AEST-10AEDT,M10.1.0,M4.1.0/3"))
        let jan = Int64(CivilDate.days(fromCivil: 2030, 1, 15)) * 86_400, jul = Int64(CivilDate.days(fromCivil: 2030, 7, 15)) * 86_400
        #expect(sydney.offsetSeconds(at: jan) == 39_600 && sydney.offsetSeconds(at: jul) == 36_000)
        // India: no daylight time, a half-hour offset in a quoted name.
        #expect(PosixRule("<+0530>-5:30")?.offsetSeconds(at: jan) == 19_800)
        // Julian day 60 is March 1 in every year (February 29 never counted).
        let julian = try #require(PosixRule("AAA0BBB,J60/0,J300/0"))
        let march1Leap = Int64(CivilDate.days(fromCivil: 2028, 3, 1)) * 86_400
        #expect(julian.offsetSeconds(at: march1Leap - 1) == 0 && julian.offsetSeconds(at: march1Leap) == 3600)
        // Negative daylight saving (Europe/Dublin's footer): "IST" in winter is the standard time.
        let dublin = try #require(PosixRule("IST-1GMT0,M10.5.0,M3.5.0/1"))
        #expect(dublin.offsetSeconds(at: jan) == 0 && dublin.offsetSeconds(at: jul) == 3600)
        for bad in ["", "CE", "CET", "CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.5.0", "CET-1CEST,M3.5.0,M10.5.0/999", "CET-200"] {
            #expect(PosixRule(bad) == nil, "\(bad)")
        }
    }

    @Test func theHostZoneComesFromTZElseFromLocaltime() throws {
        let july = Int64(CivilDate.days(fromCivil: 2030, 7, 1)) * 86_400
        #expect(TimeZoneRules.host(tz: "Europe/Berlin").identifier == "Europe/Berlin")
        #expect(TimeZoneRules.host(tz: ":America/New_York").offsetSeconds(at: july) == -4 * 3600)
        #expect(TimeZoneRules.host(tz: "CET-1CEST,M3.5.0,M10.5.0/3").offsetSeconds(at: july) == 7200)
        let link = FileManager.default.temporaryDirectory.appendingPathComponent("localtime-\(UUID().uuidString)").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/usr/share/zoneinfo/Asia/Tokyo")
        defer { try? FileManager.default.removeItem(atPath: link) }
        let tokyo = TimeZoneRules.host(tz: nil, localtime: link)
        #expect(tokyo.identifier == "Asia/Tokyo" && tokyo.offsetSeconds(at: july) == 9 * 3600)
        #expect(TimeZoneRules.host(tz: "", localtime: "/nonexistent/localtime") == .utc)
    }

    private func readBerlin() -> [UInt8]? {
        FileManager.default.contents(atPath: "/usr/share/zoneinfo/Europe/Berlin").map(Array.init)
    }
}
