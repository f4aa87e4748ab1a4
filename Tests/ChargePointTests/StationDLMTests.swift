import Foundation
import Testing
import EVSECore
import Simulator
import TestSupport
@testable import ChargePoint
import LoadManagement
import StationModbus

@Suite("DLM master with internal slave on the station (seeds/004 §1.4)")
struct StationDLMTests {
    func rig(_ change: @escaping (inout ParameterSet) -> Void = { _ in }) -> Rig {
        Rig { p in
            p.set(StationParameters.dlmMode, .string(DLMMode.master.rawValue))
            p.set(StationParameters.evseSubDistributionLimit, .phaseTriple(PhaseValues(all: 20)))
            p.set(StationParameters.operatorEVSESubDistributionLimit, .phaseTriple(PhaseValues(all: 20)))
            change(&p)
        }
    }

    @Test("two cars share the 20 A sub-distribution; the second plug-in re-divides at once; binding source is dlm")
    func share() throws {
        var rig = rig()
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 32))
        try rig.card("AAAAAAAA")
        rig.run(6)
        #expect(rig.connector(1).meter.currentA.l1 == 20)
        #expect(rig.connector(1).currentLimit.binding == .dlm)
        try rig.plug(2, EVSpec(phases: 3, maxCurrentAmps: 32))
        try rig.card("BBBBBBBB")
        rig.run(1)
        #expect(rig.connector(1).currentLimit.amps == 10, "the decrease comes with the second session, not after a sample period")
        rig.run(5)
        #expect(rig.connector(2).meter.currentA.l1 == 10)
        let registers = rig.controller.dlmRegisters(now: rig.clock.now)
        #expect(registers.mode == 1 && registers.appliedAmps == PhaseValues(all: 20) && registers.availableAmps == PhaseValues(all: 20))
    }

    @Test("DLM load shedding on Opto 1 In: 20 A − 10 A offset leaves 10 A; one car charges, the other waits")
    func shedding() throws {
        var rig = rig { p in
            p.set(StationParameters.dlmExternalInput, .string("Opto1"))
            p.set(StationParameters.dlmExternalInputOffset, .phaseTriple(PhaseValues(all: -10)))
        }
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 32))
        try rig.card("AAAAAAAA")
        rig.run(2)
        try rig.plug(2, EVSpec(phases: 3, maxCurrentAmps: 32))
        try rig.card("BBBBBBBB")
        rig.run(6)
        rig.board.setInput(.opto1, true)
        rig.run(1)
        let limits = [rig.connector(1).currentLimit, rig.connector(2).currentLimit]
        #expect(limits.map(\.amps).sorted() == [0, 10])
        #expect(limits.contains { $0.paused && $0.binding == .dlm })
        #expect(rig.controller.dlmRegisters(now: rig.clock.now).availableAmps == PhaseValues(all: 10))
    }

    @Test("the grid meter's reading limits DLM at once; a failing meter falls back to External Load Fallback")
    func gridMeter() throws {
        var rig = rig { p in
            p.set(StationParameters.externalMeterSupport, .bool(true))
            p.set(StationParameters.secondMeterAddress, .string("192.0.2.10"))
            p.set(StationParameters.evseSubDistributionLimit, .phaseTriple(PhaseValues(all: 63)))
            p.set(StationParameters.operatorEVSESubDistributionLimit, .phaseTriple(PhaseValues(all: 63)))
            p.set(StationParameters.mainDistributionLimit, .phaseTriple(PhaseValues(all: 40)))
            p.set(StationParameters.externalLoadFallback, .phaseTriple(PhaseValues(all: 30)))
        }
        func meter(_ amps: Double) -> MeterReading {
            MeterReading(energyWh: 0, powerW: .zero, currentA: PhaseValues(all: amps), voltageV: PhaseValues(all: 230), communicating: true)
        }
        rig.controller.gridMeterUpdate(meter(10), communicating: true, now: rig.clock.now)  // the building alone
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 32))
        try rig.card("AAAAAAAA")
        rig.run(6)
        #expect(rig.connector(1).meter.currentA.l1 == 30, "40 A main − 10 A building")
        // Including the sub-distribution: the meter sees the building and the car; the building is the difference.
        rig.controller.gridMeterUpdate(meter(10 + 30), communicating: true, now: rig.clock.now)
        rig.run(0.1)
        #expect(rig.connector(1).currentLimit.amps == 30)
        rig.controller.gridMeterUpdate(meter(25 + 30), communicating: true, now: rig.clock.now)
        rig.run(0.1)
        #expect(rig.connector(1).currentLimit.amps == 15, "the building rose to 25 A: reduced in the same poll")
        rig.controller.gridMeterUpdate(nil, communicating: false, now: rig.clock.now)
        rig.run(0.1)
        #expect(rig.connector(1).currentLimit.amps == 10, "fallback: 40 A − 30 A assumed external load")
    }
}
