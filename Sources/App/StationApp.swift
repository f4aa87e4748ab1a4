#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Hummingbird
import Logging
import ServiceLifecycle
import UnixSignals
import ChargePoint
import MQTTIntegration
import EVSECore
import Hosting
import HostServices
import LoadManagement
import Persistence
import Runtimes
import SEMP
import StationModbus
import WebUI
import Transport
import Synchronization

/// Options of `chargekit station`.
public struct StationOptions: Sendable {
    public var dataDirectory: String
    public var connectors: Int?
    /// The address of the web interface and the API (HTTP and HTTPS); nil: the parameter WebBindAddress.
    public var httpHost: String?
    public var httpPort: Int
    /// The HTTPS port (0 = any free one, published in station.json); nil: the parameter WebHTTPSPort.
    public var httpsPort: Int?
    public var timeScale: Double
    public var logLevel: Logger.Level
    /// `--modbus-host`: overrides the parameter ModbusTCPServerBindAddress for this run (nil: the parameter decides,
    /// issue 23 item 7). An address or an interface name.
    public var modbusHost: String?
    /// Run through `/bin/sh -c` by "Reboot System" once the station stopped (seeds/002 §1.2); nil: the station services
    /// restart instead.
    public var rebootCommand: String?
    /// `--semp-host`: overrides the parameter SMAInterfaceBindAddress for this run (nil: the parameter decides), and the
    /// port of the SEMP HTTP listener (when the parameter SMAInterface is On). Port 0 takes any free one (the
    /// announcement carries the port actually bound).
    public var sempHost: String?
    public var sempPort = 8090
    /// The network interface SSDP announces on; nil: every up IPv4 interface with multicast except loopback.
    public var sempInterface: String?
    /// `--eebus-host`: overrides the parameter EEBUSBindAddress for this run (nil: the parameter decides).
    public var eebusHost: String?
    /// The network interface DNS-SD announces on and browses; nil: every up IPv4 interface with multicast except loopback.
    public var eebusInterface: String?

    public init(dataDirectory: String = "./chargekit-data", connectors: Int? = nil,
                httpHost: String? = nil, httpPort: Int = 8080, httpsPort: Int? = nil, timeScale: Double = 1, logLevel: Logger.Level = .info,
                modbusHost: String? = nil, rebootCommand: String? = nil, sempHost: String? = nil, sempPort: Int = 8090,
                sempInterface: String? = nil, eebusHost: String? = nil, eebusInterface: String? = nil) {
        self.dataDirectory = dataDirectory; self.connectors = connectors
        self.httpHost = httpHost; self.httpPort = httpPort; self.httpsPort = httpsPort; self.timeScale = timeScale; self.logLevel = logLevel
        self.modbusHost = modbusHost; self.rebootCommand = rebootCommand
        self.sempHost = sempHost; self.sempPort = sempPort; self.sempInterface = sempInterface
        self.eebusHost = eebusHost; self.eebusInterface = eebusInterface
    }
}

/// Errors that prevent the station from starting.
public struct StartupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// How the station gets its board at every start. The executable chooses it (`--simulate`: the simulated board); the
/// rest of the station only knows the ``HardwarePort``.
public struct BoardFactory<Board: HardwarePort>: Sendable {
    /// Shown in the start banner ("simulated").
    public var name: String
    /// The simulator: the station starts with the simulation's defaults (``simulationDefaults``).
    public var simulated: Bool
    /// Makes the board; `persisted` is what it asked to keep at the last stop (``HardwarePort/persistentState()``).
    public var make: @Sendable (_ setup: BoardSetup, _ persisted: Data?, _ now: Date) throws -> Board

    /// Parameters the hardware decides (a connector whose board has no lock actuator is a tethered cable): stored at
    /// every start where they differ, audited as changed by the board description.
    public var fixedParameters: [(key: String, value: ParameterValue)]

    /// Connector (1…n) → its powerline modem's network interface (`connectors[].plcInterface` of the board
    /// description): the connector's ISO 15118 servers and SLAC run there while the HLC mode is not Off.
    public var plcInterfaces: [Int: String]

