#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ModbusTCP
import Synchronization
import Gateway
import Hosting
import MetricsExporter
import Persistence
import PKI
import Transport
import WebUI

/// The gateway's long-lived state: the pure ``CentralSystem`` and ``GatewayMonitor``, and the adapters' ends (open
/// WebSockets, database, log). OCPP frames, Modbus requests and ticks come in here; the actions the central system
/// returns are executed in order, so a transaction is in the database before the answer that acknowledges it is sent.
public actor GatewayRuntime: OCPPServerDelegate, ModbusRequestHandler {
    var central: CentralSystem
    var monitor: GatewayMonitor
    let database: GatewayDatabase
    let logger: Logger
    let now: @Sendable () -> Date
    var outbound: [String: (connection: UInt64, channel: OCPPOutbound)] = [:]
    /// External mode: the upstream links to the external central system, per charger.
    var upstream = OCPPClientLinks<String>()
    /// Runs the upstream clients (a service of the gateway's service group).
    package nonisolated let upstreamClients = ChildTasks()
    /// Whom the OCPP server admits; it asks from its network threads.
    nonisolated let admission: ChargerAdmission
    /// Refused connection attempts not yet written to the scan list and the log (on the next tick, off the network
    /// threads); bounded (``RefusedConnections``).
    nonisolated let refused = Mutex(RefusedConnections())
    /// The SHA-256 of each charger's password once bcrypt accepted it, with the hash it matched: a reconnection with
    /// the same password costs no bcrypt run (only memory; a changed hash in the settings makes a new runtime).
    nonisolated let verifiedPasswords = Mutex<[String: (hash: String, digest: [UInt8])]>([:])
    /// ChargerIDs with an open connection, readable from the network threads (a second connection is refused).
    nonisolated let connectedIDs = Mutex<Set<String>>([])
    /// The Prometheus counters (frames, Modbus requests, BMS handshakes); the gateway's controller owns them, so that they
    /// outlive this runtime across settings restarts.
    nonisolated let metrics: GatewayMetrics
    /// The configured ChargerIDs: the others' frames are counted together (``GatewayMetricNames``).
    let configuredChargers: Set<String>
    /// The chargers' answers to operator (MQTT) commands, until the MQTT client takes them (``takeOperatorAnswers()``).
    var operatorAnswers: [(replyTo: String, error: String?)] = []

    public init(settings: GatewaySettings, database: GatewayDatabase, logger: Logger, metrics: GatewayMetrics = GatewayMetrics(),
                clientCertificates: ClientCertificateCheck? = nil, now: @escaping @Sendable () -> Date = Date.init) throws {
        central = CentralSystem(settings: settings, clockOffsetSeconds: try database.clockOffsetSeconds(),
                                nextTransactionId: try database.nextTransactionId(), openTransactions: try database.openTransactions())
        monitor = GatewayMonitor(settings: settings, startedAt: now())
        admission = ChargerAdmission(settings, clientCertificates: clientCertificates)
        self.database = database
        self.logger = logger
        self.metrics = metrics
        configuredChargers = Set(settings.chargers.map(\.id))
        self.now = now
    }

    /// Counts a frame for the metrics.
    func countFrame(_ charger: String, _ direction: FrameRecord.Direction) {
        metrics.ocppFrame(charger: charger, configured: configuredChargers.contains(charger), direction: direction)
    }

    // MARK: OCPP server

    /// Admits what ``ChargerAdmission`` lets through; a password is checked with bcrypt off the network threads
    /// (``ChargerPasswordHashing``). Refusals are collected for the next tick, which lists unknown ChargerIDs and
    /// refused credentials in the OCPP scan and logs them.
    public nonisolated func ocppAdmit(chargerID: String, remoteAddress: String?, credentials: OCPPCredentials) async -> OCPPAdmission {
        let at = now()
        let presented = PresentedCredentials(authorization: credentials.authorization, clientCertificates: credentials.clientCertificates)
        let refusal: ChargerAdmission.Refusal
        switch admission.decide(chargerID, connected: connectedIDs.withLock { $0.contains(chargerID) }, credentials: presented, now: at) {
        case .accept:
            return .accept
        case .refuse(let r):
            refusal = r
        case .verifyPassword(let hash, let candidates):
            let digests = candidates.map(SecretDigest.sha256)
            if let known = verifiedPasswords.withLock({ $0[chargerID] }), known.hash == hash, digests.contains(known.digest) { return .accept }
            switch await ChargerPasswordHashing.verify(candidates, hash: hash) {
            case .matched(let candidate):
                verifiedPasswords.withLock { $0[chargerID] = (hash, SecretDigest.sha256(candidate)) }
                return .accept
            case .busy:
                return .refuse(status: 503, reason: "the gateway is busy checking other chargers' passwords; try again")
            case .noMatch:
                refusal = admission.wrongPassword(chargerID)
            }
        }
        refused.withLock { $0.record(chargerID, refusal.cause, remoteAddress: remoteAddress, at: at) }
        return .refuse(status: refusal.status, reason: refusal.reason)
    }

    // The three below are synchronous on the actor: an `async` body's locals live in the calling task's slabs (the OCPP
    // server's one delivering task, `OCPPServerInbox`, keeps them while it lives; issue 31 item 5); a synchronous body
    // runs on the thread's stack.
    public func ocppConnected(chargerID: String, connection: UInt64, outbound channel: OCPPOutbound) {
        execute(central.connected(chargerID, connection: connection, now: now()))
        // A second connection that passed admission at the same time as the first is not the charger's: closed here.
        guard central.connection(of: chargerID) == connection else { channel.close(); return }
        outbound[chargerID] = (connection, channel)
        connectedIDs.withLock { _ = $0.insert(chargerID) }
    }

    public func ocppReceived(chargerID: String, connection: UInt64, text: String) {
        guard outbound[chargerID]?.connection == connection else { return }
        let at = now()
        monitor.recordFrame(chargerID, .fromCharger, text, at: at)
        countFrame(chargerID, .fromCharger)
        execute(central.received(chargerID, text: text, now: at))
    }

    public func ocppDisconnected(chargerID: String, connection: UInt64, reason: String) {
        if outbound[chargerID]?.connection == connection {
            outbound[chargerID] = nil
            connectedIDs.withLock { _ = $0.remove(chargerID) }
        }
        execute(central.disconnected(chargerID, connection: connection, now: now()))
    }

    // MARK: Modbus

    /// A request of the Modbus TCP server.
    public func handleModbus(connector: Int, unitID: UInt8, request: ModbusRequest) async -> ModbusResponse {
        modbus(request, unitID: unitID, via: .tcp)
    }

    /// Answers one Modbus request (TCP and RTU alike); a refusal is logged.
    package func modbus(_ request: ModbusRequest, unitID: UInt8, via transport: ModbusActivity.Transport) -> ModbusResponse {
        let at = now()
        let answer = central.modbus(request, unitID: unitID, now: at)
        execute(answer.actions)
        if let r = answer.refusal { logger.info("Modbus \(request.function) refused with exception \(r.code.rawValue): \(r.reason)") }
        monitor.recordModbus(request, unitID: unitID, via: transport, refusal: answer.refusal, at: at)
        metrics.modbusAnswered(function: request.function.rawValue, via: transport, refusal: answer.refusal)
        return answer.response
    }

    // MARK: ticks and actions

    /// Returns at once when the actor is free: the systemd watchdog's probe (`GatewayApp`), which a hung runtime never
    /// answers.
    public func probe() {}

    /// Timeouts and the Heartbeat register; writes refused ChargerIDs to the scan list (one write per tick) and logs
    /// the refusals (one entry per tick, however many there were).
    public func tick() {
        execute(central.tick(now: now()))
        let (attempts, uncounted) = refused.withLock { $0.drain() }
        guard !attempts.isEmpty || uncounted > 0 else { return }
        persist { try database.recordScans(attempts.filter(\.cause.isScanned)) }
        execute(RefusedConnections.logEntries(attempts, uncounted: uncounted).map { .log($0) })
    }

    func execute(_ actions: [GatewayAction]) {
        for action in actions {
            switch action {
            case .send(let charger, let text):
                monitor.recordFrame(charger, .toCharger, text, at: now())
                if let channel = outbound[charger]?.channel {
                    channel.send(text)
                    countFrame(charger, .toCharger)
                }
            case .sendUpstream(let charger, let text):
                monitor.recordFrame(charger, .toCentral, text, at: now())
                upstream.send(charger, text)
                countFrame(charger, .toCentral)
            case .openUpstream(let charger): openUpstream(charger)
            case .closeUpstream(let charger): upstream.close(charger)
            case .log(let e):
                monitor.recordEvent(e, at: now())
                var l = logger
                if let c = e.charger { l[metadataKey: "cp.id"] = "\(c)" }
                l.log(level: Logger.Level(rawValue: e.level.rawValue) ?? .error, "\(e.message)")
            case .clockOffsetChanged(let seconds): persist { try database.setClockOffsetSeconds(seconds) }
            case .transactionStarted(let t): persist { try database.transactionStarted(t) }
            case .transactionStopped(let s):
                persist {
                    if try !database.transactionStopped(s) {
                        logger.notice("StopTransaction for transaction \(s.transactionId), which the gateway did not see start",
                                      metadata: ["cp.id": "\(s.charger)"])
                    }
                }
            case .nextTransactionId(let n): persist { try database.setNextTransactionId(n) }
            case .handshakeEnded(let h): metrics.handshakeEnded(h)
            case .operatorAnswer(let replyTo, let error): recordOperatorAnswer(replyTo: replyTo, error: error)
            }
        }
    }

    /// What the diagnostics page shows (seeds/003 §2.2 step 8): both sides' communication state.
    public func diagnostics() -> GatewayDiagnostics { monitor.diagnostics(central, now: now()) }

    private func persist(_ body: () throws -> Void) {
        do { try body() } catch { logger.error("database write failed: \(error)") }
    }
}
