#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// Where a datagram of the DLM link goes.
public enum DLMDestination: Sendable, Equatable {
    /// The discovery broadcast (DLM Broadcast Address : DLM Discovery Port).
    case broadcast
    case endpoint(DLMEndpoint)
    /// The configured master of a Master-Fixed-IP slave ("DLM Master Address", resolved by the adapter).
    case configuredMaster
}

/// A datagram for the link adapter to send.
public struct DLMDatagram: Sendable, Equatable {
    public var destination: DLMDestination
    public var bytes: [UInt8]

    /// Public: the station controller (ChargePoint) seals the roles' messages into datagrams for the adapter.
    public init(destination: DLMDestination, bytes: [UInt8]) { self.destination = destination; self.bytes = bytes }
}

/// A slave as the master knows it; kept in the persistent DLM slave DB (seeds/004 §7.4 "Clear persistent DLM slave DB"),
/// so that after a restart the master reserves current for every known slave before it reports again.
public struct DLMSlaveRecord: Sendable, Codable, Equatable {
    public var id: String
    public var endpoint: DLMEndpoint
    public var epoch: String
    public var firstSeen: Date
    public var lastSeen: Date
    public var report: DLMReport
    /// The grants last sent, per connector [A].
    public var grantsAmps: [Double]

    public init(id: String, endpoint: DLMEndpoint, epoch: String, firstSeen: Date, lastSeen: Date, report: DLMReport, grantsAmps: [Double]) {
        self.id = id; self.endpoint = endpoint; self.epoch = epoch; self.firstSeen = firstSeen; self.lastSeen = lastSeen
        self.report = report; self.grantsAmps = grantsAmps
    }

    /// The charge point id of connector `n` (1-based) of this slave.
    public func chargePointID(_ n: Int) -> String { "\(id)/\(n)" }
}

/// The master's side of the link: accepts slave reports, keeps the slave DB, turns slaves into charge points for
/// ``DLM/allocate(site:chargePoints:now:)`` and their grants into messages. Pure: the controller feeds it datagrams and
/// the time, and sends what it returns.
public struct DLMMasterLink: Sendable, Equatable {
    public let epoch: String
    var seq: UInt64 = 0
    /// By slave id.
    public private(set) var slaves: [String: DLMSlaveRecord] = [:]
    var replay = DLMReplayGuard()
    var lastAnnounce: Date?
    /// Slaves whose record must be written to the slave DB.
    var dirty: Set<String> = []

    public init(epoch: String = DLMLink.newEpoch(), known: [DLMSlaveRecord] = []) {
        self.epoch = epoch
        for r in known { slaves[r.id] = r }
    }

    mutating func nextSeq() -> UInt64 { seq += 1; return seq }

    /// Whether a slave has not reported within the validity period: then it is treated as drawing its last grant or
    /// its Disconnected Limit, whichever is more (seeds/004 §7.7), until it returns or is removed.
    public func isSilent(_ r: DLMSlaveRecord, now: Date, validitySeconds: Double) -> Bool {
        now.timeIntervalSince(r.lastSeen) > validitySeconds
    }

    public enum Received: Sendable, Equatable {
        /// A report of a registered slave (new: it was not known or not connected before).
        case report(slave: String, new: Bool)
        /// A first contact: answer with `reply` so that the slave learns our epoch.
        case hello(reply: DLMMessage)
    }

