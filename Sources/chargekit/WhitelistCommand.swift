import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import StringSupport
import HostServices
import App
import Authorization
import ChargePoint

/// `chargekit whitelist …` — the local whitelist (fixed local list), on a running or a stopped station.
struct WhitelistCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "whitelist",
        abstract: "Manage the local whitelist (cards, INPUT_AUTH, vehicle MAC addresses).",
        discussion: """
            Identifiers: RFID UIDs of 4, 7 or 10 bytes in hex with an optional postfix _1 or _2 that restricts them to
            connector 1 or 2, the special identifier INPUT_AUTH (authorization by digital input 2), or a vehicle MAC
            address for Autocharge. At most 1000 entries. CSV files: one identifier per line, or the format
            'UID,GID,Expiry,Authorization' (expiry like 2020-01-01T12:00:00, authorization accepted or blocked).
            """,
        subcommands: [List.self, Add.self, Remove.self, Import.self, Export.self, Learn.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the entries (optionally those containing a text).")
        @OptionGroup var common: StationDataDirectory
        @Option(help: "Only entries whose identifier contains this text.") var search: String?
        @Flag(help: "Print JSON.") var json = false
        func run() throws {
            let entries = try ConfigCommand.handle { try common.client.whitelist(search: search) }
            if json { ConfigCommand.printJSON(entries); return }
            for e in entries {
                var line = e.id.padded(to: 24) + e.kind.rawValue.padded(to: 7)
                line += e.authorization.rawValue
                if let g = e.groupID { line += "  group \(g)" }
                if let x = e.expiry { line += "  expires \(x)" }
                print(line)
            }
            if entries.isEmpty { print("(no entries)") }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an entry.")
        @OptionGroup var common: StationDataDirectory
        @Argument(help: "Identifier, e.g. 04567DAA5F3580, 0a0e9b83_1, INPUT_AUTH, 00:1A:2B:3C:4D:5E.") var id: String
        @Option(help: "Group id (parentIdTag): cards of one group may stop each other's sessions.") var group: String?
        @Option(help: "Expiry, e.g. 2030-01-01T00:00:00 (UTC).") var expiry: String?
        @Flag(help: "Add the entry as blocked.") var blocked = false
        func run() throws {
            let input = WhitelistEntryInput(id: id, groupID: group, expiry: expiry, authorization: blocked ? "blocked" : "accepted")
            let e = try ConfigCommand.handle { try common.client.whitelistAdd(input) }
            print("added \(e.id) (\(e.kind.rawValue), \(e.authorization.rawValue))")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an entry, or all with --all (restorable until restart).")
        @OptionGroup var common: StationDataDirectory
        @Argument(help: "Identifier with its postfix, as listed.") var id: String?
        @Flag(help: "Delete the whole list.") var all = false
        func validate() throws {
            guard (id == nil) == all else { throw ValidationError("give an identifier or --all") }
        }
        func run() throws {
            if all {
                let n = try ConfigCommand.handle { try common.client.whitelistRemoveAll() }
                print("deleted \(n) entries")
            } else if let id {
                let e = try ConfigCommand.handle { try common.client.whitelistRemove(id) }
                print("deleted \(e.id)")
            }
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import a CSV file; a file with any bad line is rejected whole and every bad line listed.")
        @OptionGroup var common: StationDataDirectory
        @Argument(help: "CSV file.") var file: String
        @Flag(help: "Replace the whole list instead of merging (Import (Replace)).") var replace = false
        func run() throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw fail("cannot read \(file)") }
            guard let text = String(data: data, encoding: .utf8) else { throw fail("\(file) is not UTF-8 text") }
            let r = try ConfigCommand.handle { try common.client.whitelistImport(text, mode: replace ? .replace : .update) }
            print("processed \(r.processedLines) lines (\(r.format.rawValue) format): \(r.added) added, \(r.updated) updated, \(r.totalEntries) entries")
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export the list as CSV.")
        @OptionGroup var common: StationDataDirectory
        @Option(help: "technagon (UID,GID,Expiry,Authorization) or single-column.") var format = "technagon"
        @Option(help: "Write to this file instead of standard output.") var output: String?
        func validate() throws {
            guard ["technagon", "single-column"].contains(format) else { throw ValidationError("--format must be technagon or single-column") }
        }
        func run() throws {
            let csv = try ConfigCommand.handle { try common.client.whitelistExport(format: format == "technagon" ? .technagon : .singleColumn) }
            try writeOutput(csv, to: output)
        }
    }

    struct Learn: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Learning mode on a running station: the next cards and plugged-in vehicles are added (seeds/004 §5.5).")
        @OptionGroup var common: StationDataDirectory
        @Option(help: "How long to learn, in seconds.") var seconds = 60
        func validate() throws {
            guard (1...3600).contains(seconds) else { throw ValidationError("--seconds must be 1 to 3600") }
        }
        func run() throws {
            _ = try ConfigCommand.handle { try common.client.learning(true) }
            print("learning: hold cards to the reader or plug in vehicles (\(seconds) s)")
            var shown = 0
            let end = Date().addingTimeInterval(Double(seconds))
            while Date() < end {
                usleep(500_000)
                let state = try ConfigCommand.handle { try common.client.learning(nil) }
                for id in state.learned.dropFirst(shown) { print("added \(id)") }
                shown = state.learned.count
                if !state.active { break }
            }
            _ = try ConfigCommand.handle { try common.client.learning(false) }
            print("learning finished: \(shown) added")
        }
    }
}

/// `chargekit history …` — the charging history without a backend (seeds/000 "Ladeverlauf … auslesen").
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Export the charging history or show its summary.",
        subcommands: [Export.self, Summary.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export sessions started in a date range as CSV or JSON.")
        @OptionGroup var common: StationDataDirectory
        @Option(help: "First day (2026-01-01) or time (2026-01-01T06:00:00), UTC.") var from: String?
        @Option(help: "Last day (inclusive) or time (exclusive), UTC.") var to: String?
        @Option(help: "csv or json.") var format = "csv"
        @Option(help: "Write to this file instead of standard output.") var output: String?
        func validate() throws {
            guard ["csv", "json"].contains(format) else { throw ValidationError("--format must be csv or json") }
        }
        func run() throws {
            let rows = try ConfigCommand.handle { try common.client.history(from: from, to: to) }
            if format == "csv" {
                try writeOutput(ChargingHistory.csv(rows), to: output)
            } else {
                let e = JSONEncoder()
                e.outputFormatting = [.prettyPrinted, .sortedKeys]
                e.dateEncodingStrategy = .iso8601
                try writeOutput(String(decoding: try e.encode(rows), as: UTF8.self) + "\n", to: output)
            }
        }
    }

    struct Summary: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Total sessions, averages and last month's energy.")
        @OptionGroup var common: StationDataDirectory
        @Flag(help: "Print JSON.") var json = false
        func run() throws {
            let s = try ConfigCommand.handle { try common.client.historySummary() }
            if json { ConfigCommand.printJSON(s); return }
            print("""
                Total charging sessions       \(s.totalSessions)
                Average duration per session  \(s.averageDurationMinutes) minutes
                Average kWh per session       \(s.averageEnergyKWh) kWh
                Last month (\(s.lastMonth.month))          \(s.lastMonth.sessions) sessions, \(s.lastMonth.energyKWh) kWh
                """)
        }
    }
}

/// Writes text to a file, or to standard output when `path` is nil.
func writeOutput(_ text: String, to path: String?) throws {
    guard let path else {
        StandardStream.output.write(text)
        return
    }
    do { try SystemFile.write(text, to: path) } catch { throw fail("cannot write \(error)") }
}
