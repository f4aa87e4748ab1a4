/// What `chargekit station` prints once its web server runs: where the web interface and the API are, where the API
/// token is (never the token itself), the data directory, and the first commands to drive a simulated station.
public enum StationBanner {
    /// `web` is the web interface's base URL; `board` names the board ("simulated"); `timeScale` 1 is real time.
    public static func text(_ settings: StationSettings, board: String, timeScale: Double, web: String, dataPath: String) -> String {
        """
        ChargeKit station \(settings.chargeBoxIdentity) is running: \(settings.connectorCount) connector(s), \(board)\(timeScale == 1 ? "" : ", time ×\(timeScale)").
          Web         \(web)/   (log in as operator, installer or manufacturer)
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
