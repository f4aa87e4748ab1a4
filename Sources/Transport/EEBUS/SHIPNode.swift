import EEBUS
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import NIOCore
import NIOSSL
import NIOWebSocket
import OCPP16
import ServiceLifecycle
import Synchronization

/// What a SHIP connection is doing, as the web page shows it.
public enum SHIPPeerState: Sendable, Equatable {
    /// TLS, WebSocket and the SHIP handshake are under way.
    case connecting
    /// The remote's SKI is not trusted: the connection waits (hello `pending`) for the user to pair it.
    case waitingForTrust
    /// SPINE datagrams flow.
    case connected
    /// The connection ended, and why.
    case closed(String)
}

/// One connection of the node.
public struct SHIPConnectionStatus: Sendable, Equatable {
    public var id: UInt64
    public var ski: SHIPSKI
    /// `.server`: the remote connected to the station; `.client`: the station connected out.
    public var role: SHIPRole
    public var remoteAddress: String
    public var state: SHIPPeerState
    /// When the connection entered ``state``.
    public var since: Date
    /// The remote's SHIP id, once it told it (`accessMethods`).
    public var remoteID: String?
}

/// What the node reports.
public enum SHIPNodeEvent: Sendable, Equatable {
    /// A connection with `ski` changed its state.
    case state(SHIPSKI, SHIPPeerState)
    /// A node the station does not trust connected: the web page may offer to pair it (``SHIPNode/setTrusted(_:)``).
    case trustRequested(SHIPSKI, remoteAddress: String)
    /// A SPINE datagram (plain JSON form) from a connected node.
    case datagram(SHIPSKI, JSONValue)
}

/// The fixed values of a node.
public struct SHIPNodeConfiguration: Sendable {
    public var identity: SHIPIdentity
    /// Where to accept connections; nil: the node only connects out.
    public var listenHost: String?
    /// The port to listen on (0: any free port, reported to `onBound`). SHIP has no fixed port; the DNS-SD record says
    /// which one (SHIP TS 1.0.1 §7.3).
    public var listenPort: Int
    /// The caps of the listener: a handful of energy managers is the most a charger meets; a connection counts against
    /// its address until its SHIP handshake is done, so a flood of half-open or pending connections cannot take more.
    public var limits: ConnectionLimits
    public var connection: SHIPConnectionSettings
    /// WebSocket pings (SHIP TS 1.0.1 §10.3 keep-alive; the open implementations ping every 50 s). swift-websocket's
    /// auto-ping closes the connection when a ping is not answered before the next one is due.
    public var pingInterval: Duration
    /// TCP connect, TLS and the WebSocket upgrade together.
    public var setupTimeout: Duration
    /// Reconnect back-off of outgoing connections: from `firstBackoff`, doubling to `maximumBackoff`, reset after a
    /// connection reached the data phase.
    public var firstBackoff: Duration
    public var maximumBackoff: Duration

    public init(identity: SHIPIdentity, listenHost: String? = nil, listenPort: Int = 0,
                limits: ConnectionLimits = ConnectionLimits(maxConnections: 16, maxPerAddress: 4),
                connection: SHIPConnectionSettings? = nil, pingInterval: Duration = .seconds(50), setupTimeout: Duration = .seconds(10),
                firstBackoff: Duration = .seconds(1), maximumBackoff: Duration = .seconds(60)) {
        self.identity = identity; self.listenHost = listenHost; self.listenPort = listenPort; self.limits = limits
        self.connection = connection ?? SHIPConnectionSettings(localID: identity.shipID)
        self.pingInterval = pingInterval; self.setupTimeout = setupTimeout; self.firstBackoff = firstBackoff; self.maximumBackoff = maximumBackoff
    }
}

/// The station's SHIP node (EEBUS SHIP TS 1.0.1): accepts connections of energy managers and connects out to them,
/// over TLS 1.2 with the SHIP cipher suites and mutual certificates (§9), WebSocket with subprotocol `ship` on `/ship/`
/// (§10), one ``SHIPConnection`` machine per connection (§13).
///
/// Trust is by SKI: ``setTrusted(_:)`` sets the paired SKIs at any time (a connection of a removed SKI is closed; a
/// pending one of an added SKI goes ahead). A node not trusted may connect; it waits in the hello phase while
/// ``SHIPNodeEvent/trustRequested(_:remoteAddress:)`` lets the page offer to pair it.
///
/// Use: make it with the configuration, consume ``events``, run it (as a service, or `run()` in a task), then
/// ``connect(host:port:ski:)`` to known energy managers and ``send(_:to:)`` datagrams; ``shutdown()`` (or the service
/// group's graceful shutdown) closes everything in order.
public final class SHIPNode: Service, Sendable {
    public let configuration: SHIPNodeConfiguration
    /// The node's events, for one consumer. It must keep reading: the stream buffers what it has not read.
    public let events: AsyncStream<SHIPNodeEvent>
    let sink: AsyncStream<SHIPNodeEvent>.Continuation
    let logger: Logger
    let onBound: @Sendable (Int) async -> Void
    let origin = ContinuousClock.now
    let tls: SHIPTLS
    let registry: Mutex<Registry>
    let links: (stream: AsyncStream<SHIPLink>, continuation: AsyncStream<SHIPLink>.Continuation)
    let listener = Mutex<(any Channel)?>(nil)

