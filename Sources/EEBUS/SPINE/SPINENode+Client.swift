#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16

// The client side (EEBUS SPINE TS 1.3.0 §7.3, §7.4.1): a remote device's NodeManagement announcements, the
// subscriptions of local client features to remote server features of their type, and the replies and notifies that
// carry the remote data to the application.

extension SPINENode {
    /// A reply or notify: NodeManagement data of the remote (detailed discovery, use cases) is the engine's; data for
    /// a local client feature goes to the application. `ackRequest` is answered with `resultData` 0.
    mutating func handleData(_ message: SPINEDatagram, ski: String, now: Date, into out: inout SPINEOutput) {
        let header = message.header
        if header.classifier == .reply { _ = takePending(header.msgCounterReference, ski: ski) }
        let local = localSide(header.destination)
        if local == SPINEFeatureAddress(entity: [0], feature: 0) {
            for command in message.commands {
                do throws(SPINEDatagramError) {
                    try remoteManagementData(command, ski: ski, now: now, into: &out)
                } catch {
                    refuse(header, ski: ski, SPINERefusal(SPINEError.general, "\(header.classifier.rawValue): \(error)"), into: &out)
                    return
                }
            }
        } else if let feature = announced.feature(local), feature.role == .client {
            let from = SPINERemoteFeature(ski: ski, address: header.source)
            for command in message.commands {
                app.received(SPINEReceivedData(classifier: header.classifier, function: command.function, data: command.data,
                                               filters: command.filters, localFeature: local, from: from), now: now)
            }
        } else {
            refuse(header, ski: ski, SPINERefusal(SPINEError.destinationUnknown, "no client feature \(local.feature) on entity \(local.entity)"), into: &out)
            return
        }
        if header.ackRequest {
            out.datagrams.append(send(to: ski, from: local, to: header.source, .result, [resultData(0)], reference: header.msgCounter))
        }
    }

    private mutating func remoteManagementData(_ command: SPINECommand, ski: String, now: Date, into out: inout SPINEOutput) throws(SPINEDatagramError) {
        guard var remote = remotes[ski] else { return }
        switch command.function {
        case .nodeManagementDetailedDiscoveryData:
            let change = try remote.model.applyDiscovery(command.data, partial: command.isPartial)
            let first = !remote.discovered
            remote.discovered = true
            remotes[ski] = remote
            if first {
                out.events.append(SPINEEvent(.discovered, ski: ski, "\(remote.model.deviceType ?? "device of unknown type") \(remote.model.deviceAddress ?? "(no address)") with \(remote.model.entities.count) entities"))
            }
            if !change.removed.isEmpty { out.append(dropClientLinks(ski: ski, removed: change.removed)) }
            out.append(applyClientRule(ski: ski))
            if first { app.remoteChanged(ski: ski, deviceType: remote.model.deviceType, now: now) }
        case .nodeManagementUseCaseData:
            try remote.model.applyUseCases(command.data)
            remotes[ski] = remote
        default:
            out.events.append(SPINEEvent(.ignored, ski: ski, "\(command.function) for NodeManagement"))
        }
    }

    /// Forgets the client links to remote entities that were removed (their subscriptions ended with them).
    private mutating func dropClientLinks(ski: String, removed: [[Int]]) -> SPINEOutput {
        var out = SPINEOutput()
        guard var remote = remotes[ski] else { return out }
        let gone = remote.clientLinks.filter { l in removed.contains(l.client.address.entity) }
        for l in gone { out.events.append(SPINEEvent(.unsubscribed, ski: ski, "\(l.server) from \(l.client.address) (remote entity removed)")) }
        remote.clientLinks.removeAll { l in removed.contains(l.client.address.entity) }
        remotes[ski] = remote
        return out
    }

    /// The client rule of ``SPINEFeatureDescription``: every local client feature subscribes to each remote server
    /// feature of its type (SPINE TS §7.4.1, a call to the remote's NodeManagement) and reads the functions it lists
    /// that the remote feature offers for reading (all it lists when the remote names none). Runs after each
    /// discovery and after a change of the local model; a pair already linked is left alone, a pair whose local
    /// feature is gone is unsubscribed.
    mutating func applyClientRule(ski: String) -> SPINEOutput {
        var out = SPINEOutput()
        guard var remote = remotes[ski], remote.discovered else { return out }
        let nm = SPINEFeatureAddress(device: remote.model.deviceAddress, entity: [0], feature: 0)
        let localNM = SPINEFeatureAddress(entity: [0], feature: 0)
        // In a Link of a client rule, `client` holds the remote server feature and `server` the local client feature.
        for l in remote.clientLinks where announced.feature(l.server)?.role != .client {
            let call = SPINEManagementCall.data(.unsubscribe, client: announced.address(l.server.entity, l.server.feature),
                                                server: l.client.address, serverFeatureType: nil)
            out.datagrams.append(send(to: ski, from: localNM, to: nm, .call, [call], ack: true))
            out.events.append(SPINEEvent(.unsubscribed, ski: ski, "\(l.server) from \(l.client.address) (local feature removed)"))
        }
        remote.clientLinks.removeAll { announced.feature($0.server)?.role != .client }
        let remoteServers = remote.model.features.filter { $0.feature.role == .server }
        for entity in announced.entities {
            for feature in entity.features where feature.role == .client {
                let local = SPINEFeatureAddress(entity: entity.address, feature: feature.index)
                for (address, remoteFeature) in remoteServers where remoteFeature.type == feature.type {
                    guard !remote.clientLinks.contains(where: { $0.server == local && $0.client.address == address }) else { continue }
                    remote.clientLinks.append(Link(id: 0, client: SPINERemoteFeature(ski: ski, address: address), server: local,
                                                   serverFeatureType: feature.type))
                    let call = SPINEManagementCall.data(.subscribe, client: announced.address(local.entity, local.feature),
                                                        server: address, serverFeatureType: feature.type)
                    out.datagrams.append(send(to: ski, from: localNM, to: nm, .call, [call], ack: true))
                    out.events.append(SPINEEvent(.subscribed, ski: ski, "\(local) to \(feature.type) at \(address)"))
                    let offered = remoteFeature.functions
                    for wanted in feature.functions {
                        if !offered.isEmpty, !offered.contains(where: { $0.function == wanted.function && $0.read }) { continue }
                        out.datagrams.append(send(to: ski, from: local, to: address, .read, [SPINECommand(function: wanted.function)]))
                    }
                }
            }
        }
        remotes[ski] = remote
        return out
    }

    mutating func applyClientRuleToAll() -> SPINEOutput {
        var out = SPINEOutput()
        for ski in remotes.keys.sorted() { out.append(applyClientRule(ski: ski)) }
        return out
    }
}
