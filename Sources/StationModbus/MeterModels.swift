#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EVSECore
import ModbusTCP

/// The Modbus TCP meters a station can read (seeds/000 "Externen Zähler einbinden", seeds/004 §7.5).
public enum MeterModel: String, Sendable, Codable, CaseIterable {
    case tqEM300LR
    case tqEM410EM420
    case ipdControl
    case janitzaUMG512PRO
    case janitzaUMG605PRO
    case phoenixEEMMB371
    case siemens7KM2200
    /// A meter whose registers are configured as parameters (the GenericMeter* keys).
    case generic

    /// The name of the seeds' drop-down.
    public var label: String {
        switch self {
        case .tqEM300LR: "Modbus TQ EM300-LR (TCP)"
        case .tqEM410EM420: "Modbus TQ EM410/EM420 (TCP)"
        case .ipdControl: "Modbus IPD Control (TCP)"
        case .janitzaUMG512PRO: "Modbus Janitza UMG 512/96 PRO (TCP)"
        case .janitzaUMG605PRO: "Modbus Janitza UMG 605 PRO (TCP)"
        case .phoenixEEMMB371: "Modbus Phoenix Contact EEM-MB371 (TCP)"
        case .siemens7KM2200: "Modbus Siemens 7KM2200 (TCP)"
        case .generic: "Generic Modbus TCP meter"
        }
    }

    /// The unit id the model answers by default (the manufacturers' Modbus manuals).
    public var defaultUnitID: Int {
        switch self {
        case .tqEM300LR, .tqEM410EM420: 247
        case .janitzaUMG605PRO: 2
        case .janitzaUMG512PRO, .phoenixEEMMB371, .siemens7KM2200, .ipdControl, .generic: 1
        }
    }
}

/// Which meter a reading is of: the station's grid meter or a connector's Modbus charge meter.
public enum MeterTarget: Sendable, Hashable, CustomStringConvertible {
    /// The grid (second) meter for load management.
    case grid
    /// The Modbus charge meter of a connector.
    case connector(Int)

    public var description: String {
        switch self {
        case .grid: "grid meter"
        case .connector(let n): "charge meter of connector \(n)"
        }
    }
}

/// How to read one quantity: the register definition and, for signed power split into import and export
/// registers (TQ OBIS map), the export register to subtract.
public struct MeterQuantity: Sendable, Equatable {
    public var register: RegisterDefinition
    public var minus: RegisterDefinition?

    public init(_ register: RegisterDefinition, minus: RegisterDefinition? = nil) { self.register = register; self.minus = minus }
}

/// A meter model's register layout.
///
/// - SeeAlso: the manufacturers' Modbus register maps: TQ EM300-LR/EM410, Janitza (19000 block), UMG 604/605 layout,
///   §6 (Phoenix EMpro, CDAB), §7 (Siemens PAC2200, float64 energy).
public struct MeterLayout: Sendable, Equatable {
    public var function: FunctionCode
    public var currentA: [MeterQuantity]
    public var voltageV: [MeterQuantity]
    public var powerW: [MeterQuantity]
    public var totalPowerW: MeterQuantity?
    public var importEnergyWh: MeterQuantity
    public var exportEnergyWh: MeterQuantity?

    public init(function: FunctionCode, currentA: [MeterQuantity], voltageV: [MeterQuantity], powerW: [MeterQuantity],
                totalPowerW: MeterQuantity?, importEnergyWh: MeterQuantity, exportEnergyWh: MeterQuantity?) {
        self.function = function; self.currentA = currentA; self.voltageV = voltageV; self.powerW = powerW
        self.totalPowerW = totalPowerW; self.importEnergyWh = importEnergyWh; self.exportEnergyWh = exportEnergyWh
    }

    /// Every register the layout reads.
    public var definitions: [RegisterDefinition] {
        (currentA + voltageV + powerW + [totalPowerW, importEnergyWh, exportEnergyWh].compactMap { $0 })
            .flatMap { [$0.register] + ($0.minus.map { [$0] } ?? []) }
    }

