import DBus
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HostConfig

/// systemd-timedated on the system bus (org.freedesktop.timedate1, see org.freedesktop.timedate1(5)): the operating
/// system's clock, time zone and automatic synchronisation. Every call is non-interactive (no polkit prompt: the
/// station runs as root, or with a polkit rule that allows it).
public struct Timedated: Sendable {
    public static let destination = "org.freedesktop.timedate1"
    public static let path = "/org/freedesktop/timedate1"
    public static let interface = "org.freedesktop.timedate1"

    public let bus: any DBusBus
    public init(bus: any DBusBus) { self.bus = bus }

    /// Timezone, NTP, CanNTP and NTPSynchronized. Throws ``DBusError`` (ServiceUnknown when timedated is not there).
    public func read() async throws -> OSClockPlan.Observed {
        let p = try await bus.properties(of: Self.interface, at: Self.path, on: Self.destination)
        return OSClockPlan.Observed(timezone: p["Timezone"]?.string ?? "", ntp: p["NTP"]?.bool ?? false,
                                    canNTP: p["CanNTP"]?.bool ?? false, ntpSynchronized: p["NTPSynchronized"]?.bool ?? false)
    }

    /// `SetTime(x usec_utc, b relative, b interactive)`, absolute: the OS clock (and the RTC, which timedated writes
    /// along) to `date`.
    public func setTime(_ date: Date) async throws {
        try await call("SetTime", [.int64(OSClockPlan.microseconds(sinceEpoch: date.timeIntervalSince1970)), .boolean(false), .boolean(false)])
    }

    /// `SetTimezone(s timezone, b interactive)`.
    public func setTimezone(_ zone: String) async throws { try await call("SetTimezone", [.string(zone), .boolean(false)]) }

    /// `SetNTP(b use_ntp, b interactive)`.
    public func setNTP(_ on: Bool) async throws { try await call("SetNTP", [.boolean(on), .boolean(false)]) }

    private func call(_ member: String, _ arguments: [DBusValue]) async throws {
        _ = try await bus.call(DBusMethodCall(destination: Self.destination, path: Self.path, interface: Self.interface, member: member,
                                              arguments: arguments))
    }
}

/// Writes the NTP servers for the NTP service that runs (``NTPConfiguration``) and makes it re-read them:
/// systemd-timesyncd is restarted through systemd's D-Bus API (`RestartUnit`), chrony is told `chronyc reload sources`.
/// Which one runs: chrony when its pid file exists (`/run/chrony/chronyd.pid`, Debian's), else timesyncd when it holds
/// its bus name `org.freedesktop.timesync1`. The root of the files is injectable for tests.
public struct NTPServiceConfigurator: Sendable {
    public let bus: any DBusBus
    public let root: String
    public let chronyc: String

    public init(bus: any DBusBus, root: String = "/", chronyc: String = "/usr/bin/chronyc") {
        self.bus = bus; self.root = root.hasSuffix("/") ? root : root + "/"; self.chronyc = chronyc
    }

    /// The NTP service that runs, nil when none of the two does.
    public func detect() async -> NTPConfiguration.Service? {
        if FileManager.default.fileExists(atPath: root + "run/chrony/chronyd.pid") { return .chrony }
        let owned = try? await bus.call(DBusMethodCall(destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus",
                                                       interface: "org.freedesktop.DBus", member: "NameHasOwner",
                                                       arguments: [.string("org.freedesktop.timesync1")]))
        if owned?.first?.bool == true { return .timesyncd }
        return nil
    }

    /// Writes (or removes, for no servers) the file of `service` and has the service re-read it; returns false, touching
    /// nothing, when the file already says that (a start does not restart the NTP service for nothing). Throws with a
    /// reason.
    @discardableResult
    public func apply(_ servers: [String], to service: NTPConfiguration.Service) async throws -> Bool {
        let path = root + service.relativePath
        let wanted = NTPConfiguration.file(for: service, servers: servers)
        let present = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
        guard wanted != present else { return false }
        if let contents = wanted {
            let directory = SystemFile.directory(of: path)
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            // Written beside and renamed over: the service never reads half a file.
            do { try SystemFile.write(contents, to: path) } catch {
                throw SystemCommand.Failure(description: "\(path) could not be written: \(error.reason)")
            }
        } else if FileManager.default.fileExists(atPath: path) {
            try FileManager.default.removeItem(atPath: path)
        }
        switch service {
        case .timesyncd:
            _ = try await bus.call(DBusMethodCall(destination: "org.freedesktop.systemd1", path: "/org/freedesktop/systemd1",
                                                  interface: "org.freedesktop.systemd1.Manager", member: "RestartUnit",
                                                  arguments: [.string("systemd-timesyncd.service"), .string("replace")]))
        case .chrony:
            let r = try await SystemCommand(chronyc, ["reload", "sources"]).run(timeoutSeconds: 10)
            guard r.succeeded else { throw SystemCommand.Failure(description: "chronyc reload sources: \(r.stderr.isEmpty ? r.stdout : r.stderr)") }
        }
        return true
    }
}
