#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Gateway

/// The mapping of the gateway's diagnostics (what its Diagnostic page shows, seeds/003 §2.2 step 8) to gauges at
/// scrape time: a pure function of the diagnostics and the process facts, tested without a gateway. Without
/// diagnostics (the gateway services are not running) only the gateway's identity, `services_running 0` and the process
/// facts are exported.
public enum GatewayMetricFamilies {
    public static func samples(_ diagnostics: GatewayDiagnostics?, mode: GatewayMode, process: ProcessFacts) -> [MetricSample] {
        typealias N = GatewayMetricNames
        var out: [MetricSample] = [
            MetricSample(N.info, [("mode", mode.rawValue)], 1),
            MetricSample(N.servicesRunning, diagnostics == nil ? 0 : 1),
        ]
        if let rss = process.residentMemoryBytes { out.append(MetricSample(MetricNames.residentMemory, Double(rss))) }
        if let fds = process.openFileDescriptors { out.append(MetricSample(MetricNames.openFDs, Double(fds))) }
        if let max = process.maxFileDescriptors { out.append(MetricSample(MetricNames.maxFDs, Double(max))) }
        guard let d = diagnostics else { return out }
        out.append(MetricSample(MetricNames.uptime, max(0, d.now.timeIntervalSince(d.startedAt))))
        if d.settings.mode == .bms, let online = d.bmsOnline { out.append(MetricSample(N.bmsOnline, online ? 1 : 0)) }
        out.append(MetricSample(N.openTransactions, Double(d.openTransactions)))
        out.append(MetricSample(N.chargersConfigured, Double(d.settings.chargers.count)))
        out.append(MetricSample(N.chargersConnected, Double(d.chargers.filter { $0.connectedSince != nil }.count + d.moreUnconfigured)))
        for c in d.chargers { out += charger(c, external: d.settings.mode == .external) }
        return out
    }

    static func charger(_ c: ChargerStatus, external: Bool) -> [MetricSample] {
        typealias N = GatewayMetricNames
        let id = ("charger", c.id)
        var out = [MetricSample(N.chargerConnected, [id], c.connectedSince == nil ? 0 : 1)]
        if external, let upstream = c.upstream { out.append(MetricSample(N.chargerUpstreamConnected, [id], upstream == .open ? 1 : 0)) }
        out.append(MetricSample(N.chargerRequestsWaiting, [id], Double(c.requestsWaiting)))
        if !external { out.append(MetricSample(N.chargerOperationsWaiting, [id], Double(c.operationsWaiting))) }
        for (connector, status) in c.connectorStatuses.enumerated() {
            for name in ConnectorStatusCode.names {
                out.append(MetricSample(N.connectorStatus, [id, ("connector", "\(connector)"), ("status", name)], status == name ? 1 : 0))
            }
        }
        return out
    }
}
