import OCPP16

// The SPINE datagram (EEBUS SPINE TS 1.3.0 §5.2 "datagram": a header and a payload of commands) as typed values, read
// strictly from and written to the plain JSON form (``EEBUSJSON`` converts to and from the wire).

/// Why a datagram (or part of one) was refused: the path of the element (`datagram.header.msgCounter`) and what is
/// wrong with it. The engine logs it and, where the header could be read, answers with a `resultData` error naming it.
public struct SPINEDatagramError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { "\(path): \(reason)" }
}

/// The bounds the engine keeps to when it reads a datagram. SPINE TS 1.3.0 sets none; these are generous for every
/// device seen in the field (a full detailed discovery of a wallbox with an EV is one command of about 600 JSON
/// values) and keep a hostile peer from making the station walk or store unbounded data.
public enum SPINELimits {
    /// Commands in one datagram's `payload.cmd` (SPINE TS §5.2.4: several commands of the same classifier).
    public static let maximumCommands = 32
    /// `filter` elements in one command (SPINE TS §5.3.4: one partial and one delete filter in practice).
    public static let maximumFilters = 8
    /// Levels of an entity address (`[1, 1]` is two; SPINE TS §5.2.2 `entityAddressType`).
    public static let maximumEntityDepth = 16
    /// JSON values (every object, array, member value and scalar counted) in one command's function data and filters.
    public static let maximumValuesPerCommand = 20_000
    /// Entities and features read from a remote device's detailed discovery, and use case entries from its use case
    /// data; more are refused as a whole.
    public static let maximumRemoteEntities = 128
    public static let maximumRemoteFeatures = 512
    public static let maximumRemoteUseCases = 128
    /// Subscriptions and bindings one remote device may hold on this device (SPINE TS §7.4.1/§7.4.2 allow a server to
    /// refuse more).
    public static let maximumSubscriptionsPerRemote = 256
    public static let maximumBindingsPerRemote = 64
    /// Requests of this node that wait for their reply or result (the oldest is forgotten beyond this).
    public static let maximumPendingRequests = 512
}

/// A SPINE datagram header (SPINE TS §5.2.3 `headerType`).
public struct SPINEHeader: Hashable, Sendable {
    /// `specificationVersion`: "1.3.0" for what this engine sends; devices in the field send older ones (1.1.1), which
    /// are read alike.
    public var specificationVersion: String
    public var source: SPINEFeatureAddress
    public var destination: SPINEFeatureAddress
    /// `msgCounter`: this sender's counter, monotonic per node (SPINE TS §5.2.3.1).
    public var msgCounter: Int64
    /// `msgCounterReference`: the counter of the datagram a reply or result answers.
    public var msgCounterReference: Int64?
    public var classifier: SPINECommandClassifier
    /// `ackRequest`: the sender wants a `resultData` acknowledgement (SPINE TS §5.2.5).
    public var ackRequest: Bool
    /// `timestamp` (`absoluteOrRelativeTimeType`) as sent; this engine sends none.
    public var timestamp: String?

    public static let specificationVersion = "1.3.0"

    public init(specificationVersion: String = SPINEHeader.specificationVersion, source: SPINEFeatureAddress,
                destination: SPINEFeatureAddress, msgCounter: Int64, msgCounterReference: Int64? = nil,
                classifier: SPINECommandClassifier, ackRequest: Bool = false, timestamp: String? = nil) {
        self.specificationVersion = specificationVersion
        self.source = source
        self.destination = destination
        self.msgCounter = msgCounter
        self.msgCounterReference = msgCounterReference
        self.classifier = classifier
        self.ackRequest = ackRequest
        self.timestamp = timestamp
    }
}

/// One command of a datagram's payload (SPINE TS §5.2.4 `cmdType`): exactly one function data element, the optional
/// `function` name (sent with filters) and the `filter` elements of a restricted function exchange (§5.3.4).
public struct SPINECommand: Hashable, Sendable {
    public var function: SPINEFunction
    /// The function data in the plain form: always an object (an empty one for a read).
    public var data: JSONValue
    /// The `filter` elements (plain objects, each with `cmdControl` `partial` or `delete` and its selectors).
    public var filters: [JSONValue]
    public init(function: SPINEFunction, data: JSONValue = .object(JSONObject()), filters: [JSONValue] = []) {
        self.function = function
        self.data = data
        self.filters = filters
    }

