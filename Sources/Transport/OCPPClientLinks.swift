import Logging

/// OCPP-J client connections, one per key — the gateway's upstream links of External mode, one per charger to the
/// external central system. Each is an ``OCPPWebSocketClient`` that reconnects with back-off until its link is closed.
/// A link's events carry its generation, and ``accept(_:generation:_:)`` drops those of a link that was closed or
/// replaced since: a late callback of an old connection never reaches the new one. Kept on the owner's actor.
public struct OCPPClientLinks<Key: Hashable & Sendable>: Sendable {
    /// What happened on a link's connection.
    public enum Event: Sendable {
        /// The WebSocket is open; frames go out through the outbound side.
        case connected(OCPPOutbound)
        case received(String)
        case disconnected(reason: String)
    }

    private struct Link: Sendable {
        let generation: UInt64
        let stop: @Sendable () -> Void
        /// The sending side while the WebSocket is open.
        var outbound: OCPPOutbound?
    }

    private var links: [Key: Link] = [:]
    private var generations: UInt64 = 0

    public init() {}

    public var keys: [Key] { Array(links.keys) }

    /// The generation of the key's open link.
    public func generation(of key: Key) -> UInt64? { links[key]?.generation }

    /// Opens the key's link unless it is open: a client with `settings` whose events go to `events`, with the key and
    /// the link's generation. `run` runs the client for as long as the owner's services run and returns what stops it.
    public mutating func open(_ key: Key, settings: OCPPConnectionSettings, logger: Logger,
                              events: @escaping @Sendable (Key, _ generation: UInt64, Event) async -> Void,
                              run: (OCPPWebSocketClient) -> @Sendable () -> Void) {
        guard links[key] == nil else { return }
        generations += 1
        let client = OCPPWebSocketClient(settings: settings, delegate: Delegate(key: key, generation: generations, events: events), logger: logger)
        links[key] = Link(generation: generations, stop: run(client))
    }

    /// Closes the key's connection and stops its client.
    public mutating func close(_ key: Key) {
        guard let link = links.removeValue(forKey: key) else { return }
        link.outbound?.close()
        link.stop()
    }

    public mutating func closeAll() {
        for key in keys { close(key) }
    }

    /// Sends a text frame on the key's link if its WebSocket is open.
    public func send(_ key: Key, _ text: String) { links[key]?.outbound?.send(text) }

    /// An event of the key's link with `generation`, noted (the outbound side is kept while the WebSocket is open) and
    /// returned; nil when that link was closed or replaced since (a connection it opened is closed).
    public mutating func accept(_ key: Key, generation: UInt64, _ event: Event) -> Event? {
        guard links[key]?.generation == generation else {
            if case .connected(let outbound) = event { outbound.close() }
            return nil
        }
        switch event {
        case .connected(let outbound): links[key]?.outbound = outbound
        case .disconnected: links[key]?.outbound = nil
        case .received: break
        }
        return event
    }

    /// Hands one client's events to the owner with the key and the generation.
    private struct Delegate: OCPPConnectionDelegate {
        let key: Key
        let generation: UInt64
        let events: @Sendable (Key, UInt64, Event) async -> Void

        func ocppConnected(_ outbound: OCPPOutbound) async { await events(key, generation, .connected(outbound)) }
        func ocppReceived(_ text: String) async { await events(key, generation, .received(text)) }
        func ocppDisconnected(reason: String) async { await events(key, generation, .disconnected(reason: reason)) }
    }
}
