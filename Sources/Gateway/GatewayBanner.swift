/// What `chargekit gateway` prints once every server is bound: the mode, where chargers, the BMS and the installer
/// connect, and the configured chargers with their register blocks (seeds/003 Appendix 2).
public enum GatewayBanner {
    /// - Parameters:
    ///   - modbusTCPPort: the bound Modbus TCP port; nil when Modbus TCP is off.
    ///   - webHost: the web configuration's address as a browser on this machine reaches it.
    ///   - httpsPort, fingerprint: the HTTPS port and its certificate's SHA-256 fingerprint (issue 23 item 2).
    public static func text(_ settings: GatewaySettings, ocppPort: Int, modbusTCPPort: Int?, webHost: String, httpPort: Int, httpsPort: Int? = nil,
                            fingerprint: String? = nil, dataPath: String) -> String {
        let chargers = settings.chargers.sorted { $0.slot < $1.slot }
            .map { "    \(String(($0.id + String(repeating: " ", count: 20)).prefix(20))) slot \($0.slot), \($0.connectors) connector(s), registers from \(RegisterLayout.chargerBase($0.slot))" }
        var lines = ["ChargeKit gateway is running in \(settings.mode.rawValue) mode (seeds/003 register map).",
                     "  OCPP-J 1.6   \(settings.ocppScheme)://<this host>:\(ocppPort)/<ChargerID>"]
        if settings.mode == .external {
            lines.append("  Relayed to   \(settings.externalURL)/<ChargerID>\(settings.externalPassword.isEmpty ? "" : " (HTTP Basic authentication)")")
        }
        lines.append("  Modbus TCP   \(modbusTCPPort.map { "port \($0), unit id \(settings.unitIDDescription)" } ?? "off")")
        lines.append("  Modbus RTU   \(settings.rtuDescription ?? "off")")
        if let httpsPort {
            lines.append("  Web          https://\(webHost):\(httpsPort)/   (configuration and diagnostics; log in as operator, installer or manufacturer)")
            if let fingerprint { lines.append("  Certificate  SHA-256 \(fingerprint)") }
            lines.append("  HTTP         http://\(webHost):\(httpPort)/   (answered on 127.0.0.1 for the gateway's own tools; elsewhere redirected to HTTPS unless configured otherwise)")
        } else {
            lines.append("  Web          http://\(webHost):\(httpPort)/   (configuration and diagnostics; log in as operator, installer or manufacturer)")
        }
        lines.append("  Data         \(dataPath)")
        lines.append("  Chargers\(chargers.isEmpty ? "    none configured: add them on the web page Chargers or with --charger ID[:connectors]" : "")")
        return (lines + chargers).map { $0 + "\n" }.joined()
    }
}
