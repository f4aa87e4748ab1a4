#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ModbusTCP
import OCPP16

/// The three "Messages to CS" blocks of seeds/003 Appendix 2.
enum IncomingBlock: CaseIterable, Sendable {
    case authorize, start, stop

    var action: String {
        switch self {
        case .authorize: AuthorizeRequest.action
        case .start: StartTransactionRequest.action
        case .stop: StopTransactionRequest.action
        }
    }

    var flag: ChargerSignal {
        switch self {
        case .authorize: .authorizationFlag
        case .start: .startFlag
        case .stop: .stopFlag
        }
    }

    var processed: ChargerSignal {
        switch self {
        case .authorize: .authorizationProcessed
        case .start: .startProcessed
        case .stop: .stopProcessed
        }
    }

    var result: ChargerSignal {
        switch self {
        case .authorize: .authorizationResult
        case .start: .startResult
        case .stop: .stopResult
        }
    }

    var parentIdTag: ChargerSignal {
        switch self {
        case .authorize: .authorizationParentIdTag
        case .start: .startParentIdTag
        case .stop: .stopParentIdTag
        }
    }

    var expiration: ChargerSignal {
        switch self {
        case .authorize: .authorizationExpiration
        case .start: .startExpiration
        case .stop: .stopExpiration
        }
    }

    /// The block a Processed register belongs to.
    init?(processed s: ChargerSignal) {
        guard let b = Self.allCases.first(where: { $0.processed == s }) else { return nil }
        self = b
    }
}

/// A charger's CALL waiting for the BMS.
struct PendingRequest: Sendable {
    enum Body: Sendable {
        case authorize(AuthorizeRequest)
        case start(StartTransactionRequest)
        case stop(StopTransactionRequest)
    }

    var messageID: String
    var body: Body
    var receivedAt: Date
}

/// What the gateway keeps per configured charger besides its registers.
struct ChargerState: Sendable {
    var entry: ChargerEntry
    var connection: UInt64?
    /// When the open connection opened.
    var connectedAt: Date?
    /// Per block, the requests in arrival order; the first one is in the registers.
    var incoming: [IncomingBlock: [PendingRequest]] = [:]
    /// Operations requested by the BMS in order; the first one is on the wire when it has a message id.
    var outgoing: [Operation] = []
    var messageCounter = 0
    /// External mode: the frames on their way through the bridge.
    var relay = RelayState()

    init(entry: ChargerEntry) { self.entry = entry }

    /// Whether anything of this charger can time out: a request waiting for the BMS, an operation queued or on the
    /// wire, a CALL in the bridge (``CentralSystem/tick(now:)`` expires them). False for a charger between its
    /// messages.
    var waits: Bool {
        !outgoing.isEmpty || !relay.toCentral.isEmpty || !relay.toCharger.isEmpty || incoming.values.contains { !$0.isEmpty }
    }
}

extension CentralSystem {
    /// Requests of one kind queued per charger for the BMS. A charger sends one CALL at a time (OCPP-J §4.1.1), so
    /// a few are retries; more are refused with a CALLERROR instead of growing the queue (issue #20 item 6).
    static let maximumQueuedRequests = 8

    /// Queues a charger's request for the BMS and presents it when its block is free.
    mutating func enqueue(_ id: String, _ block: IncomingBlock, _ request: PendingRequest) -> [GatewayAction] {
        guard var c = chargers[id] else { return [] }
        // A charger without registers cannot reach the BMS: the safe answer at once.
        if c.entry.slot == ChargerEntry.noSlot { return answerWithoutBMS(id, block, request, because: "it has no registers (not configured)") }
        guard (c.incoming[block]?.count ?? 0) < Self.maximumQueuedRequests else {
            let error = OCPPError(.genericError, "\(Self.maximumQueuedRequests) \(block.action) requests already wait for the BMS; send it again once they are answered")
            return [.send(charger: id, text: OCPPFrame.error(error, id: request.messageID).serialized()),
                    .log(.init(.warning, id, "\(block.action) \(request.messageID) refused: \(Self.maximumQueuedRequests) requests already wait for the BMS"))]
        }
        c.incoming[block, default: []].append(request)
        let first = c.incoming[block]!.count == 1
        chargers[id] = c
        if first { present(id, block) }
        return []
    }

