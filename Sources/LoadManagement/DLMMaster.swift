#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// What a DLM role (``DLMMaster``, ``DLMSlave``) asks of the station, in order. The station carries them out: log
/// lines go to its event log, datagrams to the link's socket, slave records to its store, limits into each
/// connector's limit chain.
public enum DLMAction: Sendable, Equatable {
    /// An event of the link (a slave joined, the master went silent): the event log's "DLM link changed".
    case linkChanged(String)
    /// The site's available current changed: the event log's "current limit changed".
    case availableChanged(String)
    /// A configuration problem of the DLM role (logged and shown on the dashboard).
    case warning(String)
    /// Send this message, sealed with the network key, to `destination`.
    case send(DLMMessage, to: DLMDestination)
    /// Persist these slaves in the persistent DLM slave DB.
    case saveSlaves([DLMSlaveRecord])
    /// Remove these slaves from it.
    case deleteSlaves([String])
    /// The DLM limit of the station's own connector (1-based): `amps` while valid, else `fallbackAmps`.
    case limit(connector: Int, amps: Double, validUntil: Date? = nil, fallbackAmps: Double? = nil)
}

/// What the station tells its DLM role for one step: its settings and identity, and (master) its own connectors as
/// charge points and the site.
public struct DLMStationInputs: Sendable, Equatable {
    public var settings: DLMSettings
    /// The station's ChargeBoxIdentity (its id on the link).
    public var ownID: String
    /// The station's connectors as charge points ("local/<n>"); the master fills in their previous grants.
    public var connectors: [DLMChargePoint]
    /// The site of this cycle (the grid meter's currents, load shedding).
    public var site: DLMSite

    public init(settings: DLMSettings, ownID: String, connectors: [DLMChargePoint], site: DLMSite) {
        self.settings = settings; self.ownID = ownID; self.connectors = connectors; self.site = site
    }
}

/// The DLM master (seeds/004 §1.4, §7.4, §7.7) as a state machine: the allocation cycle, the link to its slaves and
/// the persistent slave DB's changes. Events in (a control step, a message of a slave, a removal), ``DLMAction``s out;
/// no clock, socket or store of its own.
public struct DLMMaster: Sendable, Equatable {
    /// The allocation cycle: the last allocation, when it ran, what it ran on.
    public private(set) var cycle = DLMCycle()
    /// The last allocation (status API, Modbus 600–635).
    public var allocation: DLMAllocation? { cycle.allocation }
    public var lastRun: Date? { cycle.lastRun }
    public var cycleSeconds: Double? { cycle.cycleSeconds }
    /// The link to the slaves.
    public private(set) var link: DLMMasterLink
    /// Slaves that reported since the last cycle: they are answered with their grants in any case.
    var reported: Set<String> = []
    /// The configuration warnings last reported.
    var warned: [String] = []

    /// A master that knows the slaves of its persistent DLM slave DB (it reserves current for them until they report).
    public init(known: [DLMSlaveRecord], epoch: String = DLMLink.newEpoch()) {
        link = DLMMasterLink(epoch: epoch, known: known)
    }

    // MARK: Events

    /// A control step: the cycle when it is due or an input changed, and the discovery announcement when it is due.
    public mutating func step(_ station: DLMStationInputs, now: Date) -> [DLMAction] {
        var out = runIfDue(station, now: now)
        let d = station.settings
        if d.linkProblem == nil, !d.discoveryBroadcastingDisabled,
           let m = link.announcementIfDue(ownID: station.ownID, network: d.networkId, sampleSeconds: d.sampleSeconds,
                                          standalone: d.mode == .masterStandalone, now: now) {
            out.append(.send(m, to: .broadcast))
        }
        return out
    }

    /// The DLM cycle (seeds/004 §1.4, §7.4): the charge points are the station's own connectors (with internal slave)
    /// and every slave's. It runs every "DLM Algorithm Sample Rate" and at once when an input changes — a vehicle plugs
    /// in, starts or stops drawing, a session starts or ends, the grid meter reports or fails, load shedding is
    /// signalled, a slave reports a change, joins or falls silent. Slaves get their grants when they change and in
    /// answer to every report.
    public mutating func runIfDue(_ station: DLMStationInputs, now: Date) -> [DLMAction] {
        var out: [DLMAction] = []
        let d = station.settings
        let validity = DLMLink.validitySeconds(sampleSeconds: d.sampleSeconds)
        var points: [DLMChargePoint] = d.mode == .master ? cycle.carryingOver(station.connectors) : []
        let localCount = points.count
        points += link.chargePoints(previous: cycle.previousGrants, now: now, validitySeconds: validity)
        let before = cycle.allocation
        if cycle.runIfDue(site: station.site, points: points, sampleSeconds: d.sampleSeconds, now: now), let result = cycle.allocation {
            if before?.availableAmps != result.availableAmps, let old = before {
                out.append(.availableChanged("DLM: available per phase \(Self.phaseText(old.availableAmps)) → \(Self.phaseText(result.availableAmps)) A"))
            }
            for (old, new) in zip(before?.grants ?? [], result.grants) where old.id == new.id && old.reason != .reserved && new.reason == .reserved {
                out.append(.linkChanged("DLM: \(new.id) is silent; \(Self.ampsText(new.amps)) A stay reserved for it until it returns or is removed"))
            }
        }
        // Own connectors: with internal slave the first grants are theirs; a standalone master drives none (0 A).
        let grants = allocation?.grants ?? []
        for i in station.connectors.indices {
            let amps = d.mode == .master && i < localCount && grants.indices.contains(i) ? grants[i].amps : 0
            out.append(.limit(connector: i + 1, amps: amps))
        }
        out += grantMessages(station, now: now)
        let warnings = configurationWarnings(d)
        if warnings != warned {
            out += warnings.filter { !warned.contains($0) }.map(DLMAction.warning)
            warned = warnings
        }
        return out
    }

