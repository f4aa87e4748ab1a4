#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CivilDate
import EVSECore

/// One window of the Maximum Current Scheduler (seeds/004 DLM screen): from `startMinute` to `endMinute` of every
/// day (minutes after midnight, station time zone; a window may pass midnight) the current is at most `amps`.
public struct TimeWindowLimit: Sendable, Equatable {
    public var startMinute: Int
    public var endMinute: Int
    public var amps: Double

    public init(startMinute: Int, endMinute: Int, amps: Double) {
        self.startMinute = startMinute; self.endMinute = endMinute; self.amps = amps
    }

    /// Reads `HH:MM-HH:MM=A`; nil when malformed or empty (start = end).
    public init?(text: String) {
        let parts = text.split(separator: "=")
        guard parts.count == 2, let amps = Int(parts[1].trimmedWhitespace) else { return nil }
        let times = parts[0].split(separator: "-")
        guard times.count == 2, let a = Self.minute(times[0]), let b = Self.minute(times[1]), a != b else { return nil }
        self.init(startMinute: a, endMinute: b, amps: Double(amps))
    }

    private static func minute(_ s: Substring) -> Int? {
        let hm = s.trimmedWhitespace.split(separator: ":")
        guard hm.count == 2, (1...2).contains(hm[0].count), hm[1].count == 2, let h = Int(hm[0]), let m = Int(hm[1]),
              (0...24).contains(h), (0...59).contains(m), h * 60 + m <= 1440 else { return nil }
        return h * 60 + m
    }

    /// The canonical text.
    public var text: String {
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        func hm(_ m: Int) -> String { "\(two(m / 60)):\(two(m % 60))" }
        return "\(hm(startMinute))-\(hm(endMinute))=\(Int(amps))"
    }

    /// Whether the window covers `minute` (0..<1440).
    public func contains(minute: Int) -> Bool {
        startMinute < endMinute ? (startMinute..<endMinute).contains(minute) : (minute >= startMinute || minute < endMinute)
    }

    /// The lowest current of the windows that cover `date` in `timeZone`, if any.
    public static func limit(_ windows: [TimeWindowLimit], at date: Date, timeZone: TimeZoneRules) -> Double? {
        let t = Int64(date.timeIntervalSince1970.rounded(.down))
        let minute = CivilDate.split(secondsSince1970: t + Int64(timeZone.offsetSeconds(at: t))).secondOfDay / 60
        return windows.filter { $0.contains(minute: minute) }.map(\.amps).min()
    }
}
