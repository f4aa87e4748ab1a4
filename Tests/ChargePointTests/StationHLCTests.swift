import Foundation
import Testing
import Authorization
import EVSECore
import OCPP16
import Parameters
@testable import ChargePoint
import SECC
import Simulator
import TestSupport

@Suite("The seam to a connector's ISO 15118 session: the vehicle laid over the board's readings, the SECC's view")
struct StationHLCTests {
    @Test("before a session the vehicle is told nothing may flow; a card authorizes; the limit chain is EVSEMaxCurrent")
    func view() throws {
        var rig = Rig { $0.set("HLCMode", .string(HLCMode.force.rawValue)) }
        try rig.plug(1)
        rig.run(2)
        let waiting = try #require(rig.controller.hlcView(connector: 1))
        #expect(waiting == HLCConnectorView(authorized: false, maxCurrentAmps: 0, ratedCurrentAmps: 32, phases: 3,
                                            nominalVoltageV: 230, stopRequested: false, digitalOnly: true,
                                            meter: HLCMeterReading(meterID: "CK-000001-1", energyWh: 0)), "the meter as MeterInfo shows it")
        try rig.card()
        rig.run(3)
        #expect(rig.controller.hlcView(connector: 1)?.authorized == true)
        #expect(rig.controller.hlcView(connector: 1)?.maxCurrentAmps == 32)
        rig.controller.update(settings: Rig.settings {
            $0.set("HLCMode", .string(HLCMode.force.rawValue)); $0.set("OperatorCurrentLimit.1", .integer(10))
        })
        rig.run(1)
        #expect(rig.controller.hlcView(connector: 1)?.maxCurrentAmps == 10)
        try rig.card()
        rig.run(2)
        let stopped = try #require(rig.controller.hlcView(connector: 1))
        #expect(stopped.stopRequested && !stopped.authorized && stopped.maxCurrentAmps == 0, "EVSENotification StopCharging")
        #expect(rig.controller.hlcView(connector: 3) == nil)
    }

    @Test("with the time, the view carries the next 24 hours: the backend's profile over the connector's own limit")
    func schedule() throws {
        var rig = Rig { $0.set("HLCMode", .string(HLCMode.force.rawValue)) }
        try rig.plug(1)
        rig.run(2)
        #expect(rig.controller.hlcView(connector: 1)?.schedule == [], "without the time no schedule is computed")
        #expect(rig.controller.hlcView(connector: 1, now: rig.clock.now)?.schedule == [],
                "no profile: no schedule (the rated power; a static limit travels as EVSEMaxCurrent)")
        let profile = ChargingProfile(chargingProfileId: 9, stackLevel: 1, chargingProfilePurpose: "TxDefaultProfile",
                                      chargingProfileKind: "Absolute",
                                      chargingSchedule: ChargingSchedule(startSchedule: rig.clock.now, chargingRateUnit: "A", chargingSchedulePeriod: [
                                          ChargingSchedulePeriod(startPeriod: 0, limit: 16), ChargingSchedulePeriod(startPeriod: 3600, limit: 8)
                                      ]))
        #expect(rig.controller.setChargingProfile(connector: 1, profile, transactionID: nil, now: rig.clock.now) == nil)
        let periods = try #require(rig.controller.hlcView(connector: 1, now: rig.clock.now)?.schedule)
        #expect(periods.first == HLCSchedulePeriod(startSeconds: 0, amps: 16) && periods.contains(HLCSchedulePeriod(startSeconds: 3600, amps: 8)),
                "\(periods)")
    }

    @Test("the nominal duty cycle carries the limit too: not digital only")
    func nominal() throws {
        var rig = Rig { $0.set("HLCMode", .string(HLCMode.ed2.rawValue)) }
        try rig.plug(2)
        try rig.card()
        rig.run(3)
        let view = try #require(rig.controller.hlcView(connector: 2))
        #expect(view.authorized && !view.digitalOnly && view.maxCurrentAmps == 32)
    }

    @Test("the session's EVCCID reaches Autocharge like one a board reports; the board's own wins; none without a vehicle")
    func overlay() throws {
        var rig = Rig { $0.set("Autocharge", .bool(true)) }
        _ = try rig.controller.changeWhitelist(now: rig.clock.now, "test") { try $0.add(WhitelistEntry(id: "02:00:5E:10:00:01", kind: .mac)) }
        let report = VehicleReport(maxCurrentAmps: 16, stateOfChargePercent: 40, requiredEnergyWh: 20_000,
                                   departure: Date(timeIntervalSince1970: 1_803_859_198))
        rig.hlcVehicles = [1: HLCVehicleInfo(evccid: "02005E100001", report: report), 2: HLCVehicleInfo(evccid: "02005E100002")]
        rig.run(1)
        #expect(rig.connector(2).evccid == nil, "no vehicle on connector 2: the stale session is not laid over")
        try rig.plug(1)
        rig.run(3)
        #expect(rig.status(1) == .charging && rig.connector(1).session?.method == .autocharge)
        #expect(rig.connector(1).evccid == "02005E100001" && rig.controller.connectors[0].reading.vehicle == report)

        let board = BoardInputs(connectors: [ConnectorReading(pilot: .b, meter: MeterReading(energyWh: 0, powerW: .zero, currentA: .zero, voltageV: .zero), evccid: "00:00:00:00:00:0A")])
        let laid = board.overlaying([1: HLCVehicleInfo(evccid: "02005E100001", report: report)])
        #expect(laid.connectors[0].evccid == "00:00:00:00:00:0A" && laid.connectors[0].vehicle == report)
    }

    @Test("D-LINK_ERROR in Force mode: the pilot leaves 5 % for the nominal duty cycle until unplug (ISO 15118-3 §7.7)")
    func linkFailureFallsBackToPWM() throws {
        var rig = Rig { $0.set("HLCMode", .string(HLCMode.force.rawValue)) }
        try rig.plug(1)
        rig.run(2)
        #expect(rig.controller.connectors[0].machine.pilotSignal == .highLevelCommunication(amps: 0))
        rig.controller.hlcLinkFailed(connector: 1, now: rig.clock.now)
        rig.run(1)
        #expect(rig.controller.hlcFallback(connector: 1))
        #expect(rig.controller.connectors[0].machine.pilotSignal == .off, "no 5 % before the session")
        try rig.card()
        rig.run(3)
        #expect(rig.controller.connectors[0].machine.pilotSignal == .pwm(amps: 32), "the session charges by the PWM")
        #expect(rig.status(1) == .charging, "a vehicle without ISO 15118 charges")
        rig.controller.hlcLinkFailed(connector: 2, now: rig.clock.now)
        #expect(!rig.controller.hlcFallback(connector: 2), "no vehicle on connector 2: nothing to fall back from")
        try rig.card()
        rig.run(2)
        try rig.board.unplug(1, force: true)
        rig.run(2)
        #expect(!rig.controller.hlcFallback(connector: 1), "the next vehicle gets 5 % again")
        try rig.plug(1)
        rig.run(2)
        #expect(rig.controller.connectors[0].machine.pilotSignal == .highLevelCommunication(amps: 0))
    }

    @Test("D-LINK_PAUSE: the paused session rests the pilot at X1, contactors open also in C; B-C-B wakes it; unplug ends it")
    func pauseAndWakeUp() throws {
        var rig = Rig { $0.set("HLCMode", .string(HLCMode.force.rawValue)) }
        try rig.plug(1)
        try rig.card()
        rig.run(3)
        #expect(rig.controller.connectors[0].machine.pilotSignal == .highLevelCommunication(amps: 32))
        rig.controller.hlcSessionPaused(connector: 1, now: rig.clock.now)
        rig.carryOut()
        #expect(rig.controller.hlcPaused(connector: 1))
        #expect(rig.controller.connectors[0].machine.pilotSignal == .off, "X1: the vehicle may sleep")
        #expect(rig.controller.hlcPaused(connector: 2) == false)

        // The vehicle's wake-up toggle, read by the controller as a board reports it: C, then B again.
        func read(_ pilot: PilotState) {
            var inputs = rig.board.readInputs()
            inputs.connectors[0].pilot = pilot
            rig.controller.poll(inputs, now: rig.clock.now)
            rig.carryOut()
        }
        read(.b)
        read(.c)
        #expect(rig.controller.hlcPaused(connector: 1), "still paused in the middle of the toggle")
        #expect(!rig.controller.connectors[0].machine.relays.isClosed, "no contactor closes for a wake-up toggle")
        #expect(rig.controller.connectors[0].machine.pilotSignal == .off)
        #expect(rig.controller.connectors[0].machine.derivedStatus == .suspendedEV)
        read(.b)
        #expect(!rig.controller.hlcPaused(connector: 1), "woken")
        #expect(rig.controller.connectors[0].machine.pilotSignal == .highLevelCommunication(amps: 32), "X2 again, 5 % in Force")

        rig.controller.hlcSessionPaused(connector: 1, now: rig.clock.now)
        rig.carryOut()
        read(.a)
        #expect(!rig.controller.hlcPaused(connector: 1), "unplug ends the pause")
    }

    @Test("an EVCCID that comes seconds after the plug-in (the station's own SECC) still authorizes by Autocharge")
    func lateIdentification() throws {
        var rig = Rig { $0.set("Autocharge", .bool(true)) }
        _ = try rig.controller.changeWhitelist(now: rig.clock.now, "test") { try $0.add(WhitelistEntry(id: "02:00:5E:10:00:01", kind: .mac)) }
        try rig.plug(1)
        rig.run(2)
        #expect(rig.connector(1).session == nil, "no identity yet")
        rig.hlcVehicles = [1: HLCVehicleInfo(evccid: "02005E100001")]
        rig.run(3)
        #expect(rig.status(1) == .charging && rig.connector(1).session?.method == .autocharge)
    }
}

