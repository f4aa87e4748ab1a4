#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ModbusTCP
import OCPP16

/// An operation the BMS requested from a charger.
struct Operation: Sendable {
    enum Kind: Sendable, Equatable {
        case cancelReservation, clearCache, clearChargingProfile, getLocalListVersion, reserveNow, reset, sendLocalList
        case triggerMessage, remoteStart, remoteStop
        case unlock(connector: Int)
        case availability(connector: Int, previous: Int)
    }

    var kind: Kind
    var action: String
    var payload: JSONValue
    var messageID: String?
    var sentAt: Date?
    /// Send Local List runs in two steps: GetLocalListVersion first, then SendLocalList with the next version.
    var localListEntry: AuthorizationData?
    /// When the BMS wrote the Flag: the start of the handshake's latency (``HandshakeEnded``).
    var requestedAt: Date?

    /// The handshake's action: Send Local List's, also while its GetLocalListVersion step is on the wire.
    var handshakeAction: String { kind == .sendLocalList ? SendLocalListRequest.action : action }

    /// The handshake ended at `now`.
    func ended(_ charger: String, _ end: HandshakeEnded.End, now: Date) -> GatewayAction {
        .handshakeEnded(HandshakeEnded(charger: charger, block: .messagesFromCS, action: handshakeAction,
                                       seconds: requestedAt.map { max(0, now.timeIntervalSince($0)) } ?? 0, end: end))
    }
    /// An operator's operation (MQTT): where its answer goes (``CentralSystem/operatorCommand(_:_:replyTo:now:)``).
    var replyTo: String?
}

extension Operation.Kind {
    /// The Flag register (or the connector register) that is 1 while the operation runs.
    func flag(slot: Int) -> SignalAddress {
        switch self {
        case .cancelReservation: .charger(slot: slot, .cancelReservationFlag)
        case .clearCache: .charger(slot: slot, .clearCacheFlag)
        case .clearChargingProfile: .charger(slot: slot, .clearChargingProfileFlag)
        case .getLocalListVersion: .charger(slot: slot, .getLocalListVersionFlag)
        case .reserveNow: .charger(slot: slot, .reserveNowFlag)
        case .reset: .charger(slot: slot, .resetFlag)
        case .sendLocalList: .charger(slot: slot, .sendLocalListFlag)
        case .triggerMessage: .charger(slot: slot, .triggerMessageFlag)
        case .remoteStart: .charger(slot: slot, .remoteStartFlag)
        case .remoteStop: .charger(slot: slot, .remoteStopFlag)
        case .unlock(let yy): .connector(slot: slot, connector: yy, .unlockConnector)
        case .availability(let yy, _): .connector(slot: slot, connector: yy, .availability)
        }
    }

    /// The result register, if the seed has one.
    func result(slot: Int) -> SignalAddress? {
        switch self {
        case .cancelReservation: .charger(slot: slot, .cancelReservationResult)
        case .clearCache: .charger(slot: slot, .clearCacheResult)
        case .clearChargingProfile: .charger(slot: slot, .clearChargingProfileResult)
        case .getLocalListVersion: .charger(slot: slot, .localListVersion)
        case .reserveNow: .charger(slot: slot, .reserveNowResult)
        case .reset: .charger(slot: slot, .resetStatus)
        case .sendLocalList: .charger(slot: slot, .sendLocalListResult)
        case .triggerMessage: .charger(slot: slot, .triggerMessageStatus)
        case .remoteStart: .charger(slot: slot, .remoteStartResult)
        case .remoteStop: .charger(slot: slot, .remoteStopStatus)
        case .unlock, .availability: nil
        }
    }
}

/// The result codes of the "Messages from CS" blocks. The seed numbers every status in one list (0 = Accepted,
/// 1 = Rejected, 3 = NotSupported, 4 = Unknown, 8 = Faulted/Failed, 9 = Occupied, 11 = NotImplemented,
/// 12 = VersionMismatch); ReserveNow's "Unavailable", which the seed leaves out, reads 7 like the connector status
/// Unavailable.
///
/// - SeeAlso: seeds/003 Appendix 2, "Result" registers of Cancel Reservation … Remote Stop.
public enum OperationResultCode {
    public static func code(_ status: String) -> Int? {
        switch status {
        case "Accepted": 0
        case "Rejected": 1
        case "NotSupported": 3
        case "Unknown": 4
        case "Unavailable": 7
        case "Faulted", "Failed": 8
        case "Occupied": 9
        case "NotImplemented": 11
        case "VersionMismatch": 12
        default: nil
        }
    }

