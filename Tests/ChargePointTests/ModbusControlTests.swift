import Foundation
import Testing
import EVSECore
import LoadManagement
import ModbusTCP
import Simulator
import StationModbus
import TestSupport
@testable import ChargePoint

/// The energy manager's control over Modbus as a machine: writes in, actions out (seeds/000 MODBUS-REGISTERSATZ 124,
/// 131/132, 613–615, 1000, 1110–1119).
@Suite("Modbus control: HEMS limit, watchdog, writes validated before anything changes")
struct ModbusControlTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func settings(_ change: (inout ParameterSet) -> Void = { _ in }) -> StationSettings {
        Rig.settings { p in
            p.set(StationParameters.modbusCommTimeout, .integer(10))
            p.set(StationParameters.modbusSafeCurrent, .integer(8))
            change(&p)
        }
    }

    @Test("register 1000 sets the HEMS limit; silent for the timeout, the safe current applies until the next request")
    func watchdog() {
        var control = ModbusControl(connectorCount: 2)
        let s = Self.settings()
        #expect(control.limit(connector: 1, s.modbus, now: Self.t0) == LimitInput(.hems, 32), "32 A before a manager writes")
        #expect(control.write(address: 1000, values: [12], connector: 1, s, now: Self.t0) == .success([.limitChanged(connector: 1)]))
        control.requested(connector: 1, now: Self.t0)
        #expect(control.limit(connector: 1, s.modbus, now: Self.t0.addingTimeInterval(9.9)) == LimitInput(.hems, 12))
        #expect(control.limit(connector: 1, s.modbus, now: Self.t0.addingTimeInterval(10)) == LimitInput(.modbusSafeCurrent, 8))
        control.requested(connector: 1, now: Self.t0.addingTimeInterval(11))
        #expect(control.limit(connector: 1, s.modbus, now: Self.t0.addingTimeInterval(11)) == LimitInput(.hems, 12))
        #expect(control.limit(connector: 2, s.modbus, now: Self.t0.addingTimeInterval(60)) == LimitInput(.hems, 32),
                "connector 2's manager never wrote: no watchdog")
        control.shiftTimers(by: -7200)
        #expect(control.limit(connector: 1, s.modbus, now: Self.t0.addingTimeInterval(-7200 + 21)) == LimitInput(.modbusSafeCurrent, 8),
                "a wall clock step keeps the watchdog's duration")
    }

    @Test("registers become actions in order: availability, parameters, the card of 1110–1119")
    func actions() {
        var control = ModbusControl(connectorCount: 2)
        let s = Self.settings { $0.set(StationParameters.modbusAllowStartStop, .bool(true)) }
        #expect(control.write(address: 124, values: [0], connector: 2, s, now: Self.t0) == .success([.setOperative(connector: 2, false)]))
        #expect(control.write(address: 131, values: [10, 30], connector: 1, s, now: Self.t0) == .success([
            .setParameter(key: StationParameters.modbusSafeCurrent, .integer(10)),
            .setParameter(key: StationParameters.modbusCommTimeout, .integer(30)),
        ]))
        let card = Array("AABBCCDD".utf8).chunked2 + Array(repeating: 0, count: 6)
        #expect(control.write(address: 1110, values: card, connector: 1, s, now: Self.t0) == .success([.present(idTag: "AABBCCDD", connector: 1)]))
    }

    @Test("refusals change nothing: a value out of range, start/stop not allowed, 613–615 on a non-master or above the EVSE limit")
    func refusals() {
        var control = ModbusControl(connectorCount: 1)
        let s = Self.settings()
        #expect(control.write(address: 1000, values: [5], connector: 1, s, now: Self.t0) == .failure(.illegalDataValue))
        #expect(control.write(address: 1110, values: Array(repeating: 0x4141, count: 10), connector: 1, s, now: Self.t0) == .failure(.illegalFunction))
        #expect(control.write(address: 613, values: [10], connector: 1, s, now: Self.t0) == .failure(.illegalFunction))
        #expect(control.write(address: 125, values: [1], connector: 1, s, now: Self.t0) == .failure(.illegalDataAddress))

        let master = Self.settings { p in
            p.set(StationParameters.dlmMode, .string(DLMMode.master.rawValue))
            p.set(StationParameters.evseSubDistributionLimit, .phaseTriple(PhaseValues(all: 32)))
            p.set(StationParameters.operatorEVSESubDistributionLimit, .phaseTriple(PhaseValues(all: 32)))
        }
        #expect(control.write(address: 613, values: [20, 20, 40], connector: 1, master, now: Self.t0) == .failure(.illegalDataValue),
                "L3 above the EVSE Sub-Distribution Limit: refused whole, L1 and L2 unchanged")
        #expect(control.write(address: 613, values: [20, 25], connector: 1, master, now: Self.t0) == .success([
            .setParameter(key: StationParameters.operatorEVSESubDistributionLimit, .phaseTriple(PhaseValues(l1: 20, l2: 32, l3: 32))),
            .setParameter(key: StationParameters.operatorEVSESubDistributionLimit, .phaseTriple(PhaseValues(l1: 20, l2: 25, l3: 32))),
        ]))
        #expect(control.limit(connector: 1, s.modbus, now: Self.t0) == LimitInput(.hems, 32), "no refused write touched the HEMS limit")
    }

    @Test("seeds000 1110–1119 register by register: each FC06 answered, the card presented when 1119 is written; refused pieces")
    func seeds000_1110_registerByRegister() {
        var control = ModbusControl(connectorCount: 2)
        let s = Self.settings { $0.set(StationParameters.modbusAllowStartStop, .bool(true)) }
        let card = Array("      AABBCCDD".utf8).chunked2 + Array(repeating: 0, count: 3)
        for i in 0..<9 {
            #expect(control.write(address: UInt16(1110 + i), values: [card[i]], connector: 1, s, now: Self.t0) == .success([]))
        }
        #expect(control.unfinishedWrites(connector: 1, now: Self.t0) == [1110])
        #expect(control.unfinishedWrites(connector: 2, now: Self.t0).isEmpty, "each connector's port keeps its own")
        #expect(control.write(address: 1119, values: [card[9]], connector: 1, s, now: Self.t0) == .success([.present(idTag: "AABBCCDD", connector: 1)]))
        // A piece while Allow Start/Stop is off: 01 at once, nothing kept.
        #expect(control.write(address: 1110, values: [card[0]], connector: 1, Self.settings(), now: Self.t0) == .failure(.illegalFunction))
        #expect(control.unfinishedWrites(connector: 1, now: Self.t0).isEmpty)
        // A write that completes a value which is not a valid IdTag: 03, and it changes nothing — the pieces before it
        // still wait, and a valid last register completes them.
        for i in 0..<9 { _ = control.write(address: UInt16(1110 + i), values: [0x2020], connector: 1, s, now: Self.t0) }
        #expect(control.write(address: 1119, values: [0x2020], connector: 1, s, now: Self.t0) == .failure(.illegalDataValue))
        #expect(control.unfinishedWrites(connector: 1, now: Self.t0) == [1110])
        for i in 0..<9 { _ = control.write(address: UInt16(1110 + i), values: [card[i]], connector: 1, s, now: Self.t0) }
        #expect(control.write(address: 1119, values: [card[9]], connector: 1, s, now: Self.t0) == .success([.present(idTag: "AABBCCDD", connector: 1)]))
        #expect(control.unfinishedWrites(connector: 1, now: Self.t0).isEmpty)
        // Left unfinished: discarded after the timeout; the last register alone is then refused.
        _ = control.write(address: 1110, values: Array(card[0...8]), connector: 1, s, now: Self.t0)
        let late = Self.t0.addingTimeInterval(OMCCIRegisterWrites.timeoutSeconds)
        #expect(control.write(address: 1119, values: [card[9]], connector: 1, s, now: late) == .failure(.illegalDataValue))
    }

    @Test("seeds000 register 712 reads the configured Minimum Current Limit")
    func seeds000_712_minimumCurrentLimit() {
        var rig = Rig(connectors: 1) { $0.set(StationParameters.minimumCurrentLimit, .integer(8)) }
        let answer = rig.controller.modbus(.readHoldingRegisters(address: 712, quantity: 1), connector: 1, now: rig.clock.now).answer
        #expect(answer == .registers(.readHoldingRegisters, [8]))
        var plain = Rig(connectors: 1)
        #expect(plain.controller.modbus(.readHoldingRegisters(address: 712, quantity: 1), connector: 1, now: plain.clock.now).answer
                == .registers(.readHoldingRegisters, [6]))
    }

    /// Issue 25 item 2: the PV charge mode over Modbus, ChargeKit's register 2000 (0 Fast, 1 Min+PV, 2 PV): read per
    /// connector, written through the registry like the web form; another value is refused (03) and changes nothing;
    /// 1001 stays unknown (02) for the energy managers that probe it.
    @Test("issue25_2: register 2000 reads and writes the connector's PV charge mode")
    func issue25_2_chargeModeRegister() {
        var rig = Rig(connectors: 2) { $0.set("\(StationParameters.chargeMode).2", .string(ChargeMode.pv.rawValue)) }
        func read(_ n: Int) -> ModbusResponse { rig.controller.modbus(.readHoldingRegisters(address: 2000, quantity: 1), connector: n, now: rig.clock.now).answer }
        #expect(read(1) == .registers(.readHoldingRegisters, [0]))
        #expect(read(2) == .registers(.readHoldingRegisters, [2]))
        var control = ModbusControl(connectorCount: 2)
        let s = Self.settings()
        #expect(control.write(address: 2000, values: [1], connector: 1, s, now: Self.t0)
                == .success([.setParameter(key: "ChargeMode.1", .string("MinPV"))]))
        #expect(control.write(address: 2000, values: [3], connector: 1, s, now: Self.t0) == .failure(.illegalDataValue))
        #expect(rig.controller.modbus(.readHoldingRegisters(address: 1001, quantity: 1), connector: 1, now: rig.clock.now).answer
                == .exception(function: 3, .illegalDataAddress))
    }

    @Test("seeds000 707/710 start and end time read as hhmmss in UTC, whatever the station's time zone (docs/integrator.md)")
    func seeds000_707_710_startAndEndTimeUTC() throws {
        var rig = Rig(connectors: 1) { $0.set(StationParameters.timezone, .string("Europe/Berlin")) }
        try rig.plug(1, EVSpec(phases: 3, maxCurrentAmps: 16))
        try rig.card()
        rig.run(1)
        let start = try #require(rig.connector(1).session?.startedAt)
        let seconds = Int(start.timeIntervalSince1970) % 86_400
        let utc = UInt32(seconds / 3600 * 10_000 + seconds % 3600 / 60 * 100 + seconds % 60)
        let bcd = UInt32(String(utc), radix: 16)!
        let answer = rig.controller.modbus(.readHoldingRegisters(address: 707, quantity: 2), connector: 1, now: rig.clock.now).answer
        #expect(answer == .registers(.readHoldingRegisters, [UInt16(bcd >> 16), UInt16(bcd & 0xFFFF)]))
    }
}

extension Array where Element == UInt8 {
    /// Two bytes per register, high byte first (Modbus data model).
    fileprivate var chunked2: [UInt16] {
        stride(from: 0, to: count, by: 2).map { UInt16(self[$0]) << 8 | UInt16($0 + 1 < count ? self[$0 + 1] : 0) }
    }
}
