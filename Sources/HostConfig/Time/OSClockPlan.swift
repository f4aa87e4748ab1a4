/// What the station does with its operating system's clock, time zone and NTP service (issue 24 item 4, seeds/002
/// §1.6): the station keeps its own clock (stepped to the backend's or the browser's time inside the process), and the
/// operating system's clock, set through systemd-timedated, carries that time across a restart.
///
/// The decisions are made here from what the station wants and what timedated reports; the adapter only carries them
/// out. timedated refuses `SetTime` while its automatic synchronisation (NTP) is on, so:
/// - with NTP off, the OS clock is simply set;
/// - with TimeSource Heartbeat, a time from the backend (the chosen source) switches NTP off first — the two would
///   otherwise fight; a time from the browser does so only while NTP has not synchronised (no internet: the case the
///   seed's "Browser (only once)" is for), since a synchronised NTP is the better clock;
/// - with TimeSource NTP, NTP is switched on (where timedated can) and the station never sets the OS clock: a browser's
///   time stays the station's own until the next restart; the page says so.
public enum OSClockPlan {
    /// What the station wants.
    public struct Desired: Sendable, Equatable {
        /// IANA name (parameter Timezone).
        public var timezone: String
        /// Whether Timezone still has its factory value: the station then leaves an OS zone set by other means alone.
        public var timezoneIsDefault: Bool
        /// TimeSource NTP (else Heartbeat).
        public var followsNTP: Bool
        public var ntpServers: [String]
        public init(timezone: String, timezoneIsDefault: Bool, followsNTP: Bool, ntpServers: [String]) {
            self.timezone = timezone; self.timezoneIsDefault = timezoneIsDefault; self.followsNTP = followsNTP; self.ntpServers = ntpServers
        }
    }

    /// What timedated reports (its properties Timezone, NTP, CanNTP, NTPSynchronized).
    public struct Observed: Sendable, Equatable {
        public var timezone: String
        public var ntp: Bool
        public var canNTP: Bool
        public var ntpSynchronized: Bool
        public init(timezone: String, ntp: Bool, canNTP: Bool, ntpSynchronized: Bool) {
            self.timezone = timezone; self.ntp = ntp; self.canNTP = canNTP; self.ntpSynchronized = ntpSynchronized
        }
    }

    public enum Action: Sendable, Equatable {
        /// `SetTimezone(zone, interactive false)`.
        case setTimezone(String)
        /// `SetNTP(on, interactive false)`.
        case setNTP(Bool)
        /// Write (or, for an empty list, remove) the NTP service's file and make the service re-read it.
        case writeNTPServers([String])
    }

    /// The actions that bring the OS to what the station wants. `writtenServers` is the list last written (nil: never
    /// in this process, so the file is written once at start).
    public static func reconcile(_ desired: Desired, _ observed: Observed, writtenServers: [String]?) -> [Action] {
        var actions: [Action] = []
        if !desired.timezoneIsDefault, desired.timezone != observed.timezone { actions.append(.setTimezone(desired.timezone)) }
        if desired.followsNTP, !observed.ntp, observed.canNTP { actions.append(.setNTP(true)) }
        if writtenServers != desired.ntpServers { actions.append(.writeNTPServers(desired.ntpServers)) }
        return actions
    }

    /// What to do when the station clock was set (from `source`: backend, browser, api).
    public enum ClockDecision: Sendable, Equatable {
        /// Set the OS clock to the station's time; switch NTP off first when `disableNTP`.
        case set(disableNTP: Bool)
        /// Leave the OS clock, for this reason (shown on the System page).
        case leave(String)
    }

    public static func clockSet(fromBackend: Bool, followsNTP: Bool, _ observed: Observed) -> ClockDecision {
        guard observed.ntp else { return .set(disableNTP: false) }
        if followsNTP { return .leave("NTP sets the operating system's clock (TimeSource NTP)") }
        if fromBackend { return .set(disableNTP: true) }
        if observed.ntpSynchronized { return .leave("NTP keeps the operating system's clock synchronised") }
        return .set(disableNTP: true)
    }

    /// `SetTime`'s first argument: microseconds since 1970 UTC (timedated's `usec_utc`), from seconds since 1970.
    public static func microseconds(sinceEpoch seconds: Double) -> Int64 {
        Int64((seconds * 1_000_000).rounded())
    }
}
