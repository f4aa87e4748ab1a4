import OCPP16

// NodeManagement (EEBUS SPINE TS 1.3.0 §7): the local device model as announced (detailed discovery, use case data,
// destination list, subscription and binding lists) and the readers of a remote device's announcements and of the
// subscription and binding calls.

/// The NodeManagement functions (SPINE TS §7.2–§7.5).
public extension SPINEFunction {
    static let nodeManagementDetailedDiscoveryData: SPINEFunction = "nodeManagementDetailedDiscoveryData"
    static let nodeManagementUseCaseData: SPINEFunction = "nodeManagementUseCaseData"
    static let nodeManagementDestinationListData: SPINEFunction = "nodeManagementDestinationListData"
    static let nodeManagementSubscriptionData: SPINEFunction = "nodeManagementSubscriptionData"
    static let nodeManagementSubscriptionRequestCall: SPINEFunction = "nodeManagementSubscriptionRequestCall"
    static let nodeManagementSubscriptionDeleteCall: SPINEFunction = "nodeManagementSubscriptionDeleteCall"
    static let nodeManagementBindingData: SPINEFunction = "nodeManagementBindingData"
    static let nodeManagementBindingRequestCall: SPINEFunction = "nodeManagementBindingRequestCall"
    static let nodeManagementBindingDeleteCall: SPINEFunction = "nodeManagementBindingDeleteCall"
    /// The acknowledgement and error answer (SPINE TS §5.2.5 `resultDataType`).
    static let resultData: SPINEFunction = "resultData"
}

/// The local device as announced: entity `[0]` (DeviceInformation with NodeManagement at feature 0, plus the features
/// the application declares on `[0]`, e.g. DeviceClassification) followed by the application's entities.
struct SPINELocalModel: Equatable {
    var deviceAddress: String
    var deviceType: String
    var entities: [SPINEEntityDescription]
    var useCases: [SPINEUseCaseDescription]

    /// NodeManagement's functions (SPINE TS §7.1: data functions are read, calls have no possible operation).
    static let nodeManagement = SPINEFeatureDescription(index: 0, type: "NodeManagement", role: .special, functions: [
        SPINEFunctionSupport(.nodeManagementBindingData),
        SPINEFunctionSupport(.nodeManagementBindingDeleteCall, read: false),
        SPINEFunctionSupport(.nodeManagementBindingRequestCall, read: false),
        SPINEFunctionSupport(.nodeManagementDestinationListData),
        SPINEFunctionSupport(.nodeManagementDetailedDiscoveryData),
        SPINEFunctionSupport(.nodeManagementSubscriptionData),
        SPINEFunctionSupport(.nodeManagementSubscriptionDeleteCall, read: false),
        SPINEFunctionSupport(.nodeManagementSubscriptionRequestCall, read: false),
        SPINEFunctionSupport(.nodeManagementUseCaseData),
    ])

    init<App: SPINEApplication>(_ app: App) {
        deviceAddress = app.deviceAddress
        deviceType = app.deviceType
        var zero = SPINEEntityDescription(address: [0], type: "DeviceInformation", features: [Self.nodeManagement])
        var others: [SPINEEntityDescription] = []
        for entity in app.entities {
            if entity.address == [0] {
                // The application's features of entity [0] (DeviceClassification); index 0 stays NodeManagement's.
                zero.features += entity.features.filter { $0.index != 0 && !zero.features.map(\.index).contains($0.index) }
            } else {
                others.append(entity)
            }
        }
        entities = [zero] + others
        useCases = app.useCases
    }

    func entity(_ address: [Int]) -> SPINEEntityDescription? { entities.first { $0.address == address } }

    func feature(_ address: SPINEFeatureAddress) -> SPINEFeatureDescription? {
        entity(address.entity)?.features.first { $0.index == address.feature }
    }

    func address(_ entity: [Int], _ feature: Int) -> SPINEFeatureAddress {
        SPINEFeatureAddress(device: deviceAddress, entity: entity, feature: feature)
    }

    // MARK: The announcements

