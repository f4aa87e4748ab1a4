#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import LoadManagement

/// Load management of the house connection on a single station (seeds/000 "Externen Zähler einbinden"): with External
/// Meter Support On and no DLM role, LoadManagement's ``MeterLoadManagement`` divides what the house connection leaves
/// among the station's connectors; its limits enter each connector's chain as ``LimitSource/externalMeter``. A DLM
/// master uses the meter in its own allocation instead; a DLM slave's meter limits nothing (its master's does), which
/// the DLM warnings say.
extension StationController {
    /// The station divides its house connection itself: External Meter Support On (a meter configured) and DLM off.
    var dividesHouseConnection: Bool { settings.gridMeter != nil && settings.dlm.mode == .off }

    /// The grid meter's phase currents while it answers (nil: not configured, not read yet, or failing).
    var gridMeterCurrents: PhaseValues? { gridMeter.flatMap { $0.communicating ? $0.reading?.currentA : nil } }

    /// The load management part of every poll and of every grid meter reading: allocates when due or when an input
    /// changed and puts each connector's limit into its chain. Off (or a DLM role taking over) forgets it and its limits.
    mutating func runMeterLoadManagement(now: Date) {
        guard dividesHouseConnection else {
            if meterLoadManagement != nil {
                meterLoadManagement = nil
                for n in externalLimits.keys { externalLimits[n]?[.externalMeter] = nil }
            }
            return
        }
        var machine = meterLoadManagement ?? MeterLoadManagement()
        let actions = machine.step(site: settings.dlm.houseConnectionSite(meterReading: gridMeterCurrents), connectors: localChargePoints,
                                   sampleSeconds: settings.dlm.sampleSeconds, now: now)
        meterLoadManagement = machine
        for action in actions {
            switch action {
            case .availableChanged(let line): log(now, .currentLimitChanged, 0, line)
            case .limit(let n, let amps):
                guard connectors.indices.contains(n - 1) else { continue }
                externalLimits[n, default: [:]][.externalMeter] = ExternalLimit(.externalMeter, amps: amps)
            }
        }
    }

    /// What the house connection leaves for the vehicles per grid phase (status API), while the station divides it.
    var houseConnectionAvailableAmps: PhaseValues? {
        dividesHouseConnection ? meterLoadManagement?.cycle.allocation?.availableAmps : nil
    }
}
