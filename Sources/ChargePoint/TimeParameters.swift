#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HostConfig
import Parameters

private typealias K = StationParameters

/// The operating system's time service (issue 24 item 4, seeds/002 §1.6 "Synchronisiert kann das Datum/die Uhrzeit
/// werden durch: NTP …"): the NTP servers the OS synchronises with when TimeSource is NTP. The seed names no parameter
/// for them; NTPServers sits beside Timezone on the System page.
extension StationParameters {
    public static let ntpServers = "NTPServers"

    /// The NTP servers' own format check (``ParameterRules/textChecks``).
    static let timeTextChecks: [String: @Sendable (String) -> String?] = [
        ntpServers: { NTPConfiguration.servers($0).problem },
    ]

    static let timeDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .ntpServers, label: "NTP servers", type: .string(length: 0...300, allowed: hostCharacters + " ,"),
            defaultValue: .string(""), role: .operator, menu: .system, section: "Timezone",
            help: "Host names or IP addresses of the time servers the operating system synchronises its clock with (systemd-timesyncd or chrony, whichever runs), separated by spaces. Empty (factory setting): the operating system's own servers. Used when the time source is NTP.",
            seeAlso: "seeds/002 §1.6 Date/Time (NTP)"),
    ]
}

extension ParameterKey {
    public static var ntpServers: ParameterKey<String> { .init(K.ntpServers, .text) }
}

/// The operating system's clock as the System page shows it (issue 24 item 4): whether the station manages it through
/// systemd-timedated, and if not why; the OS time zone and NTP state; when the station last set the OS clock and from
/// which source; the NTP service the servers went to.
public struct OSClockStatus: Sendable, Codable, Equatable {
    /// timedated answers: the station sets the OS clock and time zone.
    public var managed: Bool
    /// Why the OS clock is not managed, or what the last attempt left (an error, "NTP sets the clock").
    public var note: String?
    public var timezone: String?
    public var ntp: Bool?
    public var ntpSynchronized: Bool?
    /// `timesyncd`, `chrony`, or nil when neither runs.
    public var ntpService: String?
    /// When the station last set the OS clock, and from which source of the station clock (backend, browser, api).
    public var setAt: Date?
    public var setFrom: String?

    public init(managed: Bool, note: String? = nil, timezone: String? = nil, ntp: Bool? = nil, ntpSynchronized: Bool? = nil,
                ntpService: String? = nil, setAt: Date? = nil, setFrom: String? = nil) {
        self.managed = managed; self.note = note; self.timezone = timezone; self.ntp = ntp; self.ntpSynchronized = ntpSynchronized
        self.ntpService = ntpService; self.setAt = setAt; self.setFrom = setFrom
    }
}
