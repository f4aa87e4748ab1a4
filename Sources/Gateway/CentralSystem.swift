#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CivilDate
import ModbusTCP
import OCPP16

/// What the gateway logs, for the operator and the diagnostics page.
public struct GatewayLogEntry: Sendable, Equatable {
    public enum Level: String, Sendable { case info, warning, error }
    public var level: Level
    public var charger: String?
    public var message: String
    public init(_ level: Level, _ charger: String?, _ message: String) { self.level = level; self.charger = charger; self.message = message }
}

/// Who gave the charger the answer to a transaction message.
public enum TransactionDecider: String, Sendable, Codable {
    /// The BMS, through the Messages to CS handshake (BMS mode).
    case bms = "BMS"
    /// The gateway by itself: the BMS did not process the request in time, or the charger has no registers (BMS mode).
    case gateway
    /// The external central system the gateway relays to (External mode).
    case external
}

/// A transaction as the gateway records it: decided by the BMS, kept in the gateway alone when the BMS did not
/// answer in time, or relayed to the external central system.
public struct GatewayTransaction: Sendable, Equatable, Codable {
    public var charger: String
    public var connectorId: Int
    public var transactionId: Int
    public var idTag: String
    public var meterStartWh: Int
    public var startedAt: Date
    /// The AuthorizationStatus the charger was given.
    public var status: String
    public var decidedBy: TransactionDecider

    public init(charger: String, connectorId: Int, transactionId: Int, idTag: String, meterStartWh: Int, startedAt: Date, status: String,
                decidedBy: TransactionDecider) {
        self.charger = charger; self.connectorId = connectorId; self.transactionId = transactionId; self.idTag = idTag
        self.meterStartWh = meterStartWh; self.startedAt = startedAt; self.status = status; self.decidedBy = decidedBy
    }
}

/// The end of a recorded transaction.
public struct GatewayTransactionStop: Sendable, Equatable {
    public var charger: String
    public var transactionId: Int
    public var meterStopWh: Int
    public var stoppedAt: Date
    public var reason: String
    public var decidedBy: TransactionDecider

    public init(charger: String, transactionId: Int, meterStopWh: Int, stoppedAt: Date, reason: String, decidedBy: TransactionDecider) {
        self.charger = charger; self.transactionId = transactionId; self.meterStopWh = meterStopWh; self.stoppedAt = stoppedAt
        self.reason = reason; self.decidedBy = decidedBy
    }
}

/// A transaction the gateway saw start and not yet stop.
struct OpenTransaction: Hashable, Sendable {
    var charger: String
    var transactionId: Int
}

/// What the adapters must do after an event. Executed in order: a transaction is recorded before the answer that
/// acknowledges it is sent.
public enum GatewayAction: Sendable, Equatable {
    /// A text frame to the charger.
    case send(charger: String, text: String)
    /// External mode: a text frame to the external central system on the charger's upstream connection.
    case sendUpstream(charger: String, text: String)
    /// External mode: open the charger's upstream connection (`<externalURL>/<ChargerID>`) and keep reconnecting it.
    case openUpstream(charger: String)
    /// External mode: close the charger's upstream connection and stop reconnecting it.
    case closeUpstream(charger: String)
    case log(GatewayLogEntry)
    /// The BMS set the date and time (seeds/003 §2.3.1.1): the gateway clock is the system clock plus this offset.
    case clockOffsetChanged(seconds: Double)
    case transactionStarted(GatewayTransaction)
    case transactionStopped(GatewayTransactionStop)
    /// The next transaction id the gateway hands out by itself.
    case nextTransactionId(Int)
    /// A register handshake with the BMS ended (for the metrics; nothing to execute).
    case handshakeEnded(HandshakeEnded)
    /// The charger answered an operator's operation (``operatorCommand(_:_:replyTo:now:)``): nil error for success.
    case operatorAnswer(replyTo: String, error: String?)
}

/// A refused Modbus request: the exception code and why (for the log).
public struct ModbusRefusal: Error, Sendable, Equatable {
    public var code: ExceptionCode
    public var reason: String
    public init(_ code: ExceptionCode, _ reason: String) { self.code = code; self.reason = reason }
}

