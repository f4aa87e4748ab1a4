#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ModbusTCP

/// A charger that tried to connect with a ChargerID the gateway does not know (seeds/003 §2.2 step 4b "OCPP SCAN"), or
/// whose credentials the gateway refused (OCPP 1.6 security whitepaper ed. 3 §2: wrong password, no or a wrong client
/// certificate) — then `reason` says why.
public struct ScannedCharger: Sendable, Equatable, Codable {
    public var id: String
    public var remoteAddress: String?
    public var firstSeen: Date
    public var lastSeen: Date
    public var attempts: Int
    /// Why the last attempt was refused; nil: the ChargerID is not configured.
    public var reason: String?

    public init(id: String, remoteAddress: String?, firstSeen: Date, lastSeen: Date, attempts: Int, reason: String? = nil) {
        self.id = id; self.remoteAddress = remoteAddress; self.firstSeen = firstSeen; self.lastSeen = lastSeen; self.attempts = attempts
        self.reason = reason
    }
}

/// A recorded gateway transaction with its end, if it ended.
public struct GatewayTransactionRecord: Sendable, Equatable, Codable {
    public var start: GatewayTransaction
    public var meterStopWh: Int?
    public var stoppedAt: Date?
    public var reason: String?

    public init(start: GatewayTransaction, meterStopWh: Int?, stoppedAt: Date?, reason: String?) {
        self.start = start; self.meterStopWh = meterStopWh; self.stoppedAt = stoppedAt; self.reason = reason
    }
}

/// One OCPP frame as it passed the gateway, for the diagnostics page (seeds/003 §2.2 step 8: "the communication
/// status in both sides").
public struct FrameRecord: Sendable, Equatable {
    public enum Direction: String, Sendable {
        case fromCharger, toCharger
        /// External mode: the charger's upstream connection to the external central system.
        case fromCentral, toCentral
    }

    public var at: Date
    public var direction: Direction
    /// The frame's text, cut at ``FrameLog/maximumCharacters``.
    public var text: String
    /// Characters cut off the end (0: the whole frame).
    public var omittedCharacters: Int
}

/// The newest frames of each configured charger, a bounded ring per charger. Chargers accepted without being
/// configured have none: with thousands of them the rings would cost more memory than the gateway itself.
public struct FrameLog: Sendable {
    /// Frames kept per charger.
    public static let framesPerCharger = 50
    /// Characters kept of one frame (a long GetConfiguration or local list answer is cut).
    public static let maximumCharacters = 4000

    private var rings: [String: Ring] = [:]

    private struct Ring {
        var frames: [FrameRecord] = []
        /// Where the next frame goes once the ring is full.
        var next = 0
    }

    public init() {}

    public mutating func record(_ charger: String, _ direction: FrameRecord.Direction, _ text: String, at: Date) {
        let count = text.count
        let frame = FrameRecord(at: at, direction: direction, text: count > Self.maximumCharacters ? String(text.prefix(Self.maximumCharacters)) : text,
                                omittedCharacters: max(0, count - Self.maximumCharacters))
        var ring = rings[charger] ?? Ring()
        if ring.frames.count < Self.framesPerCharger {
            ring.frames.append(frame)
        } else {
            ring.frames[ring.next] = frame
            ring.next = (ring.next + 1) % Self.framesPerCharger
        }
        rings[charger] = ring
    }

    /// A charger's frames, newest first.
    public func frames(_ charger: String) -> [FrameRecord] {
        guard let ring = rings[charger] else { return [] }
        return Array((ring.frames[ring.next...] + ring.frames[..<ring.next]).reversed())
    }
}

/// What the gateway logged recently, newest last, for the diagnostics page; bounded in count and, since messages
/// quote what chargers send, in length.
public struct EventLog: Sendable {
    public static let capacity = 200
    /// Characters kept of one message.
    public static let maximumCharacters = 500

    public struct Event: Sendable, Equatable {
        public var at: Date
        public var entry: GatewayLogEntry
    }

    public private(set) var events: [Event] = []

    public init() {}

    public mutating func record(_ entry: GatewayLogEntry, at: Date) {
        var entry = entry
        if entry.message.count > Self.maximumCharacters { entry.message = String(entry.message.prefix(Self.maximumCharacters)) + "…" }
        events.append(Event(at: at, entry: entry))
        if events.count > Self.capacity { events.removeFirst(events.count - Self.capacity) }
    }
}

/// The BMS side of the diagnostics: Modbus requests answered and the newest one.
public struct ModbusActivity: Sendable, Equatable {
    public enum Transport: String, Sendable { case tcp = "TCP", rtu = "RTU" }

    public struct Request: Sendable, Equatable {
        public var at: Date
        public var transport: Transport
        public var unitID: UInt8
        public var function: UInt8
        public var address: Int
        public var quantity: Int
        /// nil: answered normally; else the exception code sent.
        public var exception: UInt8?
        public var reason: String?
    }

    public private(set) var requests = 0
    public private(set) var exceptions = 0
    public private(set) var last: Request?
    /// The newest request answered with an exception.
    public private(set) var lastException: Request?

    public init() {}

