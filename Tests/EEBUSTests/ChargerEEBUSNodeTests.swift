#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EEBUS
import OCPP16
import Testing

/// The charger's application behind the real SPINE engine (SPINENode): an energy guard binds, subscribes, sends its
/// heartbeat and writes an LPC limit; an energy manager writes OPEV limits, one of them refused; the station's own
/// heartbeat is notified on refresh; the failsafe follows a silent guard. Datagrams as the wire carries them (plain
/// form), checked through the engine's own reader.
@Suite struct ChargerEEBUSNodeTests {
    private let t0 = ChargerFixture.t0
    private let station = "d:_n:ChargeKit_CK-0001"

    private func call(_ node: inout SPINENode<ChargerEEBUSApplication>, _ kind: String, counter: Int, client: String,
                      server: String, type: String) -> Int64? {
        let out = node.receive(SPINETest.incoming("call", counter: counter, ack: true, device: station, """
        {"nodeManagement\(kind)RequestCall":{"\(kind == "Binding" ? "bindingRequest" : "subscriptionRequest")":{
          "clientAddress":{"device":"\(SPINETest.cem)","entity":\(client)},
          "serverAddress":{"device":"\(station)","entity":\(server)},"serverFeatureType":"\(type)"}}}
        """), from: SPINETest.ski, now: t0)
        return SPINETest.errorNumber(out.datagrams.first)
    }

    /// The command data of every notify in `out` for `function`.
    private func notified(_ out: SPINEOutput, _ function: SPINEFunction) -> [JSONValue] {
        out.datagrams.compactMap(SPINETest.read).filter { $0.header.classifier == .notify }
            .flatMap(\.commands).filter { $0.function == function }.map(\.data)
    }

    @Test func anEnergyGuardLimitsTheStationAndAManagerCurtailsTheVehicleThroughTheEngine() {
        var node = SPINENode(app: ChargerFixture.application())
        _ = node.connected(ski: SPINETest.ski, now: t0)
        #expect(call(&node, "Binding", counter: 1, client: #"[1],"feature":5"#, server: #"[1],"feature":3"#, type: "LoadControl") == 0)
        #expect(call(&node, "Subscription", counter: 2, client: #"[1],"feature":5"#, server: #"[1],"feature":3"#, type: "LoadControl") == 0)
        #expect(call(&node, "Subscription", counter: 3, client: #"[1],"feature":7"#, server: #"[1],"feature":2"#, type: "DeviceDiagnosis") == 0)
        #expect(call(&node, "Binding", counter: 4, client: #"[1],"feature":8"#, server: #"[1,1],"feature":6"#, type: "LoadControl") == 0)

        // The guard's heartbeat reaches the application through the LPC heartbeat client [1]/6.
        _ = node.receive(SPINETest.incoming("notify", counter: 10, from: #"[1],"feature":7"#, to: #"[1],"feature":6"#, device: station,
                                            #"{"deviceDiagnosisHeartbeatData":{"heartbeatCounter":1,"heartbeatTimeout":"PT4S"}}"#),
                         from: SPINETest.ski, now: t0)
        #expect(node.app.lpc.lastGuardHeartbeat == nil, "not yet the energy guard: it has written no LPC data")
        #expect(node.app.lpc.lastHeartbeats[SPINETest.ski] == t0)

        let write = SPINETest.incoming("write", counter: 11, from: #"[1],"feature":5"#, to: #"[1],"feature":3"#, ack: true, device: station, """
        {"loadControlLimitListData":{"loadControlLimitData":[{"limitId":0,"isLimitActive":true,"value":{"number":42,"scale":2}}]}}
        """)
        let out = node.receive(write, from: SPINETest.ski, now: t0 + 1)
        #expect(SPINETest.errorNumber(out.datagrams.first) == 0)
        #expect(notified(out, "loadControlLimitListData") == [ChargerFixture.json(
            #"{"loadControlLimitData":[{"limitId":0,"isLimitChangeable":true,"isLimitActive":true,"value":{"number":4200,"scale":0}}]}"#)])
        #expect(node.app.lpc.state == .limited)
        #expect(node.app.output.stationLimit == EEBUSStationLimit(reason: .activePowerLimit, powerW: 4200))

        // OPEV: one value in range, then one above the connector's 16 A, refused with error 7 and its reason.
        let opev = SPINETest.incoming("write", counter: 12, from: #"[1],"feature":8"#, to: #"[1,1],"feature":6"#, ack: true, device: station, """
        {"function":"loadControlLimitListData","filter":[{"cmdControl":{"partial":{}}}],
         "loadControlLimitListData":{"loadControlLimitData":[{"limitId":1,"isLimitActive":true,"value":{"number":10,"scale":0}}]}}
        """)
        #expect(SPINETest.errorNumber(node.receive(opev, from: SPINETest.ski, now: t0 + 1).datagrams.first) == 0)
        #expect(node.app.output.connectors[0].obligationA == EEBUSPhaseCurrents(a: 10))
        let tooHigh = SPINETest.incoming("write", counter: 13, from: #"[1],"feature":8"#, to: #"[1,1],"feature":6"#, ack: true, device: station, """
        {"loadControlLimitListData":{"loadControlLimitData":[{"limitId":2,"isLimitActive":true,"value":{"number":17,"scale":0}}]}}
        """)
        let refused = node.receive(tooHigh, from: SPINETest.ski, now: t0 + 1)
        #expect(SPINETest.errorNumber(refused.datagrams.first) == 7)
        let result = SPINETest.read(refused.datagrams.first)?.commands.first?.data
        #expect(result == ChargerFixture.json(
            #"{"errorNumber":7,"description":"loadControlLimitData[0].value 17 A is outside 0…16 A (limitId 2, overload protection obligation of phase b)"}"#))
        #expect(node.app.output.connectors[0].obligationA == EEBUSPhaseCurrents(a: 10))

        // The station's heartbeat counts on with the tick and is notified on refresh.
        node.app.tick(now: t0 + 2)
        let beat = notified(node.refresh(now: t0 + 2), "deviceDiagnosisHeartbeatData")
        #expect(beat == [ChargerFixture.json(#"{"timestamp":"2027-01-15T08:00:02.000Z","heartbeatCounter":1,"heartbeatTimeout":"PT4S"}"#)])

        // The guard falls silent: after "Zeit bis Verbindungsausfall" (4 s) the fallback current applies.
        node.app.tick(now: t0 + 4)
        #expect(node.app.lpc.state == .limited)
        node.app.tick(now: t0 + 5)
        #expect(node.app.lpc.state == .failsafe)
        #expect(node.app.output.stationLimit == EEBUSStationLimit(reason: .fallbackCurrent, currentPerConnectorA: 6))
        _ = node.disconnected(ski: SPINETest.ski, now: t0 + 6)
        #expect(node.app.remotes.isEmpty)
    }
}
