#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16

// The SPINE engine of one local device (EEBUS SPINE TS 1.3.0): it answers remote devices' reads, writes and calls
// from the application's model and data, keeps their subscriptions and bindings, notifies changes, and as a client
// subscribes to and reads the remote server features the application's client features want. A state machine: every
// call takes the time and returns the datagrams to send and the events to log; it opens no socket and reads no clock.

/// A datagram to send over the SHIP connection of `ski`: the plain form of a SHIP data message's payload
/// (`{"datagram": …}`, see ``SPINEDatagram/json``); ``EEBUSJSON/encode(_:)`` makes the wire text.
public struct SPINEOutgoing: Sendable, Equatable {
    public var ski: String
    public var datagram: JSONValue
    public init(ski: String, datagram: JSONValue) {
        self.ski = ski
        self.datagram = datagram
    }
}

/// Something the engine did or refused, for the log.
public struct SPINEEvent: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// A datagram that could not be read or was not for this device (answered with an error where possible).
        case refused
        /// This engine answered a request with a `resultData` error.
        case answeredError
        /// A remote device answered one of this engine's requests with a `resultData` error.
        case remoteError
        /// A remote device's detailed discovery was read (first time: the device is known).
        case discovered
        case subscribed, unsubscribed, bound, unbound
        /// A datagram that needs no action (a result nobody waits for, data for a feature that is gone).
        case ignored
    }
    public var kind: Kind
    public var ski: String
    public var message: String
    public init(_ kind: Kind, ski: String, _ message: String) {
        self.kind = kind
        self.ski = ski
        self.message = message
    }
    public var description: String { "SPINE \(kind.rawValue) (SKI \(ski)): \(message)" }
}

/// What one call of the engine produced.
public struct SPINEOutput: Sendable {
    public var datagrams: [SPINEOutgoing] = []
    public var events: [SPINEEvent] = []
    public init() {}
    mutating func append(_ other: SPINEOutput) {
        datagrams += other.datagrams
        events += other.events
    }
}

/// The SPINE engine for one local device and its application (see ``SPINEApplication``).
public struct SPINENode<App: SPINEApplication>: Sendable {
    /// The application; the runtime changes it through the node (`node.app.…`) and then calls ``refresh(now:)``.
    public var app: App

    /// The counter of the last datagram sent (SPINE TS §5.2.3.1: monotonic per node; the first one sent is 1).
    public private(set) var msgCounter: Int64 = 0

    /// A connected remote device.
    struct Remote {
        var model = SPINERemoteModel()
        /// True once its detailed discovery was read.
        var discovered = false
        /// The subscriptions of local client features to its server features (the client rule, see
        /// ``SPINEFeatureDescription``): local feature (device nil) → remote feature.
        var clientLinks: [Link] = []
    }

    /// A remote client feature's subscription or binding to a local server feature.
    struct Link: Equatable {
        var id: Int64
        var client: SPINERemoteFeature
        /// The local feature, device nil.
        var server: SPINEFeatureAddress
        var serverFeatureType: String
        /// For a subscription: the data of each function as last sent to this subscriber (reply or notify).
        var lastSent: [SPINEFunction: JSONValue] = [:]
    }

    /// A request of this engine that waits for its reply or result.
    struct Pending {
        var ski: String
        var function: SPINEFunction
        var destination: SPINEFeatureAddress
    }

    var remotes: [String: Remote] = [:]
    var subscriptions: [Link] = []
    var bindings: [Link] = []
    var pending: [Int64: Pending] = [:]
    var pendingOrder: [Int64] = []
    var nextLinkId: Int64 = 1
    /// The model as last announced (detailed discovery and use case data).
    var announced: SPINELocalModel

    public init(app: App) {
        self.app = app
        announced = SPINELocalModel(app)
    }

    /// The SKIs of the connected remote devices.
    public var connectedSKIs: [String] { remotes.keys.sorted() }

    // MARK: Connections