    /// `nodeManagementDetailedDiscoveryData` of the whole device (SPINE TS §7.3.2), or of some entities only with
    /// their `lastStateChange` (the partial notify of §7.3.3 when an entity was added or removed).
    func detailedDiscovery(only: [SPINEEntityDescription]? = nil, change: String? = nil) -> JSONValue {
        var out = JSONObject(reservingCapacity: 4)
        if only == nil {
            out["specificationVersionList"] = .object(["specificationVersion": .array([.string(SPINEHeader.specificationVersion)])])
        }
        var device = JSONObject(reservingCapacity: 3)
        // The device's description in the partial notify too: a manager that reads it as a whole device description
        // finds the type it expects.
        device["deviceAddress"] = .object(["device": .string(deviceAddress)])
        device["deviceType"] = .string(deviceType)
        device["networkFeatureSet"] = .string("smart")
        out["deviceInformation"] = .object(["description": .object(device)])
        let shown = only ?? entities
        out["entityInformation"] = .array(shown.map { e in
            var d = JSONObject(reservingCapacity: 4)
            d["entityAddress"] = .object(["device": .string(deviceAddress), "entity": .array(e.address.map { .integer(Int64($0)) })])
            if change != "removed" { d["entityType"] = .string(e.type) }
            if let change { d["lastStateChange"] = .string(change) }
            if change != "removed", let text = e.description { d["description"] = .string(text) }
            return .object(["description": .object(d)])
        })
        if change != "removed" {
            out["featureInformation"] = .array(shown.flatMap { e in e.features.map { f in featureInformation(e, f) } })
        }
        return .object(out)
    }

    private func featureInformation(_ e: SPINEEntityDescription, _ f: SPINEFeatureDescription) -> JSONValue {
        var d = JSONObject(reservingCapacity: 5)
        d["featureAddress"] = address(e.address, f.index).json
        d["featureType"] = .string(f.type)
        d["role"] = .string(f.role.rawValue)
        if !f.functions.isEmpty {
            d["supportedFunction"] = .array(f.functions.map { s in
                var ops = JSONObject(reservingCapacity: 2)
                if s.read { ops["read"] = .object(JSONObject()) }
                if s.write { ops["write"] = .object(s.partialWrite ? ["partial": .object(JSONObject())] : JSONObject()) }
                return .object(["function": .string(s.function.rawValue), "possibleOperations": .object(ops)])
            })
        }
        if let text = f.description { d["description"] = .string(text) }
        return .object(["description": .object(d)])
    }

    /// `nodeManagementUseCaseData` (SPINE TS §7.5): one `useCaseInformation` per actor and entity, in first-seen order.
    var useCaseData: JSONValue {
        var groups: [(actor: String, entity: [Int], cases: [SPINEUseCaseDescription])] = []
        for u in useCases {
            if let i = groups.firstIndex(where: { $0.actor == u.actor && $0.entity == u.entity }) {
                groups[i].cases.append(u)
            } else {
                groups.append((u.actor, u.entity, [u]))
            }
        }
        return .object(["useCaseInformation": .array(groups.map { g in
            var info = JSONObject(reservingCapacity: 3)
            info["address"] = .object(["device": .string(deviceAddress), "entity": .array(g.entity.map { .integer(Int64($0)) })])
            info["actor"] = .string(g.actor)
            info["useCaseSupport"] = .array(g.cases.map { u in
                var s = JSONObject(reservingCapacity: 4)
                s["useCaseName"] = .string(u.name)
                s["useCaseVersion"] = .string(u.version)
                s["useCaseAvailable"] = .bool(u.available)
                s["scenarioSupport"] = .array(u.scenarios.map { .integer(Int64($0)) })
                // SPINE TS 1.3.0 §7.5 `useCaseDocumentSubRevision`: the use case documents implemented are releases.
                s["useCaseDocumentSubRevision"] = .string("release")
                return .object(s)
            })
            return .object(info)
        })])
    }

    /// `nodeManagementDestinationListData` (SPINE TS §7.6): this device, the one destination it offers.
    var destinationList: JSONValue {
        let description: JSONObject = [
            "deviceAddress": .object(["device": .string(deviceAddress)]),
            "deviceType": .string(deviceType),
            "networkFeatureSet": .string("smart"),
        ]
        return .object(["nodeManagementDestinationData": .array([.object(["deviceDescription": .object(description)])])])
    }
}

