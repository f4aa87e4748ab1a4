import Foundation
import Logging
import Synchronization
import Testing
import DBus
import HostConfig
@testable import HostServices

/// Records the programs run and answers `ip -j addr` with a canned link.
final class CommandRecorder: Sendable {
    let calls = Mutex<[[String]]>([])
    let ipJSON: String
    let failing: String?
    init(ipJSON: String, failing: String? = nil) { self.ipJSON = ipJSON; self.failing = failing }

    var runner: NetworkdConfigurator.Runner {
        { executable, arguments in
            self.calls.withLock { $0.append([executable] + arguments) }
            if let failing = self.failing, arguments.first == failing { return .init(status: 1, stdout: "", stderr: "Failed to \(failing): Access denied") }
            if arguments.first == "-j" { return .init(status: 0, stdout: self.ipJSON, stderr: "") }
            return .init(status: 0, stdout: "", stderr: "")
        }
    }
}

@Suite("systemd-networkd adapter: files in its directory, networkctl reload and reconfigure")
struct NetworkdConfiguratorTests {
    static let ipJSON = """
        [{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"operstate":"UNKNOWN","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8}]},
         {"ifindex":2,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"operstate":"UP",
          "addr_info":[{"family":"inet","local":"192.168.1.57","prefixlen":24,"dynamic":true,"valid_life_time":3600},
                       {"family":"inet6","local":"fe80::5","prefixlen":64}]}]
        """

    func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ck-networkd-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("apply writes 50-chargekit-<if>.network, then networkctl reload and reconfigure <if>; the state reads it back")
    func networkdApplyWritesFileAndReloads() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let recorder = CommandRecorder(ipJSON: Self.ipJSON)
        let networkd = NetworkdConfigurator(directory: dir, networkctl: "/usr/bin/networkctl", ip: "/usr/sbin/ip", run: recorder.runner)
        let config = try InterfaceForm(name: "eth0", fields: ["ipv4.method": "manual", "ipv4.address": "192.168.1.20", "ipv4.prefix": "255.255.255.0",
                                                              "ipv4.gateway": "192.168.1.1"]).validate().get()
        try await networkd.apply(config)
        let text = try String(contentsOfFile: dir + "/50-chargekit-eth0.network", encoding: .utf8)
        #expect(text == NetworkdFile.render(config))
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/50-chargekit-eth0.network")[.posixPermissions] as? Int
        #expect(mode == 0o644)
        #expect(recorder.calls.withLock { $0 } == [["/usr/bin/networkctl", "reload"], ["/usr/bin/networkctl", "reconfigure", "eth0"]])
        let states = try await networkd.interfaces()
        #expect(states.map(\.name) == ["eth0"], "loopback is not listed")
        #expect(states[0].config == config)
        #expect(states[0].addresses == [IPPrefix("192.168.1.57/24")!, IPPrefix("fe80::5/64")!])
        #expect(states[0].up && states[0].carrier && states[0].dhcpLease == "192.168.1.57/24 (valid 3600 s)")
    }

    @Test("networkctl's refusal is reported with its message")
    func networkctlFailure() async throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let networkd = NetworkdConfigurator(directory: dir, run: CommandRecorder(ipJSON: Self.ipJSON, failing: "reload").runner)
        let error = await #expect(throws: NetworkConfigureError.self) { try await networkd.apply(InterfaceConfig(name: "eth0")) }
        #expect(error?.description == "networkctl reload failed (exit 1): Failed to reload: Access denied")
    }
}

/// A network service in memory: the configurations applied, in order.
actor FakeConfigurator: NetworkConfigurator {
    nonisolated var serviceName: String { "fake" }
    var state: InterfaceState
    var applied: [InterfaceConfig] = []
    init(_ state: InterfaceState) { self.state = state }
    func interfaces() async throws -> [InterfaceState] { [state] }
    func apply(_ config: InterfaceConfig) async throws { applied.append(config); state.config = config }
}

final class ManualSeconds: Sendable {
    let value = Mutex<Double>(0)
    var now: Double { value.withLock { $0 } }
    func advance(_ s: Double) { value.withLock { $0 += s } }
}

@Suite("Network configuration service: validate, apply, confirm or take back")
struct NetworkConfigServiceTests {
    let eth0 = InterfaceConfig(name: "eth0", ipv4: .init(method: .manual, address: IPPrefix("192.168.1.20/24"), gateway: IPAddress("192.168.1.1")))
    let browser = NetworkChangeGuard.Connection(client: IPAddress("192.168.1.100"), station: IPAddress("192.168.1.20"))

    func service(_ fake: FakeConfigurator, _ clock: ManualSeconds) -> NetworkConfigService {
        NetworkConfigService(configurator: fake, reason: nil, logger: Logger(label: "test"), nowSeconds: { clock.now }, runsTimer: false)
    }

