#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16

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
///   open again. The CALL that was on the wire when the connection closed is not sent again: the central system may
///   have received it (and answered it, the answer lost with the connection), and a message must not reach it twice
///   (issue #20 item 10). Like a charger whose own connection dropped, the charger retries it if it is a transaction
///   message (OCPP 1.6 §4.10). A held CALL the charger sends again (same action and payload, a new message id: a
///   transaction message retry) replaces the held one instead of reaching the central system twice. The gateway never
///   answers a charger's CALL in the central system's place, so a message is only acknowledged to the charger by the
///   central system itself: nothing is lost if the gateway stops, because the charger still owns every unanswered
///   transaction message.
/// - **Bounds** (issue #20 item 6): per charger at most ``maximumHeldCalls`` CALLs and ``maximumHeldBytes`` of frame
///   text are held, and ``maximumHeldBytesTotal`` for all chargers together; beyond them the charger's oldest held
///   non-transaction CALL gives way, or, when it holds only transaction messages, the newest (not answered: the
///   charger sends it again). A central system's CALL beyond them is answered with a CALLERROR.
/// - **Charger down**: its upstream connection is closed (the central system sees the charger go offline) and its
///   held CALLs are dropped: the charger sends its transaction messages again when it reconnects.
/// - Registers: BootNotification, StatusNotification, MeterValues and StopTransaction update them as they arrive;
///   StartTransaction when the central system's answer brings the transaction id.
extension CentralSystem {
    /// The most CALLs held for one charger in one direction while its upstream connection is down (a day of
    /// MeterValues every 90 s).
    public static let maximumHeldCalls = 1000
    /// The most frame text held for one charger (both directions): a day of MeterValues of about 4 KB every 90 s.
    public static let maximumHeldBytes = 4 << 20
    /// The most frame text held for all chargers together (many chargers accepted without being configured).
    public static let maximumHeldBytesTotal = 64 << 20
    /// StartTransaction CALLs kept per charger for a late answer.
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
            if let i = c.relay.toCentral.firstIndex(where: { $0.sentAt == nil && $0.carries(action, payload) }) {
                actions.append(.log(.init(.info, id, "\(action) \(messageID) repeats held \(c.relay.toCentral[i].messageID); sent once, as \(messageID)")))
                c.relay.toCentral[i].messageID = messageID
                c.relay.toCentral[i].text = text
            } else {
                c.relay.toCentral.append(RelayedCall(messageID: messageID, action: action, payload: payload, text: text))
                actions += enforceHeldBounds(&c)
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
        c.relay.lastFailure = nil
        let dropped = c.relay.dropped
        c.relay.dropped = 0
        chargers[id] = c
        let held = c.relay.toCentral.count
        return [.log(.init(.info, id, "central system connected" + (held > 0 ? "; \(held) held CALL(s) to send" : "")
                               + (dropped > 0 ? "; \(dropped) CALL(s) were dropped by the bounds meanwhile" : "")))] + pump(id, now: now)
    }

