/// Every metric the gateway exports besides the shared ones (``MetricNames/uptime`` and the `process_*` facts), with
/// its help text: the list docs/integrator.md ("Gateway metrics") mirrors. Prometheus conventions as for the station:
/// the base unit in the name, `_total` for counters, state sets as one gauge per state with 1 for the current one.
///
/// A label `charger` is a ChargerID. The event counters count the configured chargers under their ChargerID and the
/// chargers accepted without being configured together under `charger=""`, so that a flood of unknown IDs cannot grow
/// the label set without bound; the gauges list what the Diagnostic page lists (the configured chargers and at most 100
/// connected unconfigured ones).
public enum GatewayMetricNames {
    // The gateway.
    public static let info = "chargekit_gateway_info"
    public static let servicesRunning = "chargekit_gateway_services_running"
    public static let bmsOnline = "chargekit_gateway_bms_online"
    public static let openTransactions = "chargekit_gateway_open_transactions"
    // Chargers (gauges of the scrape).
    public static let chargersConfigured = "chargekit_gateway_chargers_configured"
    public static let chargersConnected = "chargekit_gateway_chargers_connected"
    public static let chargerConnected = "chargekit_gateway_charger_connected"
    public static let chargerUpstreamConnected = "chargekit_gateway_charger_upstream_connected"
    public static let chargerRequestsWaiting = "chargekit_gateway_charger_requests_waiting"
    public static let chargerOperationsWaiting = "chargekit_gateway_charger_operations_waiting"
    public static let connectorStatus = "chargekit_gateway_connector_status"
    // Counters (counted where the event happens).
    public static let ocppFrames = "chargekit_gateway_ocpp_frames_total"
    public static let modbusRequests = "chargekit_gateway_modbus_requests_total"
    public static let modbusExceptions = "chargekit_gateway_modbus_exceptions_total"
    public static let handshakeDuration = "chargekit_gateway_bms_handshake_duration_seconds"
    public static let handshakeTimeouts = "chargekit_gateway_bms_handshake_timeouts_total"

    public static let help: [String: String] = [
        info: "Gateway identity (label mode: BMS or External); always 1.",
        servicesRunning: "1 while the gateway services (OCPP server, Modbus TCP and RTU) run; 0 after they failed to start.",
        bmsOnline: "BMS mode: 1 while the BMS sets the Heartbeat register within the BMS heartbeat timeout (absent until it first does).",
        openTransactions: "Transactions the gateway saw start and not yet stop.",
        chargersConfigured: "Chargers in the gateway's charger list.",
        chargersConnected: "Chargers with an open OCPP connection, configured or not.",
        chargerConnected: "1 while the charger's OCPP WebSocket to the gateway is open.",
        chargerUpstreamConnected: "External mode: 1 while the connected charger's relay connection to the external central system is open.",
        chargerRequestsWaiting: "BMS mode: the charger's Authorize/StartTransaction/StopTransaction requests waiting for the BMS; External mode: central system CALLs waiting for the charger.",
        chargerOperationsWaiting: "BMS mode: operations the BMS requested that wait for the charger's answer.",
        connectorStatus: "OCPP status of the connector as its status register holds it: 1 for the current status, 0 for the others.",
        ocppFrames: "OCPP frames passed by the gateway, by charger and direction (from_charger, to_charger; External mode also from_central, to_central); messages per second is rate() of it.",
        modbusRequests: "Modbus requests of the BMS answered, by transport (tcp, rtu) and function code.",
        modbusExceptions: "Modbus requests of the BMS refused with an exception, by transport, function and exception code.",
        handshakeDuration: "Register handshakes with the BMS that ended with an answer, in seconds: messages_from_cs from the BMS's Flag write to the charger's answer, messages_to_cs from the charger's request to the BMS's Processed. Timeouts are not observed here.",
        handshakeTimeouts: "Register handshakes with the BMS that timed out: messages_from_cs the charger did not answer in the answer timeout, messages_to_cs the BMS did not process in the BMS timeout.",
    ]

    /// The handshake histogram's buckets in seconds: from a BMS that polls quickly to the longest timeouts.
    public static let handshakeBuckets: [Double] = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300]
}