    /// True when a filter asks for a partial exchange (`cmdControl.partial`).
    public var isPartial: Bool { filters.contains { Self.control(of: $0) == "partial" } }
    /// True when a filter asks for a deletion (`cmdControl.delete`).
    public var isDelete: Bool { filters.contains { Self.control(of: $0) == "delete" } }

    static func control(of filter: JSONValue) -> String? {
        guard case .object(let f) = filter, case .object(let c)? = f["cmdControl"] else { return nil }
        return c.keys.first
    }
}

/// A SPINE datagram: the header and its commands.
public struct SPINEDatagram: Hashable, Sendable {
    public var header: SPINEHeader
    public var commands: [SPINECommand]
    public init(header: SPINEHeader, commands: [SPINECommand]) {
        self.header = header
        self.commands = commands
    }

    /// The plain form: `{"datagram": {"header": {…}, "payload": {"cmd": […]}}}`, the value a SHIP data message carries
    /// as its payload (SHIP TS 1.0.1 §13.4.5, SPINE TS §5.2.1), members in the order of the SPINE schema.
    public var json: JSONValue {
        var h = JSONObject(reservingCapacity: 8)
        h["specificationVersion"] = .string(header.specificationVersion)
        h["addressSource"] = header.source.json
        h["addressDestination"] = header.destination.json
        h["msgCounter"] = .integer(header.msgCounter)
        if let r = header.msgCounterReference { h["msgCounterReference"] = .integer(r) }
        h["cmdClassifier"] = .string(header.classifier.rawValue)
        if header.ackRequest { h["ackRequest"] = .bool(true) }
        if let t = header.timestamp { h["timestamp"] = .string(t) }
        let cmds: [JSONValue] = commands.map { c in
            var o = JSONObject(reservingCapacity: 3)
            if !c.filters.isEmpty {
                o["function"] = .string(c.function.rawValue)
                o["filter"] = .array(c.filters)
            }
            o[c.function.rawValue] = c.data
            return .object(o)
        }
        let datagram: JSONObject = ["header": .object(h), "payload": .object(["cmd": .array(cmds)])]
        return .object(["datagram": .object(datagram)])
    }

    /// Reads the header alone: the engine answers a datagram whose payload is wrong when it knows whom to answer.
    public static func readHeader(_ value: JSONValue) throws(SPINEDatagramError) -> SPINEHeader {
        let d = try datagramObject(value)
        return try readHeader(try JSONRead.object(d["header"], "datagram.header"))
    }

    /// Reads a datagram in the plain form strictly: every refusal names the element's path.
    public init(json value: JSONValue) throws(SPINEDatagramError) {
        let d = try Self.datagramObject(value)
        header = try Self.readHeader(try JSONRead.object(d["header"], "datagram.header"))
        let payload = try JSONRead.object(d["payload"], "datagram.payload")
        let list = try JSONRead.array(payload["cmd"], "datagram.payload.cmd")
        guard !list.isEmpty else { throw SPINEDatagramError("datagram.payload.cmd", "no command") }
        guard list.count <= SPINELimits.maximumCommands else {
            throw SPINEDatagramError("datagram.payload.cmd", "\(list.count) commands, at most \(SPINELimits.maximumCommands) allowed")
        }
        var commands: [SPINECommand] = []
        commands.reserveCapacity(list.count)
        for (i, c) in list.enumerated() { commands.append(try Self.readCommand(c, "datagram.payload.cmd[\(i)]")) }
        self.commands = commands
    }

    private static func datagramObject(_ value: JSONValue) throws(SPINEDatagramError) -> JSONObject {
        let root = try JSONRead.object(value, "$")
        for k in root.keys where k != "datagram" { throw SPINEDatagramError("$.\(k)", "unknown member (a SPINE datagram has only \"datagram\")") }
        return try JSONRead.object(root["datagram"], "datagram")
    }

