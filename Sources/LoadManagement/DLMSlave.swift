#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// A DLM slave (seeds/004 §7.4, §7.7) as a state machine: it follows its master's grants while they hold, falls back
/// to its Disconnected Limit within three sample periods of the master's last message (and recovers by itself when the
/// master returns), and reports its connectors to the master. Events in, ``DLMAction``s out.
public struct DLMSlave: Sendable, Equatable {
    /// The link to the master: who it is, its grants and until when they hold.
    public private(set) var link: DLMSlaveLink

    public init(epoch: String = DLMLink.newEpoch()) { link = DLMSlaveLink(epoch: epoch) }

    /// What the slave knows of its station for one step.
    public struct Inputs: Sendable, Equatable {
        public var settings: DLMSettings
        public var ownID: String
        /// What it tells the master about its connectors.
        public var report: DLMReport

        public init(settings: DLMSettings, ownID: String, report: DLMReport) {
            self.settings = settings; self.ownID = ownID; self.report = report
        }
    }

    /// A control step: the connectors' DLM limits (the grants while they hold, else the Disconnected Limit) and the
    /// report when it is due or changed.
    public mutating func step(_ station: Inputs, now: Date) -> [DLMAction] {
        let d = station.settings
        let fallback = d.disconnectedLimitAmps
        var out: [DLMAction] = []
        if link.expireGrants(now: now) {
            out.append(.linkChanged("DLM: no message from master \(link.master?.id ?? "?") for three sample periods; Disconnected Limit \(DLMMaster.ampsText(fallback)) A applies"))
        }
        for i in station.report.connectors.indices {
            if let g = link.grants, let until = link.grantsValidUntil, g.amps.indices.contains(i) {
                out.append(.limit(connector: i + 1, amps: g.amps[i], validUntil: until, fallbackAmps: fallback))
            } else {
                out.append(.limit(connector: i + 1, amps: fallback))
            }
        }
        if d.linkProblem == nil,
           let (destination, m) = link.reportIfDue(station.report, ownID: station.ownID, network: d.networkId,
                                                   fixedMaster: d.mode == .slaveFixedIP, now: now) {
            out.append(.send(m, to: destination))
        }
        return out
    }

    /// A verified message of the link from `endpoint`: a master's announcement (followed, or a rival that is only
    /// reported) or its grants, which apply at once.
    public mutating func receive(_ m: DLMMessage, from endpoint: DLMEndpoint, _ station: Inputs,
                                 now: Date) throws(DLMLinkRefusal) -> [DLMAction] {
        let d = station.settings
        let hadGrants = link.grants != nil
        switch try link.receive(m, from: endpoint, ownID: station.ownID, fixedMaster: d.mode == .slaveFixedIP, now: now) {
        case .grants:
            return (hadGrants ? [] : [.linkChanged("DLM: master \(m.from) at \(endpoint) controls this station")]) + step(station, now: now)
        case .masterFound(let id, let at):
            return [.linkChanged("DLM: following master \(id) at \(at)")]
        case .rivalMaster(let id):
            return [.warning("another DLM master \(id) announces itself on network \(d.networkId) from \(endpoint); this slave stays with \(link.master?.id ?? "its master")")]
        case .ignored:
            return []
        }
    }

    /// The wall clock was stepped: the grants' validity and the report interval keep their durations.
    public mutating func shiftTimers(by seconds: Double) { link.shiftTimers(by: seconds) }
}
