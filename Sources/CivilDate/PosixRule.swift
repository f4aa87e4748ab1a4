/// The rule of a POSIX TZ string — "CET-1CEST,M3.5.0,M10.5.0/3" — as TZif's footer gives it for the instants after a
/// zone's last listed transition (POSIX.1-2017 §8.3 "TZ"; RFC 8536 §3.3.1 allows rule times from -167 to 167 hours).
///
/// Offsets in the string are west of Greenwich ("CET-1" is UTC+1); they are kept here as UTC offsets (east positive).
struct PosixRule: Sendable, Equatable {
    var standardOffset: Int
    var daylight: Daylight?

    struct Daylight: Sendable, Equatable {
        var offset: Int
        var start: Transition
        var end: Transition
    }

    /// A day of the year and the local time on it (seconds after its midnight) when the change happens.
    struct Transition: Sendable, Equatable {
        enum Day: Sendable, Equatable {
            /// Mm.w.d: day d (0 Sunday) of week w (5: the last) of month m.
            case monthWeekDay(month: Int, week: Int, weekday: Int)
            /// Jn: 1…365, February 29 never counted.
            case julianNoLeap(Int)
            /// n: 0…365, February 29 counted.
            case zeroBased(Int)
        }
        var day: Day
        var seconds: Int
    }

    init?(_ text: String) {
        var s = Substring(text)
        guard Self.name(&s) != nil, let std = Self.offset(&s) else { return nil }
        standardOffset = -std
        guard !s.isEmpty else { daylight = nil; return }
        guard Self.name(&s) != nil else { return nil }
        var dst = standardOffset + 3600
        if let first = s.first, first != "," {
            guard let o = Self.offset(&s) else { return nil }
            dst = -o
        }
        guard s.first == "," else { return nil }
        s.removeFirst()
        guard let start = Self.transition(&s), s.first == "," else { return nil }
        s.removeFirst()
        guard let end = Self.transition(&s), s.isEmpty else { return nil }
        daylight = Daylight(offset: dst, start: start, end: end)
    }

    /// The UTC offset at the instant `t` (seconds since 1970).
    func offsetSeconds(at t: Int64) -> Int {
        guard let d = daylight else { return standardOffset }
        let year = CivilDate.split(secondsSince1970: t + Int64(standardOffset)).year
        // The change to daylight time happens at a local standard time, the change back at a local daylight time.
        let start = d.start.localSeconds(year: year) - Int64(standardOffset)
        let end = d.end.localSeconds(year: year) - Int64(d.offset)
        let inDaylight = start < end ? (t >= start && t < end) : !(t >= end && t < start)
        return inDaylight ? d.offset : standardOffset
    }

    /// A zone abbreviation: letters ("CET"), or anything but ">" between "<" and ">" ("<+0330>").
    private static func name(_ s: inout Substring) -> Substring? {
        if s.first == "<" {
            guard let close = s.firstIndex(of: ">") else { return nil }
            let n = s[s.index(after: s.startIndex)..<close]
            s = s[s.index(after: close)...]
            return n.count >= 3 ? n : nil
        }
        let n = s.prefix { $0.isASCII && $0.isLetter }
        s = s.dropFirst(n.count)
        return n.count >= 3 ? n : nil
    }

    /// [+|-]hh[:mm[:ss]] in seconds (hours up to 167, RFC 8536 §3.3.1).
    private static func offset(_ s: inout Substring) -> Int? {
        var sign = 1
        if s.first == "+" { s.removeFirst() } else if s.first == "-" { sign = -1; s.removeFirst() }
        var parts: [Int] = []
        while parts.count < 3 {
            let digits = s.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count <= 3, let v = Int(digits) else { return nil }
            parts.append(v)
            s = s.dropFirst(digits.count)
            guard s.first == ":" else { break }
            s.removeFirst()
        }
        guard parts[0] <= 167, parts.dropFirst().allSatisfy({ $0 < 60 }) else { return nil }
        return sign * (parts[0] * 3600 + (parts.count > 1 ? parts[1] * 60 : 0) + (parts.count > 2 ? parts[2] : 0))
    }

    private static func transition(_ s: inout Substring) -> Transition? {
        var day: Transition.Day
        if s.first == "M" {
            s.removeFirst()
            let fields = s.prefix { $0 != "/" && $0 != "," }.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
            guard fields.count == 3, let m = fields[0], let w = fields[1], let d = fields[2],
                  (1...12).contains(m), (1...5).contains(w), (0...6).contains(d) else { return nil }
            s = s.drop { $0 != "/" && $0 != "," }
            day = .monthWeekDay(month: m, week: w, weekday: d)
        } else {
            let julian = s.first == "J"
            if julian { s.removeFirst() }
            let digits = s.prefix { $0.isASCII && $0.isNumber }
            guard let n = Int(digits), julian ? (1...365).contains(n) : (0...365).contains(n) else { return nil }
            s = s.dropFirst(digits.count)
            day = julian ? .julianNoLeap(n) : .zeroBased(n)
        }
        var seconds = 7200
        if s.first == "/" {
            s.removeFirst()
            guard let t = offset(&s) else { return nil }
            seconds = t
        }
        return Transition(day: day, seconds: seconds)
    }
}

extension PosixRule.Transition {
    /// The local time of the change in `year`, in seconds since 1970 as if local time were UTC.
    func localSeconds(year: Int) -> Int64 {
        let days: Int
        switch day {
        case .monthWeekDay(let month, let week, let weekday):
            let first = CivilDate.days(fromCivil: year, month, 1)
            let firstWeekday = ((first + 4) % 7 + 7) % 7  // 1970-01-01 was a Thursday
            var d = 1 + (weekday - firstWeekday + 7) % 7 + (week - 1) * 7
            while d > CivilDate.daysIn(month: month, year: year) { d -= 7 }
            days = first + d - 1
        case .julianNoLeap(let n):
            days = CivilDate.days(fromCivil: year, 1, 1) + n - 1 + (CivilDate.isLeap(year) && n >= 60 ? 1 : 0)
        case .zeroBased(let n):
            days = CivilDate.days(fromCivil: year, 1, 1) + n
        }
        return Int64(days) * 86_400 + Int64(seconds)
    }
}
