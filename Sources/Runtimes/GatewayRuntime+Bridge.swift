#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import Gateway
import Hosting
import Transport

/// External mode: one upstream link per connected charger to the external central system (Transport's
/// ``OCPPClientLinks``), each client run as one of the runtime's ``ChildTasks``.
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
        var l = logger
        l[metadataKey: "cp.id"] = "\(charger)"
        let clients = upstreamClients
        upstream.open(charger, settings: upstreamSettings(charger), logger: l,
                      events: { charger, generation, event in await self.upstreamEvent(charger, generation: generation, event) },
                      run: { client in
                          let stop = clients.start { try? await client.run() }
                          return { stop.stop() }
                      })
    }

    /// Closes every upstream connection (when the services stop).
    public func closeAllUpstream() { upstream.closeAll() }

    func upstreamEvent(_ charger: String, generation: UInt64, _ event: OCPPClientLinks<String>.Event) {
        switch upstream.accept(charger, generation: generation, event) {
        case nil: return
        case .connected: execute(central.upstreamConnected(charger, now: now()))
        case .received(let text):
            let at = now()
            monitor.recordFrame(charger, .fromCentral, text, at: at)
            countFrame(charger, .fromCentral)
            execute(central.upstreamReceived(charger, text: text, now: at))
        case .disconnected(let reason): execute(central.upstreamDisconnected(charger, reason: reason, now: now()))
        }
    }
}
