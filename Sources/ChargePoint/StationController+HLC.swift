#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore

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

    public init(evccid: String, report: VehicleReport? = nil) {
        self.evccid = evccid; self.report = report
    }
}

extension BoardInputs {
    /// The readings with each connector's ISO 15118 vehicle laid over them (keys: connector 1…n); what the board itself
    /// reports of a vehicle wins, as a board that speaks ISO 15118 knows its own session.
    public func overlaying(_ vehicles: [Int: HLCVehicleInfo]) -> BoardInputs {
        var out = self
        for (n, info) in vehicles where out.connectors.indices.contains(n - 1) {
            guard out.connectors[n - 1].pilot.vehicleConnected else { continue }
            if out.connectors[n - 1].evccid == nil { out.connectors[n - 1].evccid = info.evccid }
            if out.connectors[n - 1].vehicle == nil { out.connectors[n - 1].vehicle = info.report }
        }
        return out
    }
}

/// What the station tells the vehicle of a connector through its ISO 15118 session: the SECC's inputs, read at each
/// request (ISO 15118-2:2014 §8.4.3.7 AuthorizationRes EVSEProcessing, §8.5.3.3 AC_EVSEChargeParameter, §8.5.3.4
/// AC_EVSEStatus; ISO 15118-20:2022 §8.3.5.4 for the AC charge loop).
public struct HLCConnectorView: Sendable, Equatable {
    /// A session may charge (a card, the backend, Autocharge, free charging, a remote start): EVSEProcessing Finished.
    /// False: Ongoing — the vehicle keeps asking while the driver presents a card.
    public var authorized: Bool
    /// The current per phase the vehicle may draw now (EVSEMaxCurrent): the limit chain's result, 0 while the
    /// connector pauses or before a session.
    public var maxCurrentAmps: Double
    /// The phases the connector supplies now (1 or 3; after a phase switch, the switched ones).
    public var phases: Int
    /// EVSENominalVoltage: the supply's phase-to-neutral voltage.
    public var nominalVoltageV: Double
    /// The station ended the vehicle's session while it is still plugged in (a card, a remote stop, an error, the
    /// backend's refusal): EVSENotification StopCharging.
    public var stopRequested: Bool
    /// The pilot shows 5 %: the vehicle takes its limit from the session alone, never from the duty cycle.
    public var digitalOnly: Bool
}

extension StationController {
    /// The SECC's view of connector `n` (nil for a connector that does not exist).
    public func hlcView(connector n: Int) -> HLCConnectorView? {
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
            phases: c.reading.switchedPhases ?? settings.connectors[n - 1].phasesConnected.phaseCount,
            nominalVoltageV: settings.powerSourceVoltageV,
            stopRequested: c.machine.finishedWhileConnected && c.pilot.vehicleConnected,
            digitalOnly: signal.requiresHighLevelCommunication)
    }
}
