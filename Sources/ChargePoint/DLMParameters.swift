import EVSECore
import LoadManagement
import Parameters

private typealias K = StationParameters

extension StationParameters {
    public static let dlmMode = "DLMMode"
    public static let dlmSampleRate = "DLMAlgorithmSampleRate"
    public static let evseSubDistributionLimit = "EVSESubDistributionLimit"
    public static let operatorEVSESubDistributionLimit = "OperatorEVSESubDistributionLimit"
    public static let dlmExternalInput = "ExternalInput1Config"
    public static let dlmExternalInputPolarity = "ExternalInput1Polarity"
    public static let dlmExternalInputOffset = "ExternalInput1CurrentOffset"
    public static let mainDistributionLimit = "MainDistributionLimit"
    public static let externalLoadHeadroom = "ExternalLoadHeadroom"
    public static let externalLoadFallback = "ExternalLoadFallback"
    public static let externalMeterLocation = "ExternalMeterLocation"
    public static let currentImbalancePrevention = "CurrentImbalancePrevention"
    public static let currentImbalanceLimit = "CurrentImbalanceLimit"
    public static let itNetwork = "ITNetwork"
    public static let dlmRotationInterval = "DLMRotationInterval"
    public static let dlmNetworkId = "DLMNetworkId"
    public static let dlmDisableDiscoveryBroadcasting = "DLMDisableDiscoveryBroadcasting"
    public static let dlmNetworkKey = "DLMNetworkKey"
    public static let dlmMasterAddress = "DLMMasterAddress"
    public static let disconnectedLimit = "DisconnectedLimit"
    public static let dlmLinkPort = "DLMLinkPort"
    public static let dlmDiscoveryPort = "DLMDiscoveryPort"
    public static let dlmBroadcastAddress = "DLMBroadcastAddress"
}

/// The typed keys of the DLM parameters, by which DLMSettings reads them (see StationParameterKeys.swift).
extension ParameterKey {
    public static var dlmMode: ParameterKey<DLMMode> { .init(K.dlmMode, .choice) }
    public static var dlmSampleRate: ParameterKey<Double> { .init(K.dlmSampleRate, .numberChoice) }
    public static var evseSubDistributionLimit: ParameterKey<PhaseValues> { .init(K.evseSubDistributionLimit, .phases) }
    public static var operatorEVSESubDistributionLimit: ParameterKey<PhaseValues> { .init(K.operatorEVSESubDistributionLimit, .phases) }
    public static var dlmExternalInput: ParameterKey<ExternalInputFunction> { .init(K.dlmExternalInput, .choice) }
    public static var dlmExternalInputPolarity: ParameterKey<InputPolarity> { .init(K.dlmExternalInputPolarity, .choice) }
    public static var dlmExternalInputOffset: ParameterKey<PhaseValues> { .init(K.dlmExternalInputOffset, .phases) }
    public static var mainDistributionLimit: ParameterKey<PhaseValues> { .init(K.mainDistributionLimit, .phases) }
    public static var externalLoadHeadroom: ParameterKey<PhaseValues> { .init(K.externalLoadHeadroom, .phases) }
    public static var externalLoadFallback: ParameterKey<PhaseValues> { .init(K.externalLoadFallback, .phases) }
    public static var externalMeterLocation: ParameterKey<ExternalMeterLocation> { .init(K.externalMeterLocation, .choice) }
    public static var currentImbalancePrevention: ParameterKey<Bool> { .init(K.currentImbalancePrevention, .bool) }
    public static var currentImbalanceLimit: ParameterKey<Double> { .init(K.currentImbalanceLimit, .number) }
    public static var itNetwork: ParameterKey<Bool> { .init(K.itNetwork, .bool) }
    public static var dlmRotationInterval: ParameterKey<Double> { .init(K.dlmRotationInterval, .number) }
    public static var dlmNetworkId: ParameterKey<Int> { .init(K.dlmNetworkId, .integer) }
    public static var dlmDisableDiscoveryBroadcasting: ParameterKey<Bool> { .init(K.dlmDisableDiscoveryBroadcasting, .bool) }
    public static var dlmNetworkKey: ParameterKey<String> { .init(K.dlmNetworkKey, .text) }
    public static var dlmMasterAddress: ParameterKey<String> { .init(K.dlmMasterAddress, .text) }
    public static var disconnectedLimit: ParameterKey<Double> { .init(K.disconnectedLimit, .number) }
    public static var dlmLinkPort: ParameterKey<Int> { .init(K.dlmLinkPort, .integer) }
    public static var dlmDiscoveryPort: ParameterKey<Int> { .init(K.dlmDiscoveryPort, .integer) }
    public static var dlmBroadcastAddress: ParameterKey<String> { .init(K.dlmBroadcastAddress, .text) }
}

