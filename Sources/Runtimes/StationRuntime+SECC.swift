#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ChargePoint
import EVSECore
import Hosting
import Logging
import SECC
import ServiceLifecycle
import SLAC
import Synchronization
import Transport
import V2G

/// What the runtime keeps of each connector's ISO 15118 session (issue 27): the vehicle it identified and its needs,
/// laid over the board's readings until unplug, and how far this plug-in's session got (for the D-LINK_ERROR rule).
struct SECCRuntimeState {
    /// Connector → the vehicle its ISO 15118 session identified (``BoardInputs/overlaying(_:)``).
    var vehicles: [Int: HLCVehicleInfo] = [:]
    /// Connectors whose vehicle opened a V2G connection on this plug-in (a SLAC failure after that is no link failure).
    var connected: Set<Int> = []
    /// The protocol each connector's session negotiated on this plug-in (it travels with the EVCCID).
    var protocols: [Int: VehicleHLCProtocol] = [:]
    /// Connectors whose session reached PowerDelivery Start on this plug-in.
    var charging: Set<Int> = []
    /// Connectors whose session ended with SessionStop (a close that follows is orderly).
    var stopped: Set<Int> = []
    /// Connectors with a vehicle plugged in at the last control step, and each connector's count of plug-ins: the
    /// connector service, which looks only every 100 ms, sees an unplug and the next plug-in between two looks.
    var plugged: Set<Int> = []
    var plugIns: [Int: Int] = [:]
    /// Connectors whose vehicle's contract (Plug & Charge) was refused on this plug-in.
    var contractRejected: Set<Int> = []
    /// The SECC's Get15118EVCertificate requests waiting for the backend, by request ID.
    var certificateWaits: [Int: CheckedContinuation<String?, Never>] = [:]
    var certificateRequests = 0
}

/// The station's side of the SECC's events (`SECCSessionHandler` → here): the vehicle's identity and needs reach the
/// controller as a board's would (Autocharge, Modbus 701–746, the dashboard), a D-LINK_ERROR makes the pilot fall back
/// to the nominal duty cycle (``StationController/hlcLinkFailed(connector:now:)``), and a simulated board's vehicle
/// whose ISO 15118 side is external hears of PowerDelivery.
extension StationRuntime {
    /// The SECC's view of connector `n`, read at each request of the vehicle.
    public func seccView(connector n: Int) -> HLCConnectorView? {
        guard var view = controller.hlcView(connector: n, now: clock.now()) else { return nil }
        view.contractRejected = secc.contractRejected.contains(n)
        return view
    }

    /// Connector `n`'s SECC configuration for the next vehicle connection: ISO 15118-2 and -20 AC, its EVSE ID, and
    /// Plug & Charge where the mode offers it (used on TLS connections only).
    public func seccConfiguration(connector n: Int) -> SECCConfiguration {
        SECCConfiguration(protocols: [.iso15118_2, .iso15118_20AC], evseID: controller.settings.hlc.evseID(connector: n),
                          contract: seccContractSettings(), iso20WithoutTLS: controller.settings.hlc.iso20WithoutTLS)
    }

    /// "Additional Logging" (HLCAdditionalLogging).
    public func seccAdditionalLogging() -> Bool { controller.settings.hlc.additionalLogging }

    /// The HLC mode, whether a vehicle is plugged into connector `n` and how many plug-ins it saw (the connector
    /// service follows them).
    public func seccConnectorState(connector n: Int) -> (mode: HLCMode, vehiclePlugged: Bool, plugIns: Int) {
        (controller.settings.hlc.mode, secc.plugged.contains(n), secc.plugIns[n] ?? 0)
    }

    /// Each control step: a plug-in is counted, an unplug drops what the session learned of the vehicle.
    func seccFollowPlugs() {
        for n in 1...max(1, controller.connectorCount) {
            let connected = controller.board.reading(connector: n)?.pilot.vehicleConnected ?? false
            guard connected != secc.plugged.contains(n) else { continue }
            if connected {
                secc.plugged.insert(n)
                secc.plugIns[n, default: 0] += 1
            } else {
                secc.plugged.remove(n)
                seccVehicleLeft(connector: n)
            }
        }
    }

