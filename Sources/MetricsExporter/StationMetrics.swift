import Foundation
import CoreMetrics
import Prometheus
import ModbusTCP
import StationModbus

/// The station's Prometheus metrics (issue 30 item 1): counters incremented where events happen (through
/// swift-metrics' `Counter`, backed by swift-prometheus), and gauges mapped from the status snapshot at scrape time
/// (``StationMetricFamilies``), so that metrics cost nothing on the control loop's path.
///
/// Counting is always on (a lock and a dictionary lookup per Modbus request or meter failure); serving is what
/// `MetricsEnabled` switches (``MetricsAccess``).
public final class StationMetrics: Sendable {
    /// The counters' registry, alive as long as the station (a restart of the station services starts from zero, which
    /// Prometheus' `rate()` and `increase()` read as a counter reset).
    let counters = PrometheusCollectorRegistry()
    let factory: HelpedPrometheusFactory

    public init() { factory = HelpedPrometheusFactory(registry: counters) }

    // MARK: Events

    /// A Modbus request answered on the OMCCI port, and its exception if it got one.
    public func modbusAnswered(function: UInt8, response: ModbusResponse) {
        count(MetricNames.modbusRequests, [("function", "\(function)")])
        if case .exception(_, let code) = response {
            count(MetricNames.modbusExceptions, [("function", "\(function)"), ("code", "\(code.rawValue)")])
        }
    }

    /// A meter poll that failed (the meter did not answer, or answered garbage).
    public func meterPollFailed(_ target: MeterTarget) {
        let meter = switch target {
        case .grid: "grid"
        case .connector(let n): "connector\(n)"
        }
        count(MetricNames.meterPollFailures, [("meter", meter)])
    }

    /// An OCPP frame in or out; a CALLERROR is counted by its error code.
    public func ocppFrame(_ text: String, direction: OCPPDirection) {
        guard let code = Self.callErrorCode(text) else { return }
        count(MetricNames.ocppCallErrors, [("direction", direction.rawValue), ("code", code)])
    }

    public enum OCPPDirection: String, Sendable { case received, sent }

    /// The error code of an OCPP-J CALLERROR frame `[4, "id", "Code", "description", {}]`; nil for any other frame.
    /// Only frames starting with `[4` are parsed, so other frames cost a prefix check.
    static func callErrorCode(_ text: String) -> String? {
        let head = text.utf8.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 })
        guard head.first == UInt8(ascii: "["),
              head.dropFirst().drop(while: { $0 == 0x20 }).first == UInt8(ascii: "4") else { return nil }
        guard let array = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any], array.count >= 3,
              (array[0] as? NSNumber)?.intValue == 4, let code = array[2] as? String else { return nil }
        // A code outside OCPP's set is counted as "Other" so a peer cannot grow the label set without bound.
        return MetricNames.ocppErrorCodes.contains(code) ? code : "Other"
    }

    private func count(_ name: String, _ dimensions: [(String, String)]) {
        CoreMetrics.Counter(label: name, dimensions: dimensions, factory: factory).increment()
    }

    // MARK: Scrape

    /// The exposition text (Prometheus text format 0.0.4): the values of this moment (a registry per scrape, so a part
    /// no longer configured disappears), then the station's counters.
    public func exposition(_ input: StationMetricsInput, process: ProcessFacts) -> String {
        MetricExposition.text(StationMetricFamilies.samples(input, process: process), then: counters)
    }
}

/// swift-metrics' factory for the station's and the gateway's counters: like swift-prometheus' own, but every metric
/// carries its help text (``MetricNames/help``, ``GatewayMetricNames/help``), which `promtool check metrics` requires.
struct HelpedPrometheusFactory: CoreMetrics.MetricsFactory {
    let registry: PrometheusCollectorRegistry
    let plain: PrometheusMetricsFactory

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        plain = PrometheusMetricsFactory(registry: registry)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        registry.makeCounter(descriptor: MetricNames.descriptor(label), labels: dimensions)
    }
    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        registry.makeCounter(descriptor: MetricNames.descriptor(label), labels: dimensions)
    }
    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        // A histogram of ours gets its buckets and help text (the gateway's BMS handshake latencies).
        if aggregate, let buckets = MetricNames.histogramBuckets[label] {
            return registry.makeValueHistogram(descriptor: MetricNames.descriptor(label), labels: dimensions, buckets: buckets)
        }
        return plain.makeRecorder(label: label, dimensions: dimensions, aggregate: aggregate)
    }
    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        plain.makeMeter(label: label, dimensions: dimensions)
    }
    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        plain.makeTimer(label: label, dimensions: dimensions)
    }
    func destroyCounter(_ handler: any CounterHandler) { plain.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { plain.destroyFloatingPointCounter(handler) }
    func destroyRecorder(_ handler: any RecorderHandler) { plain.destroyRecorder(handler) }
    func destroyMeter(_ handler: any MeterHandler) { plain.destroyMeter(handler) }
    func destroyTimer(_ handler: any TimerHandler) { plain.destroyTimer(handler) }
}
