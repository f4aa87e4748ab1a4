#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import Logging
import ServiceLifecycle
import UnixSignals
import ChargePoint
import EVSECore
import Gateway
import HostConfig
import HostServices
import Hosting
import Hummingbird
import HummingbirdCore
import MetricsExporter
import ModbusTCP
import WebUI
import Persistence
import Runtimes
import Transport

/// Options of `chargekit gateway`; settings given here are saved in the gateway's database.
public struct GatewayOptions: Sendable {
    public var dataDirectory: String
    public var logLevel: Logger.Level
    /// `--host`: where the OCPP and Modbus servers listen, saved as their settings ocppBindAddress and
    /// modbusTCPBindAddress like every option of the gateway (nil: the stored settings decide).
    public var host: String?
    /// Address and port of the web configuration (0 = any free port, published in gateway.json); a nil address: the
    /// setting webBindAddress.
    public var httpHost: String?
    public var httpPort: Int
    /// The HTTPS port (0 = any free one, published in gateway.json); nil: the setting httpsPort.
    public var httpsPort: Int?
    /// Changes to the stored settings (applied, validated and saved at start).
    public var changes: @Sendable (inout GatewaySettings) -> Void

    /// The web configuration's port when none is given (the station's is 8080, so both can run on one machine).
    public static let defaultHTTPPort = 8090

    public init(dataDirectory: String = "./chargekit-gateway", logLevel: Logger.Level = .info, host: String? = nil,
                httpHost: String? = nil, httpPort: Int = defaultHTTPPort, httpsPort: Int? = nil,
                changes: @escaping @Sendable (inout GatewaySettings) -> Void = { _ in }) {
        self.dataDirectory = dataDirectory; self.logLevel = logLevel; self.host = host; self.httpHost = httpHost; self.httpPort = httpPort
        self.httpsPort = httpsPort
        self.changes = changes
    }
}

/// Hands the RTU slave's requests to the runtime as RTU requests (the diagnostics tell TCP and RTU apart).
struct GatewayRTUHandler: ModbusRequestHandler {
    let runtime: GatewayRuntime
    func handleModbus(connector: Int, unitID: UInt8, request: ModbusRequest) async -> ModbusResponse {
        await runtime.modbus(request, unitID: unitID, via: .rtu)
    }
}

/// Keeps systemd's watchdog while the gateway's actors answer (the web configuration's controller and the running
/// gateway services' runtime, which a hung loop would block), and says `STOPPING=1` when the gateway is asked to stop.
/// Services that failed to start do not stop it: the gateway runs on and shows the failure on its Diagnostic page.
struct GatewayWatchdog: Service {
    let controller: GatewayController
    let notifier: ServiceNotifier

    func run() async {
        await cancelWhenGracefulShutdown {
            var watchdog = WatchdogKeeper(notifier)
            while !Task.isCancelled {
                await controller.probe()
                watchdog?.turn()
                try? await Task.sleep(for: .seconds(1))
            }
        }
        notifier.stopping()
    }
}