    /// Requested Message codes of the Trigger Message block.
    public static let triggerMessages: [MessageTrigger] = [.bootNotification, .diagnosticsStatusNotification, .firmwareStatusNotification,
                                                           .heartbeat, .meterValues, .statusNotification]
    /// Charging Profile Purpose codes of the Clear Charging Profile block (the seed gives none; ChargeKit numbers the
    /// OCPP enumeration in its order).
    public static let chargingProfilePurposes: [ChargingProfilePurpose] = [.chargePointMaxProfile, .txDefaultProfile, .txProfile]
    /// The Version register when the charger did not answer (-1 is OCPP's "no local list support").
    public static let versionNoAnswer = -32768
}

extension CentralSystem {
    /// The BMS raised the Flag of a "Messages from CS" block (or wrote an Unlock/Availability register): builds the
    /// request from the parameter registers and queues it. Throws exception 03 for missing or invalid parameters and
    /// 0x0A (gateway path unavailable) when the charger is not connected.
    mutating func request(_ id: String, _ kind: Operation.Kind, flagValue: Int, now: Date) throws(ModbusRefusal) -> [GatewayAction] {
        guard let c = chargers[id] else { return [] }
        let slot = c.entry.slot
        func int(_ s: ChargerSignal) -> Int { image.integer(.charger(slot: slot, s)) }
        func text(_ s: ChargerSignal) -> String { image.text(.charger(slot: slot, s)) }
        func optional(_ s: ChargerSignal) -> Int? { let v = int(s); return v == Self.notSet ? nil : v }
        func date(_ s: ChargerSignal) -> Date? { let v = int(s); return v > 0 ? Date(timeIntervalSince1970: TimeInterval(v)) : nil }
        func refuse(_ why: String) -> ModbusRefusal { ModbusRefusal(.illegalDataValue, why) }
        guard !c.outgoing.contains(where: { $0.kind.flag(slot: slot) == kind.flag(slot: slot) }) else {
            throw refuse("the previous \(kind) operation of \(id) is still running")
        }
        var op: Operation
        switch kind {
        case .cancelReservation:
            op = Operation(kind: kind, action: CancelReservationRequest.action,
                           payload: OCPPCoding.encode(CancelReservationRequest(reservationId: int(.cancelReservationId))))
        case .clearCache:
            op = Operation(kind: kind, action: ClearCacheRequest.action, payload: OCPPCoding.encode(ClearCacheRequest()))
        case .clearChargingProfile:
            let purpose = optional(.clearChargingProfilePurpose).map { OperationResultCode.chargingProfilePurposes[$0] }
            op = Operation(kind: kind, action: ClearChargingProfileRequest.action,
                           payload: OCPPCoding.encode(ClearChargingProfileRequest(id: optional(.clearChargingProfileId),
                                                                                 connectorId: optional(.clearChargingProfileConnectorId),
                                                                                 chargingProfilePurpose: purpose,
                                                                                 stackLevel: optional(.clearChargingProfileStackLevel))))
        case .getLocalListVersion:
            op = Operation(kind: kind, action: GetLocalListVersionRequest.action, payload: OCPPCoding.encode(GetLocalListVersionRequest()))
        case .reserveNow:
            let idTag = text(.reserveNowIdTag)
            guard !idTag.isEmpty else { throw refuse("Reserve Now needs the Id Tag") }
            guard let expiry = date(.reserveNowExpiration) else { throw refuse("Reserve Now needs the Expiration Date") }
            let parent = text(.reserveNowParentIdTag)
            op = Operation(kind: kind, action: ReserveNowRequest.action,
                           payload: OCPPCoding.encode(ReserveNowRequest(connectorId: int(.reserveNowConnectorId), expiryDate: expiry, idTag: idTag,
                                                                        parentIdTag: parent.isEmpty ? nil : parent,
                                                                        reservationId: int(.reserveNowReservationId))))
        case .reset:
            op = Operation(kind: kind, action: ResetRequest.action, payload: OCPPCoding.encode(ResetRequest(type: flagValue == 2 ? .hard : .soft)))
        case .sendLocalList:
            let operation = int(.sendLocalListOperation)
            guard (1...3).contains(operation) else { throw refuse("Send Local List needs the Operation 1 (add), 2 (delete) or 3 (modify)") }
            let idTag = text(.sendLocalListIdTag)
            guard !idTag.isEmpty else { throw refuse("Send Local List needs the Id Tag") }
            var entry = AuthorizationData(idTag: idTag)
            if operation != 2 {
                let status = int(.sendLocalListAuthorizationStatus)
                guard AuthorizationResultCode.statuses.indices.contains(status) else {
                    throw refuse("Send Local List add/modify needs the Authorization Status 0…4")
                }
                let parent = text(.sendLocalListParentIdTag)
                entry.idTagInfo = IdTagInfo(status: AuthorizationResultCode.statuses[status], expiryDate: date(.sendLocalListExpiration),
                                            parentIdTag: parent.isEmpty ? nil : parent)
            }
            op = Operation(kind: kind, action: GetLocalListVersionRequest.action, payload: OCPPCoding.encode(GetLocalListVersionRequest()),
                           localListEntry: entry)
        case .triggerMessage:
            let message = int(.triggerMessageRequestedMessage)
            guard OperationResultCode.triggerMessages.indices.contains(message) else { throw refuse("Requested Message must be 0…5") }
            let connector = int(.triggerMessageConnectorId)
            op = Operation(kind: kind, action: TriggerMessageRequest.action,
                           payload: OCPPCoding.encode(TriggerMessageRequest(requestedMessage: OperationResultCode.triggerMessages[message],
                                                                            connectorId: connector > 0 ? connector : nil)))
        case .remoteStart:
            let idTag = text(.remoteStartIdTag)
            guard !idTag.isEmpty else { throw refuse("Remote Start needs the Id Tag") }
            let connector = int(.remoteStartConnectorId)
            op = Operation(kind: kind, action: RemoteStartTransactionRequest.action,
                           payload: OCPPCoding.encode(RemoteStartTransactionRequest(connectorId: connector > 0 ? connector : nil, idTag: idTag)))
        case .remoteStop:
            op = Operation(kind: kind, action: RemoteStopTransactionRequest.action,
                           payload: OCPPCoding.encode(RemoteStopTransactionRequest(transactionId: int(.remoteStopTransactionId))))
        case .unlock(let yy):
            guard yy >= 1 else { throw refuse("connector 0 is the charge point as a whole; unlock connector 1…\(c.entry.connectors)") }
            op = Operation(kind: kind, action: UnlockConnectorRequest.action, payload: OCPPCoding.encode(UnlockConnectorRequest(connectorId: yy)))
        case .availability(let yy, _):
            op = Operation(kind: kind, action: ChangeAvailabilityRequest.action,
                           payload: OCPPCoding.encode(ChangeAvailabilityRequest(connectorId: yy, type: flagValue == 0 ? .inoperative : .operative)))
        }
        // Parameters first (03), then the path to the charger (0x0A).
        guard c.connection != nil else { throw ModbusRefusal(.gatewayPathUnavailable, "charger \(id) is not connected") }
        op.requestedAt = now
        chargers[id]?.outgoing.append(op)
        image.set(kind.flag(slot: slot), flagValue)
        return sendNext(id, now: now)
    }

