import EVSECore

/// The role of a station in dynamic load management (seeds/004 §1.4, §1.5, §7.4 "Dynamic Load Management - DLM
/// Master/Slave", §7.7): the master allocates; slaves report to it over the LAN link and apply its grants.
public enum DLMMode: String, Sendable, Codable, CaseIterable, Equatable {
    case off = "Off"
    /// DLM Master (With internal DLM-Slave): allocates, and its own connectors take part.
    case master = "Master"
    /// DLM Master (Standalone): allocates for the slaves only and drives no connector of its own (seeds/004 §7.7: the
    /// recommended place for the master is a controller of its own in the distribution cabinet).
    case masterStandalone = "MasterStandalone"
    /// DLM Slave (Master-Auto-Discovery): follows the master that announces itself on the LAN.
    case slaveAutoDiscovery = "SlaveAutoDiscovery"
    /// DLM Slave (Master-Fixed-IP): reports to the master at "DLM Master Address".
    case slaveFixedIP = "SlaveFixedIP"

    public var isMaster: Bool { self == .master || self == .masterStandalone }
    public var isSlave: Bool { self == .slaveAutoDiscovery || self == .slaveFixedIP }
    /// The role talks over the LAN link (a master with internal slave too: remote slaves may join it).
    public var usesLink: Bool { self != .off }

    /// Modbus register 600 "DLM Mode" (seeds/000 MODBUS-REGISTERSATZ): 0 off, 1 master with internal slave, 2 standalone
    /// master, 3 auto-discovery slave, 4 fixed-IP slave, in the order of the seeds' menu.
    public var modbusCode: Int64 {
        switch self {
        case .off: 0
        case .master: 1
        case .masterStandalone: 2
        case .slaveAutoDiscovery: 3
        case .slaveFixedIP: 4
        }
    }
}

/// The DLM settings of a station: its role, the site's limits and the link's addressing, as plain values. The
/// parameters they come from are declared in ChargePoint (DLMParameters.swift), next to the registry that owns them.
public struct DLMSettings: Sendable, Equatable {
    public var mode: DLMMode
    public var sampleSeconds: Double
    public var subDistributionLimitAmps: PhaseValues
    public var operatorSubDistributionLimitAmps: PhaseValues
    /// Load shedding for DLM through 'Opto 1 In': the offsets (nil: off) and whether a closed contact signals it.
    public var sheddingOffsetAmps: PhaseValues?
    public var sheddingActiveHigh: Bool
    public var mainDistributionLimitAmps: PhaseValues
    public var headroomAmps: PhaseValues
    public var fallbackAmps: PhaseValues
    public var meterLocation: ExternalMeterLocation
    public var imbalanceLimitAmps: Double?
    public var itNetwork: Bool
    public var rotationIntervalSeconds: Double
    public var networkId: Int
    public var networkKey: String
    public var discoveryBroadcastingDisabled: Bool
    public var masterAddress: String
    public var disconnectedLimitAmps: Double
    public var linkPort: Int
    public var discoveryPort: Int
    public var broadcastAddress: String

    /// Every field given: the station reads them from its parameter registry (ChargePoint's `DLMSettings(_:)`), which
    /// is also where the defaults live — this target keeps no second copy of them.
    public init(mode: DLMMode, sampleSeconds: Double, subDistributionLimitAmps: PhaseValues, operatorSubDistributionLimitAmps: PhaseValues,
                sheddingOffsetAmps: PhaseValues?, sheddingActiveHigh: Bool, mainDistributionLimitAmps: PhaseValues, headroomAmps: PhaseValues,
                fallbackAmps: PhaseValues, meterLocation: ExternalMeterLocation, imbalanceLimitAmps: Double?, itNetwork: Bool,
                rotationIntervalSeconds: Double, networkId: Int, networkKey: String, discoveryBroadcastingDisabled: Bool, masterAddress: String,
                disconnectedLimitAmps: Double, linkPort: Int, discoveryPort: Int, broadcastAddress: String) {
        self.mode = mode; self.sampleSeconds = sampleSeconds
        self.subDistributionLimitAmps = subDistributionLimitAmps; self.operatorSubDistributionLimitAmps = operatorSubDistributionLimitAmps
        self.sheddingOffsetAmps = sheddingOffsetAmps; self.sheddingActiveHigh = sheddingActiveHigh
        self.mainDistributionLimitAmps = mainDistributionLimitAmps; self.headroomAmps = headroomAmps; self.fallbackAmps = fallbackAmps
        self.meterLocation = meterLocation; self.imbalanceLimitAmps = imbalanceLimitAmps; self.itNetwork = itNetwork
        self.rotationIntervalSeconds = rotationIntervalSeconds; self.networkId = networkId; self.networkKey = networkKey
        self.discoveryBroadcastingDisabled = discoveryBroadcastingDisabled; self.masterAddress = masterAddress
        self.disconnectedLimitAmps = disconnectedLimitAmps; self.linkPort = linkPort; self.discoveryPort = discoveryPort
        self.broadcastAddress = broadcastAddress
    }

    /// Why the DLM link cannot run with these settings (nil: it can, or the role needs none).
    public var linkProblem: String? {
        guard mode.usesLink else { return nil }
        if networkKey.isEmpty {
            return mode == .master
                ? "DLM Network Key is not set: the DLM link is off, only this station's connectors take part"
                : "DLM Network Key is not set: the DLM link is off (set the same key on the master and every slave)"
        }
        if mode == .slaveFixedIP && DLMEndpoint(parsing: masterAddress, defaultPort: linkPort) == nil {
            return "DLM Master Address is not set: a Master-Fixed-IP slave needs the master's address"
        }
        return nil
    }

    /// The site for one cycle: `meterReading` is the grid meter's phase currents (nil: no meter configured or it
    /// failed — `meterConfigured` tells which), `shedding` whether 'Opto 1 In' signals.
    public func site(meterConfigured: Bool, meterReading: PhaseValues?, shedding: Bool) -> DLMSite {
        DLMSite(subDistributionLimitAmps: subDistributionLimitAmps, operatorSubDistributionLimitAmps: operatorSubDistributionLimitAmps,
                externalMeter: meterConfigured ? DLMExternalMeter(mainDistributionLimitAmps: mainDistributionLimitAmps, headroomAmps: headroomAmps,
                                                                   fallbackAmps: fallbackAmps, location: meterLocation, readingAmps: meterReading) : nil,
                loadSheddingOffsetAmps: shedding ? sheddingOffsetAmps : nil, imbalanceLimitAmps: imbalanceLimitAmps, itNetwork: itNetwork,
                rotationIntervalSeconds: rotationIntervalSeconds)
    }
}