// MARK: Reading a remote device's announcements

/// What a remote device announced: its address and type, entities with their features, and use cases.
public struct SPINERemoteModel: Hashable, Sendable {
    public var deviceAddress: String?
    public var deviceType: String?
    public var entities: [SPINEEntityDescription] = []
    public var useCases: [SPINEUseCaseDescription] = []
    public init() {}

    /// Every feature with its full address.
    public var features: [(address: SPINEFeatureAddress, feature: SPINEFeatureDescription)] {
        entities.flatMap { e in e.features.map { (SPINEFeatureAddress(device: deviceAddress, entity: e.address, feature: $0.index), $0) } }
    }

    /// Applies a detailed discovery reply or notify (SPINE TS §7.3). A full one (no partial filter) replaces the
    /// model; a partial one adds or replaces the entities and features it lists and removes the entities whose
    /// `lastStateChange` is `removed` (with the entities below them). Returns the entity addresses that were added or
    /// replaced and those removed.
    mutating func applyDiscovery(_ data: JSONValue, partial: Bool) throws(SPINEDatagramError) -> (added: [[Int]], removed: [[Int]]) {
        let p = "nodeManagementDetailedDiscoveryData"
        let o = try JSONRead.object(data, p)
        if let info = o["deviceInformation"] {
            let d = try JSONRead.object(try JSONRead.object(info, p + ".deviceInformation")["description"], p + ".deviceInformation.description")
            if d["deviceAddress"] != nil {
                let a = try JSONRead.object(d["deviceAddress"], p + ".deviceInformation.description.deviceAddress")
                if a["device"] != nil { deviceAddress = try JSONRead.string(a["device"], p + ".deviceInformation.description.deviceAddress.device") }
            }
            if d["deviceType"] != nil { deviceType = try JSONRead.string(d["deviceType"], p + ".deviceInformation.description.deviceType") }
        }
        var entitiesRead: [(SPINEEntityDescription, removed: Bool)] = []
        let entityList = o["entityInformation"] == nil ? [] : try JSONRead.array(o["entityInformation"], p + ".entityInformation")
        guard entityList.count <= SPINELimits.maximumRemoteEntities else {
            throw SPINEDatagramError(p + ".entityInformation", "\(entityList.count) entities, at most \(SPINELimits.maximumRemoteEntities) allowed")
        }
        for (i, item) in entityList.enumerated() {
            let ep = p + ".entityInformation[\(i)].description"
            let d = try JSONRead.object(try JSONRead.object(item, p + ".entityInformation[\(i)]")["description"], ep)
            let address = try SPINEFeatureAddress(json: d["entityAddress"], ep + ".entityAddress", needsFeature: false).entity
            let change = d["lastStateChange"] == nil ? nil : try JSONRead.string(d["lastStateChange"], ep + ".lastStateChange")
            if change == "removed" {
                entitiesRead.append((SPINEEntityDescription(address: address, type: "", features: []), true))
                continue
            }
            let type = try JSONRead.string(d["entityType"], ep + ".entityType")
            let text = d["description"] == nil ? nil : try JSONRead.string(d["description"], ep + ".description")
            entitiesRead.append((SPINEEntityDescription(address: address, type: type, features: [], description: text), false))
        }
        let featureList = o["featureInformation"] == nil ? [] : try JSONRead.array(o["featureInformation"], p + ".featureInformation")
        guard featureList.count <= SPINELimits.maximumRemoteFeatures else {
            throw SPINEDatagramError(p + ".featureInformation", "\(featureList.count) features, at most \(SPINELimits.maximumRemoteFeatures) allowed")
        }
        var featuresRead: [(entity: [Int], SPINEFeatureDescription)] = []
        for (i, item) in featureList.enumerated() {
            let fp = p + ".featureInformation[\(i)].description"
            let d = try JSONRead.object(try JSONRead.object(item, p + ".featureInformation[\(i)]")["description"], fp)
            let address = try SPINEFeatureAddress(json: d["featureAddress"], fp + ".featureAddress", needsFeature: true)
            let roleText = try JSONRead.string(d["role"], fp + ".role")
            guard let role = SPINERole(rawValue: roleText) else {
                throw SPINEDatagramError(fp + ".role", "unknown role \"\(roleText)\" (client, server or special)")
            }
            var functions: [SPINEFunctionSupport] = []
            let supported = d["supportedFunction"] == nil ? [] : try JSONRead.array(d["supportedFunction"], fp + ".supportedFunction")
            guard supported.count <= 64 else { throw SPINEDatagramError(fp + ".supportedFunction", "\(supported.count) functions, at most 64 allowed") }
            for (j, s) in supported.enumerated() {
                let sp = fp + ".supportedFunction[\(j)]"
                let so = try JSONRead.object(s, sp)
                let name = try JSONRead.string(so["function"], sp + ".function")
                let ops = so["possibleOperations"] == nil ? JSONObject() : try JSONRead.object(so["possibleOperations"], sp + ".possibleOperations")
                let write = ops["write"] == nil ? nil : try JSONRead.object(ops["write"], sp + ".possibleOperations.write")
                functions.append(SPINEFunctionSupport(SPINEFunction(name), read: ops["read"] != nil, write: write != nil, partialWrite: write?["partial"] != nil))
            }
            let text = d["description"] == nil ? nil : try JSONRead.string(d["description"], fp + ".description")
            let type = try JSONRead.string(d["featureType"], fp + ".featureType")
            featuresRead.append((address.entity, SPINEFeatureDescription(index: address.feature, type: type, role: role, functions: functions, description: text)))
        }

        let before = entities
        if !partial { entities = [] }
        var removed: [[Int]] = []
        for (e, isRemoved) in entitiesRead where isRemoved {
            let gone = entities.filter { $0.address.starts(with: e.address) }.map(\.address)
            entities.removeAll { $0.address.starts(with: e.address) }
            removed += gone
        }
        var added: [[Int]] = []
        for (e, isRemoved) in entitiesRead where !isRemoved {
            var entity = e
            if let i = entities.firstIndex(where: { $0.address == e.address }) {
                entity.features = entities[i].features
                entities[i] = entity
            } else {
                entities.append(entity)
            }
            added.append(e.address)
        }
        for (address, f) in featuresRead {
            guard let i = entities.firstIndex(where: { $0.address == address }) else {
                throw SPINEDatagramError(p + ".featureInformation", "feature \(f.index) of entity \(address) whose entity is not announced")
            }
            entities[i].features.removeAll { $0.index == f.index }
            entities[i].features.append(f)
            if !added.contains(address) { added.append(address) }
        }
        if !partial {
            // A full announcement: what was there before and is missing now was removed.
            removed = before.map(\.address).filter { a in !entities.contains { $0.address == a } }
        }
        guard entities.reduce(0, { $0 + $1.features.count }) <= SPINELimits.maximumRemoteFeatures,
              entities.count <= SPINELimits.maximumRemoteEntities else {
            throw SPINEDatagramError(p, "more than \(SPINELimits.maximumRemoteEntities) entities or \(SPINELimits.maximumRemoteFeatures) features in all")
        }
        return (added, removed)
    }

