#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16
import Dispatch
import CoreMetrics
import Synchronization
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
    /// CALLs sent and not answered yet: unique id → action and the time sent (monotonic nanoseconds). A call the
    /// backend never answers is dropped when the table is full, oldest first, so a silent backend cannot grow it.
    let unanswered = Mutex<[String: (action: String, sentAtNs: UInt64)]>([:])
    static let unansweredLimit = 64
    let nowNanoseconds: @Sendable () -> UInt64
    /// ``modbusRequestCounter(_:)``'s counters, by function code.
    let modbusRequestCounters = Mutex<[CoreMetrics.Counter?]>(Array(repeating: nil, count: 256))

    /// `nowNanoseconds` is a monotonic clock (injected so that tests control the round-trip time).
    public init(nowNanoseconds: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }) {
        factory = HelpedPrometheusFactory(registry: counters)
        self.nowNanoseconds = nowNanoseconds
    }

    // MARK: Events

    /// A Modbus request answered on the OMCCI port, and its exception if it got one.
    public func modbusAnswered(function: UInt8, response: ModbusResponse) {
        modbusRequestCounter(function).increment()
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

    /// An OCPP frame in or out: a CALL the station sends starts a round trip, the backend's CALLRESULT or CALLERROR
    /// with the same unique id ends it (OCPP-J 1.6 §4.1.1, §4.2); a CALLERROR is counted by its error code.
    public func ocppFrame(_ text: String, direction: OCPPDirection) {
        guard let head = OCPPFrameHead(text) else { return }
        switch (head.messageType, direction) {
        case (2, .sent):
            guard let action = head.action else { return }
            let at = nowNanoseconds()
            unanswered.withLock { calls in
                if calls.count >= Self.unansweredLimit, let oldest = calls.min(by: { $0.value.sentAtNs < $1.value.sentAtNs }) {
                    calls[oldest.key] = nil
                }
                calls[head.uniqueId] = (action, at)
            }
        case (3, .received), (4, .received):
            if let call = unanswered.withLock({ $0.removeValue(forKey: head.uniqueId) }) {
                let elapsed = nowNanoseconds() &- call.sentAtNs
                CoreMetrics.Timer(label: MetricNames.ocppRoundTrip, dimensions: [("action", call.action)], factory: factory)
                    .recordNanoseconds(Int64(clamping: elapsed))
            }
        default: break
        }
        guard head.messageType == 4, let code = Self.callErrorCode(text) else { return }
        count(MetricNames.ocppCallErrors, [("direction", direction.rawValue), ("code", code)])
    }

    public enum OCPPDirection: String, Sendable { case received, sent }

    /// The error code of an OCPP-J CALLERROR frame `[4, "id", "Code", "description", {}]`; nil for any other frame.
    /// Only frames starting with `[4` are parsed, so other frames cost a prefix check.
    static func callErrorCode(_ text: String) -> String? {
        let head = text.utf8.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 })
        guard head.first == UInt8(ascii: "["),
              head.dropFirst().drop(while: { $0 == 0x20 }).first == UInt8(ascii: "4") else { return nil }
        guard let array = try? JSONDecoder().decode([JSONValue].self, from: Data(text.utf8)), array.count >= 3,
              array[0] == .integer(4), case .string(let code) = array[2] else { return nil }
        // A code outside OCPP's set is counted as "Other" so a peer cannot grow the label set without bound.
        return MetricNames.ocppErrorCodes.contains(code) ? code : "Other"
    }

    private func count(_ name: String, _ dimensions: [(String, String)]) {
        CoreMetrics.Counter(label: name, dimensions: dimensions, factory: factory).increment()
    }

    /// The request counter of function code `function`, made at its first request and kept: every Modbus read is counted
    /// on the network thread as it is answered (issue 31 item 3: Modbus latency at libmodbus's level), and making the
    /// counter each time allocated the label's text, the dimensions' array and a `Counter`, and looked it up in the
    /// registry under its lock, per request. The same counter is made either way, so the exposition is unchanged.
    private func modbusRequestCounter(_ function: UInt8) -> CoreMetrics.Counter {
        modbusRequestCounters.withLock { counters in
            if let counter = counters[Int(function)] { return counter }
            let counter = CoreMetrics.Counter(label: MetricNames.modbusRequests, dimensions: [("function", "\(function)")], factory: factory)
            counters[Int(function)] = counter
            return counter
        }
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
        registry.makeDurationHistogram(descriptor: MetricNames.descriptor(label), labels: dimensions, buckets: MetricNames.roundTripBuckets)
    }
    func destroyCounter(_ handler: any CounterHandler) { plain.destroyCounter(handler) }
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) { plain.destroyFloatingPointCounter(handler) }
    func destroyRecorder(_ handler: any RecorderHandler) { plain.destroyRecorder(handler) }
    func destroyMeter(_ handler: any MeterHandler) { plain.destroyMeter(handler) }
    func destroyTimer(_ handler: any TimerHandler) { plain.destroyTimer(handler) }
}

/// The head of an OCPP-J frame — `[<MessageTypeId>, "<UniqueId>", "<Action>" …` — read without parsing the payload,
/// so that timing a MeterValues frame costs a scan of its first bytes (OCPP-J 1.6 §4.1.3 frame layout). The action is
/// kept only when it is a plain name (letters, at most 40), so a peer cannot make up label values.
struct OCPPFrameHead: Equatable {
    var messageType: Int
    var uniqueId: String
    var action: String?

    init(messageType: Int, uniqueId: String, action: String?) {
        self.messageType = messageType; self.uniqueId = uniqueId; self.action = action
    }

    init?(_ text: String) {
        var bytes = text.utf8[...]
        func skipSpace() { bytes = bytes.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) }
        func expect(_ c: UInt8) -> Bool {
            skipSpace()
            guard bytes.first == c else { return false }
            bytes = bytes.dropFirst()
            return true
        }
        /// A JSON string's raw content (escapes kept as they are: both sides echo the id byte for byte).
        func string() -> String? {
            guard expect(UInt8(ascii: "\"")) else { return nil }
            var escaped = false
            var end = bytes.startIndex
            while end < bytes.endIndex {
                let c = bytes[end]
                if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { break }
                end = bytes.index(after: end)
            }
            guard end < bytes.endIndex, bytes.distance(from: bytes.startIndex, to: end) <= 128 else { return nil }
            let s = String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
            bytes = bytes[bytes.index(after: end)...]
            return s
        }
        guard expect(UInt8(ascii: "[")) else { return nil }
        skipSpace()
        guard let digit = bytes.first, (UInt8(ascii: "2")...UInt8(ascii: "4")).contains(digit) else { return nil }
        bytes = bytes.dropFirst()
        guard expect(UInt8(ascii: ",")), let id = string() else { return nil }
        messageType = Int(digit - UInt8(ascii: "0"))
        uniqueId = id
        if messageType == 2, expect(UInt8(ascii: ",")), let a = string(), (1...40).contains(a.utf8.count),
           a.utf8.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) {
            action = a
        }
    }
}
