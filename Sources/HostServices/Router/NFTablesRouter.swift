#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HostConfig
import StringSupport
import Logging

/// The WAN router's side in the operating system (seeds/004 §4 "WAN-router: Aan"): ChargeKit's nftables tables
/// (``RouterRuleset``) loaded with `nft -f -` in one transaction, and IPv4 forwarding switched on through
/// `/proc/sys/net/ipv4/ip_forward`. Switched off, it deletes its tables (and only them) and puts forwarding back to what
/// it was before the router switched it on.
public actor NFTablesRouter {
    let nft: String?
    /// `/proc/sys/net/ipv4/ip_forward` (injectable for tests).
    let forwardingPath: String
    let logger: Logger
    /// The forwarding value found before the router set it, restored when it is switched off.
    private var forwardingBefore: String?
    private var applied: String?

    public init(nft: String? = nil, forwardingPath: String = "/proc/sys/net/ipv4/ip_forward", logger: Logger = Logger(label: "chargekit.router")) {
        self.nft = nft ?? ProgramLocator.find("nft"); self.forwardingPath = forwardingPath; self.logger = logger
    }

    /// Loads the ruleset for `lan` → `uplink` (unless it is loaded already) and switches forwarding on.
    public func apply(lan: String, uplink: String, network: IPPrefix) async throws(RouterError) {
        let script = RouterRuleset.apply(lan: lan, uplink: uplink, network: network)
        if script != applied {
            try await load(script)
            applied = script
            logger.notice("WAN router on: \(lan) (\(network)) shares \(uplink); tables \(RouterRuleset.filterTable), \(RouterRuleset.natTable)")
        }
        try setForwarding()
    }

    /// Deletes ChargeKit's tables and restores forwarding.
    public func remove() async throws(RouterError) {
        try await load(RouterRuleset.remove)
        if applied != nil { logger.notice("WAN router off: tables removed") }
        applied = nil
        if let before = forwardingBefore {
            do { try SystemFile.write(before + "\n", to: forwardingPath, atomic: false) } catch {
                throw RouterError(message: "cannot restore \(forwardingPath) to \(before): \(error.reason)")
            }
            forwardingBefore = nil
        }
    }

    private func load(_ script: String) async throws(RouterError) {
        guard let nft else { throw RouterError(message: "nft is not installed (Debian package nftables); the WAN router needs it") }
        let result: SystemCommand.Result
        do { result = try await SystemCommand(nft, ["-f", "-"]).run(input: script, timeoutSeconds: 10) } catch {
            throw RouterError(message: "\(error)")
        }
        guard result.succeeded else {
            let said = result.stderr.trimmedWhitespaceAndNewlines
            let hint = said.contains("Operation not permitted") ? " — the station needs root or CAP_NET_ADMIN for the WAN router" : ""
            throw RouterError(message: "nft -f - failed (status \(result.status)): \(said)\(hint)")
        }
    }

    private func setForwarding() throws(RouterError) {
        let current = (try? String(contentsOfFile: forwardingPath, encoding: .utf8))?.trimmedWhitespaceAndNewlines
        guard current != "1" else { return }
        do { try SystemFile.write("1\n", to: forwardingPath, atomic: false) } catch {
            throw RouterError(message: "cannot switch IPv4 forwarding on (\(forwardingPath)): \(error.reason)")
        }
        if forwardingBefore == nil { forwardingBefore = current ?? "0" }
        logger.info("IPv4 forwarding on (\(forwardingPath))")
    }
}

public struct RouterError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public init(message: String) { self.message = message }
    public var description: String { message }
}

/// The service interface's own address (seeds/004 §4: in DHCP-server mode the controller takes 172.16.23.1/24 itself):
/// added with `ip address add` when the interface lacks it, and removed again when neither the DHCP server nor the
/// router needs it — only if ChargeKit added it, never an address the operating system configured.
public actor ServiceAddress {
    let ip: String?
    let logger: Logger
    private var added: (interface: String, address: IPPrefix)?

    public init(ip: String? = nil, logger: Logger = Logger(label: "chargekit.router")) { self.ip = ip ?? ProgramLocator.find("ip"); self.logger = logger }

    /// Makes sure `interface` carries `address` (and is up).
    public func ensure(_ address: IPPrefix, on interface: String) async throws(RouterError) {
        if let added, added.interface != interface || added.address != address { await release() }
        guard let ip else { throw RouterError(message: "ip is not installed (Debian package iproute2)") }
        let show = try await run(ip, ["-j", "address", "show", "dev", interface])
        guard show.succeeded else {
            throw RouterError(message: "the service interface \(interface) does not exist: check DHCPServerInterface, the cable and the driver (\(show.stderr.trimmedWhitespaceAndNewlines))")
        }
        if Self.addresses(fromJSON: show.stdout).contains(address) { return }
        let add = try await run(ip, ["address", "add", address.description, "dev", interface])
        guard add.succeeded else {
            throw RouterError(message: "cannot give \(interface) the address \(address): \(add.stderr.trimmedWhitespaceAndNewlines)")
        }
        _ = try await run(ip, ["link", "set", "dev", interface, "up"])
        added = (interface, address)
        logger.notice("service address \(address) added to \(interface)")
    }

    /// Removes the address if ChargeKit added it.
    public func release() async {
        guard let added, let ip else { return }
        self.added = nil
        if let r = try? await run(ip, ["address", "del", added.address.description, "dev", added.interface]), r.succeeded {
            logger.notice("service address \(added.address) removed from \(added.interface)")
        }
    }

    private func run(_ program: String, _ args: [String]) async throws(RouterError) -> SystemCommand.Result {
        do { return try await SystemCommand(program, args).run(timeoutSeconds: 10) } catch { throw RouterError(message: "\(error)") }
    }

    /// The addresses (with prefix) in `ip -j address show`'s JSON.
    static func addresses(fromJSON text: String) -> [IPPrefix] {
        guard let list = try? JSONDecoder().decode([IPLink].self, from: Data(text.utf8)) else { return [] }
        return list.flatMap { $0.addr_info ?? [] }.compactMap { info in
            guard let local = info.local, let length = info.prefixlen, let a = IPAddress(local) else { return nil }
            return IPPrefix(address: a, length: length)
        }
    }
}