    /// Applies `nodeManagementUseCaseData` (SPINE TS §7.5): replaces the use cases.
    mutating func applyUseCases(_ data: JSONValue) throws(SPINEDatagramError) {
        let p = "nodeManagementUseCaseData"
        let o = try JSONRead.object(data, p)
        let list = o["useCaseInformation"] == nil ? [] : try JSONRead.array(o["useCaseInformation"], p + ".useCaseInformation")
        var out: [SPINEUseCaseDescription] = []
        for (i, item) in list.enumerated() {
            let ip = p + ".useCaseInformation[\(i)]"
            let info = try JSONRead.object(item, ip)
            let entity = info["address"] == nil ? [] : try SPINEFeatureAddress(json: info["address"], ip + ".address", needsFeature: false).entity
            let actor = try JSONRead.string(info["actor"], ip + ".actor")
            let support = info["useCaseSupport"] == nil ? [] : try JSONRead.array(info["useCaseSupport"], ip + ".useCaseSupport")
            for (j, s) in support.enumerated() {
                let sp = ip + ".useCaseSupport[\(j)]"
                let so = try JSONRead.object(s, sp)
                let name = try JSONRead.string(so["useCaseName"], sp + ".useCaseName")
                let version = so["useCaseVersion"] == nil ? "" : try JSONRead.string(so["useCaseVersion"], sp + ".useCaseVersion")
                let available = so["useCaseAvailable"] == nil ? true : try JSONRead.bool(so["useCaseAvailable"], sp + ".useCaseAvailable")
                let scenarioList = so["scenarioSupport"] == nil ? [] : try JSONRead.array(so["scenarioSupport"], sp + ".scenarioSupport")
                var scenarios: [Int] = []
                for (k, v) in scenarioList.enumerated() { scenarios.append(try JSONRead.index(v, sp + ".scenarioSupport[\(k)]")) }
                out.append(SPINEUseCaseDescription(actor: actor, name: name, version: version, scenarios: scenarios, entity: entity, available: available))
                guard out.count <= SPINELimits.maximumRemoteUseCases else {
                    throw SPINEDatagramError(p + ".useCaseInformation", "more than \(SPINELimits.maximumRemoteUseCases) use cases")
                }
            }
        }
        useCases = out
    }
}