    public func seccEvent(connector n: Int, _ event: SECCEvent) {
        let now = clock.now()
        switch event {
        case .protocolNegotiated(nil):
            seccLinkFailed(connector: n, "the vehicle offered no protocol this station speaks (Failed_NoNegotiation)")
        case .protocolNegotiated(let chosen?):
            secc.connected.insert(n)
            secc.protocols[n] = Self.vehicleProtocol(chosen)
        case .vehicleIdentified(let evccid, _):
            secc.vehicles[n] = HLCVehicleInfo(evccid: EVCCID.text(evccid), report: secc.vehicles[n]?.report, hlcProtocol: secc.protocols[n])
            tick()
        case .vehicleNeeds(let needs):
            let report = VehicleReport(maxCurrentAmps: needs.maxCurrentAmps, stateOfChargePercent: nil, requiredEnergyWh: needs.energyRequestWh,
                                       departure: needs.departureInSeconds.map { now.addingTimeInterval(Double($0)) })
            if var info = secc.vehicles[n] {
                info.report = report
                secc.vehicles[n] = info
            }
            tick()
        case .powerDelivery(let progress):
            switch progress {
            case .start:
                secc.charging.insert(n)
                tellSimulatedVehicle(n, .powerDeliveryStart)
            case .stop:
                tellSimulatedVehicle(n, .powerDeliveryStop)
            case .renegotiate:
                break
            }
            tick()
        case .sessionStopped(let pause):
            secc.stopped.insert(n)
            tellSimulatedVehicle(n, .powerDeliveryStop)
            if pause {
                controller.hlcSessionPaused(connector: n, now: now)
                carryOut()
            }
        case .failed(let code, let request, let reason):
            if !secc.charging.contains(n) {
                seccLinkFailed(connector: n, "\(request) answered \(code) before PowerDelivery Start: \(reason)")
            }
        case .contractPresented(let eMAID, let chainPEM):
            seccContractPresented(connector: n, eMAID: eMAID, chainPEM: chainPEM)
        case .maxCurrentSent, .notification, .warning:
            break
        }
    }

    /// The vehicle's V2G connection on connector `n` closed; `sessionEnded` false when the session had not ended.
    public func seccConnectionClosed(connector n: Int, reason: String, sessionEnded: Bool) {
        defer { secc.stopped.remove(n) }
        guard !secc.stopped.contains(n) else { return }
        if !sessionEnded {
            seccLinkFailed(connector: n, "the vehicle's connection ended before its session did (\(reason))")
        }
    }

    /// SLAC on connector `n`'s modem found no vehicle (the vehicle's V2G connection, if one came, proves the link).
    public func seccSLACFailed(connector n: Int, _ failure: String) {
        guard !secc.connected.contains(n) else { return }
        seccLinkFailed(connector: n, "SLAC failed: \(failure)")
    }

    /// The vehicle left connector `n`: its ISO 15118 identity and needs are no longer laid over the readings.
    public func seccVehicleLeft(connector n: Int) {
        secc.vehicles[n] = nil
        secc.contractRejected.remove(n)
        secc.connected.remove(n)
        secc.protocols[n] = nil
        secc.charging.remove(n)
        secc.stopped.remove(n)
    }

    /// The SECC's protocol as the controller names it.
    static func vehicleProtocol(_ p: V2GProtocol) -> VehicleHLCProtocol {
        switch p {
        case .din70121: .din70121
        case .iso15118_2: .iso15118_2
        case .iso15118_20AC: .iso15118_20
        }
    }

    /// D-LINK_ERROR (ISO 15118-3:2015 §7.7): the pilot falls back to the nominal duty cycle until unplug.
    func seccLinkFailed(connector n: Int, _ why: String) {
        guard controller.board.reading(connector: n)?.pilot.vehicleConnected ?? false else { return }
        if !controller.hlcFallback(connector: n) {
            logger.warning("ISO 15118 link failed: \(why); the vehicle charges by the PWM until it is unplugged", metadata: ["connector": "\(n)"])
        }
        controller.hlcLinkFailed(connector: n, now: clock.now())
        tellSimulatedVehicle(n, .linkFailed)
        carryOut()
    }

