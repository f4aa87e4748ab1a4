import Boards
import EVSECore
import ModbusTCP
import StationModbus
import Testing

@Suite struct EVSEDINRegistersTests {
    /// 1000 configured, 1001 output, 1002 vehicle, 1003 PP, 1004 turn off, 1005 firmware, 1006 EVSE state, 1007 fails.
    func block(configured: UInt16 = 16, output: UInt16 = 16, vehicle: UInt16, pp: UInt16 = 32, evse: UInt16 = 2, fails: UInt16 = 0) -> [UInt16] {
        [configured, output, vehicle, pp, 0, 18, evse, fails]
    }

    @Test func vehicleStatesMapToThePilot() throws {
        #expect(try EVSEDINRegisters.status(block(vehicle: 1, evse: 1)).pilot == .a)
        #expect(try EVSEDINRegisters.status(block(vehicle: 2)).pilot == .b)
        #expect(try EVSEDINRegisters.status(block(vehicle: 3)).pilot == .c)
        #expect(try EVSEDINRegisters.status(block(vehicle: 4)).pilot == .d)
        #expect(try EVSEDINRegisters.status(block(vehicle: 5)).pilot == .e)
    }

    @Test func relayIsClosedOnlyInCOrDWithPWM() throws {
        #expect(try EVSEDINRegisters.status(block(vehicle: 3, evse: 2)).relayClosed)
        #expect(try EVSEDINRegisters.status(block(vehicle: 4, evse: 2)).relayClosed)
        #expect(try !EVSEDINRegisters.status(block(vehicle: 3, evse: 1)).relayClosed)
        #expect(try !EVSEDINRegisters.status(block(vehicle: 2, evse: 2)).relayClosed)
        #expect(try !EVSEDINRegisters.status(block(vehicle: 3, evse: 3)).relayClosed)
    }

    @Test func signalledCurrentAndCableCapacity() throws {
        let s = try EVSEDINRegisters.status(block(configured: 13, output: 13, vehicle: 2, pp: 20))
        #expect(s.signaledAmps == 13)
        #expect(s.cableCapacityAmps == 20)
        #expect(s.lockLocked == nil)
        let idle = try EVSEDINRegisters.status(block(configured: 0, output: 0, vehicle: 1, pp: 32, evse: 1))
        #expect(idle.signaledAmps == 0)
        #expect(idle.cableCapacityAmps == nil)
    }

    @Test func failureBits() throws {
        let diode = try EVSEDINRegisters.status(block(vehicle: 5, evse: 1, fails: 1 << 1))
        #expect(!diode.diodeCheckOK)
        #expect(diode.pilot == .b)
        let rcd = try EVSEDINRegisters.status(block(vehicle: 5, evse: 1, fails: 1 << 4))
        #expect(rcd.errors == ["rcdFault"])
        let vent = try EVSEDINRegisters.status(block(vehicle: 5, evse: 1, fails: 1 << 2))
        #expect(vent.pilot == .d)
        #expect(try EVSEDINRegisters.status(block(vehicle: 2)).errors.isEmpty)
    }

    @Test func undefinedValuesAreRejected() {
        #expect(throws: EVSEDINRegisters.UnknownState(register: 1002, value: 0)) { try EVSEDINRegisters.status(block(vehicle: 0)) }
        #expect(throws: EVSEDINRegisters.UnknownState(register: 1002, value: 9)) { try EVSEDINRegisters.status(block(vehicle: 9)) }
        #expect(throws: EVSEDINRegisters.UnknownState(register: 1006, value: 7)) { try EVSEDINRegisters.status(block(vehicle: 2, evse: 7)) }
        #expect(throws: EVSEDINRegisters.UnknownState.self) { try EVSEDINRegisters.status([1, 2, 3]) }
    }

    @Test func configuredAmpsFromTheControl() {
        #expect(EVSEDINRegisters.configuredAmps(for: SupervisedConnectorControl()) == 0)
        #expect(EVSEDINRegisters.configuredAmps(for: SupervisedConnectorControl(released: true, currentAmps: 16)) == 16)
        // Rounded down: the board never offers more than allowed.
        #expect(EVSEDINRegisters.configuredAmps(for: SupervisedConnectorControl(released: true, currentAmps: 10.9)) == 10)
        #expect(EVSEDINRegisters.configuredAmps(for: SupervisedConnectorControl(released: true, currentAmps: 100)) == 80)
        #expect(EVSEDINRegisters.configuredAmps(for: SupervisedConnectorControl(released: false, currentAmps: 0, stateF: true)) == 0)
        #expect(EVSEDINRegisters.configuredAmps(for: SupervisedConnectorControl(released: true, currentAmps: 5)) == 0)
    }

