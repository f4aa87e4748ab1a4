import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StringSupport
import App
import ChargePoint
import EVSECore
import LoadManagement

/// `chargekit dlm …` — dynamic load management: the master's slaves and its persistent slave DB.
struct DLMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlm",
        abstract: "Dynamic load management: status, slaves, the persistent DLM slave DB.",
        subcommands: [Status.self, RemoveSlave.self, ClearSlaves.self])

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the DLM role, the allocation and the slaves (or the master).")
        @OptionGroup var common: StationDataDirectory
        @Flag(help: "Print JSON.") var json = false
        func run() throws {
            guard let s = try ConfigCommand.handle({ try common.client.dlmStatus() }) else { print("DLM is off"); return }
            if json { ConfigCommand.printJSON(s); return }
            func amps(_ p: PhaseValues) -> String { [p.l1, p.l2, p.l3].map { $0.fixed(1) }.joined(separator: "/") }
            print("DLM \(s.mode.rawValue), network \(s.networkId), link \(s.linkRunning ? "running" : "off")")
            for w in s.warnings { print("  warning: \(w)") }
            if s.mode.isMaster {
                print("  available \(amps(s.availableAmps)) A, applied \(amps(s.appliedAmps)) A")
                for g in s.grants { print("  \(g.id.padded(to: 24)) \(g.amps.fixed(1).leftPadded(to: 5)) A  \(g.reason.rawValue)") }
                for slave in s.slaves ?? [] {
                    print("  slave \(slave.id) at \(slave.address): \(slave.connected ? "connected" : "silent"), last seen \(slave.lastSeen)")
                }
            }
            if let m = s.master {
                print("  master \(m.id ?? "not found yet")\(m.address.map { " at \($0)" } ?? ""): \(m.connected ? "grants \(m.grantsAmps?.map { $0.fixed(1) }.joined(separator: ", ") ?? "") A" : "disconnected, Disconnected Limit \(m.disconnectedLimitAmps) A")")
            }
        }
    }

    struct RemoveSlave: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove-slave",
                                                        abstract: "Remove one slave from the master (it registers again when it reports).")
        @OptionGroup var common: StationDataDirectory
        @Argument(help: "The slave's id (its ChargeBoxIdentity).") var id: String
        func run() throws {
            let removed = try ConfigCommand.handle { try common.client.dlmRemoveSlaves(id) }
            print("removed \(removed.joined(separator: ", "))")
        }
    }

    struct ClearSlaves: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "clear-slaves",
                                                        abstract: "Clear persistent DLM slave DB (seeds/004 §7.4).")
        @OptionGroup var common: StationDataDirectory
        func run() throws {
            let removed = try ConfigCommand.handle { try common.client.dlmRemoveSlaves(nil) }
            print("cleared the persistent DLM slave DB: \(removed.count) slave(s)")
        }
    }
}