    public init(name: String, simulated: Bool = false, fixedParameters: [(key: String, value: ParameterValue)] = [],
                plcInterfaces: [Int: String] = [:],
                make: @escaping @Sendable (_ setup: BoardSetup, _ persisted: Data?, _ now: Date) throws -> Board) {
        self.name = name; self.simulated = simulated; self.fixedParameters = fixedParameters; self.plcInterfaces = plcInterfaces
        self.make = make
    }

    /// Parameters whose default differs for a simulated station, stored once at its first start unless set before
    /// (issue 23 item 5: "Require signed firmware" is On outside simulation; a simulated station installs nothing, so
    /// it has no install or restore command and takes unsigned test packages).
    static var simulationDefaults: [(key: String, value: ParameterValue)] {
        [(StationParameters.requireSignedFirmware, .bool(false)), (StationParameters.firmwareInstallCommand, .string("")),
         (StationParameters.firmwareRestoreCommand, .string(""))]
    }
}

/// Drives the runtime: a tick every 100 ms of real time until graceful shutdown or a requested restart, then persists.
/// It is the group's leading service: when it returns because a restart was requested, the whole service group shuts
/// down gracefully (``ServiceGroupConfiguration/ServiceConfiguration/successTerminationBehavior``), and
/// ``StationApp/run(board:_:)`` starts it again — the restart is a state, not a task.
struct StationLoop<Board: HardwarePort>: Service {
    let runtime: StationRuntime<Board>
    let restart: RestartRequest
    /// systemd's notification socket when a `Type=notify` unit started the station (nil otherwise).
    var notifier: ServiceNotifier?
    var logger: Logger
    static var tickInterval: Duration { .milliseconds(100) }
    /// Ticks after which the binary's pages that only the start needed are handed back (``StartupPages``): 30 s of
    /// real time, by then the listeners are up, the backend has usually answered the BootNotification and the first
    /// start's accounts and certificate are made.
    static var startupPagesTicks: Int { 300 }

    func run() async throws {
        // The watchdog is kept from here, after each completed tick: a runtime that hangs stops it, and systemd
        // restarts the station after WatchdogSec (the unit's).
        await cancelWhenGracefulShutdown {
            var watchdog = WatchdogKeeper(notifier)
            var ticks = 0
            while !Task.isCancelled && restart.requested == nil {
                try? await Task.sleep(for: Self.tickInterval)
                await runtime.tick()
                watchdog?.turn()
                ticks += 1
                if ticks == Self.startupPagesTicks {
                    let release = StartupPages.release()
                    logger.debug("start-up pages released: \(release.releasedBytes / 1024) KiB of the binary's read-only mappings; page cache \(release.pageCacheDropped ? "dropped" : "kept")")
                }
            }
        }
        if restart.requested == nil { notifier?.stopping() }
        await runtime.shutdown()
    }
}

/// The composition root of the station role.
public enum StationApp {
    /// Meta key set when the station stopped gracefully (so recovery can tell a reboot from a power loss).
    static let cleanShutdownKey = "cleanShutdown"

    /// Runs the station until SIGTERM/SIGINT. Everything is persisted before it returns. An OCPP Reset restarts the
    /// station services in the same process: everything is persisted and shut down, then started anew (a new
    /// BootNotification follows).
    public static func run<Board>(board: BoardFactory<Board>, _ options: StationOptions) async throws {
        while try await runOnce(options, board: board) {}
    }

