/// What `chargekit station` prints once its web server runs: where the web interface and the API are, where the API
/// token is (never the token itself), the data directory, and the first commands to drive a simulated station.
public enum StationBanner {
    /// `web` is the web interface's base URL on plain HTTP (the API for the device's own tools), `secureWeb` the HTTPS
    /// one with the certificate's SHA-256 `fingerprint`; `board` names the board ("simulated"); `timeScale` 1 is real time.
    public static func text(_ settings: StationSettings, board: String, timeScale: Double, web: String, secureWeb: String? = nil,
                            fingerprint: String? = nil, dataPath: String) -> String {
        var lines = "ChargeKit station \(settings.chargeBoxIdentity) is running: \(settings.connectorCount) connector(s), \(board)"
            + "\(timeScale == 1 ? "" : ", time ×\(timeScale)").\n"
        if let secureWeb {
            lines += "  Web         \(secureWeb)/   (log in as operator, installer or manufacturer)\n"
            if let fingerprint { lines += "  Certificate SHA-256 \(fingerprint)\n" }
            lines += "  HTTP        \(web)/   (answered on 127.0.0.1 for the station's own tools; elsewhere redirected to HTTPS unless configured otherwise)\n"
        } else {
            lines += "  Web         \(web)/   (log in as operator, installer or manufacturer)\n"
        }
        return lines + """
              Status API  \(web)/api/status   (all endpoints: docs/api.md)
                          send "Authorization: Bearer <apiToken>"; the token is in \(dataPath)/station.json
              Data        \(dataPath)
              Drive it    chargekit whitelist add 04567DAA5F3580 --data-dir \(dataPath)
                          chargekit sim plug 1 --ev 3p-16a --data-dir \(dataPath)
                          chargekit sim rfid 04567DAA5F3580 --data-dir \(dataPath)
                          chargekit sim status --data-dir \(dataPath)
              Stop        Ctrl-C (everything is persisted first)

            """
    }
}
