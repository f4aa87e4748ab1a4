import Foundation
import Testing
import ModbusTCP
@testable import Gateway

@Suite("Gateway diagnostics: frame rings, events, Modbus activity, the settings table")
struct DiagnosticsTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test("a charger's ring keeps the newest frames, newest first; long frames are cut with the count of what was cut")
    func frameRing() {
        var log = FrameLog()
        for i in 0..<(FrameLog.framesPerCharger + 7) { log.record("CP1", i % 2 == 0 ? .fromCharger : .toCharger, "frame \(i)", at: t0.addingTimeInterval(Double(i))) }
        log.record("CP2", .toCentral, String(repeating: "x", count: FrameLog.maximumCharacters + 25), at: t0)
        let frames = log.frames("CP1")
        #expect(frames.count == FrameLog.framesPerCharger)
        #expect(frames.first?.text == "frame \(FrameLog.framesPerCharger + 6)" && frames.last?.text == "frame 7")
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.at > $1.at })
        let long = log.frames("CP2")[0]
        #expect(long.text.count == FrameLog.maximumCharacters && long.omittedCharacters == 25 && long.direction == .toCentral)
        #expect(log.frames("CP3").isEmpty)
    }

    @Test("the event log keeps the newest entries")
    func events() {
        var log = EventLog()
        for i in 0..<(EventLog.capacity + 3) { log.record(GatewayLogEntry(.info, nil, "e\(i)"), at: t0) }
        #expect(log.events.count == EventLog.capacity && log.events.first?.entry.message == "e3")
    }

    @Test("Modbus activity counts requests and exceptions and keeps the newest of each")
    func modbusActivity() {
        var a = ModbusActivity()
        a.record(.readHoldingRegisters(address: 100, quantity: 4), unitID: 1, via: .tcp, refusal: nil, at: t0)
        a.record(.writeMultipleRegisters(address: 7, values: [1, 2, 3]), unitID: 1, via: .rtu, refusal: ModbusRefusal(.illegalDataValue, "bad"), at: t0)
        a.record(.writeSingleCoil(address: 9, value: true), unitID: 2, via: .tcp, refusal: nil, at: t0)
        #expect(a.requests == 3 && a.exceptions == 1)
        #expect(a.last?.function == 5 && a.last?.address == 9 && a.last?.quantity == 1 && a.last?.exception == nil)
        #expect(a.lastException?.transport == .rtu && a.lastException?.quantity == 3 && a.lastException?.exception == 3)
    }

    @Test("charger statuses: configured ones in slot order with their connection, then connected unconfigured ones")
    func statuses() {
        var s = GatewaySettings()
        s.chargers = [ChargerEntry(id: "B", slot: 3, connectors: 2), ChargerEntry(id: "A", slot: 0, connectors: 1)]
        s.acceptUnconfiguredChargers = true
        var cs = CentralSystem(settings: s)
        _ = cs.connected("B", connection: 1, now: t0)
        _ = cs.connected("Z", connection: 2, now: t0)
        _ = cs.connected("Y", connection: 3, now: t0)
        let (all, more) = cs.chargerStatuses(unconfigured: 1)
        #expect(all.map(\.id) == ["A", "B", "Y"] && more == 1)
        #expect(all[0].connectedSince == nil && all[1].connectedSince == t0 && all[1].slot == 3 && all[2].slot == nil)
    }

    @Test("the settings table: every field reads and writes its setting, ranges are checked by problems(), numbers must be whole")
    func settingsTable() throws {
        var s = GatewaySettings()
        let keys = GatewaySettings.fields.map(\.key)
        #expect(Set(keys).count == keys.count)
        let heartbeat = try #require(GatewaySettings.fields.first { $0.key == "heartbeatIntervalSeconds" })
        #expect(heartbeat.apply(" 120 ", to: &s) == nil && s.heartbeatIntervalSeconds == 120 && heartbeat.value(s) == "120")
        #expect(heartbeat.apply("soon", to: &s) == SettingProblem("heartbeatIntervalSeconds", "'soon' is not a whole number"))
        #expect(heartbeat.apply("5", to: &s) == nil)
        #expect(s.problems() == [SettingProblem("heartbeatIntervalSeconds", "5 is outside 10…86400 s")])
        let parity = try #require(GatewaySettings.fields.first { $0.key == "rtuParity" })
        _ = parity.apply("mark", to: &s)
        #expect(s.problems().contains(SettingProblem("rtuParity", "'mark' is not one of none, even, odd")))
        let tcp = try #require(GatewaySettings.fields.first { $0.key == "modbusTCPEnabled" })
        _ = tcp.apply("Off", to: &s)
        #expect(!s.modbusTCPEnabled && tcp.value(s) == "Off")
        let mode = try #require(GatewaySettings.fields.first { $0.key == "mode" })
        _ = mode.apply("External", to: &s)
        #expect(s.mode == .external && s.problems().contains { $0.field == "externalURL" })
    }
}
