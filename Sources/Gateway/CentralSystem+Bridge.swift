#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16

/// A CALL on its way through the bridge: the frame as it arrived (relayed unchanged) and what the register updates
/// need of it.
struct RelayedCall: Sendable {
    var messageID: String
    var action: String
    var payload: JSONValue
    var text: String
    /// When it was sent on; nil while it is held.
    var sentAt: Date?
}

/// What the bridge keeps per charger (External mode).
struct RelayState: Sendable {
    /// The charger's upstream connection to the external central system is open.
    var upstreamOpen = false
    /// The charger's CALLs in arrival order; the first is on the wire when it has `sentAt`, the rest are held.
    var toCentral: [RelayedCall] = []
    /// The external central system's CALLs in arrival order; the first is on the wire when it has `sentAt`.
    var toCharger: [RelayedCall] = []
    /// Charger CALLs sent upstream whose answer did not come within the timeout, so that a late StartTransaction.conf
    /// still updates the registers (the newest few).
    var late: [RelayedCall] = []
}

/// External mode (seeds/003 use case 2, §2.4): the gateway is a bridge between the chargers and an external central
/// system. For every charger that connects, it opens `<externalURL>/<ChargerID>` and relays every frame in both
/// directions unchanged — same text, same message ids — while it updates the read-only registers from what passes
/// through (§2.4.1.1: "the Intesis gateway is merely updating the values that are available in the OCPP
/// communication").
///
/// - **One outstanding CALL per direction** (OCPP-J §4.1.1): a CALL is sent on only when the previous one in its
///   direction was answered or timed out (``GatewaySettings/chargerTimeoutSeconds``); CALLs that arrive meanwhile are
///   held in order.
/// - **Upstream down**: the charger stays connected and its CALLs are held in order until the upstream connection is
///   open again; the CALL that was on the wire when it closed is sent again first. A held CALL the charger sends again
///   (same action and payload, a new message id: a transaction message retry) replaces the held one instead of
///   reaching the central system twice. At most ``maximumHeldCalls`` are held; beyond that the oldest non-transaction
///   CALL is dropped. The gateway never answers a charger's CALL in the central system's place, so a message is
///   only acknowledged to the charger by the central system itself: nothing is lost if the gateway stops, because the
///   charger still owns every unanswered transaction message.
/// - **Charger down**: its upstream connection is closed (the central system sees the charger go offline) and its
///   held CALLs are dropped: the charger sends its transaction messages again when it reconnects.
/// - Registers: BootNotification, StatusNotification, MeterValues and StopTransaction update them as they arrive;
///   StartTransaction when the central system's answer brings the transaction id.
extension CentralSystem {
    /// The most CALLs held for one charger while its upstream connection is down (a day of MeterValues every 90 s).
    public static let maximumHeldCalls = 1000
    /// Timed-out CALLs kept per charger for a late answer.
    static let lateCallsKept = 8

    // MARK: events from the adapters

    /// A text frame from a charger in External mode.
    mutating func relayFromCharger(_ id: String, text: String, now: Date) -> [GatewayAction] {
        guard var c = chargers[id] else { return [] }
        let frame: OCPPFrame
        do { frame = try OCPPFrame.parse(text) } catch {
            // Not relayed: the central system would close the connection over it. The charger gets the CALLERROR.
            guard let messageID = error.messageID else { return [.log(.init(.warning, id, "unreadable frame dropped: \(error.description)"))] }
            return [.send(charger: id, text: OCPPFrame.error(error, id: messageID).serialized()),
                    .log(.init(.warning, id, "malformed frame answered with \(error.code.rawValue) and not relayed: \(error.description)"))]
        }
        var actions: [GatewayAction] = []
        switch frame {
        case .call(let messageID, let action, let payload):
            actions += observeCall(id, action: action, payload: payload, now: now)
            if let i = c.relay.toCentral.firstIndex(where: { $0.sentAt == nil && $0.action == action && $0.payload == payload }) {
                actions.append(.log(.init(.info, id, "\(action) \(messageID) repeats held \(c.relay.toCentral[i].messageID); sent once, as \(messageID)")))
                c.relay.toCentral[i].messageID = messageID
                c.relay.toCentral[i].text = text
            } else {
                c.relay.toCentral.append(RelayedCall(messageID: messageID, action: action, payload: payload, text: text))
                if c.relay.toCentral.count > Self.maximumHeldCalls {
                    let transactional: Set<String> = [StartTransactionRequest.action, StopTransactionRequest.action]
                    let i = c.relay.toCentral.firstIndex { $0.sentAt == nil && !transactional.contains($0.action) } ?? c.relay.toCentral.count - 1
                    let dropped = c.relay.toCentral.remove(at: i)
                    actions.append(.log(.init(.warning, id, "more than \(Self.maximumHeldCalls) CALLs held for the central system; \(dropped.action) \(dropped.messageID) dropped")))
                }
            }
        case .callResult(let messageID, _), .callError(let messageID, _, _, _):
            if c.relay.toCharger.first?.messageID == messageID, c.relay.toCharger.first?.sentAt != nil { c.relay.toCharger.removeFirst() }
            if c.relay.upstreamOpen {
                actions.append(.sendUpstream(charger: id, text: text))
            } else {
                actions.append(.log(.init(.warning, id, "answer \(messageID) not relayed: the central system is not connected")))
            }
        }
        chargers[id] = c
        return actions + pump(id, now: now)
    }

