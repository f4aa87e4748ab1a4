import Foundation
import Logging
import ModbusTCP
import NIOCore
import ServiceLifecycle
import ChargePoint
import EVSECore
import Transport

/// Which meter a poller reads.
public enum MeterTarget: Sendable, Equatable, CustomStringConvertible {
    /// The grid (second) meter for load management.
    case grid
    /// The Modbus charge meter of a connector.
    case connector(Int)

    public var description: String {
        switch self {
        case .grid: "grid meter"
        case .connector(let n): "charge meter of connector \(n)"
        }
    }
}

/// Reads a Modbus TCP meter every poll interval over a kept-open connection and reports every poll to the
/// runtime, which decides when the meter counts as not communicating.
struct MeterPoller<Board: HardwarePort>: Service {
    let endpoint: MeterEndpoint
    let target: MeterTarget
    let interval: Duration
    let runtime: StationRuntime<Board>
    let logger: Logger

    func run() async throws {
        let client = ModbusTCPClient(host: endpoint.host, port: endpoint.port,
                                     timeout: .milliseconds(max(500, Int64(interval.seconds * 1000))))
        let layout = endpoint.layout, unit = UInt8(clamping: endpoint.unitID), target = self.target, runtime = self.runtime
        let interval = self.interval
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        while !Task.isCancelled {
                            var registers: [UInt16: UInt16] = [:]
                            for read in layout.reads {
                                let values = try await connection.readRegisters(layout.function, address: read.address,
                                                                                 quantity: read.quantity, unitID: unit)
                                for (i, v) in values.enumerated() { registers[read.address &+ UInt16(i)] = v }
                            }
                            guard let reading = layout.reading(registers) else {
                                throw ModbusError.malformed("the meter's registers do not decode as \(layout.function)")
                            }
                            await runtime.meterPolled(target, .success(reading))
                            try await Task.sleep(for: interval)
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    await runtime.meterPolled(target, .failure(error))
                    try? await Task.sleep(for: interval)
                }
            }
        }
    }
}