/// The gateway as an OCPP 1.6J central system whose decisions come from a Modbus BMS (seeds/003 use case 1), as a pure
/// state machine: OCPP frames, Modbus requests and clock ticks go in, actions come out. It owns the register image of
/// seeds/003 Appendix 2 and runs the flag handshakes of Appendix 1:
///
/// - **Messages to CS** (Authorize, StartTransaction, StopTransaction): the gateway fills the request registers and
///   sets the Flag to 1; the BMS writes the result (and parent id, expiration, transaction id) and then Processed = 1;
///   the gateway answers the charger and sets Flag and Processed back to 0. Requests of one kind from one charger
///   are queued and presented one after the other. Without Processed within ``GatewaySettings/bmsTimeoutSeconds``
///   the gateway answers safely by itself: Invalid (a StartTransaction gets a transaction id of the gateway's own and
///   is recorded in the gateway only) and logs it.
/// - **Messages from CS** (Cancel Reservation … Remote Stop, Unlock Connector, Availability): the BMS writes the
///   parameters and then the Flag = 1; the gateway sends the request and, with the charger's answer, writes the
///   result and sets the Flag back to 0. A result of 65535 means the charger did not answer (CALLERROR or no answer
///   within ``GatewaySettings/chargerTimeoutSeconds``). One CALL is outstanding per charger at a time (OCPP-J §4.1.1);
///   further operations wait in order.
///
/// In External mode (seeds/003 use case 2) it is a bridge instead: see `CentralSystem+Bridge.swift`.
public struct CentralSystem: Sendable {
    public internal(set) var settings: GatewaySettings
    public internal(set) var layout: RegisterLayout
    public internal(set) var image = RegisterImage()
    /// Gateway time = system time + this offset (set by the BMS through registers 1…6).
    public internal(set) var clockOffsetSeconds: Double
    public internal(set) var nextTransactionId: Int
    /// The last time the BMS set the Heartbeat register.
    public internal(set) var lastBMSHeartbeat: Date?
    var chargers = ChargerTable()
    var heartbeatRaisedAt: Date?
    var timeWrites: [SystemSignal: (value: Int, at: Date)] = [:]
    /// Multi-register values the BMS is writing a register at a time, by their first address (``PartialValue``).
    var partialValues: [Int: PartialValue] = [:]
    /// The time zone of registers 1…6 (``GatewaySettings/bmsTimeZone``; UTC when the name is unknown — the settings
    /// check refuses such a name).
    public let bmsTimeZone: TimeZoneRules
    /// Open transactions → their connector. Keyed by charger too: a BMS or an external central system may number
    /// transactions per charger.
    var openTransactions = OpenTransactions()

    /// The value of an optional integer parameter register that is not set.
    public static let notSet = 0xFFFF
    /// The result register value when a charger did not answer an operation.
    public static let noAnswer = 0xFFFF
    /// The time registers must all be written within this window of each other, and are taken once it is over
    /// (seeds/003 §2.3.1.1).
    public static let timeWriteWindowSeconds = 15.0
    /// The gateway sets the Heartbeat register back to 0 this long after the BMS set it to 1, so that a BMS that reads
    /// right after its write still sees its 1. With ``tickIntervalSeconds`` the reset comes within
    /// 0.5…0.75 s: "within a second" (issue 29 item 14; it was a 1 s delay checked by a 1 s tick: 1…2 s).
    public static let heartbeatResetSeconds = 0.5
    /// How often the adapter should call ``tick(now:)``.
    public static let tickIntervalSeconds = 0.25
    /// Transaction ids handed out by the gateway fit the 16-bit Transaction ID registers.
    public static let transactionIdRange = 1...65535

    public init(settings: GatewaySettings, clockOffsetSeconds: Double = 0, nextTransactionId: Int = 1,
                openTransactions: [GatewayTransaction] = []) {
        self.settings = settings
        bmsTimeZone = TimeZoneRules.named(settings.bmsTimeZone) ?? .utc
        self.clockOffsetSeconds = clockOffsetSeconds
        self.nextTransactionId = Self.transactionIdRange.contains(nextTransactionId) ? nextTransactionId : 1
        layout = RegisterLayout(mode: settings.mode, connectors: settings.connectorsBySlot, off: Set(settings.signalsOff))
        for c in settings.chargers {
            chargers[c.id] = ChargerState(entry: c)
            initialiseRegisters(slot: c.slot, connectors: c.connectors)
        }
        // Transactions still open when the gateway stopped keep their Current Transaction Data.
        for t in openTransactions { observeTransactionStart(t) }
    }

