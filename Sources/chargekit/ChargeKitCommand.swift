import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StringSupport
import HostServices
import App
import ChargePoint
import EVSECore
import Hosting
import Runtimes
import Logging
import Simulator
import Boards
import Hardware

/// `chargekit` — the ChargeKit charge point controller (started from main.swift).
struct ChargeKitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chargekit",
        abstract: "ChargeKit — open EV charge point controller.",
        version: ChargeKitVersion.current,
        subcommands: [StationCommand.self, GatewayCommand.self, ConfigCommand.self, WhitelistCommand.self, HistoryCommand.self, SimCommand.self, DLMCommand.self,
                      FirmwareCommand.self, AccountsCommand.self, EEBUSDiscoverCommand.self, ISO15118ListenCommand.self, SLACMatchCommand.self, V2GEXICommand.self])

    /// ArgumentParser's asynchronous entry point (in an async context the async `main()` is chosen).
    static func start() async { await main() }
}

/// Prints a message to standard error and exits with status 1 (request refused) or 2 (station unreachable).
func fail(_ message: String, code: Int32 = 1) -> ExitCode {
    StandardStream.error.write("error: \(message)\n")
    return ExitCode(code)
}

struct StationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "station",
        abstract: "Run the charging station controller.",
        discussion: """
            Serves the local JSON API (status, sessions, events, configuration, simulator control) on --http-port.
            SIGTERM or Ctrl-C stops it gracefully after persisting everything. With --simulate a built-in board
            and simulated vehicles stand in for the hardware; drive them with 'chargekit sim'. With --board FILE the
            station drives the hardware the board description names (see docs/hardware.md).
            """)

    @Option(name: .customLong("data-dir"), help: "Directory for the database and runtime files.")
    var dataDir = "./chargekit-data"
    @Flag(help: "Use the built-in hardware simulator.")
    var simulate = false
    @Option(name: .customLong("board"), help: "The board description (JSON, see docs/hardware.md): the board driver, its link, meters, card reader and inputs.")
    var boardFile: String?
    @Option(help: "Number of connectors (1 or 2); stored as the ConnectorCount parameter.")
    var connectors: Int?
    @Option(name: .customLong("http-host"), help: "Address the web interface and the local API listen on, HTTP and HTTPS (default: the parameter WebBindAddress, 0.0.0.0).")
    var httpHost: String?
    @Option(name: .customLong("http-port"), help: "Port of the web interface and the local API over HTTP (0 = any free port; see station.json).")
    var httpPort = 8080
    @Option(name: .customLong("https-port"), help: "Port of the web interface and the local API over HTTPS (0 = any free port; see station.json; default: the parameter WebHTTPSPort, 8443).")
    var httpsPort: Int?
    @Option(name: .customLong("time-scale"), help: "Simulated seconds per real second (simulator only).")
    var timeScale: Double = 1
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"
    @Option(name: .customLong("modbus-host"),
            help: "Address or interface the Modbus TCP server listens on (when ModbusTCPServer is On); overrides the parameter ModbusTCPServerBindAddress for this run.")
    var modbusHost: String?
    @Option(name: .customLong("semp-host"),
            help: "Address or interface the SEMP interface listens on (when SMAInterface is On); overrides the parameter SMAInterfaceBindAddress for this run.")
    var sempHost: String?
    @Option(name: .customLong("semp-port"), help: "Port of the SEMP interface (announced by SSDP).")
    var sempPort = 8090
    @Option(name: .customLong("semp-interface"), help: "Network interface the station announces itself on by SSDP (default: every IPv4 LAN interface).")
    var sempInterface: String?
    @Option(name: .customLong("eebus-host"),
            help: "Address or interface the EEBUS SHIP listener listens on (when EEBUSInterface is On); overrides the parameter EEBUSBindAddress for this run.")
    var eebusHost: String?
    @Option(name: .customLong("eebus-interface"), help: "Network interface the station announces itself and looks for energy managers on by DNS-SD (default: every IPv4 LAN interface).")
    var eebusInterface: String?
    @Option(name: .customLong("reboot-command"),
            help: "Command run by 'Reboot System' after the station stopped (e.g. 'systemctl reboot'); without it the station services restart.")
    var rebootCommand: String?

    func validate() throws {
        if let c = connectors, !(1...2).contains(c) { throw ValidationError("--connectors must be 1 or 2 (got \(c))") }
        if simulate && boardFile != nil { throw ValidationError("give either --simulate or --board FILE, not both") }
        guard (0...65535).contains(httpPort) else { throw ValidationError("--http-port must be 0 to 65535 (got \(httpPort))") }
        if let p = httpsPort, !(0...65535).contains(p) { throw ValidationError("--https-port must be 0 to 65535 (got \(p))") }
        guard (1...65535).contains(sempPort) else { throw ValidationError("--semp-port must be 1 to 65535 (got \(sempPort))") }
        guard timeScale > 0 && timeScale <= 3600 else { throw ValidationError("--time-scale must be above 0 and at most 3600 (got \(timeScale))") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical (got \(logLevel))")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var h = SanitizingLogHandler(StreamLogHandler.standardError(label: label))
            h.logLevel = level
            return h
        }
        do {
            var connectors = self.connectors
            var description: BoardDescription?
            if let boardFile {
                let d = try Self.readBoard(boardFile)
                if let c = connectors, c != d.connectors.count {
                    throw StartupError("--connectors \(c) contradicts the board description \(boardFile), which has \(d.connectors.count) connector(s)")
                }
                connectors = d.connectors.count
                description = d
            } else if !simulate {
                throw StartupError("no board given: run with --board FILE (the board description of this station's hardware, see docs/hardware.md) or with --simulate to use the built-in simulator")
            }
            let options = StationOptions(dataDirectory: dataDir, connectors: connectors, httpHost: httpHost, httpPort: httpPort, httpsPort: httpsPort,
                                         timeScale: timeScale, logLevel: level, modbusHost: modbusHost, rebootCommand: rebootCommand,
                                         sempHost: sempHost, sempPort: sempPort, sempInterface: sempInterface,
                                         eebusHost: eebusHost, eebusInterface: eebusInterface)
            if let description, description.driver != .simulated {
                let name = "\(description.driver.rawValue) on \(description.link?.address ?? "")"
                // A connector whose board has no lock actuator is a tethered cable (ConnectorKind.n = Cable).
                let fixed = description.connectors.enumerated().compactMap { i, c in
                    c.lock == .none ? (key: "\(StationParameters.connectorKind).\(i + 1)", value: ParameterValue.string(ConnectorKind.cable.rawValue)) : nil
                }
                let board = BoardFactory(name: name, fixedParameters: fixed, plcInterfaces: Self.plcInterfaces(description)) { setup, _, _ in
                    do { return try HardwareBoard.open(description, setup: setup) } catch { throw StartupError("\(name): \(error)") }
                }
                try await StationApp.run(board: board, options)
                return
            }
            // The simulated connector meters sign their readings (OCMF) with keys kept in the data directory.
            let dataDir = self.dataDir
            @Sendable func simulated(_ setup: BoardSetup, _ persisted: Data?, _ now: Date) throws -> SimulatedBoard {
                var board = SimulatedBoard.make(setup, persisted: persisted, now: now)
                board.meterSigners = try SimulatedMeterSigners.loadOrCreate(directory: dataDir, connectors: setup.connectorCount)
                return board
            }
            // A simulated board described with a card reader (rfid): vehicles simulated, cards from the real reader.
            if let description, description.rfid != nil {
                let board = BoardFactory(name: "simulated with a PC/SC card reader", simulated: true,
                                         plcInterfaces: Self.plcInterfaces(description)) { setup, persisted, now in
                    let base = try simulated(setup, persisted, now)
                    do { return try PCSCReaderBoard.open(base, description: description) } catch { throw StartupError("\(error)") }
                }
                try await StationApp.run(board: board, options)
                return
            }
            // A simulated board with powerline modems (plcInterface): simulated vehicles whose ISO 15118 side may be a real
            // EVCC on that interface (`sim plug --hlc external`).
            try await StationApp.run(board: BoardFactory(name: "simulated", simulated: true,
                                                         plcInterfaces: description.map(Self.plcInterfaces) ?? [:], make: simulated), options)
        } catch {
            throw fail("\(error)")
        }
    }
}

