#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ChargePoint
import EVSECore

/// One value of a scrape: a gauge, or a counter the station does not count itself (a meter's energy register).
public struct MetricSample: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case gauge, counter }
    public var name: String
    public var labels: [(String, String)]
    public var value: Double
    public var kind: Kind

    public init(_ name: String, _ labels: [(String, String)], _ value: Double, kind: Kind = .gauge) {
        self.name = name; self.labels = labels; self.value = value; self.kind = kind
    }

    public init(_ name: String, _ value: Double) { self.init(name, [], value) }

    public static func == (a: MetricSample, b: MetricSample) -> Bool {
        a.name == b.name && a.value == b.value && a.kind == b.kind && a.labels.elementsEqual(b.labels, by: { $0 == $1 })
    }
}

/// The mapping of the station's status snapshot to gauges (and the meters' energy registers), at scrape time: a pure function of the snapshot and the
/// process facts, so it is tested without a station. A part of the station that is not configured (backend, grid
/// meter, DLM) exports nothing rather than zeros.
public enum StationMetricFamilies {
    /// Energy is exported in joules, Prometheus' base unit.
    static let joulesPerWattHour = 3600.0
    static let registrations = ["unknown", "pending", "accepted", "rejected"]

    public static func samples(_ input: StationMetricsInput, process: ProcessFacts) -> [MetricSample] {
        let s = input.snapshot
        var out: [MetricSample] = [
            MetricSample(MetricNames.info, [("charge_box_identity", s.chargeBoxIdentity), ("serial_number", s.serialNumber)], 1),
            MetricSample(MetricNames.uptime, max(0, s.time.timeIntervalSince(s.startedAt))),
            MetricSample(MetricNames.activeErrors, Double(s.activeErrors.count)),
        ]
        if let rss = process.residentMemoryBytes { out.append(MetricSample(MetricNames.residentMemory, Double(rss))) }
        if let fds = process.openFileDescriptors { out.append(MetricSample(MetricNames.openFDs, Double(fds))) }
        if let max = process.maxFileDescriptors { out.append(MetricSample(MetricNames.maxFDs, Double(max))) }
        for c in s.connectors { out += connector(c) }
        if let b = s.backend {
            out.append(MetricSample(MetricNames.ocppConnected, b.connected ? 1 : 0))
            for r in registrations { out.append(MetricSample(MetricNames.ocppRegistration, [("registration", r)], b.registration == r ? 1 : 0)) }
            out.append(MetricSample(MetricNames.ocppQueued, Double(b.queuedTransactionMessages)))
            let age = input.oldestQueuedTransactionMessageAt.map { max(0, s.time.timeIntervalSince($0)) } ?? 0
            out.append(MetricSample(MetricNames.ocppQueuedAge, age))
        }
        if let g = s.gridMeter {
            out.append(MetricSample(MetricNames.gridMeterCommunicating, g.communicating ? 1 : 0))
            if let r = g.reading {
                out += phased(MetricNames.gridCurrent, [], r.currentA)
                out += phased(MetricNames.gridPower, [], r.powerW)
            }
        }
        if let d = s.dlm {
            out += phased(MetricNames.dlmAvailable, [], d.availableAmps)
            out += phased(MetricNames.dlmAllocated, [], d.appliedAmps)
            if let slaves = d.slaves {
                out.append(MetricSample(MetricNames.dlmSlavesConnected, Double(slaves.filter(\.connected).count)))
                out.append(MetricSample(MetricNames.dlmSlavesKnown, Double(slaves.count)))
            }
            if let m = d.master { out.append(MetricSample(MetricNames.dlmMasterConnected, m.connected ? 1 : 0)) }
            if let c = d.cycleSeconds { out.append(MetricSample(MetricNames.dlmCycle, c)) }
        }
        return out
    }

    static func connector(_ c: ConnectorSnapshot) -> [MetricSample] {
        let id = ("connector", "\(c.id)")
        var out: [MetricSample] = []
        for status in ConnectorStatus.allCases {
            out.append(MetricSample(MetricNames.connectorStatus, [id, ("status", status.rawValue)], c.status == status ? 1 : 0))
        }
        for state in PilotState.allCases {
            out.append(MetricSample(MetricNames.pilotState, [id, ("state", state.rawValue)], c.pilotState == state ? 1 : 0))
        }
        out.append(MetricSample(MetricNames.signalledCurrent, [id], c.pilotSignal.kind == "pwm" ? c.pilotSignal.signaledCurrentAmps : 0))
        out.append(MetricSample(MetricNames.currentLimit, [id], c.currentLimit.amps))
        for source in LimitSource.allCases {
            out.append(MetricSample(MetricNames.limitSource, [id, ("source", source.rawValue)], c.currentLimit.binding == source ? 1 : 0))
        }
        out += phased(MetricNames.current, [id], c.meter.currentA)
        out += phased(MetricNames.voltage, [id], c.meter.voltageV)
        out += phased(MetricNames.power, [id], c.meter.powerW)
        // The meter's register counts up; exported as the counter it is (a meter change resets it, as counters may).
        out.append(MetricSample(MetricNames.energy, [id], c.meter.energyWh * joulesPerWattHour, kind: .counter))
        out.append(MetricSample(MetricNames.meterCommunicating, [id], c.meter.communicating ? 1 : 0))
        out.append(MetricSample(MetricNames.sessionActive, [id], c.session == nil ? 0 : 1))
        out.append(MetricSample(MetricNames.sessionEnergy, [id], (c.session?.energyWh ?? 0) * joulesPerWattHour))
        out.append(MetricSample(MetricNames.sessionDuration, [id], c.session?.durationSeconds ?? 0))
        return out
    }

    static func phased(_ name: String, _ labels: [(String, String)], _ values: PhaseValues) -> [MetricSample] {
        [("L1", values.l1), ("L2", values.l2), ("L3", values.l3)].map { MetricSample(name, labels + [("phase", $0.0)], $0.1) }
    }
}
