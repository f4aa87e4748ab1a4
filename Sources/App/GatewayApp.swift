import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import Gateway
import Hummingbird
import HummingbirdCore
import ModbusTCP
import WebUI
import Persistence
import Transport

/// Options of `chargekit gateway`; settings given here are saved in the gateway's database.
public struct GatewayOptions: Sendable {
    public var dataDirectory: String
    public var logLevel: Logger.Level
    /// Address the OCPP and Modbus servers listen on.
    public var host: String
    /// Address and port of the web configuration (0 = any free port, published in gateway.json).
    public var httpHost: String
    public var httpPort: Int
    /// Changes to the stored settings (applied, validated and saved at start).
    public var changes: @Sendable (inout GatewaySettings) -> Void

    /// The web configuration's port when none is given (the station's is 8080, so both can run on one machine).
    public static let defaultHTTPPort = 8090

    public init(dataDirectory: String = "./chargekit-gateway", logLevel: Logger.Level = .info, host: String = "0.0.0.0",
                httpHost: String = "127.0.0.1", httpPort: Int = defaultHTTPPort, changes: @escaping @Sendable (inout GatewaySettings) -> Void = { _ in }) {
        self.dataDirectory = dataDirectory; self.logLevel = logLevel; self.host = host; self.httpHost = httpHost; self.httpPort = httpPort
        self.changes = changes
    }
}

/// Drives the gateway's timeouts once a second.
struct GatewayLoop: Service {
    let runtime: GatewayRuntime

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                await runtime.tick()
            }
        }
        await runtime.tick()
    }
}

/// Hands the RTU slave's requests to the runtime as RTU requests (the diagnostics tell TCP and RTU apart).
struct GatewayRTUHandler: ModbusRequestHandler {
    let runtime: GatewayRuntime
    func handleModbus(connector: Int, unitID: UInt8, request: ModbusRequest) async -> ModbusResponse {
        await runtime.modbus(request, unitID: unitID, via: .rtu)
    }
}

/// The composition root of the gateway role.
public enum GatewayApp {
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
        logger.info("descriptor limit \(descriptors.limit): the listeners hold at most \(descriptors.capacity) connections together")
        let dir = DataDirectory(options.dataDirectory, role: "gateway")
        let lock = try dir.lock()
        let database = try GatewayDatabase(directory: dir.path)
        try applyCommandLine(options, database: database)
        // The web configuration's accounts: at the first start every role gets a random initial password, printed once;
        // only bcrypt hashes are stored, and the first login must change it.
        let accounts = try WebAccounts(store: database)
        let created = try await accounts.createMissingAccounts()
        if !created.isEmpty {
            FileHandle.standardOutput.write(Data(("Initial web interface passwords (shown only now; each must be changed at its first login):\n"
                + created.map { "  \($0.name.padding(toLength: 13, withPad: " ", startingAt: 0)) \($0.password)\n" }.joined()).utf8))
        }
        let controller = GatewayController(database: database, options: options, directory: dir, logger: logger)
        let router = Router(context: WebRequestContext.self)
        router.add(middleware: CanonicalPathMiddleware())  // before every route: one spelling per path
        try GatewayWeb(gateway: controller, accounts: accounts).addRoutes(to: router)
        var httpLogger = Logger(label: "chargekit.gateway.http")
        httpLogger.logLevel = .warning
        let app = Application(router: router, server: .guardedHTTP1(name: "HTTP", logger: httpLogger),
                              configuration: .init(address: .hostname(options.httpHost, port: options.httpPort), serverName: "ChargeKit"),
                              onServerRunning: { channel in await controller.httpBound(channel.localAddress?.port ?? options.httpPort) },
                              logger: httpLogger)
        let group = ServiceGroup(services: [app, GatewayServices(controller: controller)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
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

/// The gateway services under the web configuration: built from the stored settings, run until shutdown or until
/// new settings are saved, then built again. The first start's failure (a port in use) stops the gateway; a later
/// one is shown on the Diagnostic page and retried every ``retryInterval`` or at the next save.
struct GatewayServices: Service {
    let controller: GatewayController
    static let retryInterval = Duration.seconds(10)

    func run() async throws {
        var first = true
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await controller.runServicesOnce()
            } catch {
                if first { throw error }
                await controller.failed(error)
                await waitForRestart()
            }
            first = false
            guard await controller.takeRestartRequest() else { break }
        }
    }

    /// After a failure: waits until new settings are saved, at most ``retryInterval``, or until the gateway shuts down
    /// — whichever comes first; then the services are built again (or not, at shutdown).
    private func waitForRestart() async {
        guard await controller.mayWaitForRestart() else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await controller.waitForSettings() }
            group.addTask { try? await Task.sleep(for: Self.retryInterval) }
            group.addTask { try? await gracefulShutdown() }
            await group.next()
            group.cancelAll()
            await controller.stopWaiting()  // a waiter on a continuation does not end by cancellation
        }
        await controller.restartAfterWaiting()
    }
}

