#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import LoadManagement
import OCPP16
import SECC

/// What a connector's ISO 15118 session learned from its vehicle (SessionSetupReq's EVCCID; ChargeParameterDiscoveryReq's
/// maximum current, energy request and departure). The board knows nothing of a session the station runs itself over
/// the powerline modem, so the runtime lays this over the board's readings before each control step
/// (``BoardInputs/overlaying(_:)``): Autocharge, the Modbus registers 701–746 and the dashboard then see the vehicle as
/// they see one a board reports.
public struct HLCVehicleInfo: Sendable, Equatable {
    /// The EVCCID as 12 hexadecimal digits (ISO 15118-2:2014 §8.4.3.2.2: hexBinary, 6 bytes).
    public var evccid: String
    /// Nil until ChargeParameterDiscovery.
    public var report: VehicleReport?
    /// The protocol the session negotiated (supportedAppProtocol), nil when unknown.
    public var hlcProtocol: VehicleHLCProtocol?

    public init(evccid: String, report: VehicleReport? = nil, hlcProtocol: VehicleHLCProtocol? = nil) {
        self.evccid = evccid; self.report = report; self.hlcProtocol = hlcProtocol
    }
}

extension BoardInputs {
    /// The readings with each connector's ISO 15118 vehicle laid over them (keys: connector 1…n); what the board itself
    /// reports of a vehicle wins, as a board that speaks ISO 15118 knows its own session.
    public func overlaying(_ vehicles: [Int: HLCVehicleInfo]) -> BoardInputs {
        var out = self
        for (n, info) in vehicles where out.connectors.indices.contains(n - 1) {
            guard out.connectors[n - 1].pilot.vehicleConnected else { continue }
            if out.connectors[n - 1].evccid == nil {
                out.connectors[n - 1].evccid = info.evccid
                if out.connectors[n - 1].hlcProtocol == nil { out.connectors[n - 1].hlcProtocol = info.hlcProtocol }
            }
            if out.connectors[n - 1].vehicle == nil { out.connectors[n - 1].vehicle = info.report }
        }
        return out
    }
}

extension StationController {
    /// The ISO 15118 data link of connector `n` failed on this plug-in (D-LINK_ERROR, ISO 15118-3:2015 §7.7: the
    /// handshake's Failed_NoNegotiation, SLAC that found no vehicle, a session that failed before PowerDelivery Start,
    /// the vehicle vanishing): from now until the vehicle is unplugged the pilot shows the nominal duty cycle, never
    /// 5 %, so that a vehicle that cannot speak ISO 15118 still charges by the PWM ([V2G3-M07-05] … [V2G3-M07-09]: the
    /// EVSE leaves the 5 % signal; IEC 61851-1 basic charging follows). It matters in HLC mode Force, the only one that
    /// keeps 5 % for a whole session; Encouragement drops it after 2 s anyway.
    public mutating func hlcLinkFailed(connector n: Int, now: Date) {
        guard connectors.indices.contains(n - 1), connectors[n - 1].pilot.vehicleConnected, !connectors[n - 1].hlcLinkFailed else { return }
        connectors[n - 1].hlcLinkFailed = true
        if connectors[n - 1].machine.highLevelCommunication {
            log(now, .currentLimitChanged, n, "ISO 15118 link failed on connector \(n): the pilot falls back to the nominal duty cycle until the vehicle is unplugged")
        }
        updateHighLevelCommunication(n, now: now)
    }

    /// The vehicle paused its ISO 15118 session (SessionStopReq Pause, ISO 15118-2:2014 §8.4.3.13; ISO 15118-20:2022
    /// §8.3.4.3.10): D-LINK_PAUSE (ISO 15118-3:2015, the data link primitive D-LINK_PAUSE.request) — the powerline link and its SLAC match stay, the pilot goes
    /// to X1 (oscillator off, state B1) so that the vehicle may sleep, and the contactors stay open. The transaction
    /// goes on (SuspendedEV). The vehicle wakes the station with a B-C-B toggle (state C for a moment, then B again):
    /// the pilot then oscillates again (X2: 5 % or the nominal duty cycle of the HLC mode) and the vehicle resumes its
    /// session with the old SessionID, without SLAC. Unplug ends the pause.
    public mutating func hlcSessionPaused(connector n: Int, now: Date) {
        guard connectors.indices.contains(n - 1), connectors[n - 1].pilot.vehicleConnected, !connectors[n - 1].machine.dataLinkPaused else { return }
        connectors[n - 1].wakeToggleSeen = false
        log(now, .currentLimitChanged, n, "Connector \(n): the vehicle paused its ISO 15118 session; the pilot rests (X1) until it wakes the station")
        run(n, connectors[n - 1].machine.handle(.dataLinkPaused(true)))
    }

