#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore
import LoadManagement
import OCPP16

/// One connector in a control step: its reading against the connector and session machines (plug-in and unplug, lock
/// feedback, errors, timers), the ISO 15118 duty-cycle mode, the wake-up of a sleeping vehicle, and what a vehicle
/// that plugs in starts (the authorization that waits for it, Autocharge, free charging).
extension StationController {
    /// Takes connector `n`'s reading of this control step (a configured Modbus charge meter replaces the board's meter)
    /// and advances its machines to `now`.
    mutating func pollConnector(_ n: Int, now: Date) {
        guard var r = board.reading(connector: n) else { return }
        if settings.chargeMeters.indices.contains(n - 1), settings.chargeMeters[n - 1] != nil {
            // A Modbus charge meter is configured: its values replace the controller's own meter.
            r.meter = connectors[n - 1].chargeMeter
                ?? MeterReading(energyWh: 0, powerW: .zero, currentA: .zero, voltageV: .zero, communicating: true)
        }
        let identifiedBefore = connectors[n - 1].reading.evccid != nil
        connectors[n - 1].reading = r
        // What the reading reflects: contactor commands given before it was taken.
        let relaysAtReading = connectors[n - 1].machine.relays
        let old = connectors[n - 1].pilot
        if r.pilot != old {
            connectors[n - 1].pilot = r.pilot
            run(n, connectors[n - 1].machine.handle(.pilotChanged(r.pilot)))
            persistPending = true
            followWakeUpToggle(n, now: now)
            if old == .a && r.pilot.vehicleConnected {
                connectors[n - 1].unpluggedSince = nil
                vehicleConnected(n, now: now, meterWh: r.meter.energyWh)
            } else if r.pilot == .a && old != .a {
                connectors[n - 1].unpluggedSince = now
                connectors[n - 1].hlcLinkFailed = false
                if authorization.settings.stopMode.unplugStops {
                    perform(n, connectors[n - 1].session.stop(reason: .evDisconnected, now: now, meterWh: r.meter.energyWh), now: now)
                } else if case .awaitingVehicle = connectors[n - 1].session.state {
                    perform(n, connectors[n - 1].session.stop(reason: .evDisconnected, now: now, meterWh: r.meter.energyWh), now: now)
                }
            }
            if r.pilot == .d && authorization.settings.stopMode == .normalModeDRCD {
                perform(n, connectors[n - 1].session.stop(reason: .other, now: now, meterWh: r.meter.energyWh), now: now)
            }
        }
        // A vehicle identified after its plug-in (the station's own ISO 15118 session): as if it came with the plug.
        if !identifiedBefore, r.evccid != nil, old.vehicleConnected, r.pilot.vehicleConnected, !errors.stopsCharging(connector: n) {
            vehicleIdentified(n, now: now)
        }
        if r.lockDetected != connectors[n - 1].machine.lockConfirmed {
            run(n, connectors[n - 1].machine.lockFeedback(r.lockDetected))
        }
        evaluateErrors(n, r, relaysCommanded: relaysAtReading, now: now)
        pollSignedMeter(n, r, now: now)
        let faulted = errors.stopsCharging(connector: n)
        if faulted != connectors[n - 1].machine.isFaulted {
            if faulted {
                perform(n, connectors[n - 1].session.stop(reason: .other, now: now, meterWh: r.meter.energyWh), now: now)
            }
            run(n, connectors[n - 1].machine.handle(.faulted(faulted)))
        }
        perform(n, connectors[n - 1].session.tick(now: now), now: now)
        if unlockRequests[n] != nil, let outcome = unlockFollowed(n, now: now) { notice(.unlockFinished(connector: n, outcome)) }
        updateHighLevelCommunication(n, now: now)
        wakeUpIfAsleep(n, now: now)
    }

    /// How long a vehicle may stay in state B after its current returned before it is woken.
    public static var wakeUpDelay: Duration { .seconds(10) }
    /// Length of the wake-up pulse (state F).
    public static var wakeUpPulse: Duration { .seconds(4) }

    /// seeds/004 "Allow EV Wakeup": a vehicle that was charging when its current paused and does not request energy
    /// within ``wakeUpDelay`` after the current returned gets one state F pulse of ``wakeUpPulse`` (IEC 61851-1:2017
    /// A.5.3), as a vehicle that fell asleep during the pause no longer reacts to the PWM alone.
    mutating func wakeUpIfAsleep(_ n: Int, now: Date) {
        let c = connectors[n - 1]
        if let until = c.wakeUpUntil {
            guard now >= until else { return }
            connectors[n - 1].wakeUpUntil = nil
            run(n, connectors[n - 1].machine.handle(.wakeUpPulse(false)))
            log(now, .currentLimitChanged, n, "Wake-up pulse on connector \(n) finished")
            return
        }
        guard let resumed = c.resumedAt else { return }
        if c.session.activeSession == nil || c.pilot.requestsEnergy || c.limit.paused {
            connectors[n - 1].resumedAt = nil
            return
        }
        guard settings.allowEVWakeup, now.timeIntervalSince(resumed) >= Self.wakeUpDelay.seconds else { return }
        connectors[n - 1].resumedAt = nil
        connectors[n - 1].wakeUpUntil = now.addingTimeInterval(Self.wakeUpPulse.seconds)
        run(n, connectors[n - 1].machine.handle(.wakeUpPulse(true)))
        log(now, .currentLimitChanged, n, "The vehicle on connector \(n) did not resume charging; waking it (Allow EV Wakeup)")
    }

