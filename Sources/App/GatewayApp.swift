import Foundation
import Logging
import NIOSSL
import ServiceLifecycle
import Synchronization
import UnixSignals
import Gateway
import Persistence
import Transport

/// Options of `chargekit gateway`; settings given here are saved in the gateway's database.
public struct GatewayOptions: Sendable {
    public var dataDirectory: String
    public var logLevel: Logger.Level
    /// Address the OCPP and Modbus servers listen on.
    public var host: String
    /// Changes to the stored settings (applied, validated and saved at start).
    public var changes: @Sendable (inout GatewaySettings) -> Void

    public init(dataDirectory: String = "./chargekit-gateway", logLevel: Logger.Level = .info, host: String = "0.0.0.0",
                changes: @escaping @Sendable (inout GatewaySettings) -> Void = { _ in }) {
        self.dataDirectory = dataDirectory; self.logLevel = logLevel; self.host = host; self.changes = changes
    }
}

/// What a running gateway publishes in `gateway.json`: the ports it bound (0 in the settings = any free port).
public struct GatewayRuntimeInfo: Codable, Sendable {
    public var pid: Int32
    public var mode: String
    public var ocppPort: Int
    public var modbusTCPPort: Int?
    public var startedAt: Date
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

/// The composition root of the gateway role.
public enum GatewayApp {
    /// Loads the settings, applies the command line's changes, validates them (the wss certificate and key included)
    /// and saves them; returns them with the OCPP server's TLS context.
    static func settings(_ options: GatewayOptions, database: GatewayDatabase) throws -> (GatewaySettings, NIOSSLContext?) {
        let stored = try database.loadSettings()
        var settings = stored ?? GatewaySettings()
        options.changes(&settings)
        let problems = settings.problems()
        guard problems.isEmpty else {
            throw StartupError("invalid gateway settings:\n" + problems.map { "  \($0.field): \($0.message)" }.joined(separator: "\n"))
        }
        let tls = settings.ocppTLSCertificateFile.isEmpty ? nil
            : try OCPPWebSocketServer.tlsContext(certificateFile: settings.ocppTLSCertificateFile, keyFile: settings.ocppTLSKeyFile)
        if settings != stored { try database.saveSettings(settings) }
        return (settings, tls)
    }

    /// Runs the gateway until SIGTERM/SIGINT.
    public static func run(_ options: GatewayOptions) async throws {
        var logger = Logger(label: "chargekit.gateway")
        logger.logLevel = options.logLevel
        let dir = DataDirectory(options.dataDirectory, role: "gateway")
        let lock = try dir.lock()
        let database = try GatewayDatabase(directory: dir.path)
        let (settings, tls) = try settings(options, database: database)
        let runtime = try GatewayRuntime(settings: settings, database: database, logger: logger)
        let ports = BoundPorts()
        let publish: @Sendable () -> Void = {
            guard let ocpp = ports.ocpp, !settings.modbusTCPEnabled || ports.modbus != nil else { return }
            try? dir.writeRuntime(GatewayRuntimeInfo(pid: getpid(), mode: settings.mode.rawValue, ocppPort: ocpp, modbusTCPPort: ports.modbus,
                                                     startedAt: Date()))
            let chargers = settings.chargers.sorted { $0.slot < $1.slot }
                .map { "    \($0.id.padding(toLength: 20, withPad: " ", startingAt: 0)) slot \($0.slot), \($0.connectors) connector(s), registers from \(RegisterLayout.chargerBase($0.slot))" }
            var lines = ["ChargeKit gateway is running in \(settings.mode.rawValue) mode (seeds/003 register map).",
                         "  OCPP-J 1.6   \(tls == nil ? "ws" : "wss")://<this host>:\(ocpp)/<ChargerID>"]
            if settings.mode == .external {
                lines.append("  Relayed to   \(settings.externalURL)/<ChargerID>\(settings.externalPassword.isEmpty ? "" : " (HTTP Basic authentication)")")
            }
            lines.append("  Modbus TCP   \(ports.modbus.map { "port \($0), unit id \(settings.modbusUnitID == 0 ? "any" : String(settings.modbusUnitID))" } ?? "off")")
            lines.append("  Modbus RTU   \(settings.rtuDevice.isEmpty ? "off" : "\(settings.rtuDevice), \(settings.rtuBaudRate) baud, parity \(settings.rtuParity), \(settings.rtuStopBits) stop bit(s)")")
            lines.append("  Data         \(dir.path)")
            lines.append("  Chargers\(chargers.isEmpty ? "    none configured: add them with --charger ID[:connectors]" : "")")
            FileHandle.standardOutput.write(Data((lines + chargers).map { $0 + "\n" }.joined().utf8))
        }
        var ocppLogger = Logger(label: "chargekit.gateway.ocpp")
        ocppLogger.logLevel = options.logLevel
        var services: [any Service] = [
            GatewayLoop(runtime: runtime),
            OCPPWebSocketServer(host: options.host, port: settings.ocppPort, tls: tls, delegate: runtime, logger: ocppLogger,
                                onBound: { ports.ocpp = $0; publish() }),
        ]
        if settings.modbusTCPEnabled {
            var modbusLogger = Logger(label: "chargekit.gateway.modbus")
            modbusLogger.logLevel = options.logLevel
            services.append(ModbusTCPServer(host: options.host, basePort: settings.modbusTCPPort, connectors: 1, handler: runtime, logger: modbusLogger,
                                            onBound: { ports.modbus = $0.first; publish() }))
        }
        if !settings.rtuDevice.isEmpty {
            var rtuLogger = Logger(label: "chargekit.gateway.rtu")
            rtuLogger.logLevel = options.logLevel
            services.append(ModbusRTUSlave(settings: SerialSettings(device: settings.rtuDevice, baudRate: settings.rtuBaudRate,
                                                                    parity: settings.rtuParity, stopBits: settings.rtuStopBits),
                                           unitID: UInt8(settings.modbusUnitID), handler: runtime, logger: rtuLogger))
        }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch {
            await runtime.closeAllUpstream()
            dir.removeRuntime()
            throw StartupError("gateway stopped: \(error)")
        }
        await runtime.closeAllUpstream()
        dir.removeRuntime()
        withExtendedLifetime(lock) {}
        logger.info("gateway stopped; everything persisted")
    }
}

/// The ports the servers bound, filled in as they start.
final class BoundPorts: Sendable {
    private let state = Mutex<(ocpp: Int?, modbus: Int?)>((nil, nil))
    var ocpp: Int? {
        get { state.withLock { $0.ocpp } }
        set { state.withLock { $0.ocpp = newValue } }
    }
    var modbus: Int? {
        get { state.withLock { $0.modbus } }
        set { state.withLock { $0.modbus = newValue } }
    }
}