    private mutating func initialiseRegisters(slot: Int, connectors: Int) {
        image.set(.charger(slot: slot, .communicationStatus), 1)
        let notSet: [ChargerSignal] = [.authorizationResult, .startResult, .stopResult, .clearChargingProfileId, .clearChargingProfileConnectorId,
                                       .clearChargingProfilePurpose, .clearChargingProfileStackLevel, .sendLocalListAuthorizationStatus,
                                       .cancelReservationResult, .clearCacheResult, .clearChargingProfileResult, .reserveNowResult,
                                       .resetStatus, .sendLocalListResult, .triggerMessageStatus, .remoteStartResult, .remoteStopStatus,
                                       .startReservationId]
        for s in notSet { image.set(.charger(slot: slot, s), Self.notSet) }
        for yy in 0...connectors {
            image.set(.connector(slot: slot, connector: yy, .availability), 1)
            image.set(.connector(slot: slot, connector: yy, .status), 7)
            image.set(.connector(slot: slot, connector: yy, .errorCode), 6)
            for m in Measurement.allCases { image.set(.connector(slot: slot, connector: yy, .units(m)), 0xFFFF) }
        }
    }

    /// The gateway's clock.
    public func gatewayTime(_ now: Date) -> Date { now.addingTimeInterval(clockOffsetSeconds) }

    static func epoch(_ d: Date) -> Int { max(0, Int(d.timeIntervalSince1970.rounded(.down))) }

    // MARK: connections

    /// Whether a charger may connect: configured ChargerIDs (unknown ones are listed by the OCPP scan), or any with
    /// ``GatewaySettings/acceptUnconfiguredChargers``.
    public func admits(_ id: String) -> Bool { settings.acceptUnconfiguredChargers || chargers[id] != nil }

    /// Whether the charger's WebSocket is open.
    public func isConnected(_ id: String) -> Bool { chargers[id]?.connection != nil }

    /// The charger's open connection, if any.
    public func connection(of id: String) -> UInt64? { chargers[id]?.connection }

    /// A charger's WebSocket opened (`connection` tells apart one connection from another). While the charger's
    /// first connection is open a second one is refused — logged, and not taken as the charger's (the adapter closes
    /// it): another device with the same ChargerID must not take over the charger's registers, its transactions and
    /// what waits for it (issue #20 item 10). The first connection counts as gone when it closes or stops answering
    /// the WebSocket pings.
    public mutating func connected(_ id: String, connection: UInt64, now: Date) -> [GatewayAction] {
        guard var c = chargers[id] ?? (admits(id) ? ChargerState(entry: ChargerEntry(id: id, slot: ChargerEntry.noSlot,
                                                                                     connectors: RegisterLayout.maximumConnectors)) : nil) else { return [] }
        if let open = c.connection, open != connection {
            return [.log(.init(.warning, id, "a second connection with this ChargerID was refused; the open connection stays until it is gone"))]
        }
        var actions: [GatewayAction] = []
        c.connection = connection
        c.connectedAt = now
        actions.append(.log(.init(.info, id, "connected")))
        if settings.mode == .external { actions += relayChargerConnected(&c) }
        chargers[id] = c
        image.set(.charger(slot: c.entry.slot, .communicationStatus), 0)
        return actions
    }

    /// A charger's WebSocket closed. Requests waiting for the BMS are dropped (the charger sends them again), and
    /// operations waiting for the charger end with result 65535.
    public mutating func disconnected(_ id: String, connection: UInt64, now: Date) -> [GatewayAction] {
        guard var c = chargers[id], c.connection == connection else { return [] }
        c.connection = nil
        c.connectedAt = nil
        var actions = dropPending(&c, reason: "the charger disconnected")
        if settings.mode == .external { actions += relayChargerDisconnected(&c) }
        // A charger without registers is forgotten with its connection.
        chargers[id] = c.entry.slot == ChargerEntry.noSlot ? nil : c
        image.set(.charger(slot: c.entry.slot, .communicationStatus), 1)
        actions.append(.log(.init(.warning, id, "disconnected")))
        return actions
    }