    /// Sends the first queued operation when nothing is on the wire.
    mutating func sendNext(_ id: String, now: Date) -> [GatewayAction] {
        guard var c = chargers[id], c.connection != nil, var op = c.outgoing.first, op.messageID == nil else { return [] }
        c.messageCounter += 1
        let messageID = "gw-\(c.messageCounter)"
        op.messageID = messageID
        op.sentAt = now
        c.outgoing[0] = op
        chargers[id] = c
        return [.send(charger: id, text: OCPPFrame.call(id: messageID, action: op.action, payload: op.payload).serialized())]
    }

    /// A CALLRESULT or CALLERROR from a charger.
    mutating func answer(_ id: String, messageID: String, result: Result<JSONValue, OCPPError>, now: Date) -> [GatewayAction] {
        guard var c = chargers[id], let op = c.outgoing.first, op.messageID == messageID else {
            return [.log(.init(.warning, id, "answer to unknown message \(messageID) ignored"))]
        }
        let slot = c.entry.slot
        var actions: [GatewayAction] = []
        var status: String?
        var failure: String?
        switch result {
        case .failure(let e):
            failure = "\(e.code.rawValue) \(e.description)"
        case .success(let payload):
            do {
                try OCPP16Catalog.entries[op.action]?.request.responseSchema.validate(payload)
                if case .object(let o) = payload {
                    if case .string(let s)? = o["status"] { status = s }
                    if case .integer(let v)? = o["listVersion"] { status = String(v) }
                }
            } catch {
                failure = "invalid \(op.action).conf: \(error.description)"
            }
        }
        c.outgoing.removeFirst()
        if failure == nil, let entry = op.localListEntry, let version = status.flatMap(Int.init) {
            // Step 2 of Send Local List: the next version after the charger's.
            image.set(.charger(slot: slot, .localListVersion), version)
            if version < 0 {
                chargers[id] = c
                finish(op, result: 3, charger: c.entry)
                actions.append(op.ended(id, .answered, now: now))
                actions.append(.log(.init(.info, id, "SendLocalList: the charger has no local list (version \(version))")))
                return actions + sendNext(id, now: now)
            }
            let send = Operation(kind: op.kind, action: SendLocalListRequest.action,
                                 payload: OCPPCoding.encode(SendLocalListRequest(listVersion: version + 1, localAuthorizationList: [entry],
                                                                                 updateType: .differential)),
                                 requestedAt: op.requestedAt)
            c.outgoing.insert(send, at: 0)
            chargers[id] = c
            return sendNext(id, now: now)
        }
        chargers[id] = c
        if let failure {
            finish(op, result: Self.noAnswer, charger: c.entry)
            actions.append(op.ended(id, .failed, now: now))
            actions.append(.log(.init(.warning, id, "\(op.action) failed: \(failure)")))
            actions += operatorAnswer(op, charger: id, failure: failure)
        } else {
            let value: Int
            if case .getLocalListVersion = op.kind { value = Int(status ?? "") ?? OperationResultCode.versionNoAnswer } else {
                value = status.flatMap(OperationResultCode.code) ?? Self.noAnswer
            }
            finish(op, result: value, charger: c.entry, accepted: status.map { ["Accepted", "Scheduled", "Unlocked"].contains($0) } ?? true)
            if op.action == SendLocalListRequest.action, status == "Accepted", case .object(let o) = op.payload, case .integer(let v)? = o["listVersion"] {
                image.set(.charger(slot: slot, .localListVersion), Int(v))
            }
            actions.append(op.ended(id, .answered, now: now))
            actions.append(.log(.init(.info, id, "\(op.action): \(status ?? "answered")")))
            actions += operatorAnswer(op, charger: id, status: status)
        }
        return actions + sendNext(id, now: now)
    }

