import Foundation
import Logging
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
    /// Loads the settings, applies the command line's changes, validates and saves them.
    static func settings(_ options: GatewayOptions, database: GatewayDatabase) throws -> GatewaySettings {
        let stored = try database.loadSettings()
        var settings = stored ?? GatewaySettings()
        options.changes(&settings)
        let problems = settings.problems()
        guard problems.isEmpty else {
            throw StartupError("invalid gateway settings:\n" + problems.map { "  \($0.field): \($0.message)" }.joined(separator: "\n"))
        }
        if settings != stored { try database.saveSettings(settings) }
        return settings
    }

    /// Runs the gateway until SIGTERM/SIGINT.
    public static func run(_ options: GatewayOptions) async throws {
        var logger = Logger(label: "chargekit.gateway")
        logger.logLevel = options.logLevel
        let dir = DataDirectory(options.dataDirectory, role: "gateway")
        let lock = try dir.lock()
        let database = try GatewayDatabase(directory: dir.path)
        let settings = try settings(options, database: database)
        guard settings.mode == .bms else {
            throw StartupError("External mode (bridge to an external central system) is not available yet; set --mode BMS")
        }
        let runtime = try GatewayRuntime(settings: settings, database: database, logger: logger)
        let ports = BoundPorts()
        let publish: @Sendable () -> Void = {
            guard let ocpp = ports.ocpp, !settings.modbusTCPEnabled || ports.modbus != nil else { return }
            try? dir.writeRuntime(GatewayRuntimeInfo(pid: getpid(), mode: settings.mode.rawValue, ocppPort: ocpp, modbusTCPPort: ports.modbus,
                                                     startedAt: Date()))
            let chargers = settings.chargers.sorted { $0.slot < $1.slot }
                .map { "    \($0.id.padding(toLength: 20, withPad: " ", startingAt: 0)) slot \($0.slot), \($0.connectors) connector(s), registers from \(RegisterLayout.chargerBase($0.slot))" }
            FileHandle.standardOutput.write(Data(("""
                ChargeKit gateway is running in \(settings.mode.rawValue) mode (seeds/003 register map).
                  OCPP-J 1.6   ws://<this host>:\(ocpp)/<ChargerID>
                  Modbus TCP   \(ports.modbus.map { "port \($0), unit id \(settings.modbusUnitID == 0 ? "any" : String(settings.modbusUnitID))" } ?? "off")
                  Modbus RTU   \(settings.rtuDevice.isEmpty ? "off" : "\(settings.rtuDevice), \(settings.rtuBaudRate) baud, parity \(settings.rtuParity), \(settings.rtuStopBits) stop bit(s)")
                  Data         \(dir.path)
                  Chargers\(chargers.isEmpty ? "    none configured: add them with --charger ID[:connectors]" : "")

                """ + chargers.joined(separator: "\n") + (chargers.isEmpty ? "" : "\n")).utf8))
        }
        var ocppLogger = Logger(label: "chargekit.gateway.ocpp")
        ocppLogger.logLevel = options.logLevel
        var services: [any Service] = [
            GatewayLoop(runtime: runtime),
            OCPPWebSocketServer(host: options.host, port: settings.ocppPort, delegate: runtime, logger: ocppLogger,
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
            dir.removeRuntime()
            throw StartupError("gateway stopped: \(error)")
        }
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
