#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore
import LoadManagement
import ModbusTCP
@_exported import Parameters
import StationModbus

/// The parameter declarations of the station: its registry (``ParameterRegistry/init(connectorCount:)``). The names and
/// typed keys are in StationParameterKeys.swift; each definition is declared with its typed key. Later capabilities
/// append theirs here.
public enum StationParameters {
    static let hostCharacters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-:"
    private static let meterChoices = MeterModel.allCases.map { Choice($0.rawValue, $0.label) }

    /// Parameters whose role drops to installer when ``singleFeedLineInstallerAccess`` is On.
    public static let singleFeedLineKeys: Set<String> = [singleFeedLine, feedLineCapacity]

    /// "lower must not exceed upper" (per connector where both are connector parameters).
    ///
    /// - SeeAlso: seeds/004 §7.2: the installation limit must be ≤ the manufacturer limit; the operator
    ///   limit ≤ the installation limit.
    public static let ceilings: [(lower: String, upper: String)] = [
        (installationCurrentLimit, hardwareMaxCurrent),
        (operatorCurrentLimit, installationCurrentLimit),
        (operatorEVSESubDistributionLimit, evseSubDistributionLimit),
    ]

    /// Pairs of choice parameters that may not both take the given value (one input cannot serve two functions).
    ///
    /// - SeeAlso: seeds/000 "Lastabwurf konfigurieren": with DLM, the Local external input must be disabled.
    public static let exclusive: [(a: String, b: String, value: ParameterValue)] = [
        (externalInputEnergyManagement, dlmExternalInput, .choice(ExternalInputFunction.opto1)),
    ]

    /// What the station's registry checks besides each parameter's type and range: the ceilings, the exclusive inputs,
    /// the single feed line settings the manufacturer opens to the installer, the scheduler's time windows, and the
    /// single feed line's installation limit (one value for the station, a change of one connector's sets both).
    public static let rules = ParameterRules(
        ceilings: ceilings, exclusive: exclusive, roleGrants: [(singleFeedLineKeys, .installer, .singleFeedLineInstallerAccess)],
        timeWindow: { TimeWindowLimit(text: $0).map { ($0.text, Int($0.amps)) } },
        stationWide: [(installationCurrentLimit, .singleFeedLine)], constraints: [singleFeedLineInstallation, hlcEVSEIDLength] + routerConstraints,
        textChecks: mailTextChecks.merging(mobileTextChecks) { a, _ in a }.merging([backendURL: { BackendURL.problem($0) }]) { a, _ in a }
            .merging(routerTextChecks) { a, _ in a }.merging(timeTextChecks) { a, _ in a }
            .merging(listenerTextChecks) { a, _ in a }.merging(webServerTextChecks) { a, _ in a }.merging(eebusTextChecks) { a, _ in a }
            .merging([firmwareRootsDirectory: { $0.isEmpty || $0.hasPrefix("/") ? nil : "an absolute path such as /etc/chargekit/firmware-roots, or empty" }]) { a, _ in a })

    /// The time zones offered: UTC and the IANA zones of Europe (the seeds' markets) and the main zones elsewhere.
    static let timezoneChoices: [Choice] = [
        "UTC", "Europe/Amsterdam", "Europe/Andorra", "Europe/Athens", "Europe/Belgrade", "Europe/Berlin",
        "Europe/Bratislava", "Europe/Brussels", "Europe/Bucharest", "Europe/Budapest", "Europe/Copenhagen",
        "Europe/Dublin", "Europe/Helsinki", "Europe/Istanbul", "Europe/Kyiv", "Europe/Lisbon", "Europe/Ljubljana",
        "Europe/London", "Europe/Luxembourg", "Europe/Madrid", "Europe/Malta", "Europe/Monaco", "Europe/Oslo",
        "Europe/Paris", "Europe/Prague", "Europe/Riga", "Europe/Rome", "Europe/Sofia", "Europe/Stockholm",
        "Europe/Tallinn", "Europe/Vaduz", "Europe/Vienna", "Europe/Vilnius", "Europe/Warsaw", "Europe/Zagreb",
        "Europe/Zurich", "Atlantic/Canary", "Atlantic/Reykjavik", "Africa/Cairo", "Africa/Johannesburg", "Africa/Lagos",
        "Africa/Nairobi", "America/Anchorage", "America/Chicago", "America/Denver", "America/Halifax",
        "America/Los_Angeles", "America/Mexico_City", "America/New_York", "America/Phoenix", "America/Santiago",
        "America/Sao_Paulo", "America/Toronto", "America/Vancouver", "Asia/Dubai", "Asia/Hong_Kong", "Asia/Jakarta",
        "Asia/Jerusalem", "Asia/Kolkata", "Asia/Seoul", "Asia/Shanghai", "Asia/Singapore", "Asia/Tokyo",
        "Australia/Adelaide", "Australia/Brisbane", "Australia/Perth", "Australia/Sydney", "Pacific/Auckland"
    ].map { Choice($0, $0) }

    static let identityCharacters =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*+-._:"

    /// Every declared parameter, in the order the menus show them.
    public static let all: [ParameterDefinition] =
        authenticationDefinitions + stationDefinitions + dlmDefinitions + backendDefinitions + securityProfileDefinitions + resetDefinitions + mqttDefinitions + usbDefinitions
            + metricsDefinitions + surplusDefinitions + phaseSwitchDefinitions + supplyProtectionDefinitions + sempDefinitions + eebusDefinitions + hlcDefinitions + mailDefinitions + timeDefinitions
            + mobileDefinitions + routerDefinitions + securityDefinitions + signedMeterDefinitions + listenerDefinitions
            + signedValueDefinitions + webServerDefinitions + iso15118OCPPDefinitions

