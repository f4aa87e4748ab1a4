import ModbusTCP
import StationModbus

/// The register layouts of the charge meters a board description can name, each from its manufacturer's public Modbus
/// document. They are ``MeterLayout``s like the grid meters', so one decoder reads both.
extension ChargeMeterModel {
    public var layout: MeterLayout {
        switch self {
        case .sdm630, .sdm72d:
            // Eastron "SDM630-Modbus V2 Modbus protocol" (Eastron, V1.x) and "SDM72D-M-2 Modbus protocol" (Eastron):
            // input registers (function 4), IEEE 754 float32, high word first. 30001/0x0000 phase 1–3 line to neutral
            // volts (0x0000, 0x0002, 0x0004), 30007/0x0006 phase 1–3 current in amps (0x0006, 0x0008, 0x000A),
            // 30013/0x000C phase 1–3 active power in watts (0x000C, 0x000E, 0x0010), 30053/0x0034 total system power W,
            // 30073/0x0048 total import kWh, 30075/0x004A total export kWh. The SDM72D-M has the same addresses.
            func f(_ a: UInt16, _ n: String, scale: Double = 1) -> MeterQuantity {
                MeterQuantity(RegisterDefinition(a, n, .float32, scale: scale, unit: nil, wordOrder: .highFirst))
            }
            return MeterLayout(function: .readInputRegisters,
                               currentA: [0x06, 0x08, 0x0A].map { f($0, "I") }, voltageV: [0x00, 0x02, 0x04].map { f($0, "U") },
                               powerW: [0x0C, 0x0E, 0x10].map { f($0, "P") }, totalPowerW: f(0x34, "Psum"),
                               importEnergyWh: f(0x48, "import kWh", scale: 1000), exportEnergyWh: f(0x4A, "export kWh", scale: 1000))
        case .abbB23:
            // ABB "B21, B23, B24 User Manual" (2CMC485003M0201), chapter "Communication with Modbus", mapping tables:
            // holding registers (function 3), integers high word first. 0x5000 total active import energy, unsigned
            // 64 bit, 0.01 kWh; 0x5004 total active export, likewise; 0x5B00/0x5B02/0x5B04 voltage L1-N…L3-N, unsigned
            // 32 bit, 0.1 V; 0x5B0C/0x5B0E/0x5B10 current L1…L3, unsigned 32 bit, 0.01 A; 0x5B14 total active power and
            // 0x5B16/0x5B18/0x5B1A active power L1…L3, signed 32 bit, 0.01 W.
            func q(_ a: UInt16, _ n: String, _ t: RegisterType, _ scale: Double) -> MeterQuantity {
                MeterQuantity(RegisterDefinition(a, n, t, scale: scale))
            }
            return MeterLayout(function: .readHoldingRegisters,
                               currentA: [0x5B0C, 0x5B0E, 0x5B10].map { q($0, "I", .uint32, 0.01) },
                               voltageV: [0x5B00, 0x5B02, 0x5B04].map { q($0, "U", .uint32, 0.1) },
                               powerW: [0x5B16, 0x5B18, 0x5B1A].map { q($0, "P", .int32, 0.01) },
                               totalPowerW: q(0x5B14, "Psum", .int32, 0.01),
                               importEnergyWh: q(0x5000, "import", .uint64, 10), exportEnergyWh: q(0x5004, "export", .uint64, 10))
        case .em340:
            // Carlo Gavazzi "EM340 / ET340 Communication protocol" (Modbus RTU, version 1.x), table "Instantaneous
            // variables and meters": read with function 3 or 4, INT32 with the least significant word first. 0x0000/
            // 0x0002/0x0004 V L1-N…L3-N (value weight Volt × 10), 0x000C/0x000E/0x0010 A L1…L3 (Ampere × 1000),
            // 0x0012/0x0014/0x0016 W L1…L3 (Watt × 10), 0x0028 W sys (Watt × 10), 0x0034 kWh (+) TOT (kWh × 10),
            // 0x004E kWh (−) TOT (kWh × 10).
            func q(_ a: UInt16, _ n: String, _ scale: Double) -> MeterQuantity {
                MeterQuantity(RegisterDefinition(a, n, .int32, scale: scale, wordOrder: .lowFirst))
            }
            return MeterLayout(function: .readInputRegisters,
                               currentA: [0x0C, 0x0E, 0x10].map { q($0, "I", 0.001) },
                               voltageV: [0x00, 0x02, 0x04].map { q($0, "U", 0.1) },
                               powerW: [0x12, 0x14, 0x16].map { q($0, "P", 0.1) }, totalPowerW: q(0x28, "Psum", 0.1),
                               importEnergyWh: q(0x34, "import", 100), exportEnergyWh: q(0x4E, "export", 100))
        }
    }
}
