import Foundation
import Synchronization
import Testing
@testable import ChargePoint
import EVSECore
import LoadManagement
import ModbusTCP
import StationModbus
@testable import MetricsExporter

/// The mapping of the station's snapshot to Prometheus metric families (issue 30 item 1), and the endpoint's access rule.
@Suite struct StationMetricFamiliesTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func connector(_ id: Int, status: ConnectorStatus, pilot: PilotState, signal: PilotSignal, binding: LimitSource,
                          session: ActiveSessionView?) -> ConnectorSnapshot {
        ConnectorSnapshot(
            id: id, status: status, pilotState: pilot, pilotSignal: PilotSignalView(signal), relays: .threePhase, relayFeedback: .threePhase,
            lockCommanded: true, lockDetected: true, currentLimit: CurrentLimit(amps: 16, binding: binding),
            meter: MeterReading(energyWh: 12_345.5, powerW: PhaseValues(l1: 3680, l2: 3680, l3: 3450),
                                currentA: PhaseValues(l1: 16, l2: 16, l3: 15), voltageV: PhaseValues(l1: 230, l2: 230, l3: 230)),
            residualCurrent: ResidualCurrentReading(), evccid: nil, awaitingVehicle: nil, session: session)
    }

    static func snapshot(backend: BackendStatus? = nil, dlm: DLMStatus? = nil) -> StationSnapshot {
        let session = ActiveSessionView(id: UUID(), idTag: "CARD1", method: .rfid, source: nil, presentedIdTag: nil, provisional: false,
                                        startedAt: start, meterStartWh: 10_000, energyWh: 2_345.5, durationSeconds: 600)
        return StationSnapshot(
            chargeBoxIdentity: "CK-TEST", serialNumber: "CK-000001", time: start.addingTimeInterval(3600), startedAt: start,
            activeErrors: [], inputs: [:], gridMeter: nil, dlm: dlm,
            connectors: [connector(1, status: .charging, pilot: .c, signal: .pwm(amps: 16), binding: .dlm, session: session),
                         connector(2, status: .available, pilot: .a, signal: .off, binding: .installation, session: nil)],
            backend: backend)
    }

    static let process = ProcessFacts(residentMemoryBytes: 20_000_000, openFileDescriptors: 17, maxFileDescriptors: 1024)

    /// The exposition text of a snapshot as name{labels} → value.
    static func scrape(_ s: StationSnapshot, oldest: Date? = nil, metrics: StationMetrics = StationMetrics()) -> [String: Double] {
        let text = metrics.exposition(StationMetricsInput(snapshot: s, oldestQueuedTransactionMessageAt: oldest), process: process)
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let v = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = v
        }
        return values
    }

    @Test func issue30_1_connectorFamiliesInPrometheusUnits() {
        let v = Self.scrape(Self.snapshot())
        #expect(v[#"chargekit_connector_session_energy_joules{connector="1"}"#] == 2345.5 * 3600)
        #expect(v[#"chargekit_connector_session_energy_joules{connector="2"}"#] == 0)
        #expect(v[#"chargekit_connector_session_active{connector="1"}"#] == 1)
        #expect(v[#"chargekit_connector_session_duration_seconds{connector="1"}"#] == 600)
        #expect(v[#"chargekit_connector_energy_joules_total{connector="1"}"#] == 12345.5 * 3600)
        #expect(v[#"chargekit_connector_current_amperes{connector="1",phase="L3"}"#] == 15)
        #expect(v[#"chargekit_connector_voltage_volts{connector="2",phase="L1"}"#] == 230)
        #expect(v[#"chargekit_connector_power_watts{connector="1",phase="L2"}"#] == 3680)
        #expect(v[#"chargekit_connector_signalled_current_amperes{connector="1"}"#] == 16)
        #expect(v[#"chargekit_connector_signalled_current_amperes{connector="2"}"#] == 0)
        #expect(v[#"chargekit_connector_current_limit_amperes{connector="1"}"#] == 16)
        #expect(v[#"chargekit_uptime_seconds"#] == 3600)
        #expect(v[#"process_resident_memory_bytes"#] == 20_000_000)
        #expect(v[#"process_open_fds"#] == 17)
        #expect(v[#"chargekit_info{charge_box_identity="CK-TEST",serial_number="CK-000001"}"#] == 1)
    }

    /// State sets (OCPP status, pilot state, binding limit) as one gauge per state, 1 for the current one.
    @Test func issue30_1_statesAsStateSetGauges() {
        let v = Self.scrape(Self.snapshot())
        for status in ConnectorStatus.allCases {
            #expect(v[#"chargekit_connector_status{connector="1",status="\#(status.rawValue)"}"#] == (status == .charging ? 1 : 0))
        }
        for state in PilotState.allCases {
            #expect(v[#"chargekit_connector_pilot_state{connector="2",state="\#(state.rawValue)"}"#] == (state == .a ? 1 : 0))
        }
        for source in LimitSource.allCases {
            #expect(v[#"chargekit_connector_limit_source{connector="1",source="\#(source.rawValue)"}"#] == (source == .dlm ? 1 : 0))
        }
    }

    /// A part that is not configured exports nothing, not zeros; configured, it exports its state.
    @Test func issue30_1_backendAndDLMOnlyWhenConfigured() {
        let off = Self.scrape(Self.snapshot())
        #expect(!off.keys.contains { $0.hasPrefix("chargekit_ocpp_") || $0.hasPrefix("chargekit_dlm_") })

        let backend = BackendStatus(url: "ws://cs/CK", connected: true, registration: "accepted", lastHeartbeatAt: nil,
                                    nextHeartbeatAt: nil, queuedTransactionMessages: 3)
        var dlm = DLMStatus(mode: .master, networkId: 1, linkRunning: true, lastRun: nil,
                            availableAmps: PhaseValues(l1: 40, l2: 40, l3: 40), appliedAmps: PhaseValues(l1: 32, l2: 16, l3: 16),
                            grants: [], warnings: [])
        dlm.slaves = []
        let s = Self.snapshot(backend: backend, dlm: dlm)
        let v = Self.scrape(s, oldest: s.time.addingTimeInterval(-90))
        #expect(v["chargekit_ocpp_connected"] == 1)
        #expect(v[#"chargekit_ocpp_registration{registration="accepted"}"#] == 1)
        #expect(v[#"chargekit_ocpp_registration{registration="pending"}"#] == 0)
        #expect(v["chargekit_ocpp_queued_transaction_messages"] == 3)
        #expect(v["chargekit_ocpp_oldest_queued_transaction_message_age_seconds"] == 90)
        #expect(v[#"chargekit_dlm_available_current_amperes{phase="L1"}"#] == 40)
        #expect(v[#"chargekit_dlm_allocated_current_amperes{phase="L2"}"#] == 16)
        #expect(v["chargekit_dlm_slaves_connected"] == 0)
    }

    /// Counters from events: Modbus requests and exceptions by code, meter poll failures, CALLERRORs by code.
    @Test func issue30_1_eventCounters() {
        let m = StationMetrics()
        m.modbusAnswered(function: 3, response: .registers(.readHoldingRegisters, [1]))
        m.modbusAnswered(function: 6, response: .exception(function: 6, .illegalDataValue))
        m.modbusAnswered(function: 6, response: .exception(function: 6, .illegalDataValue))
        m.meterPollFailed(.grid)
        m.ocppFrame(#"[4,"a1","FormationViolation","bad",{}]"#, direction: .received)
        m.ocppFrame(#"[4,"a2","MadeUpCode","x",{}]"#, direction: .sent)
        m.ocppFrame(#"[2,"a3","Heartbeat",{}]"#, direction: .sent)
        let v = Self.scrape(Self.snapshot(), metrics: m)
        #expect(v[#"chargekit_modbus_requests_total{function="3"}"#] == 1)
        #expect(v[#"chargekit_modbus_requests_total{function="6"}"#] == 2)
        #expect(v[#"chargekit_modbus_exceptions_total{function="6",code="3"}"#] == 2)
        #expect(v[#"chargekit_meter_poll_failures_total{meter="grid"}"#] == 1)
        #expect(v[#"chargekit_ocpp_callerrors_total{direction="received",code="FormationViolation"}"#] == 1)
        #expect(v[#"chargekit_ocpp_callerrors_total{direction="sent",code="Other"}"#] == 1)
        #expect(!v.keys.contains { $0.contains("Heartbeat") })
    }

    /// OCPP round-trip time (issue 30 item 1): from a CALL the station sends to the CALLRESULT or CALLERROR with its
    /// unique id (OCPP-J 1.6 §4.1.1), by action, as a histogram in seconds; answers to calls it did not send, calls of
    /// the backend, and garbage are not timed.
    @Test func issue30_1_ocppRoundTripByAction() {
        final class Nanos: Sendable { let value = Mutex<UInt64>(1_000) }
        let clock = Nanos()
        let m = StationMetrics(nowNanoseconds: { clock.value.withLock { $0 } })
        m.ocppFrame(#"[2, "m1", "MeterValues", {"connectorId":1,"meterValue":[]}]"#, direction: .sent)
        m.ocppFrame(#"[2,"h1","Heartbeat",{}]"#, direction: .sent)
        clock.value.withLock { $0 += 40_000_000 }
        m.ocppFrame(#"[3,"m1",{}]"#, direction: .received)
        clock.value.withLock { $0 += 2_000_000_000 }
        m.ocppFrame(#"[4,"h1","InternalError","",{}]"#, direction: .received)
        m.ocppFrame(#"[3,"h1",{}]"#, direction: .received)  // answered twice: timed once
        m.ocppFrame(#"[2,"r1","RemoteStartTransaction",{}]"#, direction: .received)
        m.ocppFrame(#"[3,"r1",{}]"#, direction: .sent)
        m.ocppFrame("[3,", direction: .received)
        let v = Self.scrape(Self.snapshot(), metrics: m)
        #expect(v[#"chargekit_ocpp_round_trip_seconds_count{action="MeterValues"}"#] == 1)
        #expect(v[#"chargekit_ocpp_round_trip_seconds_sum{action="MeterValues"}"#] == 0.04)
        #expect(v[#"chargekit_ocpp_round_trip_seconds_bucket{action="MeterValues",le="0.05"}"#] == 1)
        #expect(v[#"chargekit_ocpp_round_trip_seconds_bucket{action="MeterValues",le="0.025"}"#] == 0)
        #expect(v[#"chargekit_ocpp_round_trip_seconds_count{action="Heartbeat"}"#] == 1)
        #expect(v[#"chargekit_ocpp_round_trip_seconds_sum{action="Heartbeat"}"#] == 2.04)
        #expect(!v.keys.contains { $0.contains("RemoteStartTransaction") })
    }

    /// The head of a frame is read without its payload; odd frames give nil, never a crash.
    @Test func issue30_1_frameHead() {
        #expect(OCPPFrameHead(#" [ 2 , "id\"1" , "BootNotification" , {}]"#) == OCPPFrameHead(messageType: 2, uniqueId: #"id\"1"#, action: "BootNotification"))
        #expect(OCPPFrameHead(#"[3,"x",{}]"#) == OCPPFrameHead(messageType: 3, uniqueId: "x", action: nil))
        #expect(OCPPFrameHead(#"[2,"x","Made Up",{}]"#)?.action == nil, "not a plain name: no label value")
        for bad in ["", "[", "[5,\"x\"]", "[2,x]", "[2,\"unterminated", "{}", "[2,\"\(String(repeating: "a", count: 200))\",\"A\"]"] {
            #expect(OCPPFrameHead(bad) == nil, "\(bad)")
        }
    }

    /// The DLM master's cycle time: the seconds between its last two allocations.
    @Test func issue30_1_dlmCycleTime() {
        var dlm = DLMStatus(mode: .master, networkId: 1, linkRunning: true, lastRun: nil, availableAmps: .zero, appliedAmps: .zero,
                            grants: [], warnings: [])
        #expect(Self.scrape(Self.snapshot(dlm: dlm))["chargekit_dlm_cycle_seconds"] == nil, "before the second allocation")
        dlm.cycleSeconds = 5
        #expect(Self.scrape(Self.snapshot(dlm: dlm))["chargekit_dlm_cycle_seconds"] == 5)
    }

    /// Every exported family has a HELP and a TYPE line (promtool check metrics refuses metrics without help).
    @Test func issue30_1_everyFamilyHasHelpAndType() {
        let m = StationMetrics()
        m.meterPollFailed(.connector(1))
        m.ocppFrame(#"[2,"c1","Heartbeat",{}]"#, direction: .sent)
        m.ocppFrame(#"[3,"c1",{}]"#, direction: .received)
        let text = m.exposition(StationMetricsInput(snapshot: Self.snapshot(), oldestQueuedTransactionMessageAt: nil), process: Self.process)
        let names = Set(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
            let name = String(line.prefix { $0 != "{" && $0 != " " })
            // A histogram's series carry the family name with a suffix.
            return ["_bucket", "_sum", "_count"].first { name.hasSuffix($0) && MetricNames.help[name] == nil }.map { String(name.dropLast($0.count)) } ?? name
        })
        #expect(names.count >= 20)
        for name in names {
            #expect(text.contains("# HELP \(name) "), "no help for \(name)")
            #expect(text.contains("# TYPE \(name) "), "no type for \(name)")
            #expect(MetricNames.help[name] != nil)
        }
    }

    /// A meter's garbage (NaN, a negative register) is exported as 0, never handed to swift-prometheus' counter, which
    /// stops the process on a negative or NaN increment.
    @Test func issue30_1_garbageMeterValuesDoNotStopTheStation() {
        var s = Self.snapshot()
        s.connectors[0].meter.energyWh = .nan
        s.connectors[1].meter.energyWh = -5
        let v = Self.scrape(s)
        #expect(v[#"chargekit_connector_energy_joules_total{connector="1"}"#] == 0)
        #expect(v[#"chargekit_connector_energy_joules_total{connector="2"}"#] == 0)
    }

    /// Off until enabled with a token; only that token (never the API's) opens it.
    @Test func issue30_1_accessNeedsItsOwnToken() {
        #expect(MetricsAccess(enabled: false, token: "secret-token-1234").decide(authorization: "Bearer secret-token-1234") == .off)
        #expect(MetricsAccess(enabled: true, token: "").decide(authorization: "Bearer ") == .off)
        let on = MetricsAccess(enabled: true, token: "secret-token-1234")
        #expect(on.decide(authorization: nil) == .unauthorized)
        #expect(on.decide(authorization: "Bearer wrong") == .unauthorized)
        #expect(on.decide(authorization: "Basic secret-token-1234") == .unauthorized)
        #expect(on.decide(authorization: "Bearer secret-token-12345") == .unauthorized)
        #expect(on.decide(authorization: "Bearer secret-token-1234") == .allowed)
    }
}
