import Foundation
import Logging
import ServiceLifecycle
import Gateway
import Transport

/// One charger's upstream connection to the external central system (External mode): an ``OCPPWebSocketClient``
/// run by ``UpstreamClients``, reconnecting with back-off until the charger disconnects.
struct UpstreamLink {
    /// Tells this link's callbacks apart from those of a link it replaced.
    let generation: UInt64
    let stop: UpstreamClients.Stop
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
        upstream[charger] = UpstreamLink(generation: upstreamGenerations, stop: upstreamClients.start(client))
    }

    func closeUpstream(_ charger: String) {
        guard let link = upstream.removeValue(forKey: charger) else { return }
        link.outbound?.close()
        link.stop.stop()
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

/// Runs the upstream clients of External mode inside the gateway's service group: each in a child task of one task
/// group, ended by its own stop signal (the charger disconnected) or with the group (restart, shutdown) — no task
/// outlives the services.
final class UpstreamClients: Sendable {
    /// Ends one client.
    struct Stop: Sendable {
        fileprivate let signal: AsyncStream<Void>.Continuation
        func stop() { signal.finish() }
    }

    private struct Job: Sendable {
        let client: OCPPWebSocketClient
        let stopped: AsyncStream<Void>
    }

    private let jobs: AsyncStream<Job>
    private let submit: AsyncStream<Job>.Continuation

    init() { (jobs, submit) = AsyncStream.makeStream(of: Job.self) }

    /// Starts `client` (once the service runs) and returns what stops it.
    func start(_ client: OCPPWebSocketClient) -> Stop {
        let (stopped, signal) = AsyncStream.makeStream(of: Void.self)
        submit.yield(Job(client: client, stopped: stopped))
        return Stop(signal: signal)
    }

    /// The service that runs the clients.
    var service: some Service { Runner(jobs: jobs) }

    private struct Runner: Service {
        let jobs: AsyncStream<Job>
        func run() async {
            await withDiscardingTaskGroup { group in
                for await job in jobs.cancelOnGracefulShutdown() {
                    group.addTask {
                        await withDiscardingTaskGroup { link in
                            link.addTask { try? await job.client.run() }
                            for await _ in job.stopped {}
                            link.cancelAll()
                        }
                    }
                }
                group.cancelAll()
            }
        }
    }
}