    /// A verified message for this master (`network` and HMAC checked by ``DLMLink/open(_:key:network:)``).
    public mutating func receive(_ m: DLMMessage, from endpoint: DLMEndpoint, ownID: String, network: Int, sampleSeconds: Double,
                                 standalone: Bool, now: Date) throws(DLMLinkRefusal) -> Received {
        guard let report = m.report else {
            if m.announce != nil, m.from != ownID { throw .unexpected("announcement of another DLM master \(m.from) on network \(network)") }
            throw .unexpected("message without a report")
        }
        guard m.to == ownID || (m.to == nil && m.peerEpoch == nil) else { throw .notAddressedToUs(m.to) }
        guard m.from != ownID else { throw .unexpected("report from our own id") }
        guard m.peerEpoch == epoch else {
            // The slave does not know this master's life yet (it restarted, or a Fixed-IP slave's first report): tell
            // it, without trusting the report's content. A replayed old report gets the same harmless answer.
            let reply = DLMMessage(network: network, from: ownID, epoch: epoch, seq: nextSeq(), to: m.from, peerEpoch: m.epoch,
                                   announce: DLMAnnounce(sampleSeconds: sampleSeconds, standalone: standalone))
            return .hello(reply: reply)
        }
        guard replay.accept(from: m.from, epoch: m.epoch, seq: m.seq) else { throw .replayed }
        let validity = DLMLink.validitySeconds(sampleSeconds: sampleSeconds)
        if var r = slaves[m.from] {
            let wasSilent = isSilent(r, now: now, validitySeconds: validity)
            if r.endpoint != endpoint || r.epoch != m.epoch || r.report.connectors.count != report.connectors.count
                || r.report.disconnectedLimitAmps != report.disconnectedLimitAmps
                || zip(r.report.connectors, report.connectors).contains(where: { $0.rotation != $1.rotation || $0.phasesConnected != $1.phasesConnected }) {
                dirty.insert(m.from)
            }
            if r.grantsAmps.count != report.connectors.count { r.grantsAmps = Array(repeating: 0, count: report.connectors.count) }
            r.endpoint = endpoint; r.epoch = m.epoch; r.lastSeen = now; r.report = report
            slaves[m.from] = r
            return .report(slave: m.from, new: wasSilent)
        }
        slaves[m.from] = DLMSlaveRecord(id: m.from, endpoint: endpoint, epoch: m.epoch, firstSeen: now, lastSeen: now, report: report,
                                        grantsAmps: Array(repeating: 0, count: report.connectors.count))
        dirty.insert(m.from)
        return .report(slave: m.from, new: true)
    }

    /// The slaves' connectors as charge points, in slave id order (`chargingSince` is the caller's). A silent slave's
    /// connectors reserve the more of their last grant and the slave's Disconnected Limit on their phases.
    public func chargePoints(previous: [String: DLMGrant], now: Date, validitySeconds: Double) -> [DLMChargePoint] {
        var out: [DLMChargePoint] = []
        for id in slaves.keys.sorted() {
            let r = slaves[id]!
            let silent = isSilent(r, now: now, validitySeconds: validitySeconds)
            for (i, c) in r.report.connectors.enumerated() {
                let cpID = r.chargePointID(i + 1)
                let last = previous[cpID]
                var cp = DLMChargePoint(
                    id: cpID, rotation: c.rotation, phasesConnected: c.phasesConnected, usedPhases: c.usedPhases, demanding: c.demanding,
                    maximumAmps: c.maximumAmps, minimumAmps: c.minimumAmps, measuredAmps: c.measuredAmps,
                    previousAmps: last?.amps ?? (r.grantsAmps.indices.contains(i) ? r.grantsAmps[i] : 0), since: last?.since)
                if silent {
                    let granted = r.grantsAmps.indices.contains(i) ? r.grantsAmps[i] : 0
                    cp.reservedAmps = max(granted, r.report.disconnectedLimitAmps)
                    // Until it reports again, a car may plug in or change phases: reserve on every connected phase.
                    cp.usedPhases = nil
                }
                out.append(cp)
            }
        }
        return out
    }