    /// Writes the first queued request of a block into its registers and raises the Flag.
    mutating func present(_ id: String, _ block: IncomingBlock) {
        guard let c = chargers[id], let request = c.incoming[block]?.first else { return }
        let slot = c.entry.slot
        func set(_ s: ChargerSignal, _ v: RegisterValue) { image.set(.charger(slot: slot, s), v) }
        func set(_ s: ChargerSignal, _ v: Int) { image.set(.charger(slot: slot, s), v) }
        switch request.body {
        case .authorize(let r):
            set(.authorizationIdTag, .text(r.idTag))
        case .start(let r):
            set(.startConnectorId, r.connectorId)
            set(.startIdTag, .text(r.idTag))
            set(.startMeterValue, .float(Double(r.meterStart)))
            set(.startReservationId, r.reservationId.map { min(max($0, 0), 0xFFFE) } ?? Self.notSet)
            set(.startTimestamp, Self.epoch(r.timestamp))
        case .stop(let r):
            set(.stopIdTag, .text(r.idTag ?? ""))
            set(.stopMeterValue, .float(Double(r.meterStop)))
            set(.stopTimestamp, Self.epoch(r.timestamp))
            set(.stopTransactionId, r.transactionId)
            set(.stopReason, StopReasonCode.reasons.firstIndex(of: r.reason ?? "Local") ?? 5)
        }
        resetResponseRegisters(slot: slot, block)
        set(block.flag, 1)
    }

    /// Clears what the BMS wrote for the previous request, so nothing of it carries over to the next one.
    mutating func resetResponseRegisters(slot: Int, _ block: IncomingBlock) {
        image.set(.charger(slot: slot, block.processed), 0)
        image.set(.charger(slot: slot, block.parentIdTag), text: "")
        image.set(.charger(slot: slot, block.expiration), 0)
        image.set(.charger(slot: slot, block.result), Self.notSet)
        if block == .start { image.set(.charger(slot: slot, .startTransactionId), 0) }
    }

    /// The BMS wrote Processed = 1: answers the charger with what the BMS wrote and presents the next request.
    /// Refused (exception 03) when no request is pending or no valid result was written.
    mutating func processed(_ id: String, _ block: IncomingBlock, now: Date) throws(ModbusRefusal) -> [GatewayAction] {
        guard let c = chargers[id], let request = c.incoming[block]?.first else {
            throw ModbusRefusal(.illegalDataValue, "\(block.action) Processed written while no request is pending")
        }
        let slot = c.entry.slot
        let code = image.integer(.charger(slot: slot, block.result))
        guard AuthorizationResultCode.statuses.indices.contains(code) else {
            throw ModbusRefusal(.illegalDataValue, "\(block.action) Processed written before a result 0…4")
        }
        let parent = image.text(.charger(slot: slot, block.parentIdTag))
        let expiration = image.integer(.charger(slot: slot, block.expiration))
        let info = IdTagInfo(status: AuthorizationResultCode.statuses[code],
                             expiryDate: expiration > 0 ? Date(timeIntervalSince1970: TimeInterval(expiration)) : nil,
                             parentIdTag: parent.isEmpty ? nil : parent)
        var transactionId = image.integer(.charger(slot: slot, .startTransactionId))
        var actions: [GatewayAction] = []
        if block == .start, transactionId == 0 {
            transactionId = allocateTransactionId()
            actions.append(.nextTransactionId(nextTransactionId))
        }
        actions += answer(id, request, info: info, transactionId: transactionId, byBMS: true)
        actions.append(.handshakeEnded(HandshakeEnded(charger: id, block: .messagesToCS, action: block.action,
                                                      seconds: max(0, now.timeIntervalSince(request.receivedAt)), end: .answered)))
        complete(id, block)
        return actions
    }