@Suite("EVSE ID (ISO 15118): empty or 7 to 37 printable characters, per connector")
struct HLCEVSEIDParameterTests {
    @Test("a short or spaced ID is a form error naming the field and the allowed length; empty means ZZ00000")
    func validation() throws {
        let registry = ParameterRegistry(connectorCount: 2)
        let values = ParameterSet(registry: registry)
        #expect(throws: ParameterError.self) { try registry.validateChange(key: "HLCEVSEID.1", value: .string("DE*AB"), role: .installer, in: values) }
        #expect(throws: ParameterError.self) { try registry.validateChange(key: "HLCEVSEID.2", value: .string("DE ABC E1"), role: .installer, in: values) }
        do {
            _ = try registry.validateChange(key: "HLCEVSEID.1", value: .string("1234"), role: .installer, in: values)
        } catch {
            #expect(error.key == "HLCEVSEID.1" && error.message.contains("7 to 37"))
        }
        let (resolved, value) = try registry.validateChange(key: "HLCEVSEID.2", value: .string("DE*CKT*E0001*2"), role: .installer, in: values)
        var set = values
        set.set(resolved.key, value)
        let settings = HLCSettings(set)
        #expect(settings.evseID(connector: 1) == "ZZ00000" && settings.evseID(connector: 2) == "DE*CKT*E0001*2")
    }
}
