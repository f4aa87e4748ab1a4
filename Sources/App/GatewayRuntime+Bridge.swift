import Foundation
import Logging
import Gateway
import Transport

/// One charger's upstream connection to the external central system (External mode): an ``OCPPWebSocketClient``
/// running in its own task, reconnecting with back-off until the charger disconnects.
struct UpstreamLink {
    /// Tells this link's callbacks apart from those of a link it replaced.
    let generation: UInt64
    let task: Task<Void, Never>
    /// The sending side while the WebSocket is open.
    var outbound: OCPPOutbound?
}

/// Hands one upstream connection's events to the runtime with the charger and the link's generation.
struct UpstreamDelegate: OCPPConnectionDelegate {
    let runtime: GatewayRuntime
    let charger: String
    let generation: UInt64

    func ocppConnected(_ outbound: OCPPOutbound) async { await runtime.upstreamConnected(charger, generation: generation, outbound: outbound) }
    func ocppReceived(_ text: String) async { await runtime.upstreamReceived(charger, generation: generation, text: text) }
    func ocppDisconnected(reason: String) async { await runtime.upstreamDisconnected(charger, generation: generation, reason: reason) }
}

extension GatewayRuntime {
    /// The longest wait between two connection attempts to the external central system.
    static let upstreamMaximumBackoff = Duration.seconds(30)

    /// The connection settings of a charger's upstream link: `<externalURL>/<ChargerID>`, HTTP Basic with the
    /// ChargerID and the external password (OCPP-J §6.1.3, security profile 1), full server certificate checks for wss.
    func upstreamSettings(_ charger: String) -> OCPPConnectionSettings {
        let s = central.settings
        return OCPPConnectionSettings(
            baseURL: s.externalURL, chargeBoxIdentity: charger, basicAuthPassword: s.externalPassword.isEmpty ? nil : Array(s.externalPassword.utf8),
            proxy: "", pingInterval: .seconds(60), connectTimeout: .seconds(10), tlsStrictness: .normal, watchdog: .zero,
            maximumBackoff: Self.upstreamMaximumBackoff)
    }

    func openUpstream(_ charger: String) {
        guard upstream[charger] == nil else { return }
        upstreamGenerations += 1
        var l = logger
        l[metadataKey: "cp.id"] = "\(charger)"
        let client = OCPPWebSocketClient(settings: upstreamSettings(charger),
                                         delegate: UpstreamDelegate(runtime: self, charger: charger, generation: upstreamGenerations), logger: l)
        let task = Task { do { try await client.run() } catch {} }
        upstream[charger] = UpstreamLink(generation: upstreamGenerations, task: task)
    }

    func closeUpstream(_ charger: String) {
        guard let link = upstream.removeValue(forKey: charger) else { return }
        link.outbound?.close()
        link.task.cancel()
    }

    /// Closes every upstream connection (at shutdown).
    public func closeAllUpstream() {
        for charger in Array(upstream.keys) { closeUpstream(charger) }
    }

    func upstreamConnected(_ charger: String, generation: UInt64, outbound: OCPPOutbound) {
        guard upstream[charger]?.generation == generation else { outbound.close(); return }
        upstream[charger]?.outbound = outbound
        execute(central.upstreamConnected(charger, now: now()))
    }

    func upstreamReceived(_ charger: String, generation: UInt64, text: String) {
        guard upstream[charger]?.generation == generation else { return }
        let at = now()
        recordFrame(charger, .fromCentral, text, at: at)
        execute(central.upstreamReceived(charger, text: text, now: at))
    }

    func upstreamDisconnected(_ charger: String, generation: UInt64, reason: String) {
        guard upstream[charger]?.generation == generation else { return }
        upstream[charger]?.outbound = nil
        execute(central.upstreamDisconnected(charger, reason: reason, now: now()))
    }
}
