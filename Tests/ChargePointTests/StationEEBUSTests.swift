import Foundation
import Testing
import EEBUS
import EVSECore
import OCPP16
import Simulator
import TestSupport
@testable import ChargePoint

/// The station's side of EEBUS (issue 26) with the real SPINE engine behind it: what the connectors tell the use cases
/// (the vehicle's identity from its ISO 15118 session, EVCC scenarios 2 and 4) and what the managers' values become in
/// the limit chain (LPC's power shared and turned into current; OPEV's obligation below OSCEV's recommendation).
/// Datagrams in SPINE's plain JSON form, as the SHIP layer hands them over.
@Suite("EEBUS in the station controller: the EV entity from the ISO 15118 session, LPC and OPEV/OSCEV in the limit chain")
struct StationEEBUSTests {
    static let device = "d:_n:ChargeKit_CK-000001"
    static let manager = "d:_i:Test_EnergyManager"
    static let ski = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"

    /// A two-connector station with EEBUS on, its SPINE device started and the manager connected.
    static func rig() -> Rig {
        var rig = Rig { $0.set("EEBUSInterface", .bool(true)) }
        rig.controller.startEEBUS(deviceAddress: device, station: EEBUSStationInfo(
            brand: "ChargeKit", model: "ChargeKit", serialNumber: "CK-000001", softwareVersion: "test", vendor: "ChargeKit",
            nominalMaximumPowerW: 44_160), stored: .init(), now: rig.clock.now)
        rig.controller.eebusConnected(ski: ski, now: rig.clock.now)
        rig.carryOut()
        return rig
    }

    /// A datagram of the manager (its entity [1], feature `from`) to the station's `to` ("[1],\"feature\":3").
    static func datagram(_ classifier: String, counter: Int, from: Int = 1, to: String, _ cmd: String) throws -> JSONValue {
        try JSONParser.parse("""
        {"datagram":{"header":{"specificationVersion":"1.3.0",
          "addressSource":{"device":"\(manager)","entity":[1],"feature":\(from)},
          "addressDestination":{"device":"\(device)","entity":\(to)},
          "msgCounter":\(counter),"cmdClassifier":"\(classifier)","ackRequest":true},
          "payload":{"cmd":[\(cmd)]}}}
        """)
    }

    /// Sends `datagram` and returns the error number of the station's result (nil: no result came).
    static func send(_ rig: inout Rig, _ datagram: JSONValue) -> Int64? {
        rig.carryOut()
        rig.controller.eebusReceive(datagram, from: ski, now: rig.clock.now)
        let results = rig.controller.takeEffects().compactMap { effect -> Int64? in
            guard case .eebus(let out) = effect, let d = try? SPINEDatagram(json: out.datagram), d.header.classifier == .result,
                  case .object(let o)? = d.commands.first?.data, case .integer(let n)? = o["errorNumber"] else { return nil }
            return n
        }
        return results.first
    }

