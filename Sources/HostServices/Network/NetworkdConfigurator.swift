#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HostConfig
import StringSupport

/// systemd-networkd behind ``NetworkConfigurator``: each interface's configuration is ChargeKit's own `.network` file
/// (``NetworkdFile``, `50-chargekit-<name>.network` in /etc/systemd/network), made effective by `networkctl reload`
/// (networkd reads its files again) and `networkctl reconfigure <name>` (the link is configured anew from them). The
/// state comes from the kernel through `ip -j addr` (iproute2's JSON: flags, operational state, addresses with their
/// lifetimes) and networkd's word for each link from `networkctl --json=short list` where it answers.
public struct NetworkdConfigurator: NetworkConfigurator {
    /// Runs one program; the real one is ``SystemCommand``, tests record the calls.
    public typealias Runner = @Sendable (_ executable: String, _ arguments: [String]) async throws -> SystemCommand.Result

    public var serviceName: String { "systemd-networkd" }
    public var directory: String
    public var networkctl: String
    public var ip: String
    let run: Runner

    public static let defaultDirectory = "/etc/systemd/network"

    public init(directory: String = Self.defaultDirectory, networkctl: String = "/usr/bin/networkctl", ip: String = Self.ipProgram,
                run: Runner? = nil) {
        self.directory = directory; self.networkctl = networkctl; self.ip = ip
        self.run = run ?? { executable, arguments in try await SystemCommand(executable, arguments).run(timeoutSeconds: 20) }
    }

    /// iproute2's `ip` where Debian puts it.
    public static var ipProgram: String {
        ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/sbin/ip"
    }

    public func path(for interface: String) -> String { directory + "/" + NetworkdFile.fileName(for: interface) }

    public func interfaces() async throws -> [InterfaceState] {
        let addr = try await run(ip, ["-j", "addr", "show"])
        guard addr.succeeded else { throw NetworkConfigureError.serviceFailed("ip -j addr show failed: \(addr.stderr)") }
        var states = try Self.parseIPAddr(addr.stdout).filter { $0.name != "lo" }
        // networkd's own view (optional: an older networkctl has no --json).
        if let list = try? await run(networkctl, ["--json=short", "list"]), list.succeeded {
            let words = Self.parseNetworkctlList(list.stdout)
            for i in states.indices { if let w = words[states[i].name] { states[i].serviceState = w } }
        }
        for i in states.indices {
            if let text = try? String(contentsOfFile: path(for: states[i].name), encoding: .utf8) { states[i].config = NetworkdFile.parse(text)?.config }
        }
        return states
    }

    public func apply(_ config: InterfaceConfig) async throws {
        guard InterfaceForm.isValidInterfaceName(config.name) else { throw NetworkConfigureError.unknownInterface(config.name) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // Atomically: networkd (or a power cut) never sees half a file.
        let target = path(for: config.name)
        do { try SystemFile.write(NetworkdFile.render(config), to: target) } catch {
            throw NetworkConfigureError.serviceFailed("writing \(target) failed: \(error.reason)")
        }
        for arguments in [["reload"], ["reconfigure", config.name]] {
            let r = try await run(networkctl, arguments)
            guard r.succeeded else {
                let why = r.stderr.trimmedWhitespaceAndNewlines
                throw NetworkConfigureError.serviceFailed("networkctl \(arguments.joined(separator: " ")) failed (exit \(r.status)): \(why)")
            }
        }
    }

    /// `ip -j addr show`: [{ifname, flags: [UP, LOWER_UP …], operstate, addr_info: [{family, local, prefixlen, dynamic}]}].
    static func parseIPAddr(_ json: String) throws -> [InterfaceState] {
        guard let links = try? JSONDecoder().decode([IPLink].self, from: Data(json.utf8)) else {
            throw NetworkConfigureError.serviceFailed("ip -j addr show printed no JSON array")
        }
        return links.compactMap { link in
            guard let name = link.ifname else { return nil }
            let flags = link.flags ?? []
            var s = InterfaceState(name: name, up: flags.contains("UP"), carrier: flags.contains("LOWER_UP"),
                                   serviceState: link.operstate?.lowercased() ?? "")
            for a in link.addr_info ?? [] {
                guard let local = a.local.flatMap(IPAddress.init), let n = a.prefixlen,
                      let p = IPPrefix(address: local, length: n) else { continue }
                s.addresses.append(p)
                if local.isV4, a.dynamic == true {
                    let life = a.valid_life_time.map { " (valid \($0) s)" } ?? ""
                    s.dhcpLease = "\(p)\(life)"
                }
            }
            return s
        }
    }

    /// `networkctl --json=short list`: {"Interfaces": [{"Name", "OperationalState", "AdministrativeState"}]} → "routable, configured".
    static func parseNetworkctlList(_ json: String) -> [String: String] {
        struct List: Decodable { var Interfaces: [Link] }
        struct Link: Decodable { var Name: String; var OperationalState: String?; var AdministrativeState: String? }
        guard let links = try? JSONDecoder().decode(List.self, from: Data(json.utf8)).Interfaces else { return [:] }
        var result: [String: String] = [:]
        for l in links { result[l.Name] = [l.OperationalState, l.AdministrativeState].compactMap { $0 }.joined(separator: ", ") }
        return result
    }
}

/// One link of `ip -j address show` (iproute2's JSON output: the fields of `struct ifaddrmsg` and the link's flags by
/// their names); every field optional, as a kernel or iproute2 version may leave any of them out. Also read by
/// ``NFTablesRouter``.
struct IPLink: Decodable {
    var ifname: String?
    var flags: [String]?
    var operstate: String?
    var addr_info: [Address]?

    struct Address: Decodable {
        var local: String?
        var prefixlen: Int?
        var dynamic: Bool?
        var valid_life_time: Int?
    }
}
