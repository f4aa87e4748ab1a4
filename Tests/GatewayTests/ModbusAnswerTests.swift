import Foundation
import ModbusTCP
import Testing
@testable import Gateway

/// How the gateway answers one Modbus request of the BMS (``CentralSystem/modbus(_:unitID:now:)``), over TCP and RTU
/// alike: the answer, the refusal the diagnostics and the log show, and what an accepted write sets off.
@Suite("Gateway Modbus answers")
struct ModbusAnswerTests {
    @Test("reads answer the register image with the request's function; unit id 0 and the gateway's own are answered")
    func reads() throws {
        var h = Harness()
        let image = try h.cs.modbusRead(address: 0, quantity: 7, now: h.now).get()
        for unit: UInt8 in [0, 1] {
            let holding = h.cs.modbus(.readHoldingRegisters(address: 0, quantity: 7), unitID: unit, now: h.now)
            #expect(holding == ModbusAnswer(response: .registers(.readHoldingRegisters, image), refusal: nil, actions: []))
            let input = h.cs.modbus(.readInputRegisters(address: 0, quantity: 7), unitID: unit, now: h.now)
            #expect(input.response == .registers(.readInputRegisters, image))
        }
        let bits = h.cs.modbus(.readCoils(address: 0, quantity: 1), unitID: 1, now: h.now)
        #expect(bits.response == .bits(.readCoils, [false]) && bits.refusal == nil)
    }

    @Test("another unit id is answered with exception 0x0B; a gateway with unit id 0 answers any")
    func unitIDs() {
        var h = Harness()
        let other = h.cs.modbus(.readHoldingRegisters(address: 0, quantity: 1), unitID: 5, now: h.now)
        #expect(other.response == .exception(function: 3, .gatewayTargetDeviceFailedToRespond))
        #expect(other.refusal?.code == .gatewayTargetDeviceFailedToRespond && other.refusal?.reason == "unit id 5 is not the gateway's (1)")
        var s = h.cs.settings
        s.modbusUnitID = 0
        var any = CentralSystem(settings: s)
        #expect(any.modbus(.readHoldingRegisters(address: 0, quantity: 1), unitID: 5, now: h.now).refusal == nil)
    }

    @Test("an accepted write is echoed with the actions it set off; a refused one changes nothing and carries its exception")
    func writes() throws {
        var h = Harness()
        var copy = h.cs
        let expected = try copy.modbusWrite(address: 0, values: [1], now: h.now).get()
        let written = h.cs.modbus(.writeSingleRegister(address: 0, value: 1), unitID: 1, now: h.now)
        #expect(written == ModbusAnswer(response: .writeSingleRegister(address: 0, value: 1), refusal: nil, actions: expected))
        let coil = h.cs.modbus(.writeSingleCoil(address: 0, value: true), unitID: 0, now: h.now)
        #expect(coil.response == .writeSingleCoil(address: 0, value: true) && coil.refusal == nil)
        let multiple = h.cs.modbus(.writeMultipleRegisters(address: 0, values: [1]), unitID: 1, now: h.now)
        #expect(multiple.response == .writeMultiple(.writeMultipleRegisters, address: 0, quantity: 1))

        let before = h.cs.image.words
        let outside = h.cs.modbus(.writeMultipleRegisters(address: 60_000, values: [1, 2]), unitID: 1, now: h.now)
        #expect(outside.response == .exception(function: 16, .illegalDataAddress) && outside.refusal?.code == .illegalDataAddress)
        #expect(outside.actions.isEmpty && h.cs.image.words == before)
        let notABit = h.cs.modbus(.readDiscreteInputs(address: 1, quantity: 1), unitID: 1, now: h.now)
        #expect(notABit.response == .exception(function: 2, .illegalDataAddress))
    }

    @Test("External mode refuses every write with exception 01")
    func external() {
        var h = Harness(mode: .external)
        let answer = h.cs.modbus(.writeMultipleCoils(address: 0, values: [true]), unitID: 1, now: h.now)
        #expect(answer.response == .exception(function: 15, .illegalFunction) && answer.refusal == CentralSystem.externalRefusal)
        #expect(answer.actions.isEmpty)
    }
}
