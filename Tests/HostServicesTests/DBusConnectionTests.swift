import DBus
import Foundation
import Testing
@testable import HostServices

/// A private message bus for one test: `dbus-daemon --session --nofork --print-address` (Debian package dbus), stopped
/// at the end. Its address is read from the daemon's first line of output.
final class PrivateBus: @unchecked Sendable {
    static let daemonPath = ["/usr/bin/dbus-daemon", "/bin/dbus-daemon"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var available: Bool { daemonPath != nil }

    let process = Process()
    let address: String

    /// Starts the daemon; `listen` picks the address (a path, so that a restarted daemon comes back at the same one).
    /// Its printed address is read on a Dispatch thread: a blocking read on the concurrency pool (two threads on a
    /// 2-core machine) would stall the other tests running in parallel, SystemCommand's time limits among them.
    static func start(listen: String? = nil) async throws -> PrivateBus {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do { continuation.resume(returning: try PrivateBus(listen: listen)) } catch { continuation.resume(throwing: error) }
            }
        }
    }

    private init(listen: String?) throws {
        process.executableURL = URL(fileURLWithPath: Self.daemonPath!)
        process.arguments = ["--session", "--nofork", "--print-address"] + (listen.map { ["--address=\($0)"] } ?? [])
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line: [UInt8] = []
        while true {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte.first == UInt8(ascii: "\n") { break }
            line += byte
        }
        address = String(decoding: line, as: UTF8.self)
        guard !address.isEmpty else { throw DBusError(name: "test", message: "dbus-daemon printed no address") }
    }

    /// SIGKILL: the test process's blocked SIGTERM is inherited by its children (as SystemCommand notes), so the
    /// daemon would not see a terminate().
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    deinit { stop() }
}

