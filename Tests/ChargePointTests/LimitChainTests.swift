import Foundation
import Testing
import Simulator
import EVSECore
import TestSupport
@testable import ChargePoint
import LoadManagement

@Suite("Limit chain (issue 5)")
struct LimitChainTests {
    @Test("below the minimum current the connector pauses; the binding source is named; ties go to the first in chain order")
    func minimum() {
        let paused = CurrentLimits.decide([LimitInput(.hardware, 32), LimitInput(.loadShedding, 5)], minimumAmps: 6)
        #expect(paused.amps == 0 && paused.paused && paused.binding == .loadShedding)
        let tie = CurrentLimits.decide([LimitInput(.chargingProfile, 16), LimitInput(.operator, 16), LimitInput(.hardware, 32)], minimumAmps: 6)
        #expect(tie.amps == 16 && tie.binding == .operator && !tie.paused)
        #expect(tie.inputs.map(\.source) == [.hardware, .operator, .chargingProfile])
        let seven = CurrentLimits.decide([LimitInput(.hems, 6.5)], minimumAmps: 7)
        #expect(seven.amps == 0 && seven.paused, "a vehicle that needs 7 A is paused rather than given 6.5 A")
    }

    @Test("property: the result is 0 or ≥ the minimum, never above any input on any phase the vehicle uses, and deterministic")
    func property() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            let used = Set((0..<3).filter { _ in Bool.random(using: &rng) }).union([Int.random(in: 0...2, using: &rng)])
            let inputs = LimitSource.allCases.shuffled(using: &rng).prefix(Int.random(in: 1...LimitSource.allCases.count, using: &rng))
                .map { source in
                    Bool.random(using: &rng)
                        ? LimitInput(source, Double(Int.random(in: 0...800, using: &rng)) / 10)
                        : LimitInput(source, gridPhaseAmps: (0..<3).map { _ in Double(Int.random(in: 0...800, using: &rng)) / 10 },
                                     usedGridPhases: used)
                }
            let minimum = Double(Int.random(in: 6...8, using: &rng))
            let d = CurrentLimits.decide(inputs, minimumAmps: minimum)
            #expect(d.amps == 0 || d.amps >= minimum)
            #expect(inputs.allSatisfy { d.amps <= $0.amps })
            #expect(inputs.allSatisfy { input in used.allSatisfy { d.amps <= (input.gridPhaseAmps?[$0] ?? input.amps) } })
            #expect(d == CurrentLimits.decide(inputs.reversed(), minimumAmps: minimum))
        }
    }
}