extension StationParameters {
    /// The Dynamic Load Management section of the Load Management menu (seeds/004 §7.4 screens, seeds/000
    /// "Lastabwurf konfigurieren" → "Mit Lastmanagement"). External Meter Support and the second meter's model and
    /// address are the grid meter's parameters (Meters).
    static let dlmDefinitions: [ParameterDefinition] = [
        ParameterDefinition(
            key: .dlmMode, label: "Dynamic Load Management - DLM Master/Slave",
            type: .choice([Choice(DLMMode.off.rawValue, "Disabled"), Choice(DLMMode.master.rawValue, "DLM Master (With internal DLM-Slave)"),
                           Choice(DLMMode.masterStandalone.rawValue, "DLM Master (Standalone)"),
                           Choice(DLMMode.slaveAutoDiscovery.rawValue, "DLM Slave (Master-Auto-Discovery)"),
                           Choice(DLMMode.slaveFixedIP.rawValue, "DLM Slave (Master-Fixed-IP)")]),
            defaultValue: .string(DLMMode.off.rawValue), role: .operator, menu: .loadManagement, section: "Dynamic Load Management",
            restartRequired: true,
            help: "The station's role in load management. The master divides the sub-distribution between all charge points every sample period and at once on every change; with internal slave its own connectors take part, standalone it drives none. A slave reports to its master over the LAN and applies its grants; without the master it falls back to its Disconnected Limit.",
            seeAlso: "seeds/004 §1.4, §1.5, §7.4, §7.7"),
        ParameterDefinition(
            key: .dlmNetworkId, label: "DLM Network Id", type: .integer(0...65535, unit: nil), defaultValue: .integer(0),
            role: .operator, menu: .loadManagement, section: "Dynamic Load Management",
            help: "Stations with the same id form one DLM network; messages of other networks on the same LAN are ignored.",
            seeAlso: "seeds/004 §7.4 DLM Network Id"),
        ParameterDefinition(
            key: .dlmNetworkKey, label: "DLM Network Key", type: .string(length: 0...64, allowed: nil), defaultValue: .string(""),
            role: .installer, menu: .loadManagement, section: "Dynamic Load Management", secret: true,
            help: "The shared secret of the DLM network, the same on the master and every slave: every DLM message is authenticated with it (HMAC-SHA256), and messages without it are rejected and logged. Without a key the DLM link stays off.",
            seeAlso: "issue 7 (authenticated DLM link)"),
        ParameterDefinition(
            key: .dlmDisableDiscoveryBroadcasting, label: "Disable Discovery Broadcasting", type: .bool, defaultValue: .bool(false),
            role: .operator, menu: .loadManagement, section: "Dynamic Load Management",
            help: "On: the master does not announce itself on the LAN; slaves must then use Master-Fixed-IP.",
            seeAlso: "seeds/004 §7.4 Disable Discovery Broadcasting"),
        ParameterDefinition(
            key: .dlmMasterAddress, label: "DLM Master Address", type: .string(length: 0...253, allowed: nil), defaultValue: .string(""),
            role: .operator, menu: .loadManagement, section: "Dynamic Load Management",
            visibleWhen: .when(.dlmMode, is: .slaveFixedIP),
            help: "For DLM Slave (Master-Fixed-IP): the master's IP address or host name, optionally with :port (default: the DLM link port).",
            seeAlso: "seeds/004 §1.5, §7.4 DLM Slave (Master-Fixed-IP)"),
        ParameterDefinition(
            key: .disconnectedLimit, label: "Disconnected Limit [A]", type: .integer(0...80, unit: "A"), defaultValue: .integer(7),
            role: .installer, menu: .loadManagement, section: "Dynamic Load Management",
            help: "What each connector of a slave may draw while it hears nothing from its master (within three sample periods), until the master returns. The sum over all slaves must not exceed the sub-distribution limit.",
            seeAlso: "seeds/004 §1.4 Max laadstroom bij disconnectie, §7.7"),
        ParameterDefinition(
            key: .dlmLinkPort, label: "DLM link port (UDP)", type: .integer(1...65535, unit: nil), defaultValue: .integer(7520),
            role: .installer, menu: .loadManagement, section: "Dynamic Load Management", restartRequired: true,
            help: "The UDP port the master receives the slaves' reports on.",
            seeAlso: "issue 7 (DLM link)"),
        ParameterDefinition(
            key: .dlmDiscoveryPort, label: "DLM discovery port (UDP)", type: .integer(1...65535, unit: nil), defaultValue: .integer(7521),
            role: .installer, menu: .loadManagement, section: "Dynamic Load Management", restartRequired: true,
            help: "The UDP port of the master's discovery broadcasts, on which Auto-Discovery slaves listen.",
            seeAlso: "issue 7 (DLM link)"),
        ParameterDefinition(
            key: .dlmBroadcastAddress, label: "DLM broadcast address", type: .string(length: 7...15, allowed: "0123456789."),
            defaultValue: .string("255.255.255.255"), role: .installer, menu: .loadManagement, section: "Dynamic Load Management",
            restartRequired: true,
            help: "Where the master's discovery broadcasts go: 255.255.255.255, or the LAN's directed broadcast address (e.g. 172.16.23.255).",
            seeAlso: "issue 7 (DLM link)"),
        ParameterDefinition(
            key: .dlmSampleRate, label: "DLM Algorithm Sample Rate",
            type: .choice([Choice("1", "1 sec"), Choice("5", "5 sec"), Choice("10", "10 sec"), Choice("30", "30 sec"), Choice("60", "60 sec")]),
            defaultValue: .string("30"), role: .operator, menu: .loadManagement, section: "Dynamic Load Management",
            help: "How often the master divides the current in any case. A new meter reading, a plug-in, an unplug or a slave report triggers a new allocation at once; decreases are never delayed.",
            seeAlso: "seeds/004 §7.4 DLM Algorithm Sample Rate"),
        ParameterDefinition(
            key: .evseSubDistributionLimit, label: "EVSE Sub-Distribution Limit (L1/L2/L3) [A]", type: .phaseTriple(0...9999, unit: "A"),
            defaultValue: .phaseTriple(PhaseValues(all: 32)), role: .installer, menu: .loadManagement, section: "Dynamic Load Management",
            help: "The fuse of the charging stations' sub-distribution, per phase: the most DLM ever divides.",
            seeAlso: "seeds/004 §1.4 EVSE Sub-distributie Limiet, §7.4"),
        ParameterDefinition(
            key: .operatorEVSESubDistributionLimit, label: "Operator EVSE Sub-Distribution Limit (L1/L2/L3) [A]",
            type: .phaseTriple(0...9999, unit: "A"), defaultValue: .phaseTriple(PhaseValues(all: 32)), role: .operator,
            menu: .loadManagement, section: "Dynamic Load Management",
            help: "The operator's limit for the charging stations, per phase; at most the EVSE Sub-Distribution Limit. Also writable over Modbus (registers 613–615).",
            seeAlso: "seeds/004 §1.4 Operator Sub-distributie Limiet; seeds/000 registers 613–615"),
        ParameterDefinition(
            key: .dlmExternalInput, label: "External Input 1 Config",
            type: .choice([ExternalInputFunction.off: "Disable", .opto1: "Activate 'Opto 1 In'"]), defaultValue: .choice(ExternalInputFunction.off),
            role: .installer, menu: .loadManagement, section: "Dynamic Load Management",
            help: "Load shedding for the whole DLM network: while 'Opto 1 In' signals, the current offset below is applied to what DLM divides. Use either this or the Local 'Energy management from external input', not both.",
            seeAlso: "seeds/000 Lastabwurf konfigurieren (Status des externen Eingangs 1)"),
        ParameterDefinition(
            key: .dlmExternalInputPolarity, label: "External Input 1 Polarity",
            type: .choice([InputPolarity.lowActive: "Low-Active (normally open)", .highActive: "High-Active (normally closed)"]),
            defaultValue: .choice(InputPolarity.lowActive), role: .installer, menu: .loadManagement, section: "Dynamic Load Management",
            help: "Low-Active: a closed contact signals load shedding. High-Active: an opened contact does. Agree it with the utility.",
            seeAlso: "seeds/000 Polarität des externen Eingangs 1"),
        ParameterDefinition(
            key: .dlmExternalInputOffset, label: "External Input 1 Current Offset (L1/L2/L3) [A]", type: .phaseTriple(-9999...0, unit: "A"),
            defaultValue: .phaseTriple(.zero), role: .installer, menu: .loadManagement, section: "Dynamic Load Management",
            help: "How much each phase of the DLM current is reduced while load shedding is signalled, e.g. −10: 16 A become 6 A.",
            seeAlso: "seeds/000 Externer Eingang 1 Stromoffset (16 A − 10 A = 6 A)"),
        ParameterDefinition(
            key: .mainDistributionLimit, label: "Main Distribution Limit (L1/L2/L3) [A]", type: .phaseTriple(0...9999, unit: "A"),
            defaultValue: .phaseTriple(PhaseValues(all: 100)), role: .installer, menu: .loadManagement, section: "Dynamic Load Management",
            help: "With External Meter Support: the main fuse where the grid meter sits (the house connection), per phase.",
            seeAlso: "seeds/004 §7.4.2 Main Distribution Limit; seeds/000 Netzanschlussstrombegrenzung"),
        ParameterDefinition(
            key: .externalLoadHeadroom, label: "External Load Headroom (L1/L2/L3) [A]", type: .phaseTriple(0...9999, unit: "A"),
            defaultValue: .phaseTriple(.zero), role: .installer, menu: .loadManagement, section: "Dynamic Load Management",
            help: "A safety margin below the Main Distribution Limit that is never given to the vehicles.",
            seeAlso: "seeds/004 §7.4.2; seeds/000 Sicherheitsmarge bei externer Last"),
        ParameterDefinition(
            key: .externalLoadFallback, label: "External Load Fallback (L1/L2/L3) [A]", type: .phaseTriple(0...9999, unit: "A"),
            defaultValue: .phaseTriple(PhaseValues(all: 9999)), role: .installer, menu: .loadManagement, section: "Dynamic Load Management",
            help: "The external load assumed while the grid meter does not answer. 9999: no current is left for charging until it answers again.",
            seeAlso: "seeds/004 §7.4.2; seeds/000 Rückfallebene der externen Last"),
        ParameterDefinition(
            key: .externalMeterLocation, label: "External Meter Location",
            type: .choice([Choice(ExternalMeterLocation.including.rawValue, "Including EVSE Sub-Distribution"),
                           Choice(ExternalMeterLocation.excluding.rawValue, "Excluding EVSE Sub-Distribution")]),
            defaultValue: .string(ExternalMeterLocation.including.rawValue), role: .installer, menu: .loadManagement,
            section: "Dynamic Load Management",
            help: "Including: the meter measures the building and the charging stations together (their own draw is subtracted). Excluding: it measures only the other consumers.",
            seeAlso: "seeds/004 §7.4.2 External Meter Location; seeds/000 Externe Zähler Topologie"),
        ParameterDefinition(
            key: .currentImbalancePrevention, label: "Current Imbalance Prevention", type: .bool, defaultValue: .bool(false),
            role: .installer, menu: .loadManagement, section: "Dynamic Load Management",
            help: "On: single- and two-phase vehicles are limited so that the phases' charging currents differ by at most the imbalance limit.",
            seeAlso: "seeds/004 §7.4 Current Imbalance Prevention; seeds/000 Schieflastvermeidung"),
        ParameterDefinition(
            key: .currentImbalanceLimit, label: "Current imbalance limit [A]", type: .integer(0...80, unit: "A"), defaultValue: .integer(20),
            role: .installer, menu: .loadManagement, section: "Dynamic Load Management",
            help: "The largest difference between the phases with Current Imbalance Prevention; 20 A ≈ the 4.6 kVA of VDE-AR-N 4100.",
            seeAlso: "VDE-AR-N 4100 §5.5"),
        ParameterDefinition(
            key: .itNetwork, label: "IT Network", type: .bool, defaultValue: .bool(false),
            role: .installer, menu: .loadManagement, section: "Dynamic Load Management",
            help: "On: the grid has no neutral, so a single-phase vehicle draws from two phases and DLM reserves both.",
            seeAlso: "seeds/004 §7.4 IT Network, §7.1"),
        ParameterDefinition(
            key: .dlmRotationInterval, label: "DLM rotation interval [s]", type: .integer(60...86400, unit: "s"), defaultValue: .integer(900),
            role: .operator, menu: .loadManagement, section: "Dynamic Load Management",
            help: "When there is not enough current for every waiting vehicle at its minimum, a vehicle that has charged this long gives way to the longest-waiting one.",
            seeAlso: "issue 7 (fair rotation)"),
    ]
}

