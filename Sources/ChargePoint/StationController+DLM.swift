#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import LoadManagement

/// What the DLM master knows between cycles.
public struct DLMMasterState: Sendable, Equatable {
    /// The last allocation (status API, Modbus 600–635).
    public var allocation: DLMAllocation?
    public var lastRun: Date?
    /// The inputs of the last run; a change triggers a new allocation at once.
    var signature: DLMSignature?
    /// Per charge point id: when its vehicle began to draw in this session. (The previous grant and when it last
    /// changed between served and waiting are in `allocation`.)
    var chargingSince: [String: Date] = [:]
    /// The link to the slaves (master roles).
    public var link: DLMMasterLink?
    /// Slaves that reported since the last cycle: they are answered with their grants in any case.
    var reported: Set<String> = []
    /// The configuration warning last logged.
    var warned: [String] = []
}

extension StationController {
    // MARK: Cycle

    /// The DLM part of every poll: the master's cycle and announcements, or the slave's report and fallback.
    mutating func runDLM(now: Date) {
        let mode = settings.dlm.mode
        if !mode.isMaster, dlm.allocation != nil || dlm.link != nil {
            dlm = DLMMasterState()
            for n in externalLimits.keys { externalLimits[n]?[.dlm] = nil }
        }
        if !mode.isSlave, dlmSlave != nil {
            dlmSlave = nil
            for n in externalLimits.keys { externalLimits[n]?[.dlm] = nil }
        }
        if mode.isMaster {
            if dlm.link == nil { dlm.link = DLMMasterLink(known: loadDLMSlaves()) }
            runDLMIfDue(now: now)
            announceIfDue(now: now)
        } else if mode.isSlave {
            runDLMSlave(now: now)
        }
    }