@Suite("Limit chain on the station (load shedding, offline limit)")
struct StationLimitTests {
    @Test("load shedding on Opto 1 In (seeds/000): 0 A pauses, a limit reduces; High active sheds when the contact opens")
    func loadShedding() throws {
        var rig = Rig { $0.set("ExternalInputEnergyManagement", .string("Opto1")); $0.set("ExternalInputCurrentLimit", .integer(0)) }
        try rig.plug(1)
        try rig.card()
        rig.run(3)
        #expect(rig.status(1) == .charging)
        rig.board.setInput(.opto1, true)
        rig.run(6)
        #expect(rig.connector(1).currentLimit.paused && rig.connector(1).currentLimit.binding == .loadShedding)
        #expect(rig.status(1) == .suspendedEVSE)
        #expect(rig.events.contains { $0.kind == .currentLimitChanged && $0.message.contains("paused: loadShedding") })
        rig.board.setInput(.opto1, false)
        rig.run(6)
        #expect(rig.status(1) == .charging)

        var high = Rig { $0.set("ExternalInputEnergyManagement", .string("Opto1")); $0.set("ExternalInputCurrentLimit", .integer(10))
            $0.set("ExternalInputPolarity", .string("HighActive")) }
        high.run(0.2)
        #expect(high.connector(1).currentLimit.amps == 10 && high.connector(1).currentLimit.binding == .loadShedding,
                "High active: an open contact (input off, e.g. a broken wire) sheds load")
        high.board.setInput(.opto1, true)
        high.run(5.2)
        #expect(high.connector(1).currentLimit.binding == .hardware)
    }

    @Test("rate rule: a decrease is signalled at once, an increase only after 5 s of stable current")
    func rateRule() throws {
        var rig = Rig()
        try rig.plug(1)
        try rig.card()
        rig.run(3)
        rig.controller.update(settings: Rig.settings { $0.set("OperatorCurrentLimit.1", .integer(10)) })
        rig.run(0.1)
        #expect(rig.connector(1).pilotSignal.signaledCurrentAmps == 10)
        rig.controller.update(settings: Rig.settings { $0.set("OperatorCurrentLimit.1", .integer(20)) })
        rig.run(4.5)
        #expect(rig.connector(1).pilotSignal.signaledCurrentAmps == 10)
        rig.run(0.6)
        #expect(rig.connector(1).pilotSignal.signaledCurrentAmps == 20)
        rig.controller.update(settings: Rig.settings { $0.set("OperatorCurrentLimit.1", .integer(8)) })
        rig.run(0.1)
        #expect(rig.connector(1).pilotSignal.signaledCurrentAmps == 8)
    }

    /// The windows themselves are tested in LoadManagementTests (TimeWindowLimitTests); here the registry's side.
    @Test("Maximum Current Scheduler in the registry: a malformed schedule is refused, times are written canonically, the settings read the windows")
    func scheduler() throws {
        // The registry refuses a malformed schedule and names the form.
        var p = ParameterSet(registry: ParameterRegistry(connectorCount: 1))
        let r = try p.registry.resolve("MaximumCurrentSchedule")
        #expect(throws: ParameterError.self) { try p.registry.parse("17:00-22:00=10,evening=6", for: r) }
        #expect(try p.registry.parse("7:00-9:00=10", for: r) == .list(["07:00-09:00=10"]))
        p.set("MaximumCurrentSchedule", try p.registry.parse("17:00-22:00=10", for: r))
        p.set("MaximumCurrentScheduler", .bool(true))
        #expect(StationSettings(p).currentSchedule == [TimeWindowLimit(startMinute: 1020, endMinute: 1320, amps: 10)])
    }

    @Test("seeds002_1_6 the scheduler's windows are local times of the Timezone parameter, not of the host")
    func schedulerInStationTimeZone() throws {
        // 2027-01-15 08:00 UTC is 09:00 in Amsterdam: inside the window 09:00–10:00 there, outside it in UTC.
        for (zone, inside) in [("Europe/Amsterdam", true), ("UTC", false)] {
            var rig = Rig {
                $0.set("Timezone", .string(zone))
                $0.set("MaximumCurrentSchedule", .list(["09:00-10:00=10"]))
                $0.set("MaximumCurrentScheduler", .bool(true))
            }
            rig.run(0.2)
            #expect((rig.connector(1).currentLimit.binding == .scheduler) == inside, "\(zone)")
            #expect((rig.connector(1).currentLimit.amps == 10) == inside, "\(zone)")
        }
    }

    @Test("Allow EV Wakeup: a vehicle that fell asleep during a pause gets one state F pulse and charges again")
    func wakeUp() throws {
        for allow in [true, false] {
            var rig = Rig { $0.set("ExternalInputEnergyManagement", .string("Opto1")); $0.set("AllowEVWakeup", .bool(allow)) }
            try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16, sleepsAfterSeconds: 30))
            try rig.card()
            rig.run(3)
            #expect(rig.status(1) == .charging)
            rig.board.setInput(.opto1, true)
            rig.run(60)
            #expect(rig.board.connectors[0].ev?.asleep == true)
            rig.board.setInput(.opto1, false)
            rig.run(9.5)
            #expect(rig.connector(1).pilotSignal == PilotSignalView(.pwm(amps: 32)), "the current is back; the vehicle sleeps")
            #expect(rig.status(1) == .suspendedEV)
            rig.run(1)
            #expect(rig.connector(1).pilotSignal == (allow ? PilotSignalView(.stateF) : PilotSignalView(.pwm(amps: 32))))
            rig.run(4 + 4)
            #expect(rig.status(1) == (allow ? .charging : .suspendedEV), "allow: \(allow)")
            #expect(rig.events.contains { $0.message.contains("waking it") } == allow)
        }
    }

    @Test("mains power lost (backup power): every session stops with PowerLoss, once, and the runtime is told to shut down")
    func powerLoss() throws {
        var rig = Rig()
        try rig.plug(1)
        try rig.card()
        rig.run(3)
        _ = rig.takeNotices()
        try rig.board.setFault(.power, connector: nil, active: true)
        rig.run(0.2)
        #expect(rig.store.sessions.first?.stopReason == .powerLoss)
        #expect(rig.takeNotices().contains(.mainsPowerLost))
        rig.run(1)
        #expect(!rig.takeNotices().contains(.mainsPowerLost), "acted on once")
    }

    @Test("the SmartCharging offline limit applies only while a configured backend is unreachable")
    func offlineLimit() throws {
        var rig = Rig { $0.set("SmartChargingOfflineUpperLimit", .integer(8)) }
        try rig.plug(1)
        try rig.card()
        rig.run(3)
        #expect(rig.connector(1).currentLimit.amps == 32, "no backend configured")
        rig.controller.backendConfigured = true
        rig.run(0.2)
        #expect(rig.connector(1).currentLimit.amps == 8 && rig.connector(1).currentLimit.binding == .smartChargingOffline)
        rig.controller.online = true
        rig.run(0.2)
        #expect(rig.connector(1).currentLimit.amps == 8, "an increase waits until the current was stable for 5 s")
        #expect(rig.connector(2).currentLimit.amps == 32, "an idle connector has no vehicle to protect: at once")
        rig.run(5)
        #expect(rig.connector(1).currentLimit.amps == 32)
    }
}

