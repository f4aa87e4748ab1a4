#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import SEMP

/// The SMA interface (issue 25 item 1; seeds/000 "SMA-Schnittstelle (Sunny Home Manager)"): the station is a SEMP
/// gateway with one device per connector. The runtime hands over the manager's requests; SEMP's ``SEMPGateway``
/// decides, and each decision enters the connector's chain as ``LimitSource/semp``, converted to current through the
/// phases the vehicle draws on.
extension StationController {
    /// The SEMP part of every poll: samples the connectors' power and sets each connector's `semp` limit. With the
    /// interface off the gateway and its limits are forgotten.
    mutating func runSEMP(now: Date) {
        guard settings.semp.enabled else {
            if sempGateway != nil || !sempDecisions.isEmpty {
                sempGateway = nil
                sempDecisions = [:]
                for n in externalLimits.keys { externalLimits[n]?[.semp] = nil }
            }
            return
        }
        if sempGateway == nil {
            sempGateway = SEMPGateway(connectorCount: connectors.count, serialDigest: SEMPIdentity.serialDigest(settings.serialNumber), now: now)
        }
        let points = sempConnectors
        sempGateway?.sample(points, now: now)
        let decisions = sempGateway?.decisions(points, settings: settings.semp, now: now) ?? []
        let before = sempDecisions
        sempDecisions = Dictionary(decisions.map { ($0.connector, $0) }, uniquingKeysWith: { _, b in b })
        for p in points {
            externalLimits[p.id, default: [:]][.semp] = sempDecisions[p.id].map { ExternalLimit(.semp, amps: $0.amps) }
        }
        // A line when the manager switches a connector, or its silence starts or ends (not for every power step).
        for d in decisions {
            let old = before[d.connector]
            if old == nil || old!.fallback != d.fallback || (old!.amps == 0) != (d.amps == 0) {
                log(now, .currentLimitChanged, d.connector, d.reason)
            }
        }
    }

    /// A poll of the manager (`GET` of the SEMP interface or the description): contact, for the silence rule.
    public mutating func sempHeard(now: Date) {
        sempGateway?.heard(at: now)
    }

    /// An `EM2Device` body of the manager: applied to the connectors it names and the chain at once; refused whole
    /// (``SEMPControlError``) when malformed or naming a device that is not this station's.
    public mutating func sempControl(_ body: [UInt8], now: Date) throws(SEMPControlError) {
        guard sempGateway != nil else { throw SEMPControlError(description: "the SMA interface is off") }
        _ = try sempGateway!.control(body, now: now)
        runSEMP(now: now)
        applyLimits(now: now)
    }

    /// The `Device2EM` document the manager reads (every device, or the one `DeviceId` names); nil with the interface
    /// off or for an id that is not this station's.
    public func sempDocument(now: Date, deviceId: SEMPDeviceId? = nil, url: String?) -> SEMPDevice2EM? {
        guard let gateway = sempGateway else { return nil }
        if let deviceId, gateway.connector(of: deviceId) == nil { return nil }
        return gateway.document(sempConnectors, settings: settings.semp, identity: settings.chargeBoxIdentity, serial: settings.serialNumber,
                                url: url, now: now, only: deviceId)
    }

    /// The power the Sunny Home Manager recommends for connector `n` while it controls it (surplus charging, switched
    /// on, not silent), W; phase switching treats it as the connector's share of the surplus.
    func sempRecommendedW(_ n: Int) -> Double? {
        guard settings.semp.enabled, settings.semp.mode == .surplus, let d = sempDecisions[n], !d.fallback,
              let control = sempGateway?.controls[n], control.on else { return nil }
        return control.recommendedPowerW
    }

    /// The connectors as the SEMP gateway sees them: the phases are those the vehicle draws on, else those the phase
    /// contactor feeds (1 after a switch to one phase), else the wiring's.
    var sempConnectors: [SEMPConnector] {
        let phases = vehiclePhases
        return connectors.indices.filter { $0 < settings.connectors.count }.map { i in
            let s = settings.connectors[i], c = connectors[i], n = i + 1
            let status = c.machine.status
            let session = c.session.activeSession
            return SEMPConnector(
                id: n, available: status != .faulted && status != .unavailable, errorCode: errors.stopsCharging(connector: n) ? 1 : 0,
                sessionActive: session != nil, sessionEnergyWh: session.map { max(0, c.reading.meter.energyWh - $0.meterStartWh) } ?? 0,
                powerW: max(0, c.reading.meter.totalPowerW),
                phases: phases[n]?.count ?? min(s.phasesConnected.phaseCount, c.reading.switchedPhases ?? 3),
                phasesWired: s.phasesConnected.phaseCount, minimumAmps: settings.minimumCurrentAmps,
                maximumAmps: min(s.operatorCurrentLimitAmps, s.installationCurrentLimitAmps, s.hardwareMaxCurrentAmps),
                voltageV: settings.powerSourceVoltageV)
        }
    }
}
