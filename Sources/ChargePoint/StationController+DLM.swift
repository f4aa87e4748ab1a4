#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

/// What the DLM master knows between cycles.
public struct DLMMasterState: Sendable, Equatable {
    /// The last allocation (status API, Modbus 600–635).
    public var allocation: DLMAllocation?
    public var lastRun: Date?
    /// The inputs of the last run; a change triggers a new allocation at once.
    var signature: [String] = []
    /// Per charge point id: when its vehicle began to draw in this session. (The previous grant and when it last
    /// changed between served and waiting are in `allocation`.)
    var chargingSince: [String: Date] = [:]
}

extension StationController {
    /// The DLM cycle of a master with internal slave (seeds/004 §1.4 "DLM Master (With internal DLM-Slave)"): its own
    /// connectors are the charge points. It runs every "DLM Algorithm Sample Rate" and at once when an input changes —
    /// a vehicle plugs in, starts or stops drawing, a session starts or ends, the grid meter reports or fails, load
    /// shedding is signalled. A decrease is applied in the same poll; the chain holds back increases (rate rule).
    mutating func runDLMIfDue(now: Date) {
        guard settings.dlm.mode == .master else {
            // Master switched off: withdraw its allocations (a slave's come from its link, not from here).
            if dlm.allocation != nil {
                dlm = DLMMasterState()
                for n in externalLimits.keys { externalLimits[n]?[.dlm] = nil }
            }
            return
        }
        let points = dlmChargePoints(now: now)
        let site = dlmSite
        let signature = dlmSignature(points, site)
        let due = dlm.lastRun.map { now.timeIntervalSince($0) >= settings.dlm.sampleSeconds } ?? true
        guard due || signature != dlm.signature else { return }
        let result = DLM.allocate(site: site, chargePoints: points, now: now)
        // The charge points are the connectors in order.
        for (i, grant) in result.grants.enumerated() {
            externalLimits[i + 1, default: [:]][.dlm] = ExternalLimit(.dlm, amps: grant.amps)
        }
        if dlm.allocation?.availableAmps != result.availableAmps, let old = dlm.allocation {
            log(now, .currentLimitChanged, 0, "DLM: available per phase \(Self.phaseText(old.availableAmps)) → \(Self.phaseText(result.availableAmps)) A")
        }
        dlm.allocation = result
        dlm.lastRun = now
        dlm.signature = signature
    }

    /// The site of this cycle: the grid meter's currents when External Meter Support is on (nil while it fails), and
    /// DLM load shedding on "Opto 1 In".
    var dlmSite: DLMSite {
        let d = settings.dlm
        let meterReading = gridMeter.flatMap { $0.communicating ? $0.reading?.currentA : nil }
        let shedding = d.sheddingOffsetAmps != nil && hardware.input(.opto1) != d.sheddingActiveHigh
        return d.site(meterConfigured: settings.gridMeter != nil, meterReading: meterReading, shedding: shedding)
    }

    /// The station's own connectors as DLM charge points ("local/<n>").
    mutating func dlmChargePoints(now: Date) -> [DLMChargePoint] {
        let phases = vehiclePhases
        let last = dlm.allocation?.grants ?? []
        return connectors.indices.map { i in
            let n = i + 1, id = "local/\(n)"
            let c = settings.connectors[i]
            let demanding = connectors[i].session.activeSession != nil && connectors[i].machine.isOperative
            let measured = connectors[i].reading.meter.currentA
            if demanding && measured.maximum > 1 {
                if dlm.chargingSince[id] == nil { dlm.chargingSince[id] = now }
            } else if !demanding {
                dlm.chargingSince[id] = nil
            }
            // The connector's own chain without DLM: what it could use if DLM gave everything.
            let own = connectors[i].limit.inputs.filter { $0.source != .dlm }.map(\.amps).min() ?? c.hardwareMaxCurrentAmps
            return DLMChargePoint(
                id: id, rotation: c.phaseRotation, phasesConnected: c.phasesConnected.phaseCount, usedPhases: phases[n],
                demanding: demanding, maximumAmps: own, minimumAmps: max(PWM.minimumAmps, settings.minimumCurrentAmps),
                measuredAmps: measured, previousAmps: last.indices.contains(i) ? last[i].amps : 0,
                since: last.indices.contains(i) ? last[i].since : nil, chargingSince: dlm.chargingSince[id])
        }
    }

    /// What makes a new allocation necessary before the sample period ends: demand, detected phases, own maxima, a
    /// self-limiting vehicle, the site's available current (meter readings in whole amperes, shedding, meter failure).
    func dlmSignature(_ points: [DLMChargePoint], _ site: DLMSite) -> [String] {
        let available = DLM.available(site, evseDrawAmps: DLM.evseDraw(points))
        return [Self.phaseText(available)] + points.map { p in
            "\(p.id) \(p.demanding) \(p.usedPhases ?? []) \(p.maximumAmps) \(p.chargingSince != nil)"
        }
    }

    static func phaseText(_ p: PhaseValues) -> String {
        [p.l1, p.l2, p.l3].map { ParameterValue.decimal(($0 * 10).rounded(.down) / 10).description }.joined(separator: "/")
    }

    /// Modbus 600–635 (seeds/000 MODBUS-REGISTERSATZ): DLM mode 0 = off, 1 = master with internal slave (2–4 are kept
    /// for the standalone master and the two slave roles); limits; external meter support; slaves connected (none
    /// without the link); overall current applied and available per phase.
    public var dlmRegisters: DLMRegisters {
        let d = settings.dlm
        let code: Int64 = switch d.mode {
        case .off: 0
        case .master: 1
        }
        return DLMRegisters(mode: code, subDistributionLimitAmps: d.subDistributionLimitAmps,
                            operatorSubDistributionLimitAmps: d.operatorSubDistributionLimitAmps,
                            externalMeterSupport: settings.gridMeter != nil, slavesConnected: 0,
                            appliedAmps: dlm.allocation?.appliedAmps ?? .zero, availableAmps: dlm.allocation?.availableAmps ?? .zero)
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
