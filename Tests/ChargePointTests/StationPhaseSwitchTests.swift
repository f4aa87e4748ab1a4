import Foundation
import Testing
import EVSECore
import Simulator
import TestSupport
@testable import ChargePoint
import LoadManagement
import OCPP16
import StationModbus

/// Automatic 1-phase/3-phase switching on the station (issue 25 item 3) in a closed loop with the simulated board and
/// its phase-switching contactor: the grid meter reads house − PV + what the connector draws, as in the PV surplus
/// tests; every 0.1 s the test notes what the pilot, the contactors, the vehicle and the phase contactor do.
@Suite("Phase switching on the station (simulated board with a phase contactor)")
struct StationPhaseSwitchTests {
    func rig(board: SimulatedBoard? = nil, _ change: @escaping (inout ParameterSet) -> Void = { _ in }) -> Rig {
        Rig(connectors: 1, board: board) { p in
            p.set(StationParameters.externalMeterSupport, .bool(true))
            p.set(StationParameters.secondMeterAddress, .string("192.0.2.10"))
            p.set(StationParameters.mainDistributionLimit, .phaseTriple(PhaseValues(all: 63)))
            p.set(StationParameters.externalLoadFallback, .phaseTriple(.zero))
            p.set("\(StationParameters.chargeMode).1", .string(ChargeMode.pv.rawValue))
            p.set("\(StationParameters.phaseSwitching).1", .bool(true))
            p.set(StationParameters.phaseSwitchDelay, .integer(10))
            p.set(StationParameters.pvStartDelay, .integer(5))
            change(&p)
        }
    }

    /// What the test saw at one moment.
    struct Moment {
        var t: Double
        var pilotSignal: String
        var relays: RelayState
        var vehiclePilot: PilotState
        var switchedPhases: Int?
        var currentA: PhaseValues
        var stage: PhaseSwitchStage?
    }

    /// Runs `seconds` in 0.1 s steps with the grid meter closing the loop; returns what it saw.
    static func run(_ rig: inout Rig, seconds: Double, pvW: Double, houseW: Double = 500) -> [Moment] {
        var seen: [Moment] = []
        let start = rig.clock.now
        for _ in 0..<Int((seconds * 10).rounded()) {
            let drawnW = rig.controller.connectors.reduce(0) { $0 + $1.reading.meter.totalPowerW }
            rig.controller.meterPolled(.grid, StationSurplusTests.grid(houseW - pvW + drawnW), now: rig.clock.now)
            rig.run(0.1)
            let c = rig.connector(1)
            seen.append(Moment(t: rig.clock.now.timeIntervalSince(start), pilotSignal: c.pilotSignal.kind, relays: c.relayFeedback,
                               vehiclePilot: c.pilotState, switchedPhases: c.phaseSwitch?.switchedPhases, currentA: c.meter.currentA,
                               stage: c.phaseSwitch?.stage))
        }
        return seen
    }

