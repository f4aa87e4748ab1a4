#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import LoadManagement

/// PV surplus charging from the grid meter (issue 25 item 2): LoadManagement's ``SurplusController`` decides, per
/// connector in Min+PV or PV mode, a limit that enters the chain as ``LimitSource/pvSurplus``, with the reason the
/// status API shows. The surplus is the grid meter's export plus what those connectors draw now.
extension StationController {
    /// The surplus part of every poll. Connectors in Fast mode have no surplus limit; with every connector in Fast the
    /// controller and its timers are forgotten.
    mutating func runSurplus(now: Date) {
        let modes = settings.connectors.map(\.chargeMode)
        guard modes.contains(where: { $0 != .fast }) else {
            if !surplusDecisions.isEmpty || surplus != SurplusController() {
                surplus = SurplusController()
                surplusDecisions = [:]
                for n in externalLimits.keys { externalLimits[n]?[.pvSurplus] = nil }
            }
            return
        }
        let phases = vehiclePhases
        let points = connectors.indices.filter { $0 < settings.connectors.count }.map { i in
            let s = settings.connectors[i]
            return SurplusConnector(id: i + 1, mode: s.chargeMode, sessionActive: connectors[i].session.activeSession != nil,
                                    phases: phases[i + 1]?.count ?? min(s.phasesConnected.phaseCount, connectors[i].reading.switchedPhases ?? 3),
                                    phasesMeasured: phases[i + 1] != nil,
                                    powerW: connectors[i].reading.meter.totalPowerW,
                                    maximumAmps: min(s.operatorCurrentLimitAmps, s.installationCurrentLimitAmps, s.hardwareMaxCurrentAmps))
        }
        let (decisions, lines) = surplus.step(gridPowerW: gridMeterPowerW, connectors: points, settings: settings.surplus, now: now)
        surplusDecisions = Dictionary(decisions.map { ($0.connector, $0) }, uniquingKeysWith: { _, b in b })
        for p in points {
            externalLimits[p.id, default: [:]][.pvSurplus] = surplusDecisions[p.id].map { ExternalLimit(.pvSurplus, amps: $0.amps) }
        }
        for (n, line) in lines { log(now, .currentLimitChanged, n, line) }
    }

    /// The grid meter's total active power while it answers (+ import, − export), W.
    var gridMeterPowerW: Double? { gridMeter.flatMap { $0.communicating ? $0.reading?.totalPowerW : nil } }
}
