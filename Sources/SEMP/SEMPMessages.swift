/// The SEMP documents a device exchanges with SMA's Sunny Home Manager.
///
/// Source: SMA Solar Technology AG, "SEMP – Simple Energy Management Protocol", XML schema version 1.3.0 (2015-03-24),
/// namespace `http://www.sma.de/communication/schema/SEMP/v1`, and its "SEMP Protocol Specification: Discovery and
/// Communication" (the device is the HTTP server, the energy manager pulls `Device2EM` and pushes `EM2Device`).
/// Element order follows the 1.3.0 sequences (in `Characteristics` MaxPowerConsumption comes before
/// MinPowerConsumption, unlike 1.1.5). Timestamps are relative seconds (`AbsoluteTimestamps` false): the station's
/// clock may not be synchronised, and the schema asks such devices to use relative time.
public enum SEMP {
    public static let namespace = "http://www.sma.de/communication/schema/SEMP/v1"
}

/// `DeviceId`: `[VID type]-[VID, 8 hex]-[serial, 12 hex]-[sub-device, 2 hex]` (SEMP 1.3.0 `DeviceIdType`).
public struct SEMPDeviceId: Sendable, Hashable, CustomStringConvertible {
    public var description: String

    /// Accepts exactly the schema's pattern `[a-fA-F0-9]{1}-[a-fA-F0-9]{8}-[a-fA-F0-9]{12}-[a-fA-F0-9]{2}`; kept in
    /// upper case so that ids compare regardless of the case the manager writes them in.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, zip(parts, [1, 8, 12, 2]).allSatisfy({ $0.count == $1 && $0.allSatisfy(\.isHexDigit) }) else { return nil }
        description = text.uppercased()
    }

    /// ChargeKit's id of one connector: vendor-id type F with the vendor part "CKIT" in ASCII (434B4954), the serial
    /// part the first 48 bits of the station serial's SHA-256, the sub-device the connector's index (connector 1 is
    /// sub-device 00, the main device as the schema asks). Type F is the schema's local address space: ChargeKit has no
    /// IANA Private Enterprise Number; a manufacturer with one replaces the vendor part (`vendorType`, `vendorId`).
    public static func connector(_ n: Int, serialDigest: [UInt8], vendorType: Character = "F", vendorId: String = "434B4954") -> SEMPDeviceId {
        let serial = serialDigest.prefix(6).map { hex2($0) }.joined()
        return SEMPDeviceId("\(vendorType)-\(vendorId)-\(serial)-\(hex2(UInt8(clamping: max(0, n - 1))))")!
    }
}

func hex2(_ b: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
}

/// `DeviceInfo`: the device's static description.
public struct SEMPDeviceInfo: Sendable, Equatable {
    public var deviceId: SEMPDeviceId
    public var name: String
    public var serial: String
    public var vendor: String
    public var url: String?
    /// The most and least the manager may recommend, W (`Characteristics`).
    public var maxPowerW: Int
    public var minPowerW: Int?
    public var minOnTimeSeconds: Int?
    public var minOffTimeSeconds: Int?

    public init(deviceId: SEMPDeviceId, name: String, serial: String, vendor: String, url: String?, maxPowerW: Int, minPowerW: Int?,
                minOnTimeSeconds: Int? = nil, minOffTimeSeconds: Int? = nil) {
        self.deviceId = deviceId; self.name = name; self.serial = serial; self.vendor = vendor; self.url = url
        self.maxPowerW = maxPowerW; self.minPowerW = minPowerW; self.minOnTimeSeconds = minOnTimeSeconds; self.minOffTimeSeconds = minOffTimeSeconds
    }

    var xml: XMLElement {
        var identification = [XMLElement.leaf("DeviceId", deviceId.description), .leaf("DeviceName", name), .leaf("DeviceType", "EVCharger"),
                              .leaf("DeviceSerial", serial), .leaf("DeviceVendor", vendor)]
        if let url { identification.append(.leaf("DeviceURL", url)) }
        var characteristics = [XMLElement.leaf("MaxPowerConsumption", String(maxPowerW))]
        if let minPowerW { characteristics.append(.leaf("MinPowerConsumption", String(minPowerW))) }
        if let minOnTimeSeconds { characteristics.append(.leaf("MinOnTime", String(minOnTimeSeconds))) }
        if let minOffTimeSeconds { characteristics.append(.leaf("MinOffTime", String(minOffTimeSeconds))) }
        return XMLElement("DeviceInfo", children: [
            XMLElement("Identification", children: identification),
            XMLElement("Characteristics", children: characteristics),
            XMLElement("Capabilities", children: [
                XMLElement("CurrentPower", children: [.leaf("Method", "Measurement")]),
                XMLElement("Timestamps", children: [.leaf("AbsoluteTimestamps", "false")]),
                XMLElement("Interruptions", children: [.leaf("InterruptionsAllowed", "true")]),
                XMLElement("Requests", children: [.leaf("OptionalEnergy", "true")]),
            ]),
        ])
    }
}