    struct Entry {
        var status: SHIPConnectionStatus
        let input: AsyncStream<SHIPEvent>.Continuation
        /// The trust the machine was last told.
        var trusted: Bool
    }

    struct Registry {
        var entries: [UInt64: Entry] = [:]
        var trusted: Set<SHIPSKI> = []
        var links: [SHIPSKI: SHIPLink] = [:]
        var nextID: UInt64 = 0
        var stopped = false
    }

    public init(configuration: SHIPNodeConfiguration, trusted: Set<SHIPSKI> = [], logger: Logger,
                onBound: @escaping @Sendable (Int) async -> Void = { _ in }) throws {
        self.configuration = configuration
        let stream = AsyncStream.makeStream(of: SHIPNodeEvent.self)
        events = stream.stream
        sink = stream.continuation
        self.logger = logger
        self.onBound = onBound
        tls = try SHIPTLS(identity: configuration.identity)
        registry = Mutex(Registry(trusted: trusted))
        links = AsyncStream.makeStream(of: SHIPLink.self)
    }

    // MARK: - API

    /// The paired SKIs. A connection whose SKI is added and that waits for trust continues; one whose SKI is removed is
    /// closed (SHIP `connectionClose` with reason removedConnection).
    public func setTrusted(_ skis: Set<SHIPSKI>) {
        let changes: [(AsyncStream<SHIPEvent>.Continuation, Bool)] = registry.withLock { r in
            r.trusted = skis
            var out: [(AsyncStream<SHIPEvent>.Continuation, Bool)] = []
            for (id, e) in r.entries where e.trusted != skis.contains(e.status.ski) {
                r.entries[id]?.trusted = skis.contains(e.status.ski)
                out.append((e.input, skis.contains(e.status.ski)))
            }
            return out
        }
        for (input, trusted) in changes { input.yield(.trust(trusted)) }
    }

    /// The user refused to pair `ski`: its connections waiting for trust end at once (hello `aborted`, close 4452)
    /// instead of at the hello time. Its later connections wait again, unless the runtime refuses them itself.
    public func refuse(_ ski: SHIPSKI) {
        let inputs = registry.withLock { r in
            r.entries.values.filter { $0.status.ski == ski && $0.status.state == .waitingForTrust }.map(\.input)
        }
        for input in inputs { input.yield(.trust(false)) }
    }

    /// Keeps a connection to the node `ski` at `host:port` and the WebSocket `path` (from its DNS-SD record: SHIP TS
    /// 1.0.1 §7.3.2 `path`): connects, and reconnects with back-off whenever there is no connection with that SKI. A
    /// new address or path for the same SKI replaces the old. A path that is no plain request target (it must start
    /// with "/" and hold only visible ASCII: it comes from the network and goes into the upgrade request's first
    /// line) is replaced by SHIP's "/ship/".
    public func connect(host: String, port: Int, ski: SHIPSKI, path: String = SHIPServiceInfo.defaultPath) {
        let usable = path.hasPrefix("/") && path.utf8.count <= 255 && path.utf8.allSatisfy { (0x21...0x7E).contains($0) }
        let link = SHIPLink(host: host, port: port, ski: ski, path: usable ? path : SHIPServiceInfo.defaultPath)
        let added = registry.withLock { r -> Bool in
            guard !r.stopped, r.links[ski] != link else { return false }
            r.links[ski] = link
            return true
        }
        if added { links.continuation.yield(link) }
    }

    /// Stops connecting out to `ski` and closes its connections.
    public func disconnect(ski: SHIPSKI) {
        let inputs = registry.withLock { r in
            r.links[ski] = nil
            return r.entries.values.filter { $0.status.ski == ski }.map(\.input)
        }
        for input in inputs { input.yield(.closeRequested("the station disconnected from \(ski)")) }
    }

    /// Sends a SPINE datagram (plain JSON form, `{"datagram": …}`) to the connected node `ski`; false when none is.
    @discardableResult
    public func send(_ datagram: JSONValue, to ski: SHIPSKI) -> Bool {
        let input = registry.withLock { r in r.entries.values.first { $0.status.ski == ski && $0.status.state == .connected }?.input }
        guard let input else { return false }
        input.yield(.sendDatagram(datagram))
        return true
    }

    /// The open connections.
    public var status: [SHIPConnectionStatus] {
        registry.withLock { $0.entries.values.map(\.status).sorted { $0.id < $1.id } }
    }