extension StationCommand {
    /// Connector (1…n) → the network interface of its powerline modem, as the board description names them.
    static func plcInterfaces(_ d: BoardDescription) -> [Int: String] {
        Dictionary(uniqueKeysWithValues: d.connectors.enumerated().compactMap { i, c in c.plcInterface.map { (i + 1, $0) } })
    }

    /// Reads and checks the board description; an unreadable or wrong one names the file and the field.
    static func readBoard(_ path: String) throws -> BoardDescription {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw StartupError("cannot read the board description \(path): check the path and that the station's user may read it")
        }
        do { return try BoardDescription.read(Array(data)) } catch {
            throw StartupError("board description \(path): \(error)")
        }
    }
}

// MARK: config

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "List, read and change parameters.",
        discussion: """
            Works on a stopped station (directly on its database) and on a running one (through its API).
            Connector parameters are addressed as KEY.1 and KEY.2, e.g. OperatorCurrentLimit.1.
            """,
        subcommands: [List.self, Get.self, Set.self])

    struct Common: ParsableArguments {
        @Option(name: .customLong("data-dir"), help: "The station's data directory.")
        var dataDir = "./chargekit-data"
        @Flag(help: "Print JSON.")
        var json = false
    }

    static func printJSON<T: Encodable>(_ v: T) {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.dateEncodingStrategy = .iso8601
        if let data = try? e.encode(v) { print(String(decoding: data, as: UTF8.self)) }
    }

    static func handle<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as StationClient.Failure {
            if case .unreachable = e { throw fail(e.description, code: 2) }
            throw fail(e.description)
        } catch {
            throw fail("\(error)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every parameter with its value, unit, role and menu.")
        @OptionGroup var common: Common
        @Option(help: "Only parameters of this menu (e.g. Installation).")
        var menu: String?

        func run() throws {
            var views = try handle { try StationClient(dataDirectory: common.dataDir).list() }
            if let menu {
                guard Menu.allCases.contains(where: { $0.rawValue.lowercased() == menu.lowercased() }) else {
                    throw fail("unknown menu '\(menu)'; menus: " + Menu.allCases.map(\.rawValue).joined(separator: ", "))
                }
                views = views.filter { $0.menu.rawValue.lowercased() == menu.lowercased() }
            }
            if common.json { printJSON(views); return }
            let width = (views.map(\.key.count).max() ?? 10) + 2
            for v in views {
                let key = v.key.padded(to: width)
                let value = (v.value.description + (v.unit.map { " \($0)" } ?? "")).padded(to: 22)
                print("\(key)\(value)  \(v.role.rawValue.padded(to: 12))  \(v.menu.rawValue) / \(v.section)")
            }
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one parameter with what is allowed.")
        @OptionGroup var common: Common
        @Argument(help: "Parameter key, e.g. OperatorCurrentLimit.1")
        var key: String

        func run() throws {
            let v = try handle { try StationClient(dataDirectory: common.dataDir).get(key) }
            if common.json { printJSON(v); return }
            print("""
                \(v.key) = \(v.secret ? "(secret, not shown)" : "\(v.value)\(v.unit.map { " \($0)" } ?? "")")
                  \(v.label)
                  default \(v.defaultValue); allowed: \(v.allowed)
                  role \(v.role.rawValue); menu \(v.menu.rawValue) / \(v.section)\(v.restartRequired ? "; takes effect after restart" : "")
                  \(v.help)
                """)
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a parameter (validated; audited with who and when).")
        @OptionGroup var common: Common
        @Option(help: "Role to act as: operator, installer or manufacturer.")
        var role = "installer"
        @Argument(help: "Parameter key, e.g. OperatorCurrentLimit.1")
        var key: String
        @Argument(help: "New value, e.g. 16, On, three, 16,16,16")
        var value: String

        func validate() throws {
            guard Role(rawValue: role) != nil else { throw ValidationError("--role must be operator, installer or manufacturer (got \(role))") }
        }

        func run() throws {
            let v = try handle { try StationClient(dataDirectory: common.dataDir).set(key, text: value, role: Role(rawValue: role) ?? .installer) }
            if common.json { printJSON(v); return }
            // A secret is never shown back (ParameterView carries it empty): say that it was set.
            let shown = v.secret ? "(secret, set)" : "\(v.value)\(v.unit.map { " \($0)" } ?? "")"
            print("\(v.key) = \(shown)\(v.restartRequired ? " (takes effect after restart)" : "")")
        }
    }
}

/// `--data-dir` of the commands that work on a running or a stopped station (whitelist, history, dlm).
struct StationDataDirectory: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The station's data directory.")
    var dataDir = "./chargekit-data"
    var client: StationClient { StationClient(dataDirectory: dataDir) }
}
