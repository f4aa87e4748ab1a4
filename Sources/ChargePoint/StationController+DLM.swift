#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import LoadManagement
import StationModbus

/// The DLM roles of the station: the master and slave machines (LoadManagement's ``DLMMaster`` and ``DLMSlave``) get
/// their inputs from here, and their actions are carried out here — log lines, datagrams sealed with the network key,
/// the persistent slave DB, and the DLM limit of each connector's chain.
extension StationController {
    // MARK: Cycle

    /// The DLM part of every poll: the master's cycle and announcements, or the slave's report and fallback. A role
    /// that is switched off forgets its state and its limits.
    mutating func runDLM(now: Date) {
        let mode = settings.dlm.mode
        if !mode.isMaster, dlmMaster != nil {
            dlmMaster = nil
            for n in externalLimits.keys { externalLimits[n]?[.dlm] = nil }
        }
        if !mode.isSlave, dlmSlave != nil {
            dlmSlave = nil
            for n in externalLimits.keys { externalLimits[n]?[.dlm] = nil }
        }
        if mode.isMaster {
            var master = dlmMaster ?? DLMMaster(known: loadDLMSlaves())
            let actions = master.step(dlmInputs, now: now)
            dlmMaster = master
            carryOut(actions, now: now)
        } else if mode.isSlave {
            var slave = dlmSlave ?? DLMSlave()
            let actions = slave.step(dlmSlaveInputs, now: now)
            dlmSlave = slave
            carryOut(actions, now: now)
        }
    }

    /// An input of the allocation changed outside the poll (a grid meter reading): the master reallocates at once and
    /// its grants go out with this call's effects.
    public mutating func dlmInputChanged(now: Date) {
        guard settings.dlm.mode.isMaster, var master = dlmMaster else {
            // A single station that divides its house connection itself (External Meter Support On, DLM off).
            if meterLoadManagement != nil {
                runMeterLoadManagement(now: now)
                applyLimits(now: now)
            }
            return
        }
        let actions = master.runIfDue(dlmInputs, now: now)
        dlmMaster = master
        carryOut(actions, now: now)
        applyLimits(now: now)
    }

