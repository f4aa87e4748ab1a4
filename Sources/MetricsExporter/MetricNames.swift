import Prometheus

/// Every metric the station exports, with its help text: the one list docs/integrator.md ("Prometheus metrics") mirrors.
/// Names follow Prometheus' conventions: the base unit in the name (`_amperes`, `_volts`, `_watts`, `_joules`,
/// `_seconds`, `_bytes`; energy in joules, not watt-hours, because `promtool check metrics` refuses `_hours`), `_total` for counters, state sets as one gauge per state with the value 1 for the current one.
public enum MetricNames {
    // Station and process.
    public static let info = "chargekit_info"
    public static let uptime = "chargekit_uptime_seconds"
    public static let activeErrors = "chargekit_active_errors"
    public static let residentMemory = "process_resident_memory_bytes"
    public static let openFDs = "process_open_fds"
    public static let maxFDs = "process_max_fds"
    // Connectors.
    public static let connectorStatus = "chargekit_connector_status"
    public static let pilotState = "chargekit_connector_pilot_state"
    public static let signalledCurrent = "chargekit_connector_signalled_current_amperes"
    public static let currentLimit = "chargekit_connector_current_limit_amperes"
    public static let limitSource = "chargekit_connector_limit_source"
    public static let current = "chargekit_connector_current_amperes"
    public static let voltage = "chargekit_connector_voltage_volts"
    public static let power = "chargekit_connector_power_watts"
    public static let energy = "chargekit_connector_energy_joules_total"
    public static let meterCommunicating = "chargekit_connector_meter_communicating"
    public static let sessionActive = "chargekit_connector_session_active"
    public static let sessionEnergy = "chargekit_connector_session_energy_joules"
    public static let sessionDuration = "chargekit_connector_session_duration_seconds"
    // OCPP.
    public static let ocppConnected = "chargekit_ocpp_connected"
    public static let ocppRegistration = "chargekit_ocpp_registration"
    public static let ocppQueued = "chargekit_ocpp_queued_transaction_messages"
    public static let ocppQueuedAge = "chargekit_ocpp_oldest_queued_transaction_message_age_seconds"
    public static let ocppCallErrors = "chargekit_ocpp_callerrors_total"
    public static let ocppRoundTrip = "chargekit_ocpp_round_trip_seconds"
    // Modbus, meters.
    public static let modbusRequests = "chargekit_modbus_requests_total"
    public static let modbusExceptions = "chargekit_modbus_exceptions_total"
    public static let meterPollFailures = "chargekit_meter_poll_failures_total"
    public static let gridMeterCommunicating = "chargekit_grid_meter_communicating"
    public static let gridCurrent = "chargekit_grid_current_amperes"
    public static let gridPower = "chargekit_grid_power_watts"
    // DLM.
    public static let dlmAvailable = "chargekit_dlm_available_current_amperes"
    public static let dlmAllocated = "chargekit_dlm_allocated_current_amperes"
    public static let dlmSlavesConnected = "chargekit_dlm_slaves_connected"
    public static let dlmSlavesKnown = "chargekit_dlm_slaves_known"
    public static let dlmMasterConnected = "chargekit_dlm_master_connected"
    public static let dlmCycle = "chargekit_dlm_cycle_seconds"

    /// Help text of each metric.
    public static let help: [String: String] = [
        info: "Station identity (labels charge_box_identity, serial_number); always 1.",
        uptime: "Seconds since the station's (or the gateway's) services last started; a restart of the services starts it again.",
        activeErrors: "Active errors of the station (error catalogue entries now raised).",
        residentMemory: "Resident memory of the chargekit process in bytes.",
        openFDs: "Open file descriptors of the chargekit process.",
        maxFDs: "Soft limit of open file descriptors of the chargekit process.",
        connectorStatus: "OCPP status of the connector: 1 for the current status, 0 for the others.",
        pilotState: "Control pilot state (IEC 61851-1 A to F) measured on the connector: 1 for the current state.",
        signalledCurrent: "Current offered to the vehicle by the pilot PWM in amperes (0 when no PWM).",
        currentLimit: "Current the connector may offer now, after every limit, in amperes.",
        limitSource: "The limit that binds the connector's current: 1 for the binding source, 0 for the others.",
        current: "Current measured by the connector's meter per phase in amperes.",
        voltage: "Voltage to neutral measured by the connector's meter per phase in volts.",
        power: "Active power measured by the connector's meter per phase in watts.",
        energy: "Imported active energy register of the connector's meter in joules (watt-hours times 3600).",
        meterCommunicating: "1 while the connector's meter answers.",
        sessionActive: "1 while a charging session runs on the connector.",
        sessionEnergy: "Energy charged in the running session in joules (watt-hours times 3600; 0 without a session).",
        sessionDuration: "Duration of the running session in seconds (0 without a session).",
        ocppConnected: "1 while the WebSocket connection to the OCPP backend is open.",
        ocppRegistration: "BootNotification result of the OCPP backend: 1 for the current one.",
        ocppQueued: "Transaction messages persisted and not yet confirmed by the OCPP backend.",
        ocppQueuedAge: "Age of the oldest queued transaction message in seconds (0 when none is queued).",
        ocppCallErrors: "OCPP CALLERROR frames by direction and error code.",
        ocppRoundTrip: "Seconds from a CALL the station sent to the backend's CALLRESULT or CALLERROR, by action.",
        modbusRequests: "Modbus requests answered on the station's OMCCI ports, by function code.",
        modbusExceptions: "Modbus exception answers on the station's OMCCI ports, by function and exception code.",
        meterPollFailures: "Failed polls of a Modbus TCP meter (connectorN or grid).",
        gridMeterCommunicating: "1 while the grid meter answers.",
        gridCurrent: "Current per grid phase measured by the grid meter in amperes.",
        gridPower: "Active power per grid phase measured by the grid meter in watts (+ import).",
        dlmAvailable: "DLM: current per grid phase the site has for the vehicles, in amperes.",
        dlmAllocated: "DLM: current per grid phase given out to the connectors, in amperes.",
        dlmSlavesConnected: "DLM master: slaves that reported within three sample periods.",
        dlmSlavesKnown: "DLM master: slaves in the persistent slave DB.",
        dlmMasterConnected: "DLM slave: 1 while the master's grants hold.",
        dlmCycle: "DLM master: seconds between its last two allocations (the sample period, or less when an input changed).",
    ]

    /// The OCPP 1.6 CALLERROR codes (§4.2.3); others are counted as "Other".
    static let ocppErrorCodes: Set<String> = [
        "NotImplemented", "NotSupported", "InternalError", "ProtocolError", "SecurityError", "FormationViolation",
        "PropertyConstraintViolation", "OccurenceConstraintViolation", "OccurrenceConstraintViolation", "TypeConstraintViolation", "GenericError",
    ]

    /// Buckets of the round-trip histogram: a LAN backend answers in milliseconds, one over LTE in a second or more; the
    /// station gives up on an answer after its call timeout (tens of seconds).
    static let roundTripBuckets: [Duration] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30].map { .milliseconds(Int($0 * 1000)) }

    /// The buckets of the histograms recorded through swift-metrics' `Recorder`, by name.
    static let histogramBuckets: [String: [Double]] = [GatewayMetricNames.handshakeDuration: GatewayMetricNames.handshakeBuckets]

    static func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help[name] ?? GatewayMetricNames.help[name] ?? "")
    }
}