// MARK: The subscription and binding calls

/// A subscription or binding request or delete (SPINE TS §7.4.1 `subscriptionRequest`/`subscriptionDelete`, §7.4.2
/// `bindingRequest`/`bindingDelete`): the remote client feature, the local server feature and the type the client
/// expects there.
struct SPINEManagementCall {
    enum Kind { case subscribe, unsubscribe, bind, unbind }
    var kind: Kind
    var client: SPINEFeatureAddress
    var server: SPINEFeatureAddress
    var serverFeatureType: String?

    static let functions: [SPINEFunction: (Kind, String)] = [
        .nodeManagementSubscriptionRequestCall: (.subscribe, "subscriptionRequest"),
        .nodeManagementSubscriptionDeleteCall: (.unsubscribe, "subscriptionDelete"),
        .nodeManagementBindingRequestCall: (.bind, "bindingRequest"),
        .nodeManagementBindingDeleteCall: (.unbind, "bindingDelete"),
    ]

    init(_ command: SPINECommand) throws(SPINEDatagramError) {
        guard let (kind, member) = Self.functions[command.function] else {
            throw SPINEDatagramError(command.function.rawValue, "not a NodeManagement call")
        }
        let p = command.function.rawValue + "." + member
        let o = try JSONRead.object(try JSONRead.object(command.data, command.function.rawValue)[member], p)
        self.kind = kind
        client = try SPINEFeatureAddress(json: o["clientAddress"], p + ".clientAddress", needsFeature: true)
        server = try SPINEFeatureAddress(json: o["serverAddress"], p + ".serverAddress", needsFeature: true)
        serverFeatureType = o["serverFeatureType"] == nil ? nil : try JSONRead.string(o["serverFeatureType"], p + ".serverFeatureType")
    }

    /// The call's function data as this engine sends it.
    static func data(_ kind: Kind, client: SPINEFeatureAddress, server: SPINEFeatureAddress, serverFeatureType: String?) -> SPINECommand {
        let (function, member): (SPINEFunction, String) = switch kind {
        case .subscribe: (.nodeManagementSubscriptionRequestCall, "subscriptionRequest")
        case .unsubscribe: (.nodeManagementSubscriptionDeleteCall, "subscriptionDelete")
        case .bind: (.nodeManagementBindingRequestCall, "bindingRequest")
        case .unbind: (.nodeManagementBindingDeleteCall, "bindingDelete")
        }
        var o = JSONObject(reservingCapacity: 3)
        o["clientAddress"] = client.json
        o["serverAddress"] = server.json
        if let serverFeatureType { o["serverFeatureType"] = .string(serverFeatureType) }
        return SPINECommand(function: function, data: .object([member: .object(o)]))
    }
}

/// `resultData` (SPINE TS §5.2.5): the error number and, for an error, why.
func resultData(_ errorNumber: Int, _ description: String? = nil) -> SPINECommand {
    var o = JSONObject(reservingCapacity: 2)
    o["errorNumber"] = .integer(Int64(errorNumber))
    if let description { o["description"] = .string(description) }
    return SPINECommand(function: .resultData, data: .object(o))
}