    private mutating func dropPending(_ c: inout ChargerState, reason: String) -> [GatewayAction] {
        var actions: [GatewayAction] = []
        for block in IncomingBlock.allCases where !(c.incoming[block] ?? []).isEmpty {
            actions.append(.log(.init(.warning, c.entry.id, "\(block.action) for the BMS dropped: \(reason)")))
            c.incoming[block] = []
            image.set(.charger(slot: c.entry.slot, block.flag), 0)
        }
        for op in c.outgoing {
            finish(op, result: Self.noAnswer, charger: c.entry)
            actions.append(.log(.init(.warning, c.entry.id, "\(op.action) not answered: \(reason)")))
            actions += operatorAnswer(op, charger: c.entry.id, failure: reason)
        }
        c.outgoing = []
        return actions
    }

    // MARK: OCPP frames from chargers

    /// A text frame from a charger.
    public mutating func received(_ id: String, text: String, now: Date) -> [GatewayAction] {
        guard chargers[id] != nil else { return [] }
        if settings.mode == .external { return relayFromCharger(id, text: text, now: now) }
        // A date the BMS wrote whose window is over is taken before the answer, which may carry the time (the tick
        // may come up to one interval later).
        let due = expireTimeWrites(now: now)
        if !due.isEmpty { return due + received(id, text: text, now: now) }
        let frame: OCPPFrame
        do { frame = try OCPPFrame.parse(text) } catch {
            guard let messageID = error.messageID else {
                return [.log(.init(.warning, id, "unreadable frame dropped: \(error.description)"))]
            }
            return [.send(charger: id, text: OCPPFrame.error(error, id: messageID).serialized())]
        }
        switch frame {
        case .call(let messageID, let action, let payload):
            return call(id, messageID: messageID, action: action, payload: payload, now: now)
        case .callResult(let messageID, let payload):
            return answer(id, messageID: messageID, result: .success(payload), now: now)
        case .callError(let messageID, let code, let description, _):
            return answer(id, messageID: messageID, result: .failure(OCPPError(OCPPErrorCode(rawValue: code) ?? .genericError, description)), now: now)
        }
    }

    private mutating func call(_ id: String, messageID: String, action: String, payload: JSONValue, now: Date) -> [GatewayAction] {
        func reply(_ p: some OCPPPayload) -> [GatewayAction] {
            [.send(charger: id, text: OCPPFrame.callResult(id: messageID, payload: OCPPCoding.encode(p)).serialized())]
        }
        do throws(OCPPError) {
            try OCPP16Catalog.validateCall(action: action, payload: payload, supported: Set(FeatureProfile.allCases))
            if OCPP16Catalog.entries[action]?.direction == .centralSystemToChargePoint {
                throw OCPPError(.notSupported, "\(action) is sent by the central system, not to it")
            }
            let time = gatewayTime(now)
            switch action {
            case BootNotificationRequest.action:
                let r = try BootNotificationRequest(json: payload)
                observeBoot(id, r)
                return reply(BootNotificationResponse(status: .accepted, currentTime: time, interval: settings.heartbeatIntervalSeconds))
                    + [.log(.init(.info, id, "BootNotification: \(r.chargePointVendor) \(r.chargePointModel)"))]
            case HeartbeatRequest.action:
                return reply(HeartbeatResponse(currentTime: time))
            case StatusNotificationRequest.action:
                let r = try StatusNotificationRequest(json: payload)
                var actions = reply(StatusNotificationResponse())
                if let problem = observeStatus(id, r) { actions.append(.log(.init(.warning, id, problem))) }
                return actions
            case MeterValuesRequest.action:
                observeMeterValues(id, try MeterValuesRequest(json: payload))
                return reply(MeterValuesResponse())
            case AuthorizeRequest.action:
                return enqueue(id, .authorize, PendingRequest(messageID: messageID, body: .authorize(try AuthorizeRequest(json: payload)), receivedAt: now))
            case StartTransactionRequest.action:
                let r = try StartTransactionRequest(json: payload)
                return enqueue(id, .start, PendingRequest(messageID: messageID, body: .start(r), receivedAt: now))
            case StopTransactionRequest.action:
                let r = try StopTransactionRequest(json: payload)
                return enqueue(id, .stop, PendingRequest(messageID: messageID, body: .stop(r), receivedAt: now))
            case DataTransferRequest.action:
                return reply(DataTransferResponse(status: .unknownVendorId))
            case DiagnosticsStatusNotificationRequest.action:
                let r = try DiagnosticsStatusNotificationRequest(json: payload)
                return reply(DiagnosticsStatusNotificationResponse()) + [.log(.init(.info, id, "DiagnosticsStatusNotification: \(r.status)"))]
            case FirmwareStatusNotificationRequest.action:
                let r = try FirmwareStatusNotificationRequest(json: payload)
                return reply(FirmwareStatusNotificationResponse()) + [.log(.init(.info, id, "FirmwareStatusNotification: \(r.status)"))]
            default:
                throw OCPPError(.notSupported, "\(action) is not handled by the gateway")
            }
        } catch {
            return [.send(charger: id, text: OCPPFrame.error(error, id: messageID).serialized()),
                    .log(.init(.warning, id, "\(action) refused: \(error.code.rawValue) \(error.description)"))]
        }
    }

