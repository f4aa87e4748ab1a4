import Foundation
import Testing
import EVSECore
@testable import Simulator

@Suite("Simulated board and vehicles")
struct SimulatedBoardTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    /// A board with a vehicle on connector 1 that the EVSE offers `amps` to with closed contactors.
    func charging(_ spec: EVSpec, amps: Double = 16, phaseCount: [Int] = [3]) throws -> SimulatedBoard {
        var b = SimulatedBoard(connectorCount: phaseCount.count, phaseCount: phaseCount, now: t0)
        try b.plug(1, spec)
        b.apply(.setLock(connector: 1, locked: true))
        b.apply(.setPilot(connector: 1, .pwm(amps: amps)))
        b.apply(.setRelays(connector: 1, phaseCount[0] == 3 ? .threePhase : .onePhase))
        return b
    }

    @Test("the vehicle answers PWM with state C after its reaction delay (default 2 s)")
    func reactionDelay() throws {
        var b = try charging(EVSpec(phases: 3, maxCurrentAmps: 16))
        #expect(b.reading(connector: 1).pilot == .b)
        b.advance(to: t0.addingTimeInterval(1.9))
        #expect(b.reading(connector: 1).pilot == .b)
        b.advance(to: t0.addingTimeInterval(2.1))
        #expect(b.reading(connector: 1).pilot == .c)
        b.advance(to: t0.addingTimeInterval(5))
        #expect(b.reading(connector: 1).meter.currentA == PhaseValues(all: 16))
    }

    @Test("the meter integrates 3 × 16 A × 230 V = 11.04 kW")
    func energy() throws {
        var b = try charging(EVSpec(phases: 3, maxCurrentAmps: 16, batteryCapacityWh: 100_000, stateOfChargePercent: 10))
        b.advance(to: t0.addingTimeInterval(4))
        let start = b.reading(connector: 1).meter.energyWh
        b.advance(to: t0.addingTimeInterval(4 + 3600))
        let r = b.reading(connector: 1)
        #expect(abs(r.meter.energyWh - start - 11_040) < 1)
        #expect(r.meter.totalPowerW == 11_040)
        #expect(r.meter.voltageV == PhaseValues(all: 230))
    }

    @Test("the vehicle follows a lower signaled current only after its reaction delay")
    func followsLimit() throws {
        var b = try charging(EVSpec(phases: 3, maxCurrentAmps: 32), amps: 32)
        b.advance(to: t0.addingTimeInterval(10))
        #expect(b.reading(connector: 1).meter.currentA.l1 == 32)
        b.apply(.setPilot(connector: 1, .pwm(amps: 10)))
        b.advance(to: t0.addingTimeInterval(11))
        #expect(b.reading(connector: 1).meter.currentA.l1 == 32)
        b.advance(to: t0.addingTimeInterval(12.5))
        #expect(b.reading(connector: 1).meter.currentA.l1 == 10)
    }

    @Test("the vehicle draws no more than its own maximum; single-phase wiring or vehicles use L1 only", arguments: [
        (EVSpec(phases: 3, maxCurrentAmps: 16), [3], PhaseValues(all: 16)),
        (EVSpec(phases: 1, maxCurrentAmps: 32), [3], PhaseValues(l1: 20, l2: 0, l3: 0)),
        (EVSpec(phases: 2, maxCurrentAmps: 16), [3], PhaseValues(l1: 16, l2: 16, l3: 0)),
        (EVSpec(phases: 3, maxCurrentAmps: 16), [1], PhaseValues(l1: 16, l2: 0, l3: 0)),
    ])
    func phases(spec: EVSpec, wiring: [Int], expected: PhaseValues) throws {
        var b = try charging(spec, amps: 20, phaseCount: wiring)
        b.advance(to: t0.addingTimeInterval(5))
        #expect(b.reading(connector: 1).meter.currentA == expected)
    }

    @Test("the battery tapers above 80 % and the vehicle stops (state B) when full")
    func taperAndFull() throws {
        var ev = SimulatedEV(spec: EVSpec(phases: 3, maxCurrentAmps: 16, batteryCapacityWh: 10_000, stateOfChargePercent: 90))
        #expect(abs(ev.acceptedAmps - 8) < 1e-9)
        ev.batteryWh = 10_000
        #expect(ev.isFull)
        var b = try charging(EVSpec(phases: 3, maxCurrentAmps: 16, batteryCapacityWh: 10_000, stateOfChargePercent: 99))
        b.advance(to: t0.addingTimeInterval(3600))
        #expect(b.reading(connector: 1).pilot == .b)
        #expect(b.reading(connector: 1).meter.currentA == .zero)
        #expect(b.connectors[0].ev?.isFull == true)
    }

    @Test("a vehicle that needs ventilation presents state D")
    func ventilation() throws {
        var b = try charging(EVSpec(phases: 3, maxCurrentAmps: 16, requiresVentilation: true))
        b.advance(to: t0.addingTimeInterval(3))
        #expect(b.reading(connector: 1).pilot == .d)
    }

    @Test("faults show up in the readings the controller polls")
    func faults() throws {
        var b = try charging(EVSpec(phases: 3, maxCurrentAmps: 16))
        b.advance(to: t0.addingTimeInterval(5))
        try b.setFault(.rcd, connector: 1, active: true)
        #expect(b.reading(connector: 1).residualCurrent.exceedsTripThreshold)
        try b.setFault(.meter, connector: 1, active: true)
        #expect(!b.reading(connector: 1).meter.communicating)
        try b.setFault(.diode, connector: 1, active: true)
        #expect(!b.reading(connector: 1).diodeCheckOK)
        try b.setFault(.evError, connector: 1, active: true)
        #expect(b.reading(connector: 1).pilot == .e)
        try b.setFault(.lock, connector: 1, active: true)
        #expect(!b.reading(connector: 1).lockDetected)
        try b.setFault(.rfid, connector: nil, active: true)
        #expect(!b.rfidReaderHealthy)
        #expect(throws: SimulatorError.self) { try b.presentRFID("04567DAA5F3580") }
        try b.setFault(.welded, connector: 1, active: true)
        b.apply(.setRelays(connector: 1, .open))
        #expect(b.reading(connector: 1).relayFeedback == .threePhase)
        try b.setFault(.welded, connector: 1, active: false)
        #expect(b.reading(connector: 1).relayFeedback == .open)
        #expect(throws: SimulatorError.invalid("fault 'rcd' concerns a connector; give its number")) {
            try b.setFault(.rcd, connector: nil, active: true)
        }
    }

    @Test("RFID UIDs: 4, 7 or 10 bytes of hex", arguments: [
        ("04567DAA5F3580", [0x04, 0x56, 0x7D, 0xAA, 0x5F, 0x35, 0x80] as [UInt8]?),
        ("0a0e9b83", [0x0A, 0x0E, 0x9B, 0x83]),
        ("0A:0E:9B:83", [0x0A, 0x0E, 0x9B, 0x83]),
        ("0A0E9B", nil), ("XYZ12345", nil), ("", nil), ("0A0E9B830A0E9B830A0E9B", nil),
    ])
    func rfid(uid: String, bytes: [UInt8]?) {
        var b = SimulatedBoard(connectorCount: 1, now: t0)
        if let bytes {
            #expect(throws: Never.self) { try b.presentRFID(uid) }
            #expect(b.takeRFIDReads() == [RFIDRead(uid: bytes)])
            #expect(b.takeRFIDReads() == [])
        } else {
            #expect(throws: SimulatorError.self) { try b.presentRFID(uid) }
        }
    }

    @Test("a vehicle whose ISO 15118 side is external waits for PowerDelivery Start, stops at Stop, charges by the PWM after a link failure")
    func externalISO15118Vehicle() throws {
        var b = SimulatedBoard(connectorCount: 1, now: t0)
        try b.perform(.plug(PlugRequest(connector: 1, hlc: "external")))
        #expect(throws: SimulatorCommandError.self) { try b.perform(.plug(PlugRequest(connector: 1, hlc: "internal"))) }
        b.apply(.setLock(connector: 1, locked: true))
        b.apply(.setPilot(connector: 1, .highLevelCommunication(amps: 16)))
        b.apply(.setRelays(connector: 1, .threePhase))
        b.advance(to: t0.addingTimeInterval(5))
        #expect(b.reading(connector: 1).pilot == .b, "no PowerDelivery Start yet")
        try b.perform(.vehicleSession(connector: 1, .powerDeliveryStart))
        b.advance(to: t0.addingTimeInterval(10))
        #expect(b.reading(connector: 1).pilot == .c)
        try b.perform(.vehicleSession(connector: 1, .powerDeliveryStop))
        b.advance(to: t0.addingTimeInterval(15))
        #expect(b.reading(connector: 1).pilot == .b)
        b.apply(.setPilot(connector: 1, .pwm(amps: 16)))
        b.advance(to: t0.addingTimeInterval(20))
        #expect(b.reading(connector: 1).pilot == .b, "nominal PWM alone does not start a vehicle that speaks ISO 15118")
        try b.perform(.vehicleSession(connector: 1, .linkFailed))
        b.advance(to: t0.addingTimeInterval(25))
        #expect(b.reading(connector: 1).pilot == .c, "after the link failed: basic charging by the PWM")
        #expect(b.reading(connector: 1).evccid == nil, "the EVCCID comes from the external session, not the board")
        var other = SimulatedBoard(connectorCount: 1, now: t0)
        do {
            try other.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16, evccid: "02:00:00:00:00:01", externalHLC: true))
            Issue.record("an external ISO 15118 vehicle with a simulated EVCCID was accepted")
        } catch {
            #expect(error.description.hasPrefix("evccid:"))
        }
    }

    @Test("impossible commands are refused with a reason and change nothing")
    func refusals() throws {
        var b = SimulatedBoard(connectorCount: 2, now: t0)
        #expect(throws: SimulatorError.unknownConnector(3, count: 2)) { try b.plug(3, EVSpec(phases: 3, maxCurrentAmps: 16)) }
        #expect(throws: SimulatorError.self) { try b.unplug(1) }
        #expect(throws: SimulatorError.self) { try b.plug(1, EVSpec(phases: 4, maxCurrentAmps: 16)) }
        #expect(throws: SimulatorError.self) { try b.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16, stateOfChargePercent: 120)) }
        #expect(throws: SimulatorError.self) { try b.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16, evccid: "nope")) }
        try b.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16))
        #expect(throws: SimulatorError.self) { try b.plug(1, EVSpec(phases: 1, maxCurrentAmps: 16)) }
        b.apply(.setLock(connector: 1, locked: true))
        #expect(throws: SimulatorError.self) { try b.unplug(1) }
        try b.unplug(1, force: true)
        #expect(b.reading(connector: 1).pilot == .a)
    }

    @Test("EV profiles", arguments: [
        ("3p-16a", 3, 16.0), ("1p-32a", 1, 32.0), ("2P-16A", 2, 16.0),
    ])
    func profiles(name: String, phases: Int, amps: Double) {
        #expect(EVSpec.profile(name)?.phases == phases)
        #expect(EVSpec.profile(name)?.maxCurrentAmps == amps)
    }

    @Test("unknown profiles", arguments: ["4p-16a", "3p-5a", "3p", "fast", "3p-100a"])
    func badProfiles(name: String) { #expect(EVSpec.profile(name) == nil) }

    @Test("persistent state restores meters and vehicles, de-energised as after a power loss")
    func restore() throws {
        var b = try charging(EVSpec(phases: 3, maxCurrentAmps: 16))
        b.advance(to: t0.addingTimeInterval(600))
        let energy = b.reading(connector: 1).meter.energyWh
        let data = try #require(b.persistentState())
        let r = try #require(SimulatedBoard.restore(data, connectorCount: 2, voltageV: 230, phaseCount: [3, 3], now: t0))
        #expect(r.connectorCount == 2)
        #expect(r.reading(connector: 1).meter.energyWh == energy)
        #expect(r.reading(connector: 1).pilot == .c)
        #expect(r.connectors[0].relays == .open && r.connectors[0].pilotSignal == .off && !r.connectors[0].lockCommanded)
        #expect(r.now == t0.addingTimeInterval(600))
        #expect(SimulatedBoard.restore(Data("garbage".utf8), connectorCount: 1, voltageV: 230, phaseCount: [3], now: t0) == nil)
    }
}
