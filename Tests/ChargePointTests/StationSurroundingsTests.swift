import Foundation
import Testing
import EVSECore
import Simulator
import TestSupport
@testable import ChargePoint

/// Issue 22 item 6: the catalogue errors raised by the station's surroundings, each with its activation and resolution.
@Suite("Errors from the station's surroundings")
struct StationSurroundingsTests {
    @Test("auxiliary contacts: MCB and RCD stop the connector's session until reconnected; the SPD is reported only", arguments: [
        (SimulatedFault.mcb, "mcbType2Triggered", ["MCB of type 2 socket triggered", "MCB type 2 reconnected"]),
        (.rcdTrip, "rcdFault", ["RCD-Fault", "RCD reconnected"]),
    ])
    func auxiliaryContacts(fault: SimulatedFault, id: String, messages: [String]) throws {
        var rig = Rig()
        try rig.plug(1)
        try rig.card()
        rig.run(5)
        #expect(rig.status(1) == .charging)
        try rig.board.setFault(fault, connector: 1, active: true)
        rig.run(0.3)
        #expect(rig.controller.errors.isActive(id, connector: 1))
        #expect(rig.status(1) == .faulted)
        #expect(rig.store.sessions.first?.stopReason == .other)
        try rig.board.setFault(fault, connector: 1, active: false)
        rig.run(0.3)
        #expect(!rig.controller.errors.isActive(id, connector: 1))
        #expect(rig.events.filter { $0.code == id }.map(\.message) == messages)
    }

    @Test("the surge protector's contact raises SPD tripped; charging goes on")
    func surgeProtector() throws {
        var rig = Rig()
        try rig.plug(1)
        try rig.card()
        rig.run(5)
        rig.board.setInput(.surgeProtector, true)
        rig.run(0.3)
        #expect(rig.controller.errors.isActive("spdTripped", connector: 0))
        #expect(rig.status(1) == .charging)
        rig.board.setInput(.surgeProtector, false)
        rig.run(0.3)
        #expect(!rig.controller.errors.isActive("spdTripped", connector: 0))
    }

    @Test("a missing phase raises UnderVoltage after the hold time, stops charging, and clears the hold time after it returns")
    func underVoltage() throws {
        var rig = Rig()
        try rig.plug(1)
        try rig.card()
        rig.run(5)
        try rig.board.setFault(.undervoltage, connector: 1, active: true)
        rig.run(9.5)
        #expect(!rig.controller.errors.isActive("underVoltage", connector: 0), "a dip shorter than the 10 s hold time is no error")
        rig.run(1)
        #expect(rig.controller.errors.isActive("underVoltage", connector: 0))
        #expect(rig.status(1) == .faulted)
        try rig.board.setFault(.undervoltage, connector: 1, active: false)
        rig.run(9.5)
        #expect(rig.controller.errors.isActive("underVoltage", connector: 0))
        rig.run(1)
        #expect(!rig.controller.errors.isActive("underVoltage", connector: 0))
    }

    @Test("overvoltage above the limit parameter; a higher limit accepts the same voltage")
    func overVoltage() throws {
        var rig = Rig()
        try rig.board.setFault(.overvoltage, connector: 2, active: true)
        rig.run(11)
        #expect(rig.controller.errors.isActive("overVoltage", connector: 0))
        var tolerant = Rig { $0.set("OverVoltageLimit", .integer(120)) }
        try tolerant.board.setFault(.overvoltage, connector: 2, active: true)
        tolerant.run(11)
        #expect(!tolerant.controller.errors.isActive("overVoltage", connector: 0))
    }

    @Test("a vehicle drawing 30 % more than signalled trips the over-current protection after 7 s, until unplugged")
    func overCurrent() throws {
        var rig = Rig()
        try rig.plug(1)
        try rig.card()
        rig.run(5)
        try rig.board.setFault(.overcurrent, connector: 1, active: true)
        rig.run(6)
        #expect(!rig.controller.errors.isActive("overCurrentProtection", connector: 1), "the vehicle has 5 s to follow")
        rig.run(2)
        #expect(rig.controller.errors.isActive("overCurrentProtection", connector: 1))
        #expect(rig.status(1) == .faulted)
        try rig.board.setFault(.overcurrent, connector: 1, active: false)
        rig.run(5)
        #expect(rig.controller.errors.isActive("overCurrentProtection", connector: 1), "held until the vehicle leaves")
        try rig.board.unplug(1, force: true)
        rig.run(0.3)
        #expect(!rig.controller.errors.isActive("overCurrentProtection", connector: 1))
    }

    @Test("three unconfirmed locks in a row: Could not detect type 2 locking actuator, which stops the connector until a restart tries again")
    func actuatorNotDetected() throws {
        var rig = Rig()
        try rig.board.setFault(.lock, connector: 1, active: true)
        for attempt in 1...3 {
            try rig.plug(1)
            try rig.card()
            rig.run(3)
            #expect(rig.controller.errors.isActive("actuatorNotDetected", connector: 1) == (attempt == 3), "attempt \(attempt)")
            #expect(rig.controller.errors.isActive("plugLockingFailed", connector: 1) == (attempt < 3),
                    "the third failure faults the connector, which withdraws the lock command")
            try rig.card()
            try rig.board.unplug(1, force: true)
            rig.run(2)
        }
        #expect(rig.status(1) == .faulted)
        // seeds/004 §9: "A hard reset triggers another attempt to redetect the actuator type."
        try rig.board.setFault(.lock, connector: 1, active: false)
        var restarted = Rig(store: rig.store, board: rig.board)
        restarted.clock = rig.clock  // the board's physics runs on, from where it was
        #expect(!restarted.controller.errors.isActive("actuatorNotDetected", connector: 1))
        try restarted.plug(1)
        try restarted.card()
        restarted.run(5)
        #expect(restarted.status(1) == .charging)
    }

    @Test("Display backend disconnect as error: raised after the connection timeout without a backend, resolved when it is back")
    func backendDisconnected() throws {
        var rig = Rig { $0.set("DisplayBackendDisconnectAsError", .bool(true)) }
        rig.controller.backendConfigured = true
        rig.run(59)
        #expect(!rig.controller.errors.isActive("backendDisconnected", connector: 0))
        rig.run(2)
        #expect(rig.controller.errors.isActive("backendDisconnected", connector: 0))
        rig.controller.online = true
        rig.run(0.2)
        #expect(!rig.controller.errors.isActive("backendDisconnected", connector: 0))
        var quiet = Rig()
        quiet.controller.backendConfigured = true
        quiet.run(120)
        #expect(!quiet.controller.errors.isActive("backendDisconnected", connector: 0), "off by default (seeds/004 §4)")
    }
}
