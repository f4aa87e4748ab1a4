import Foundation
import Logging
import ModbusTCP
import Synchronization
import Gateway
import Persistence
import Transport

/// The gateway's long-lived state: the pure ``CentralSystem`` and the adapters' ends (open WebSockets, database,
/// logs). OCPP frames, Modbus requests and ticks come in here; the actions the central system returns are executed in
/// order, so a transaction is in the database before the answer that acknowledges it is sent.
public actor GatewayRuntime: OCPPServerDelegate, ModbusRequestHandler {
    var central: CentralSystem
    let database: GatewayDatabase
    let logger: Logger
    let now: @Sendable () -> Date
    var outbound: [String: (connection: UInt64, channel: OCPPOutbound)] = [:]
    /// External mode: the open upstream links to the external central system, per charger.
    var upstream: [String: UpstreamLink] = [:]
    var upstreamGenerations: UInt64 = 0
    /// Runs the upstream clients (a service of the gateway's service group).
    nonisolated let upstreamClients = UpstreamClients()
    /// ChargerIDs the OCPP server admits, readable from the network threads.
    nonisolated let admitted: Set<String>
    /// Every ChargerID is admitted (``GatewaySettings/acceptUnconfiguredChargers``). These two copy what
    /// ``CentralSystem/admits(_:)`` decides, because the server asks from its network threads, outside the actor.
    nonisolated let admitsAll: Bool
    /// Refused connection attempts not yet written to the scan list and the log (on the next tick, off the network
    /// threads); bounded (``RefusedConnections``).
    nonisolated let refused = Mutex(RefusedConnections())
    /// ChargerIDs with an open connection, readable from the network threads: a second connection is refused with
    /// HTTP 409 before its upgrade (``CentralSystem/connected(_:connection:now:)`` decides again on the actor).
    nonisolated let connectedIDs = Mutex<Set<String>>([])
    /// For the diagnostics page: the configured chargers' newest frames, what the gateway logged, the BMS's requests.
    var frames = FrameLog()
    var events = EventLog()
    var modbusActivity = ModbusActivity()
    let startedAt: Date

    public init(settings: GatewaySettings, database: GatewayDatabase, logger: Logger, now: @escaping @Sendable () -> Date = Date.init) throws {
        central = CentralSystem(settings: settings, clockOffsetSeconds: try database.clockOffsetSeconds(),
                                nextTransactionId: try database.nextTransactionId(), openTransactions: try database.openTransactions())
        self.database = database
        self.logger = logger
        self.now = now
        admitted = Set(settings.chargers.map(\.id))
        admitsAll = settings.acceptUnconfiguredChargers
        startedAt = now()
    }

    // MARK: OCPP server

    /// Admits configured ChargerIDs (any with ``GatewaySettings/acceptUnconfiguredChargers``) that are not connected
    /// already. Refusals are collected for the next tick, which lists unknown ChargerIDs in the OCPP scan and logs them.
    public nonisolated func ocppAdmit(chargerID: String, remoteAddress: String?) -> OCPPAdmission {
        guard admitsAll || admitted.contains(chargerID) else {
            let at = now()
            refused.withLock { $0.record(chargerID, .unknown, remoteAddress: remoteAddress, at: at) }
            return .refuse(status: 404, reason: "unknown ChargerID '\(chargerID)': add it to the gateway's charger list")
        }
        guard !connectedIDs.withLock({ $0.contains(chargerID) }) else {
            let at = now()
            refused.withLock { $0.record(chargerID, .alreadyConnected, remoteAddress: remoteAddress, at: at) }
            return .refuse(status: 409, reason: "ChargerID '\(chargerID)' is connected already; the open connection stays until it is gone")
        }
        return .accept
    }

    public func ocppConnected(chargerID: String, connection: UInt64, outbound channel: OCPPOutbound) async {
        execute(central.connected(chargerID, connection: connection, now: now()))
        // The central system keeps a charger's first connection; a second one that passed admission at the same time
        // is closed here.
        guard central.connection(of: chargerID) == connection else { channel.close(); return }
        outbound[chargerID] = (connection, channel)
        connectedIDs.withLock { _ = $0.insert(chargerID) }
    }

    public func ocppReceived(chargerID: String, connection: UInt64, text: String) async {
        guard outbound[chargerID]?.connection == connection else { return }
        let at = now()
        recordFrame(chargerID, .fromCharger, text, at: at)
        execute(central.received(chargerID, text: text, now: at))
    }

    public func ocppDisconnected(chargerID: String, connection: UInt64, reason: String) async {
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

    /// Answers one Modbus request from the register image (TCP and RTU alike); a refusal is logged and answered with
    /// its exception code.
    func modbus(_ request: ModbusRequest, unitID: UInt8, via transport: ModbusActivity.Transport) -> ModbusResponse {
        let at = now()
        let result = answer(request, unitID: unitID, now: at)
        switch result {
        case .success(let response):
            modbusActivity.record(request, unitID: unitID, via: transport, refusal: nil, at: at)
            return response
        case .failure(let r):
            logger.info("Modbus \(request.function) refused with exception \(r.code.rawValue): \(r.reason)")
            modbusActivity.record(request, unitID: unitID, via: transport, refusal: r, at: at)
            return .exception(function: request.function.rawValue, r.code)
        }
    }

    private func answer(_ request: ModbusRequest, unitID: UInt8, now at: Date) -> Result<ModbusResponse, ModbusRefusal> {
        let unit = central.settings.modbusUnitID
        // Unit id 0 is the serial line's broadcast (and "this device" for many TCP clients).
        guard unit == 0 || unitID == 0 || Int(unitID) == unit else {
            return .failure(ModbusRefusal(.gatewayTargetDeviceFailedToRespond, "unit id \(unitID) is not the gateway's (\(unit))"))
        }
        switch request {
        case .readHoldingRegisters(let a, let q), .readInputRegisters(let a, let q):
            return central.modbusRead(address: Int(a), quantity: Int(q), now: at).map { .registers(request.function, $0) }
        case .readCoils(let a, let q), .readDiscreteInputs(let a, let q):
            return central.modbusReadBits(address: Int(a), quantity: Int(q)).map { .bits(request.function, $0) }
        case .writeSingleRegister(let a, let v):
            return written(central.modbusWrite(address: Int(a), values: [v], now: at), .writeSingleRegister(address: a, value: v))
        case .writeMultipleRegisters(let a, let values):
            return written(central.modbusWrite(address: Int(a), values: values, now: at),
                           .writeMultiple(.writeMultipleRegisters, address: a, quantity: UInt16(values.count)))
        case .writeSingleCoil(let a, let v):
            return written(central.modbusWriteBits(address: Int(a), values: [v], now: at), .writeSingleCoil(address: a, value: v))
        case .writeMultipleCoils(let a, let values):
            return written(central.modbusWriteBits(address: Int(a), values: values, now: at),
                           .writeMultiple(.writeMultipleCoils, address: a, quantity: UInt16(values.count)))
        }
    }

    private func written(_ result: Result<[GatewayAction], ModbusRefusal>, _ ok: ModbusResponse) -> Result<ModbusResponse, ModbusRefusal> {
        result.map { actions in
            execute(actions)
            return ok
        }
    }

    // MARK: ticks and actions

    /// Timeouts and the Heartbeat register; writes refused ChargerIDs to the scan list (one write per tick) and logs
    /// the refusals (one entry per tick, however many there were).
    public func tick() {
        let at = now()
        execute(central.tick(now: at))
        let (attempts, uncounted) = refused.withLock { $0.drain() }
        guard !attempts.isEmpty || uncounted > 0 else { return }
        persist { try database.recordScans(attempts.filter { $0.cause == .unknown }) }
        execute(RefusedConnections.logEntries(attempts, uncounted: uncounted).map { .log($0) })
    }

    func execute(_ actions: [GatewayAction]) {
        for action in actions {
            switch action {
            case .send(let charger, let text):
                recordFrame(charger, .toCharger, text, at: now())
                outbound[charger]?.channel.send(text)
            case .sendUpstream(let charger, let text):
                recordFrame(charger, .toCentral, text, at: now())
                upstream[charger]?.outbound?.send(text)
            case .openUpstream(let charger):
                openUpstream(charger)
            case .closeUpstream(let charger):
                closeUpstream(charger)
            case .log(let e):
                events.record(e, at: now())
                var l = logger
                if let c = e.charger { l[metadataKey: "cp.id"] = "\(c)" }
                switch e.level {
                case .info: l.info("\(e.message)")
                case .warning: l.warning("\(e.message)")
                case .error: l.error("\(e.message)")
                }
            case .clockOffsetChanged(let seconds):
                persist { try database.setClockOffsetSeconds(seconds) }
            case .transactionStarted(let t):
                persist { try database.transactionStarted(t) }
            case .transactionStopped(let s):
                persist {
                    if try !database.transactionStopped(s) {
                        logger.notice("StopTransaction for transaction \(s.transactionId), which the gateway did not see start",
                                      metadata: ["cp.id": "\(s.charger)"])
                    }
                }
            case .nextTransactionId(let n):
                persist { try database.setNextTransactionId(n) }
            }
        }
    }

    /// Keeps a configured charger's frame for the diagnostics page.
    func recordFrame(_ charger: String, _ direction: FrameRecord.Direction, _ text: String, at: Date) {
        if admitted.contains(charger) { frames.record(charger, direction, text, at: at) }
    }

    /// What the diagnostics page shows (seeds/003 §2.2 step 8): both sides' communication state.
    public func diagnostics() -> GatewayDiagnostics {
        let at = now()
        let (chargers, more) = central.chargerStatuses()
        return GatewayDiagnostics(
            settings: central.settings, startedAt: startedAt, now: at, gatewayTime: central.gatewayTime(at), bmsOnline: central.bmsOnline(now: at),
            lastBMSHeartbeat: central.lastBMSHeartbeat, modbus: modbusActivity, chargers: chargers, moreUnconfigured: more,
            frames: Dictionary(uniqueKeysWithValues: chargers.map { ($0.id, frames.frames($0.id)) }), events: events.events.reversed())
    }

    private func persist(_ body: () throws -> Void) {
        do { try body() } catch { logger.error("database write failed: \(error)") }
    }
}
