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
import Persistence
import Logging
import ModbusTCP
import ServiceLifecycle
import UnixSignals
import ChargePoint
import EVSECore
import StationModbus
import Transport

/// Options of `chargekit sim meter`.
public struct MeterTwinOptions: Sendable {
    public var model: MeterModel
    public var host: String
    public var port: Int
    public var unitID: Int?
    /// Building load per phase in A, besides the stations.
    public var buildingLoadAmps: PhaseValues
    /// "constant", or "daily": the building load follows a day curve (night 30 %, evening peak 100 %).
    public var profile: String
    public var voltageV: Double
    /// Running stations whose connector currents add to the load: data directories, or base URLs (token from the
    /// environment).
    public var stations: [String]

    public init(model: MeterModel, host: String = "127.0.0.1", port: Int = 5020, unitID: Int? = nil,
                buildingLoadAmps: PhaseValues = PhaseValues(all: 10), profile: String = "constant", voltageV: Double = 230,
                stations: [String] = []) {
        self.model = model; self.host = host; self.port = port; self.unitID = unitID; self.buildingLoadAmps = buildingLoadAmps
        self.profile = profile; self.voltageV = voltageV; self.stations = stations
    }
}

/// A simulated meter: serves a model's register layout over Modbus TCP, with the building load plus the
/// current the given stations draw, integrating imported energy.
public actor MeterTwin: ModbusRequestHandler {
    let options: MeterTwinOptions
    let layout: MeterLayout
    let map: RegisterMap
    private var values: [UInt16: RegisterValue] = [:]
    private var importWh: Double = 0
    private var last = ContinuousClock.now
    private var stationAmps = PhaseValues.zero

    public init(_ options: MeterTwinOptions) {
        self.options = options
        layout = options.model.layout()
        // Serve the ranges the layout is read in (neighbouring registers read as 0, as on the device).
        map = RegisterMap(definitions: layout.definitions, blocks: layout.reads.map { Int($0.address)...(Int($0.address) + Int($0.quantity) - 1) })
    }

    /// The building load factor of the day profile at `hour` (0–24).
    public static func dailyFactor(hour: Double) -> Double {
        let evening = exp(-pow((hour - 19) / 2.5, 2))
        let morning = 0.6 * exp(-pow((hour - 8) / 1.5, 2))
        return min(1, 0.3 + 0.7 * max(evening, morning))
    }

    /// Recomputes the register values.
    func update() {
        let now = ContinuousClock.now
        let dt = (now - last).seconds
        last = now
        var factor = 1.0
        if options.profile == "daily" {
            let seconds = Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 86_400)
            factor = Self.dailyFactor(hour: seconds / 3600)
        }
        let b = options.buildingLoadAmps
        let current = PhaseValues(l1: b.l1 * factor + stationAmps.l1, l2: b.l2 * factor + stationAmps.l2, l3: b.l3 * factor + stationAmps.l3)
        let voltage = PhaseValues(all: options.voltageV)
        let power = PhaseValues(l1: current.l1 * voltage.l1, l2: current.l2 * voltage.l2, l3: current.l3 * voltage.l3)
        importWh += power.sum * dt / 3600
        let reading = MeterReading(energyWh: importWh, powerW: power, currentA: current, voltageV: voltage)
        values = [:]
        for (d, v) in layout.registers(for: reading) { values[d.address] = v }
    }

    /// Adds up the currents the stations draw (from their status API).
    func pollStations() {
        var sum = PhaseValues.zero
        for station in options.stations {
            // A data directory: its station.json names the API and its token (read again each time: a restarted
            // station has a new port and token). A URL: the token comes from the environment.
            let client = station.hasPrefix("http://") ? try? LocalHTTPClient(baseURL: station, token: LocalHTTPClient.environmentToken)
                : DataDirectory(station).readRuntime().flatMap { try? LocalHTTPClient($0) }
            guard let client, let r = try? client.request("GET", "/api/status", timeoutSeconds: 2),
                  r.status == 200, let status = try? JSONDecoder().decode(StatusCurrents.self, from: r.body) else { continue }
            for c in status.connectors {
                sum.l1 += c.meter.currentA.l1; sum.l2 += c.meter.currentA.l2; sum.l3 += c.meter.currentA.l3
            }
        }
        stationAmps = sum
    }

    private struct StatusCurrents: Decodable {
        struct Connector: Decodable { struct Meter: Decodable { var currentA: PhaseValues }; var meter: Meter }
        var connectors: [Connector]
    }

    public func handleModbus(connector: Int, unitID: UInt8, request: ModbusRequest) -> ModbusResponse {
        guard Int(unitID) == (options.unitID ?? options.model.defaultUnitID) else {
            return .exception(function: request.function.rawValue, .serverDeviceFailure)
        }
        switch request {
        case .readHoldingRegisters(let a, let q), .readInputRegisters(let a, let q):
            update()
            switch map.read(address: a, quantity: q, valueAt: { values[$0] ?? .integer(0) }) {
            case .success(let regs): return .registers(request.function, regs)
            case .failure(let code): return .exception(function: request.function.rawValue, code)
            }
        default:
            return .exception(function: request.function.rawValue, .illegalFunction)
        }
    }

    /// Runs the twin until SIGINT/SIGTERM.
    public static func run(_ options: MeterTwinOptions) async throws {
        var logger = Logger(label: "chargekit.meter-twin")
        logger.logLevel = .info
        let twin = MeterTwin(options)
        let server = ModbusTCPServer(host: options.host, basePort: options.port, connectors: 1, handler: twin, logger: logger) { ports in
            let unit = options.unitID ?? options.model.defaultUnitID
            StandardStream.output.write("""
                Simulated \(options.model.label) on \(options.host):\(ports.first ?? options.port), unit id \(unit).
                  Building load \(options.buildingLoadAmps.array.map { $0.fixed(1) }.joined(separator: "/")) A (\(options.profile))\(options.stations.isEmpty ? "" : ", plus the stations at " + options.stations.joined(separator: ", ")).
                  Stop with Ctrl-C.

                """)
        }
        let poller = ClosureService {
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    await twin.pollStations()
                    try? await Task.sleep(for: .seconds(1))
                }
            }
        }
        try await ServiceGroup(services: [server, poller], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
    }
}