    // MARK: register updates from what chargers report (both modes)

    /// BootNotification.req: the charger information registers.
    public mutating func observeBoot(_ id: String, _ r: BootNotificationRequest) {
        guard let slot = chargers[id]?.entry.slot else { return }
        image.set(.charger(slot: slot, .chargeBoxSerialNumber), text: r.chargeBoxSerialNumber ?? "")
        image.set(.charger(slot: slot, .chargePointSerialNumber), text: r.chargePointSerialNumber ?? "")
        image.set(.charger(slot: slot, .chargePointVendor), text: r.chargePointVendor)
        image.set(.charger(slot: slot, .chargePointModel), text: r.chargePointModel)
    }

    /// StatusNotification.req: status and errorCode of the connector. Returns a problem for a connector the
    /// configuration does not have (the answer is still Accepted; the registers do not exist).
    public mutating func observeStatus(_ id: String, _ r: StatusNotificationRequest) -> String? {
        guard let entry = chargers[id]?.entry else { return nil }
        guard r.connectorId <= entry.connectors else {
            return "StatusNotification for connector \(r.connectorId), but \(id) is configured with \(entry.connectors) connector(s)"
        }
        if let s = ConnectorStatusCode.names.firstIndex(of: r.status) {
            image.set(.connector(slot: entry.slot, connector: r.connectorId, .status), s)
        }
        if let e = ConnectorErrorCode.names.firstIndex(of: r.errorCode) {
            image.set(.connector(slot: entry.slot, connector: r.connectorId, .errorCode), e)
        }
        if r.status == "Unavailable" { image.set(.connector(slot: entry.slot, connector: r.connectorId, .availability), 0) }
        else if r.status != "Faulted" { image.set(.connector(slot: entry.slot, connector: r.connectorId, .availability), 1) }
        // No vehicle, no load — also after a session the gateway did not see end (a restart, an unanswered stop).
        if r.status == "Available" { clearLoad(slot: entry.slot, connector: r.connectorId) }
        return nil
    }

    /// The measurands of a flow of energy: what a BMS adds up as the connector's load.
    static let loadMeasurands: [Measurement] = [.currentImport, .currentExport, .currentOffered, .powerActiveImport, .powerActiveExport,
                                                .powerReactiveImport, .powerReactiveExport, .powerOffered]

    /// Sets a connector's current and power registers to 0 once its session ended, so that a BMS does not see load
    /// that is not there (issue #20 item 10). A charger reports them only while it charges (MeterValues); the energy
    /// registers, the voltages and the units keep their last values.
    mutating func clearLoad(slot: Int, connector: Int) {
        for m in Self.loadMeasurands {
            for phase in m.valueOffsets.indices {
                image.set(.connector(slot: slot, connector: connector, .value(m, phase: phase)), .float(0))
            }
        }
    }

    /// MeterValues.req (and the transactionData of StopTransaction.req): the measurand registers. Phase-wise values
    /// go to their L1/L2/L3 registers (L1-N… for voltages); values without a phase go to the L1 register. Only the
    /// newest value of a measurand is kept.
    ///
    /// A measurand with one register (Power.Active.Import, the energies, …) holds the charger's total: when a meter
    /// value carries a sampled value without a phase (OCPP 1.6 §7.45: the value for the whole connector) and per-phase
    /// values of the same measurand, the phase values are not written over it (issue 29 item 11); a phase value (L1)
    /// is taken only when the meter value has no total.
    public mutating func observeMeterValues(_ id: String, _ r: MeterValuesRequest) {
        guard let entry = chargers[id]?.entry, r.connectorId <= entry.connectors else { return }
        observeSamples(slot: entry.slot, connector: r.connectorId, r.meterValue)
    }