    /// One life of the station services; returns whether they must start again (Reset).
    static func runOnce<Board>(_ options: StationOptions, board: BoardFactory<Board>) async throws -> Bool {
        var logger = Logger(label: "chargekit.station")
        logger.logLevel = options.logLevel
        guard options.timeScale > 0, options.timeScale <= 3600 else {
            throw StartupError("--time-scale must be above 0 and at most 3600 (got \(options.timeScale))")
        }
        let descriptors = DescriptorBudget.process  // raises the soft descriptor limit before anything opens
        logger.info("descriptor limit \(descriptors.limit): the listeners hold at most \(descriptors.capacity) connections together")
        let dir = DataDirectory(options.dataDirectory)
        let lock = try dir.lock()
        let notifier = ServiceNotifier.fromEnvironment(ProcessInfo.processInfo.environment)
        let assembly = try await assemble(options, board: board, dir: dir, logger: logger)
        let (runtime, database, settings, ocppControl) = (assembly.runtime, assembly.database, assembly.settings, assembly.ocppControl)
        logger[metadataKey: "cp.id"] = "\(settings.chargeBoxIdentity)"
        // The HTTPS certificate (issue 23 item 2): the installer's, or the station's own, made at the first start. Its
        // fingerprint goes next to the initial passwords, so that the first login can be checked.
        let certificates = try WebServerCertificates(dataDirectory: dir.path, role: "station",
                                                     names: .ofThisHost(commonName: settings.chargeBoxIdentity), now: { Date() }, logger: logger,
                                                     changed: { note in Task { await runtime.httpsCertificateChanged(note) } })
        let apiToken = RandomHex.words(2)
        let simulator = runtime as? any SimulatorControl
        // The network service (issue 24 item 1), detected once per process; a simulated station leaves the host's network
        // alone unless a bus or a service is named explicitly (as the OS clock below).
        _ = await StationNetwork.shared.configService(logLevel: options.logLevel, dataDirectory: dir.path, simulated: simulator != nil)
        let router = StationAPI.router(station: runtime, simulator: simulator,
                                       web: try WebInterface(station: runtime, accounts: assembly.accounts, simulator: simulator, certificates: certificates),
                                       apiToken: apiToken, metrics: runtime, certificates: certificates)
        var httpLogger = Logger(label: "chargekit.http")
        httpLogger.logLevel = .warning
        let web = assembly.web
        let host = options.httpHost ?? web.bindAddress
        let ports = WebPorts()
        // station.json once both listeners are bound (either port may be 0: any free one), so that the API is usable at
        // once; the initial passwords, the banner and systemd's READY once the first start's accounts are stored too
        // (``FirstStartAccounts``), so that no password is shown that a kill could still lose.
        let published: @Sendable (WebPorts.Milestones) -> Void = { milestones in
            if let (http, https) = milestones.listening {
                try? dir.writeRuntime(DataDirectory.RuntimeInfo(pid: getpid(), httpHost: host, httpPort: http, httpsPort: https,
                                                                tlsCertificate: certificates.certificatePath, startedAt: Date(), apiToken: apiToken))
            }
            guard let (http, https, created) = milestones.ready else { return }
            let shown = WebPorts.shownHost(host)
            StandardStream.output.write(WebAccounts.initialPasswordsNotice(created, fingerprint: certificates.fingerprint)
                                        + StationBanner.text(settings, board: board.name, timeScale: options.timeScale,
                                                             web: "http://\(shown):\(http)", secureWeb: "https://\(shown):\(https)",
                                                             fingerprint: certificates.fingerprint, dataPath: dir.path))
            notifier?.ready(status: "web interface on ports \(http) and \(https)")
        }
        let responder = router.buildResponder()
        let boundHTTPSPort: @Sendable () -> Int? = { ports.https }
        let redirectTo = web.redirect ? boundHTTPSPort : nil
        let plainResponder = WebListenerResponder(responder, overTLS: false, redirectToHTTPSPort: redirectTo)
        let secureResponder = WebListenerResponder(responder, overTLS: true, redirectToHTTPSPort: nil)
        let app = Application(
            responder: plainResponder,
            server: .guardedHTTP1(name: "HTTP", logger: httpLogger),
            configuration: .init(address: .hostname(host, port: options.httpPort), serverName: "ChargeKit"),
            onServerRunning: { channel in
                published(ports.bound(http: channel.localAddress?.port ?? options.httpPort))
            },
            logger: httpLogger)
        let httpsPort = options.httpsPort ?? web.httpsPort
        let secureApp = Application(
            responder: secureResponder,
            server: .guardedHTTPS(name: "HTTPS", tls: certificates.tls, logger: httpLogger),
            configuration: .init(address: .hostname(host, port: httpsPort), serverName: "ChargeKit"),
            onServerRunning: { channel in
                published(ports.bound(https: channel.localAddress?.port ?? httpsPort))
            },
            logger: httpLogger)
        let restart = RestartRequest()
        var services: [any Service] = [app, secureApp, runtime.jobs.service]
        let accountsService = FirstStartAccounts(accounts: assembly.accounts) { published(ports.accountsStored($0)) }
        // The USB stick's directory (seeds/004 §8 "Met USB-stick"), looked at while the services run.
        _ = runtime.jobs.start { await runtime.watchUSBSticks() }
        if settings.modbus.enabled {
            var modbusLogger = Logger(label: "chargekit.modbus")
            modbusLogger.logLevel = options.logLevel
            let modbusHost = try listenHost(options.modbusHost, "--modbus-host", parameter: settings.listeners.modbus,
                                            StationParameters.modbusBindAddress, logger: logger)
            services.append(ModbusTCPServer(host: modbusHost, basePort: settings.modbus.basePort,
                                            connectors: settings.connectorCount, handler: runtime, logger: modbusLogger,
                                            limits: ConnectionLimits(maxConnections: settings.modbus.maxConnections,
                                                                     maxPerAddress: ModbusTCPServer.defaultLimits.maxPerAddress),
                                            idleTimeout: settings.modbus.idleTimeout))
        }
        var meterLogger = Logger(label: "chargekit.meter")
        meterLogger.logLevel = options.logLevel
        if let grid = settings.gridMeter {
            services.append(MeterPoller(endpoint: grid, target: .grid, interval: settings.meterPollInterval, runtime: runtime, logger: meterLogger))
        }
        for (i, meter) in settings.chargeMeters.enumerated() {
            guard let meter else { continue }
            services.append(MeterPoller(endpoint: meter, target: .connector(i + 1), interval: settings.meterPollInterval, runtime: runtime,
                                        logger: meterLogger))
        }
        let dlm = settings.dlm
        if dlm.mode.usesLink {
            if let problem = dlm.linkProblem {
                logger.warning("\(problem)")
            } else {
                var dlmLogger = Logger(label: "chargekit.dlm")
                dlmLogger.logLevel = options.logLevel
                // The master receives reports on the DLM link port; a slave uses any free port (the master answers
                // to it) and an Auto-Discovery slave listens for announcements on the shared discovery port.
                let dlmHost = try listenHost(nil, "", parameter: settings.listeners.dlm, StationParameters.dlmBindAddress, logger: logger)
                services.append(DLMLinkService(host: dlmHost, port: dlm.mode.isMaster ? dlm.linkPort : 0,
                                               discoveryPort: dlm.mode == .slaveAutoDiscovery ? dlm.discoveryPort : nil,
                                               broadcastHost: dlm.broadcastAddress, broadcastPort: dlm.discoveryPort,
                                               handler: runtime, logger: dlmLogger))
                logger.info("DLM \(dlm.mode.rawValue) on network \(dlm.networkId)")
            }
        }
        if settings.semp.enabled { services += try sempServices(options, runtime: runtime, settings: settings) }
        if settings.eebus.enabled { services += try await eebusServices(options, runtime: runtime, settings: settings, dataDirectory: dir.path) }
        // ISO 15118 (issue 27): each connector with a powerline modem gets its SECC, SDP and SLAC.
        for (n, interface) in board.plcInterfaces.sorted(by: { $0.key < $1.key }) where n <= settings.connectorCount {
            var hlcLogger = Logger(label: "chargekit.iso15118")
            hlcLogger.logLevel = options.logLevel
            services.append(SECCConnectorService(runtime: runtime, connector: n, interface: interface, logger: hlcLogger))
            logger.info("ISO 15118 on connector \(n): PLC interface \(interface) (HLC mode \(settings.hlc.mode.label))")
        }
        if let ocppControl {
            var ocppLogger = Logger(label: "chargekit.ocpp")
            ocppLogger.logLevel = options.logLevel
            ocppLogger[metadataKey: "cp.id"] = "\(settings.chargeBoxIdentity)"
            services.append(OCPPWebSocketClient(control: ocppControl, delegate: runtime, logger: ocppLogger))
            logger.info("OCPP-J 1.6 backend \(ocppControl.settings.url)")
        }
        // E-mail alerts (issue 24 item 5): always running, idle until a server, a sender and a recipient are set.
        var mailLogger = Logger(label: "chargekit.mail")
        mailLogger.logLevel = options.logLevel
        services.append(MailAlertService(runtime: runtime, database: assembly.database, logger: mailLogger))
        // The service port's DHCP server and WAN router (issue 24 item 2): idle until switched on.
        var routerLogger = Logger(label: "chargekit.router")
        routerLogger.logLevel = options.logLevel
        services.append(ServicePortService(runtime: runtime, dataDirectory: dir.path, logger: routerLogger))
        // The host's services on the system bus (ModemManager …): one connection per life of the station services.
        var busLogger = Logger(label: "chargekit.dbus")
        busLogger.logLevel = options.logLevel
        let systemBus = DBusConnection(logger: busLogger)
        // The mobile modem (issue 24 item 3): polls ModemManager, acts when Connection Type is GSM.
        var modemLogger = Logger(label: "chargekit.modem")
        modemLogger.logLevel = options.logLevel
        services.append(MobileModemService(runtime: runtime, bus: systemBus, logger: modemLogger))
        // The OS clock, time zone and NTP servers (issue 24 item 4) through timedated. A simulated station leaves the
        // host's clock alone unless a bus is named explicitly (the interop tests' private bus).
        if simulator == nil || ProcessInfo.processInfo.environment["DBUS_SYSTEM_BUS_ADDRESS"] != nil {
            var timeLogger = Logger(label: "chargekit.time")
            timeLogger.logLevel = options.logLevel
            services.append(OSTimeService(runtime: runtime, bus: systemBus, logger: timeLogger))
        } else {
            await runtime.osClockUpdated(OSClockStatus(managed: false, note: "a simulated station leaves the host's clock alone (DBUS_SYSTEM_BUS_ADDRESS is not set)"))
        }
        if let mqtt = assembly.mqtt {
            var mqttLogger = Logger(label: "chargekit.mqtt")
            mqttLogger.logLevel = options.logLevel
            services.append(MQTTClient(configuration: StationMQTTLink<Board>.configuration(mqtt.settings, bridge: mqtt),
                                       delegate: StationMQTTLink(runtime: runtime, bridge: mqtt), logger: mqttLogger))
            logger.info("MQTT broker \(mqtt.settings.host):\(mqtt.settings.port)\(mqtt.settings.tls ? " (TLS)" : ""), topics \(mqtt.base)/")
        }
        let loop = ServiceGroupConfiguration.ServiceConfiguration.named(StationLoop(runtime: runtime, restart: restart, notifier: notifier, logger: logger),
                                                                         successTerminationBehavior: .gracefullyShutdownGroup)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [loop, accountsService.configuration] + services.map { .named($0) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        await runtime.setRestartHandler { kind in restart.request(kind) }
        do {
            try await group.run()
        } catch {
            dir.removeRuntime()
            throw StartupError("station stopped: \(error)")
        }
        await systemBus.close()
        try database.setMeta(cleanShutdownKey, "1")
        // Every service stops within a second of the request; longer means one of them held the restart up (and the
        // station was without its web interface meanwhile), which the log must show.
        if let elapsed = restart.elapsed, elapsed > .seconds(5) {
            let tenths = (Double(elapsed.components.seconds) * 10 + Double(elapsed.components.attoseconds) / 1e17).rounded()
            logger.warning("stopping the station services for the restart took \(Int(tenths) / 10).\(Int(tenths) % 10) s")
        }
        // The factory reset happens while this process still holds the data directory.
        if restart.requested == .factoryReset {
            try database.factoryReset(at: Date(), secretKeys: ParameterRegistry(connectorCount: 2).secretKeys)
        }
        dir.removeRuntime()
        withExtendedLifetime(lock) {}
        switch restart.requested {
        case nil:
            break
        case .services:
            logger.notice("station services restarting")
            return true
        case .factoryReset:
            logger.notice("factory reset done: every setting is back to its default; the station services restart")
            return true
        case .reboot:
            guard let command = options.rebootCommand else {
                logger.notice("reboot requested; no --reboot-command is configured, so the station services restart")
                return true
            }
            logger.notice("rebooting: \(command)")
            let status: Int32
            do { status = try await SystemCommand("/bin/sh", ["-c", command]).run(timeoutSeconds: 300).status } catch {
                logger.error("the reboot command failed (\(error)); the station services restart")
                return true
            }
            guard status == 0 else {
                logger.error("the reboot command failed (exit \(status)); the station services restart")
                return true
            }
            return false
        }
        logger.info("station stopped; everything persisted")
        return false
    }

    /// The station's parts on a data directory, ready to run, without any listener: the runtime (recovered from the
    /// database), its OCPP settings and the web accounts. Used by ``runOnce(_:)`` and the router tests.
    struct Assembly<Board: HardwarePort> {
        var runtime: StationRuntime<Board>
        var database: StationDatabase
        var settings: StationSettings
        /// The OCPP connection's settings, changeable while it runs (nil: no backend).
        var ocppControl: OCPPConnectionControl?
        var accounts: WebAccounts
        /// The MQTT client's topics and state when MQTT is on (menu Network, MQTT), else nil.
        var mqtt: StationMQTT?
        /// The web listener's parameters (issue 23 item 2).
        var web: (bindAddress: String, httpsPort: Int, redirect: Bool)
    }

    static func assemble<Board>(_ options: StationOptions, board factory: BoardFactory<Board>, dir: DataDirectory,
                                logger: Logger) async throws -> Assembly<Board> {
        let database = try StationDatabase(directory: dir.path)
        var parameters = try ParameterService(store: database, connectorCount: options.connectors)
        try database.redactAudit(keys: parameters.registry.secretKeys)
        if let n = options.connectors, parameters.values[.connectorCount] != n {
            try parameters.set(StationParameters.connectorCount, .integer(n), role: .manufacturer, changedBy: "cli:--connectors", now: Date())
        }
        for (key, value) in factory.fixedParameters where (try? parameters.get(key).value) != value {
            try parameters.set(key, value, role: .manufacturer, changedBy: "board description", now: Date())
        }
        if factory.simulated, try database.meta("simulation.defaults") != "1" {
            for (key, value) in BoardFactory<Board>.simulationDefaults where parameters.values.stored[key] == nil {
                try parameters.set(key, value, role: .manufacturer, changedBy: "cli:--simulate", now: Date())
            }
            try database.setMeta("simulation.defaults", "1")
        }
        let settings = StationSettings(parameters.values)
        var logger = logger
        logger[metadataKey: "cp.id"] = "\(settings.chargeBoxIdentity)"
        // No mark at all: the services never ran on this database (the first start), so nothing was interrupted.
        let clean = try database.meta(cleanShutdownKey).map { $0 == "1" } ?? true
        try database.setMeta(cleanShutdownKey, "0")
        let origin = max(Date(), try database.latestTimestamp() ?? .distantPast)
        let clock = ScaledClock(origin: origin, scale: options.timeScale)
        let now = clock.now()

        let setup = BoardSetup(connectorCount: settings.connectorCount, voltageV: settings.powerSourceVoltageV,
                               phaseCount: settings.connectors.map { $0.phasesConnected.phaseCount }, meterFailedPolls: settings.meterFailedPolls,
                               hasLockActuator: settings.connectors.map(\.hasLockActuator))
        var board = try factory.make(setup, try database.hardwareState(), clock.monotonicNow())

        // Recovery may close sessions: their StopTransaction must be queued like any other when a backend is configured.
        let controller = StationController(settings: settings, board: board.readInputs(), store: database, now: now,
                                           previousShutdownClean: clean, backendConfigured: BackendSettings(parameters.values).enabled)
        let runtime = StationRuntime(controller: controller, board: board, parameters: parameters, database: database, clock: clock,
                                     logger: logger)
        await runtime.restoreAvailability()
        let ocppControl = await runtime.setUpOCPP(version: ChargeKitVersion.current, dataDirectory: dir.path)
        // An unconfirmed firmware update is counted (or rolled back) before the services start (issue 23 item 5).
        await runtime.firmwareAtStart(dataDirectory: dir.path)
        // Security whitepaper ed. 3 §8: StartupOfTheDevice (critical) at every start of the station's services.
        await runtime.securityEventAtStart(version: ChargeKitVersion.current, previousShutdownClean: clean)
        await runtime.tick()
        await runtime.stepOnBoardChanges()

        // The web interface's accounts; those missing at the first start are made by ``FirstStartAccounts`` while the
        // services run.
        let accounts = try WebAccounts(store: database)
        await accounts.observeLockouts { account, source, until in runtime.recordLoginLockout(account: account, source: source, until: until) }
        let securityLog = runtime.localSecurityLog
        await accounts.observeSecurityEvents { event, techInfo in securityLog.record(event, techInfo) }
        await runtime.setUpLocalFirmware(dataDirectory: dir.path) { await accounts.passwordMatches(account: Role.operator.rawValue, $0) }
        let mqtt = MQTTSettings(parameters.values).map {
            StationMQTT(settings: $0, identity: settings.chargeBoxIdentity, version: ChargeKitVersion.current)
        }
        return Assembly(runtime: runtime, database: database, settings: settings, ocppControl: ocppControl, accounts: accounts, mqtt: mqtt,
                        web: (parameters.values[.webBindAddress], parameters.values[.webHTTPSPort], parameters.values[.webHTTPRedirect]))
    }
}

/// The ports the two web listeners bound (either may have been asked for as 0) and the first start's initial accounts:
/// the listeners and ``FirstStartAccounts`` finish in any order, and each milestone must be acted on exactly once.
final class WebPorts: Sendable {
    /// What became known with one update; each is non-nil exactly once in the life of the services.
    struct Milestones {
        /// Both listeners are bound: (http, https).
        var listening: (http: Int, https: Int)?
        /// Both are bound and the initial accounts are stored: what to announce.
        var ready: (http: Int, https: Int, created: [(name: String, password: String)])?
    }

