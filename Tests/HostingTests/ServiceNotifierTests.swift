#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import Hosting

/// The sd_notify adapter against a real AF_UNIX datagram socket, as systemd's is: what arrives there byte for byte.
@Suite("systemd service notifications")
struct ServiceNotifierTests {
    /// A datagram socket bound to `path` (a leading `@`: the abstract namespace), as systemd's NOTIFY_SOCKET.
    final class Receiver {
        let fd: Int32
        let path: String

        init(_ path: String) throws {
            self.path = path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            guard fd >= 0 else { throw POSIXError(.EIO) }
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            var bytes = Array(path.utf8)
            let abstract = bytes.first == UInt8(ascii: "@")
            if abstract { bytes[0] = 0 }
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
            let length = abstract ? socklen_t(MemoryLayout<sa_family_t>.size + bytes.count) : socklen_t(MemoryLayout<sockaddr_un>.size)
            let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            guard bound == 0 else { close(fd); throw POSIXError(.EADDRINUSE) }
            // A missing datagram fails the test after 5 s instead of hanging it.
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        /// The next datagram as text, nil when none came within the timeout.
        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            return n >= 0 ? String(decoding: buffer[..<n], as: UTF8.self) : nil
        }

        /// Whether a datagram is waiting (without waiting for one).
        var hasPending: Bool {
            var buffer = [UInt8](repeating: 0, count: 16)
            return buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT | MSG_PEEK)) } >= 0
        }

        deinit {
            close(fd)
            if !path.hasPrefix("@") { unlink(path) }
        }
    }

    static func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("notify-\(UUID().uuidString.prefix(8))").path
    }

    @Test("READY, WATCHDOG and STOPPING reach a socket named by a path")
    func pathSocket() throws {
        let receiver = try Receiver(Self.temporaryPath())
        let notifier = try #require(ServiceNotifier.fromEnvironment(["NOTIFY_SOCKET": receiver.path]))
        #expect(notifier.watchdogInterval == nil)
        #expect(notifier.ready(status: "web interface on port 80"))
        #expect(receiver.receive() == "READY=1\nSTATUS=web interface on port 80")
        #expect(notifier.watchdog())
        #expect(receiver.receive() == "WATCHDOG=1")
        #expect(notifier.stopping())
        #expect(receiver.receive() == "STOPPING=1")
    }

    @Test("an abstract socket name (@…) is used without a terminating NUL")
    func abstractSocket() throws {
        let receiver = try Receiver("@chargekit-test-\(getpid())-\(UUID().uuidString.prefix(8))")
        let notifier = try #require(ServiceNotifier.fromEnvironment(["NOTIFY_SOCKET": receiver.path]))
        #expect(notifier.ready())
        #expect(receiver.receive() == "READY=1")
    }

    @Test("without NOTIFY_SOCKET nothing is sent; a socket that is gone is reported, not fatal")
    func absentSocket() {
        #expect(ServiceNotifier.fromEnvironment([:]) == nil)
        #expect(ServiceNotifier.fromEnvironment(["NOTIFY_SOCKET": ""]) == nil)
        #expect(ServiceNotifier.fromEnvironment(["NOTIFY_SOCKET": "relative/path"]) == nil)
        #expect(ServiceNotifier(socketPath: Self.temporaryPath(), watchdogInterval: nil).ready() == false)
    }

    @Test("the watchdog interval is half of WATCHDOG_USEC, and only for the process WATCHDOG_PID names")
    func watchdogInterval() {
        let path = Self.temporaryPath()
        #expect(ServiceNotifier.fromEnvironment(["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000"])?.watchdogInterval == .seconds(15))
        #expect(ServiceNotifier.fromEnvironment(["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(getpid())"])?
            .watchdogInterval == .seconds(15))
        #expect(ServiceNotifier.fromEnvironment(["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"], pid: 4242)?
            .watchdogInterval == nil)
        #expect(ServiceNotifier.fromEnvironment(["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "0"])?.watchdogInterval == nil)
        #expect(ServiceNotifier.fromEnvironment(["NOTIFY_SOCKET": path, "WATCHDOG_USEC": "soon"])?.watchdogInterval == nil)
    }

    @Test("the keeper sends WATCHDOG=1 at the first turn and then once per interval, however often the loop turns")
    func keeperPaces() throws {
        let receiver = try Receiver(Self.temporaryPath())
        let notifier = ServiceNotifier(socketPath: receiver.path, watchdogInterval: .seconds(15))
        var keeper = try #require(WatchdogKeeper(notifier))
        let start = ContinuousClock.now
        keeper.turn(at: start)
        #expect(receiver.receive() == "WATCHDOG=1")
        for tenth in 1..<150 { keeper.turn(at: start + .milliseconds(100 * tenth)) }  // 14.9 s of 100 ms turns
        #expect(!receiver.hasPending)
        keeper.turn(at: start + .seconds(15))
        #expect(receiver.receive() == "WATCHDOG=1")
        #expect(WatchdogKeeper(ServiceNotifier(socketPath: receiver.path, watchdogInterval: nil)) == nil)
        #expect(WatchdogKeeper(nil) == nil)
    }
}