/// The composition root of the gateway role.
public enum GatewayApp {
    /// The host's name, the gateway's name in its self-signed certificate ("chargekit-gateway" when it has none).
    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "chargekit-gateway" }
        let name = String(cString: buffer)
        return name.isEmpty || name.count > 64 ? "chargekit-gateway" : name
    }

    /// The OCPP server's caps: at most what the process's descriptor budget leaves after the web interface's and the
    /// BMS port's caps, so that a flood of charger connections never locks out the BMS or the installer.
    static func ocppLimits(_ budget: DescriptorBudget) -> ConnectionLimits {
        let others = HTTPServerBuilder.webLimits.maxConnections + ModbusTCPServer.defaultLimits.maxConnections
        return ConnectionLimits(maxConnections: min(OCPPWebSocketServer.maxConnections, budget.capacity - others),
                                maxPerAddress: OCPPWebSocketServer.maxHandshakesPerAddress)
    }

    /// Loads the settings, applies the command line's changes, validates them (the wss certificate and key included)
    /// and saves them; the services read them from the database.
    static func applyCommandLine(_ options: GatewayOptions, database: GatewayDatabase) throws {
        let stored = try database.loadSettings()
        var settings = stored ?? GatewaySettings()
        options.changes(&settings)
        if let host = options.host {
            settings.set(.ocppBindAddress, host)
            settings.set(.modbusTCPBindAddress, host)
        }
        let problems = GatewayController.problems(settings)
        guard problems.isEmpty else {
            throw StartupError("invalid gateway settings:\n" + problems.map { "  \($0.field): \($0.message)" }.joined(separator: "\n"))
        }
        if settings != stored { try database.saveSettings(settings) }
    }

    /// Runs the gateway until SIGTERM/SIGINT: the web configuration, and the gateway services (OCPP server, Modbus TCP
    /// and RTU, the runtime), which restart in-process whenever the web configuration saves new settings.
    public static func run(_ options: GatewayOptions) async throws {
        var logger = Logger(label: "chargekit.gateway")
        logger.logLevel = options.logLevel
        let descriptors = DescriptorBudget.process  // raises the soft descriptor limit before anything opens
        // Every charger holds a descriptor: the limit in force decides how many can connect (at most
        // OCPPWebSocketServer.maxConnections), so it is logged with what the start raised it from.
        logger.info("descriptor limit \(descriptors.limit)\(descriptors.raisedFrom.map { " (raised from \($0))" } ?? ""): the listeners hold at most \(descriptors.capacity) connections together, the OCPP port \(ocppLimits(descriptors).maxConnections)")
        let dir = DataDirectory(options.dataDirectory, role: "gateway")
        let lock = try dir.lock()
        let notifier = ServiceNotifier.fromEnvironment(ProcessInfo.processInfo.environment)
        let database = try GatewayDatabase(directory: dir.path)
        try applyCommandLine(options, database: database)
        // The web configuration's accounts; those missing at the first start are made by ``FirstStartAccounts`` while the
        // services run, and their initial passwords printed once stored.
        let accounts = try WebAccounts(store: database)
        let securityLog = LocalSecurityLog(store: database, logger: logger)
        await accounts.observeSecurityEvents { event, techInfo in securityLog.record(event, techInfo) }
        // The HTTPS certificate (issue 23 item 2), named after this host; its fingerprint next to the initial passwords.
        let web = try database.loadSettings() ?? GatewaySettings()
        let certificates = try WebServerCertificates(dataDirectory: dir.path, role: "gateway", names: .ofThisHost(commonName: GatewayApp.hostName()),
                                                     now: { Date() }, logger: logger,
                                                     changed: { note in securityLog.record(.certificateChanged, note) })
        let controller = GatewayController(database: database, options: options, directory: dir, logger: logger, certificates: certificates,
                                           webHost: options.httpHost ?? web.webBindAddress)
        let router = Router(context: WebRequestContext.self)
        router.add(middleware: CanonicalPathMiddleware())  // before every route: one spelling per path
        try GatewayWeb(gateway: controller, accounts: accounts, version: ChargeKitVersion.current, metrics: controller,
                       certificates: certificates).addRoutes(to: router)
        GatewayAPI.addRoutes(to: router, gateway: controller, accounts: accounts, apiToken: controller.apiToken, version: ChargeKitVersion.current,
                             certificates: certificates)
        var httpLogger = Logger(label: "chargekit.gateway.http")
        httpLogger.logLevel = .warning
        let responder = router.buildResponder()
        let host = options.httpHost ?? web.webBindAddress
        let httpsPort = options.httpsPort ?? web.httpsPort
        let secured = WebPorts()
        let boundHTTPSPort: @Sendable () -> Int? = { secured.https }
        let plainResponder = WebListenerResponder(responder, overTLS: false, redirectToHTTPSPort: web.httpRedirect ? boundHTTPSPort : nil)
        let secureResponder = WebListenerResponder(responder, overTLS: true, redirectToHTTPSPort: nil)
        let app = Application(responder: plainResponder,
                              server: .guardedHTTP1(name: "HTTP", logger: httpLogger),
                              configuration: .init(address: .hostname(host, port: options.httpPort), serverName: "ChargeKit"),
                              onServerRunning: { channel in
                                  let port = channel.localAddress?.port ?? options.httpPort
                                  await controller.bound(\.http, port)
                                  notifier?.ready(status: "web configuration on port \(port)")
                              },
                              logger: httpLogger)
        let secureApp = Application(responder: secureResponder,
                                    server: .guardedHTTPS(name: "HTTPS", tls: certificates.tls, logger: httpLogger),
                                    configuration: .init(address: .hostname(host, port: httpsPort), serverName: "ChargeKit"),
                                    onServerRunning: { channel in
                                        let port = channel.localAddress?.port ?? httpsPort
                                        secured.bound(https: port)
                                        await controller.bound(\.https, port)
                                    },
                                    logger: httpLogger)
        var services: [any Service] = [app, secureApp, controller.restarter.service(running: controller)]
        if let notifier { services.append(GatewayWatchdog(controller: controller, notifier: notifier)) }
        let accountsService = FirstStartAccounts(accounts: accounts) {
            StandardStream.output.write(WebAccounts.initialPasswordsNotice($0, fingerprint: certificates.fingerprint))
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [accountsService.configuration] + services.map { .named($0) },
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            dir.removeRuntime()
            throw StartupError("gateway stopped: \(error)")
        }
        dir.removeRuntime()
        withExtendedLifetime(lock) {}
        logger.info("gateway stopped; everything persisted")
    }
}

