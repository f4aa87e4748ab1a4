import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import HostServices
#if canImport(Glibc)
import Glibc
#endif
import StringSupport
import ChargePoint
import EVSECore
import Persistence
import WebUI

/// `chargekit accounts list|reset` (issue 23 item 6): the web interface's accounts of a station or a gateway, read and
/// reset on the device itself. It works on the data directory's SQLite database directly, never through the API: a
/// forgotten password cannot be recovered over the network, only by someone who may write the data directory (root or
/// the station's user). A running station or gateway reads its accounts again at every login and session lookup, so a
/// reset takes effect at once.
struct AccountsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts",
        abstract: "List the web interface's accounts, or give one a new initial password (on the device only).",
        discussion: """
            Works directly on the data directory's database (run it as root or as the station's user), also while the
            station or gateway runs. Never over the network.
            """,
        subcommands: [List.self, Reset.self])

    struct Common: ParsableArguments {
        @Option(name: .customLong("data-dir"), help: "The station's (or with --gateway the gateway's) data directory.")
        var dataDir = "./chargekit-data"
        @Flag(help: "The gateway's accounts instead of the station's.")
        var gateway = false

        /// The accounts' store of the data directory; an absent database is an error (nothing is created here).
        func store() throws -> any AccountStore {
            let file = gateway ? GatewayDatabase.fileName : StationDatabase.fileName
            let path = dataDir.pathAppending(file)
            guard FileManager.default.fileExists(atPath: path) else {
                throw fail("no \(gateway ? "gateway" : "station") database \(path); give the data directory with --data-dir"
                           + (gateway ? "" : " (or --gateway for the gateway's)"))
            }
            guard FileManager.default.isWritableFile(atPath: path) else {
                throw fail("\(path) is not writable for this user; run the command as root or as the station's user")
            }
            do {
                return gateway ? try GatewayDatabase(directory: dataDir) : try StationDatabase(directory: dataDir)
            } catch {
                throw fail("cannot open \(path): \(error)")
            }
        }

        /// Root made files beside the database (its journal): they go back to the data directory's owner, so that the
        /// station's user can open the database again.
        func restoreOwnership() {
            guard geteuid() == 0, let (uid, gid) = SystemFile.owner(dataDir) else { return }
            let base = dataDir.pathAppending(gateway ? GatewayDatabase.fileName : StationDatabase.fileName)
            for file in [base, base + "-wal", base + "-shm"] where FileManager.default.fileExists(atPath: file) {
                _ = chown(file, uid, gid)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the accounts, whether each must change its password, and its last login.")
        @OptionGroup var common: Common
        @Flag(help: "Print JSON.")
        var json = false

        struct Row: Encodable { var name: String; var role: String; var mustChangePassword: Bool; var lastLogin: Date? }

        func run() throws {
            let store = try common.store()
            defer { common.restoreOwnership() }
            let logins = try store.lastLogins()
            let rows = try store.loadAccounts().sorted { $0.role < $1.role }.map {
                Row(name: $0.name, role: $0.role.rawValue, mustChangePassword: $0.mustChangePassword, lastLogin: logins[$0.name])
            }
            if json { ConfigCommand.printJSON(rows); return }
            print("ACCOUNT        ROLE           PASSWORD           LAST LOGIN (UTC)")
            for r in rows {
                let state = r.mustChangePassword ? "must be changed" : "set"
                let last = r.lastLogin.map { Date.ISO8601FormatStyle().format($0) } ?? "never"
                print(r.name.padded(to: 15) + r.role.padded(to: 15)
                      + state.padded(to: 19) + last)
            }
        }
    }

    struct Reset: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give an account a new random initial password (printed once; it must be changed at the next login).",
            discussion: "The old password stops working at once and the account's open sessions end; the security log records the reset.")
        @OptionGroup var common: Common
        @Argument(help: "The account's role: operator, installer or manufacturer.")
        var role: String

        func validate() throws {
            guard Role(rawValue: role) != nil else { throw ValidationError("ROLE must be operator, installer or manufacturer (got \(role))") }
        }

        func run() throws {
            let store = try common.store()
            defer { common.restoreOwnership() }
            let password: String
            do {
                password = try WebAccounts.resetPassword(store: store, role: Role(rawValue: role) ?? .operator, by: Self.consoleUser())
            } catch let e as AccountResetError {
                throw fail(e.description)
            } catch {
                throw fail("the reset failed, nothing was changed: \(error)")
            }
            print("New initial password of \(role): \(password)")
            print("It must be changed at the next login; the old password no longer works and \(role)'s sessions have ended.")
        }

        /// Who reset it, for the security log: the user behind sudo when there is one, and the effective user.
        static func consoleUser() -> String {
            let name = getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "uid \(geteuid())"
            if let sudo = ProcessInfo.processInfo.environment["SUDO_USER"], !sudo.isEmpty, sudo != name { return "\(sudo) (as \(name))" }
            return name
        }
    }
}
