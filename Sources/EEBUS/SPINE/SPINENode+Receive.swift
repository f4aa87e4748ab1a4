#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16

// Receiving a datagram (EEBUS SPINE TS 1.3.0 §5.3, §7): reads answered from the application's data or NodeManagement,
// writes only from a bound client, NodeManagement calls, replies and notifies for local client features, results
// matched with the request they answer.

/// The `errorNumberType` values this engine sends (SPINE TS §5.2.5).
enum SPINEError {
    static let general = 1
    static let destinationUnknown = 4
    static let commandNotSupported = 6
    static let commandRejected = 7
    static let restrictedCombinationNotSupported = 8
    static let bindingRequired = 9
}

/// A request refused with a `resultData` error.
struct SPINERefusal: Error {
    var errorNumber: Int
    var reason: String
    init(_ errorNumber: Int, _ reason: String) {
        self.errorNumber = errorNumber
        self.reason = reason
    }
}

extension SPINENode {
    /// A datagram from the remote device of `ski` (the plain form of the SHIP data message's payload). A datagram
    /// that cannot be read is refused with an event naming the element, and answered with `resultData` 1 when its
    /// header names whom to answer and it asked for an answer (a read, write or call, or `ackRequest`).
    public mutating func receive(_ datagram: JSONValue, from ski: String, now: Date) -> SPINEOutput {
        var out = SPINEOutput()
        guard remotes[ski] != nil else {
            out.events.append(SPINEEvent(.refused, ski: ski, "datagram from a SKI that is not connected"))
            return out
        }
        let header: SPINEHeader
        do throws(SPINEDatagramError) {
            header = try SPINEDatagram.readHeader(datagram)
        } catch {
            out.events.append(SPINEEvent(.refused, ski: ski, "malformed datagram: \(error)"))
            return out
        }
        let message: SPINEDatagram
        do throws(SPINEDatagramError) {
            message = try SPINEDatagram(json: datagram)
        } catch {
            refuse(header, ski: ski, SPINERefusal(SPINEError.general, "malformed datagram: \(error)"), into: &out)
            return out
        }
        if let device = header.source.device, remotes[ski]?.model.deviceAddress == nil {
            remotes[ski]?.model.deviceAddress = device
        }
        if let device = header.destination.device, device != announced.deviceAddress {
            refuse(header, ski: ski, SPINERefusal(SPINEError.destinationUnknown, "destination device \"\(device)\" is not this device"), into: &out)
            return out
        }
        switch header.classifier {
        case .read: handleRead(message, ski: ski, into: &out)
        case .write: handleWrite(message, ski: ski, now: now, into: &out)
        case .call: handleCall(message, ski: ski, now: now, into: &out)
        case .reply, .notify: handleData(message, ski: ski, now: now, into: &out)
        case .result: handleResult(message, ski: ski, into: &out)
        }
        return out
    }

    /// Answers a refused request with `resultData` when the sender expects an answer, and logs it.
    mutating func refuse(_ header: SPINEHeader, ski: String, _ refusal: SPINERefusal, into out: inout SPINEOutput) {
        let answerable = header.classifier == .read || header.classifier == .write || header.classifier == .call || header.ackRequest
        guard answerable, header.classifier != .result else {
            out.events.append(SPINEEvent(.refused, ski: ski, "\(header.classifier.rawValue) #\(header.msgCounter): \(refusal.reason)"))
            return
        }
        out.events.append(SPINEEvent(.answeredError, ski: ski,
                                     "\(header.classifier.rawValue) #\(header.msgCounter) answered with error \(refusal.errorNumber): \(refusal.reason)"))
        out.datagrams.append(send(to: ski, from: localSide(header.destination), to: header.source, .result,
                                  [resultData(refusal.errorNumber, refusal.reason)], reference: header.msgCounter))
    }

    /// The local address an answer comes from: the addressed feature, device dropped (``send`` fills in this
    /// device's address).
    func localSide(_ destination: SPINEFeatureAddress) -> SPINEFeatureAddress {
        SPINEFeatureAddress(entity: destination.entity, feature: destination.feature)
    }

    private static var nodeManagement: SPINEFeatureAddress { SPINEFeatureAddress(entity: [0], feature: 0) }

    // MARK: read

    private mutating func handleRead(_ message: SPINEDatagram, ski: String, into out: inout SPINEOutput) {
        let header = message.header
        let local = localSide(header.destination)
        var replies: [SPINECommand] = []
        for command in message.commands {
            switch readData(command.function, of: local) {
            case .success(let data): replies.append(SPINECommand(function: command.function, data: data))
            case .failure(let refusal):
                refuse(header, ski: ski, refusal, into: &out)
                return
            }
        }
        // What a subscriber read is what it knows: a later refresh notifies only what changed after this reply.
        for i in subscriptions.indices where subscriptions[i].client.ski == ski && subscriptions[i].server == local
            && subscriptions[i].client.address.entity == header.source.entity && subscriptions[i].client.address.feature == header.source.feature {
            for r in replies { subscriptions[i].lastSent[r.function] = r.data }
        }
        out.datagrams.append(send(to: ski, from: local, to: header.source, .reply, replies, reference: header.msgCounter))
    }