/// The running gateway as the web configuration sees it (``GatewayService``): the stored settings, the current
/// runtime and its restarts. Its services (the runtime, the OCPP server, Modbus TCP and RTU) are built from the stored
/// settings and restarted by ``restarter`` when new ones are saved; a failure after the first start is shown on the
/// Diagnostic page and retried.
actor GatewayController: GatewayService, RestartableServices, GatewayMetricsSource {
    let database: GatewayDatabase
    let options: GatewayOptions
    let directory: DataDirectory
    let logger: Logger
    nonisolated let restarter: ServiceRestarter
    /// The Prometheus counters: kept across the services' restarts, handed to each runtime.
    nonisolated let metrics = GatewayMetrics()
    /// The bearer token of the local API (``GatewayAPI``): new at every start of the process, published in gateway.json.
    nonisolated let apiToken = RandomHex.words(2)
    private var runtime: GatewayRuntime?
    private var failureText: String?
    typealias Ports = (ocpp: Int?, modbus: Int?, http: Int?, https: Int?)
    private var ports: Ports = (nil, nil, nil, nil)
    /// The HTTPS certificate of the web configuration (its fingerprint in the banner, its file in gateway.json).
    let certificates: WebServerCertificates?
    /// The web configuration's address.
    let webHost: String
    private var running: GatewaySettings?
    private var starts = 0

    init(database: GatewayDatabase, options: GatewayOptions, directory: DataDirectory, logger: Logger, certificates: WebServerCertificates? = nil,
         webHost: String = "127.0.0.1") {
        self.database = database; self.options = options; self.directory = directory; self.logger = logger
        self.certificates = certificates; self.webHost = webHost
        restarter = ServiceRestarter(logger: logger)
    }

    /// Every problem of `settings`: ranges and the charger list, and whether the wss files can be used.
    static func problems(_ settings: GatewaySettings) -> [SettingProblem] {
        var problems = settings.problems()
        if problems.isEmpty, !settings.ocppTLSCertificateFile.isEmpty {
            do {
                _ = try GatewayRuntime.tlsContext(settings)
                _ = try GatewayRuntime.clientCertificateCheck(settings)
            } catch let e as TLSFileError {
                let field: String
                switch e.file {
                case .certificate: field = "ocppTLSCertificateFile"
                case .key: field = "ocppTLSKeyFile"
                case .clientCA: field = "ocppClientCAFile"
                }
                problems.append(SettingProblem(field, e.description))
            } catch {
                problems.append(SettingProblem("ocppTLSCertificateFile", "\(error)"))
            }
        }
        return problems
    }

    // MARK: GatewayService

    func settings() throws -> GatewaySettings { try database.loadSettings() ?? GatewaySettings() }

    func apply(_ settings: GatewaySettings, by: String) async throws {
        let problems = Self.problems(settings)
        guard problems.isEmpty else { throw SettingsRejected(problems) }
        let before = try? self.settings()
        try database.saveSettings(settings)
        logger.notice("settings saved by \(by); the gateway services restart with them")
        let changed = before.map { GatewaySettingsChanges.names(from: $0, to: settings) } ?? ["all settings"]
        if !changed.isEmpty {
            LocalSecurityLog(store: database, logger: logger).record(.configurationChanged, "by \(by): \(changed.joined(separator: ", "))")
        }
        await restarter.restart()
    }

    func scannedChargers() throws -> [ScannedCharger] { try database.scannedChargers() }
    func dismissScan(_ id: String) throws { try database.deleteScan(id: id) }
    func failure() -> String? { failureText }
    func transactions(limit: Int) throws -> [GatewayTransactionRecord] { try database.transactions(limit: limit) }
    func securityLog(limit: Int) throws -> [SecurityLogEntry] { try database.securityLog(from: nil, to: nil, limit: limit) }

    func diagnostics() async -> GatewayDiagnostics? {
        guard let runtime else { return nil }
        var d = await runtime.diagnostics()
        d.ocppPort = ports.ocpp
        d.modbusTCPPort = ports.modbus
        return d
    }

    // MARK: GatewayMetricsSource

    /// The stored settings' metrics switch and token (a change takes effect with the save, before the restart).
    func metricsAccess() -> MetricsAccess {
        let s = (try? settings()) ?? GatewaySettings()
        return MetricsAccess(enabled: s.metricsEnabled, token: s.metricsToken)
    }

    func metricsDiagnostics() async -> (diagnostics: GatewayDiagnostics?, mode: GatewayMode) {
        (await diagnostics(), running?.mode ?? ((try? settings()) ?? GatewaySettings()).mode)
    }

    // MARK: RestartableServices

    /// The runtime and the servers, from the stored settings.
    func makeServices() async throws -> [any Service] {
        let settings = try settings()
        let tlsContext = try GatewayRuntime.tlsContext(settings)
        let clientCertificates = try GatewayRuntime.clientCertificateCheck(settings)
        let runtime = try GatewayRuntime(settings: settings, database: database, logger: self.logger, metrics: metrics,
                                         clientCertificates: clientCertificates)
        func logger(labeled label: String) -> Logger {
            var l = Logger(label: label)
            l.logLevel = options.logLevel
            return l
        }
        var services: [any Service] = [
            Ticker(every: .milliseconds(Int(CentralSystem.tickIntervalSeconds * 1000))) { await runtime.tick() },  // timeouts, the Heartbeat register
            runtime.upstreamClients.service,
            OCPPWebSocketServer(host: try Self.bindHost(settings.ocppBindAddress, setting: "ocppBindAddress"), port: settings.ocppPort, tls: tlsContext,
                                requestsClientCertificates: clientCertificates != nil, delegate: runtime, logger: logger(labeled: "chargekit.gateway.ocpp"),
                                limits: GatewayApp.ocppLimits(.process), onBound: { port in await self.bound(\.ocpp, port) }),
        ]
        if settings.modbusTCPEnabled {
            services.append(ModbusTCPServer(host: try Self.bindHost(settings.modbusTCPBindAddress, setting: "modbusTCPBindAddress"),
                                            basePort: settings.modbusTCPPort, connectors: 1, handler: runtime,
                                            logger: logger(labeled: "chargekit.gateway.modbus"), portSetting: "the gateway's Modbus TCP port (web configuration or --modbus-port)",
                                            onBound: { ports in await self.bound(\.modbus, ports.first) }))
        }
        if let mqtt = runtime.mqttClient(settings, logger: logger(labeled: "chargekit.gateway.mqtt")) { services.append(mqtt) }
        if !settings.rtuDevice.isEmpty {
            services.append(ModbusRTUSlave(settings: SerialSettings(device: settings.rtuDevice, baudRate: settings.rtuBaudRate,
                                                                    parity: settings.rtuParity, stopBits: settings.rtuStopBits),
                                           unitID: UInt8(settings.modbusUnitID), handler: GatewayRTUHandler(runtime: runtime),
                                           logger: logger(labeled: "chargekit.gateway.rtu")))
        }
        self.runtime = runtime
        running = settings
        starts += 1
        ports.ocpp = nil
        ports.modbus = nil
        return services
    }

    /// A listener's host from its bind address setting (issue 23 item 7): an interface name is resolved to its address
    /// now; an unknown one fails the services' start with a message naming it (shown on the Diagnostic page, retried).
    static func bindHost(_ text: String, setting: String) throws -> String {
        guard let address = ListenAddress(text) else { throw StartupError("\(setting) '\(text)': \(ListenAddress.problem(text) ?? "")") }
        do { return try InterfaceAddresses.bindHost(address, setting: setting) } catch { throw StartupError("\(error)") }
    }

    /// Returns once this actor and the running runtime are free (``GatewayWatchdog``).
    func probe() async { await runtime?.probe() }

    func servicesEnded() async { await runtime?.closeAllUpstream() }

    func servicesFailed(_ error: any Error) {
        runtime = nil
        failureText = "\(error)"
        logger.error("the gateway services stopped: \(error); retrying in \(restarter.retryInterval) or when settings are saved")
    }

    // MARK: Ports

    /// A server bound its port (they differ from the settings' when those are 0). Once every server is bound, writes
    /// gateway.json and prints where everything is.
    func bound(_ server: WritableKeyPath<Ports, Int?>, _ port: Int?) {
        ports[keyPath: server] = port
        guard let settings = running, let ocpp = ports.ocpp, let http = ports.http, certificates == nil || ports.https != nil,
              !settings.modbusTCPEnabled || ports.modbus != nil else { return }
        let https = ports.https
        failureText = nil
        try? directory.writeRuntime(GatewayRuntimeInfo(pid: getpid(), mode: settings.mode.rawValue, ocppPort: ocpp, modbusTCPPort: ports.modbus,
                                                       httpPort: http, httpsPort: https, tlsCertificate: certificates?.certificatePath,
                                                       startedAt: Date(), starts: starts, apiToken: apiToken))
        StandardStream.output.write(GatewayBanner.text(settings, ocppPort: ocpp, modbusTCPPort: ports.modbus,
                                                                webHost: WebPorts.shownHost(webHost), httpPort: http, httpsPort: https,
                                                                fingerprint: certificates?.fingerprint, dataPath: directory.path))
    }
}
