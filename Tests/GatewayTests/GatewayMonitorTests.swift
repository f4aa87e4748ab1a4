import Foundation
import ModbusTCP
import Testing
@testable import Gateway

@Suite("Gateway admission, monitor and banner")
struct GatewayMonitorTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func settings(acceptUnconfigured: Bool = false) -> GatewaySettings {
        var s = GatewaySettings()
        s.chargers = [ChargerEntry(id: "B", slot: 3, connectors: 2), ChargerEntry(id: "A", slot: 0, connectors: 1)]
        s.acceptUnconfiguredChargers = acceptUnconfigured
        return s
    }

    @Test("admission: configured ChargerIDs once; unknown ones 404 for the scan list, a second connection 409")
    func admission() {
        let a = ChargerAdmission(Self.settings())
        #expect(a.refusal("A", connected: false) == nil)
        #expect(a.refusal("A", connected: true) == ChargerAdmission.Refusal(
            cause: .alreadyConnected, status: 409, reason: "ChargerID 'A' is connected already; the open connection stays until it is gone"))
        #expect(a.refusal("Z", connected: false) == ChargerAdmission.Refusal(
            cause: .unknown, status: 404, reason: "unknown ChargerID 'Z': add it to the gateway's charger list"))
        let any = ChargerAdmission(Self.settings(acceptUnconfigured: true))
        #expect(any.refusal("Z", connected: false) == nil && any.refusal("Z", connected: true)?.status == 409)
        // What the central system decides once connected agrees.
        let cs = CentralSystem(settings: Self.settings())
        #expect(cs.admits("A") && !cs.admits("Z"))
    }

    @Test("the monitor keeps configured chargers' frames, the events newest first and the BMS's requests")
    func monitor() {
        var cs = CentralSystem(settings: Self.settings(acceptUnconfigured: true))
        _ = cs.connected("B", connection: 1, now: t0)
        _ = cs.connected("Z", connection: 2, now: t0)
        var m = GatewayMonitor(settings: Self.settings(acceptUnconfigured: true), startedAt: t0)
        m.recordFrame("B", .fromCharger, "[2,\"1\",\"Heartbeat\",{}]", at: t0)
        m.recordFrame("Z", .fromCharger, "[2,\"1\",\"Heartbeat\",{}]", at: t0)
        m.recordEvent(GatewayLogEntry(.info, nil, "first"), at: t0)
        m.recordEvent(GatewayLogEntry(.warning, "B", "second"), at: t0.addingTimeInterval(1))
        m.recordModbus(.readHoldingRegisters(address: 0, quantity: 1), unitID: 1, via: .rtu, refusal: nil, at: t0)
        let d = m.diagnostics(cs, now: t0.addingTimeInterval(5))
        #expect(d.startedAt == t0 && d.now == t0.addingTimeInterval(5))
        #expect(d.chargers.map(\.id) == ["A", "B", "Z"] && Set(d.frames.keys) == ["A", "B", "Z"])
        #expect(d.frames["B"]?.count == 1 && d.frames["Z"] == [] && d.frames["A"] == [])
        #expect(d.events.map(\.entry.message) == ["second", "first"])
        #expect(d.modbus.requests == 1 && d.modbus.last?.transport == .rtu)
    }

    @Test("the start banner names the mode, the ports and the chargers in slot order")
    func banner() {
        var s = Self.settings()
        var text = GatewayBanner.text(s, ocppPort: 9000, modbusTCPPort: nil, webHost: "127.0.0.1", httpPort: 8090, dataPath: "/data")
        #expect(text.hasPrefix("ChargeKit gateway is running in BMS mode (seeds/003 register map).\n  OCPP-J 1.6   ws://<this host>:9000/<ChargerID>\n"))
        #expect(text.contains("  Modbus TCP   off\n") && text.contains("  Web          http://127.0.0.1:8090/") && text.contains("  Data         /data\n"))
        #expect(!text.contains("Relayed to"))
        let a = text.range(of: "    A                    slot 0, 1 connector(s), registers from 100\n")
        let b = text.range(of: "    B                    slot 3, 2 connector(s)")
        #expect(a != nil && b != nil && a!.lowerBound < b!.lowerBound)
        s.mode = .external
        s.externalURL = "wss://cs.example/ocpp"
        s.externalPassword = "secret"
        s.chargers = []
        text = GatewayBanner.text(s, ocppPort: 9000, modbusTCPPort: 502, webHost: "127.0.0.1", httpPort: 8090, dataPath: "/data")
        #expect(text.contains("  Relayed to   wss://cs.example/ocpp/<ChargerID> (HTTP Basic authentication)\n"))
        #expect(text.contains("  Modbus TCP   port 502, unit id 1\n") && text.hasSuffix("  Chargers    none configured: add them on the web page Chargers or with --charger ID[:connectors]\n"))
        #expect(!text.contains("secret"))
    }
}
