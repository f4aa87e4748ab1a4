#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EEBUS
import EVSECore
import OCPP16

/// The EEBUS interface (issue 26; seeds/000 "EEBUS-Schnittstelle"): the station is a SPINE device (``SPINENode``) whose
/// application is EEBUS's ``ChargerEEBUSApplication`` — LPC, EVSECC, EVCC, EVCEM, OPEV and OSCEV. The runtime hands
/// over what arrives on the paired manager's SHIP connection and sends what the node returns (``StationEffect/eebus``);
/// every poll gives the application the connectors' state and enters its decisions into the limit chain as
/// ``LimitSource/eebus``:
/// - LPC's station-wide power limit (or its failsafe limit) is shared equally by the connectors whose session is
///   active (a connector without one is offered the share it would get if its session started) and becomes a current
///   through the phases each vehicle draws on at the supply's voltage; without any limit from the manager after a
///   lost heartbeat, each connector gets "Strom bei Verbindungsausfall";
/// - OPEV's obligation and OSCEV's recommendation are per phase of the connector, obligation below recommendation
///   (``EEBUSPhaseCurrents/combining(obligation:recommendation:)``), turned to grid phases by the phase rotation;
///   once the manager that wrote them has been gone for "Zeit bis Verbindungsausfall", "Strom bei
///   Verbindungsausfall" takes their place (seeds/000: the station's fallback on connection loss — a manager that
///   protected a fuse with its obligation is no longer there to do so; its values apply again when it is back).
/// The entry is the lowest of these; with none, EEBUS does not limit the connector.
extension StationController {
    /// The identity the runtime gives once the SHIP service runs: the SPINE device address and the manufacturer data.
    /// `stored` are the failsafe values kept from before (``StationEffect/eebusPersist(_:)``).
    public mutating func startEEBUS(deviceAddress: String, station: EEBUSStationInfo, stored: LPCControllableSystem.StoredValues, now: Date) {
        guard settings.eebus.enabled else { return }
        eebus = SPINENode(app: ChargerEEBUSApplication(deviceAddress: deviceAddress, station: station, settings: eebusUseCaseSettings,
                                                       connectors: eebusConnectors, stored: stored, now: now))
        runEEBUS(now: now)
    }

    /// The paired manager's SHIP connection reached the data phase.
    public mutating func eebusConnected(ski: String, now: Date) {
        guard eebus != nil else { return }
        eebusLostAt = nil
        emit(eebus!.connected(ski: ski, now: now))
        applyEEBUS(now: now)
    }

    /// The connection ended (closed, lost, or the manager unpaired).
    public mutating func eebusDisconnected(ski: String, now: Date) {
        guard eebus != nil else { return }
        if eebusLostAt == nil { eebusLostAt = now }
        emit(eebus!.disconnected(ski: ski, now: now))
        applyEEBUS(now: now)
        applyLimits(now: now)
    }

    /// The pairing changed: a fresh SPINE device, so that nothing the old manager set, subscribed or bound survives
    /// it (its limits are lifted at once, its failsafe values forgotten).
    public mutating func eebusRestart(now: Date) {
        guard let node = eebus else { return }
        eebus = SPINENode(app: ChargerEEBUSApplication(deviceAddress: node.app.deviceAddress, station: node.app.station,
                                                       settings: eebusUseCaseSettings, connectors: eebusConnectors, now: now))
        eebusLostAt = nil
        if node.app.lpc.storedValues != eebus!.app.lpc.storedValues { effects.append(.eebusPersist(eebus!.app.lpc.storedValues)) }
        applyEEBUS(now: now)
        applyLimits(now: now)
    }

    /// A SPINE datagram (plain JSON) from the manager: answered, applied, and a changed limit signalled at once.
    public mutating func eebusReceive(_ datagram: JSONValue, from ski: String, now: Date) {
        guard eebus != nil else { return }
        let kept = eebus!.app.lpc.storedValues
        let output = eebus!.receive(datagram, from: ski, now: now)
        // Persisted before the answer acknowledges the write.
        if eebus!.app.lpc.storedValues != kept { effects.append(.eebusPersist(eebus!.app.lpc.storedValues)) }
        emit(output)
        emit(eebus!.refresh(now: now))
        applyEEBUS(now: now)
        applyLimits(now: now)
    }