    /// Closes the listener and every connection (orderly SHIP close), and ends ``run()``.
    public func shutdown() {
        let inputs = registry.withLock { r in
            r.stopped = true
            r.links = [:]
            return r.entries.values.map(\.input)
        }
        links.continuation.finish()
        listener.withLock { $0?.close(promise: nil); $0 = nil }
        for input in inputs { input.yield(.closeRequested("the station stops")) }
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask {
                    await withDiscardingTaskGroup { linkGroup in
                        for await link in self.links.stream { linkGroup.addTask { await self.runLink(link) } }
                        // Shutdown: the links' back-off sleeps end at once.
                        linkGroup.cancelAll()
                    }
                }
                guard let host = configuration.listenHost else { return }
                let server = try await bind(host: host, port: configuration.listenPort)
                if registry.withLock({ $0.stopped }) { server.channel.close(promise: nil) }
                listener.withLock { $0 = server.channel }
                let port = server.channel.localAddress?.port ?? configuration.listenPort
                logger.info("SHIP node listening", metadata: ["port": "\(port)", "ski": "\(configuration.identity.ski)"])
                await onBound(port)
                try await server.executeThenClose { inbound in
                    for try await upgrade in inbound {
                        group.addTask { await self.serve(upgrade) }
                    }
                }
            }
        } onGracefulShutdown: {
            self.shutdown()
        }
        sink.finish()
    }

    // MARK: - Outgoing connections

    private func runLink(_ link: SHIPLink) async {
        var backoff = configuration.firstBackoff
        while registry.withLock({ !$0.stopped && $0.links[link.ski] == link }) {
            let busy = registry.withLock { r in r.entries.values.contains { $0.status.ski == link.ski } }
            if busy {
                // Connected the other way (or still at it): look again in a moment (a look at the registry), so that
                // the station connects out soon after the manager's own connection ended.
                try? await Task.sleep(for: configuration.firstBackoff)
                continue
            }
            if await connectOut(link) { backoff = configuration.firstBackoff }
            guard registry.withLock({ !$0.stopped && $0.links[link.ski] == link }) else { break }
            try? await Task.sleep(for: backoff * Double.random(in: 0.8...1.2))
            backoff = min(configuration.maximumBackoff, backoff * 2)
        }
    }

    // MARK: - One connection

    /// The machine's clock: monotonic time since the node was made.
    var now: Duration { ContinuousClock.now - origin }

    func register(ski: SHIPSKI, role: SHIPRole, remote: String, input: AsyncStream<SHIPEvent>.Continuation) -> (id: UInt64, trusted: Bool)? {
        registry.withLock { r in
            guard !r.stopped else { return nil }
            r.nextID += 1
            let trusted = r.trusted.contains(ski)
            r.entries[r.nextID] = Entry(status: SHIPConnectionStatus(id: r.nextID, ski: ski, role: role, remoteAddress: remote, state: .connecting,
                                                                     since: Date()), input: input, trusted: trusted)
            return (r.nextID, trusted)
        }
    }

    func update(_ id: UInt64, _ state: SHIPPeerState) {
        guard let ski = registry.withLock({ r -> SHIPSKI? in
            r.entries[id]?.status.state = state
            r.entries[id]?.status.since = Date()
            return r.entries[id]?.status.ski
        }) else { return }
        sink.yield(.state(ski, state))
    }

    func setRemoteID(_ id: UInt64, _ remoteID: String) {
        registry.withLock { $0.entries[id]?.status.remoteID = remoteID }
    }

    func unregister(_ id: UInt64, _ end: SHIPEnd) {
        guard let ski = registry.withLock({ $0.entries.removeValue(forKey: id)?.status.ski }) else { return }
        sink.yield(.state(ski, .closed(end.reason)))
    }

    /// Two connections with one SKI (both nodes connected at once): SHIP TS 1.0.1 §12.2.2 keeps the one initiated by
    /// the node with the higher SKI; both nodes apply the same rule, so both close the same connection.
    func resolveDoubleConnection(_ id: UInt64) -> (close: AsyncStream<SHIPEvent>.Continuation, reason: String)? {
        let own = configuration.identity.ski
        return registry.withLock { r in
            guard let this = r.entries[id] else { return nil }
            guard let other = r.entries.values.first(where: { $0.status.id != id && $0.status.ski == this.status.ski && $0.status.state == .connected })
            else { return nil }
            func initiator(_ e: Entry) -> SHIPSKI { e.status.role == .client ? own : e.status.ski }
            let loser = initiator(this) > initiator(other) ? other : this
            return (loser.input, "a second connection with \(this.status.ski): the one initiated by the higher SKI is kept (SHIP TS 1.0.1 §12.2.2)")
        }
    }
}

/// An outgoing connection the node keeps up.
struct SHIPLink: Sendable, Equatable {
    var host: String
    var port: Int
    var ski: SHIPSKI
    /// The WebSocket path the remote announced.
    var path: String
}