    @Test("a change of the browser's own address is taken back after 120 s without confirmation")
    func unconfirmedChangeRevertsAfter120s() async throws {
        let fake = FakeConfigurator(InterfaceState(name: "eth0", addresses: [IPPrefix("192.168.1.20/24")!], up: true, config: eth0))
        let clock = ManualSeconds()
        let s = service(fake, clock)
        let form = InterfaceForm(name: "eth0", fields: ["ipv4.method": "manual", "ipv4.address": "192.168.1.30", "ipv4.prefix": "24", "ipv4.gateway": "192.168.1.1"])
        let outcome = try await s.configure(form, connection: browser, by: "installer").get()
        #expect(outcome.pending?.remainingSeconds == 120 && outcome.pending?.newAddresses == [IPAddress("192.168.1.30")!])
        #expect(await fake.applied.map { $0.ipv4.address } == [IPPrefix("192.168.1.30/24")])
        clock.advance(119)
        #expect(await s.tick() == [])
        clock.advance(1)
        #expect(await s.tick() == [.revert(eth0)])
        #expect(await fake.applied.last == eth0)
        #expect(await s.status().pending == nil)
    }

    @Test("a pending change outlives the process: the next start waits for the rest of the window, or takes it back at once")
    func pendingChangeSurvivesARestartOfTheProcess() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ck-pending-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let wall = ManualSeconds()
        wall.advance(1_800_000_000)
        func start(_ fake: FakeConfigurator, monotonic: ManualSeconds) -> NetworkConfigService {
            NetworkConfigService(configurator: fake, reason: nil, logger: Logger(label: "test"), nowSeconds: { monotonic.now }, runsTimer: false,
                                 pendingFile: file, wallSeconds: { wall.now })
        }
        let form = InterfaceForm(name: "eth0", fields: ["ipv4.method": "manual", "ipv4.address": "192.168.1.30", "ipv4.prefix": "24"])
        // First life: the change is pending, and on disk (0600) before anything else.
        let first = FakeConfigurator(InterfaceState(name: "eth0", addresses: [IPPrefix("192.168.1.20/24")!], up: true, config: eth0))
        _ = try await start(first, monotonic: ManualSeconds()).configure(form, connection: browser, by: "installer").get()
        #expect(FileManager.default.fileExists(atPath: file))
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int == 0o600)
        // Second life 30 s later (a new monotonic base): still pending with 90 s left; confirmed from the new address.
        wall.advance(30)
        let second = FakeConfigurator(InterfaceState(name: "eth0", addresses: [IPPrefix("192.168.1.30/24")!], up: true, config: await first.state.config))
        let s2 = start(second, monotonic: ManualSeconds())
        await s2.resume()
        #expect(await s2.status().pending?.remainingSeconds == 90)
        let fromNew = NetworkChangeGuard.Connection(client: IPAddress("192.168.1.100"), station: IPAddress("192.168.1.30"))
        #expect(try await s2.confirm(connection: fromNew, by: "installer").get().ipv4.address == IPPrefix("192.168.1.30/24"))
        #expect(!FileManager.default.fileExists(atPath: file), "a confirmed change leaves nothing to take back")
        // Again, but the process stays away past the deadline: the next start takes the change back at once.
        let again = FakeConfigurator(InterfaceState(name: "eth0", addresses: [IPPrefix("192.168.1.20/24")!], up: true, config: eth0))
        _ = try await start(again, monotonic: ManualSeconds()).configure(form, connection: browser, by: "installer").get()
        wall.advance(300)
        let third = FakeConfigurator(InterfaceState(name: "eth0", addresses: [IPPrefix("192.168.1.30/24")!], up: true, config: await again.state.config))
        await start(third, monotonic: ManualSeconds()).resume()
        #expect(await third.applied == [eth0])
        #expect(!FileManager.default.fileExists(atPath: file))
    }

    @Test("confirmed from the new address: kept; invalid fields are refused before anything is applied")
    func confirmedChangeIsKept() async throws {
        let fake = FakeConfigurator(InterfaceState(name: "eth0", addresses: [IPPrefix("192.168.1.20/24")!], up: true, config: eth0))
        let clock = ManualSeconds()
        let s = service(fake, clock)
        let bad = InterfaceForm(name: "eth0", fields: ["ipv4.method": "manual", "ipv4.address": "192.168.1.30", "ipv4.prefix": "24", "ipv4.gateway": "10.0.0.1"])
        guard case .failure(.invalid(let e)) = await s.configure(bad, connection: browser, by: "installer") else { Issue.record("accepted"); return }
        #expect(e.byField["ipv4.gateway"]?.contains("not reachable on the interface") == true)
        #expect(await fake.applied.isEmpty)
        let good = InterfaceForm(name: "eth0", fields: ["ipv4.method": "manual", "ipv4.address": "192.168.1.30", "ipv4.prefix": "24"])
        _ = try await s.configure(good, connection: browser, by: "installer").get()
        clock.advance(30)
        let fromNew = NetworkChangeGuard.Connection(client: IPAddress("192.168.1.100"), station: IPAddress("192.168.1.30"))
        #expect(try await s.confirm(connection: fromNew, by: "installer").get().ipv4.address == IPPrefix("192.168.1.30/24"))
        clock.advance(200)
        #expect(await s.tick() == [])
        #expect(await fake.applied.count == 1)
        // Not managed: a reason, no change.
        let none = NetworkConfigService(configurator: nil, reason: "systemd-networkd is not running", logger: Logger(label: "test"))
        guard case .failure(.notManaged(let why)) = await none.configure(good, connection: browser, by: "x") else { Issue.record("managed"); return }
        #expect(why == "systemd-networkd is not running")
    }
}
