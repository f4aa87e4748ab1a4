import Foundation
import Testing
import Gateway
import ModbusTCP
import OCPP16
@testable import MetricsExporter

/// The mapping of the gateway's diagnostics to Prometheus metric families, its event counters and the handshake
/// histogram (issue 30 item 1, the gateway role).
@Suite struct GatewayMetricFamiliesTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let process = ProcessFacts(residentMemoryBytes: 30_000_000, openFileDescriptors: 21, maxFileDescriptors: 4096)

    /// A BMS-mode gateway with CP1 (slot 0, 2 connectors: connected, connector 1 Charging, one transaction open after
    /// the BMS timeout) and CP2 (slot 3, 1 connector, never connected), 90 s after the services started.
    static func diagnostics() -> GatewayDiagnostics {
        var s = GatewaySettings()
        s.chargers = [ChargerEntry(id: "CP1", slot: 0, connectors: 2), ChargerEntry(id: "CP2", slot: 3, connectors: 1)]
        var cs = CentralSystem(settings: s)
        let monitor = GatewayMonitor(settings: s, startedAt: start)
        var now = start.addingTimeInterval(10)
        _ = cs.connected("CP1", connection: 1, now: now)
        let status = StatusNotificationRequest(connectorId: 1, errorCode: "NoError", status: "Charging")
        _ = cs.received("CP1", text: OCPPFrame.call(id: "s1", action: StatusNotificationRequest.action, payload: OCPPCoding.encode(status)).serialized(), now: now)
        let startTx = StartTransactionRequest(connectorId: 1, idTag: "CARD1", meterStart: 0, timestamp: now)
        _ = cs.received("CP1", text: OCPPFrame.call(id: "t1", action: StartTransactionRequest.action, payload: OCPPCoding.encode(startTx)).serialized(), now: now)
        now = now.addingTimeInterval(Double(s.bmsTimeoutSeconds))
        _ = cs.tick(now: now)  // the BMS did not answer: the gateway's own transaction
        return monitor.diagnostics(cs, now: start.addingTimeInterval(90))
    }

    /// The exposition text as name{labels} → value.
    static func values(_ text: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let v = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = v
        }
        return values
    }

    @Test func issue30_1_gatewayChargerFamiliesFromDiagnostics() {
        let v = Self.values(GatewayMetrics().exposition(Self.diagnostics(), mode: .bms, process: Self.process))
        #expect(v[#"chargekit_gateway_info{mode="BMS"}"#] == 1)
        #expect(v["chargekit_gateway_services_running"] == 1)
        #expect(v["chargekit_uptime_seconds"] == 90)
        #expect(v[#"chargekit_gateway_charger_connected{charger="CP1"}"#] == 1)
        #expect(v[#"chargekit_gateway_charger_connected{charger="CP2"}"#] == 0)
        #expect(v["chargekit_gateway_chargers_configured"] == 2)
        #expect(v["chargekit_gateway_chargers_connected"] == 1)
        #expect(v["chargekit_gateway_open_transactions"] == 1)
        #expect(v[#"chargekit_gateway_connector_status{charger="CP1",connector="1",status="Charging"}"#] == 1)
        #expect(v[#"chargekit_gateway_connector_status{charger="CP1",connector="1",status="Available"}"#] == 0)
        #expect(v[#"chargekit_gateway_connector_status{charger="CP1",connector="2",status="Unavailable"}"#] == 1, "no StatusNotification yet")
        #expect(v[#"chargekit_gateway_connector_status{charger="CP2",connector="1",status="Unavailable"}"#] == 1)
        #expect(v.keys.filter { $0.hasPrefix(#"chargekit_gateway_connector_status{charger="CP1""#) }.count == 3 * ConnectorStatusCode.names.count)
        #expect(v[#"chargekit_gateway_charger_operations_waiting{charger="CP1"}"#] == 0)
        #expect(v["chargekit_gateway_bms_online"] == nil, "the BMS never set the Heartbeat register")
        #expect(v["process_resident_memory_bytes"] == 30_000_000)
        #expect(v["process_open_fds"] == 21)
    }

    @Test func issue30_1_gatewayServicesDownExportProcessFactsOnly() {
        let v = Self.values(GatewayMetrics().exposition(nil, mode: .external, process: Self.process))
        #expect(v["chargekit_gateway_services_running"] == 0)
        #expect(v[#"chargekit_gateway_info{mode="External"}"#] == 1)
        #expect(v["process_max_fds"] == 4096)
        #expect(!v.keys.contains { $0.hasPrefix("chargekit_gateway_charger") || $0.hasPrefix("chargekit_uptime") })
    }

    /// Counted where the events happen: frames per charger and direction (unconfigured chargers together), Modbus
    /// requests and refusals by transport and code, handshake latencies and timeouts.
    @Test func issue30_1_gatewayEventCountersAndHandshakeHistogram() {
        let m = GatewayMetrics()
        m.ocppFrame(charger: "CP1", configured: true, direction: .fromCharger)
        m.ocppFrame(charger: "CP1", configured: true, direction: .fromCharger)
        m.ocppFrame(charger: "CP1", configured: true, direction: .toCharger)
        m.ocppFrame(charger: "STRANGER-1", configured: false, direction: .fromCharger)
        m.ocppFrame(charger: "STRANGER-2", configured: false, direction: .fromCharger)
        m.modbusAnswered(function: 3, via: .tcp, refusal: nil)
        m.modbusAnswered(function: 6, via: .rtu, refusal: ModbusRefusal(.illegalDataAddress, "not in the map"))
        m.modbusAnswered(function: 6, via: .tcp, refusal: ModbusRefusal(.gatewayPathUnavailable, "not connected"))
        m.handshakeEnded(HandshakeEnded(charger: "CP1", block: .messagesFromCS, action: "RemoteStartTransaction", seconds: 1.75, end: .answered))
        m.handshakeEnded(HandshakeEnded(charger: "CP1", block: .messagesFromCS, action: "RemoteStartTransaction", seconds: 0.25, end: .failed))
        m.handshakeEnded(HandshakeEnded(charger: "CP1", block: .messagesToCS, action: "Authorize", seconds: 20, end: .timedOut))
        let v = Self.values(m.exposition(Self.diagnostics(), mode: .bms, process: Self.process))
        #expect(v[#"chargekit_gateway_ocpp_frames_total{charger="CP1",direction="from_charger"}"#] == 2)
        #expect(v[#"chargekit_gateway_ocpp_frames_total{charger="CP1",direction="to_charger"}"#] == 1)
        #expect(v[#"chargekit_gateway_ocpp_frames_total{charger="",direction="from_charger"}"#] == 2, "unconfigured chargers counted together")
        #expect(!v.keys.contains { $0.contains("STRANGER") })
        #expect(v[#"chargekit_gateway_modbus_requests_total{transport="tcp",function="3"}"#] == 1)
        #expect(v[#"chargekit_gateway_modbus_requests_total{transport="tcp",function="6"}"#] == 1)
        #expect(v[#"chargekit_gateway_modbus_exceptions_total{transport="rtu",function="6",code="2"}"#] == 1)
        #expect(v[#"chargekit_gateway_modbus_exceptions_total{transport="tcp",function="6",code="10"}"#] == 1)
        let handshake = #"handshake="messages_from_cs",action="RemoteStartTransaction""#
        #expect(v["chargekit_gateway_bms_handshake_duration_seconds_count{\(handshake)}"] == 2)
        #expect(v["chargekit_gateway_bms_handshake_duration_seconds_sum{\(handshake)}"] == 2.0)
        #expect(v["chargekit_gateway_bms_handshake_duration_seconds_bucket{\(handshake),le=\"0.25\"}"] == 1)
        #expect(v["chargekit_gateway_bms_handshake_duration_seconds_bucket{\(handshake),le=\"2.0\"}"] == 2)
        #expect(v[#"chargekit_gateway_bms_handshake_timeouts_total{handshake="messages_to_cs",action="Authorize"}"#] == 1)
        #expect(!v.keys.contains { $0.hasPrefix("chargekit_gateway_bms_handshake_duration_seconds") && $0.contains("Authorize") },
                "a timeout is no latency")
    }

    /// Every family has a HELP and a TYPE line (promtool check metrics refuses metrics without help).
    @Test func issue30_1_gatewayEveryFamilyHasHelpAndType() {
        let m = GatewayMetrics()
        m.ocppFrame(charger: "CP1", configured: true, direction: .fromCentral)
        m.modbusAnswered(function: 6, via: .tcp, refusal: ModbusRefusal(.illegalDataValue, "x"))
        m.handshakeEnded(HandshakeEnded(charger: "CP1", block: .messagesToCS, action: "Authorize", seconds: 1, end: .answered))
        m.handshakeEnded(HandshakeEnded(charger: "CP1", block: .messagesToCS, action: "Authorize", seconds: 20, end: .timedOut))
        let text = m.exposition(Self.diagnostics(), mode: .bms, process: Self.process)
        let families = Set(text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { String($0.split(separator: " ")[2]) })
        #expect(families.count >= 15)
        for name in families {
            #expect(text.contains("# HELP \(name) "), "no help for \(name)")
            #expect(GatewayMetricNames.help[name] != nil || MetricNames.help[name] != nil, "\(name) is not in the lists docs/integrator.md mirrors")
        }
        #expect(text.contains("# TYPE chargekit_gateway_bms_handshake_duration_seconds histogram"))
        #expect(text.contains("# TYPE chargekit_gateway_ocpp_frames_total counter"))
    }

    /// The gateway's settings decide like the station's parameters: off, then only the metrics token.
    @Test func issue30_1_gatewayAccessFromItsSettings() {
        var s = GatewaySettings()
        #expect(!s.metricsEnabled && s.metricsToken.isEmpty, "off by default")
        s.metricsEnabled = true
        #expect(MetricsAccess(enabled: s.metricsEnabled, token: s.metricsToken).decide(authorization: "Bearer ") == .off)
        s.metricsToken = "gateway-scrape-token-42"
        let access = MetricsAccess(enabled: s.metricsEnabled, token: s.metricsToken)
        #expect(access.decide(authorization: nil) == .unauthorized)
        #expect(access.decide(authorization: "Bearer gateway-scrape-token-43") == .unauthorized)
        #expect(access.decide(authorization: "Bearer gateway-scrape-token-42") == .allowed)
    }
}