    @Test func lineSettingsDefaultToTheDatasheets8N1() throws {
        let d = try BoardDescription.read(Array(#"{"driver": "evse-din", "serial": {"device": "/dev/ttyUSB0"}, "connectors": [{}, {}]}"#.utf8))
        #expect(d.link == .serial(SerialSettings(device: "/dev/ttyUSB0", baudRate: 9600, parity: "none", stopBits: 1)))
        #expect(d.connectors.map(\.unitID) == [1, 2])
    }

    @Test func controlFoldedFromPilotCommands() {
        var c = SupervisedConnectorControl()
        c.apply(.setPilot(connector: 1, .pwm(amps: 12)))
        #expect(EVSEDINRegisters.configuredAmps(for: c) == 12)
        c.apply(.setPilot(connector: 1, .off))
        #expect(EVSEDINRegisters.configuredAmps(for: c) == 0)
    }
}

@Suite struct ChargeMeterLayoutTests {
    let reading = MeterReading(energyWh: 12_345_600, powerW: PhaseValues(l1: 3680, l2: 3650.5, l3: -20),
                               currentA: PhaseValues(l1: 16, l2: 15.87, l3: 0.25), voltageV: PhaseValues(l1: 230, l2: 230.1, l3: 229.9),
                               exportEnergyWh: 1500)

    /// The registers a meter holding `reading` answers, by address.
    func registers(_ layout: MeterLayout, _ r: MeterReading) -> [UInt16: UInt16] {
        var out: [UInt16: UInt16] = [:]
        for (d, v) in layout.registers(for: r) {
            for (k, word) in d.encode(v).enumerated() { out[d.address + UInt16(k)] = word }
        }
        return out
    }

    @Test(arguments: ChargeMeterModel.allCases) func roundTrip(model: ChargeMeterModel) throws {
        let layout = model.layout
        let decoded = try #require(layout.reading(registers(layout, reading)))
        #expect(abs(decoded.energyWh - reading.energyWh) < 10)
        #expect(abs(decoded.currentA.l2 - reading.currentA.l2) < 0.01)
        #expect(abs(decoded.voltageV.l3 - reading.voltageV.l3) < 0.1)
        #expect(abs(decoded.powerW.l3 - reading.powerW.l3) < 0.1)
        #expect(layout.reads.allSatisfy { $0.quantity <= 125 })
    }

    /// Register words as the manufacturers' documents lay them out, decoded by hand.
    @Test func sdm630WordOrderAndUnits() throws {
        let layout = ChargeMeterModel.sdm630.layout
        #expect(layout.function == .readInputRegisters)
        var regs: [UInt16: UInt16] = [:]
        for a in stride(from: UInt16(0), to: 0x4C, by: 1) { regs[a] = 0 }
        // 230.0 V = 0x43660000 high word first at 0x0000; 12345.67 kWh import at 0x0048 = 0x4640E6AE.
        regs[0x00] = 0x4366; regs[0x01] = 0x0000
        regs[0x48] = 0x4640; regs[0x49] = 0xE6AE
        let r = try #require(layout.reading(regs))
        #expect(r.voltageV.l1 == 230)
        #expect(abs(r.energyWh - 12_345_670) < 1)
    }

    @Test func em340LowWordFirst() throws {
        let layout = ChargeMeterModel.em340.layout
        var regs: [UInt16: UInt16] = [:]
        for a in stride(from: UInt16(0), to: 0x50, by: 1) { regs[a] = 0 }
        // 2300 (230.0 V × 10) as INT32, least significant word first; 0x0001_0000 + 0x86A0 = 100000 → 10000.0 kWh.
        regs[0x00] = 2300; regs[0x01] = 0
        regs[0x34] = 0x86A0; regs[0x35] = 0x0001
        regs[0x12] = 0xFF38; regs[0x13] = 0xFFFF  // −200 → −20.0 W
        let r = try #require(layout.reading(regs))
        #expect(r.voltageV.l1 == 230)
        #expect(r.energyWh == 10_000_000)
        #expect(r.powerW.l1 == -20)
    }

    @Test func abbScaling() throws {
        let layout = ChargeMeterModel.abbB23.layout
        #expect(layout.function == .readHoldingRegisters)
        #expect(layout.reads.map { $0.address } == [0x5000, 0x5B00])
        var regs: [UInt16: UInt16] = [:]
        for r in layout.reads { for k in 0..<r.quantity { regs[r.address + k] = 0 } }
        regs[0x5B01] = 2301         // 230.1 V
        regs[0x5B0D] = 1600         // 16.00 A
        regs[0x5003] = 50_000       // 500.00 kWh
        let r = try #require(layout.reading(regs))
        #expect(abs(r.voltageV.l1 - 230.1) < 1e-9)
        #expect(r.currentA.l1 == 16)
        #expect(r.energyWh == 500_000)
    }
}