    /// The charger's upstream connection opened: held CALLs go out, one at a time.
    public mutating func upstreamConnected(_ id: String, now: Date) -> [GatewayAction] {
        guard var c = chargers[id], c.connection != nil else { return [] }
        c.relay.upstreamOpen = true
        chargers[id] = c
        let held = c.relay.toCentral.count
        return [.log(.init(.info, id, "central system connected" + (held > 0 ? "; \(held) held CALL(s) to send" : "")))] + pump(id, now: now)
    }

    /// The charger's upstream connection closed (the adapter keeps reconnecting while the charger is connected).
    public mutating func upstreamDisconnected(_ id: String, reason: String, now: Date) -> [GatewayAction] {
        guard var c = chargers[id], c.relay.upstreamOpen else { return [] }
        c.relay.upstreamOpen = false
        // The CALL on the wire goes again first; the central system's own CALLs belong to the closed connection.
        if !c.relay.toCentral.isEmpty { c.relay.toCentral[0].sentAt = nil }
        c.relay.toCharger = []
        chargers[id] = c
        return [.log(.init(.warning, id, "central system disconnected: \(reason); the charger's CALLs are held until it is back"))]
    }

    /// A text frame from the external central system on the charger's upstream connection.
    public mutating func upstreamReceived(_ id: String, text: String, now: Date) -> [GatewayAction] {
        guard var c = chargers[id], c.relay.upstreamOpen else { return [] }
        let frame: OCPPFrame
        do { frame = try OCPPFrame.parse(text) } catch {
            guard let messageID = error.messageID else {
                return [.log(.init(.warning, id, "unreadable frame from the central system dropped: \(error.description)"))]
            }
            return [.sendUpstream(charger: id, text: OCPPFrame.error(error, id: messageID).serialized()),
                    .log(.init(.warning, id, "malformed frame from the central system answered with \(error.code.rawValue): \(error.description)"))]
        }
        var actions: [GatewayAction] = []
        switch frame {
        case .call(let messageID, let action, let payload):
            guard c.connection != nil else {
                return [.sendUpstream(charger: id, text: OCPPFrame.error(OCPPError(.genericError, "\(id) is not connected to the gateway"), id: messageID).serialized())]
            }
            c.relay.toCharger.append(RelayedCall(messageID: messageID, action: action, payload: payload, text: text))
        case .callResult(let messageID, _), .callError(let messageID, _, _, _):
            var answered: RelayedCall?
            if let first = c.relay.toCentral.first, first.messageID == messageID, first.sentAt != nil {
                answered = c.relay.toCentral.removeFirst()
            } else if let i = c.relay.late.firstIndex(where: { $0.messageID == messageID }) {
                answered = c.relay.late.remove(at: i)
            }
            if let call = answered, case .callResult(_, let payload) = frame { actions += observeAnswer(id, call, payload) }
            if c.connection != nil { actions.append(.send(charger: id, text: text)) }
        }
        chargers[id] = c
        return actions + pump(id, now: now)
    }

    /// The bridge's part of a charger (re)connecting: its upstream connection opens (or stays open), and what was
    /// held for the previous connection is dropped.
    mutating func relayChargerConnected(_ c: inout ChargerState) -> [GatewayAction] {
        resetRelay(&c, keepUpstream: true)
        return c.relay.upstreamOpen ? [] : [.openUpstream(charger: c.entry.id)]
    }

    /// The bridge's part of a charger disconnecting: its upstream connection closes.
    mutating func relayChargerDisconnected(_ c: inout ChargerState) -> [GatewayAction] {
        let held = c.relay.toCentral.filter { $0.sentAt == nil }.count
        resetRelay(&c, keepUpstream: false)
        return [.closeUpstream(charger: c.entry.id)]
            + (held > 0 ? [.log(.init(.info, c.entry.id, "\(held) held CALL(s) dropped with the connection; the charger sends its transaction messages again"))] : [])
    }

