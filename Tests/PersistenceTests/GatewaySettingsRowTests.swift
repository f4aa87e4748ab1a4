import Foundation
import Gateway
import SQLite
@testable import Persistence
import Testing

/// Issue 21 item 3: the gateway's settings moved onto the parameter registry; the database keeps its settings row, and
/// rows written before load as they did.
@Suite("Gateway settings rows of earlier versions")
struct GatewaySettingsRowTests {
    @Test("a settings row written by the version before the registry loads, and saving it again keeps every field of it")
    func earlierRow() throws {
        let db = try GatewayDatabase()
        let row = #"{"acceptUnconfiguredChargers":true,"bmsHeartbeatTimeoutSeconds":90,"bmsTimeoutSeconds":7,"chargerTimeoutSeconds":30,"chargers":[{"connectors":3,"id":"CP1","slot":4}],"externalPassword":"secret","externalURL":"ws:\/\/cs.example:9000\/ocpp","heartbeatIntervalSeconds":120,"modbusTCPEnabled":true,"modbusTCPPort":502,"modbusUnitID":7,"mode":"External","ocppPort":9000,"ocppTLSCertificateFile":"","ocppTLSKeyFile":"","rtuBaudRate":9600,"rtuDevice":"\/dev\/ttyUSB0","rtuParity":"odd","rtuStopBits":2}"#
        try db.setMeta("settings", row)
        let s = try #require(try db.loadSettings())
        #expect(s.mode == .external && s.externalURL == "ws://cs.example:9000/ocpp" && s.externalPassword == "secret")
        #expect(s.chargers == [ChargerEntry(id: "CP1", slot: 4, connectors: 3)] && s.acceptUnconfiguredChargers)
        #expect(s.bmsTimeoutSeconds == 7 && s.bmsHeartbeatTimeoutSeconds == 90 && s.heartbeatIntervalSeconds == 120 && s.modbusUnitID == 7)
        #expect(s.rtuDevice == "/dev/ttyUSB0" && s.rtuBaudRate == 9600 && s.rtuParity == "odd" && s.rtuStopBits == 2)
        #expect(s.problems().isEmpty)
        try db.saveSettings(s)
        // Saved again: every field of the earlier row keeps its name and value; settings added since join it.
        let saved = try #require(try db.meta("settings"))
        let before = try #require(try JSONSerialization.jsonObject(with: Data(row.utf8)) as? [String: Any])
        let after = try #require(try JSONSerialization.jsonObject(with: Data(saved.utf8)) as? [String: Any])
        func canonical(_ v: Any?) throws -> String? {
            try v.map { String(decoding: try JSONSerialization.data(withJSONObject: [$0], options: .sortedKeys), as: UTF8.self) }
        }
        for (key, value) in before {
            #expect(try canonical(after[key]) == canonical(value), "\(key)")
        }
        #expect(try db.loadSettings() == s)
    }

    @Test("a row of the first version, without the settings added since, loads with their declared defaults")
    func firstVersionRow() throws {
        let db = try GatewayDatabase()
        try db.setMeta("settings", #"{"bmsTimeoutSeconds":7,"chargers":[],"heartbeatIntervalSeconds":600,"mode":"BMS","modbusTCPEnabled":true,"modbusTCPPort":502,"ocppPort":9000,"rtuBaudRate":19200,"rtuDevice":"","rtuParity":"even","rtuStopBits":1}"#)
        var expected = GatewaySettings()
        expected.bmsTimeoutSeconds = 7
        expected.heartbeatIntervalSeconds = 600
        #expect(try db.loadSettings() == expected)
        #expect(expected.modbusUnitID == 1 && expected.chargerTimeoutSeconds == 30 && expected.bmsHeartbeatTimeoutSeconds == 60)
    }
}