    /// The EEBUS part of every poll: the connectors' state to the application, its heartbeat and timers, the
    /// notifies of what changed, and the limits. With the interface off the node and its limits are forgotten.
    mutating func runEEBUS(now: Date) {
        guard settings.eebus.enabled, eebus != nil else {
            if eebus != nil || !eebusLimits.isEmpty {
                eebus = nil
                eebusLimits = [:]
                for n in externalLimits.keys { externalLimits[n]?[.eebus] = nil }
            }
            return
        }
        eebus!.app.update(settings: eebusUseCaseSettings, now: now)
        eebus!.app.update(connectors: eebusConnectors, now: now)
        eebus!.app.tick(now: now)
        emit(eebus!.refresh(now: now))
        applyEEBUS(now: now)
    }

    /// The use cases' part of the station's settings (seeds/000 "Strom bei Verbindungsausfall", "Zeit bis
    /// Verbindungsausfall").
    var eebusUseCaseSettings: EEBUSSettings {
        EEBUSSettings(fallbackCurrentA: settings.eebus.fallbackAmps, connectionTimeoutSeconds: settings.eebus.connectionTimeoutSeconds)
    }

    private mutating func emit(_ output: SPINEOutput) {
        for d in output.datagrams { effects.append(.eebus(d)) }
        for e in output.events { notice(.eebusEvent(e)) }
    }

    /// The connectors as the EEBUS application sees them.
    var eebusConnectors: [EEBUSConnectorStatus] {
        let phases = vehiclePhases
        return connectors.indices.filter { $0 < settings.connectors.count }.map { i in
            let s = settings.connectors[i], c = connectors[i], n = i + 1
            let m = c.reading.meter
            let failure = errors.errors.first { ($0.connector == n || $0.connector == 0) && ($0.definition?.stopsCharging ?? true) }
            let status = c.machine.status
            let evse: EEBUSOperatingState = failure.map { .failure(error: $0.definition?.activationMessage ?? $0.id) }
                ?? (status == .unavailable ? .standby : .normalOperation)
            let used = phases[n] ?? (s.phasesConnected.phaseCount == 3 ? [0, 1, 2] : [0])
            let session = c.session.activeSession
            return EEBUSConnectorStatus(
                connector: n, pluggedIn: c.pilot.vehicleConnected, charging: status == .charging, evseState: evse,
                vehicleState: c.pilot == .e ? .failure(error: "pilot state E") : .normalOperation,
                vehicleAsleep: status == .suspendedEV ? true : nil,
                phases: (s.phasesConnected.phaseCount == 3 ? [0, 1, 2] : used).map { [EEBUSPhase.a, .b, .c][$0] },
                minimumCurrentA: max(PWM.minimumAmps, settings.minimumCurrentAmps),
                maximumCurrentA: min(s.operatorCurrentLimitAmps, s.installationCurrentLimitAmps, s.hardwareMaxCurrentAmps),
                currentA: m.currentA, powerW: m.powerW, totalPowerW: max(0, m.totalPowerW),
                sessionEnergyWh: session.map { max(0, m.energyWh - $0.meterStartWh) } ?? 0,
                evccid: c.pilot.vehicleConnected ? c.reading.evccid : nil,
                communicationsStandard: Self.eebusCommunicationsStandard(evccid: c.pilot.vehicleConnected ? c.reading.evccid : nil,
                                                                         protocol: c.reading.hlcProtocol))
        }
    }

    /// EVCC scenario 2's `communicationsStandard` (EEBUS UC TS EV Commissioning and Configuration V1.0.1; the values
    /// of SPINE's `DeviceConfigurationKeyValueStringType`: `iec61851`, `iso15118-2ed1`, `iso15118-2ed2`). ISO 15118-2:2014
    /// is the first edition of part 2; its second edition was published as ISO 15118-20, so a -20 session is
    /// `iso15118-2ed2`. A vehicle that gave an EVCCID without a protocol (a board that runs ISO 15118 itself) speaks
    /// ISO 15118-2 (DIN SPEC 70121, its DC-only forerunner, is never chosen on AC); one without an EVCCID charges by
    /// the PWM alone (IEC 61851-1).
    static func eebusCommunicationsStandard(evccid: String?, protocol hlc: VehicleHLCProtocol?) -> String {
        guard let evccid, !evccid.isEmpty else { return "iec61851" }
        return hlc == .iso15118_20 ? "iso15118-2ed2" : "iso15118-2ed1"
    }

