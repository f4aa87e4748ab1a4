#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import LoadManagement

/// The running sessions' PV/grid split (issue 25 item 4; see ``SolarShare`` for the definition) and what a restart
/// resumes from.
struct SolarShareBook: Sendable {
    struct Running: Sendable {
        var session: UUID
        var meter: SolarShareMeter
    }

    /// Per connector (1-based), the meter of its running session.
    var running: [Int: Running] = [:]
    /// Persisted splits of sessions that resume after a restart, taken when their connector is first metered.
    var resumed: [UUID: SolarShare] = [:]
}

/// The solar share of every running session, measured at each poll, persisted with the meter samples (same write,
/// ``StationStore/record(samples:hardwareState:)``) and with the stop record (``StationStore/sessionStopped``), so that
/// a `kill -9` loses at most the energy since the last persisted sample — and the register base stored with it makes
/// the next poll after a restart count that energy once, in the proportion then measured.
extension StationController {
    /// The part of each connector's draw now that the PV surplus covers, W; nil without a grid meter reading.
    ///
    /// Connectors in Min+PV and PV mode: the surplus controller's split (``SurplusDecision/fromPVW``). Connectors in
    /// Fast mode: what is left of the surplus (the grid meter's export plus what all connectors draw) after those took
    /// theirs, in connector order. The house is covered first: the station takes the import.
    func solarSplit() -> [Int: Double]? {
        guard let grid = gridMeterPowerW, grid.isFinite else { return nil }
        let draws = connectors.indices.map { i in
            let p = connectors[i].reading.meter.totalPowerW
            return connectors[i].session.activeSession != nil && p.isFinite ? max(0, p) : 0
        }
        var split: [Int: Double] = [:]
        var managedPVW = 0.0
        for (n, d) in surplusDecisions where d.mode != .fast {
            guard let pv = d.fromPVW, pv.isFinite else { continue }
            split[n] = pv
            managedPVW += pv
        }
        var leftW = max(0, -grid + draws.reduce(0, +)) - managedPVW
        for i in connectors.indices where split[i + 1] == nil {
            let pv = min(draws[i], max(0, leftW))
            split[i + 1] = pv
            leftW -= pv
        }
        return split
    }

    /// Every poll: the meter register of each running session's connector, split by ``solarSplit()``.
    mutating func meterSolarShares() {
        let split = solarSplit()
        for i in connectors.indices {
            let n = i + 1
            guard let s = connectors[i].session.activeSession else {
                solarShares.running[n] = nil
                continue
            }
            var meter: SolarShareMeter
            if let r = solarShares.running[n], r.session == s.id {
                meter = r.meter
            } else {
                meter = solarShares.resumed.removeValue(forKey: s.id).map(SolarShareMeter.init(resuming:))
                    ?? SolarShareMeter(meterStartWh: s.meterStartWh)
            }
            let m = connectors[i].reading.meter
            meter.add(meterWh: m.energyWh, powerW: m.totalPowerW, fromPVW: split.map { $0[n] ?? 0 })
            solarShares.running[n] = .init(session: s.id, meter: meter)
        }
    }

    /// The split of connector `n`'s running session `id` so far, for its meter sample.
    func solarShare(connector n: Int, session id: UUID) -> SolarShare? {
        solarShares.running[n].flatMap { $0.session == id ? $0.meter.share : nil }
    }

    /// The final split of session `s` that stops at `meterStopWh` (the rest since the last poll in the latest
    /// proportion); the connector's meter is forgotten.
    mutating func solarShareAtStop(_ n: Int, _ s: ChargingSession, meterStopWh: Double) -> SolarShare {
        let meter = solarShares.running[n].flatMap { $0.session == s.id ? $0.meter : nil }
            ?? solarShares.resumed.removeValue(forKey: s.id).map(SolarShareMeter.init(resuming:))
            ?? SolarShareMeter(meterStartWh: s.meterStartWh)
        solarShares.running[n] = nil
        return meter.closed(at: meterStopWh)
    }
}