    mutating func observeSamples(slot: Int, connector: Int, _ values: [MeterValue]) {
        for mv in values.sorted(by: { $0.timestamp < $1.timestamp }) {
            let totals = Set(mv.sampledValue.filter { $0.phase == nil && $0.format != "SignedData" && Double($0.value) != nil }
                .compactMap { Measurement(rawValue: $0.measurand ?? "Energy.Active.Import.Register") }.filter { $0.valueOffsets.count == 1 })
            for sv in mv.sampledValue {
                guard sv.format != "SignedData", let number = Double(sv.value),
                      let m = Measurement(rawValue: sv.measurand ?? "Energy.Active.Import.Register") else { continue }
                if sv.phase != nil, totals.contains(m) { continue }
                let phase: Int
                switch sv.phase {
                case "L2", "L2-N": phase = 1
                case "L3", "L3-N": phase = 2
                case nil, "L1", "L1-N": phase = 0
                default: continue
                }
                guard phase < m.valueOffsets.count else { continue }
                image.set(.connector(slot: slot, connector: connector, .value(m, phase: phase)), .float(number))
                image.set(.connector(slot: slot, connector: connector, .units(m)), Int(MeasurementUnit.code(sv.unit ?? m.defaultUnit)))
            }
        }
    }

    /// A transaction began: it is open, and its connector's Current Transaction Data is set.
    mutating func observeTransactionStart(_ t: GatewayTransaction) {
        guard let entry = chargers[t.charger]?.entry, t.connectorId <= entry.connectors else { return }
        // A connector has one transaction at a time: one whose stop never came is superseded (this bounds the table).
        openTransactions.open(OpenTransaction(charger: t.charger, transactionId: t.transactionId), connector: t.connectorId)
        image.set(.connector(slot: entry.slot, connector: t.connectorId, .transactionIdTag), text: t.idTag)
        image.set(.connector(slot: entry.slot, connector: t.connectorId, .transactionMeterValueOnStart), .float(Double(t.meterStartWh)))
        image.set(.connector(slot: entry.slot, connector: t.connectorId, .transactionTimestamp), Self.epoch(t.startedAt))
    }

    /// A transaction ended: the samples of its StopTransaction.req go to its connector's registers, its Current
    /// Transaction Data is cleared and its current and power registers read 0 (``clearLoad(slot:connector:)``).
    mutating func observeTransactionStop(_ id: String, _ r: StopTransactionRequest) {
        guard let connector = openTransactions.close(OpenTransaction(charger: id, transactionId: r.transactionId)),
              let entry = chargers[id]?.entry, connector <= entry.connectors else { return }
        if let data = r.transactionData { observeSamples(slot: entry.slot, connector: connector, data) }
        image.set(.connector(slot: entry.slot, connector: connector, .transactionIdTag), text: "")
        image.set(.connector(slot: entry.slot, connector: connector, .transactionMeterValueOnStart), .float(0))
        image.set(.connector(slot: entry.slot, connector: connector, .transactionTimestamp), 0)
        clearLoad(slot: entry.slot, connector: connector)
    }

    // MARK: ticks

    /// Timeouts of the BMS and of the chargers, the Heartbeat register handshake, the date registers' window and
    /// partly written values. Call every ``tickIntervalSeconds``.
    public mutating func tick(now: Date) -> [GatewayAction] {
        var actions: [GatewayAction] = []
        if let raised = heartbeatRaisedAt, now.timeIntervalSince(raised) >= Self.heartbeatResetSeconds {
            image.set(.system(.heartbeat), 0)
            heartbeatRaisedAt = nil
        }
        actions += expireTimeWrites(now: now)
        actions += expirePartialValues(now: now)
        // Only the chargers with something that can time out (ChargerTable.waiting), in ChargerID order as before:
        // a sweep over every charger stalled every CALL behind it (ChargerTable explains).
        for id in chargers.waiting.sorted() {
            actions += expireBMSRequests(id, now: now)
            actions += expireOperations(id, now: now)
            actions += expireRelayed(id, now: now)
        }
        return actions
    }

    /// Whether the BMS set the Heartbeat register within the heartbeat timeout (nil: it never did).
    public func bmsOnline(now: Date) -> Bool? {
        guard let last = lastBMSHeartbeat else { return nil }
        return now.timeIntervalSince(last) <= Double(settings.bmsHeartbeatTimeoutSeconds)
    }

}
