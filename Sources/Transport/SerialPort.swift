#if canImport(Glibc)
import Glibc
#endif
import ModbusTCP

/// A serial port could not be opened or failed: the message names the device and what to check.
public struct SerialPortError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A serial device in raw mode (8 data bits, the settings' speed, parity and stop bits; no flow control, no echo), with
/// blocking reads bounded by a timeout. The board and meter drivers use it from their own I/O thread, never from the
/// concurrency pool; the Modbus RTU slave takes its descriptor into an event loop instead.
///
/// - SeeAlso: termios(3) (raw mode: `cfmakeraw`); Modbus over Serial Line V1.02 §2.5.1 (the character format).
public final class SerialPort {
    public let settings: SerialSettings
    private var fd: Int32

    public init(_ settings: SerialSettings) throws(SerialPortError) {
        self.settings = settings
        fd = try Self.openDescriptor(settings)
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    public func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }

    static func speed(_ baud: Int) -> speed_t? {
        switch baud {
        case 1200: speed_t(B1200)
        case 2400: speed_t(B2400)
        case 4800: speed_t(B4800)
        case 9600: speed_t(B9600)
        case 19200: speed_t(B19200)
        case 38400: speed_t(B38400)
        case 57600: speed_t(B57600)
        case 115200: speed_t(B115200)
        default: nil
        }
    }

    /// Opens and configures the device (raw mode, 8 data bits, parity, stop bits, speed); the descriptor is non-blocking.
    public static func openDescriptor(_ settings: SerialSettings) throws(SerialPortError) -> Int32 {
        let fd = Glibc.open(settings.device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            let hint = errno == ENOENT ? "check that the adapter is plugged in and the path is right"
                : errno == EACCES ? "check that the station's user may use it (group dialout)" : "check the device"
            throw SerialPortError("cannot open \(settings.device): \(reason); \(hint)")
        }
        var t = termios()
        guard tcgetattr(fd, &t) == 0 else {
            Glibc.close(fd)
            throw SerialPortError("\(settings.device) is not a serial device: \(String(cString: strerror(errno)))")
        }
        cfmakeraw(&t)
        t.c_cflag |= tcflag_t(CLOCAL | CREAD)
        t.c_cflag &= ~tcflag_t(PARENB | PARODD | CSTOPB | CSIZE)
        t.c_cflag |= tcflag_t(CS8)
        if settings.parity != "none" { t.c_cflag |= tcflag_t(PARENB) }
        if settings.parity == "odd" { t.c_cflag |= tcflag_t(PARODD) }
        if settings.stopBits == 2 { t.c_cflag |= tcflag_t(CSTOPB) }
        guard let speed = speed(settings.baudRate) else {
            Glibc.close(fd)
            throw SerialPortError("\(settings.device): unsupported baud rate \(settings.baudRate)")
        }
        cfsetispeed(&t, speed)
        cfsetospeed(&t, speed)
        guard tcsetattr(fd, TCSANOW, &t) == 0 else {
            Glibc.close(fd)
            throw SerialPortError("cannot configure \(settings.device): \(String(cString: strerror(errno)))")
        }
        return fd
    }

    /// Writes all of `bytes`, waiting at most `timeoutMilliseconds` for the line to take them.
    public func write(_ bytes: [UInt8], timeoutMilliseconds: Int = 1000) throws(SerialPortError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n > 0 { offset += n; continue }
            if n < 0 && errno != EAGAIN && errno != EINTR { throw SerialPortError("\(settings.device): write failed: \(String(cString: strerror(errno)))") }
            guard try wait(events: Int16(POLLOUT), timeoutMilliseconds: timeoutMilliseconds) else {
                throw SerialPortError("\(settings.device): the line takes no data (write timed out)")
            }
        }
    }

    /// Reads what arrives within `timeoutMilliseconds` (at most `maximum` bytes); empty when nothing came.
    public func read(maximum: Int = 512, timeoutMilliseconds: Int) throws(SerialPortError) -> [UInt8] {
        guard try wait(events: Int16(POLLIN), timeoutMilliseconds: timeoutMilliseconds) else { return [] }
        var buffer = [UInt8](repeating: 0, count: maximum)
        let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, maximum) }
        if n < 0 {
            if errno == EAGAIN || errno == EINTR { return [] }
            throw SerialPortError("\(settings.device): read failed: \(String(cString: strerror(errno)))")
        }
        if n == 0 { throw SerialPortError("\(settings.device): the device was closed (unplugged?)") }
        return Array(buffer[0..<n])
    }

    /// Discards what was received and not read (a late answer of an earlier request, noise).
    public func discardInput() { tcflush(fd, TCIFLUSH) }

    private func wait(events: Int16, timeoutMilliseconds: Int) throws(SerialPortError) -> Bool {
        var p = pollfd(fd: fd, events: events, revents: 0)
        while true {
            let r = poll(&p, 1, Int32(max(0, timeoutMilliseconds)))
            if r > 0 {
                if p.revents & Int16(POLLNVAL | POLLERR) != 0 { throw SerialPortError("\(settings.device): the device failed (unplugged?)") }
                if p.revents & Int16(POLLHUP) != 0 && p.revents & Int16(POLLIN) == 0 {
                    throw SerialPortError("\(settings.device): the other end hung up (unplugged?)")
                }
                return true
            }
            if r == 0 { return false }
            if errno != EINTR { throw SerialPortError("\(settings.device): poll failed: \(String(cString: strerror(errno)))") }
        }
    }
}