/// `DeviceStatus`: what the device does now.
public struct SEMPDeviceStatus: Sendable, Equatable {
    public enum Status: String, Sendable { case on = "On", off = "Off", offline = "Offline" }
    public var deviceId: SEMPDeviceId
    /// Whether the device follows the manager's control now (``SEMPChargeMode/surplus``) or ignores it.
    public var emSignalsAccepted: Bool
    public var status: Status
    /// 0: no error pending (ChargeKit sends the connector's first error catalogue code otherwise).
    public var errorCode: Int
    /// The mean power over the last `averagingIntervalSeconds`, W.
    public var averagePowerW: Int
    public var minPowerW: Int
    public var maxPowerW: Int
    public var averagingIntervalSeconds: Int

    public init(deviceId: SEMPDeviceId, emSignalsAccepted: Bool, status: Status, errorCode: Int, averagePowerW: Int,
                minPowerW: Int, maxPowerW: Int, averagingIntervalSeconds: Int) {
        self.deviceId = deviceId; self.emSignalsAccepted = emSignalsAccepted; self.status = status; self.errorCode = errorCode
        self.averagePowerW = averagePowerW; self.minPowerW = minPowerW; self.maxPowerW = maxPowerW; self.averagingIntervalSeconds = averagingIntervalSeconds
    }

    var xml: XMLElement {
        XMLElement("DeviceStatus", children: [
            .leaf("DeviceId", deviceId.description), .leaf("EMSignalsAccepted", emSignalsAccepted ? "true" : "false"),
            .leaf("Status", status.rawValue), .leaf("ErrorCode", String(errorCode)),
            XMLElement("PowerConsumption", children: [XMLElement("PowerInfo", children: [
                .leaf("AveragePower", String(averagePowerW)), .leaf("MinPower", String(minPowerW)), .leaf("MaxPower", String(maxPowerW)),
                .leaf("Timestamp", "0"), .leaf("AveragingInterval", String(averagingIntervalSeconds)),
            ])]),
        ])
    }
}

/// One `Timeframe` of a `PlanningRequest`: an energy need between two relative times.
public struct SEMPTimeframe: Sendable, Equatable {
    public var deviceId: SEMPDeviceId
    public var earliestStartSeconds: Int
    public var latestEndSeconds: Int
    /// Energy that must be delivered (0: all of it is optional, surplus only) and that may be, Wh.
    public var minEnergyWh: Double
    public var maxEnergyWh: Double
    /// Power bounds within this timeframe (they override `DeviceInfo`'s), W: what this vehicle can draw on the phases
    /// it uses.
    public var maxPowerW: Int?
    public var minPowerW: Int?

    public init(deviceId: SEMPDeviceId, earliestStartSeconds: Int, latestEndSeconds: Int, minEnergyWh: Double, maxEnergyWh: Double,
                maxPowerW: Int? = nil, minPowerW: Int? = nil) {
        self.deviceId = deviceId; self.earliestStartSeconds = earliestStartSeconds; self.latestEndSeconds = latestEndSeconds
        self.minEnergyWh = minEnergyWh; self.maxEnergyWh = maxEnergyWh; self.maxPowerW = maxPowerW; self.minPowerW = minPowerW
    }

    var xml: XMLElement {
        var children: [XMLElement] = [.leaf("DeviceId", deviceId.description), .leaf("EarliestStart", String(earliestStartSeconds)),
                                      .leaf("LatestEnd", String(latestEndSeconds)), .leaf("MinEnergy", wh(minEnergyWh)),
                                      .leaf("MaxEnergy", wh(maxEnergyWh))]
        if let maxPowerW { children.append(.leaf("MaxPowerConsumption", String(maxPowerW))) }
        if let minPowerW { children.append(.leaf("MinPowerConsumption", String(minPowerW))) }
        return XMLElement("Timeframe", children: children)
    }

