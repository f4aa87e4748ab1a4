import OCPP16

/// The engine's state in brief, for the web page and the API: the connected remote devices with what they announced,
/// the subscriptions and bindings remote clients hold on this device, and this device's subscriptions to remote
/// server features.
public struct SPINEStatus: Sendable, Equatable {
    public struct Remote: Sendable, Equatable {
        public var ski: String
        public var deviceAddress: String?
        public var deviceType: String?
        /// False until its detailed discovery was read.
        public var discovered: Bool
        /// Each entity as "`[1,1]` EV: LoadControl (server), Measurement (server)".
        public var entities: [String]
        /// Each use case as "`EnergyGuard` limitationOfPowerConsumption 1.0.0".
        public var useCases: [String]
        public init(ski: String, deviceAddress: String?, deviceType: String?, discovered: Bool, entities: [String], useCases: [String]) {
            self.ski = ski
            self.deviceAddress = deviceAddress
            self.deviceType = deviceType
            self.discovered = discovered
            self.entities = entities
            self.useCases = useCases
        }
    }

    /// A subscription or binding: a client feature (remote or local) on a server feature.
    public struct Link: Sendable, Equatable {
        public var ski: String
        public var client: SPINEFeatureAddress
        public var server: SPINEFeatureAddress
        public var serverFeatureType: String
        public init(ski: String, client: SPINEFeatureAddress, server: SPINEFeatureAddress, serverFeatureType: String) {
            self.ski = ski
            self.client = client
            self.server = server
            self.serverFeatureType = serverFeatureType
        }
    }

    public var remotes: [Remote]
    /// Remote clients subscribed to local server features (`server` with device nil).
    public var subscriptions: [Link]
    /// Remote clients bound to local server features.
    public var bindings: [Link]
    /// Local client features subscribed to remote server features (`client` with device nil).
    public var clientSubscriptions: [Link]

    /// The plain JSON of the status (members in camel case as above), for the API.
    public var json: JSONValue {
        func text(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
        func link(_ l: Link) -> JSONValue {
            .object(["ski": .string(l.ski), "client": .string(l.client.description), "server": .string(l.server.description),
                     "serverFeatureType": .string(l.serverFeatureType)])
        }
        var o = JSONObject(reservingCapacity: 4)
        o["remotes"] = .array(remotes.map { r in
            var d = JSONObject(reservingCapacity: 6)
            d["ski"] = .string(r.ski)
            d["deviceAddress"] = text(r.deviceAddress)
            d["deviceType"] = text(r.deviceType)
            d["discovered"] = .bool(r.discovered)
            d["entities"] = .array(r.entities.map { .string($0) })
            d["useCases"] = .array(r.useCases.map { .string($0) })
            return .object(d)
        })
        o["subscriptions"] = .array(subscriptions.map(link))
        o["bindings"] = .array(bindings.map(link))
        o["clientSubscriptions"] = .array(clientSubscriptions.map(link))
        return .object(o)
    }
}

extension SPINENode {
    /// The state in brief (see ``SPINEStatus``), remotes in SKI order.
    public var status: SPINEStatus {
        let remoteList = remotes.keys.sorted().compactMap { ski -> SPINEStatus.Remote? in
            guard let r = remotes[ski] else { return nil }
            return SPINEStatus.Remote(
                ski: ski, deviceAddress: r.model.deviceAddress, deviceType: r.model.deviceType, discovered: r.discovered,
                entities: r.model.entities.map { e in
                    let features = e.features.sorted { $0.index < $1.index }.map { "\($0.type) (\($0.role.rawValue))" }
                    return "[\(e.address.map(String.init).joined(separator: ","))] \(e.type)" + (features.isEmpty ? "" : ": " + features.joined(separator: ", "))
                },
                useCases: r.model.useCases.map { "\($0.actor) \($0.name) \($0.version)" })
        }
        func links(_ l: [Link]) -> [SPINEStatus.Link] {
            l.map { SPINEStatus.Link(ski: $0.client.ski, client: $0.client.address, server: $0.server, serverFeatureType: $0.serverFeatureType) }
        }
        let clientLinks = remotes.keys.sorted().flatMap { ski in
            (remotes[ski]?.clientLinks ?? []).map {
                SPINEStatus.Link(ski: ski, client: $0.server, server: $0.client.address, serverFeatureType: $0.serverFeatureType)
            }
        }
        return SPINEStatus(remotes: remoteList, subscriptions: links(subscriptions), bindings: links(bindings), clientSubscriptions: clientLinks)
    }
}