    /// A verified message of the link from `endpoint`: a slave's hello is answered, its report joins the next cycle,
    /// which runs at once.
    public mutating func receive(_ m: DLMMessage, from endpoint: DLMEndpoint, _ station: DLMStationInputs,
                                 now: Date) throws(DLMLinkRefusal) -> [DLMAction] {
        let d = station.settings
        switch try link.receive(m, from: endpoint, ownID: station.ownID, network: d.networkId, sampleSeconds: d.sampleSeconds,
                                standalone: d.mode == .masterStandalone, now: now) {
        case .hello(let reply):
            return [.send(reply, to: .endpoint(endpoint))]
        case .report(let slave, let new):
            reported.insert(slave)
            return (new ? [.linkChanged("DLM: slave \(slave) connected from \(endpoint)")] : []) + runIfDue(station, now: now)
        }
    }

    /// Removes one slave (nil: every slave) from the link and the persistent DLM slave DB ("Clear persistent DLM slave
    /// DB", seeds/004 §7.4); the cycle runs again at once. A removed slave that is still there registers again with its
    /// next report.
    public mutating func remove(_ id: String?, _ station: DLMStationInputs, now: Date) throws(DLMSlaveRemovalError) -> (removed: [String], actions: [DLMAction]) {
        if let id, link.slaves[id] == nil { throw .unknown(id) }
        let ids = link.remove(id)
        let line = id.map { "DLM: slave \($0) removed" } ?? "DLM: persistent slave DB cleared (\(ids.count) slave(s))"
        return (ids, [.deleteSlaves(ids), .linkChanged(line)] + runIfDue(station, now: now))
    }

    /// The wall clock was stepped: the cycle's and the link's timers keep their remaining durations.
    public mutating func shiftTimers(by seconds: Double) {
        cycle.shiftTimers(by: seconds)
        link.shiftTimers(by: seconds)
    }

    // MARK: Views

    /// The sum of the Disconnected Limits per grid phase over every known slave connector (a master's own connectors
    /// stop with it).
    public func disconnectedSumAmps() -> PhaseValues {
        var sum = PhaseValues.zero
        for r in link.slaves.values.sorted(by: { $0.id < $1.id }) {
            for c in r.report.connectors {
                let map = c.rotation.gridPhaseIndices
                for p in 0..<(c.phasesConnected >= 3 ? 3 : 1) { sum[map[p]] += r.report.disconnectedLimitAmps }
            }
        }
        return sum
    }

    /// The master's configuration warnings: a link that cannot run, and seeds/004 §7.7 "In total the slaves'
    /// disconnected limits may not exceed the maximum available current" — checked per grid phase against the
    /// sub-distribution limits.
    public func configurationWarnings(_ d: DLMSettings) -> [String] {
        var out = d.linkProblem.map { [$0] } ?? []
        let sum = disconnectedSumAmps()
        let limit = d.subDistributionLimitAmps, op = d.operatorSubDistributionLimitAmps
        let site = PhaseValues(l1: min(limit.l1, op.l1), l2: min(limit.l2, op.l2), l3: min(limit.l3, op.l3))
        if (0..<3).contains(where: { sum[$0] > site[$0] + 1e-9 }) {
            out.append("The slaves' Disconnected Limits add up to \(Self.phaseText(sum)) A per phase, above the sub-distribution limit of \(Self.phaseText(site)) A: without the master they could overload it (seeds/004 §7.7)")
        }
        return out
    }

    // MARK: Parts of the cycle

    /// The slaves' grants (changed ones, and answers to reports) and the slave DB's changes.
    private mutating func grantMessages(_ station: DLMStationInputs, now: Date) -> [DLMAction] {
        let d = station.settings
        let byID = Dictionary((allocation?.grants ?? []).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let messages = link.grantMessages(byID, answer: reported, ownID: station.ownID, network: d.networkId,
                                          sampleSeconds: d.sampleSeconds, now: now)
        reported = []
        let dirty = link.takeDirty()
        var out: [DLMAction] = dirty.isEmpty ? [] : [.saveSlaves(dirty)]
        guard d.linkProblem == nil else { return out }
        out += messages.map { .send($0.1, to: .endpoint($0.0)) }
        return out
    }

    /// Amperes as the station's texts show them: whole numbers without a fraction, others as they are.
    static func ampsText(_ a: Double) -> String { a == a.rounded() && abs(a) < 1e15 ? String(Int(a)) : String(a) }

    /// Per phase, rounded down to 0.1 A: "16/16/16".
    public static func phaseText(_ p: PhaseValues) -> String {
        [p.l1, p.l2, p.l3].map { ampsText(($0 * 10).rounded(.down) / 10) }.joined(separator: "/")
    }
}

/// Why slaves cannot be removed.
public enum DLMSlaveRemovalError: Error, Sendable, Equatable, CustomStringConvertible {
    case notMaster
    case unknown(String)

    public var description: String {
        switch self {
        case .notMaster: "this station is not a DLM master"
        case .unknown(let id): "no DLM slave '\(id)'"
        }
    }
}