    /// A SHIP connection to `ski` reached the data phase: read the remote's detailed discovery and use cases and
    /// subscribe to its NodeManagement (SPINE TS §7.3.1, §7.4.1). Its server features are used once the discovery
    /// reply arrives. A repeated call for a connected SKI starts over.
    public mutating func connected(ski: String, now: Date) -> SPINEOutput {
        if remotes[ski] != nil { forget(ski) }
        remotes[ski] = Remote()
        var out = SPINEOutput()
        let nm = SPINEFeatureAddress(entity: [0], feature: 0)
        out.datagrams.append(send(to: ski, from: nm, to: nm, .read, [SPINECommand(function: .nodeManagementDetailedDiscoveryData)]))
        out.datagrams.append(send(to: ski, from: nm, to: nm, .read, [SPINECommand(function: .nodeManagementUseCaseData)]))
        let subscribe = SPINEManagementCall.data(.subscribe, client: announced.address([0], 0),
                                                 server: nm, serverFeatureType: "NodeManagement")
        out.datagrams.append(send(to: ski, from: nm, to: nm, .call, [subscribe], ack: true))
        return out
    }

    /// The SHIP connection to `ski` closed: its subscriptions, bindings and waiting requests go (SPINE TS §7.4: they
    /// live as long as the connection), and the application hears of it.
    public mutating func disconnected(ski: String, now: Date) -> SPINEOutput {
        guard remotes[ski] != nil else { return SPINEOutput() }
        var out = SPINEOutput()
        for s in subscriptions where s.client.ski == ski {
            out.events.append(SPINEEvent(.unsubscribed, ski: ski, "\(s.client.address) from \(s.server) (disconnected)"))
        }
        for b in bindings where b.client.ski == ski {
            out.events.append(SPINEEvent(.unbound, ski: ski, "\(b.client.address) from \(b.server) (disconnected)"))
        }
        forget(ski)
        app.remoteChanged(ski: ski, deviceType: nil, now: now)
        return out
    }

    private mutating func forget(_ ski: String) {
        remotes[ski] = nil
        subscriptions.removeAll { $0.client.ski == ski }
        bindings.removeAll { $0.client.ski == ski }
        for (counter, p) in pending where p.ski == ski { pending[counter] = nil }
        pendingOrder.removeAll { pending[$0] == nil }
    }

    // MARK: Refresh

    /// After the application changed: notify every subscriber of each subscribed function whose data differs from
    /// what it was last sent (SPINE TS §7.4.1), and the subscribers of NodeManagement of a changed device model
    /// (a partial detailed discovery notify per added or removed entity, SPINE TS §7.3.3; a full one for any other
    /// change) and changed use cases. Subscriptions and bindings to features that are gone end.
    public mutating func refresh(now: Date) -> SPINEOutput {
        var out = SPINEOutput()
        let current = SPINELocalModel(app)
        let nmSubscribers = subscriptions.filter { $0.server == SPINEFeatureAddress(entity: [0], feature: 0) }
        if current.entities != announced.entities || current.deviceType != announced.deviceType
            || current.deviceAddress != announced.deviceAddress {
            let oldAddresses = announced.entities.map(\.address), newAddresses = current.entities.map(\.address)
            let added = current.entities.filter { !oldAddresses.contains($0.address) }
            let removed = announced.entities.filter { !newAddresses.contains($0.address) }
            let kept = current.entities.filter { oldAddresses.contains($0.address) }
            let onlyAddedOrRemoved = current.deviceType == announced.deviceType && current.deviceAddress == announced.deviceAddress
                && kept.allSatisfy { announced.entity($0.address) == $0 }
            var commands: [SPINECommand] = []
            if onlyAddedOrRemoved {
                let partial: [JSONValue] = [.object(["cmdControl": .object(["partial": .object(JSONObject())])])]
                if !removed.isEmpty {
                    commands.append(SPINECommand(function: .nodeManagementDetailedDiscoveryData,
                                                 data: current.detailedDiscovery(only: removed, change: "removed"), filters: partial))
                }
                if !added.isEmpty {
                    commands.append(SPINECommand(function: .nodeManagementDetailedDiscoveryData,
                                                 data: current.detailedDiscovery(only: added, change: "added"), filters: partial))
                }
            } else {
                commands.append(SPINECommand(function: .nodeManagementDetailedDiscoveryData, data: current.detailedDiscovery()))
            }
            for s in nmSubscribers {
                for c in commands { out.datagrams.append(send(to: s.client.ski, from: s.server, to: s.client.address, .notify, [c])) }
            }
            announced.entities = current.entities
            announced.deviceType = current.deviceType
            announced.deviceAddress = current.deviceAddress
            out.append(dropLinksToVanishedFeatures())
            out.append(applyClientRuleToAll())
        }
        if current.useCases != announced.useCases {
            for s in nmSubscribers {
                let c = SPINECommand(function: .nodeManagementUseCaseData, data: current.useCaseData)
                out.datagrams.append(send(to: s.client.ski, from: s.server, to: s.client.address, .notify, [c]))
            }
            announced.useCases = current.useCases
        }
        for i in subscriptions.indices where subscriptions[i].server.entity != [0] || subscriptions[i].server.feature != 0 {
            guard let feature = announced.feature(subscriptions[i].server) else { continue }
            for support in feature.functions where support.read {
                let data = app.data(support.function, of: subscriptions[i].server)
                guard data != subscriptions[i].lastSent[support.function] else { continue }
                subscriptions[i].lastSent[support.function] = data
                guard let data else { continue }
                let s = subscriptions[i]
                out.datagrams.append(send(to: s.client.ski, from: s.server, to: s.client.address, .notify,
                                          [SPINECommand(function: support.function, data: data)]))
            }
        }
        return out
    }

