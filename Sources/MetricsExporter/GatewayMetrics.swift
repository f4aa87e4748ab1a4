#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CoreMetrics
import Prometheus
import Gateway
import ModbusTCP

/// The gateway's Prometheus metrics (issue 30 item 1): counters and the handshake histogram recorded where the events
/// happen (through swift-metrics, backed by swift-prometheus), and gauges mapped from the diagnostics at scrape time
/// (``GatewayMetricFamilies``).
///
/// One instance lives as long as the gateway process: the gateway's settings restart its services (and build a new
/// runtime) while the web server and this object stay, so the counters go on counting across a settings change.
public final class GatewayMetrics: Sendable {
    let counters = PrometheusCollectorRegistry()
    let factory: HelpedPrometheusFactory

    public init() { factory = HelpedPrometheusFactory(registry: counters) }

    /// The direction of an OCPP frame through the gateway, as ``FrameRecord/Direction`` names it.
    public enum FrameDirection: String, Sendable {
        case fromCharger = "from_charger", toCharger = "to_charger", fromCentral = "from_central", toCentral = "to_central"

        public init(_ d: FrameRecord.Direction) {
            switch d {
            case .fromCharger: self = .fromCharger
            case .toCharger: self = .toCharger
            case .fromCentral: self = .fromCentral
            case .toCentral: self = .toCentral
            }
        }
    }

    // MARK: Events

    /// An OCPP frame from or to a charger (or, External mode, its central system). A charger that is not configured
    /// counts under `charger=""` (``GatewayMetricNames``).
    public func ocppFrame(charger: String, configured: Bool, direction: FrameRecord.Direction) {
        count(GatewayMetricNames.ocppFrames, [("charger", configured ? charger : ""), ("direction", FrameDirection(direction).rawValue)])
    }

    /// A Modbus request of the BMS answered, and its refusal if it was refused.
    public func modbusAnswered(function: UInt8, via transport: ModbusActivity.Transport, refusal: ModbusRefusal?) {
        let via = ("transport", transport.rawValue.lowercased()), fc = ("function", "\(function)")
        count(GatewayMetricNames.modbusRequests, [via, fc])
        if let refusal { count(GatewayMetricNames.modbusExceptions, [via, fc, ("code", "\(refusal.code.rawValue)")]) }
    }

    /// A register handshake with the BMS ended: its latency is observed, or its timeout counted.
    public func handshakeEnded(_ h: HandshakeEnded) {
        let labels = [("handshake", h.block.rawValue), ("action", h.action)]
        switch h.end {
        case .answered, .failed:
            CoreMetrics.Recorder(label: GatewayMetricNames.handshakeDuration, dimensions: labels, aggregate: true, factory: factory).record(h.seconds)
        case .timedOut:
            count(GatewayMetricNames.handshakeTimeouts, labels)
        }
    }

    private func count(_ name: String, _ dimensions: [(String, String)]) {
        CoreMetrics.Counter(label: name, dimensions: dimensions, factory: factory).increment()
    }

    // MARK: Scrape

    /// The exposition text: the gauges of this moment, then the counters and the histogram.
    public func exposition(_ diagnostics: GatewayDiagnostics?, mode: GatewayMode, process: ProcessFacts) -> String {
        MetricExposition.text(GatewayMetricFamilies.samples(diagnostics, mode: mode, process: process), then: counters)
    }
}

/// The running gateway as the metrics endpoint sees it (implemented by the gateway's controller).
public protocol GatewayMetricsSource: MetricsSource {
    /// Settings `metricsEnabled` and `metricsToken`, read at each request.
    func metricsAccess() async -> MetricsAccess
    /// The diagnostics of the running services (nil while they are not running) and the mode of the stored settings.
    func metricsDiagnostics() async -> (diagnostics: GatewayDiagnostics?, mode: GatewayMode)
    var metrics: GatewayMetrics { get }
}

extension GatewayMetricsSource {
    public func metricsExposition() async -> String {
        let (diagnostics, mode) = await metricsDiagnostics()
        return metrics.exposition(diagnostics, mode: mode, process: .current())
    }
}

/// The text of one scrape: a registry per scrape for the gauges of this moment (so what is no longer there
/// disappears), followed by the long-lived registry of the counters.
enum MetricExposition {
    static func text(_ samples: [MetricSample], then counters: PrometheusCollectorRegistry) -> String {
        let gauges = PrometheusCollectorRegistry()
        for sample in samples {
            let descriptor = MetricNames.descriptor(sample.name)
            switch sample.kind {
            case .gauge: gauges.makeGauge(descriptor: descriptor, labels: sample.labels).set(sample.value)
            case .counter:
                // swift-prometheus stops the process on a negative or NaN increment: a meter's garbage must not.
                let value = sample.value.isFinite ? max(0, sample.value) : 0
                gauges.makeCounter(descriptor: descriptor, labels: sample.labels).increment(by: value)
            }
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        gauges.emit(into: &buffer)
        counters.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
