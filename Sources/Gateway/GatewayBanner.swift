/// What `chargekit gateway` prints once every server is bound: the mode, where chargers, the BMS and the installer
/// connect, and the configured chargers with their register blocks (seeds/003 Appendix 2).
public enum GatewayBanner {
    /// - Parameters:
    ///   - modbusTCPPort: the bound Modbus TCP port; nil when Modbus TCP is off.
    ///   - webHost: the web configuration's address as a browser on this machine reaches it.
    public static func text(_ settings: GatewaySettings, ocppPort: Int, modbusTCPPort: Int?, webHost: String, httpPort: Int, dataPath: String) -> String {
        let chargers = settings.chargers.sorted { $0.slot < $1.slot }
            .map { "    \(String(($0.id + String(repeating: " ", count: 20)).prefix(20))) slot \($0.slot), \($0.connectors) connector(s), registers from \(RegisterLayout.chargerBase($0.slot))" }
        var lines = ["ChargeKit gateway is running in \(settings.mode.rawValue) mode (seeds/003 register map).",
                     "  OCPP-J 1.6   \(settings.ocppScheme)://<this host>:\(ocppPort)/<ChargerID>"]
        if settings.mode == .external {
            lines.append("  Relayed to   \(settings.externalURL)/<ChargerID>\(settings.externalPassword.isEmpty ? "" : " (HTTP Basic authentication)")")
        }
        lines.append("  Modbus TCP   \(modbusTCPPort.map { "port \($0), unit id \(settings.unitIDDescription)" } ?? "off")")
        lines.append("  Modbus RTU   \(settings.rtuDescription ?? "off")")
        lines.append("  Web          http://\(webHost):\(httpPort)/   (configuration and diagnostics; log in as operator, installer or manufacturer)")
        lines.append("  Data         \(dataPath)")
        lines.append("  Chargers\(chargers.isEmpty ? "    none configured: add them on the web page Chargers or with --charger ID[:connectors]" : "")")
        return (lines + chargers).map { $0 + "\n" }.joined()
    }
}