@Suite("Single feed line per grid phase (seeds/004 §7.3)")
struct FeedLineTests {
    func settings(rotation2: String) -> StationSettings {
        var s = Rig.settings(connectors: 2) { $0.set("PhaseRotation.2", .string(rotation2)) }
        s.singleFeedLine = true
        s.feedLineCapacityAmps = 32
        return s
    }

    func share(_ inputs: [LimitInput]) -> Double? { inputs.first { $0.source == .singleFeedLine }?.amps }

    @Test("single-phase vehicles on differently rotated connectors each get the whole capacity; on the same phase they share it")
    func rotation() {
        let rotated = CurrentLimits.staticInputs(settings(rotation2: "STR"), demanding: [1, 2], usedPhases: [1: [0], 2: [0]])
        #expect(rotated.map(share) == [32, 32])
        let same = CurrentLimits.staticInputs(settings(rotation2: "RST"), demanding: [1, 2], usedPhases: [1: [0], 2: [0]])
        #expect(same.map(share) == [16, 16])
        let mixed = CurrentLimits.staticInputs(settings(rotation2: "STR"), demanding: [1, 2], usedPhases: [1: [0, 1, 2], 2: [0]])
        #expect(mixed.map(share) == [16, 16], "the three-phase vehicle shares grid phase S with the single-phase one")
        #expect(mixed[0].first { $0.source == .singleFeedLine }?.gridPhaseAmps == [32, 16, 32], "per grid phase: only S is shared")
        let unknown = CurrentLimits.staticInputs(settings(rotation2: "STR"), demanding: [1, 2])
        #expect(unknown.map(share) == [16, 16], "connected phases (three) are assumed until the vehicle draws")
    }

    @Test("on the station: two single-phase cars on rotated connectors both charge at 32 A")
    func station() throws {
        var rig = Rig(connectors: 2) { p in
            p.set("PhaseRotation.2", .string("STR")); p.set("SingleFeedLine", .bool(true)); p.set("FeedLineCapacity", .integer(32))
        }
        #expect(rig.controller.settings.singleFeedLine)
        try rig.plug(1, EVSpec(phases: 1, maxCurrentAmps: 32))
        try rig.card()
        try rig.plug(2, EVSpec(phases: 1, maxCurrentAmps: 32))
        try rig.card("0A0E9B83")
        rig.run(20)
        #expect(rig.connector(1).pilotSignal.signaledCurrentAmps == 32)
        #expect(rig.connector(2).pilotSignal.signaledCurrentAmps == 32)
    }
}