let busAPI = (destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", interface: "org.freedesktop.DBus")

func busCall(_ member: String, _ arguments: [DBusValue] = []) -> DBusMethodCall {
    DBusMethodCall(destination: busAPI.destination, path: busAPI.path, interface: busAPI.interface, member: member, arguments: arguments)
}

@Suite("DBusConnection against a private dbus-daemon", .enabled(if: PrivateBus.available, "dbus-daemon is not installed (Debian package dbus)"),
       .serialized)
struct DBusConnectionTests {
    @Test("EXTERNAL, Hello, then ListNames and GetId (abstract socket address as the session config gives it)")
    func dbusSpec_authenticationProtocol_helloListNames() async throws {
        let bus = try await PrivateBus.start()
        defer { bus.stop() }
        let connection = DBusConnection(address: bus.address)
        let names = try await connection.call(busCall("ListNames"))
        let unique = try #require(await connection.uniqueName)
        #expect(unique.hasPrefix(":1."))
        #expect(names.first?.elements?.compactMap(\.string).contains(unique) == true)
        #expect(names.first?.elements?.compactMap(\.string).contains("org.freedesktop.DBus") == true)
        let id = try await connection.call(busCall("GetId"))
        #expect(id.first?.string?.count == 32)
        // A property through the DBusBus extension (org.freedesktop.DBus has Features and Interfaces properties).
        let features = try await connection.property("Features", of: "org.freedesktop.DBus", at: busAPI.path, on: busAPI.destination)
        #expect(features.elements != nil)
    }

    @Test("an error reply throws its name: unknown method, unknown service")
    func dbusSpec_messageFormat_errorReplies() async throws {
        let bus = try await PrivateBus.start()
        defer { bus.stop() }
        let connection = DBusConnection(address: bus.address)
        let unknownMethod = await #expect(throws: DBusError.self) { try await connection.call(busCall("NoSuchMethod")) }
        #expect(unknownMethod?.name == "org.freedesktop.DBus.Error.UnknownMethod")
        let unknownService = await #expect(throws: DBusError.self) {
            try await connection.call(DBusMethodCall(destination: "org.freedesktop.timedate1", path: "/org/freedesktop/timedate1",
                                                     interface: "org.freedesktop.timedate1", member: "SetTimezone",
                                                     arguments: [.string("Europe/Berlin"), .boolean(false)]))
        }
        #expect(unknownService?.isServiceUnknown == true)
        // Arguments of the wrong type: the bus answers InvalidArgs; the connection stays usable.
        let invalid = await #expect(throws: DBusError.self) { try await connection.call(busCall("GetNameOwner", [.uint32(1)])) }
        #expect(invalid?.name == "org.freedesktop.DBus.Error.InvalidArgs")
        #expect(try await connection.call(busCall("GetId")).count == 1)
        // A call to another DBusConnection is refused at once (D-Bus Specification 0.41, Message Types: a call expecting a
        // reply gets one), not left to time out.
        let peer = DBusConnection(address: bus.address)
        _ = try await peer.call(busCall("RequestName", [.string("chargekit.test.Peer"), .uint32(4)]))
        let refused = await #expect(throws: DBusError.self) {
            try await connection.call(DBusMethodCall(destination: "chargekit.test.Peer", path: "/", interface: "org.freedesktop.DBus.Peer", member: "Ping"))
        }
        #expect(refused?.name == "org.freedesktop.DBus.Error.UnknownMethod")
    }

    @Test("a call nobody answers times out with chargekit.Bus.Timeout; the connection stays usable")
    func timeout() async throws {
        let bus = try await PrivateBus.start()
        defer { bus.stop() }
        // A second connection owns a name and never answers calls addressed to it.
        let silent = DBusConnection(address: bus.address)
        await silent.setAnswersIncomingCalls(false)
        let owned = try await silent.call(busCall("RequestName", [.string("chargekit.test.Silent"), .uint32(4)]))
        #expect(owned == [.uint32(1)])
        let connection = DBusConnection(address: bus.address, timeoutSeconds: 0.3)
        let started = ContinuousClock.now
        let error = await #expect(throws: DBusError.self) {
            try await connection.call(DBusMethodCall(destination: "chargekit.test.Silent", path: "/x", interface: "chargekit.test", member: "Ping"))
        }
        #expect(error?.name == DBusConnection.timeoutErrorName)
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(try await connection.call(busCall("GetId")).count == 1)
    }

    @Test("losing the bus fails the waiting call with chargekit.Bus.Disconnected; the next call connects again")
    func disconnectAndReconnect() async throws {
        let path = NSTemporaryDirectory() + "ck-dbus-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let address = "unix:path=\(path)"
        var bus = try await PrivateBus.start(listen: address)
        defer { bus.stop(); try? FileManager.default.removeItem(atPath: path) }
        let silent = DBusConnection(address: address)
        await silent.setAnswersIncomingCalls(false)
        _ = try await silent.call(busCall("RequestName", [.string("chargekit.test.Silent"), .uint32(4)]))
        let connection = DBusConnection(address: address, timeoutSeconds: 30)
        let first = try await connection.uniqueNameAfter(busCall("GetId"))
        let waiting = Task { try await connection.call(DBusMethodCall(destination: "chargekit.test.Silent", path: "/x", interface: "chargekit.test", member: "Ping")) }
        while await connection.pendingCallCount == 0 { try await Task.sleep(for: .milliseconds(5)) }  // polls a condition
        bus.stop()
        let error = await #expect(throws: DBusError.self) { try await waiting.value }
        #expect(error?.name == DBusConnection.disconnectedErrorName)
        // No bus: the call fails at once with Disconnected, naming the address.
        let down = await #expect(throws: DBusError.self) { try await connection.call(busCall("GetId")) }
        #expect(down?.name == DBusConnection.disconnectedErrorName && down?.message.contains(path) == true)
        try? FileManager.default.removeItem(atPath: path)
        bus = try await PrivateBus.start(listen: address)
        let second = try await connection.uniqueNameAfter(busCall("GetId"))
        #expect(second != nil && first != nil)
    }

    @Test("the address: DBUS_SYSTEM_BUS_ADDRESS, else the system bus socket; an unusable address fails clearly")
    func address() async {
        #expect(DBusConnection.systemBusAddress(environment: [:]) == "unix:path=/run/dbus/system_bus_socket")
        #expect(DBusConnection.systemBusAddress(environment: ["DBUS_SYSTEM_BUS_ADDRESS": "unix:abstract=/tmp/x"]) == "unix:abstract=/tmp/x")
        let error = await #expect(throws: DBusError.self) { try await DBusConnection(address: "tcp:host=localhost,port=1").call(busCall("GetId")) }
        #expect(error?.name == DBusConnection.disconnectedErrorName)
    }
}

extension DBusConnection {
    func setAnswersIncomingCalls(_ on: Bool) { answersIncomingCalls = on }

    func uniqueNameAfter(_ call: DBusMethodCall) async throws -> String? {
        _ = try await self.call(call)
        return uniqueName
    }
}