    /// The wake-up toggle of a paused vehicle (ISO 15118-3:2015, the B-C-B toggle): state C, then B again; the
    /// contactors stay open meanwhile (``ConnectorEvent/dataLinkPaused(_:)``).
    mutating func followWakeUpToggle(_ n: Int, now: Date) {
        guard connectors[n - 1].machine.dataLinkPaused else {
            connectors[n - 1].wakeToggleSeen = false
            return
        }
        if connectors[n - 1].pilot.requestsEnergy {
            connectors[n - 1].wakeToggleSeen = true
        } else if connectors[n - 1].pilot == .b && connectors[n - 1].wakeToggleSeen {
            connectors[n - 1].wakeToggleSeen = false
            log(now, .currentLimitChanged, n, "Connector \(n): the vehicle woke the station (B-C-B); the pilot oscillates again for its ISO 15118 session")
            run(n, connectors[n - 1].machine.handle(.dataLinkPaused(false)))
        }
    }

    /// Whether connector `n`'s vehicle paused its ISO 15118 session and has not woken the station yet.
    public func hlcPaused(connector n: Int) -> Bool {
        connectors.indices.contains(n - 1) && connectors[n - 1].machine.dataLinkPaused
    }

    /// Whether connector `n`'s pilot keeps the nominal duty cycle after an ISO 15118 link failure (until unplug).
    public func hlcFallback(connector n: Int) -> Bool {
        connectors.indices.contains(n - 1) && connectors[n - 1].hlcLinkFailed
    }

    /// The SECC's view of connector `n` (nil for a connector that does not exist): what its ISO 15118 session tells
    /// the vehicle (``HLCConnectorView``, declared by the pure SECC target). With `now` and the backend's charging
    /// profiles installed, the schedule of the next 24 hours too: their composite under the connector's static limits,
    /// per phase (the one GetCompositeSchedule reports). Without profiles the schedule stays empty (the rated power),
    /// so that a change of a static limit reaches the vehicle as EVSEMaxCurrent, not as a renegotiation.
    public func hlcView(connector n: Int, now: Date? = nil) -> HLCConnectorView? {
        guard connectors.indices.contains(n - 1), settings.connectors.indices.contains(n - 1) else { return nil }
        let c = connectors[n - 1]
        let authorized: Bool
        switch c.session.state {
        case .idle: authorized = false
        case .awaitingVehicle, .active: authorized = true
        }
        let signal = c.machine.pilotSignal
        return HLCConnectorView(
            authorized: authorized, maxCurrentAmps: authorized ? signal.signaledAmps : 0,
            ratedCurrentAmps: settings.connectors[n - 1].hardwareMaxCurrentAmps,
            phases: c.reading.switchedPhases ?? settings.connectors[n - 1].phasesConnected.phaseCount,
            nominalVoltageV: settings.powerSourceVoltageV,
            stopRequested: c.machine.finishedWhileConnected && c.pilot.vehicleConnected,
            digitalOnly: signal.requiresHighLevelCommunication, rcdTripped: c.reading.rcdTripped,
            schedule: now.flatMap { chargingProfiles.installed.isEmpty ? nil : compositeSchedule(connector: n, durationSeconds: 86_400, unit: "A", now: $0) }
                .map { $0.chargingSchedulePeriod.map { HLCSchedulePeriod(startSeconds: $0.startPeriod, amps: $0.limit) } } ?? [],
            meter: c.reading.meter.communicating ? HLCMeterReading(meterID: "\(settings.serialNumber)-\(n)", energyWh: c.reading.meter.energyWh) : nil)
    }
}