    /// The DLM cycle of a master (seeds/004 §1.4, §7.4): the charge points are its own connectors (with internal slave)
    /// and every slave's. It runs every "DLM Algorithm Sample Rate" and at once when an input changes — a vehicle plugs
    /// in, starts or stops drawing, a session starts or ends, the grid meter reports or fails, load shedding is
    /// signalled, a slave reports a change, joins or falls silent. A decrease is applied in the same poll; the chain
    /// holds back increases (rate rule). Slaves get their grants when they change and in answer to every report.
    mutating func runDLMIfDue(now: Date) {
        guard settings.dlm.mode.isMaster else { return }
        let validity = DLMLink.validitySeconds(sampleSeconds: settings.dlm.sampleSeconds)
        let previous = Dictionary((dlm.allocation?.grants ?? []).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var points = settings.dlm.mode == .master ? dlmChargePoints(previous: previous) : []
        let localCount = points.count
        points += dlm.link?.chargePoints(previous: previous, now: now, validitySeconds: validity) ?? []
        updateChargingSince(points, now: now)
        for i in points.indices { points[i].chargingSince = dlm.chargingSince[points[i].id] }
        let site = dlmSite
        let signature = dlmSignature(points, site)
        let due = dlm.lastRun.map { now.timeIntervalSince($0) >= settings.dlm.sampleSeconds || now < $0 } ?? true
        if due || signature != dlm.signature {
            let result = DLM.allocate(site: site, chargePoints: points, now: now)
            if dlm.allocation?.availableAmps != result.availableAmps, let old = dlm.allocation {
                log(now, .currentLimitChanged, 0, "DLM: available per phase \(Self.phaseText(old.availableAmps)) → \(Self.phaseText(result.availableAmps)) A")
            }
            for (old, new) in zip(dlm.allocation?.grants ?? [], result.grants) where old.id == new.id && old.reason != .reserved && new.reason == .reserved {
                log(now, .dlmLinkChanged, 0, "DLM: \(new.id) is silent; \(ParameterValue.decimal(new.amps)) A stay reserved for it until it returns or is removed")
            }
            dlm.allocation = result
            dlm.lastRun = now
            dlm.signature = signature
        }
        // Own connectors: with internal slave the first grants are theirs; a standalone master drives none (0 A).
        let grants = dlm.allocation?.grants ?? []
        for i in connectors.indices {
            let amps = settings.dlm.mode == .master && i < localCount && grants.indices.contains(i) ? grants[i].amps : 0
            externalLimits[i + 1, default: [:]][.dlm] = ExternalLimit(.dlm, amps: amps)
        }
        sendGrants(now: now)
        checkDisconnectedLimits(now: now)
    }

    /// Sends the slaves' grants (changed ones, and answers to reports) and persists the slave DB's changes.
    private mutating func sendGrants(now: Date) {
        guard var link = dlm.link else { return }
        let byID = Dictionary((dlm.allocation?.grants ?? []).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let messages = link.grantMessages(byID, answer: dlm.reported, ownID: settings.chargeBoxIdentity, network: settings.dlm.networkId,
                                          sampleSeconds: settings.dlm.sampleSeconds, now: now)
        dlm.reported = []
        let dirty = link.takeDirty()
        dlm.link = link
        if !dirty.isEmpty {
            do { try store.saveDLMSlaves(dirty) } catch { notice(.storeFailed(what: "saveDLMSlaves", error: "\(error)")) }
        }
        guard settings.dlm.linkProblem == nil else { return }
        for (endpoint, m) in messages {
            sendDLM(DLMDatagram(destination: .endpoint(endpoint), bytes: DLMLink.seal(m, key: settings.dlm.networkKey)))
        }
    }

    private mutating func announceIfDue(now: Date) {
        let d = settings.dlm, id = settings.chargeBoxIdentity
        guard d.linkProblem == nil, !d.discoveryBroadcastingDisabled, var link = dlm.link,
              let m = link.announcementIfDue(ownID: id, network: d.networkId, sampleSeconds: d.sampleSeconds,
                                             standalone: d.mode == .masterStandalone, now: now) else { return }
        dlm.link = link
        sendDLM(DLMDatagram(destination: .broadcast, bytes: DLMLink.seal(m, key: settings.dlm.networkKey)))
    }

    /// An input of the allocation changed outside the poll (a grid meter reading): the master reallocates at once and
    /// its grants go out with this call's datagrams.
    public mutating func dlmInputChanged(now: Date) {
        guard settings.dlm.mode.isMaster else { return }
        runDLMIfDue(now: now)
        applyLimits(now: now)
    }

    /// A slave's part of every poll: the grants while they hold, else its Disconnected Limit (seeds/004 §7.7: within
    /// three sample periods of the master's last message; it recovers by itself when the master returns); and its
    /// report to the master.
    private mutating func runDLMSlave(now: Date) {
        var slave = dlmSlave ?? DLMSlaveLink()
        let fallback = settings.dlm.disconnectedLimitAmps
        if slave.expireGrants(now: now) {
            log(now, .dlmLinkChanged, 0, "DLM: no message from master \(slave.master?.id ?? "?") for three sample periods; Disconnected Limit \(ParameterValue.decimal(fallback)) A applies")
        }
        for i in connectors.indices {
            let limit: ExternalLimit
            if let g = slave.grants, let until = slave.grantsValidUntil, g.amps.indices.contains(i) {
                limit = ExternalLimit(.dlm, amps: g.amps[i], validUntil: until, fallbackAmps: fallback)
            } else {
                limit = ExternalLimit(.dlm, amps: fallback)
            }
            externalLimits[i + 1, default: [:]][.dlm] = limit
        }
        if settings.dlm.linkProblem == nil,
           let (destination, m) = slave.reportIfDue(dlmReport(), ownID: settings.chargeBoxIdentity, network: settings.dlm.networkId,
                                                          fixedMaster: settings.dlm.mode == .slaveFixedIP, now: now) {
            sendDLM(DLMDatagram(destination: destination, bytes: DLMLink.seal(m, key: settings.dlm.networkKey)))
        }
        dlmSlave = slave
    }

    /// What this slave tells its master.
    func dlmReport() -> DLMReport {
        let phases = vehiclePhases
        return DLMReport(disconnectedLimitAmps: settings.dlm.disconnectedLimitAmps, connectors: connectors.indices.map { i in
            let c = settings.connectors[i]
            return DLMConnectorReport(
                rotation: c.phaseRotation, phasesConnected: c.phasesConnected.phaseCount, usedPhases: phases[i + 1],
                demanding: connectors[i].session.activeSession != nil && connectors[i].machine.isOperative,
                maximumAmps: ownMaximumAmps(i), minimumAmps: max(PWM.minimumAmps, settings.minimumCurrentAmps),
                measuredAmps: connectors[i].reading.meter.currentA, status: connectors[i].machine.status.rawValue)
        })
    }

    /// A connector's own chain without DLM: what it could use if DLM gave everything.
    private func ownMaximumAmps(_ i: Int) -> Double {
        connectors[i].limit.inputs.filter { $0.source != .dlm }.map(\.amps).min() ?? settings.connectors[i].hardwareMaxCurrentAmps
    }

    // MARK: Link input

    /// A datagram of the DLM link from `endpoint`. Anything that is not an authenticated, fresh message of our DLM
    /// network for us is refused and logged (rate-limited per sender and reason); nothing from the network can change
    /// an allocation without the key.
    public mutating func dlmReceive(_ bytes: [UInt8], from endpoint: DLMEndpoint, now: Date) {
        let d = settings.dlm
        guard d.mode.usesLink, d.linkProblem == nil else { return }
        do throws(DLMLinkRefusal) {
            let m = try DLMLink.open(bytes, key: d.networkKey, network: d.networkId)
            if d.mode.isMaster {
                var link = dlm.link ?? DLMMasterLink(known: loadDLMSlaves())
                let received = try link.receive(m, from: endpoint, ownID: settings.chargeBoxIdentity, network: d.networkId,
                                                sampleSeconds: d.sampleSeconds, standalone: d.mode == .masterStandalone, now: now)
                dlm.link = link
                switch received {
                case .hello(let reply):
                    sendDLM(DLMDatagram(destination: .endpoint(endpoint), bytes: DLMLink.seal(reply, key: d.networkKey)))
                case .report(let slave, let new):
                    if new { log(now, .dlmLinkChanged, 0, "DLM: slave \(slave) connected from \(endpoint)") }
                    dlm.reported.insert(slave)
                    runDLMIfDue(now: now)
                    applyLimits(now: now)
                }
            } else if d.mode.isSlave {
                var slave = dlmSlave ?? DLMSlaveLink()
                let hadGrants = slave.grants != nil
                let result = try slave.receive(m, from: endpoint, ownID: settings.chargeBoxIdentity, fixedMaster: d.mode == .slaveFixedIP, now: now)
                switch result {
                case .grants:
                    if !hadGrants { log(now, .dlmLinkChanged, 0, "DLM: master \(m.from) at \(endpoint) controls this station") }
                case .masterFound(let id, let at):
                    log(now, .dlmLinkChanged, 0, "DLM: following master \(id) at \(at)")
                case .rivalMaster(let id):
                    dlmWarn(now, key: "rival \(id)", "another DLM master \(id) announces itself on network \(d.networkId) from \(endpoint); this slave stays with \(slave.master?.id ?? "its master")")
                case .ignored:
                    break
                }
                dlmSlave = slave
                if case .grants = result {
                    runDLMSlave(now: now)
                    applyLimits(now: now)
                }
            }
        } catch {
            dlmWarn(now, key: "\(endpoint.host) \(error)", "DLM: refused a datagram from \(endpoint): \(error)")
        }
    }

    /// Logs a DLM link warning, at most once a minute per key.
    private mutating func dlmWarn(_ now: Date, key: String, _ message: String) {
        if let last = dlmWarnings[key], now.timeIntervalSince(last) < 60, now >= last { return }
        if dlmWarnings.count > 256 { dlmWarnings.removeAll() }
        dlmWarnings[key] = now
        notice(.dlmLinkWarning(message))
    }

    /// Removes one slave (nil: every slave) from the master and the persistent DLM slave DB ("Clear persistent DLM slave
    /// DB", seeds/004 §7.4). A removed slave that is still there registers again with its next report.
    public mutating func removeDLMSlaves(_ id: String?, now: Date) throws(DLMSlaveRemovalError) -> [String] {
        guard settings.dlm.mode.isMaster, var link = dlm.link else { throw .notMaster }
        if let id, link.slaves[id] == nil { throw .unknown(id) }
        let ids = link.remove(id)
        dlm.link = link
        do { try store.deleteDLMSlaves(ids: ids) } catch { notice(.storeFailed(what: "deleteDLMSlaves", error: "\(error)")) }
        log(now, .dlmLinkChanged, 0, id == nil ? "DLM: persistent slave DB cleared (\(ids.count) slave(s))" : "DLM: slave \(id!) removed")
        runDLMIfDue(now: now)
        applyLimits(now: now)
        return ids
    }

    private func loadDLMSlaves() -> [DLMSlaveRecord] {
        (try? store.loadDLMSlaves()) ?? []
    }

    /// seeds/004 §7.7: "In total the slaves' disconnected limits may not exceed the maximum available current" — checked
    /// per grid phase against the sub-distribution limits, shown as a configuration warning.
    private mutating func checkDisconnectedLimits(now: Date) {
        let warnings = dlmConfigurationWarnings(now: now)
        guard warnings != dlm.warned else { return }
        for w in warnings where !dlm.warned.contains(w) { notice(.dlmLinkWarning(w)) }
        dlm.warned = warnings
    }

    /// The sum of the Disconnected Limits per grid phase: every known slave connector (and, for a master with internal
    /// slave, none of its own — they stop with the master).
    func disconnectedSumAmps() -> PhaseValues {
        var sum = PhaseValues.zero
        for r in dlm.link?.slaves.values.sorted(by: { $0.id < $1.id }) ?? [] {
            for c in r.report.connectors {
                let map = c.rotation.gridPhaseIndices
                for p in 0..<(c.phasesConnected >= 3 ? 3 : 1) { sum[map[p]] += r.report.disconnectedLimitAmps }
            }
        }
        return sum
    }

    /// Configuration warnings of the DLM role (status API, dashboard, log).
    func dlmConfigurationWarnings(now: Date) -> [String] {
        var out: [String] = []
        if let problem = settings.dlm.linkProblem { out.append(problem) }
        if settings.dlm.mode.isMaster {
            let sum = disconnectedSumAmps()
            let limit = settings.dlm.subDistributionLimitAmps, op = settings.dlm.operatorSubDistributionLimitAmps
            let site = PhaseValues(l1: min(limit.l1, op.l1), l2: min(limit.l2, op.l2), l3: min(limit.l3, op.l3))
            if (0..<3).contains(where: { sum[$0] > site[$0] + 1e-9 }) {
                out.append("The slaves' Disconnected Limits add up to \(Self.phaseText(sum)) A per phase, above the sub-distribution limit of \(Self.phaseText(site)) A: without the master they could overload it (seeds/004 §7.7)")
            }
        }
        if let rivals = dlmSlave?.rivals, !rivals.isEmpty {
            out.append("More than one DLM master on network \(settings.dlm.networkId): \(rivals.sorted().joined(separator: ", "))")
        }
        return out
    }

    // MARK: Inputs of the allocation

    /// The site of this cycle: the grid meter's currents when External Meter Support is on (nil while it fails), and
    /// DLM load shedding on "Opto 1 In".
    var dlmSite: DLMSite {
        let d = settings.dlm
        let meterReading = gridMeter.flatMap { $0.communicating ? $0.reading?.currentA : nil }
        let shedding = d.sheddingOffsetAmps != nil && board.input(.opto1) != d.sheddingActiveHigh
        return d.site(meterConfigured: settings.gridMeter != nil, meterReading: meterReading, shedding: shedding)
    }

    /// The station's own connectors as DLM charge points ("local/<n>").
    func dlmChargePoints(previous: [String: DLMGrant]) -> [DLMChargePoint] {
        let phases = vehiclePhases
        return connectors.indices.map { i in
            let n = i + 1, id = "local/\(n)"
            let c = settings.connectors[i]
            let last = previous[id]
            return DLMChargePoint(
                id: id, rotation: c.phaseRotation, phasesConnected: c.phasesConnected.phaseCount, usedPhases: phases[n],
                demanding: connectors[i].session.activeSession != nil && connectors[i].machine.isOperative, maximumAmps: ownMaximumAmps(i),
                minimumAmps: max(PWM.minimumAmps, settings.minimumCurrentAmps), measuredAmps: connectors[i].reading.meter.currentA,
                previousAmps: last?.amps ?? 0, since: last?.since)
        }
    }

    /// Tracks when each charge point's vehicle began to draw (for the self-limit rule).
    private mutating func updateChargingSince(_ points: [DLMChargePoint], now: Date) {
        var next: [String: Date] = [:]
        for p in points where p.demanding && p.reservedAmps == nil {
            if let t = dlm.chargingSince[p.id] { next[p.id] = t } else if p.measuredAmps.maximum > 1 { next[p.id] = now }
        }
        dlm.chargingSince = next
    }

    /// What makes a new allocation necessary before the sample period ends: demand, detected phases, own maxima, a
    /// self-limiting vehicle, a silent slave, the site's available current (meter readings, shedding, meter failure).
    func dlmSignature(_ points: [DLMChargePoint], _ site: DLMSite) -> DLMSignature {
        let available = DLM.available(site, evseDrawAmps: DLM.evseDraw(points))
        return DLMSignature(availableDeciAmps: (0..<3).map { Int(available[$0] * 10) }, points: points.map { p in
            DLMSignature.Point(id: p.id, demanding: p.demanding, usedPhases: p.usedPhases, maximumAmps: p.maximumAmps, minimumAmps: p.minimumAmps,
                               charging: p.chargingSince != nil, reservedAmps: p.reservedAmps)
        })
    }

    static func phaseText(_ p: PhaseValues) -> String {
        [p.l1, p.l2, p.l3].map { ParameterValue.decimal(($0 * 10).rounded(.down) / 10).description }.joined(separator: "/")
    }

    // MARK: Visibility

    /// Modbus 600–635 (seeds/000 MODBUS-REGISTERSATZ): DLM mode (``DLMMode/modbusCode``), limits, external meter
    /// support, slaves connected, overall current applied and available per phase (the master's; 0 on a slave).
    public func dlmRegisters(now: Date) -> DLMRegisters {
        let d = settings.dlm
        let validity = DLMLink.validitySeconds(sampleSeconds: d.sampleSeconds)
        return DLMRegisters(mode: d.mode.modbusCode, subDistributionLimitAmps: d.subDistributionLimitAmps,
                            operatorSubDistributionLimitAmps: d.operatorSubDistributionLimitAmps,
                            externalMeterSupport: settings.gridMeter != nil,
                            slavesConnected: dlm.link?.connectedCount(now: now, validitySeconds: validity) ?? 0,
                            appliedAmps: dlm.allocation?.appliedAmps ?? .zero, availableAmps: dlm.allocation?.availableAmps ?? .zero)
    }

    /// The DLM part of the status API: the allocation and the slaves (master), or the master and its grants (slave).
    func dlmStatus(now: Date) -> DLMStatus? {
        let d = settings.dlm
        guard d.mode != .off else { return nil }
        let validity = DLMLink.validitySeconds(sampleSeconds: d.sampleSeconds)
        let grants = dlm.allocation?.grants ?? []
        let byID = Dictionary(grants.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var status = DLMStatus(mode: d.mode, networkId: d.networkId, linkRunning: d.linkProblem == nil, lastRun: dlm.lastRun,
                               availableAmps: dlm.allocation?.availableAmps ?? .zero, appliedAmps: dlm.allocation?.appliedAmps ?? .zero,
                               grants: grants, warnings: dlmConfigurationWarnings(now: now))
        if let link = dlm.link {
            status.disconnectedLimitSumAmps = disconnectedSumAmps()
            status.slaves = link.slaves.values.sorted { $0.id < $1.id }.map { r in
                DLMSlaveView(id: r.id, address: r.endpoint.description, connected: !link.isSilent(r, now: now, validitySeconds: validity),
                             firstSeen: r.firstSeen, lastSeen: r.lastSeen, disconnectedLimitAmps: r.report.disconnectedLimitAmps,
                             connectors: r.report.connectors.enumerated().map { i, c in
                                 let g = byID[r.chargePointID(i + 1)]
                                 return DLMSlaveConnectorView(connector: i + 1, status: c.status, rotation: c.rotation, demanding: c.demanding,
                                                              measuredAmps: c.measuredAmps, grantAmps: g?.amps ?? (r.grantsAmps.indices.contains(i) ? r.grantsAmps[i] : 0),
                                                              reason: g?.reason)
                             })
            }
        }
        if let s = dlmSlave {
            status.master = DLMMasterView(id: s.master?.id, address: s.master?.endpoint.description ?? (d.mode == .slaveFixedIP ? d.masterAddress : nil),
                                          connected: s.grants != nil, lastGrants: s.master?.lastGrants,
                                          grantsAmps: s.grants?.amps, validUntil: s.grantsValidUntil,
                                          disconnectedLimitAmps: d.disconnectedLimitAmps)
        }
        return status
    }
}

/// What makes a new DLM allocation necessary before the sample period ends (see ``StationController/dlmSignature(_:_:)``).
struct DLMSignature: Sendable, Equatable {
    struct Point: Sendable, Equatable {
        var id: String
        var demanding: Bool
        var usedPhases: [Int]?
        var maximumAmps: Double
        var minimumAmps: Double
        var charging: Bool
        var reservedAmps: Double?
    }
    /// The site's available current per grid phase, in 0.1 A.
    var availableDeciAmps: [Int]
    var points: [Point]
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

/// The values of Modbus registers 600–635.
public struct DLMRegisters: Sendable, Equatable {
    public var mode: Int64
    public var subDistributionLimitAmps: PhaseValues
    public var operatorSubDistributionLimitAmps: PhaseValues
    public var externalMeterSupport: Bool
    public var slavesConnected: Int
    public var appliedAmps: PhaseValues
    public var availableAmps: PhaseValues
}