    /// Records the new grants and returns the messages for the slaves: to every connected slave whose grants changed,
    /// and to those in `answer` (they just reported) in any case. Silent slaves get nothing (they cannot be reached).
    public mutating func grantMessages(_ allocation: [String: DLMGrant], answer: Set<String>, ownID: String, network: Int,
                                       sampleSeconds: Double, now: Date) -> [(DLMEndpoint, DLMMessage)] {
        let validity = DLMLink.validitySeconds(sampleSeconds: sampleSeconds)
        var out: [(DLMEndpoint, DLMMessage)] = []
        for id in slaves.keys.sorted() {
            var r = slaves[id]!
            guard !isSilent(r, now: now, validitySeconds: validity) else { continue }
            let amps = r.report.connectors.indices.map { allocation[r.chargePointID($0 + 1)]?.amps ?? 0 }
            let changed = amps != r.grantsAmps
            if changed {
                r.grantsAmps = amps
                slaves[id] = r
                dirty.insert(id)
            }
            guard changed || answer.contains(id) else { continue }
            out.append((r.endpoint, DLMMessage(network: network, from: ownID, epoch: epoch, seq: nextSeq(), to: id, peerEpoch: r.epoch,
                                               grants: DLMGrants(amps: amps, validSeconds: validity))))
        }
        return out
    }

    /// The announcement, when it is due.
    public mutating func announcementIfDue(ownID: String, network: Int, sampleSeconds: Double, standalone: Bool, now: Date) -> DLMMessage? {
        if let last = lastAnnounce, now.timeIntervalSince(last) < DLMLink.announceIntervalSeconds, now >= last { return nil }
        lastAnnounce = now
        return DLMMessage(network: network, from: ownID, epoch: epoch, seq: nextSeq(),
                          announce: DLMAnnounce(sampleSeconds: sampleSeconds, standalone: standalone))
    }

    /// Removes one slave (nil: all) from the master and its DB.
    public mutating func remove(_ id: String?) -> [String] {
        let ids = id.map { slaves[$0] == nil ? [] : [$0] } ?? Array(slaves.keys)
        for i in ids { slaves[i] = nil; replay.forget(i); dirty.remove(i) }
        return ids
    }

    /// The records to persist since the last call.
    public mutating func takeDirty() -> [DLMSlaveRecord] {
        defer { dirty.removeAll() }
        return dirty.sorted().compactMap { slaves[$0] }
    }

    /// Connected (not silent) slaves (Modbus 621).
    public func connectedCount(now: Date, validitySeconds: Double) -> Int {
        slaves.values.filter { !isSilent($0, now: now, validitySeconds: validitySeconds) }.count
    }
}

/// The slave's side of the link: finds its master (announcements, or the configured address), reports, and accepts
/// grants only from that master's current life.
public struct DLMSlaveLink: Sendable, Equatable {
    public struct Master: Sendable, Equatable {
        public var id: String
        public var endpoint: DLMEndpoint
        public var epoch: String
        public var sampleSeconds: Double
        /// When the last grants arrived (nil: none yet from this master).
        public var lastGrants: Date?
    }

    public let epoch: String
    var seq: UInt64 = 0
    public private(set) var master: Master?
    /// The master's last grants, and until when they hold (then the Disconnected Limit applies).
    public private(set) var grants: DLMGrants?
    public private(set) var grantsValidUntil: Date?
    var replay = DLMReplayGuard()
    var lastReport: Date?
    var lastReportSent: DLMReport?
    /// A different master announced while ours was alive (a configuration error); logged once per id.
    public private(set) var rivals: Set<String> = []

    public init(epoch: String = DLMLink.newEpoch()) { self.epoch = epoch }

    mutating func nextSeq() -> UInt64 { seq += 1; return seq }

    public enum Received: Sendable, Equatable {
        case grants(DLMGrants)
        /// The slave follows this master from now on.
        case masterFound(id: String, endpoint: DLMEndpoint)
        /// Another master of the same network announced itself while ours is alive.
        case rivalMaster(String)
        case ignored
    }

    /// Whether our master's grants hold.
    public func masterAlive(now: Date) -> Bool { grantsValidUntil.map { now < $0 } ?? false }

    /// Drops grants that no longer hold; true when it did (the slave falls back to its Disconnected Limit now).
    public mutating func expireGrants(now: Date) -> Bool {
        guard let until = grantsValidUntil, now >= until else { return false }
        grants = nil
        grantsValidUntil = nil
        return true
    }