    /// The reads that cover every register, merging neighbours (at most 125 registers, gaps up to 8).
    public var reads: [(address: UInt16, quantity: UInt16)] {
        let ranges = definitions.map { $0.addresses }.sorted { $0.lowerBound < $1.lowerBound }
        var result: [(Int, Int)] = []
        for r in ranges {
            if let last = result.last, r.lowerBound <= last.1 + 9, r.upperBound - last.0 < 125 {
                result[result.count - 1].1 = max(last.1, r.upperBound)
            } else {
                result.append((r.lowerBound, r.upperBound))
            }
        }
        return result.map { (UInt16($0.0), UInt16($0.1 - $0.0 + 1)) }
    }

    /// Decodes a meter reading from registers read at `reads`.
    public func reading(_ registers: [UInt16: UInt16]) -> MeterReading? {
        func value(_ q: MeterQuantity?) -> Double? {
            guard let q else { return nil }
            func one(_ d: RegisterDefinition) -> Double? {
                var regs: [UInt16] = []
                for a in d.addresses { guard let r = registers[UInt16(a)] else { return nil }; regs.append(r) }
                switch d.decode(regs) {
                case .integer(let i): return Double(i) * d.scale
                case .float(let f): return f.isFinite ? f : nil
                default: return nil
                }
            }
            guard let v = one(q.register) else { return nil }
            guard let m = q.minus else { return v }
            return one(m).map { v - $0 }
        }
        func triple(_ qs: [MeterQuantity]) -> PhaseValues? {
            let vs = qs.map(value)
            guard vs.count == 3, let a = vs[0], let b = vs[1], let c = vs[2] else { return nil }
            return PhaseValues(l1: a, l2: b, l3: c)
        }
        guard let currents = triple(currentA), let voltages = triple(voltageV), let powers = triple(powerW),
              let energy = value(importEnergyWh) else { return nil }
        return MeterReading(energyWh: energy, powerW: powers, currentA: currents, voltageV: voltages,
                            exportEnergyWh: value(exportEnergyWh), measuredTotalPowerW: value(totalPowerW))
    }

    /// Register values for a reading (for simulated meter twins and test servers).
    public func registers(for r: MeterReading) -> [(RegisterDefinition, RegisterValue)] {
        func put(_ q: MeterQuantity?, _ v: Double) -> [(RegisterDefinition, RegisterValue)] {
            guard let q else { return [] }
            if let minus = q.minus {
                return [(q.register, .float(max(0, v))), (minus, .float(max(0, -v)))]
            }
            return [(q.register, .float(v))]
        }
        var out: [(RegisterDefinition, RegisterValue)] = []
        for (i, q) in currentA.enumerated() { out += put(q, r.currentA[i]) }
        for (i, q) in voltageV.enumerated() { out += put(q, r.voltageV[i]) }
        for (i, q) in powerW.enumerated() { out += put(q, r.powerW[i]) }
        out += put(totalPowerW, r.totalPowerW)
        out += put(importEnergyWh, r.energyWh)
        out += put(self.exportEnergyWh, r.exportEnergyWh ?? 0)
        return out
    }
}

extension MeterModel {
    private static func f32(_ a: UInt16, _ n: String, _ word: WordOrder = .highFirst) -> MeterQuantity {
        MeterQuantity(RegisterDefinition(a, n, .float32, wordOrder: word))
    }