    /// The charger's upstream connection closed, or an attempt to open it failed (the adapter keeps reconnecting while
    /// the charger is connected). A failure is logged when its reason changes (an HTTP 401 and a 404 read differently).
    public mutating func upstreamDisconnected(_ id: String, reason: String, now: Date) -> [GatewayAction] {
        guard var c = chargers[id] else { return [] }
        guard c.relay.upstreamOpen else {
            guard c.connection != nil, c.relay.lastFailure != reason else { return [] }
            c.relay.lastFailure = reason
            chargers[id] = c
            return [.log(.init(.warning, id, "cannot connect to the central system: \(reason)"))]
        }
        c.relay.upstreamOpen = false
        var actions: [GatewayAction] = [.log(.init(.warning, id, "central system disconnected: \(reason); the charger's CALLs are held until it is back"))]
        // The CALL on the wire is not sent again (see the type's documentation); a StartTransaction keeps its register
        // update should its answer still come. The central system's own CALLs belong to the closed connection.
        if let first = c.relay.toCentral.first, first.sentAt != nil {
            c.relay.toCentral.removeFirst()
            keepLate(&c.relay, first)
            actions.append(.log(.init(.info, id, "\(first.action) \(first.messageID) was on the wire and is not sent again; the charger decides on a retry")))
        }
        c.relay.toCharger = CallQueue()
        chargers[id] = c
        return actions
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
            let call = RelayedCall(messageID: messageID, action: action, payload: payload, text: text)
            guard c.relay.toCharger.count < Self.maximumHeldCalls, c.relay.bytes + call.bytes <= Self.maximumHeldBytes,
                  chargers.relayBytes + call.bytes <= Self.maximumHeldBytesTotal else {
                let error = OCPPError(.genericError, "the gateway holds too many CALLs for \(id); send it again once the earlier ones are answered")
                return [.sendUpstream(charger: id, text: OCPPFrame.error(error, id: messageID).serialized()),
                        .log(.init(.warning, id, "\(action) \(messageID) of the central system refused: too many CALLs held for the charger"))]
            }
            c.relay.toCharger.append(call)
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
        let onTheWire = c.relay.toCentral.first { $0.sentAt != nil }
        var next = RelayState(upstreamOpen: keepUpstream && c.relay.upstreamOpen)
        if keepUpstream {
            next.late = c.relay.late
            if let onTheWire { keepLate(&next, onTheWire) }
        }
        c.relay = next
    }

    /// Keeps a StartTransaction whose answer is still due, without its text.
    private func keepLate(_ relay: inout RelayState, _ call: RelayedCall) {
        guard call.payload != nil else { return }
        var kept = call
        kept.text = ""
        relay.late = Array((relay.late + [kept]).suffix(Self.lateCallsKept))
    }

    /// Drops held CALLs of a charger until its queue is within the bounds again (see the type's documentation). Logs
    /// the first drop; the rest are counted and reported when the central system is back.
    private func enforceHeldBounds(_ c: inout ChargerState) -> [GatewayAction] {
        var actions: [GatewayAction] = []
        let others = chargers.relayBytes - (chargers[c.entry.id]?.relay.bytes ?? 0)
        let transactional: Set<String> = [StartTransactionRequest.action, StopTransactionRequest.action]
        while c.relay.toCentral.count > Self.maximumHeldCalls || c.relay.bytes > Self.maximumHeldBytes || others + c.relay.bytes > Self.maximumHeldBytesTotal {
            let held = c.relay.toCentral.indices.filter { c.relay.toCentral[$0].sentAt == nil }
            guard let i = held.first(where: { !transactional.contains(c.relay.toCentral[$0].action) }) ?? held.last else { break }
            let dropped = c.relay.toCentral.remove(at: i)
            if c.relay.dropped == 0 {
                actions.append(.log(.init(.warning, c.entry.id, "more than \(Self.maximumHeldCalls) CALLs or \(Self.maximumHeldBytes >> 20) MB held for the central system "
                                                             + "(\(Self.maximumHeldBytesTotal >> 20) MB for all chargers); \(dropped.action) \(dropped.messageID) dropped")))
            }
            c.relay.dropped += 1
        }
        return actions
    }

    /// Times out CALLs whose answer did not come: the next one in their direction goes out.
    mutating func expireRelayed(_ id: String, now: Date) -> [GatewayAction] {
        guard var c = chargers[id] else { return [] }
        let timeout = TimeInterval(settings.chargerTimeoutSeconds)
        var actions: [GatewayAction] = []
        if let first = c.relay.toCentral.first, let sent = first.sentAt, now.timeIntervalSince(sent) >= timeout {
            c.relay.toCentral.removeFirst()
            keepLate(&c.relay, first)
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
        guard call.action == StartTransactionRequest.action, let request = call.payload, let r = try? StartTransactionRequest(json: request),
              let answer = try? StartTransactionResponse(json: payload) else { return [] }
        let t = GatewayTransaction(charger: id, connectorId: r.connectorId, transactionId: answer.transactionId, idTag: r.idTag,
                                   meterStartWh: r.meterStart, startedAt: r.timestamp, status: answer.idTagInfo.status.rawValue, decidedBy: .external)
        observeTransactionStart(t)
        return [.transactionStarted(t)]
    }
}