    private static func readHeader(_ h: JSONObject) throws(SPINEDatagramError) -> SPINEHeader {
        let p = "datagram.header"
        let classifierText = try JSONRead.string(h["cmdClassifier"], p + ".cmdClassifier")
        guard let classifier = SPINECommandClassifier(rawValue: classifierText) else {
            throw SPINEDatagramError(p + ".cmdClassifier", "unknown classifier \"\(classifierText)\" (read, reply, notify, write, call or result)")
        }
        let counter = try JSONRead.counter(h["msgCounter"], p + ".msgCounter")
        var reference: Int64?
        if h["msgCounterReference"] != nil { reference = try JSONRead.counter(h["msgCounterReference"], p + ".msgCounterReference") }
        if classifier == .reply || classifier == .result, reference == nil {
            throw SPINEDatagramError(p + ".msgCounterReference", "missing (a \(classifier.rawValue) names the datagram it answers)")
        }
        var ack = false
        if let a = h["ackRequest"] { ack = try JSONRead.bool(a, p + ".ackRequest") }
        var timestamp: String?
        if h["timestamp"] != nil { timestamp = try JSONRead.string(h["timestamp"], p + ".timestamp") }
        return SPINEHeader(
            specificationVersion: try JSONRead.string(h["specificationVersion"], p + ".specificationVersion"),
            source: try SPINEFeatureAddress(json: h["addressSource"], p + ".addressSource", needsFeature: true),
            destination: try SPINEFeatureAddress(json: h["addressDestination"], p + ".addressDestination", needsFeature: true),
            msgCounter: counter, msgCounterReference: reference, classifier: classifier, ackRequest: ack, timestamp: timestamp)
    }

    /// Members of `cmdType` besides the one function data element (SPINE TS §5.2.4).
    private static let commandMembers: Set<String> = ["function", "filter", "manufacturerSpecificExtension", "lastUpdateAt"]

    private static func readCommand(_ value: JSONValue, _ p: String) throws(SPINEDatagramError) -> SPINECommand {
        let c = try JSONRead.object(value, p)
        let elements = c.members.filter { !commandMembers.contains($0.key) }
        guard let element = elements.first else { throw SPINEDatagramError(p, "no function data element") }
        guard elements.count == 1 else {
            throw SPINEDatagramError(p, "\(elements.count) function data elements (\(elements.map(\.key).joined(separator: ", "))), one allowed")
        }
        if let named = c["function"] {
            let name = try JSONRead.string(named, p + ".function")
            guard name == element.key else {
                throw SPINEDatagramError(p + ".function", "names \"\(name)\" but the data element is \"\(element.key)\"")
            }
        }
        var filters: [JSONValue] = []
        if let f = c["filter"] {
            let list = try JSONRead.array(f, p + ".filter")
            guard list.count <= SPINELimits.maximumFilters else {
                throw SPINEDatagramError(p + ".filter", "\(list.count) filters, at most \(SPINELimits.maximumFilters) allowed")
            }
            for (i, item) in list.enumerated() {
                let fp = p + ".filter[\(i)]"
                let filter = try JSONRead.object(item, fp)
                let control = try JSONRead.object(filter["cmdControl"], fp + ".cmdControl")
                guard control.count == 1, let kind = control.keys.first, kind == "partial" || kind == "delete" else {
                    throw SPINEDatagramError(fp + ".cmdControl", "must hold exactly one of partial, delete")
                }
                filters.append(.object(filter))
            }
        }
        let data = try JSONRead.object(element.value, p + "." + element.key)
        let size = JSONRead.valueCount(.object(data), limit: SPINELimits.maximumValuesPerCommand)
            + filters.reduce(0) { $0 + JSONRead.valueCount($1, limit: SPINELimits.maximumValuesPerCommand) }
        guard size <= SPINELimits.maximumValuesPerCommand else {
            throw SPINEDatagramError(p + "." + element.key, "more than \(SPINELimits.maximumValuesPerCommand) JSON values")
        }
        return SPINECommand(function: SPINEFunction(element.key), data: .object(data), filters: filters)
    }
}

extension SPINEFeatureAddress {
    /// The plain form (`featureAddressType`): `device` only when known, then `entity` and `feature`.
    public var json: JSONValue {
        var o = JSONObject(reservingCapacity: 3)
        if let device { o["device"] = .string(device) }
        o["entity"] = .array(entity.map { .integer(Int64($0)) })
        o["feature"] = .integer(Int64(feature))
        return .object(o)
    }

