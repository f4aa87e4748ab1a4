import Foundation
import Testing
import HostConfig
@testable import HostServices

/// The DHCP server's supervisor and the router's adapter without root: what a failed start says, the back-off, the
/// files it writes, and the addresses read from `ip -j`. The real dnsmasq, nft and namespaces: Tests/Interop/test_router.py.
@Suite("DHCP server supervisor and router adapter")
struct RouterAdapterTests {
    let config = DHCPServerConfiguration(interface: "eth0", address: IPPrefix("172.16.23.1/24")!, poolStart: 100, poolEnd: 254,
                                         leaseSeconds: 3600, routerMode: false)

    func directory() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("ck-router-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    @Test("a start-up error names what to check: dnsmasq not installed, the interface missing; off stays off")
    func startupErrorsNameTheCause() async throws {
        let d = try directory()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let missing = DnsmasqSupervisor(paths: DHCPServerPaths(directory: d), program: nil, interfaces: InterfaceDirectory(path: d))
        #expect(await missing.reconcile(nil).state == .off)
        // An empty interface directory: eth0 does not exist.
        let noInterface = DnsmasqSupervisor(paths: DHCPServerPaths(directory: d), program: "/bin/true", interfaces: InterfaceDirectory(path: d))
        let r = await noInterface.reconcile(config)
        #expect(r.state == .failed)
        #expect(r.message?.contains("service interface eth0 does not exist") == true, "\(r.message ?? "")")
        // The next attempt waits for the back-off: a second pass at once does not start again.
        #expect(await noInterface.reconcile(config) == r)
        #expect(await noInterface.reconcile(nil).state == .off)
        if ProgramLocator.find("dnsmasq") == nil {
            let r2 = await DnsmasqSupervisor(paths: DHCPServerPaths(directory: d)).reconcile(config)
            #expect(r2.message?.contains("dnsmasq is not installed") == true)
        }
    }

    @Test("dnsmasq --test refuses a configuration: its words are reported, nothing is started")
    func refusedConfiguration() async throws {
        let d = try directory()
        defer { try? FileManager.default.removeItem(atPath: d) }
        try FileManager.default.createDirectory(atPath: d + "/net/eth0", withIntermediateDirectories: true)
        let fake = d + "/dnsmasq"
        try "#!/bin/sh\necho 'dnsmasq: bad option at line 3' >&2\nexit 1\n".write(toFile: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake)
        let s = DnsmasqSupervisor(paths: DHCPServerPaths(directory: d), program: fake, interfaces: InterfaceDirectory(path: d + "/net"))
        let r = await s.reconcile(config)
        #expect(r.state == .failed && r.pid == nil)
        #expect(r.message?.contains("dnsmasq refused the configuration") == true && r.message?.contains("bad option at line 3") == true)
        let written = try String(contentsOfFile: d + "/dnsmasq.conf", encoding: .utf8)
        #expect(written == DnsmasqConfiguration.render(config, paths: DHCPServerPaths(directory: d)))
    }

    @Test("a server that dies at once is reported with its last words and a hint (port 67 taken)")
    func diesAtOnce() async throws {
        let d = try directory()
        defer { try? FileManager.default.removeItem(atPath: d) }
        try FileManager.default.createDirectory(atPath: d + "/net/eth0", withIntermediateDirectories: true)
        let fake = d + "/dnsmasq"
        try """
            #!/bin/sh
            case "$1" in --test) exit 0 ;; esac
            echo 'dnsmasq: failed to bind DHCP server socket: Address already in use' >&2
            exit 2

            """.write(toFile: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake)
        let s = DnsmasqSupervisor(paths: DHCPServerPaths(directory: d), program: fake, interfaces: InterfaceDirectory(path: d + "/net"))
        #expect(await s.reconcile(config).state == .starting)
        var r = await s.reconcile(config)
        let deadline = ContinuousClock.now + .seconds(10)
        while r.state != .failed && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            r = await s.reconcile(config)
        }
        #expect(r.state == .failed)
        #expect(r.message?.contains("exited with status 2") == true && r.message?.contains("port 67") == true, "\(r.message ?? "")")
    }

    @Test("the router without nft names the package; forwarding is left alone")
    func routerWithoutNFT() async throws {
        let d = try directory()
        defer { try? FileManager.default.removeItem(atPath: d) }
        try "0\n".write(toFile: d + "/ip_forward", atomically: true, encoding: .utf8)
        let router = NFTablesRouter(nft: d + "/no-nft", forwardingPath: d + "/ip_forward")
        await #expect(throws: RouterError.self) { try await router.apply(lan: "eth0", uplink: "wwan0", network: IPPrefix("172.16.23.0/24")!) }
        #expect(try String(contentsOfFile: d + "/ip_forward", encoding: .utf8) == "0\n")
    }

    @Test("the router loads its script with nft -f -, sets forwarding, and restores it when removed")
    func routerForwarding() async throws {
        let d = try directory()
        defer { try? FileManager.default.removeItem(atPath: d) }
        try "0\n".write(toFile: d + "/ip_forward", atomically: true, encoding: .utf8)
        let fake = d + "/nft"
        try "#!/bin/sh\ncat >> \(d)/scripts\n".write(toFile: fake, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fake)
        let router = NFTablesRouter(nft: fake, forwardingPath: d + "/ip_forward")
        try await router.apply(lan: "eth0", uplink: "wwan0", network: IPPrefix("172.16.23.0/24")!)
        try await router.apply(lan: "eth0", uplink: "wwan0", network: IPPrefix("172.16.23.0/24")!)
        #expect(try String(contentsOfFile: d + "/ip_forward", encoding: .utf8) == "1\n")
        try await router.remove()
        #expect(try String(contentsOfFile: d + "/ip_forward", encoding: .utf8) == "0\n")
        let scripts = try String(contentsOfFile: d + "/scripts", encoding: .utf8)
        #expect(scripts == RouterRuleset.apply(lan: "eth0", uplink: "wwan0", network: IPPrefix("172.16.23.0/24")!) + RouterRuleset.remove,
                "loaded once, then removed")
    }

    @Test("ip -j address show: the addresses with their prefixes")
    func addressesFromIPJSON() {
        let json = #"[{"ifindex":2,"ifname":"eth0","addr_info":[{"family":"inet","local":"172.16.23.1","prefixlen":24},{"family":"inet6","local":"fe80::1","prefixlen":64}]}]"#
        #expect(ServiceAddress.addresses(fromJSON: json) == [IPPrefix("172.16.23.1/24")!, IPPrefix("fe80::1/64")!])
        #expect(ServiceAddress.addresses(fromJSON: "not json").isEmpty)
    }
}
