import HostConfig
import Parameters

private typealias K = StationParameters

/// The web interface's and the local API's listener (issue 23 items 2 and 7; not in the seeds, whose web interface
/// is HTTP only): the address it binds, the HTTPS port, and whether plain HTTP is redirected to HTTPS. The plain HTTP
/// port is the command line's `--http-port` (8080), which the device's own tools find in station.json.
///
/// Secure by default: HTTPS with the station's own certificate from the first start, HTTP redirected (except on the
/// loopback interface, see `WebListenerResponder`). The listener binds every interface by default because the web
/// interface is how an installer reaches a new station on the LAN; a station in a network it must not be seen from
/// binds one address (its service port's, or 127.0.0.1 behind a reverse proxy). The command line's `--http-host` and
/// `--https-port` override the parameters for one run (tests, development).
extension StationParameters {
    public static let webBindAddress = "WebBindAddress"
    public static let webHTTPSPort = "WebHTTPSPort"
    public static let webHTTPRedirect = "WebHTTPRedirect"

    static let webServerSection = "Web server (HTTPS)"

    static let webServerDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .webBindAddress, label: "Web and API listen address",
            type: .string(length: 2...45, allowed: "0123456789abcdefABCDEF.:"), defaultValue: .string("0.0.0.0"),
            role: .installer, menu: .system, section: webServerSection, restartRequired: true,
            help: "The address the web interface and the local API listen on, for HTTP and HTTPS: 0.0.0.0 every IPv4 interface, :: every interface, or one of the station's own addresses (e.g. the service port's). 127.0.0.1 makes them reachable only on the station itself.",
            seeAlso: "docs/installer.md, HTTPS"),
        ParameterDefinition(
            key: .webHTTPSPort, label: "HTTPS port", type: .integer(1...65535, unit: nil), defaultValue: .integer(8443),
            role: .installer, menu: .system, section: webServerSection, restartRequired: true,
            help: "TCP port of the web interface and the API over HTTPS (443 is the browsers' default; the packaged service may bind it).",
            seeAlso: "docs/installer.md, HTTPS"),
        ParameterDefinition(
            key: .webHTTPRedirect, label: "Redirect HTTP to HTTPS", type: .bool, defaultValue: .bool(true),
            role: .installer, menu: .system, section: webServerSection, restartRequired: true,
            help: "On: a browser that opens the HTTP port is sent to the same page over HTTPS. The station's own tools on 127.0.0.1 are always answered over HTTP. Off: both serve the pages (not recommended: passwords would cross the network readable).",
            seeAlso: "docs/installer.md, HTTPS"),
    ]

    /// The listen address's own check (``ParameterRules/textChecks``): an IP address, no name (it must not depend on a
    /// resolver at start).
    static let webServerTextChecks: [String: @Sendable (String) -> String?] = [
        webBindAddress: { text in IPAddress(text) == nil ? "an IPv4 or IPv6 address, e.g. 0.0.0.0 (every interface) or 192.168.1.20" : nil },
    ]
}

extension ParameterKey {
    public static var webBindAddress: ParameterKey<String> { .init(K.webBindAddress, .text) }
    public static var webHTTPSPort: ParameterKey<Int> { .init(K.webHTTPSPort, .integer) }
    public static var webHTTPRedirect: ParameterKey<Bool> { .init(K.webHTTPRedirect, .bool) }
}
