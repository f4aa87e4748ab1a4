import Foundation
import Testing
import EVSECore
import Simulator
import TestSupport
@testable import ChargePoint
import LoadManagement
import StationModbus

/// seeds/000 "Externen Zähler einbinden" on a single station: External Meter Support On, the meter, the Main
/// Distribution Limit of the house connection, headroom, fallback and topology — and no DLM role. The station divides
/// what the house connection leaves among its own connectors (issue 29 item 2).
@Suite("External meter on a single station (seeds/000 Externen Zähler einbinden)")
struct StationExternalMeterTests {
    func rig(connectors: Int = 2, _ change: @escaping (inout ParameterSet) -> Void = { _ in }) -> Rig {
        Rig(connectors: connectors) { p in
            p.set(StationParameters.externalMeterSupport, .bool(true))
            p.set(StationParameters.secondMeterAddress, .string("192.0.2.10"))
            p.set(StationParameters.mainDistributionLimit, .phaseTriple(PhaseValues(all: 40)))
            change(&p)
        }
    }

    static func meter(_ amps: PhaseValues) -> MeterReading {
        MeterReading(energyWh: 0, powerW: .zero, currentA: amps, voltageV: PhaseValues(all: 230), communicating: true)
    }

    @Test("seeds000 Externen Zähler: with DLM off the house connection limits the connectors: main − headroom − house load, shared")
    func seeds000_externerZaehler_dividesHouseConnectionWithoutDLM() throws {
        var rig = rig { p in
            p.set(StationParameters.externalLoadHeadroom, .phaseTriple(PhaseValues(all: 5)))
            p.set(StationParameters.externalMeterLocation, .string(ExternalMeterLocation.excluding.rawValue))
        }
        #expect(rig.controller.settings.dlm.mode == .off)
        rig.controller.meterPolled(.grid, Self.meter(PhaseValues(all: 10)), now: rig.clock.now)
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 32))
        try rig.card("AAAAAAAA")
        rig.run(6)
        #expect(rig.connector(1).currentLimit.amps == 25, "40 A main − 5 A headroom − 10 A house")
        #expect(rig.connector(1).currentLimit.binding == .externalMeter)
        #expect(rig.connector(1).meter.currentA.l1 == 25)
        try rig.plug(2, EVSpec(phases: 3, maxCurrentAmps: 32))
        try rig.card("BBBBBBBB")
        rig.run(1)
        #expect([rig.connector(1).currentLimit.amps, rig.connector(2).currentLimit.amps] == [12.5, 12.5], "shared among the connectors")
        rig.controller.meterPolled(.grid, Self.meter(PhaseValues(all: 20)), now: rig.clock.now)
        rig.carryOut()
        #expect([rig.connector(1).currentLimit.amps, rig.connector(2).currentLimit.amps] == [7.5, 7.5],
                "the house load rose: both reduced with that reading, not at the next sample")
        let snapshot = rig.controller.snapshot(now: rig.clock.now)
        #expect(snapshot.gridMeter?.availableAmps == PhaseValues(all: 15))
        let registers = rig.controller.dlmRegisters(now: rig.clock.now)
        #expect(registers.mode == 0 && registers.externalMeterSupport && registers.availableAmps == PhaseValues(all: 15))
        #expect(rig.controller.omcciState(connector: 1, now: rig.clock.now).dlm?.externalMeterSupport == true, "register 620 reads 1")
        #expect(rig.events.contains { $0.kind == .currentLimitChanged && $0.message.contains("limited by externalMeter") })
    }

    @Test("seeds000 Rückfallebene: the meter stops answering — 20 A assumed reduces the limit by 20 A; 9999 switches every connector off")
    func seeds000_rueckfallebene_fallbackWhenTheMeterFails() throws {
        var rig = rig { p in p.set(StationParameters.externalLoadFallback, .phaseTriple(PhaseValues(all: 20))) }
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 32))
        try rig.card("AAAAAAAA")
        rig.run(1)
        #expect(rig.connector(1).currentLimit.amps == 20, "no reading yet: the fallback load is assumed")
        // Inklusive Ladestations-Unterverteilung (the default): the meter sees the house (10 A) and the car together.
        for _ in 0..<4 {
            let car = rig.connector(1).meter.currentA.l1
            rig.controller.meterPolled(.grid, Self.meter(PhaseValues(all: 10 + car)), now: rig.clock.now)
            rig.run(3)
        }
        #expect(rig.connector(1).currentLimit.amps == 30, "40 A − (measured − the station's own draw)")
        rig.controller.gridMeterUpdate(nil, communicating: false, now: rig.clock.now)
        rig.controller.dlmInputChanged(now: rig.clock.now)
        rig.run(0.1)
        #expect(rig.connector(1).currentLimit.amps == 20 && rig.connector(1).currentLimit.binding == .externalMeter,
                "40 A − 20 A fallback load")
        #expect(rig.events.contains { $0.message.contains("External Load Fallback applies") })

        var off = self.rig { p in  // the default fallback, 9999 A
            p.set(StationParameters.externalMeterLocation, .string(ExternalMeterLocation.excluding.rawValue))
        }
        try off.plug(1, EVSpec(phases: 3, maxCurrentAmps: 32))
        try off.card("AAAAAAAA")
        off.controller.meterPolled(.grid, Self.meter(PhaseValues(all: 10)), now: off.clock.now)
        off.run(6)
        #expect(off.connector(1).currentLimit.amps == 30)
        off.controller.gridMeterUpdate(nil, communicating: false, now: off.clock.now)
        off.controller.dlmInputChanged(now: off.clock.now)
        off.run(1)
        #expect(off.connector(1).currentLimit.paused && off.connector(1).currentLimit.binding == .externalMeter)
        #expect(off.status(1) == .suspendedEVSE)
    }

    @Test("seeds000/seeds004 §7.6, §7.8: a single-phase car is limited by its own grid phase, through the connector's rotation")
    func seeds000_externerZaehler_phasesAndRotation() throws {
        var rig = rig { p in
            p.set(StationParameters.externalMeterLocation, .string(ExternalMeterLocation.excluding.rawValue))
            p.set("\(StationParameters.phasesConnected).1", .string(PhasesConnected.singlePhase.rawValue))
            p.set("\(StationParameters.phasesConnected).2", .string(PhasesConnected.singlePhase.rawValue))
            p.set("\(StationParameters.phaseRotation).2", .string(PhaseRotation.str.rawValue))
        }
        rig.controller.meterPolled(.grid, Self.meter(PhaseValues(l1: 30, l2: 15, l3: 0)), now: rig.clock.now)
        try rig.plug(1, EVSpec(phases: 1, maxCurrentAmps: 32))
        try rig.card("AAAAAAAA")
        try rig.plug(2, EVSpec(phases: 1, maxCurrentAmps: 32))
        try rig.card("BBBBBBBB")
        rig.run(8)
        #expect(rig.connector(1).currentLimit.amps == 10, "connector 1's L1 is grid L1: 40 − 30")
        #expect(rig.connector(2).currentLimit.amps == 25, "connector 2 (STR) draws from grid L2: 40 − 15")
    }

    @Test("without External Meter Support, or with a DLM role, the single-station meter limit is not in the chain; a slave says why")
    func roles() throws {
        var plain = Rig()
        try plain.plug(1, EVSpec(phases: 3, maxCurrentAmps: 32))
        try plain.card("AAAAAAAA")
        plain.run(6)
        #expect(!plain.connector(1).currentLimit.inputs.contains { $0.source == .externalMeter })
        #expect(plain.connector(1).currentLimit.amps == 32)

        var slave = rig { p in p.set(StationParameters.dlmMode, .string(DLMMode.slaveAutoDiscovery.rawValue)) }
        slave.controller.meterPolled(.grid, Self.meter(PhaseValues(all: 35)), now: slave.clock.now)
        slave.run(1)
        #expect(!slave.connector(1).currentLimit.inputs.contains { $0.source == .externalMeter })
        #expect(slave.controller.snapshot(now: slave.clock.now).dlm?.warnings.contains { $0.contains("External Meter Support is On on a DLM slave") } == true)
    }
}