    /// A simulated board's vehicle whose ISO 15118 side is external hears what its session did (no-op for real boards).
    func tellSimulatedVehicle(_ n: Int, _ signal: VehicleSessionSignal) {
        guard var simulated = board as? any SimulatedHardware else { return }
        try? simulated.perform(.vehicleSession(connector: n, signal))
        if let back = simulated as? Board { board = back }
    }
}

/// One connector's ISO 15118 adapters while its HLC mode is not Off: the SDP and V2GTP servers on its PLC interface
/// (``V2GConnectorServer``) with the SECC behind them (``SECCSessionHandler``), and SLAC on the same interface
/// (``SLACMatcher``): matching starts when a vehicle is plugged, stops at unplug, and the matched vehicle's first SDP
/// request ends TT_match_join. A change of the HLC mode restarts the servers; a start-up failure (no such interface,
/// no link-local address, a port taken) is logged with what to check and retried, and never stops the station.
public struct SECCConnectorService<Board: HardwarePort>: Service {
    let runtime: StationRuntime<Board>
    let connector: Int
    let interface: String
    let logger: Logger
    /// How often the service looks at the HLC mode and the plug (the runtime's control step is 100 ms).
    static var pollInterval: Duration { .milliseconds(100) }
    /// How long after a failed start the servers are tried again.
    static var retryInterval: Duration { .seconds(30) }
    /// How often the SECC's TLS credential is looked at (the backend installs a new one with CertificateSigned; the
    /// servers restart with it).
    static var credentialInterval: Duration { .seconds(5) }

    public init(runtime: StationRuntime<Board>, connector: Int, interface: String, logger: Logger) {
        self.runtime = runtime; self.connector = connector; self.interface = interface; self.logger = logger
    }

    /// Whether the matched vehicle's first SDP request still has to be reported to SLAC.
    final class LinkWatch: Sendable {
        let awaitingSDP = Mutex(false)
        /// When the servers last failed to start (nil: running, or never failed).
        let failedAt = Mutex<ContinuousClock.Instant?>(nil)
    }