    /// The application's decisions as each connector's `eebus` entry, with the reason the status shows.
    mutating func applyEEBUS(now: Date) {
        guard let node = eebus else { return }
        let output = node.app.output
        let phases = vehiclePhases
        let demanding = connectors.indices.filter { connectors[$0].session.activeSession != nil }.map { $0 + 1 }
        let managerGone = eebusLostAt.map { now.timeIntervalSince($0) >= settings.eebus.connectionTimeoutSeconds } ?? false
        var next: [Int: EEBUSConnectorLimit] = [:]
        for i in connectors.indices where i < settings.connectors.count {
            let n = i + 1, s = settings.connectors[i]
            var allAmps: Double?
            var reason: String?
            if let limit = output.stationLimit {
                switch limit.reason {
                case .activePowerLimit, .failsafePowerLimit:
                    // A connector without a session is offered what it would get if its session started now.
                    let sharing = demanding.contains(n) ? demanding.count : demanding.count + 1
                    let share = (limit.powerW ?? 0) / Double(max(1, sharing))
                    let count = phases[n]?.count ?? s.phasesConnected.phaseCount
                    allAmps = share / (settings.powerSourceVoltageV * Double(max(1, count)))
                    let w = "\(Int((limit.powerW ?? 0).rounded())) W"
                    reason = limit.reason == .activePowerLimit ? "grid operator limit (LPC) \(w)" : "LPC failsafe limit \(w)"
                case .fallbackCurrent:
                    allAmps = limit.currentPerConnectorA
                    reason = "no heartbeat from the energy manager: fallback current"
                }
            }
            let applied = output.connectors.first { $0.connector == n }
            var grid: [Double?] = [allAmps, allAmps, allAmps]
            if managerGone, let applied, !applied.appliedA.isEmpty {
                let fallback = settings.eebus.fallbackAmps
                grid = grid.map { min($0 ?? .infinity, fallback) }
                reason = ([reason].compactMap { $0 } + ["energy manager gone: fallback current \(Self.ampsText(fallback)) A"]).joined(separator: ", ")
            } else if let applied, !applied.appliedA.isEmpty {
                let map = s.phaseRotation.gridPhaseIndices
                for phase in EEBUSPhase.allCases {
                    guard let a = applied.appliedA[phase] else { continue }
                    let g = map[phase.index]
                    grid[g] = min(grid[g] ?? .infinity, a)
                }
                let parts = [applied.obligationA.lowest.map { "obligation (OPEV) \(Self.ampsText($0)) A" },
                             applied.recommendationA.lowest.map { "recommendation (OSCEV) \(Self.ampsText($0)) A" }].compactMap { $0 }
                reason = ([reason].compactMap { $0 } + parts).joined(separator: ", ")
            }
            guard grid.contains(where: { $0 != nil }) else { continue }
            let ceiling = s.hardwareMaxCurrentAmps
            next[n] = EEBUSConnectorLimit(gridPhaseAmps: grid.map { $0 ?? ceiling }, reason: reason ?? "energy manager",
                                          obligationA: applied?.obligationA, recommendationA: applied?.recommendationA)
        }
        eebusLimits = next
        for i in connectors.indices {
            externalLimits[i + 1, default: [:]][.eebus] = next[i + 1].map { ExternalLimit(.eebus, gridPhaseAmps: $0.gridPhaseAmps) }
        }
    }

    static func ampsText(_ a: Double) -> String {
        a == a.rounded() ? String(Int(a)) : String(Double(Int((a * 10).rounded())) / 10)
    }

    /// The application's status (LPC, the written limits), nil with the interface off.
    public func eebusUseCaseStatus(now: Date) -> EEBUSStatus? { eebus?.app.status(now: now) }
}

/// One connector's `eebus` entry and why, for the status and the dashboard.
public struct EEBUSConnectorLimit: Sendable, Equatable {
    /// Per grid phase L1, L2, L3.
    public var gridPhaseAmps: [Double]
    public var reason: String
    public var obligationA: EEBUSPhaseCurrents?
    public var recommendationA: EEBUSPhaseCurrents?
}
