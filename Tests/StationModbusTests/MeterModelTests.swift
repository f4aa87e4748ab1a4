import Foundation
import ModbusTCP
import Testing
import EVSECore
@testable import StationModbus

@Suite("Modbus meter models")
struct MeterModelTests {
    static let reading = MeterReading(energyWh: 123_456.7, powerW: PhaseValues(l1: 2425.5, l2: 732.8, l3: -1610),
                                      currentA: PhaseValues(l1: 10.5, l2: 3.2, l3: 7), voltageV: PhaseValues(l1: 231, l2: 229.5, l3: 230),
                                      exportEnergyWh: 9876.5)

    /// Writes a reading into a register image with the model's layout, then reads it back.
    func roundTrip(_ layout: MeterLayout) -> MeterReading? {
        var image: [UInt16: UInt16] = [:]
        var total = Self.reading
        total.powerW = Self.reading.powerW
        for (d, v) in layout.registers(for: total) {
            for (i, r) in d.encode(v).enumerated() { image[d.address + UInt16(i)] = r }
        }
        return layout.reading(image)
    }

    @Test("each model's layout encodes and decodes a reading", arguments: MeterModel.allCases)
    func models(model: MeterModel) throws {
        let layout = model.layout()
        let r = try #require(roundTrip(layout))
        #expect(abs(r.energyWh - Self.reading.energyWh) < 0.2)
        #expect(abs(r.totalPowerW - Self.reading.powerW.sum) < 0.5)
        if layout.exportEnergyWh != nil { #expect(abs((r.exportEnergyWh ?? -1) - 9876.5) < 0.2, "\(model)") }
        for p in 0..<3 {
            #expect(abs(r.currentA[p] - Self.reading.currentA[p]) < 0.01)
            #expect(abs(r.voltageV[p] - Self.reading.voltageV[p]) < 0.01)
            #expect(abs(r.powerW[p] - Self.reading.powerW[p]) < 0.2, "signed power, \(model)")
        }
        #expect(layout.reads.allSatisfy { $0.quantity <= 125 })
    }

    @Test("TQ worked examples: power = (reg0·2^16 + reg1)·0.1 W, energy 4 registers · 0.1 Wh (reference §1)")
    func tq() throws {
        let layout = MeterModel.tqEM300LR.layout()
        var image: [UInt16: UInt16] = [:]
        for d in layout.definitions { for a in d.addresses { image[UInt16(a)] = 0 } }
        image[0] = 0x0001; image[1] = 0x0000  // 65536 × 0.1 W import
        image[2] = 0x0000; image[3] = 0x0010  // 1.6 W export
        image[512] = 0; image[513] = 0; image[514] = 0x0001; image[515] = 0x86A0  // 100000 × 0.1 Wh
        image[40] = 0; image[41] = 23_000  // L1 import 2300 W
        image[60] = 0; image[61] = 10_000  // 10 A
        image[62] = 0x0003; image[63] = 0x8270  // 230000 × 0.001 V = 230 V
        let r = try #require(layout.reading(image))
        #expect(r.energyWh == 10_000)
        #expect(abs(r.powerW.l1 - 2300) < 1e-9 && r.currentA.l1 == 10 && r.voltageV.l1 == 230)
        #expect(MeterModel.tqEM300LR.defaultUnitID == 247 && MeterModel.janitzaUMG605PRO.defaultUnitID == 2)
    }

    @Test("reads merge neighbouring registers into few requests")
    func reads() {
        let siemens = MeterModel.siemens7KM2200.layout().reads
        // Small gaps are read through; large ones (possibly reserved on the device) are not.
        #expect(siemens.map(\.address) == [1, 65, 801])
        #expect(siemens.map(\.quantity) == [30, 2, 12])
    }

    @Test("a reading with a missing register is not a reading")
    func missing() {
        #expect(MeterModel.janitzaUMG512PRO.layout().reading([:]) == nil)
    }
}