    /// Carries out what a DLM role asked for, in order.
    private mutating func carryOut(_ actions: [DLMAction], now: Date) {
        for action in actions {
            switch action {
            case .linkChanged(let line): log(now, .dlmLinkChanged, 0, line)
            case .availableChanged(let line): log(now, .currentLimitChanged, 0, line)
            case .warning(let message): notice(.dlmLinkWarning(message))
            case .send(let m, let destination):
                sendDLM(DLMDatagram(destination: destination, bytes: DLMLink.seal(m, key: settings.dlm.networkKey)))
            case .saveSlaves(let records):
                do { try store.saveDLMSlaves(records) } catch { notice(.storeFailed(what: "saveDLMSlaves", error: "\(error)")) }
            case .deleteSlaves(let ids):
                do { try store.deleteDLMSlaves(ids: ids) } catch { notice(.storeFailed(what: "deleteDLMSlaves", error: "\(error)")) }
            case .limit(let n, let amps, let validUntil, let fallbackAmps):
                guard connectors.indices.contains(n - 1) else { continue }
                externalLimits[n, default: [:]][.dlm] = ExternalLimit(.dlm, amps: amps, validUntil: validUntil, fallbackAmps: fallbackAmps)
            }
        }
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

    /// A connector's own chain without load management (DLM, the house connection): what it could use if load
    /// management gave everything.
    private func ownMaximumAmps(_ i: Int) -> Double {
        connectors[i].limit.inputs.filter { $0.source != .dlm && $0.source != .externalMeter }.map(\.amps).min()
            ?? settings.connectors[i].hardwareMaxCurrentAmps
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
            let actions: [DLMAction]
            if d.mode.isMaster {
                var master = dlmMaster ?? DLMMaster(known: loadDLMSlaves())
                defer { dlmMaster = master }
                actions = try master.receive(m, from: endpoint, dlmInputs, now: now)
            } else if d.mode.isSlave {
                var slave = dlmSlave ?? DLMSlave()
                defer { dlmSlave = slave }
                actions = try slave.receive(m, from: endpoint, dlmSlaveInputs, now: now)
            } else {
                return
            }
            carryOut(actions, now: now)
            if actions.contains(where: { if case .limit = $0 { true } else { false } }) { applyLimits(now: now) }
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
        guard settings.dlm.mode.isMaster, var master = dlmMaster else { throw .notMaster }
        let (removed, actions) = try master.remove(id, dlmInputs, now: now)
        dlmMaster = master
        carryOut(actions, now: now)
        applyLimits(now: now)
        return removed
    }

    private func loadDLMSlaves() -> [DLMSlaveRecord] {
        (try? store.loadDLMSlaves()) ?? []
    }

    /// Configuration warnings of the DLM role (status API, dashboard, log).
    func dlmConfigurationWarnings() -> [String] {
        if let master = dlmMaster, settings.dlm.mode.isMaster { return master.configurationWarnings(settings.dlm) }
        var out = settings.dlm.linkProblem.map { [$0] } ?? []
        if settings.dlm.mode.isSlave, settings.gridMeter != nil {
            out.append("External Meter Support is On on a DLM slave: its meter is read but limits nothing here; the DLM master's external meter limits the site")
        }
        if let rivals = dlmSlave?.link.rivals, !rivals.isEmpty {
            out.append("More than one DLM master on network \(settings.dlm.networkId): \(rivals.sorted().joined(separator: ", "))")
        }
        return out
    }

    // MARK: Inputs of the allocation

    /// The site of this cycle: the grid meter's currents when External Meter Support is on (nil while it fails), and
    /// DLM load shedding on "Opto 1 In".
    var dlmSite: DLMSite {
        let d = settings.dlm
        let shedding = d.sheddingOffsetAmps != nil && board.input(.opto1) != d.sheddingActiveHigh
        return d.site(meterConfigured: settings.gridMeter != nil, meterReading: gridMeterCurrents, shedding: shedding)
    }

    /// What the master works with in this step: its settings, its connectors as charge points ("local/<n>"), the site.
    var dlmInputs: DLMStationInputs {
        DLMStationInputs(settings: settings.dlm, ownID: settings.chargeBoxIdentity, connectors: localChargePoints, site: dlmSite)
    }

    /// The station's connectors as charge points of an allocation ("local/<n>"): phases, rotation, demand, their own
    /// maximum and the minimum current, their measured currents.
    var localChargePoints: [DLMChargePoint] {
        let phases = vehiclePhases
        return connectors.indices.map { i in
            let c = settings.connectors[i]
            return DLMChargePoint(
                id: "local/\(i + 1)", rotation: c.phaseRotation, phasesConnected: c.phasesConnected.phaseCount, usedPhases: phases[i + 1],
                demanding: connectors[i].session.activeSession != nil && connectors[i].machine.isOperative, maximumAmps: ownMaximumAmps(i),
                minimumAmps: max(PWM.minimumAmps, settings.minimumCurrentAmps), measuredAmps: connectors[i].reading.meter.currentA)
        }
    }

    /// What the slave works with in this step.
    var dlmSlaveInputs: DLMSlave.Inputs {
        DLMSlave.Inputs(settings: settings.dlm, ownID: settings.chargeBoxIdentity, report: dlmReport())
    }

    // MARK: Visibility

    /// Modbus 600–635 (seeds/000 MODBUS-REGISTERSATZ): DLM mode (``DLMMode/modbusCode``), limits, external meter
    /// support, slaves connected, overall current applied and available per phase (the master's; 0 on a slave). A
    /// station without a DLM role that divides its house connection (External Meter Support On) shows its own
    /// allocation in 630–635 and 1 in 620.
    public func dlmRegisters(now: Date) -> DLMRegisters {
        let d = settings.dlm
        let validity = DLMLink.validitySeconds(sampleSeconds: d.sampleSeconds)
        let allocation = dlmMaster?.allocation ?? (dividesHouseConnection ? meterLoadManagement?.cycle.allocation : nil)
        return DLMRegisters(mode: d.mode.modbusCode, subDistributionLimitAmps: d.subDistributionLimitAmps,
                            operatorSubDistributionLimitAmps: d.operatorSubDistributionLimitAmps,
                            externalMeterSupport: settings.gridMeter != nil,
                            slavesConnected: dlmMaster?.link.connectedCount(now: now, validitySeconds: validity) ?? 0,
                            appliedAmps: allocation?.appliedAmps ?? .zero, availableAmps: allocation?.availableAmps ?? .zero)
    }

    /// The DLM part of the status API: the allocation and the slaves (master), or the master and its grants (slave).
    func dlmStatus(now: Date) -> DLMStatus? {
        let d = settings.dlm
        guard d.mode != .off else { return nil }
        let validity = DLMLink.validitySeconds(sampleSeconds: d.sampleSeconds)
        let allocation = dlmMaster?.allocation
        let grants = allocation?.grants ?? []
        let byID = Dictionary(grants.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var status = DLMStatus(mode: d.mode, networkId: d.networkId, linkRunning: d.linkProblem == nil, lastRun: dlmMaster?.lastRun,
                               availableAmps: allocation?.availableAmps ?? .zero, appliedAmps: allocation?.appliedAmps ?? .zero,
                               grants: grants, warnings: dlmConfigurationWarnings())
        if let master = dlmMaster {
            let link = master.link
            status.disconnectedLimitSumAmps = master.disconnectedSumAmps()
            status.cycleSeconds = master.cycleSeconds
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
        if let s = dlmSlave?.link {
            status.master = DLMMasterView(id: s.master?.id, address: s.master?.endpoint.description ?? (d.mode == .slaveFixedIP ? d.masterAddress : nil),
                                          connected: s.grants != nil, lastGrants: s.master?.lastGrants,
                                          grantsAmps: s.grants?.amps, validUntil: s.grantsValidUntil,
                                          disconnectedLimitAmps: d.disconnectedLimitAmps)
        }
        return status
    }
}
