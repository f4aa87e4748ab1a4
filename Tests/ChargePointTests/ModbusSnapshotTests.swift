import Foundation
import Testing
import EVSECore
import ModbusTCP
import StationModbus
import TestSupport
@testable import ChargePoint

/// Reads answered from the view of the last control step (without waiting for the station), writes left to the station,
/// and the reads reported back for the communication watchdog.
@Suite("OMCCI snapshot: reads from the last step's view, writes to the station")
struct ModbusSnapshotTests {
    @Test("a read is answered like the station answers it and counted for the watchdog; a write or an unknown connector is not answered")
    func snapshot() {
        var rig = Rig(connectors: 2)
        rig.run(0.2)
        let now = rig.clock.now
        let states = (1...2).map { rig.controller.omcciState(connector: $0, now: now) }
        let snapshot = OMCCISnapshot()
        #expect(snapshot.answer(connector: 1, .readHoldingRegisters(address: 104, quantity: 1)) == nil, "no view before the first step")
        #expect(snapshot.refresh(states).isEmpty)
        let read = ModbusRequest.readHoldingRegisters(address: 104, quantity: 4)
        #expect(snapshot.answer(connector: 2, read) == rig.controller.modbus(read, connector: 2, now: now).answer)
        #expect(snapshot.answer(connector: 1, .readHoldingRegisters(address: 7, quantity: 1))
                == .exception(function: FunctionCode.readHoldingRegisters.rawValue, .illegalDataAddress))
        #expect(snapshot.answer(connector: 1, .writeSingleRegister(address: 1000, value: 10)) == nil)
        #expect(snapshot.answer(connector: 3, read) == nil)
        #expect(snapshot.refresh(states) == [1, 2], "both connectors were read since the last step")
        #expect(snapshot.refresh(states).isEmpty)
    }
}
