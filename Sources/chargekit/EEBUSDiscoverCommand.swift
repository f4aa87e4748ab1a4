import ArgumentParser
import EEBUS
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HostServices
import Logging
import ServiceLifecycle
import Transport
import UnixSignals

/// `chargekit eebus-discover` — lists the EEBUS devices (SHIP services, `_ship._tcp`) on the LAN by multicast DNS, the
/// way the station finds energy managers; optionally announces a test service so that an energy manager's or another
/// tool's list can be checked from this host. Runs without the station and without avahi (it shares port 5353 with a
/// running avahi-daemon).
struct EEBUSDiscoverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eebus-discover",
        abstract: "List the EEBUS devices (SHIP services) on the LAN by multicast DNS.",
        discussion: """
            Browses for _ship._tcp for --seconds and prints what it found: instance name, host, port, addresses and the \
            SHIP TXT pairs (ski, id, brand, model, type, register...). With --watch it prints the list at every change. \
            With --announce NAME it also announces a service of that name (host --host-name, port --port, TXT --txt), \
            as the station does, and takes it back (goodbye) when it stops.
            """)

    @Option(help: "The network interface to use (default: every LAN interface with IPv4 and multicast).")
    var interface: String?
    @Option(help: "How long to listen, in seconds (0: until Ctrl-C).")
    var seconds: Int = 5
    @Flag(help: "Print the list at every change, not only at the end.")
    var watch = false
    @Flag(help: "Print JSON (with --watch one JSON document per line).")
    var json = false
    @Option(help: "Announce a service with this instance name while running.")
    var announce: String?
    @Option(name: .customLong("host-name"), help: "The announced service's host label (<label>.local).")
    var hostName = "chargekit-discover"
    @Option(help: "The announced service's port.")
    var port: Int = 4712
    @Option(help: "A TXT pair of the announced service, key=value (repeatable, in order).")
    var txt: [String] = []

    func validate() throws {
        guard seconds >= 0, seconds <= 86_400 else { throw ValidationError("--seconds \(seconds): allowed 0...86400") }
        guard (1...65_535).contains(port) else { throw ValidationError("--port \(port): allowed 1...65535") }
        for pair in txt where !pair.contains("=") || pair.hasPrefix("=") {
            throw ValidationError("--txt '\(pair)': expected key=value")
        }
        if let announce {
            try DNSSDServiceDescription(instanceName: announce, hostName: hostName, port: UInt16(port), txt: pairs, addresses: []).validate()
        }
    }

    var pairs: DNSSDTXT {
        DNSSDTXT(txt.map { p in
            let cut = p.firstIndex(of: "=")!
            return DNSSDTXT.Entry(String(p[..<cut]), String(p[p.index(after: cut)...]))
        })
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = .info
            return h
        }
        let logger = Logger(label: "chargekit.eebus-discover")
        do { _ = try MDNSService.interfaces(named: interface) } catch { throw fail("\(error)") }
        let mdns = MDNSService(announcement: announce.map { .init(instanceName: $0, hostName: hostName, port: UInt16(port), txt: pairs) },
                               interfaceName: interface, logger: logger)
        let (watch, json, seconds) = (self.watch, self.json, self.seconds)
        let printer = ClosureService {
            await cancelWhenGracefulShutdown {
                await withTaskGroup(of: Void.self) { tasks in
                    if watch {
                        tasks.addTask { for await list in mdns.changes() { Self.print(list, json: json) } }
                    }
                    tasks.addTask { if seconds > 0 { try? await Task.sleep(for: .seconds(seconds)) } else { try? await gracefulShutdown() } }
                    await tasks.next()
                    tasks.cancelAll()
                }
            }
            if !watch { Self.print(mdns.discovered, json: json) }
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [.init(service: mdns), .init(service: printer, successTerminationBehavior: .gracefullyShutdownGroup)],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do { try await group.run() } catch { throw fail("\(error)") }
    }

    struct Entry: Encodable {
        var instance: String
        var host: String
        var port: Int
        var addresses: [String]
        var txt: [String: String?]
        /// The SHIP fields (SHIP TS 1.0.1 §7.3.2), or why the TXT record is not a valid SHIP record.
        var ship: SHIP?
        var shipError: String?
    }

    struct SHIP: Encodable {
        var id: String
        var ski: String
        var register: Bool
        var brand: String?
        var type: String?
        var model: String?
        var serial: String?
    }

    static func ship(_ s: DNSSDDiscoveredService) -> (SHIP?, String?) {
        do {
            let i = try s.shipServiceInfo()
            return (SHIP(id: i.id, ski: i.ski.hex, register: i.register, brand: i.brand, type: i.type, model: i.model, serial: i.serial), nil)
        } catch { return (nil, error.description) }
    }

    static func print(_ list: [DNSSDDiscoveredService], json: Bool) {
        if json {
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let entries = list.map { s in
                let (ship, error) = Self.ship(s)
                return Entry(instance: s.instanceName, host: s.hostName, port: Int(s.port), addresses: s.addresses.map(\.description),
                             txt: Dictionary(s.txt.entries.map { ($0.key, $0.text) }, uniquingKeysWith: { a, _ in a }), ship: ship, shipError: error)
            }
            let data = (try? e.encode(entries)) ?? Data("[]".utf8)
            StandardStream.output.write(data + Data("\n".utf8))
            return
        }
        var out = list.isEmpty ? "no EEBUS devices found\n" : ""
        for s in list {
            out += "\(s.instanceName)  \(s.hostName):\(s.port)  \(s.addresses.map(\.description).joined(separator: ", "))\n"
            switch Self.ship(s) {
            case (let ship?, _):
                out += "  SKI \(ship.ski), \([ship.brand, ship.model, ship.type].compactMap { $0 }.joined(separator: " "))"
                out += ship.register ? ", open for pairing (register=true)\n" : "\n"
            case (_, let error):
                out += "  not a valid SHIP record: \(error ?? "")\n"
            }
            out += "  \(s.txt)\n"
        }
        StandardStream.output.write(out)
    }
}