    private static let stationDefinitions: [ParameterDefinition] = [
        // MARK: Installation (seeds/004 §7.1, §7.2, §7.3, §7.8)
        ParameterDefinition(
            key: .hardwareMaxCurrent, label: "Maximum current [A]", type: .integer(6...80, unit: "A"),
            defaultValue: .integer(32), role: .manufacturer, menu: .installation, section: "Installation",
            help: "The hardware current limit of the EVSE, set by the manufacturer. No other limit may exceed it.",
            seeAlso: "seeds/004 §7.2"),
        ParameterDefinition(
            key: .installationCurrentLimit, label: "Charging Station Installation Current Limit [A]",
            type: .integer(6...80, unit: "A"), defaultValue: .integer(32), role: .installer, menu: .installation,
            section: "Installation",
            help: "Current carrying capacity of the supply line for this charge point (fuse, circuit breaker). Must not exceed the maximum current. With a single feed line it is one value for the whole station (changing one connector's changes both) and at most the feed line's capacity.",
            seeAlso: "seeds/004 §1.4, §7.2"),
        ParameterDefinition(
            key: .powerSourceVoltage, label: "Power Source Voltage [V]", type: .decimal(100...280, unit: "V"),
            defaultValue: .decimal(230), role: .installer, menu: .installation, section: "Installation",
            help: "RMS voltage between one phase conductor and neutral; 230 V in Central Europe, also for three-phase connections.",
            seeAlso: "seeds/004 §7.1 Power Source Voltage"),
        ParameterDefinition(
            key: .connectorKind, label: "Connector",
            type: .choice([ConnectorKind.socket: "Type 2 socket with locking actuator", .cable: "Fixed (tethered) cable"]),
            defaultValue: .choice(ConnectorKind.socket), role: .manufacturer, menu: .installation, section: "Installation",
            restartRequired: true,
            help: "A socket locks the plug with its actuator while a vehicle is connected; a fixed cable has no lock (OCPP UnlockConnector answers NotSupported).",
            seeAlso: "OCPP 1.6 §5.18 UnlockConnector, errata 3.87; seeds/004 §9 connectorLockFailure"),
        ParameterDefinition(
            key: .phasesConnected, label: "Phases connected to the ChargePoint",
            type: .choice([Choice(PhasesConnected.singlePhase.rawValue, "Single phase system"),
                           Choice(PhasesConnected.singlePhaseIT.rawValue, "Single phase system (IT earthing)"),
                           Choice(PhasesConnected.threePhase.rawValue, "Three phase system")]),
            defaultValue: .string(PhasesConnected.threePhase.rawValue), role: .installer, menu: .installation,
            section: "Installation", restartRequired: true,
            help: "Whether the charge point is supplied with one phase (TN or IT earthing) or three phases.",
            seeAlso: "seeds/004 §7.1 Phases connected to the ChargePoint"),
        ParameterDefinition(
            key: .phaseRotation, label: "Phase rotation of the ChargePoint",
            type: .choice([Choice("RST", "RST (L1/L2/L3, standard phase order)"),
                           Choice("RTS", "RTS (L1/L3/L2)"), Choice("SRT", "SRT (L2/L1/L3)"),
                           Choice("STR", "STR (L2/L3/L1)"), Choice("TRS", "TRS (L3/L1/L2)"),
                           Choice("TSR", "TSR (L3/L2/L1)")]),
            defaultValue: .string("RST"), role: .installer, menu: .installation, section: "Installation",
            help: "Which grid phases feed the charge point's L1, L2, L3, so that load management can account for single-phase vehicles.",
            seeAlso: "seeds/004 §7.8 Faserotatie"),
        ParameterDefinition(
            key: .singleFeedLine, label: "Charging station with a single feed line", type: .bool, defaultValue: .bool(false),
            role: .manufacturer, menu: .installation, section: "Single feed line",
            help: "Both charge points of a dual station are supplied through one feed line; their sum is limited to the feed line capacity.",
            seeAlso: "seeds/004 §7.3 Dubbel Laadpunt met Enkele Voedingslijn"),
        ParameterDefinition(
            key: .feedLineCapacity, label: "Current carrying capacity of the feed line [A]", type: .integer(6...160, unit: "A"),
            defaultValue: .integer(32), role: .manufacturer, menu: .installation, section: "Single feed line",
            help: "Maximum sum current of both charge points given by wiring and fuses. The Installation Current Limit may not exceed it.",
            seeAlso: "seeds/004 §7.2, §7.3"),
        ParameterDefinition(
            key: .singleFeedLineInstallerAccess,
            label: "Settings for 'charging station with a single feed line' accessible to the installer role",
            type: .bool, defaultValue: .bool(false), role: .manufacturer, menu: .installation, section: "Single feed line",
            help: "Lets the installer role change the single feed line settings.",
            seeAlso: "seeds/004 §7.3"),
        // MARK: Load Management (seeds/000 "Lastabwurf konfigurieren" Lokal; seeds/004 §7.3)
        ParameterDefinition(
            key: .operatorCurrentLimit, label: "Operator Current Limit [A]", type: .integer(6...80, unit: "A"),
            defaultValue: .integer(32), role: .operator, menu: .loadManagement, section: "Local",
            help: "Maximum current the charge point offers; may be changed at any time, also while charging. Must not exceed the installation current limit.",
            seeAlso: "seeds/004 §7.1 Operator Current Limit, §7.2"),
        ParameterDefinition(
            key: .minimumCurrentLimit, label: "Minimum Current Limit [A]", type: .integer(6...16, unit: "A"), defaultValue: .integer(6),
            role: .installer, menu: .loadManagement, section: "Local",
            help: "Below this current a connector pauses (0 A, SuspendedEVSE) instead of signalling less. 6 A is the lowest the Type 2 pilot allows; some vehicles need 7 or 8 A to charge at all.",
            seeAlso: "seeds/004 §7 Minimum Current Limit [A]; IEC 61851-1 Table A.7"),
        ParameterDefinition(
            key: .externalInputEnergyManagement, label: "Energy management from external input",
            type: .choice([ExternalInputFunction.off: "Disable", .opto1: "Activate 'Opto 1 In'"]), defaultValue: .choice(ExternalInputFunction.off),
            role: .installer, menu: .loadManagement, section: "Local",
            help: "Load shedding by the utility: while the potential-free contact on 'Opto 1 In' signals (see the polarity), the station charges with at most the current below.",
            seeAlso: "seeds/000 Lastabwurf konfigurieren (Energiemanagement von externem Input)"),
        ParameterDefinition(
            key: .externalInputCurrentLimit, label: "Current limit for energy management from external input [A]",
            type: .integer(0...80, unit: "A"), defaultValue: .integer(0), role: .installer, menu: .loadManagement, section: "Local",
            visibleWhen: .when(.externalInputEnergyManagement, is: .opto1),
            help: "The current the station is reduced to while load shedding is signalled: 0 stops charging, 10 limits it to 10 A.",
            seeAlso: "seeds/000 Lastabwurf konfigurieren (Strombegrenzung für das Energiemanagement von externem Eingang)"),
        ParameterDefinition(
            key: .externalInputPolarity, label: "Polarity of the external input",
            type: .choice([InputPolarity.lowActive: "Low active (normally open)", .highActive: "High active (normally closed)"]),
            defaultValue: .choice(InputPolarity.lowActive), role: .installer, menu: .loadManagement, section: "Local",
            visibleWhen: .when(.externalInputEnergyManagement, is: .opto1),
            help: "Low active: the contact closing (input on) signals load shedding. High active: the contact opening (input off) signals it, so a broken wire also sheds load. Agree it with the utility.",
            seeAlso: "seeds/000 Lastabwurf konfigurieren (Polarität des externen Eingangs 1)"),
        ParameterDefinition(
            key: .smartChargingOfflineLimit, label: "Upper current limit [A] on network failure for SmartCharging",
            type: .integer(0...80, unit: "A"), defaultValue: .integer(0), role: .operator, menu: .loadManagement, section: "Local",
            help: "While the OCPP backend is unreachable the connectors offer at most this current, so that a backend that steers the load cannot be overrun. 0: off.",
            seeAlso: "seeds/000 Lastabwurf konfigurieren (Aktiviere Obere Strombegrenzung [A] bei Netzwerkausfall für SmartCharging)"),
        ParameterDefinition(
            key: .allowEVWakeup, label: "Allow EV Wakeup", type: .bool, defaultValue: .bool(true),
            role: .operator, menu: .loadManagement, section: "Dynamic Load Management",
            help: "When current returns after a pause and a vehicle that was charging does not start again within 10 s (it fell asleep), the station wakes it with a 4 s state F pulse on the pilot, once per pause.",
            seeAlso: "seeds/004 §7 Dynamic Load Management (Allow EV Wakeup); IEC 61851-1:2017 A.5.3"),
        ParameterDefinition(
            key: .maximumCurrentScheduler, label: "Maximum Current Scheduler", type: .bool, defaultValue: .bool(false),
            role: .operator, menu: .loadManagement, section: "Dynamic Load Management",
            help: "On: during the time windows of the schedule below every connector offers at most the window's current (e.g. less during the building's evening peak).",
            seeAlso: "seeds/004 §7 Dynamic Load Management (Maximum Current Scheduler)"),
        ParameterDefinition(
            key: .maximumCurrentSchedule, label: "Maximum current schedule", type: .timeWindows(maxCount: 12, amps: 0...80),
            defaultValue: .list([]), role: .operator, menu: .loadManagement, section: "Dynamic Load Management",
            help: "Daily windows in the station's time zone, e.g. 17:00-22:00=10, 22:00-06:00=32. A window may pass midnight; where windows overlap the lower current applies; 0 pauses charging.",
            seeAlso: "seeds/004 §7 Dynamic Load Management (Maximum Current Scheduler)"),
        // MARK: Load Management — Modbus (seeds/000 "PV-gesteuertes Laden" → Modbus)
        ParameterDefinition(
            key: .modbusServer, label: "Modbus TCP Server", type: .bool, defaultValue: .bool(false), role: .operator,
            menu: .loadManagement, section: "Modbus", restartRequired: true,
            help: "Serve the charge point's state and control registers to energy managers (HEMS, PV systems) over Modbus TCP.",
            seeAlso: "seeds/000 PV-gesteuertes Laden, MODBUS-REGISTERSATZ"),
        ParameterDefinition(
            key: .modbusBasePort, label: "Modbus TCP Server Base Port", type: .integer(1...65534, unit: nil), defaultValue: .integer(502),
            role: .operator, menu: .loadManagement, section: "Modbus", restartRequired: true,
            help: "TCP port of connector 1; connector 2 answers on the base port + 1. Any unit id 1–255 is answered.",
            seeAlso: "seeds/000 Modbus TCP Server Basisport"),
        ParameterDefinition(
            key: .modbusRegisterSet, label: "Modbus TCP Server Register Set",
            type: .choice([Choice("omcci", "Open Modbus Charge Control Interface (OMCCI)")]), defaultValue: .string("omcci"),
            role: .operator, menu: .loadManagement, section: "Modbus", restartRequired: true,
            help: "The register set served; OMCCI is the Bender / ebee / MENNEKES set of seeds/000.",
            seeAlso: "seeds/000 Modbus TCP Server Registersatz"),
        ParameterDefinition(
            key: .modbusAllowStartStop, label: "Modbus TCP Server Allow Start/Stop Transaction", type: .bool, defaultValue: .bool(false),
            role: .operator, menu: .loadManagement, section: "Modbus",
            help: "Writing an identifier to registers 1110–1119 acts like presenting that card (start or stop). Off: such writes are refused.",
            seeAlso: "seeds/000 Starten/Stoppen der Transaktion erlauben"),
        ParameterDefinition(
            key: .modbusAllowUIDDisclose, label: "Modbus TCP Server Allow UID Disclose", type: .bool, defaultValue: .bool(false),
            role: .operator, menu: .loadManagement, section: "Modbus",
            help: "Show the session's identifier in registers 720–729. Off: those registers read as spaces.",
            seeAlso: "seeds/000 UID-Übertragung erlauben"),
        ParameterDefinition(
            key: .modbusSafeCurrent, label: "Modbus safe current [A]", type: .integer(0...80, unit: "A"), defaultValue: .integer(6),
            role: .operator, menu: .loadManagement, section: "Modbus",
            help: "Maximum charge current once the energy manager has stopped communicating for the communication timeout (register 131).",
            seeAlso: "seeds/000 register 131 Safe Current"),
        ParameterDefinition(
            key: .modbusCommTimeout, label: "Modbus communication timeout [s]", type: .integer(0...3600, unit: "s"), defaultValue: .integer(0),
            role: .operator, menu: .loadManagement, section: "Modbus",
            help: "Seconds without any request from an energy manager that has set a HEMS limit after which the safe current applies (register 132). 0 disables the watchdog.",
            seeAlso: "seeds/000 register 132 Comm. Timeout"),
        // Not in the seeds: the listener's bounds (issue #20 item 2: every listener is bounded).
        ParameterDefinition(
            key: .modbusMaxConnections, label: "Modbus TCP Server Max Connections", type: .integer(1...256, unit: nil), defaultValue: .integer(32),
            role: .operator, menu: .loadManagement, section: "Modbus", restartRequired: true,
            help: "Connections each Modbus TCP port holds at most; one client address at most 8 of them (or all when this is lower). Further connections are closed at once. An energy manager needs one.",
            seeAlso: "docs/integrator.md: Connection limits and timeouts"),
        ParameterDefinition(
            key: .modbusIdleTimeout, label: "Modbus TCP Server Idle Timeout [s]", type: .integer(5...3600, unit: "s"), defaultValue: .integer(60),
            role: .operator, menu: .loadManagement, section: "Modbus", restartRequired: true,
            help: "A Modbus TCP connection without a complete request for this long is closed (a half-sent request does not count). Set it above the energy manager's poll interval; clients connect again after a close.",
            seeAlso: "docs/integrator.md: Connection limits and timeouts"),
        // MARK: Meters (seeds/000 "Externen Zähler einbinden", seeds/004 §7.4.2, §7.5)
        ParameterDefinition(
            key: .externalMeterSupport, label: "External Meter Support", type: .bool, defaultValue: .bool(false), role: .installer,
            menu: .loadManagement, section: "Dynamic Load Management", restartRequired: true,
            help: "Read a grid (second) meter over Modbus TCP so that load management knows the building's load.",
            seeAlso: "seeds/004 §7.4.2, seeds/000 Externe Zählerunterstützung"),
        ParameterDefinition(
            key: .secondMeterConfiguration, label: "Meter configuration (Second)",
            type: .choice(meterChoices), defaultValue: .string(MeterModel.siemens7KM2200.rawValue), role: .installer,
            menu: .loadManagement, section: "Dynamic Load Management", restartRequired: true,
            visibleWhen: .when(.externalMeterSupport, is: true),
            help: "The model of the grid meter. EM410/EM420 are read with the TQ map; IPD Control and others use the generic meter registers.",
            seeAlso: "seeds/000 Konfiguration Externer Zähler, seeds/004 §7.5"),
        ParameterDefinition(
            key: .secondMeterAddress, label: "IP address of second meter", type: .string(length: 0...64, allowed: hostCharacters),
            defaultValue: .string(""), role: .installer, menu: .loadManagement, section: "Dynamic Load Management", restartRequired: true,
            visibleWhen: .when(.externalMeterSupport, is: true),
            help: "IP address (or host name) of the grid meter; it must be reachable in the stations' network.",
            seeAlso: "seeds/000 IP-Adresse des externen Zählers"),
        ParameterDefinition(
            key: .secondMeterPort, label: "Port number of Second Meter", type: .integer(1...65535, unit: nil), defaultValue: .integer(502),
            role: .installer, menu: .loadManagement, section: "Dynamic Load Management", restartRequired: true,
            visibleWhen: .when(.externalMeterSupport, is: true),
            help: "Modbus TCP port of the grid meter.", seeAlso: "seeds/000 Portnummer des externen Zählers (502)"),
        ParameterDefinition(
            key: .secondMeterUnitID, label: "Unit id of second meter (0 = model default)", type: .integer(0...255, unit: nil),
            defaultValue: .integer(0), role: .installer, menu: .loadManagement, section: "Dynamic Load Management", restartRequired: true,
            visibleWhen: .when(.externalMeterSupport, is: true),
            help: "Modbus unit id; 0 uses the model's default (TQ 247, Janitza UMG 605 PRO 2, others 1).",
            seeAlso: "the meter manufacturers' Modbus manuals (default unit ids)"),
        ParameterDefinition(
            key: .meterConfiguration, label: "Meter configuration",
            type: .choice([Choice(MeterModel.internalMeter, "Internal meter")] + meterChoices), defaultValue: .string(MeterModel.internalMeter),
            role: .installer,
            menu: .installation, section: "Meter", restartRequired: true,
            help: "The charge meter of the connector: the controller's own meter, or a Modbus TCP meter (e.g. Modbus B-Control EM300-LR (TCP)).",
            seeAlso: "seeds/004 §7.5"),
        ParameterDefinition(
            key: .meterAddress, label: "IP address of the meter", type: .string(length: 0...64, allowed: hostCharacters),
            defaultValue: .string(""), role: .installer, menu: .installation, section: "Meter", restartRequired: true,
            visibleWhen: .when(.meterConfiguration, isNot: nil),
            help: "IP address of the connector's Modbus TCP charge meter.", seeAlso: "seeds/004 §7.5"),
        ParameterDefinition(
            key: .meterPort, label: "Port number of the meter", type: .integer(1...65535, unit: nil), defaultValue: .integer(502),
            role: .installer, menu: .installation, section: "Meter", restartRequired: true,
            visibleWhen: .when(.meterConfiguration, isNot: nil),
            help: "Modbus TCP port of the charge meter.", seeAlso: "seeds/004 §7.5"),
        ParameterDefinition(
            key: .meterUnitID, label: "Unit id of the meter (0 = model default)", type: .integer(0...255, unit: nil), defaultValue: .integer(0),
            role: .installer, menu: .installation, section: "Meter", restartRequired: true,
            visibleWhen: .when(.meterConfiguration, isNot: nil),
            help: "Modbus unit id of the charge meter; 0 uses the model's default.", seeAlso: "the meter manufacturers' Modbus manuals (default unit ids)"),
        ParameterDefinition(
            key: .meterPollInterval, label: "Meter poll interval [s]", type: .decimal(0.02...60, unit: "s"), defaultValue: .decimal(1),
            role: .installer, menu: .installation, section: "Meter", restartRequired: true,
            help: "How often Modbus meters are read. Every grid meter reading triggers a DLM allocation at once, so a short interval makes DLM react faster to the building load; most meters refresh their values every 200 ms.",
            seeAlso: "issue: poll interval default 1 s"),
        ParameterDefinition(
            key: .meterFailedPolls, label: "Failed polls before a meter error", type: .integer(1...100, unit: nil), defaultValue: .integer(3),
            role: .installer, menu: .installation, section: "Meter", restartRequired: true,
            help: "After this many failed polls in a row the meter counts as not communicating (External meter / OCPP meter not communicating).",
            seeAlso: "seeds/004 §9 powerMeterFailure"),
        ParameterDefinition(
            key: .genericMeterFunction, label: "Generic meter function code", type: .choice([GenericMeterFunction.readHoldingRegisters: "03 Read Holding Registers", .readInputRegisters: "04 Read Input Registers"]),
            defaultValue: .choice(GenericMeterFunction.readHoldingRegisters), role: .installer, menu: .installation, section: "Generic meter", restartRequired: true,
            help: "Function code used to read a generic meter.", seeAlso: "docs/installer.md: Meters without a public register map"),
        ParameterDefinition(
            key: .genericMeterType, label: "Generic meter value type", type: .choice(GenericMeterValueType.choices),
            defaultValue: .choice(GenericMeterValueType.float32),
            role: .installer, menu: .installation, section: "Generic meter", restartRequired: true,
            help: "Type of the current, voltage and power registers.", seeAlso: "docs/installer.md: Meters without a public register map"),
        ParameterDefinition(
            key: .genericMeterWordOrder, label: "Generic meter word order", type: .choice([GenericMeterWordOrder.abcd: "ABCD (high word first)", .cdab: "CDAB (low word first)"]),
            defaultValue: .choice(GenericMeterWordOrder.abcd), role: .installer, menu: .installation, section: "Generic meter", restartRequired: true,
            help: "Word order of 32/64-bit values.", seeAlso: "docs/installer.md: Meters without a public register map"),
        ParameterDefinition(
            key: .genericMeterCurrentRegisters, label: "Generic meter current registers (L1/L2/L3)", type: .phaseTriple(0...65535, unit: "address"),
            defaultValue: .phaseTriple(PhaseValues(l1: 13, l2: 15, l3: 17)), role: .installer, menu: .installation, section: "Generic meter",
            restartRequired: true, help: "PDU addresses (0-based) of the phase currents.", seeAlso: "docs/installer.md: Meters without a public register map"),
        ParameterDefinition(
            key: .genericMeterCurrentScale, label: "Generic meter current scale [A per unit]", type: .decimal(0.000001...1000, unit: "A"),
            defaultValue: .decimal(1), role: .installer, menu: .installation, section: "Generic meter", restartRequired: true,
            help: "Amperes per register unit (e.g. 0.001 for mA).", seeAlso: "docs/installer.md: Meters without a public register map"),
        ParameterDefinition(
            key: .genericMeterVoltageRegisters, label: "Generic meter voltage registers (L1/L2/L3)", type: .phaseTriple(0...65535, unit: "address"),
            defaultValue: .phaseTriple(PhaseValues(l1: 1, l2: 3, l3: 5)), role: .installer, menu: .installation, section: "Generic meter",
            restartRequired: true, help: "PDU addresses of the phase-to-neutral voltages.", seeAlso: "docs/installer.md: Meters without a public register map"),
        ParameterDefinition(
            key: .genericMeterVoltageScale, label: "Generic meter voltage scale [V per unit]", type: .decimal(0.000001...1000, unit: "V"),
            defaultValue: .decimal(1), role: .installer, menu: .installation, section: "Generic meter", restartRequired: true,
            help: "Volts per register unit.", seeAlso: "docs/installer.md: Meters without a public register map"),
        ParameterDefinition(
            key: .genericMeterPowerRegisters, label: "Generic meter power registers (L1/L2/L3)", type: .phaseTriple(0...65535, unit: "address"),
            defaultValue: .phaseTriple(PhaseValues(l1: 25, l2: 27, l3: 29)), role: .installer, menu: .installation, section: "Generic meter",
            restartRequired: true, help: "PDU addresses of the signed active power per phase (+ = import).", seeAlso: "docs/installer.md: Meters without a public register map"),
        ParameterDefinition(
            key: .genericMeterPowerScale, label: "Generic meter power scale [W per unit]", type: .decimal(0.000001...1000, unit: "W"),
            defaultValue: .decimal(1), role: .installer, menu: .installation, section: "Generic meter", restartRequired: true,
            help: "Watts per register unit.", seeAlso: "docs/installer.md: Meters without a public register map"),
        ParameterDefinition(
            key: .genericMeterEnergyRegister, label: "Generic meter import energy register", type: .integer(0...65535, unit: nil),
            defaultValue: .integer(801), role: .installer, menu: .installation, section: "Generic meter", restartRequired: true,
            help: "PDU address of the imported active energy counter.", seeAlso: "docs/installer.md: Meters without a public register map"),
        ParameterDefinition(
            key: .genericMeterEnergyType, label: "Generic meter energy type",
            type: .choice(GenericMeterEnergyType.choices), defaultValue: .choice(GenericMeterEnergyType.float64), role: .installer,
            menu: .installation, section: "Generic meter", restartRequired: true,
            help: "Type of the energy counter.", seeAlso: "docs/installer.md: Meters without a public register map"),
        ParameterDefinition(
            key: .genericMeterEnergyScale, label: "Generic meter energy scale [Wh per unit]", type: .decimal(0.000001...1_000_000, unit: "Wh"),
            defaultValue: .decimal(1), role: .installer, menu: .installation, section: "Generic meter", restartRequired: true,
            help: "Watt-hours per register unit (e.g. 1000 for kWh, 0.1 for 0.1 Wh).", seeAlso: "docs/installer.md: Meters without a public register map"),
        // MARK: Backend (seeds/004 §4)
        ParameterDefinition(
            key: .chargeBoxIdentity, label: "OCPP ChargeBoxIdentity (ChargePointID)",
            type: .string(length: 1...48, allowed: identityCharacters), defaultValue: .string("CHARGEKIT-0001"),
            role: .operator, menu: .backend, section: "OCPP", restartRequired: true,
            help: "The ID sent to the backend, which identifies the charge point by it. Must be unique; the serial number is a good choice.",
            seeAlso: "seeds/004 §4 Scenario 2"),
        ParameterDefinition(
            key: .restartTransactionAfterPowerLoss, label: "Restart transaction after power loss", type: .bool,
            defaultValue: .bool(true), role: .operator, menu: .backend, section: "More settings",
            help: "On: after a power loss a session whose vehicle is still connected continues with the same authorization. Off: it is ended (reason PowerLoss) and the user must authorize again.",
            seeAlso: "seeds/004 §4 Restart transaction after power loss"),
        // MARK: Authorization — Free Charging (seeds/004 §5.2, seeds/000 "Free Charge")
        ParameterDefinition(
            key: .freeCharging, label: "Free Charging", type: .bool, defaultValue: .bool(false), role: .operator,
            menu: .authorization, section: "Free Charging",
            help: "Everyone may charge without paying. Set Off if free charging must not be possible at this station.",
            seeAlso: "seeds/004 §5.2, seeds/000 Kostenloses Laden"),
        ParameterDefinition(
            key: .freeChargingMode, label: "Free Charging Mode",
            type: .choice(FreeChargingMode.allCases.map { Choice($0.rawValue, $0.label) }), defaultValue: .string(FreeChargingMode.noOCPP.rawValue),
            role: .operator, menu: .authorization, section: "Free Charging",
            visibleWhen: .when(.freeCharging, is: true),
            help: "No OCPP (no backend): charging starts on plug-in. With a backend: status notifications only or full transactions, with or without presenting any card; full modes use the fixed tag below or the card's UID.",
            seeAlso: "seeds/004 §5.2"),
        ParameterDefinition(
            key: .freeChargingRfidTag, label: "Rfid Tag for Free Charging with OCPP Full, fixed rfid modes",
            type: .string(length: 1...20, allowed: nil), defaultValue: .string("freecharging"), role: .operator,
            menu: .authorization, section: "Free Charging",
            visibleWhen: .when(.freeCharging, is: true),
            help: "The idTag the transactions carry in the modes 'With OCPP Full fixed RFID with/without auth'.",
            seeAlso: "seeds/004 §5.2, seeds/000"),
        ParameterDefinition(
            key: .ifInDoubtAllowCharging, label: "If in doubt allow charging",
            type: .choice(IfInDoubtAllowCharging.allCases.map { Choice($0.rawValue, $0.label) }),
            defaultValue: .string(IfInDoubtAllowCharging.off.rawValue), role: .operator, menu: .authorization, section: "Free Charging",
            help: "What happens when a card is in no list and the backend cannot answer. Off: no charging. On: charging is allowed and may be stopped once the backend rejects the card. ImmediatelyOnPlugIn: charging starts on plug-in, the card is checked later. Keep Off without a backend.",
            seeAlso: "seeds/004 §5.1"),
        // MARK: Authorization (seeds/004 §5.1)
        ParameterDefinition(
            key: .vehicleConnectionTimeout, label: "Vehicle connection timeout", type: .integer(5...600, unit: "s"),
            defaultValue: .integer(45), role: .operator, menu: .authorization, section: "General",
            help: "After authorization the user must plug in the vehicle within this period, otherwise the authorization expires.",
            seeAlso: "seeds/004 §5.1, seeds/000 Timeout für die Fahrzeugverbindung"),
        ParameterDefinition(
            key: .lockActuatorOnlyIfAuthorized, label: "Lock Actuator only if authorized", type: .bool,
            defaultValue: .bool(false), role: .operator, menu: .authorization, section: "General",
            help: "On: the cable is locked only after successful authorization. Off: immediately after plugging in.",
            seeAlso: "seeds/004 §5.1"),
        ParameterDefinition(
            key: .sendAuthorizeForRemoteStart, label: "Send Authorize for RemoteStart", type: .bool, defaultValue: .bool(true),
            role: .operator, menu: .authorization, section: "General",
            help: "Whether a remote start is checked with an Authorize request to the backend first. Some backends require it, others require it off.",
            seeAlso: "seeds/004 §5.1, seeds/000 Sende OCPP Authorize für RemoteStart Anfragen"),
        ParameterDefinition(
            key: .stopTransactionMode, label: "Stop Transaction Mode",
            type: .choice(StopTransactionMode.allCases.map { Choice($0.rawValue, $0.label) }),
            defaultValue: .string(StopTransactionMode.normal.rawValue), role: .operator, menu: .authorization, section: "General",
            help: "Normal: unplugging or presenting the authorizing card again ends the transaction. Stop only by unplugging. Only by RFID/RemoteStop: unplugging does not end it. Normal + Mode D + RCD detected: also ends on vehicle state D or a residual current.",
            seeAlso: "seeds/004 §5.1"),
        // MARK: Authorization — RFID Settings (seeds/004 §5.3)
        ParameterDefinition(
            key: .rfidTagLetterCase, label: "RFID Tag letter case",
            type: .choice(RFIDLetterCase.allCases.map { Choice($0.rawValue, $0.label) }), defaultValue: .string(RFIDLetterCase.lower.rawValue),
            role: .operator, menu: .authorization, section: "RFID Settings",
            help: "How card UIDs are written everywhere (reader, whitelists, backend): e.g. 0a0e9b83, 0A0E9B83, 839b0e0a, 839B0E0A. Some backends require Upper Case.",
            seeAlso: "seeds/004 §5.3, §1.3"),
        ParameterDefinition(
            key: .enforceMasterRFID, label: "Enforce Master RFID", type: .bool, defaultValue: .bool(false), role: .operator,
            menu: .authorization, section: "RFID Settings",
            help: "A master card (see Master RFIDs) may stop any session.", seeAlso: "seeds/004 §5.3 screenshot"),
        ParameterDefinition(
            key: .masterRFIDs, label: "Master RFIDs", type: .list(itemLength: 8...20, maxCount: 20), defaultValue: .list([]),
            role: .operator, menu: .authorization, section: "RFID Settings",
            help: "Card UIDs that may stop any session while Enforce Master RFID is On.", seeAlso: "seeds/004 §5.3"),
        ParameterDefinition(
            key: .enforceSecureRFID, label: "Enforce using Secure RFID", type: .bool, defaultValue: .bool(false), role: .operator,
            menu: .authorization, section: "RFID Settings",
            help: "Only cards read with secure messaging (e.g. MIFARE DESFire) are accepted.", seeAlso: "seeds/004 §5.3 screenshot"),
        // MARK: Authorization — RFID Whitelists (seeds/004 §5.4, §5.5)
        ParameterDefinition(
            key: .enableLocalWhitelist, label: "Enable local whitelist", type: .bool, defaultValue: .bool(true), role: .operator,
            menu: .authorization, section: "RFID Whitelists",
            help: "Cards in the local whitelist (fixed local list) are always authorized, without asking the backend.",
            seeAlso: "seeds/004 §5.5"),
        ParameterDefinition(
            key: .localWhitelistMode, label: "Local whitelist used",
            type: .choice(LocalWhitelistMode.allCases.map { Choice($0.rawValue, $0.label) }), defaultValue: .string(LocalWhitelistMode.always.rawValue),
            role: .operator, menu: .authorization, section: "RFID Whitelists",
            help: "Always (fixed local list), or only while the backend cannot be reached (Local whitelist (offline only)).",
            seeAlso: "seeds/004 §5.5, seeds/002 §1.7"),
        ParameterDefinition(
            key: .authorizationCacheEnabled, label: "Enable OCPP whitelist", type: .bool, defaultValue: .bool(true), role: .operator,
            menu: .authorization, section: "RFID Whitelists",
            help: "Keep the cards the backend accepted (authorization cache) to authorize faster and while offline. Switch off without a backend.",
            seeAlso: "seeds/004 §5.4"),
        ParameterDefinition(
            key: .ocppWhitelistExpiryMode, label: "OCPP whitelist expiry mode",
            type: .choice(CacheExpiryMode.allCases.map { Choice($0.rawValue, $0.label) }), defaultValue: .string(CacheExpiryMode.endOfEpoch2038.rawValue),
            role: .operator, menu: .authorization, section: "RFID Whitelists",
            help: "End of epoch 2038: cache entries never expire by themselves. One year from now: they expire a year after their last change.",
            seeAlso: "seeds/004 §5.4"),
        ParameterDefinition(
            key: .localAuthListEnabled, label: "Enable OCPP local authorization list", type: .bool, defaultValue: .bool(true),
            role: .operator, menu: .authorization, section: "RFID Whitelists",
            help: "Use the list the backend sends (SendLocalList).", seeAlso: "OCPP 1.6 §3.5 LocalAuthListEnabled"),
        ParameterDefinition(
            key: .localPreAuthorize, label: "Local Pre Authorize", type: .bool, defaultValue: .bool(true), role: .operator,
            menu: .authorization, section: "RFID Whitelists",
            help: "While online, start at once for cards the local list or cache accepts, without waiting for the backend.",
            seeAlso: "seeds/004 §5.5 screenshot, OCPP 1.6 LocalPreAuthorize"),
        ParameterDefinition(
            key: .localAuthorizeOffline, label: "Local Authorize Offline", type: .bool, defaultValue: .bool(true), role: .operator,
            menu: .authorization, section: "RFID Whitelists",
            help: "While offline, authorize cards the local list or cache accepts.",
            seeAlso: "seeds/004 §5.5 screenshot, OCPP 1.6 LocalAuthorizeOffline"),
        ParameterDefinition(
            key: .allowOfflineTxForUnknownId, label: "Allow offline transactions for unknown IDs", type: .bool, defaultValue: .bool(false),
            role: .operator, menu: .authorization, section: "RFID Whitelists",
            help: "While offline, accept cards no list knows.", seeAlso: "OCPP 1.6 AllowOfflineTxForUnknownId, seeds/002 §1.7"),
        // MARK: Dashboard
        ParameterDefinition(
            key: .uidDisclose, label: "UID disclose", type: .bool, defaultValue: .bool(false), role: .operator,
            menu: .dashboard, section: "Charging history",
            help: "Show card UIDs in full in the charging history and its exports. Off: they are masked except the last four characters.",
            seeAlso: "seeds/004 §3 dashboard"),
        ParameterDefinition(
            key: .meterSampleRetention, label: "Meter samples kept [days]", type: .integer(1...365, unit: "d"), defaultValue: .integer(30),
            role: .operator, menu: .dashboard, section: "Charging history",
            help: "How long the meter samples of sessions (energy, power, currents and voltages every 5 s while charging) are kept; older ones are deleted, and at most 500,000 are kept. The sessions of the charging history stay whole.",
            seeAlso: "docs/operator.md: Bounds and retention"),
        // MARK: System
        ParameterDefinition(
            key: .chargeBoxSerialNumber, label: "Charge box serial number",
            type: .string(length: 1...25, allowed: identityCharacters), defaultValue: .string("CK-000001"),
            role: .manufacturer, menu: .system, section: "Device", restartRequired: true,
            help: "Serial number of the charging station.", seeAlso: "seeds/004 §1.3 (register the charge point with ID and serial number)"),
        ParameterDefinition(
            key: .connectorCount, label: "Number of connectors", type: .integer(1...2, unit: nil), defaultValue: .integer(1),
            role: .manufacturer, menu: .system, section: "Device", restartRequired: true,
            help: "1 for a single charge point, 2 for a dual charge point (two sockets, one controller).",
            seeAlso: "seeds/004 §7.3 Dubbel Laadpunt"),
        ParameterDefinition(
            key: .timezone, label: "Timezone", type: .choice(timezoneChoices), defaultValue: .string("UTC"),
            role: .operator, menu: .system, section: "Timezone",
            help: "The time zone of the site. The web interface shows times in it and the charging history's date filter uses its days; OCPP and exported files keep UTC. Set it to where the station is installed.",
            seeAlso: "seeds/002 §1.6 Date/Time (Timezone)"),
    ]
}