    public func run() async throws {
        var logger = self.logger
        logger[metadataKey: "connector"] = "\(connector)"
        let (runtime, n) = (self.runtime, connector)
        let handler = SECCSessionHandler(
            connector: n, configuration: { await runtime.seccConfiguration(connector: n) },
            view: { await runtime.seccView(connector: n) }, report: { await runtime.seccEvent(connector: n, $0) },
            additionalLogging: { await runtime.seccAdditionalLogging() },
            closed: { reason, ended in await runtime.seccConnectionClosed(connector: n, reason: "\(reason)", sessionEnded: ended) },
            backend: { await runtime.seccBackendRequest(connector: n, $0) },
            logger: logger)
        let watch = LinkWatch()
        await withTaskGroup(of: Void.self) { group in
            var slac: SLACMatcher?
            var server: Task<Void, Never>?
            var runningMode: HLCMode = .off
            var plugged = false
            var plugIns = 0
            var serversDownReported = false
            var credential = await runtime.seccTLSCredential()
            var credentialCheckedAt = ContinuousClock.now
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                let state = await runtime.seccConnectorState(connector: n)
                let wanted = state.mode != .off
                let failedAt = watch.failedAt.withLock { $0 }
                let retry = failedAt.map { ContinuousClock.now - $0 >= Self.retryInterval } ?? false
                var renewed = false
                if ContinuousClock.now - credentialCheckedAt >= Self.credentialInterval || state.mode != runningMode {
                    credentialCheckedAt = ContinuousClock.now
                    let latest = await runtime.seccTLSCredential()
                    renewed = latest != credential
                    credential = latest
                }
                if let running = server, state.mode != runningMode || !wanted || retry || renewed {
                    running.cancel()
                    await running.value  // the old servers' sockets are closed before new ones bind
                    server = nil
                    if !retry {
                        logger.info("ISO 15118: servers on \(interface) stopped: HLC mode \(state.mode.label)\(wanted ? ", restarting" : "")")
                    }
                }
                runningMode = state.mode
                if wanted && server == nil {
                    watch.failedAt.withLock { $0 = nil }
                    if slac == nil { slac = openSLAC(logger: logger, group: &group, watch: watch) }
                    server = startServer(handler: handler, slac: slac, watch: watch, mode: state.mode, credential: credential, logger: logger)
                }
                if state.vehiclePlugged != plugged || state.plugIns != plugIns {
                    // An unplug (or an unplug and the next plug-in between two looks) ends the previous vehicle's run.
                    if plugged {
                        await slac?.stopMatching()
                        await handler.vehicleLeft()
                    }
                    if state.vehiclePlugged, wanted {
                        watch.awaitingSDP.withLock { $0 = false }
                        await slac?.startMatching()
                    }
                    plugged = state.vehiclePlugged
                    plugIns = state.plugIns
                    serversDownReported = false
                }
                // Nothing can talk to this vehicle (the servers did not start, also when they fail while it is already
                // plugged, e.g. after the wait for the link-local address): a D-LINK_ERROR, so that it charges by the
                // PWM instead of waiting at 5 % for a session that cannot come.
                if plugged, wanted, !serversDownReported, watch.failedAt.withLock({ $0 }) != nil {
                    serversDownReported = true
                    await runtime.seccLinkFailed(connector: n, "the ISO 15118 servers on \(interface) are not running")
                }
                try? await Task.sleep(for: Self.pollInterval)
            }
            server?.cancel()
            await server?.value
            await slac?.close()
            group.cancelAll()
        }
    }

    /// The SLAC matcher on the interface, its events logged and a failure handed to the runtime; nil (logged) when
    /// the interface cannot be opened — the V2G servers still run (a vehicle matched by other means can talk).
    private func openSLAC(logger: Logger, group: inout TaskGroup<Void>, watch: LinkWatch) -> SLACMatcher? {
        let matcher: SLACMatcher
        do { matcher = try SLACMatcher(interface: interface, logger: logger) } catch {
            logger.error("ISO 15118: SLAC cannot run on \(interface) (connectors[\(connector - 1)].plcInterface of the board description): \(error)")
            return nil
        }
        let (runtime, n) = (self.runtime, connector)
        group.addTask {
            for await event in matcher.events {
                switch event {
                case .matched(let match):
                    logger.info("ISO 15118: SLAC matched the vehicle \(match.evMAC) on \(matcher.interface)")
                    watch.awaitingSDP.withLock { $0 = true }
                case .failed(let failure):
                    logger.warning("ISO 15118: SLAC on \(matcher.interface) failed: \(failure)")
                    await runtime.seccSLACFailed(connector: n, "\(failure)")
                }
            }
        }
        return matcher
    }

    private func startServer(handler: SECCSessionHandler, slac: SLACMatcher?, watch: LinkWatch, mode: HLCMode,
                             credential: ChargePointCredential?, logger: Logger) -> Task<Void, Never> {
        // Plug & Charge: the TLS server with the SECC certificate the backend installed; without one, or with one that
        // does not load, plain TCP only (external payment still works) and the log says why.
        var tls: V2GConnectorServer.TLSContext?
        if let credential {
            do { tls = try V2GTLS.serverContext(certificateChainPEM: credential.certificateChainPEM, privateKeyPEM: credential.privateKeyPEM) } catch {
                logger.error("ISO 15118: Plug & Charge runs without TLS: \(error)")
            }
        } else if mode == .plugAndCharge {
            logger.notice("ISO 15118: Plug & Charge waits for the SECC certificate (the backend installs it with CertificateSigned after TriggerMessage SignV2GCertificate); until then only external payment")
        }
        let server = V2GConnectorServer(configuration: .init(interface: interface, tls: tls), handler: handler, logger: logger) { event in
            guard case .discovery = event, let slac else { return }
            let first = watch.awaitingSDP.withLock { awaiting in
                defer { awaiting = false }
                return awaiting
            }
            if first { Task { await slac.linkEstablished() } }
        }
        let interface = self.interface, connector = self.connector
        return Task {
            do { try await server.run() } catch {
                logger.error("ISO 15118 servers on \(interface) (connectors[\(connector - 1)].plcInterface) did not start: \(error); check that the powerline modem's interface is up with an IPv6 link-local address; retried in \(Self.retryInterval)")
                watch.failedAt.withLock { $0 = ContinuousClock.now }
            }
        }
    }
}