    /// A verified message for this slave. `fixedMaster`: a Master-Fixed-IP slave takes no broadcast announcements.
    public mutating func receive(_ m: DLMMessage, from endpoint: DLMEndpoint, ownID: String, fixedMaster: Bool,
                                 now: Date) throws(DLMLinkRefusal) -> Received {
        guard m.from != ownID else { return .ignored }  // our own broadcast, or a name clash
        if let a = m.announce {
            if m.to != nil {
                // The master's answer to our first report: it must answer our life.
                guard m.to == ownID, m.peerEpoch == epoch else { throw .notAddressedToUs(m.to) }
            } else if fixedMaster {
                return .ignored
            }
            guard replay.accept(from: m.from, epoch: m.epoch, seq: m.seq) else { throw .replayed }
            if let cur = master, cur.id == m.from, cur.epoch == m.epoch {
                master?.endpoint = endpoint; master?.sampleSeconds = a.sampleSeconds
                return .ignored
            }
            // A new master, or a new life of ours: taken unless the current one is alive (an old announcement
            // replayed, or a second master on the same network, must not take over a working link).
            if let cur = master, masterAlive(now: now), m.to == nil {
                if cur.id != m.from, rivals.insert(m.from).inserted { return .rivalMaster(m.from) }
                return .ignored
            }
            master = Master(id: m.from, endpoint: endpoint, epoch: m.epoch, sampleSeconds: a.sampleSeconds, lastGrants: nil)
            lastReport = nil  // report at once
            return .masterFound(id: m.from, endpoint: endpoint)
        }
        guard let g = m.grants else { throw .unexpected("message without grants or announcement") }
        guard m.to == ownID, m.peerEpoch == epoch else { throw .notAddressedToUs(m.to) }
        guard let cur = master, cur.id == m.from, cur.epoch == m.epoch else { throw .unexpected("grants from \(m.from), which is not our master") }
        guard replay.accept(from: m.from, epoch: m.epoch, seq: m.seq) else { throw .replayed }
        master?.lastGrants = now
        master?.endpoint = endpoint
        grants = g
        grantsValidUntil = now.addingTimeInterval(g.validSeconds)
        return .grants(g)
    }

    /// The report, when one is due: every report interval, and at once when it changed. A Fixed-IP slave reports to its
    /// configured master even before it knows the master's life (the master answers with its epoch).
    public mutating func reportIfDue(_ report: DLMReport, ownID: String, network: Int, fixedMaster: Bool,
                                     now: Date) -> (DLMDestination, DLMMessage)? {
        guard master != nil || fixedMaster else { return nil }
        let due = lastReport.map { now.timeIntervalSince($0) >= DLMLink.reportIntervalSeconds || now < $0 } ?? true
        guard due || lastReportSent.map({ report.differsSignificantly(from: $0) }) ?? true else { return nil }
        lastReport = now
        lastReportSent = report
        let message = DLMMessage(network: network, from: ownID, epoch: epoch, seq: nextSeq(), to: master?.id, peerEpoch: master?.epoch,
                                 report: report)
        if fixedMaster { return (.configuredMaster, message) }
        return (.endpoint(master!.endpoint), message)
    }
}

extension DLMMasterLink {
    /// The wall clock stepped by `seconds`: a slave's silence and the announcement interval keep their durations.
    public mutating func shiftTimers(by seconds: Double) {
        lastAnnounce = lastAnnounce?.addingTimeInterval(seconds)
        for id in slaves.keys { slaves[id]?.lastSeen.addTimeInterval(seconds) }
    }
}

extension DLMSlaveLink {
    /// The wall clock stepped by `seconds`: the grants' validity and the report interval keep their durations.
    public mutating func shiftTimers(by seconds: Double) {
        if let at = master?.lastGrants { master?.lastGrants = at.addingTimeInterval(seconds) }
        grantsValidUntil = grantsValidUntil?.addingTimeInterval(seconds)
        lastReport = lastReport?.addingTimeInterval(seconds)
    }
}