    private struct State {
        var http: Int?
        var https: Int?
        var created: [(name: String, password: String)]?
        var listening = false
        var ready = false
    }

    private let state = Mutex(State())
    @discardableResult func bound(http: Int) -> Milestones { update { $0.http = http } }
    @discardableResult func bound(https: Int) -> Milestones { update { $0.https = https } }
    func accountsStored(_ created: [(name: String, password: String)]) -> Milestones { update { $0.created = created } }
    var https: Int? { state.withLock { $0.https } }

    private func update(_ change: (inout State) -> Void) -> Milestones {
        state.withLock { s in
            change(&s)
            var m = Milestones()
            guard let http = s.http, let https = s.https else { return m }
            if !s.listening {
                s.listening = true
                m.listening = (http, https)
            }
            if let created = s.created, !s.ready {
                s.ready = true
                m.ready = (http, https, created)
            }
            return m
        }
    }

    /// The address a local client uses for a listener on `host` (every interface: the loopback one).
    static func shownHost(_ host: String) -> String {
        switch host {
        case "0.0.0.0": "127.0.0.1"
        case "::": "[::1]"
        default: host.contains(":") ? "[\(host)]" : host
        }
    }
}

/// Set when the station services must start again (OCPP Reset, firmware installation, web interface), and how.
final class RestartRequest: Sendable {
    private let state = Mutex<(kind: StationRestart, at: ContinuousClock.Instant)?>(nil)
    func request(_ k: StationRestart) { state.withLock { $0 = (k, .now) } }
    var requested: StationRestart? { state.withLock { $0?.kind } }
    /// How long ago the restart was requested (nil: none was).
    var elapsed: Duration? { state.withLock { $0.map { $0.at.duration(to: .now) } } }
}
