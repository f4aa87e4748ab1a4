import Foundation
import ModbusTCP
import Testing
import EVSECore
import StationModbus
@testable import ChargePoint

/// The generic meter's registers come from the GenericMeter* parameters (StationSettings reads them into
/// StationModbus's ``GenericMeterSettings``); the layouts themselves are tested in StationModbusTests.
@Suite("Generic meter settings")
struct GenericMeterSettingsTests {
    static let reading = MeterReading(energyWh: 123_456.7, powerW: PhaseValues(l1: 2425.5, l2: 732.8, l3: -1610),
                                      currentA: PhaseValues(l1: 10.5, l2: 3.2, l3: 7), voltageV: PhaseValues(l1: 231, l2: 229.5, l3: 230),
                                      exportEnergyWh: 9876.5)

    /// Writes a reading into a register image with the layout, then reads it back.
    func roundTrip(_ layout: MeterLayout) -> MeterReading? {
        var image: [UInt16: UInt16] = [:]
        for (d, v) in layout.registers(for: Self.reading) {
            for (i, r) in d.encode(v).enumerated() { image[d.address + UInt16(i)] = r }
        }
        return layout.reading(image)
    }

    @Test("generic meters are configured through parameters")
    func generic() throws {
        var p = ParameterSet(registry: ParameterRegistry(connectorCount: 1))
        p.set("ExternalMeterSupport", .bool(true))
        p.set("SecondMeterConfiguration", .string("ipdControl"))
        p.set("SecondMeterIPAddress", .string("192.0.2.10"))
        p.set("GenericMeterValueType", .string("int32"))
        p.set("GenericMeterWordOrder", .string("CDAB"))
        p.set("GenericMeterCurrentRegisters", .phaseTriple(PhaseValues(l1: 100, l2: 102, l3: 104)))
        p.set("GenericMeterCurrentScale", .decimal(0.001))
        let s = StationSettings(p)
        let endpoint = try #require(s.gridMeter)
        #expect(endpoint.unitID == 1 && endpoint.port == 502 && endpoint.host == "192.0.2.10")
        let current = endpoint.layout.currentA[1].register
        #expect(current.address == 102 && current.type == .int32 && current.wordOrder == .lowFirst && current.scale == 0.001)
        #expect(try #require(roundTrip(endpoint.layout)).currentA.l2 == 3.2)
    }
}