    @Test("issue25_3 IEC 61851-1 sequence on the board: no PWM, vehicle to B, contactors open, phase contactor with them open, pause, 1-phase charging; and back to 3")
    func closedLoopSequence() throws {
        var rig = rig()
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16))
        try rig.card("AAAAAAAA")
        _ = Self.run(&rig, seconds: 15, pvW: 7000)
        #expect(rig.status(1) == .charging)
        #expect(rig.connector(1).phaseSwitch?.switchedPhases == 3)
        #expect(rig.connector(1).meter.currentA.l3 > 6, "three phases while the sun shines")

        // A cloud: 2.5 kW of surplus, too little for 3 × 6 A; after the 10 s delay the connector switches to 1 phase.
        let seen = Self.run(&rig, seconds: 40, pvW: 3000)
        let stop = try #require(seen.firstIndex { $0.stage == .stopping })
        #expect(seen[stop].t >= 10 && seen[stop].t < 11, "the switch delay (\(seen[stop].t) s)")
        #expect(seen[stop].pilotSignal == "off", "the current stops first: no PWM")
        #expect(seen[stop].relays.isClosed, "the contactors stay closed while the vehicle stops drawing")
        let opened = try #require(seen.firstIndex { $0.t > seen[stop].t && !$0.relays.isClosed })
        #expect(seen[opened - 1].vehiclePilot == .b, "the contactors open once the vehicle went to state B")
        #expect(seen[opened].t - seen[stop].t <= 3.2, "at most the 3 s the vehicle is given")
        let switched = try #require(seen.firstIndex { $0.switchedPhases == 1 })
        #expect(switched >= opened, "the phase contactor switches only with the main contactors open")
        let resumed = try #require(seen.firstIndex { $0.t > seen[switched].t && $0.pilotSignal == "pwm" })
        #expect(seen[resumed].t - seen[switched].t >= 5 - 0.15, "the 5 s pause with the contactors open")
        #expect(seen[stop..<resumed].allSatisfy { $0.pilotSignal != "pwm" }, "no PWM during the whole switch")
        let records = rig.board.connectors[0].phaseSwitches ?? []
        #expect(records.map(\.phases) == [1] && records.allSatisfy { $0.refused == nil && $0.relays == .open }, "\(records)")
        #expect(rig.status(1) == .charging)
        let c = rig.connector(1)
        #expect(c.meter.currentA.l1 > 9 && c.meter.currentA.l2 == 0 && c.meter.currentA.l3 == 0, "one phase: 2.5 kW at 230 V on L1")
        #expect(c.phaseSwitch?.switchedPhases == 1 && c.phaseSwitch?.stage == .idle)
        let messages = rig.events.filter { $0.connector == 1 }.map(\.message)
        #expect(messages.contains("Connector 1: Switching to 1 phase: stopping the current"))
        #expect(messages.contains("Connector 1: Phase contactor switched to 1 phase; pausing 5 s"))
        #expect(messages.contains("Connector 1: Phase switch done: charging resumes on 1 phase"))

        // The sun returns: back to three phases after the delay, by the same sequence.
        let back = Self.run(&rig, seconds: 30, pvW: 7000)
        #expect(back.contains { $0.stage == .stopping })
        #expect(rig.board.connectors[0].phaseSwitches?.map(\.phases) == [1, 3])
        #expect(rig.board.connectors[0].phaseSwitches?.allSatisfy { $0.refused == nil } == true)
        #expect(rig.status(1) == .charging && rig.connector(1).meter.currentA.l3 > 6)
        #expect(rig.connector(1).phaseSwitch?.switchesLastHour == 2)
    }

    @Test("issue25_3 a vehicle asleep after the switch is woken by the wake-up rule (Allow EV Wakeup), then charges on 1 phase")
    func sleepingVehicleWoken() throws {
        // Started at once: a vehicle that waited for the PV start delay would fall asleep before it ever charged.
        var rig = rig { p in p.set(StationParameters.pvStartDelay, .integer(0)) }
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16, sleepsAfterSeconds: 3))
        try rig.card("AAAAAAAA")
        _ = Self.run(&rig, seconds: 15, pvW: 7000)
        #expect(rig.status(1) == .charging)
        _ = Self.run(&rig, seconds: 25, pvW: 3000)
        #expect(rig.connector(1).phaseSwitch?.switchedPhases == 1)
        #expect(rig.status(1) != .charging, "asleep after the pause")
        let seen = Self.run(&rig, seconds: 20, pvW: 3000)
        #expect(seen.contains { $0.pilotSignal == "stateF" }, "the wake-up pulse")
        #expect(rig.events.contains { $0.message == "The vehicle on connector 1 did not resume charging; waking it (Allow EV Wakeup)" })
        #expect(rig.status(1) == .charging && rig.connector(1).meter.currentA.l1 > 6 && rig.connector(1).meter.currentA.l2 == 0)
    }

    @Test("issue25_3 a single-phase vehicle on a 3-phase connector is not switched: it gains nothing")
    func singlePhaseVehicleNotSwitched() throws {
        var rig = rig()
        try rig.plug(1, EVSpec(phases: 1, maxCurrentAmps: 16))
        try rig.card("AAAAAAAA")
        // Enough for three phases to start; then it is seen drawing on L1 only.
        _ = Self.run(&rig, seconds: 15, pvW: 5500)
        #expect(rig.status(1) == .charging && rig.connector(1).meter.currentA.l2 == 0)
        _ = Self.run(&rig, seconds: 30, pvW: 3000)
        #expect(rig.board.connectors[0].phaseSwitches == nil)
        #expect(rig.connector(1).phaseSwitch?.switchedPhases == 3 && rig.status(1) == .charging)
    }

    @Test("issue25_3 a board without a phase contactor never switches; ConnectorSwitch3to1PhaseSupported follows the board")
    func boardWithoutContactor() throws {
        var board = SimulatedBoard(connectorCount: 1, now: ManualClock().now)
        board.hasPhaseSwitch = false
        var rig = rig(board: board)
        #expect(!rig.controller.phaseSwitchSupported)
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16))
        try rig.card("AAAAAAAA")
        _ = Self.run(&rig, seconds: 15, pvW: 7000)
        _ = Self.run(&rig, seconds: 30, pvW: 3000)
        #expect(rig.board.connectors[0].phaseSwitches == nil && rig.connector(1).phaseSwitch == nil)
        #expect(rig.connector(1).meter.currentA.l3 == 6, "three phases at the minimum current while the stop delay runs")
        #expect(self.rig().controller.phaseSwitchSupported)
    }

    @Test("issue25_3 OCPP 1.6 ConnectorSwitch3to1PhaseSupported: read-only, true with a phase contactor on a 3-phase connector")
    func ocppConfigurationKey() {
        let values = ParameterSet(registry: ParameterRegistry(connectorCount: 1))
        func key(_ supported: Bool) -> KeyValue? {
            OCPPConfigurationKeys.get(["ConnectorSwitch3to1PhaseSupported"], values,
                                      .init(supportedProfiles: [.core, .smartCharging], phaseSwitchSupported: supported)).known.first
        }
        #expect(key(rig().controller.phaseSwitchSupported)?.value == "true" && key(true)?.readonly == true)
        var board = SimulatedBoard(connectorCount: 1, now: ManualClock().now)
        board.hasPhaseSwitch = false
        #expect(key(rig(board: board).controller.phaseSwitchSupported)?.value == "false")
        #expect(rig { p in p.set("\(StationParameters.phasesConnected).1", .string(PhasesConnected.singlePhase.rawValue)) }
            .controller.phaseSwitchSupported == false, "a connector wired for one phase has nothing to switch")
        #expect(OCPPConfigurationKeys.change(key: "ConnectorSwitch3to1PhaseSupported", value: "false", values,
                                             .init(supportedProfiles: [.core, .smartCharging])) == .rejected("ConnectorSwitch3to1PhaseSupported is read-only"))
    }

    @Test("issue25_3 OCPP 1.6 §7.7 numberPhases 1 in a charging profile switches a Fast connector to 1 phase; clearing it switches back")
    func ocppNumberPhases() throws {
        var rig = rig { p in
            p.set("\(StationParameters.chargeMode).1", .string(ChargeMode.fast.rawValue))
            p.set("\(StationParameters.phaseSwitching).1", .bool(false))
        }
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16))
        try rig.card("AAAAAAAA")
        rig.run(5)
        #expect(rig.status(1) == .charging && rig.connector(1).meter.currentA.l3 == 16)
        let profile = ChargingProfile(chargingProfileId: 7, transactionId: nil, stackLevel: 1, chargingProfilePurpose: "TxDefaultProfile",
                                      chargingProfileKind: "Relative", recurrencyKind: nil, validFrom: nil, validTo: nil,
                                      chargingSchedule: ChargingSchedule(duration: nil, startSchedule: nil, chargingRateUnit: "A",
                                                                         chargingSchedulePeriod: [ChargingSchedulePeriod(startPeriod: 0, limit: 16, numberPhases: 1)]))
        let refusal = rig.controller.setChargingProfile(connector: 1, profile, transactionID: nil, now: rig.clock.now)
        #expect(refusal == nil)
        rig.run(15)
        #expect(rig.connector(1).phaseSwitch?.switchedPhases == 1)
        #expect(rig.board.connectors[0].phaseSwitches?.allSatisfy { $0.refused == nil } == true)
        #expect(rig.status(1) == .charging && rig.connector(1).meter.currentA.l1 == 16 && rig.connector(1).meter.currentA.l2 == 0)
        #expect(rig.events.contains { $0.message == "Connector 1: Switching to 1 phase: stopping the current" })
        let cleared = rig.controller.clearChargingProfiles(id: 7, connector: nil, purpose: nil, stackLevel: nil, now: rig.clock.now)
        #expect(cleared)
        rig.run(15)
        #expect(rig.connector(1).phaseSwitch?.switchedPhases == 3 && rig.connector(1).meter.currentA.l3 == 16)
    }
}
