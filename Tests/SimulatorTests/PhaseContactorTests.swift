import Foundation
import Testing
import EVSECore
@testable import Simulator

/// The simulated board's phase-switching contactor (issue 25 item 3).
@Suite("Simulated phase-switching contactor")
struct PhaseContactorTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("issue25_3 a switch with the main contactors closed is refused and recorded; with them open a 3-phase vehicle draws on L1 only")
    func refusedUnderLoadThenOnePhase() throws {
        var b = SimulatedBoard(connectorCount: 1, now: t0)
        try b.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16))
        b.apply(.setPilot(connector: 1, .pwm(amps: 16)))
        b.apply(.setRelays(connector: 1, .threePhase))
        b.advance(to: t0.addingTimeInterval(5))
        #expect(b.reading(connector: 1).switchedPhases == 3)
        b.apply(.setPhases(connector: 1, phases: 1))
        #expect(b.reading(connector: 1).switchedPhases == 3, "not under load")
        #expect(b.connectors[0].phaseSwitches == [PhaseSwitchRecord(time: t0.addingTimeInterval(5), phases: 1, relays: .threePhase,
                                                                  refused: "main contactors closed")])
        b.apply(.setRelays(connector: 1, .open))
        b.apply(.setPhases(connector: 1, phases: 1))
        b.apply(.setRelays(connector: 1, .threePhase))
        b.advance(to: t0.addingTimeInterval(10))
        let r = b.reading(connector: 1)
        #expect(r.switchedPhases == 1)
        #expect(r.meter.currentA == PhaseValues(l1: 16, l2: 0, l3: 0))
        #expect(b.connectors[0].phaseSwitches?.last?.refused == nil)
        #expect(b.simulatorStatus(timeScale: 1).connectors[0].switchedPhases == 1)
    }

    @Test("issue25_3 a welded contactor counts as closed; a board without the contactor (future real boards) reports none and refuses")
    func weldedAndAbsent() throws {
        var b = SimulatedBoard(connectorCount: 1, now: t0)
        b.apply(.setRelays(connector: 1, .threePhase))
        try b.setFault(.welded, connector: 1, active: true)
        b.apply(.setRelays(connector: 1, .open))
        b.apply(.setPhases(connector: 1, phases: 1))
        #expect(b.reading(connector: 1).switchedPhases == 3)
        var plain = SimulatedBoard(connectorCount: 1, now: t0)
        plain.hasPhaseSwitch = false
        plain.apply(.setPhases(connector: 1, phases: 1))
        #expect(plain.reading(connector: 1).switchedPhases == nil)
        #expect(plain.connectors[0].phaseSwitches?.last?.refused == "no phase-switching contactor")
        let wiredSingle = SimulatedBoard(connectorCount: 1, phaseCount: [1], now: t0)
        #expect(wiredSingle.reading(connector: 1).switchedPhases == nil)
        struct RealBoard: HardwarePort {
            var connectorCount: Int { 1 }
            func reading(connector: Int) -> ConnectorReading { ConnectorReading(pilot: .a, meter: MeterReading(energyWh: 0, powerW: .zero, currentA: .zero, voltageV: .zero)) }
            var rfidReaderHealthy: Bool { true }
            func input(_ input: DigitalInput) -> Bool { false }
            mutating func takeRFIDReads() -> [RFIDRead] { [] }
            mutating func apply(_ command: HardwareCommand) {}
            func persistentState() -> Data? { nil }
            var mainsPowerLost: Bool { false }
        }
        #expect(!RealBoard().hasPhaseSwitch, "a board declares the contactor; by default it has none")
    }
}