    /// Writes an operation's result and lowers its Flag. A refused availability change puts the register back.
    mutating func finish(_ op: Operation, result: Int, charger: ChargerEntry, accepted: Bool = false) {
        let slot = charger.slot
        switch op.kind {
        case .unlock:
            image.set(op.kind.flag(slot: slot), 0)
        case .availability(_, let previous):
            if !accepted { image.set(op.kind.flag(slot: slot), previous) }
        case .getLocalListVersion:
            image.set(op.kind.result(slot: slot)!, result == Self.noAnswer ? OperationResultCode.versionNoAnswer : result)
            image.set(op.kind.flag(slot: slot), 0)
        default:
            if let r = op.kind.result(slot: slot) { image.set(r, result) }
            image.set(op.kind.flag(slot: slot), 0)
        }
    }

    /// Ends the operation on the wire when the charger did not answer in time.
    mutating func expireOperations(_ id: String, now: Date) -> [GatewayAction] {
        guard let c = chargers[id], let op = c.outgoing.first, let sent = op.sentAt,
              now.timeIntervalSince(sent) >= TimeInterval(settings.chargerTimeoutSeconds) else { return [] }
        chargers[id]?.outgoing.removeFirst()
        finish(op, result: Self.noAnswer, charger: c.entry)
        return [op.ended(id, .timedOut, now: now), .log(.init(.warning, id, "\(op.action) not answered within \(settings.chargerTimeoutSeconds) s"))]
            + operatorAnswer(op, charger: id, failure: "not answered within \(settings.chargerTimeoutSeconds) s") + sendNext(id, now: now)
    }
}
