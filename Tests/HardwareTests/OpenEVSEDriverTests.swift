import Boards
@testable import Hardware
import ModbusTCP
import Testing

/// The OpenEVSE driver's choice and its start-up error for a missing device (the protocol, and a device that does not
/// answer, run against the emulator in Tests/Interop/hardware/test_openevse.py).
@Suite struct OpenEVSEDriverTests {
    func startError(_ device: String) -> String? {
        let driver = OpenEVSEDriver(settings: SerialSettings(device: device, baudRate: 115200, parity: "none", stopBits: 1))
        do { _ = try driver.open(); return nil } catch { return error.description }
    }

    @Test func aMissingDeviceIsNamed() throws {
        let message = try #require(startError("/nonexistent/ttyUSB9"))
        #expect(message.contains("cannot open /nonexistent/ttyUSB9"))
    }

    @Test func theDescriptionChoosesTheDriver() throws {
        let d = try BoardDescription.read(Array(#"{"driver": "openevse", "serial": {"device": "/dev/ttyUSB0"}, "connectors": [{}]}"#.utf8))
        let driver = try HardwareBoard.makeDriver(d)
        #expect((driver as? OpenEVSEDriver)?.settings.baudRate == 115200)
    }
}
