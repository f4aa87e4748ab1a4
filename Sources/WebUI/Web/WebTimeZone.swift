import FoundationEssentials

/// TIME ZONE LOOKUP (issue 31): the one place the web interface turns a zone's IANA name, or the host's zone, into a
/// `TimeZone`. FoundationEssentials alone knows only GMT and fixed offsets: `TimeZone(identifier: "Europe/Berlin")`
/// finds a named zone only while FoundationInternationalization (ICU's zone data) is linked into the binary, and falls
/// back to GMT without it. The TZif reader of the system's tzdata (`/usr/share/zoneinfo`) replaces these two calls.
enum WebTimeZone {
    /// The zone `name` (the station's Timezone parameter), GMT when it is unknown.
    static func named(_ name: String) -> TimeZone { TimeZone(identifier: name) ?? .gmt }

    /// The host's zone (the gateway shows its times in it).
    static var host: TimeZone { TimeZone.current }
}