    /// Applies the ISO 15118 mode (seeds/004 §7.3): Force signals the 5 % duty cycle always — from plug-in, so that the
    /// vehicle's ISO 15118 session can authorize it, and during the whole transaction; Encouragement signals it for the
    /// first 2 seconds of the transaction and keeps it only if the vehicle answered with ISO 15118 (reported an
    /// EVCCID); all other modes use the nominal duty cycle (Ed2 and Plug & Charge vehicles begin at any duty cycle).
    mutating func updateHighLevelCommunication(_ n: Int, now: Date) {
        let c = connectors[n - 1]
        var wanted = false
        if c.hlcLinkFailed {
            wanted = false
        } else if c.session.activeSession == nil {
            wanted = settings.hlc.mode == .force && c.pilot.vehicleConnected
        } else {
            switch settings.hlc.mode {
            case .force: wanted = true
            case .encouragement:
                let inWindow = c.encouragementUntil.map { now < $0 } ?? false
                wanted = inWindow || (c.machine.highLevelCommunication && c.reading.evccid != nil)
            case .off, .offer, .ed2, .plugAndCharge: wanted = false
            }
        }
        if wanted != c.machine.highLevelCommunication {
            run(n, connectors[n - 1].machine.handle(.highLevelCommunication(wanted)))
        }
    }

    mutating func vehicleConnected(_ n: Int, now: Date, meterWh: Double) {
        // Card first on another free connector: the authorization follows the vehicle.
        if case .idle = connectors[n - 1].session.state,
           let m = connectors.indices.first(where: { i in
               if case .awaitingVehicle = connectors[i].session.state, !connectors[i].pilot.vehicleConnected { return true }
               return false
           }),
           case .awaitingVehicle(var auth, _) = connectors[m].session.state,
           case .allowed(let reservationID) = reservationAdmission(connector: n, idTag: auth.idTag, parentIdTag: auth.parentIdTag) {
            auth.reservationID = reservationID
            _ = connectors[m].session.stop(reason: .other, now: now, meterWh: 0)
            run(m + 1, connectors[m].machine.handle(.authorizationEnded))
            guard !errors.stopsCharging(connector: n) else { return }
            perform(n, connectors[n - 1].session.authorize(auth, vehicleConnected: true, meterWh: meterWh, newID: makeID()), now: now)
            return
        }
        guard !errors.stopsCharging(connector: n) else { return }
        perform(n, connectors[n - 1].session.vehicleConnected(now: now, meterWh: meterWh, newID: makeID()), now: now)
        guard case .idle = connectors[n - 1].session.state else { return }
        let a = authorization.settings
        if vehicleIdentified(n, now: now) { return }
        if a.freeCharging && a.freeChargingMode.startsOnPlugIn {
            grant(n, AuthorizationGrant(idTag: a.freeChargingIdTag, presented: nil, source: .freeCharging,
                                        backendTransaction: a.freeChargingMode.sendsTransactions), method: .freeCharging, now: now)
        } else if !a.freeCharging && a.dummyEnabled {
            // Plug&Charge with the dummy RFID (seeds/002 §1.7 "no RFID"): presented for this connector, sent to the backend.
            carryOut(authorizationFlow.plugAndCharge(connector: n, authorizationViews(presented: a.dummyIdTag), online: online, now: now), now: now)
        } else if !a.freeCharging && a.ifInDoubt == .immediatelyOnPlugIn && !online {
            // Charging starts without a card; the card presented later is checked with the backend.
            grant(n, AuthorizationGrant(idTag: "", presented: nil, source: .ifInDoubt, provisional: true), method: .plugIn, now: now)
        }
    }

    /// The plugged vehicle's EVCCID (``ConnectorReading/evccid``) goes to learning mode or Autocharge while connector
    /// `n` has no session; true when it did. At plug-in when the board reports it with the plug; later, when the
    /// station's own ISO 15118 session learns it from SessionSetupReq seconds after the plug-in.
    @discardableResult
    mutating func vehicleIdentified(_ n: Int, now: Date) -> Bool {
        guard case .idle = connectors[n - 1].session.state,
              let vehicle = connectors[n - 1].reading.evccid.flatMap(VehicleIdentifier.init) else { return false }
        if authorizationFlow.learning(now: now) {
            learn(PresentedIdentifier(idTag: vehicle.macAddress, kind: .mac), now: now)
            return true
        }
        if settings.hlc.autocharge && !authorization.settings.freeCharging {
            autocharge(vehicle, connector: n, now: now)
            return true
        }
        return false
    }

    /// Autocharge (seeds/000 "Plug & Charge (ISO 15118) aktivieren": Autocharge, "Prefix für EVCCID oder MAC-Adresse
    /// für die OCPP Autorisierung", "Dein Auto hinzufügen"): the vehicle's identifier is presented on its connector like
    /// a card — the local whitelist by its MAC address, the OCPP lists and the backend by the prefixed idTag. A vehicle
    /// that nobody knows is not the driver's mistake: the refusal is logged without the rejection being shown, and a
    /// card still starts the session.
    mutating func autocharge(_ vehicle: VehicleIdentifier, connector n: Int, now: Date) {
        let p = PresentedIdentifier(idTag: vehicle.idTag(prefix: settings.hlc.autochargeIdTagPrefix), kind: .mac,
                                    whitelistID: vehicle.macAddress)
        var actions = authorizationFlow.present(p, method: .autocharge, connector: n, authorizationViews(presented: p.idTag),
                                                online: online, now: now)
        actions.removeAll { action in
            guard case .reject(let c, let message, let idTag) = action else { return false }
            log(now, .authorizationRejected, c, "Autocharge: \(message); a card can start the session", code: idTag)
            return true
        }
        carryOut(actions, now: now)
    }
}
