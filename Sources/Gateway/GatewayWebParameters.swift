import Parameters

/// The gateway's web configuration and API listener (issue 23 items 2 and 7), declared like every gateway setting in
/// its registry: the address it binds, the HTTPS port, and whether plain HTTP is redirected to HTTPS (the station has
/// the same three, `WebServerParameters.swift`). The web listener runs for the whole process (the gateway services
/// restart with new settings, the web configuration does not, so that the page that saved them stays reachable): a
/// change takes effect at the next start of the gateway. The command line's `--http-host` and `--https-port` override
/// them for one run.
///
/// The typed keys are named `gatewayWeb…` because the station's registry has keys of its own for the same purpose.
extension ParameterKey {
    public static var gatewayWebBindAddress: ParameterKey<String> { .init("webBindAddress", .text) }
    public static var gatewayHTTPSPort: ParameterKey<Int> { .init("httpsPort", .integer) }
    public static var gatewayHTTPRedirect: ParameterKey<Bool> { .init("httpRedirect", .bool) }
}

extension GatewayParameters {
    static let webDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .gatewayWebBindAddress, label: "Web and API listen address", type: .string(length: 2...45, allowed: "0123456789abcdefABCDEF.:"),
            defaultValue: .string("0.0.0.0"), role: role, menu: GatewaySettingField.Section.web.menu, section: GatewaySettingField.Section.web.rawValue,
            help: "The address the web configuration and the API listen on, for HTTP and HTTPS: 0.0.0.0 every IPv4 interface, :: every interface, or one of the gateway's own addresses. Takes effect at the next start of the gateway.",
            seeAlso: "docs/installer.md, HTTPS"),
        ParameterDefinition(
            key: .gatewayHTTPSPort, label: "HTTPS port", type: .integer(1...65535, unit: nil), defaultValue: .integer(8444), role: role,
            menu: GatewaySettingField.Section.web.menu, section: GatewaySettingField.Section.web.rawValue,
            help: "TCP port of the web configuration and the API over HTTPS. Takes effect at the next start of the gateway.",
            seeAlso: "docs/installer.md, HTTPS"),
        ParameterDefinition(
            key: .gatewayHTTPRedirect, label: "Redirect HTTP to HTTPS", type: .bool, defaultValue: .bool(true), role: role,
            menu: GatewaySettingField.Section.web.menu, section: GatewaySettingField.Section.web.rawValue,
            help: "On: a browser that opens the HTTP port is sent to the same page over HTTPS; the gateway's own tools on 127.0.0.1 are answered over HTTP. Takes effect at the next start of the gateway.",
            seeAlso: "docs/installer.md, HTTPS"),
    ]
}

extension GatewaySettings {
    static let webFields: [GatewaySettingField] = [
        .bind(.gatewayWebBindAddress, \.webBindAddress),
        .bind(.gatewayHTTPSPort, \.httpsPort),
        .bind(.gatewayHTTPRedirect, \.httpRedirect),
    ]
}