    /// Answers a charger's request (from the BMS's decision or, on timeout, the gateway's safe one).
    mutating func answer(_ id: String, _ request: PendingRequest, info: IdTagInfo, transactionId: Int, byBMS: Bool) -> [GatewayAction] {
        var actions: [GatewayAction] = []
        let payload: JSONValue
        switch request.body {
        case .authorize:
            payload = OCPPCoding.encode(AuthorizeResponse(idTagInfo: info))
        case .start(let r):
            let t = GatewayTransaction(charger: id, connectorId: r.connectorId, transactionId: transactionId, idTag: r.idTag,
                                       meterStartWh: r.meterStart, startedAt: r.timestamp, status: info.status.rawValue, decidedBy: byBMS ? .bms : .gateway)
            actions.append(.transactionStarted(t))
            observeTransactionStart(t)
            payload = OCPPCoding.encode(StartTransactionResponse(idTagInfo: info, transactionId: transactionId))
        case .stop(let r):
            actions.append(.transactionStopped(GatewayTransactionStop(charger: id, transactionId: r.transactionId, meterStopWh: r.meterStop,
                                                                      stoppedAt: r.timestamp, reason: r.reason ?? "Local", decidedBy: byBMS ? .bms : .gateway)))
            observeTransactionStop(id, r)
            // idTagInfo only when the request carried an idTag (OCPP 1.6 §6.52).
            payload = OCPPCoding.encode(StopTransactionResponse(idTagInfo: r.idTag == nil ? nil : info))
        }
        actions.append(.send(charger: id, text: OCPPFrame.callResult(id: request.messageID, payload: payload).serialized()))
        return actions
    }

    /// Lowers the Flag, drops the answered request and presents the next one.
    mutating func complete(_ id: String, _ block: IncomingBlock) {
        guard var c = chargers[id], !(c.incoming[block] ?? []).isEmpty else { return }
        c.incoming[block]!.removeFirst()
        chargers[id] = c
        resetResponseRegisters(slot: c.entry.slot, block)
        image.set(.charger(slot: c.entry.slot, block.flag), 0)
        present(id, block)
    }

    mutating func allocateTransactionId() -> Int {
        var id = nextTransactionId
        // Skip ids still open (after 65535 transactions the numbers wrap).
        for _ in Self.transactionIdRange where openTransactions.containsTransactionId(id) {
            id = id >= Self.transactionIdRange.upperBound ? 1 : id + 1
        }
        nextTransactionId = id >= Self.transactionIdRange.upperBound ? 1 : id + 1
        return id
    }

    /// Answers requests the BMS left unprocessed for longer than the BMS timeout: Invalid, the transaction kept in the
    /// gateway only.
    mutating func expireBMSRequests(_ id: String, now: Date) -> [GatewayAction] {
        var actions: [GatewayAction] = []
        let timeout = TimeInterval(settings.bmsTimeoutSeconds)
        for block in IncomingBlock.allCases {
            while let c = chargers[id], let first = c.incoming[block]?.first, now.timeIntervalSince(first.receivedAt) >= timeout {
                actions += answerWithoutBMS(id, block, first, because: "the BMS did not process it within \(settings.bmsTimeoutSeconds) s")
                actions.append(.handshakeEnded(HandshakeEnded(charger: id, block: .messagesToCS, action: block.action,
                                                              seconds: max(0, now.timeIntervalSince(first.receivedAt)), end: .timedOut)))
                complete(id, block)
            }
        }
        return actions
    }

    /// The gateway's safe answer to a request the BMS does not decide: Invalid; a StartTransaction gets a transaction
    /// id of the gateway's own and is recorded in the gateway only. Logged.
    mutating func answerWithoutBMS(_ id: String, _ block: IncomingBlock, _ request: PendingRequest, because reason: String) -> [GatewayAction] {
        var actions: [GatewayAction] = []
        var transactionId = 0
        if block == .start {
            transactionId = allocateTransactionId()
            actions.append(.nextTransactionId(nextTransactionId))
        }
        actions += answer(id, request, info: IdTagInfo(status: .invalid), transactionId: transactionId, byBMS: false)
        let detail = block == .start ? "; transaction \(transactionId) recorded in the gateway only" : ""
        actions.append(.log(.init(.warning, id, "\(block.action) answered Invalid because \(reason)\(detail)")))
        return actions
    }
}