    static func bind(_ rig: inout Rig, counter: Int, from: Int, server: String, type: String) throws -> Int64? {
        send(&rig, try datagram("call", counter: counter, from: 0, to: #"[0],"feature":0"#, """
        {"nodeManagementBindingRequestCall":{"bindingRequest":{
          "clientAddress":{"device":"\(manager)","entity":[1],"feature":\(from)},
          "serverAddress":{"device":"\(device)","entity":\(server)},"serverFeatureType":"\(type)"}}}
        """))
    }

    static func heartbeat(_ rig: inout Rig, counter: Int) throws {
        _ = send(&rig, try datagram("notify", counter: 1000 + counter, from: 9, to: #"[1],"feature":6"#,
                                #"{"deviceDiagnosisHeartbeatData":{"heartbeatCounter":\#(counter),"heartbeatTimeout":"PT4S"}}"#))
    }

    /// The station's current data of an EV function of connector 1.
    static func evData(_ rig: Rig, _ function: SPINEFunction, feature: Int) -> JSONValue? {
        rig.controller.eebus?.app.data(function, of: SPINEFeatureAddress(entity: [1, 1], feature: feature))
    }

    static func standard(_ rig: Rig) -> JSONValue? {
        guard case .object(let list)? = evData(rig, "deviceConfigurationKeyValueListData", feature: ChargerEEBUSModel.Feature.evDeviceConfiguration),
              case .array(let items)? = list["deviceConfigurationKeyValueData"],
              case .object(let first)? = items.first, case .object(let value)? = first["value"] else { return nil }
        return value["string"]
    }

    @Test("EVCC: a PWM vehicle is iec61851 without identification; an ISO 15118 session's EVCCID and protocol reach the EV entity")
    func vehicleIdentity() throws {
        var rig = Self.rig()
        try rig.plug(1)
        rig.run(1)
        let identification = { Self.evData(rig, "identificationListData", feature: ChargerEEBUSModel.Feature.evIdentification) }
        #expect(identification() == .object(["identificationData": .array([])]))
        #expect(Self.standard(rig) == .string("iec61851"))

        rig.hlcVehicles = [1: HLCVehicleInfo(evccid: "02005E100001", hlcProtocol: .iso15118_2)]
        rig.run(1)
        #expect(identification() == (try JSONParser.parse(
            #"{"identificationData":[{"identificationId":0,"identificationType":"eui48","identificationValue":"02005E100001"}]}"#)))
        #expect(Self.standard(rig) == .string("iso15118-2ed1"), "ISO 15118-2:2014 is edition 1 of part 2")

        rig.hlcVehicles = [1: HLCVehicleInfo(evccid: "02005E100002", hlcProtocol: .iso15118_20)]
        try rig.board.unplug(1, force: true)
        rig.run(1)
        #expect(identification() == nil, "unplugged: no EV entity")
        try rig.plug(1)
        rig.run(1)
        #expect(Self.standard(rig) == .string("iso15118-2ed2"), "ISO 15118-20 is the second edition of part 2")
        rig.hlcVehicles = [:]
        rig.run(1)
        #expect(Self.standard(rig) == .string("iec61851"))
    }

    @Test("EVCC: an EVCCID a board reports itself (no protocol known) is ISO 15118-2")
    func boardEVCCID() throws {
        var rig = Self.rig()
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16, evccid: "00:1A:2B:3C:4D:5E"))
        rig.run(1)
        #expect(Self.standard(rig) == .string("iso15118-2ed1"))
        #expect(Self.evData(rig, "identificationListData", feature: ChargerEEBUSModel.Feature.evIdentification) == (try JSONParser.parse(
            #"{"identificationData":[{"identificationId":0,"identificationType":"eui48","identificationValue":"00:1A:2B:3C:4D:5E"}]}"#)))
    }

    @Test("LPC: 6900 W over one three-phase session is 10 A; an idle connector is offered the share it would get")
    func lpcShare() throws {
        var rig = Self.rig()
        try rig.plug(1)
        try rig.card()
        rig.run(3)
        #expect(rig.status(1) == .charging)
        #expect(try Self.bind(&rig, counter: 1, from: 3, server: #"[1],"feature":3"#, type: "LoadControl") == 0)
        try Self.heartbeat(&rig, counter: 1)
        #expect(Self.send(&rig, try Self.datagram("write", counter: 2, from: 3, to: #"[1],"feature":3"#, """
        {"loadControlLimitListData":{"loadControlLimitData":[{"limitId":0,"isLimitActive":true,"value":{"number":6900,"scale":0}}]}}
        """)) == 0)
        #expect(rig.controller.eebusLimits[1]?.gridPhaseAmps == [10, 10, 10])
        #expect(rig.controller.eebusLimits[1]?.reason == "grid operator limit (LPC) 6900 W")
        #expect(rig.controller.eebusLimits[2]?.gridPhaseAmps == [5, 5, 5], "half of 6900 W if its session started")
        try Self.heartbeat(&rig, counter: 2)
        rig.run(1)
        #expect(rig.connector(1).pilotSignal.signaledCurrentAmps == 10)
        #expect(rig.connector(1).currentLimit.binding == .eebus)
    }

    @Test("OPEV and OSCEV: the obligation caps the recommendation, per phase, in the limit chain")
    func obligationBelowRecommendation() throws {
        var rig = Self.rig()
        try rig.plug(1)
        try rig.card()
        rig.run(3)
        #expect(try Self.bind(&rig, counter: 1, from: 4, server: #"[1,1],"feature":6"#, type: "LoadControl") == 0)
        func write(_ counter: Int, _ items: String) throws -> Int64? {
            Self.send(&rig, try Self.datagram("write", counter: counter, from: 4, to: #"[1,1],"feature":6"#,
                                          #"{"loadControlLimitListData":{"loadControlLimitData":[\#(items)]}}"#))
        }
        func limit(_ id: Int, _ amps: Int) -> String { #"{"limitId":\#(id),"isLimitActive":true,"value":{"number":\#(amps),"scale":0}}"# }
        // Obligation (OPEV) limitIds 1–3, recommendation (OSCEV) 4–6, phases a, b, c.
        #expect(try write(2, [limit(1, 12), limit(2, 12), limit(3, 12), limit(4, 8), limit(5, 14), limit(6, 8)].joined(separator: ",")) == 0)
        #expect(rig.controller.eebusLimits[1]?.gridPhaseAmps == [8, 12, 8], "phase b: the recommendation 14 A above the obligation 12 A")
        #expect(rig.controller.eebusLimits[2] == nil, "connector 2 has no vehicle and no values")
        rig.run(1)
        #expect(rig.connector(1).currentLimit.binding == .eebus)
    }
}