    /// Ends the subscriptions and bindings of local features that no longer exist (an EV entity that left).
    private mutating func dropLinksToVanishedFeatures() -> SPINEOutput {
        var out = SPINEOutput()
        for s in subscriptions where announced.feature(s.server) == nil {
            out.events.append(SPINEEvent(.unsubscribed, ski: s.client.ski, "\(s.client.address) from \(s.server) (feature removed)"))
        }
        for b in bindings where announced.feature(b.server) == nil {
            out.events.append(SPINEEvent(.unbound, ski: b.client.ski, "\(b.client.address) from \(b.server) (feature removed)"))
        }
        subscriptions.removeAll { announced.feature($0.server) == nil }
        bindings.removeAll { announced.feature($0.server) == nil }
        return out
    }

    // MARK: Sending

    /// Makes a datagram from the local feature `from` (device filled in) to the remote feature `to` of `ski` (device
    /// filled in when known), counts it, and remembers a read or call whose answer is awaited.
    mutating func send(to ski: String, from: SPINEFeatureAddress, to: SPINEFeatureAddress, _ classifier: SPINECommandClassifier,
                       _ commands: [SPINECommand], reference: Int64? = nil, ack: Bool = false) -> SPINEOutgoing {
        msgCounter += 1
        var destination = to
        if destination.device == nil { destination.device = remotes[ski]?.model.deviceAddress }
        let header = SPINEHeader(source: announced.address(from.entity, from.feature), destination: destination,
                                 msgCounter: msgCounter, msgCounterReference: reference, classifier: classifier, ackRequest: ack)
        if classifier == .read || classifier == .call || ack, let first = commands.first {
            pending[msgCounter] = Pending(ski: ski, function: first.function, destination: destination)
            pendingOrder.append(msgCounter)
            if pendingOrder.count > SPINELimits.maximumPendingRequests {
                pending[pendingOrder.removeFirst()] = nil
            }
        }
        return SPINEOutgoing(ski: ski, datagram: SPINEDatagram(header: header, commands: commands).json)
    }

    /// Takes the waiting request a reply or result answers.
    mutating func takePending(_ reference: Int64?, ski: String) -> Pending? {
        guard let reference, let p = pending[reference], p.ski == ski else { return nil }
        pending[reference] = nil
        pendingOrder.removeAll { $0 == reference }
        return p
    }
}