    private func wh(_ x: Double) -> String { String(Int((x.isFinite ? max(0, x) : 0).rounded())) }
}

/// `Device2EM`: everything the manager reads in one poll (`GET /semp/`), or a subset.
public struct SEMPDevice2EM: Sendable, Equatable {
    public var infos: [SEMPDeviceInfo]
    public var statuses: [SEMPDeviceStatus]
    /// One planning request per device that needs energy now, with its timeframes.
    public var requests: [[SEMPTimeframe]]

    public init(infos: [SEMPDeviceInfo] = [], statuses: [SEMPDeviceStatus] = [], requests: [[SEMPTimeframe]] = []) {
        self.infos = infos; self.statuses = statuses; self.requests = requests
    }

    /// The XML document, in the schema's order: every DeviceInfo, then every DeviceStatus, then every PlanningRequest.
    public var document: String {
        let root = XMLElement("Device2EM", children: infos.map(\.xml) + statuses.map(\.xml)
            + requests.filter { !$0.isEmpty }.map { XMLElement("PlanningRequest", children: $0.map(\.xml)) })
        return XMLWriter.document(root, defaultNamespace: SEMP.namespace)
    }
}

/// `DeviceControl` of an `EM2Device`: the manager's switch and power recommendation for one device.
public struct SEMPDeviceControl: Sendable, Equatable {
    public var deviceId: SEMPDeviceId
    public var on: Bool
    /// W; nil when the manager only switches.
    public var recommendedPowerW: Double?

    public init(deviceId: SEMPDeviceId, on: Bool, recommendedPowerW: Double?) {
        self.deviceId = deviceId; self.on = on; self.recommendedPowerW = recommendedPowerW
    }

    /// Reads an `EM2Device` document: its root must be `EM2Device` in the SEMP namespace, and every `DeviceControl`
    /// must carry what the schema requires (DeviceId, On, Timestamp) with valid values. Anything else refuses the whole
    /// document, so nothing of a malformed one is applied.
    public static func parse(_ body: [UInt8]) throws(XMLError) -> [SEMPDeviceControl] {
        let root = try XMLParser.parse(body)
        guard root.name == "EM2Device", root.namespace == SEMP.namespace else {
            throw XMLError("expected <EM2Device> in namespace \(SEMP.namespace), found <\(root.name)>")
        }
        var controls: [SEMPDeviceControl] = []
        for element in root.children where element.namespace == SEMP.namespace {
            switch element.name {
            case "DeviceControl": controls.append(try control(element))
            case "Messages": continue
            default: throw XMLError("unexpected <\(element.name)> in <EM2Device>")
            }
        }
        return controls
    }

    private static func control(_ e: XMLElement) throws(XMLError) -> SEMPDeviceControl {
        let known: Set = ["DeviceId", "On", "RecommendedPowerConsumption", "Timestamp"]
        if let unknown = e.children.first(where: { !known.contains($0.name) }) { throw XMLError("unexpected <\(unknown.name)> in <DeviceControl>") }
        guard let idText = e.value("DeviceId"), let id = SEMPDeviceId(idText) else {
            throw XMLError("<DeviceControl> needs a DeviceId of the form X-XXXXXXXX-XXXXXXXXXXXX-XX (hex)")
        }
        guard let on = e.value("On").flatMap(boolean) else { throw XMLError("<DeviceControl> for \(id) needs On: true or false") }
        guard let ts = e.value("Timestamp"), Int64(ts) != nil else { throw XMLError("<DeviceControl> for \(id) needs a Timestamp (seconds)") }
        var power: Double?
        if let text = e.value("RecommendedPowerConsumption") {
            guard let w = Double(text), w.isFinite, w >= 0, w <= 1_000_000 else {
                throw XMLError("RecommendedPowerConsumption for \(id) must be a number of watts from 0 to 1000000, got '\(text)'")
            }
            power = w
        }
        return SEMPDeviceControl(deviceId: id, on: on, recommendedPowerW: power)
    }

    /// xs:boolean: true, false, 1, 0 (XML Schema Part 2 §3.2.2).
    static func boolean(_ s: String) -> Bool? {
        switch s { case "true", "1": true; case "false", "0": false; default: nil }
    }
}
