/// Line settings of a serial port: the device, its speed, parity and stop bits (always 8 data bits). Modbus RTU
/// (Modbus over Serial Line V1.02 §2.5.1: 8 data bits, even parity by default, "no parity" with 2 stop bits allowed)
/// and the serial board protocols share it.
public struct SerialSettings: Sendable, Equatable, Codable {
    public var device: String
    public var baudRate: Int
    /// "none", "even" or "odd".
    public var parity: String
    public var stopBits: Int

    public init(device: String, baudRate: Int, parity: String, stopBits: Int) {
        self.device = device; self.baudRate = baudRate; self.parity = parity; self.stopBits = stopBits
    }

    /// The speeds a Linux serial driver is set to here (termios constants exist for each).
    public static let baudRates = [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200]
    public static let parities = ["none", "even", "odd"]

    /// Seconds one character takes on the line: start bit, 8 data bits, parity, stop bits.
    public var characterSeconds: Double {
        Double(1 + 8 + (parity == "none" ? 0 : 1) + stopBits) / Double(max(baudRate, 1))
    }
}