    /// Reads a `featureAddressType` (or, without `needsFeature`, an `entityAddressType` whose feature reads as 0).
    init(json value: JSONValue?, _ p: String, needsFeature: Bool) throws(SPINEDatagramError) {
        let o = try JSONRead.object(value, p)
        var device: String?
        if o["device"] != nil { device = try JSONRead.string(o["device"], p + ".device") }
        let entity = try JSONRead.entity(o["entity"], p + ".entity")
        var feature = 0
        if needsFeature || o["feature"] != nil { feature = try JSONRead.index(o["feature"], p + ".feature") }
        self.init(device: device, entity: entity, feature: feature)
    }
}

/// Strict readers of plain JSON values for the SPINE types; each refusal names the path.
enum JSONRead {
    static func object(_ v: JSONValue?, _ p: String) throws(SPINEDatagramError) -> JSONObject {
        switch v {
        case .object(let o)?: return o
        // The EEBUS form writes an empty object as [] (see EEBUSJSON).
        case .array(let a)? where a.isEmpty: return JSONObject()
        case nil: throw SPINEDatagramError(p, "missing")
        case let other?: throw SPINEDatagramError(p, "must be an object, not \(other.typeName)")
        }
    }

    static func array(_ v: JSONValue?, _ p: String) throws(SPINEDatagramError) -> [JSONValue] {
        switch v {
        case .array(let a)?: return a
        // An empty list in the EEBUS form may read back as an empty object only if a device wrote {} for it.
        case .object(let o)? where o.isEmpty: return []
        case nil: throw SPINEDatagramError(p, "missing")
        case let other?: throw SPINEDatagramError(p, "must be an array, not \(other.typeName)")
        }
    }

    static func string(_ v: JSONValue?, _ p: String) throws(SPINEDatagramError) -> String {
        switch v {
        case .string(let s)?: return s
        case nil: throw SPINEDatagramError(p, "missing")
        case let other?: throw SPINEDatagramError(p, "must be a string, not \(other.typeName)")
        }
    }

    static func bool(_ v: JSONValue?, _ p: String) throws(SPINEDatagramError) -> Bool {
        switch v {
        case .bool(let b)?: return b
        case nil: throw SPINEDatagramError(p, "missing")
        case let other?: throw SPINEDatagramError(p, "must be a boolean, not \(other.typeName)")
        }
    }

    /// A `msgCounterType` (unsigned long): 0 … Int64.max.
    static func counter(_ v: JSONValue?, _ p: String) throws(SPINEDatagramError) -> Int64 {
        switch v {
        case .integer(let i)? where i >= 0: return i
        case .integer(let i)?: throw SPINEDatagramError(p, "\(i) is negative (0 or more allowed)")
        case nil: throw SPINEDatagramError(p, "missing")
        case let other?: throw SPINEDatagramError(p, "must be an integer, not \(other.typeName)")
        }
    }

    /// An entity or feature index (`addressEntityType`/`addressFeatureType`, unsigned int): 0 … 4294967295.
    static func index(_ v: JSONValue?, _ p: String) throws(SPINEDatagramError) -> Int {
        switch v {
        case .integer(let i)? where i >= 0 && i <= Int64(UInt32.max): return Int(i)
        case .integer(let i)?: throw SPINEDatagramError(p, "\(i) is out of range (0 … 4294967295)")
        case nil: throw SPINEDatagramError(p, "missing")
        case let other?: throw SPINEDatagramError(p, "must be an integer, not \(other.typeName)")
        }
    }

    static func entity(_ v: JSONValue?, _ p: String) throws(SPINEDatagramError) -> [Int] {
        let list = try array(v, p)
        guard !list.isEmpty else { throw SPINEDatagramError(p, "empty (an entity address has at least one index)") }
        guard list.count <= SPINELimits.maximumEntityDepth else {
            throw SPINEDatagramError(p, "\(list.count) levels, at most \(SPINELimits.maximumEntityDepth) allowed")
        }
        var out: [Int] = []
        for (i, e) in list.enumerated() { out.append(try index(e, p + "[\(i)]")) }
        return out
    }

    /// The number of JSON values in `v`, counting stops a little past `limit`.
    static func valueCount(_ v: JSONValue, limit: Int) -> Int {
        var count = 0
        var stack = [v]
        while let top = stack.popLast() {
            count += 1
            if count > limit { return count }
            switch top {
            case .array(let a): stack.append(contentsOf: a)
            case .object(let o): stack.append(contentsOf: o.values)
            default: break
            }
        }
        return count
    }
}