    public mutating func record(_ request: ModbusRequest, unitID: UInt8, via transport: Transport, refusal: ModbusRefusal?, at: Date) {
        let (address, quantity): (UInt16, Int) = switch request {
        case .readCoils(let a, let q), .readDiscreteInputs(let a, let q), .readHoldingRegisters(let a, let q), .readInputRegisters(let a, let q):
            (a, Int(q))
        case .writeSingleCoil(let a, _), .writeSingleRegister(let a, _): (a, 1)
        case .writeMultipleCoils(let a, let v): (a, v.count)
        case .writeMultipleRegisters(let a, let v): (a, v.count)
        }
        let r = Request(at: at, transport: transport, unitID: unitID, function: request.function.rawValue, address: Int(address), quantity: quantity,
                        exception: refusal?.code.rawValue, reason: refusal?.reason)
        requests += 1
        last = r
        if refusal != nil {
            exceptions += 1
            lastException = r
        }
    }
}

/// One charger as the diagnostics page shows it.
public struct ChargerStatus: Sendable, Equatable {
    public enum Upstream: String, Sendable {
        /// The upstream connection to the external central system is open.
        case open
        /// The gateway is (re)connecting it.
        case connecting
    }

    public var id: String
    /// Register slot xx; nil for a charger accepted without being configured.
    public var slot: Int?
    public var connectors: Int
    public var connectedSince: Date?
    /// External mode: the upstream connection's state while the charger is connected.
    public var upstream: Upstream?
    /// External mode: charger CALLs held for (or on the wire to) the external central system.
    public var callsToCentral: Int
    /// External mode: charger CALLs dropped by the held-CALL bounds since the central system was last connected (the
    /// count goes to the log when it is back, and starts again).
    public var callsDropped: Int = 0
    /// BMS mode: Authorize/Start/Stop requests waiting for the BMS; External mode: central system CALLs for the charger.
    public var requestsWaiting: Int
    /// BMS mode: operations the BMS requested that wait for the charger.
    public var operationsWaiting: Int
    /// The OCPP status of connector 0…n as its status register holds it (seeds/003 Appendix 2; "Unavailable" until the
    /// charger's first StatusNotification); empty for a charger without registers (for the metrics, issue 30 item 1).
    public var connectorStatuses: [String] = []
}

extension CentralSystem {
    /// The configured chargers in slot order, then those connected without being configured (at most `unconfigured`).
    public func chargerStatuses(unconfigured: Int = 100) -> (chargers: [ChargerStatus], moreUnconfigured: Int) {
        let configured = settings.chargers.sorted { $0.slot < $1.slot }.compactMap { chargers[$0.id] }
        let others = chargers.unconfigured
        let shown = configured + others.prefix(unconfigured).compactMap { chargers[$0] }
        return (shown.map(status), max(0, others.count - unconfigured))
    }

    private func status(_ c: ChargerState) -> ChargerStatus {
        let external = settings.mode == .external
        return ChargerStatus(
            id: c.entry.id, slot: c.entry.slot == ChargerEntry.noSlot ? nil : c.entry.slot, connectors: c.entry.connectors,
            connectedSince: c.connectedAt,
            upstream: external && c.connection != nil ? (c.relay.upstreamOpen ? .open : .connecting) : nil,
            callsToCentral: c.relay.toCentral.count, callsDropped: c.relay.dropped,
            requestsWaiting: external ? c.relay.toCharger.count : c.incoming.values.reduce(0) { $0 + $1.count },
            operationsWaiting: c.outgoing.count, connectorStatuses: connectorStatuses(c.entry))
    }

    /// The status registers of a configured charger's connectors 0…n, by name.
    private func connectorStatuses(_ entry: ChargerEntry) -> [String] {
        guard entry.slot != ChargerEntry.noSlot else { return [] }
        return (0...entry.connectors).map { yy in
            let code = image.integer(.connector(slot: entry.slot, connector: yy, .status))
            return ConnectorStatusCode.names.indices.contains(code) ? ConnectorStatusCode.names[code] : "Unavailable"
        }
    }

    /// Transactions the gateway saw start and not yet stop.
    public var openTransactionCount: Int { openTransactions.count }
}

/// Everything the diagnostics page shows at one moment.
public struct GatewayDiagnostics: Sendable {
    public var settings: GatewaySettings
    /// When the gateway services (re)started.
    public var startedAt: Date
    public var now: Date
    /// The gateway clock (system clock plus the offset the BMS set, seeds/003 §2.3.1.1).
    public var gatewayTime: Date
    /// Whether the BMS set the Heartbeat register within the BMS heartbeat timeout (nil: it never did).
    public var bmsOnline: Bool?
    public var lastBMSHeartbeat: Date?
    public var modbus: ModbusActivity
    public var chargers: [ChargerStatus]
    /// Chargers connected without being configured that are not in `chargers`.
    public var moreUnconfigured: Int
    /// The newest frames per charger, newest first.
    public var frames: [String: [FrameRecord]]
    /// What the gateway logged, newest first.
    public var events: [EventLog.Event]
    /// The ports the servers bound (they differ from the settings' when those are 0); nil until bound.
    public var ocppPort: Int?
    public var modbusTCPPort: Int?
    /// Transactions the gateway saw start and not yet stop (``CentralSystem/openTransactionCount``).
    public var openTransactions = 0

    public init(settings: GatewaySettings, startedAt: Date, now: Date, gatewayTime: Date, bmsOnline: Bool?, lastBMSHeartbeat: Date?,
                modbus: ModbusActivity, chargers: [ChargerStatus], moreUnconfigured: Int, frames: [String: [FrameRecord]], events: [EventLog.Event]) {
        self.settings = settings; self.startedAt = startedAt; self.now = now; self.gatewayTime = gatewayTime; self.bmsOnline = bmsOnline
        self.lastBMSHeartbeat = lastBMSHeartbeat; self.modbus = modbus; self.chargers = chargers; self.moreUnconfigured = moreUnconfigured
        self.frames = frames; self.events = events
    }
}
