#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
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

extension StationController {
    /// The SECC's view of connector `n` (nil for a connector that does not exist): what its ISO 15118 session tells
    /// the vehicle (``HLCConnectorView``, declared by the pure SECC target).
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
            ratedCurrentAmps: settings.connectors[n - 1].hardwareMaxCurrentAmps,
            phases: c.reading.switchedPhases ?? settings.connectors[n - 1].phasesConnected.phaseCount,
            nominalVoltageV: settings.powerSourceVoltageV,
            stopRequested: c.machine.finishedWhileConnected && c.pilot.vehicleConnected,
            digitalOnly: signal.requiresHighLevelCommunication, rcdTripped: c.reading.rcdTripped)
    }
}