    /// The layout of the model; `generic` comes from ``GenericMeterSettings``.
    public func layout(generic: GenericMeterSettings = GenericMeterSettings()) -> MeterLayout {
        switch self {
        case .tqEM300LR, .tqEM410EM420:
            // TQ OBIS map (reference §1); EM410/EM420 assumed to share it (reference §2, unverified).
            func u32(_ a: UInt16, _ scale: Double) -> RegisterDefinition { RegisterDefinition(a, "r\(a)", .uint32, scale: scale) }
            return MeterLayout(
                function: .readHoldingRegisters,
                currentA: [60, 100, 140].map { MeterQuantity(u32($0, 0.001)) },
                voltageV: [62, 102, 142].map { MeterQuantity(u32($0, 0.001)) },
                powerW: [40, 80, 120].map { MeterQuantity(u32($0, 0.1), minus: u32($0 + 2, 0.1)) },
                totalPowerW: MeterQuantity(u32(0, 0.1), minus: u32(2, 0.1)),
                importEnergyWh: MeterQuantity(RegisterDefinition(512, "import", .uint64, scale: 0.1)),
                exportEnergyWh: MeterQuantity(RegisterDefinition(516, "export", .uint64, scale: 0.1)))
        case .janitzaUMG512PRO:
            return MeterLayout(
                function: .readHoldingRegisters,
                currentA: [19012, 19014, 19016].map { Self.f32($0, "I") }, voltageV: [19000, 19002, 19004].map { Self.f32($0, "U") },
                powerW: [19020, 19022, 19024].map { Self.f32($0, "P") }, totalPowerW: Self.f32(19026, "Psum"),
                importEnergyWh: Self.f32(19068, "import"), exportEnergyWh: Self.f32(19076, "export"))
        case .janitzaUMG605PRO:
            return MeterLayout(
                function: .readHoldingRegisters,
                currentA: [1325, 1327, 1329].map { Self.f32($0, "I") }, voltageV: [1317, 1319, 1321].map { Self.f32($0, "U") },
                powerW: [1333, 1335, 1337].map { Self.f32($0, "P") }, totalPowerW: Self.f32(1369, "Psum"),
                importEnergyWh: Self.f32(9851, "import"), exportEnergyWh: Self.f32(9863, "export"))
        case .phoenixEEMMB371:
            return MeterLayout(
                function: .readHoldingRegisters,
                currentA: [32782, 32784, 32786].map { Self.f32($0, "I", .lowFirst) },
                voltageV: [32774, 32776, 32778].map { Self.f32($0, "U", .lowFirst) },
                powerW: [32798, 32800, 32802].map { Self.f32($0, "P", .lowFirst) }, totalPowerW: Self.f32(32790, "Psum", .lowFirst),
                importEnergyWh: Self.f32(33024, "import", .lowFirst), exportEnergyWh: Self.f32(33030, "export", .lowFirst))
        case .siemens7KM2200:
            return MeterLayout(
                function: .readHoldingRegisters,
                currentA: [13, 15, 17].map { Self.f32($0, "I") }, voltageV: [1, 3, 5].map { Self.f32($0, "U") },
                powerW: [25, 27, 29].map { Self.f32($0, "P") }, totalPowerW: Self.f32(65, "Psum"),
                importEnergyWh: MeterQuantity(RegisterDefinition(801, "import", .float64)),
                exportEnergyWh: MeterQuantity(RegisterDefinition(809, "export", .float64)))
        case .ipdControl, .generic:
            return generic.layout
        }
    }
}

/// Register layout of a meter without a public map, configured through parameters.
public struct GenericMeterSettings: Sendable, Equatable {
    public var function: FunctionCode = .readHoldingRegisters
    public var type: RegisterType = .float32
    public var wordOrder: WordOrder = .highFirst
    public var currentRegisters: [UInt16] = [13, 15, 17]
    public var currentScale: Double = 1
    public var voltageRegisters: [UInt16] = [1, 3, 5]
    public var voltageScale: Double = 1
    public var powerRegisters: [UInt16] = [25, 27, 29]
    public var powerScale: Double = 1
    public var energyRegister: UInt16 = 801
    public var energyType: RegisterType = .float64
    public var energyScale: Double = 1

    public init() {}

    public var layout: MeterLayout {
        func q(_ a: UInt16, _ scale: Double, _ t: RegisterType? = nil) -> MeterQuantity {
            MeterQuantity(RegisterDefinition(a, "r\(a)", t ?? type, scale: scale, wordOrder: wordOrder))
        }
        return MeterLayout(function: function, currentA: currentRegisters.map { q($0, currentScale) },
                           voltageV: voltageRegisters.map { q($0, voltageScale) }, powerW: powerRegisters.map { q($0, powerScale) },
                           totalPowerW: nil, importEnergyWh: q(energyRegister, energyScale, energyType), exportEnergyWh: nil)
    }
}