    private func resetRelay(_ c: inout ChargerState, keepUpstream: Bool) {
        // A CALL on the wire keeps its answer's register update; held ones belong to the charger's old connection.
        let onTheWire = c.relay.toCentral.filter { $0.sentAt != nil }
        c.relay = RelayState(upstreamOpen: keepUpstream && c.relay.upstreamOpen, late: keepUpstream ? Array((c.relay.late + onTheWire).suffix(Self.lateCallsKept)) : [])
    }

    /// Times out CALLs whose answer did not come: the next one in their direction goes out.
    mutating func expireRelayed(_ id: String, now: Date) -> [GatewayAction] {
        guard var c = chargers[id] else { return [] }
        let timeout = TimeInterval(settings.chargerTimeoutSeconds)
        var actions: [GatewayAction] = []
        if let first = c.relay.toCentral.first, let sent = first.sentAt, now.timeIntervalSince(sent) >= timeout {
            c.relay.toCentral.removeFirst()
            c.relay.late = Array((c.relay.late + [first]).suffix(Self.lateCallsKept))
            actions.append(.log(.init(.warning, id, "central system did not answer \(first.action) \(first.messageID) within \(settings.chargerTimeoutSeconds) s")))
        }
        if let first = c.relay.toCharger.first, let sent = first.sentAt, now.timeIntervalSince(sent) >= timeout {
            c.relay.toCharger.removeFirst()
            actions.append(.log(.init(.warning, id, "charger did not answer \(first.action) \(first.messageID) within \(settings.chargerTimeoutSeconds) s")))
        }
        chargers[id] = c
        return actions.isEmpty ? [] : actions + pump(id, now: now)
    }

    /// Sends the next CALL in each direction when none is on the wire.
    private mutating func pump(_ id: String, now: Date) -> [GatewayAction] {
        guard var c = chargers[id] else { return [] }
        var actions: [GatewayAction] = []
        if c.relay.upstreamOpen, let first = c.relay.toCentral.first, first.sentAt == nil {
            c.relay.toCentral[0].sentAt = now
            actions.append(.sendUpstream(charger: id, text: first.text))
        }
        if c.connection != nil, let first = c.relay.toCharger.first, first.sentAt == nil {
            c.relay.toCharger[0].sentAt = now
            actions.append(.send(charger: id, text: first.text))
        }
        chargers[id] = c
        return actions
    }

    // MARK: register updates from what passes through

    /// The register updates of a charger's CALL as it arrives. Payloads that do not decode update nothing (the central
    /// system answers them).
    private mutating func observeCall(_ id: String, action: String, payload: JSONValue, now: Date) -> [GatewayAction] {
        switch action {
        case BootNotificationRequest.action:
            if let r = try? BootNotificationRequest(json: payload) { observeBoot(id, r) }
        case StatusNotificationRequest.action:
            if let r = try? StatusNotificationRequest(json: payload), let problem = observeStatus(id, r) { return [.log(.init(.warning, id, problem))] }
        case MeterValuesRequest.action:
            if let r = try? MeterValuesRequest(json: payload) { observeMeterValues(id, r) }
        case StopTransactionRequest.action:
            guard let r = try? StopTransactionRequest(json: payload),
                  openTransactions[OpenTransaction(charger: id, transactionId: r.transactionId)] != nil else { return [] }
            observeTransactionStop(id, r)
            return [.transactionStopped(GatewayTransactionStop(charger: id, transactionId: r.transactionId, meterStopWh: r.meterStop,
                                                               stoppedAt: r.timestamp, reason: r.reason ?? "Local", decidedBy: .external))]
        default:
            break
        }
        return []
    }

    /// The register updates of the central system's answer to a charger's CALL: StartTransaction.conf opens the
    /// transaction under the central system's id.
    private mutating func observeAnswer(_ id: String, _ call: RelayedCall, _ payload: JSONValue) -> [GatewayAction] {
        guard call.action == StartTransactionRequest.action, let r = try? StartTransactionRequest(json: call.payload),
              let answer = try? StartTransactionResponse(json: payload) else { return [] }
        let t = GatewayTransaction(charger: id, connectorId: r.connectorId, transactionId: answer.transactionId, idTag: r.idTag,
                                   meterStartWh: r.meterStart, startedAt: r.timestamp, status: answer.idTagInfo.status, decidedBy: .external)
        observeTransactionStart(t)
        return [.transactionStarted(t)]
    }
}
