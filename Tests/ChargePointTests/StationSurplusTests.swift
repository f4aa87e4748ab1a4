import Foundation
import Testing
import EVSECore
import Simulator
import TestSupport
@testable import ChargePoint
import LoadManagement
import StationModbus

/// PV surplus charging on the station (issue 25 item 2): the charge mode per connector, the surplus from the external
/// grid meter, the limit in the chain as source pvSurplus with its reason in the status and the event log.
@Suite("PV surplus charging on the station")
struct StationSurplusTests {
    func rig(_ change: @escaping (inout ParameterSet) -> Void = { _ in }) -> Rig {
        Rig(connectors: 2) { p in
            p.set(StationParameters.externalMeterSupport, .bool(true))
            p.set(StationParameters.secondMeterAddress, .string("192.0.2.10"))
            p.set(StationParameters.mainDistributionLimit, .phaseTriple(PhaseValues(all: 63)))
            // Without a reading the house connection is assumed unloaded (the factory fallback, 9999 A, would switch
            // every connector off and hide what PV decides).
            p.set(StationParameters.externalLoadFallback, .phaseTriple(.zero))
            change(&p)
        }
    }

    /// A grid meter reading of `totalW` spread over three phases (negative: export).
    static func grid(_ totalW: Double) -> MeterReading {
        MeterReading(energyWh: 0, powerW: PhaseValues(all: totalW / 3), currentA: PhaseValues(all: max(0, totalW) / 690),
                     voltageV: PhaseValues(all: 230), communicating: true)
    }

    /// Runs `seconds` with the grid meter closing the loop: it reads the house minus the PV plus what the connectors draw.
    static func run(_ rig: inout Rig, seconds: Int, pvW: Double, houseW: Double = 500) {
        for _ in 0..<seconds {
            let drawnW = rig.controller.connectors.reduce(0) { $0 + $1.reading.meter.totalPowerW }
            rig.controller.meterPolled(.grid, grid(houseW - pvW + drawnW), now: rig.clock.now)
            rig.run(1)
        }
    }

    @Test("issue25_2: PV mode waits for the surplus, then charges from it; Fast is untouched")
    func pvModeChargesFromSurplus() throws {
        var rig = rig { p in
            p.set("\(StationParameters.chargeMode).1", .string(ChargeMode.pv.rawValue))
            p.set(StationParameters.pvStartDelay, .integer(30))
        }
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 32))
        try rig.card("AAAAAAAA")
        Self.run(&rig, seconds: 3, pvW: 2500)
        let paused = try #require(rig.controller.snapshot(now: rig.clock.now).connectors[0].pvSurplus)
        #expect(paused.amps == 0 && paused.mode == .pv)
        #expect(paused.reason == "surplus 2.0 kW, below the 4.1 kW to start")
        #expect(rig.connector(1).currentLimit.binding == .pvSurplus && rig.connector(1).currentLimit.paused,
                "the house connection's allocation takes PV's 0 A as the connector's maximum: PV is the reason")
        #expect(rig.status(1) == .suspendedEVSE)
        #expect(rig.controller.snapshot(now: rig.clock.now).connectors[1].pvSurplus == nil, "connector 2 is in Fast mode")

        Self.run(&rig, seconds: 2, pvW: 6500)
        #expect(rig.controller.surplusDecisions[1]?.reason.contains("waiting") == true)
        #expect(rig.status(1) == .suspendedEVSE, "not before the start delay")
        Self.run(&rig, seconds: 40, pvW: 6500)
        #expect(rig.connector(1).currentLimit.binding == .pvSurplus)
        #expect(rig.connector(1).currentLimit.amps == 8.6, "6 kW over three phases at 230 V")
        #expect(rig.status(1) == .charging)
        #expect(rig.controller.connectors[0].reading.meter.totalPowerW > 5000)
        #expect(rig.controller.surplusDecisions[1]?.reason == "surplus 6.0 kW", "its own draw counts as surplus")
        #expect(rig.events.contains { $0.kind == .currentLimitChanged && $0.connector == 1 && $0.message == "PV surplus 6.0 kW: connector 1 starts charging" })
    }

    @Test("issue25_2: without a grid meter reading PV pauses and Min+PV charges at the minimum current")
    func noMeterReading() throws {
        var rig = rig { p in
            p.set("\(StationParameters.chargeMode).1", .string(ChargeMode.pv.rawValue))
            p.set("\(StationParameters.chargeMode).2", .string(ChargeMode.minPV.rawValue))
        }
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 32))
        try rig.plug(2, EVSpec(phases: 3, maxCurrentAmps: 32))
        try rig.card("AAAAAAAA")
        try rig.card("BBBBBBBB")
        rig.run(3)
        #expect(rig.controller.surplusDecisions[1]?.reason == "no grid meter reading: paused")
        #expect(rig.connector(1).currentLimit.paused)
        #expect(rig.controller.surplusDecisions[2]?.reason == "no grid meter reading: minimum current")
        #expect(rig.connector(2).currentLimit.amps == 6 && rig.status(2) == .charging)
    }

    @Test("issue25_2: switching every connector back to Fast removes the surplus limit at once")
    func backToFast() throws {
        var rig = rig { p in p.set("\(StationParameters.chargeMode).1", .string(ChargeMode.pv.rawValue)) }
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 32))
        try rig.card("AAAAAAAA")
        rig.run(3)
        #expect(rig.connector(1).currentLimit.paused)
        var settings = rig.controller.settings
        settings.connectors[0].chargeMode = .fast
        rig.controller.update(settings: settings)
        rig.run(7)
        #expect(rig.connector(1).currentLimit.binding != .pvSurplus && !rig.connector(1).currentLimit.paused)
        #expect(rig.controller.surplusDecisions.isEmpty && rig.controller.externalLimits[1]?[.pvSurplus] == nil)
        #expect(rig.status(1) == .charging)
    }
}
