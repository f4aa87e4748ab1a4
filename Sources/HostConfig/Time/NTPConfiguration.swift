/// The NTP servers the station's operating system synchronises its clock with (seeds/002 §1.6 "NTP: Synchronisierung
/// über Internet-Verbindung"; issue 24 item 4), and the configuration file each NTP service reads them from. The seed
/// names no parameter for the servers: ChargeKit's parameter NTPServers holds them, empty meaning "the operating
/// system's own servers" (then no file is written and a file written earlier is removed).
public enum NTPConfiguration {
    /// The NTP services ChargeKit configures: systemd-timesyncd (Debian's default) or chrony, whichever runs.
    public enum Service: String, Sendable, Equatable, CaseIterable {
        case timesyncd
        case chrony

        /// The file ChargeKit owns, relative to the configuration root ("/" on a station).
        /// - timesyncd reads drop-ins from `timesyncd.conf.d` (timesyncd.conf(5)); a drop-in's `NTP=` replaces the list
        ///   of the main file.
        /// - Debian's chrony.conf reads `sourcedir /etc/chrony/sources.d` (files ending in `.sources`, chrony.conf(5)),
        ///   which `chronyc reload sources` re-reads without a restart.
        public var relativePath: String {
            switch self {
            case .timesyncd: "etc/systemd/timesyncd.conf.d/chargekit.conf"
            case .chrony: "etc/chrony/sources.d/chargekit.sources"
            }
        }
    }

    /// Most servers accepted: timesyncd and chrony both take more, but a station needs a few.
    public static let maxServers = 8

    /// The servers of the parameter's text: host names or IP addresses separated by spaces or commas; nil with a
    /// problem when one is neither.
    public static func servers(_ text: String) -> (servers: [String], problem: String?) {
        let items = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }).map(String.init)
        guard items.count <= maxServers else { return ([], "at most \(maxServers) servers") }
        for item in items where !isHostName(item) && IPAddress(item) == nil {
            return ([], "\"\(item)\" is neither a host name nor an IP address")
        }
        var seen = Set<String>()
        return (items.filter { seen.insert($0.lowercased()).inserted }, nil)
    }

    /// A host name of RFC 1123 §2.1: dot-separated labels of letters, digits and hyphens, 1–63 characters each, not
    /// starting or ending with a hyphen, at most 253 characters; not all-numeric (that would be a mistyped address).
    public static func isHostName(_ s: String) -> Bool {
        guard !s.isEmpty, s.utf8.count <= 253 else { return false }
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-",
                  label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else { return false }
        }
        return !s.allSatisfy { $0.isNumber || $0 == "." }
    }

    /// The file for `service` listing `servers`; nil when the list is empty (the file is then removed).
    public static func file(for service: Service, servers: [String]) -> String? {
        guard !servers.isEmpty else { return nil }
        let header = "# Written by ChargeKit from its parameter NTPServers; change the parameter, not this file.\n"
        switch service {
        case .timesyncd:
            return header + "[Time]\nNTP=" + servers.joined(separator: " ") + "\n"
        case .chrony:
            return header + servers.map { "server \($0) iburst\n" }.joined()
        }
    }
}
