import DBus
import Foundation
import HostConfig
import Synchronization
import Testing
@testable import HostServices

/// A bus that records calls and answers from a table (member → reply or error); unknown members answer
/// ServiceUnknown, as a bus without the service does.
final class FakeBus: DBusBus {
    let log = Mutex<[DBusMethodCall]>([])
    let replies: Mutex<[String: Result<[DBusValue], DBusError>]>

    init(_ replies: [String: Result<[DBusValue], DBusError>] = [:]) { self.replies = Mutex(replies) }

    var calls: [DBusMethodCall] { log.withLock { $0 } }
    func members(_ interface: String? = nil) -> [String] { calls.filter { interface == nil || $0.interface == interface }.map(\.member) }

    func call(_ call: DBusMethodCall) async throws -> [DBusValue] {
        log.withLock { $0.append(call) }
        guard let reply = replies.withLock({ $0[call.member] }) else {
            throw DBusError(name: "org.freedesktop.DBus.Error.ServiceUnknown", message: "The name \(call.destination) was not provided by any .service files")
        }
        return try reply.get()
    }

    static func timedated(timezone: String = "Etc/UTC", ntp: Bool = true) -> FakeBus {
        FakeBus([
            "GetAll": .success([.stringVariantDictionary(["Timezone": .string(timezone), "NTP": .boolean(ntp), "CanNTP": .boolean(true),
                                                          "NTPSynchronized": .boolean(false), "LocalRTC": .boolean(false)])]),
            "SetTime": .success([]), "SetTimezone": .success([]), "SetNTP": .success([]),
            "NameHasOwner": .success([.boolean(true)]), "RestartUnit": .success([.objectPath("/org/freedesktop/systemd1/job/1")]),
        ])
    }
}

@Suite("Time: timedated and the NTP service through a fake bus (issue 24 item 4, seeds/002 §1.6)")
struct TimedatedTests {
    @Test("SetTime(x usec_utc, b relative=false, b interactive=false), SetTimezone(s, b), SetNTP(b, b) as timedated defines them")
    func seeds002_1_6_timedatedCalls() async throws {
        let bus = FakeBus.timedated()
        let t = Timedated(bus: bus)
        #expect(try await t.read() == OSClockPlan.Observed(timezone: "Etc/UTC", ntp: true, canNTP: true, ntpSynchronized: false))
        try await t.setTime(Date(timeIntervalSince1970: 1_764_950_400.5))
        try await t.setTimezone("Europe/Berlin")
        try await t.setNTP(false)
        let c = bus.calls
        #expect(c[0].member == "GetAll" && c[0].interface == "org.freedesktop.DBus.Properties" && c[0].arguments == [.string("org.freedesktop.timedate1")])
        #expect(c[1] == DBusMethodCall(destination: "org.freedesktop.timedate1", path: "/org/freedesktop/timedate1", interface: "org.freedesktop.timedate1",
                                       member: "SetTime", arguments: [.int64(1_764_950_400_500_000), .boolean(false), .boolean(false)]))
        #expect(c[2].arguments == [.string("Europe/Berlin"), .boolean(false)])
        #expect(c[3].member == "SetNTP" && c[3].arguments == [.boolean(false), .boolean(false)])
    }

    @Test("no timedated: read throws ServiceUnknown, which the service reports as not managed")
    func noTimedated() async {
        let error = await #expect(throws: DBusError.self) { try await Timedated(bus: FakeBus()).read() }
        #expect(error?.isServiceUnknown == true)
    }

    @Test("timesyncd: the drop-in is written under the injected root and the unit restarted; no servers removes it")
    func seeds002_1_6_timesyncdDropIn() async throws {
        let root = NSTemporaryDirectory() + "ck-ntp-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let bus = FakeBus.timedated()
        let ntp = NTPServiceConfigurator(bus: bus, root: root)
        #expect(await ntp.detect() == .timesyncd)
        #expect(try await ntp.apply(["ptbtime1.ptb.de", "192.0.2.1"], to: .timesyncd))
        let file = root + "/etc/systemd/timesyncd.conf.d/chargekit.conf"
        #expect(try String(contentsOfFile: file, encoding: .utf8).hasSuffix("[Time]\nNTP=ptbtime1.ptb.de 192.0.2.1\n"))
        #expect(bus.calls.last == DBusMethodCall(destination: "org.freedesktop.systemd1", path: "/org/freedesktop/systemd1",
                                                 interface: "org.freedesktop.systemd1.Manager", member: "RestartUnit",
                                                 arguments: [.string("systemd-timesyncd.service"), .string("replace")]))
        // The same servers again (the next start): nothing written, no restart.
        #expect(try await !ntp.apply(["ptbtime1.ptb.de", "192.0.2.1"], to: .timesyncd))
        #expect(bus.members("org.freedesktop.systemd1.Manager") == ["RestartUnit"])
        #expect(try await ntp.apply([], to: .timesyncd))
        #expect(!FileManager.default.fileExists(atPath: file))
        #expect(try await !ntp.apply([], to: .timesyncd))
        #expect(bus.members("org.freedesktop.systemd1.Manager") == ["RestartUnit", "RestartUnit"])
    }

    @Test("chrony is detected by its pid file; its sources file is written and `chronyc reload sources` run")
    func seeds002_1_6_chronySources() async throws {
        let root = NSTemporaryDirectory() + "ck-ntp-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/run/chrony", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: root + "/run/chrony/chronyd.pid", contents: Data("1\n".utf8))
        // A stand-in chronyc that records its arguments.
        let chronyc = root + "/chronyc"
        FileManager.default.createFile(atPath: chronyc, contents: Data("#!/bin/sh\necho \"$@\" > \(root)/chronyc.args\n".utf8),
                                       attributes: [.posixPermissions: 0o755])
        let ntp = NTPServiceConfigurator(bus: FakeBus(), root: root, chronyc: chronyc)
        #expect(await ntp.detect() == .chrony)
        try await ntp.apply(["a.example"], to: .chrony)
        #expect(try String(contentsOfFile: root + "/etc/chrony/sources.d/chargekit.sources", encoding: .utf8).hasSuffix("server a.example iburst\n"))
        #expect(try String(contentsOfFile: root + "/chronyc.args", encoding: .utf8) == "reload sources\n")
        #expect(await NTPServiceConfigurator(bus: FakeBus(), root: root + "/none").detect() == nil)
    }
}
