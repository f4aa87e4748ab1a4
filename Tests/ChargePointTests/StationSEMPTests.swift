import Foundation
import Testing
import EVSECore
import Simulator
import TestSupport
@testable import ChargePoint
import LoadManagement
import SEMP

/// The SMA interface on the station (issue 25 item 1; seeds/000 "SMA-Schnittstelle (Sunny Home Manager)") with the
/// simulated board: the manager's EM2Device control becomes the connector's `semp` limit, its silence the fallback, and
/// with a phase-switching contactor its recommended power chooses one or three phases like a surplus does.
@Suite("SMA interface on the station (simulated board)")
struct StationSEMPTests {
    func rig(_ change: @escaping (inout ParameterSet) -> Void = { _ in }) -> Rig {
        Rig(connectors: 1) { p in
            p.set(StationParameters.smaInterface, .bool(true))
            p.set(StationParameters.smaConnectionTimeout, .integer(120))
            p.set(StationParameters.smaFallbackCurrent, .integer(8))
            change(&p)
        }
    }

    func control(_ rig: Rig, on: Bool, watts: Double? = nil, id: String? = nil) -> [UInt8] {
        let device = id ?? rig.controller.sempGateway!.deviceIds[0].description
        let power = watts.map { "<RecommendedPowerConsumption>\($0)</RecommendedPowerConsumption>" } ?? ""
        return Array("""
            <EM2Device xmlns="http://www.sma.de/communication/schema/SEMP/v1"><DeviceControl><DeviceId>\(device)</DeviceId>\
            <On>\(on)</On>\(power)<Timestamp>0</Timestamp></DeviceControl></EM2Device>
            """.utf8)
    }

    @Test("issue25_1 waiting, then on at 6.9 kW: 10 A from the semp source and charging; off pauses; a refused body changes nothing")
    func controlBecomesTheLimit() throws {
        var rig = rig()
        try rig.plug(1)
        try rig.card()
        rig.run(1)
        #expect(rig.connector(1).currentLimit.binding == .semp && rig.connector(1).currentLimit.amps == 0)
        #expect(rig.connector(1).semp?.reason == "waiting for the Sunny Home Manager to switch on")
        #expect(rig.status(1) == .suspendedEVSE)
        try rig.controller.sempControl(control(rig, on: true, watts: 6900), now: rig.clock.now)
        rig.run(5)
        #expect(rig.connector(1).currentLimit.amps == 10 && rig.connector(1).currentLimit.binding == .semp)
        #expect(rig.status(1) == .charging)
        #expect(throws: SEMPControlError.self) {
            try rig.controller.sempControl(control(rig, on: false, id: "F-00000000-000000000000-00"), now: rig.clock.now)
        }
        #expect(throws: SEMPControlError.self) { try rig.controller.sempControl(Array("<EM2Device".utf8), now: rig.clock.now) }
        rig.run(1)
        #expect(rig.connector(1).currentLimit.amps == 10 && rig.status(1) == .charging)
        try rig.controller.sempControl(control(rig, on: false), now: rig.clock.now)
        rig.run(5)
        #expect(rig.connector(1).currentLimit.amps == 0 && rig.status(1) == .suspendedEVSE)
        let messages = rig.events.filter { $0.connector == 1 }.map(\.message)
        #expect(messages.contains("Sunny Home Manager: off") && messages.contains { $0.hasPrefix("Sunny Home Manager: 6.9 kW → 10 A on 3 phases") })
    }

    @Test("seeds000 SMA Zeit bis Verbindungsausfall: silence longer than the timeout applies SMA Strom bei Verbindungsausfall; a poll brings the control back")
    func silenceAppliesTheFallback() throws {
        var rig = rig()
        try rig.plug(1)
        try rig.card()
        try rig.controller.sempControl(control(rig, on: true, watts: 6900), now: rig.clock.now)
        rig.run(119)
        #expect(rig.connector(1).currentLimit.amps == 10)
        rig.run(2)
        #expect(rig.connector(1).currentLimit.amps == 8 && rig.connector(1).semp?.fallback == true)
        rig.controller.sempHeard(now: rig.clock.now)
        rig.run(1)
        #expect(rig.connector(1).semp?.fallback == false && rig.connector(1).semp?.amps == 10)
        rig.run(5)  // an increase follows 5 s after the last change (the chain's hold-off)
        #expect(rig.connector(1).currentLimit.amps == 10)
    }

    @Test("issue25_1 + 25_3: with a phase contactor, 2.3 kW recommended switches to one phase after the delay and charges 10 A on L1; the documents follow")
    func recommendedPowerChoosesThePhases() throws {
        var rig = rig { p in
            p.set("\(StationParameters.phaseSwitching).1", .bool(true))
            p.set(StationParameters.phaseSwitchDelay, .integer(10))
        }
        try rig.plug(1)
        try rig.card()
        try rig.controller.sempControl(control(rig, on: true, watts: 6900), now: rig.clock.now)
        rig.run(5)
        #expect(rig.connector(1).phaseSwitch?.switchedPhases == 3 && rig.connector(1).meter.currentA.l3 > 9)
        try rig.controller.sempControl(control(rig, on: true, watts: 2300), now: rig.clock.now)
        rig.run(5)
        #expect(rig.connector(1).phaseSwitch?.switchedPhases == 3, "not before the delay")
        rig.run(30)
        let c = rig.connector(1)
        #expect(c.phaseSwitch?.switchedPhases == 1 && rig.status(1) == .charging)
        #expect(c.currentLimit.amps == 10 && c.meter.currentA.l1 > 9 && c.meter.currentA.l2 == 0, "2300 W / 230 V on one phase")
        let doc = try #require(rig.controller.sempDocument(now: rig.clock.now, url: nil))
        let tf = try #require(doc.requests.first?.first)
        #expect(tf.minPowerW == 1380 && tf.maxPowerW == 7360, "the timeframe's bounds are one phase's (6 A and 32 A at 230 V)")
        // The manager asks for more again: back to three phases.
        try rig.controller.sempControl(control(rig, on: true, watts: 6900), now: rig.clock.now)
        rig.run(40)
        #expect(rig.connector(1).phaseSwitch?.switchedPhases == 3 && rig.connector(1).currentLimit.amps == 10)
    }
}