/// The DLM settings from the registry. The settings type is LoadManagement's; reading it from parameters belongs here,
/// where the parameters are declared (LoadManagement knows no registry).
extension DLMSettings {
    /// Reads the DLM settings from the parameters through their typed keys.
    public init(_ p: ParameterSet) {
        self.init(
            mode: p[.dlmMode],
            sampleSeconds: p[.dlmSampleRate],
            subDistributionLimitAmps: p[.evseSubDistributionLimit],
            operatorSubDistributionLimitAmps: p[.operatorEVSESubDistributionLimit],
            sheddingOffsetAmps: p[.dlmExternalInput] == .opto1 ? p[.dlmExternalInputOffset] : nil,
            sheddingActiveHigh: p[.dlmExternalInputPolarity] == .highActive,
            mainDistributionLimitAmps: p[.mainDistributionLimit],
            headroomAmps: p[.externalLoadHeadroom],
            fallbackAmps: p[.externalLoadFallback],
            meterLocation: p[.externalMeterLocation],
            imbalanceLimitAmps: p[.currentImbalancePrevention] ? p[.currentImbalanceLimit] : nil,
            itNetwork: p[.itNetwork],
            rotationIntervalSeconds: p[.dlmRotationInterval],
            networkId: p[.dlmNetworkId],
            networkKey: p[.dlmNetworkKey],
            discoveryBroadcastingDisabled: p[.dlmDisableDiscoveryBroadcasting],
            masterAddress: p[.dlmMasterAddress],
            disconnectedLimitAmps: p[.disconnectedLimit],
            linkPort: p[.dlmLinkPort],
            discoveryPort: p[.dlmDiscoveryPort],
            broadcastAddress: p[.dlmBroadcastAddress])
    }
}