/// The running gateway as the web configuration sees it (``GatewayService``): the stored settings, the current
/// runtime and its restarts.
actor GatewayController: GatewayService {
    let database: GatewayDatabase
    let options: GatewayOptions
    let directory: DataDirectory
    let logger: Logger
    private var runtime: GatewayRuntime?
    private var group: ServiceGroup?
    private var restartRequested = false
    private var restartWaiter: CheckedContinuation<Void, Never>?
    /// ``stopWaiting()`` was called for the current wait.
    private var waitStopped = false
    private var failureText: String?
    private var ports = (ocpp: Int?.none, modbus: Int?.none, http: Int?.none)
    private var running: GatewaySettings?
    private var starts = 0

    init(database: GatewayDatabase, options: GatewayOptions, directory: DataDirectory, logger: Logger) {
        self.database = database; self.options = options; self.directory = directory; self.logger = logger
    }

    /// Every problem of `settings`: ranges and the charger list, and whether the wss files can be used.
    static func problems(_ settings: GatewaySettings) -> [SettingProblem] {
        var problems = settings.problems()
        if problems.isEmpty, !settings.ocppTLSCertificateFile.isEmpty {
            do { _ = try OCPPWebSocketServer.tlsContext(certificateFile: settings.ocppTLSCertificateFile, keyFile: settings.ocppTLSKeyFile) } catch let e as TLSFileError {
                problems.append(SettingProblem(e.file == .certificate ? "ocppTLSCertificateFile" : "ocppTLSKeyFile", e.description))
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
        try database.saveSettings(settings)
        logger.notice("settings saved by \(by); the gateway services restart with them")
        restartRequested = true
        restartWaiter?.resume()
        restartWaiter = nil
        await group?.triggerGracefulShutdown()
    }

    func scannedChargers() throws -> [ScannedCharger] { try database.scannedChargers() }
    func dismissScan(_ id: String) throws { try database.deleteScan(id: id) }
    func failure() -> String? { failureText }
    func transactions(limit: Int) throws -> [GatewayTransactionRecord] { try database.transactions(limit: limit) }

    func diagnostics() async -> GatewayDiagnostics? {
        guard let runtime else { return nil }
        var d = await runtime.diagnostics()
        d.ocppPort = ports.ocpp
        d.modbusTCPPort = ports.modbus
        return d
    }

    // MARK: Running the services

    /// Builds the runtime and the servers from the stored settings and runs them until a restart or shutdown.
    func runServicesOnce() async throws {
        let settings = try settings()
        let tlsContext = settings.ocppTLSCertificateFile.isEmpty ? nil
            : try OCPPWebSocketServer.tlsContext(certificateFile: settings.ocppTLSCertificateFile, keyFile: settings.ocppTLSKeyFile)
        let runtime = try GatewayRuntime(settings: settings, database: database, logger: self.logger)
        func logger(labeled label: String) -> Logger {
            var l = Logger(label: label)
            l.logLevel = options.logLevel
            return l
        }
        var services: [any Service] = [
            GatewayLoop(runtime: runtime),
            runtime.upstreamClients.service,
            OCPPWebSocketServer(host: options.host, port: settings.ocppPort, tls: tlsContext, delegate: runtime, logger: logger(labeled: "chargekit.gateway.ocpp"),
                                limits: GatewayApp.ocppLimits(.process), onBound: { port in await self.bound(ocpp: port) }),
        ]
        if settings.modbusTCPEnabled {
            services.append(ModbusTCPServer(host: options.host, basePort: settings.modbusTCPPort, connectors: 1, handler: runtime,
                                            logger: logger(labeled: "chargekit.gateway.modbus"), portSetting: "the gateway's Modbus TCP port (web configuration or --modbus-port)",
                                            onBound: { ports in await self.bound(modbus: ports.first) }))
        }
        if !settings.rtuDevice.isEmpty {
            services.append(ModbusRTUSlave(settings: SerialSettings(device: settings.rtuDevice, baudRate: settings.rtuBaudRate,
                                                                    parity: settings.rtuParity, stopBits: settings.rtuStopBits),
                                           unitID: UInt8(settings.modbusUnitID), handler: GatewayRTUHandler(runtime: runtime),
                                           logger: logger(labeled: "chargekit.gateway.rtu")))
        }
        let group = ServiceGroup(configuration: .init(services: services, logger: self.logger))
        self.runtime = runtime
        self.group = group
        running = settings
        starts += 1
        ports.ocpp = nil
        ports.modbus = nil
        defer { self.group = nil }
        if restartRequested { await group.triggerGracefulShutdown() }
        do {
            // The inner group runs until a restart (``apply(_:by:)`` shuts it down) or until the gateway shuts down,
            // which is passed on to it: a child waits for the outer graceful shutdown and triggers the inner one.
            try await withThrowingTaskGroup(of: Bool.self) { tasks in
                tasks.addTask { try await group.run(); return true }
                tasks.addTask {
                    do { try await gracefulShutdown() } catch { return false }
                    await group.triggerGracefulShutdown()
                    return false
                }
                while let servicesEnded = try await tasks.next() {
                    if servicesEnded { tasks.cancelAll(); break }
                }
            }
        } catch {
            await runtime.closeAllUpstream()
            throw error
        }
        await runtime.closeAllUpstream()
    }

    func failed(_ error: any Error) {
        runtime = nil
        failureText = "\(error)"
        logger.error("the gateway services stopped: \(error); retrying in \(GatewayServices.retryInterval) or when settings are saved")
    }

    /// Whether the services, after a failure, should wait for new settings (not when saved ones wait already, nor at
    /// shutdown).
    func mayWaitForRestart() -> Bool {
        waitStopped = false
        return !restartRequested && !Task.isShuttingDownGracefully
    }

    /// Returns when new settings are saved (``apply(_:by:)``) or ``stopWaiting()`` is called.
    func waitForSettings() async {
        guard !restartRequested, !waitStopped else { return }
        await withCheckedContinuation { restartWaiter = $0 }
    }

    /// After the wait, the services are built again.
    func restartAfterWaiting() { restartRequested = true }

    /// Ends ``waitForSettings()``, also one that has not begun to wait yet.
    func stopWaiting() {
        waitStopped = true
        restartWaiter?.resume()
        restartWaiter = nil
    }

    /// Whether the services stopped for a restart (and not for shutdown); clears the request.
    func takeRestartRequest() -> Bool {
        defer { restartRequested = false }
        return restartRequested
    }

    func httpBound(_ port: Int) {
        ports.http = port
        publish()
    }

    private func bound(ocpp port: Int) {
        ports.ocpp = port
        publish()
    }

    private func bound(modbus port: Int?) {
        ports.modbus = port
        publish()
    }

    /// Writes gateway.json and prints where everything is, once every server is bound.
    private func publish() {
        guard let settings = running, let ocpp = ports.ocpp, let http = ports.http, !settings.modbusTCPEnabled || ports.modbus != nil else { return }
        failureText = nil
        try? directory.writeRuntime(GatewayRuntimeInfo(pid: getpid(), mode: settings.mode.rawValue, ocppPort: ocpp, modbusTCPPort: ports.modbus,
                                                       httpPort: http, startedAt: Date(), starts: starts))
        let chargers = settings.chargers.sorted { $0.slot < $1.slot }
            .map { "    \($0.id.padding(toLength: 20, withPad: " ", startingAt: 0)) slot \($0.slot), \($0.connectors) connector(s), registers from \(RegisterLayout.chargerBase($0.slot))" }
        let web = options.httpHost == "0.0.0.0" ? "127.0.0.1" : options.httpHost
        var lines = ["ChargeKit gateway is running in \(settings.mode.rawValue) mode (seeds/003 register map).",
                     "  OCPP-J 1.6   \(settings.ocppScheme)://<this host>:\(ocpp)/<ChargerID>"]
        if settings.mode == .external {
            lines.append("  Relayed to   \(settings.externalURL)/<ChargerID>\(settings.externalPassword.isEmpty ? "" : " (HTTP Basic authentication)")")
        }
        lines.append("  Modbus TCP   \(ports.modbus.map { "port \($0), unit id \(settings.unitIDDescription)" } ?? "off")")
        lines.append("  Modbus RTU   \(settings.rtuDescription ?? "off")")
        lines.append("  Web          http://\(web):\(http)/   (configuration and diagnostics; log in as operator, installer or manufacturer)")
        lines.append("  Data         \(directory.path)")
        lines.append("  Chargers\(chargers.isEmpty ? "    none configured: add them on the web page Chargers or with --charger ID[:connectors]" : "")")
        FileHandle.standardOutput.write(Data((lines + chargers).map { $0 + "\n" }.joined().utf8))
    }
}
