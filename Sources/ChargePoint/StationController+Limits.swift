#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import LoadManagement
import OCPP16

/// The current limit chain of every connector and the inputs components outside the controller feed into it
/// (DLM, charging profiles, Modbus, meters).
extension StationController {
    /// Recomputes every connector's limit chain (CurrentLimits) and signals the result; a change of the binding source
    /// is written to the event log.
    mutating func applyLimits(now: Date) {
        let demanding = Set(connectors.indices.filter { connectors[$0].session.activeSession != nil }.map { $0 + 1 })
        let phases = vehiclePhases
        let statics = CurrentLimits.staticInputs(settings, demanding: demanding, usedPhases: phases)
        let shedding = loadSheddingActive
        let scheduled = settings.currentSchedule.isEmpty ? nil : TimeWindowLimit.limit(settings.currentSchedule, at: now, timeZone: settings.timeZone)
        for i in connectors.indices where i < statics.count {
            var inputs = statics[i]
            if let amps = scheduled { inputs.append(LimitInput(.scheduler, amps)) }
            if shedding, let amps = settings.loadSheddingAmps { inputs.append(LimitInput(.loadShedding, amps)) }
            if settings.modbus.enabled { inputs.append(modbus.limit(connector: i + 1, settings.modbus, now: now)) }
            if let external = externalLimits[i + 1], !external.isEmpty {
                let used = CurrentLimits.usedGridPhases(settings, connector: i + 1, usedPhases: phases[i + 1])
                inputs += external.values.compactMap { $0.input(at: now, usedGridPhases: used) }
            }
            if let amps = chargingProfileLimit(i + 1, demanding: demanding.count, now: now) { inputs.append(LimitInput(.chargingProfile, amps)) }
            if backendConfigured && !online, let amps = settings.offlineLimitAmps { inputs.append(LimitInput(.smartChargingOffline, amps)) }
            if connectors[i].energyBlocked { inputs.append(LimitInput(.invalidIdTag, 0)) }
            let limit = CurrentLimits.decide(inputs, minimumAmps: max(PWM.minimumAmps, settings.minimumCurrentAmps))
            let old = connectors[i].limit
            guard old != limit else { continue }
            // Decreases at once (IEC 61851-1 Table A.6: the vehicle follows within 5 s); an increase waits until the
            // signalled current has been stable for 5 s during the session, so that a vehicle still following a
            // decrease never sees the current swing back and forth.
            if limit.amps > old.amps, let at = connectors[i].limitChangedAt, now.timeIntervalSince(at) < Self.increaseHoldOff.seconds {
                continue
            }
            // Only a vehicle in a session follows the signal; an idle connector's changes hold nothing back.
            if limit.amps != old.amps && connectors[i].session.activeSession != nil { connectors[i].limitChangedAt = now }
            if limit.paused && !old.paused { connectors[i].chargingWhenPaused = connectors[i].pilot.requestsEnergy }
            if !limit.paused && old.paused && connectors[i].chargingWhenPaused { connectors[i].resumedAt = now }
            connectors[i].limit = limit
            if old.binding != limit.binding || old.paused != limit.paused {
                log(now, .currentLimitChanged, i + 1, limit.paused
                    ? "Connector \(i + 1) paused: \(limit.binding.rawValue) allows less than the minimum current"
                    : "Connector \(i + 1) limited by \(limit.binding.rawValue) to \(ParameterValue.decimal(limit.amps)) A")
            }
            if old.amps != limit.amps { run(i + 1, connectors[i].machine.handle(.currentLimitChanged(amps: limit.amps))) }
        }
    }

    /// Sets (or with nil removes) the limit a component outside the controller feeds into connector `n`'s chain, and
    /// applies the chain at once (a lower limit is signalled without delay).
    public mutating func setExternalLimit(_ limit: ExternalLimit?, source: LimitSource, connector n: Int, now: Date) {
        guard connectors.indices.contains(n - 1) else { return }
        externalLimits[n, default: [:]][source] = limit
        applyLimits(now: now)
    }

    /// The charge point phases each charging vehicle draws current on (above 1 A), for the phase-aware feed line share.
    var vehiclePhases: [Int: [Int]] {
        var out: [Int: [Int]] = [:]
        for i in connectors.indices where connectors[i].session.activeSession != nil {
            let a = connectors[i].reading.meter.currentA
            let used = [a.l1, a.l2, a.l3].indices.filter { [a.l1, a.l2, a.l3][$0] > 1 }
            if !used.isEmpty { out[i + 1] = used }
        }
        return out
    }

    /// Load shedding is signalled on "Opto 1 In" (seeds/000 "Lastabwurf"): Low active = the contact is closed (input
    /// on), High active = it is open.
    var loadSheddingActive: Bool {
        guard settings.loadSheddingAmps != nil else { return false }
        return board.input(.opto1) != settings.loadSheddingActiveHigh
    }
}