    /// The data of a readable function of a local feature. A partial read (`filter`) is answered with the whole
    /// data: this device announces no partial read (SPINE TS §5.3.4), and the whole is a correct superset.
    private func readData(_ function: SPINEFunction, of local: SPINEFeatureAddress) -> Result<JSONValue, SPINERefusal> {
        guard let feature = announced.feature(local) else {
            return .failure(SPINERefusal(SPINEError.destinationUnknown, "no feature \(local.feature) on entity \(local.entity)"))
        }
        guard feature.functions.contains(where: { $0.function == function && $0.read }) else {
            return .failure(SPINERefusal(SPINEError.commandNotSupported, "\(feature.type) at \(local) cannot read \(function)"))
        }
        if local == Self.nodeManagement {
            switch function {
            case .nodeManagementDetailedDiscoveryData: return .success(announced.detailedDiscovery())
            case .nodeManagementUseCaseData: return .success(announced.useCaseData)
            case .nodeManagementDestinationListData: return .success(announced.destinationList)
            case .nodeManagementSubscriptionData: return .success(linkList("subscriptionEntry", "subscriptionId", subscriptions))
            default: return .success(linkList("bindingEntry", "bindingId", bindings))
            }
        }
        guard feature.role == .server else {
            return .failure(SPINERefusal(SPINEError.commandNotSupported, "\(feature.type) at \(local) is a client"))
        }
        return .success(app.data(function, of: local) ?? .object(JSONObject()))
    }

    /// `nodeManagementSubscriptionData`/`nodeManagementBindingData` (SPINE TS §7.4.1/§7.4.2).
    private func linkList(_ member: String, _ idMember: String, _ links: [Link]) -> JSONValue {
        .object(["\(member)": .array(links.map { l in
            var o = JSONObject(reservingCapacity: 3)
            o[idMember] = .integer(l.id)
            o["clientAddress"] = l.client.address.json
            o["serverAddress"] = announced.address(l.server.entity, l.server.feature).json
            return .object(o)
        })])
    }

    // MARK: write

    /// A write: only to a server feature's writable function, only from a client bound to that feature (SPINE TS
    /// §7.4.2, error 9 otherwise), a partial one only where the function allows it (error 8). The application's
    /// outcome goes back as `resultData` when the writer asked for it; a refusal always. Accepted data is notified
    /// to the subscribers at once.
    private mutating func handleWrite(_ message: SPINEDatagram, ski: String, now: Date, into out: inout SPINEOutput) {
        let header = message.header
        let local = localSide(header.destination)
        guard let feature = announced.feature(local) else {
            refuse(header, ski: ski, SPINERefusal(SPINEError.destinationUnknown, "no feature \(local.feature) on entity \(local.entity)"), into: &out)
            return
        }
        for command in message.commands {
            guard let support = feature.functions.first(where: { $0.function == command.function }), support.write, feature.role == .server else {
                refuse(header, ski: ski, SPINERefusal(SPINEError.commandNotSupported, "\(feature.type) at \(local) cannot write \(command.function)"), into: &out)
                return
            }
            if !command.filters.isEmpty, !support.partialWrite {
                refuse(header, ski: ski, SPINERefusal(SPINEError.restrictedCombinationNotSupported,
                                                      "\(command.function) at \(local) takes only a full write"), into: &out)
                return
            }
        }
        let bound = bindings.contains { $0.client.ski == ski && $0.server == local
            && $0.client.address.entity == header.source.entity && $0.client.address.feature == header.source.feature }
        guard bound else {
            refuse(header, ski: ski, SPINERefusal(SPINEError.bindingRequired,
                                                  "binding required: \(header.source) is not bound to \(local)"), into: &out)
            return
        }
        let from = SPINERemoteFeature(ski: ski, address: header.source)
        var outcome = SPINEWriteOutcome.accepted
        for command in message.commands {
            let request = SPINEWriteRequest(function: command.function, data: command.data, filters: command.filters, feature: local, from: from)
            outcome = app.write(request, now: now)
            if outcome != .accepted { break }
        }
        switch outcome {
        case .accepted:
            if header.ackRequest {
                out.datagrams.append(send(to: ski, from: local, to: header.source, .result, [resultData(0)], reference: header.msgCounter))
            }
        case .refused(let number, let description):
            refuse(header, ski: ski, SPINERefusal(number, description), into: &out)
        }
        out.append(refresh(now: now))
    }

    // MARK: call

    private mutating func handleCall(_ message: SPINEDatagram, ski: String, now: Date, into out: inout SPINEOutput) {
        let header = message.header
        guard localSide(header.destination) == Self.nodeManagement else {
            refuse(header, ski: ski, SPINERefusal(SPINEError.commandNotSupported, "calls go to NodeManagement at entity [0] feature 0"), into: &out)
            return
        }
        for command in message.commands {
            let call: SPINEManagementCall
            do throws(SPINEDatagramError) {
                call = try SPINEManagementCall(command)
            } catch {
                let number = SPINEManagementCall.functions[command.function] == nil ? SPINEError.commandNotSupported : SPINEError.general
                refuse(header, ski: ski, SPINERefusal(number, error.description), into: &out)
                return
            }
            if let refusal = apply(call, ski: ski, sender: header.source.device, into: &out) {
                refuse(header, ski: ski, refusal, into: &out)
                return
            }
        }
        out.datagrams.append(send(to: ski, from: Self.nodeManagement, to: header.source, .result, [resultData(0)], reference: header.msgCounter))
    }

    /// A subscription or binding request or delete. The client address must be the sender's (a device address it
    /// gives must be the datagram's source device); the server address must name an existing local feature of the
    /// type asked for.
    private mutating func apply(_ call: SPINEManagementCall, ski: String, sender: String?, into out: inout SPINEOutput) -> SPINERefusal? {
        if let device = call.server.device, device != announced.deviceAddress {
            return SPINERefusal(SPINEError.destinationUnknown, "server device \"\(device)\" is not this device")
        }
        if let device = call.client.device, let sender, device != sender {
            return SPINERefusal(SPINEError.commandRejected, "client device \"\(device)\" is not the sender \"\(sender)\"")
        }
        let server = SPINEFeatureAddress(entity: call.server.entity, feature: call.server.feature)
        let client = SPINERemoteFeature(ski: ski, address: call.client)
        func same(_ l: Link) -> Bool {
            l.client.ski == ski && l.server == server
                && l.client.address.entity == call.client.entity && l.client.address.feature == call.client.feature
        }
        switch call.kind {
        case .unsubscribe:
            if subscriptions.contains(where: same) {
                subscriptions.removeAll(where: same)
                out.events.append(SPINEEvent(.unsubscribed, ski: ski, "\(call.client) from \(server)"))
            }
            return nil
        case .unbind:
            if bindings.contains(where: same) {
                bindings.removeAll(where: same)
                out.events.append(SPINEEvent(.unbound, ski: ski, "\(call.client) from \(server)"))
            }
            return nil
        case .subscribe, .bind:
            guard let feature = announced.feature(server) else {
                return SPINERefusal(SPINEError.destinationUnknown, "no feature \(server.feature) on entity \(server.entity)")
            }
            guard feature.role != .client else {
                return SPINERefusal(SPINEError.commandRejected, "\(feature.type) at \(server) is a client feature")
            }
            if let type = call.serverFeatureType, type != feature.type {
                return SPINERefusal(SPINEError.commandRejected, "the feature at \(server) is \(feature.type), not \(type)")
            }
            let subscribing = call.kind == .subscribe
            if (subscribing ? subscriptions : bindings).contains(where: same) { return nil }
            let held = (subscribing ? subscriptions : bindings).filter { $0.client.ski == ski }.count
            let limit = subscribing ? SPINELimits.maximumSubscriptionsPerRemote : SPINELimits.maximumBindingsPerRemote
            guard held < limit else {
                return SPINERefusal(SPINEError.commandRejected, "at most \(limit) \(subscribing ? "subscriptions" : "bindings") per device")
            }
            var link = Link(id: nextLinkId, client: client, server: server, serverFeatureType: feature.type)
            nextLinkId += 1
            if subscribing {
                // A new subscriber reads the current data itself (SPINE TS §7.4.1); notifies follow the changes after.
                for support in feature.functions where support.read && server != Self.nodeManagement {
                    link.lastSent[support.function] = app.data(support.function, of: server)
                }
                subscriptions.append(link)
                out.events.append(SPINEEvent(.subscribed, ski: ski, "\(call.client) to \(feature.type) at \(server)"))
            } else {
                bindings.append(link)
                out.events.append(SPINEEvent(.bound, ski: ski, "\(call.client) to \(feature.type) at \(server)"))
            }
            return nil
        }
    }

    // MARK: result

    private mutating func handleResult(_ message: SPINEDatagram, ski: String, into out: inout SPINEOutput) {
        let header = message.header
        let request = takePending(header.msgCounterReference, ski: ski)
        for command in message.commands {
            guard command.function == .resultData, case .object(let o) = command.data, case .integer(let number)? = o["errorNumber"] else {
                out.events.append(SPINEEvent(.refused, ski: ski, "result #\(header.msgCounter): no resultData.errorNumber"))
                continue
            }
            guard number != 0 else { continue }
            let text: String = if case .string(let s)? = o["description"] { s } else { "no description" }
            let what = request.map { "\($0.function) to \($0.destination)" } ?? "unknown request #\(header.msgCounterReference ?? 0)"
            out.events.append(SPINEEvent(.remoteError, ski: ski, "\(what): error \(number): \(text)"))
        }
    }
}
