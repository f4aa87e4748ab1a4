import ModbusTCP
import NIOCore
import ServiceLifecycle

/// Reads a Modbus TCP device's registers every `interval` over a kept-open connection (``ModbusTCPClient``) and
/// reports every poll: the value `decode` made of the registers, or why there is none (no connection, an exception
/// answer, a timeout, registers that do not decode). After a failed poll the connection is opened again one interval
/// later. Whoever receives the reports decides what a run of failures means (the station: a meter not communicating).
///
/// Each request waits at most one interval, and at least 500 ms.
public struct ModbusPoller<Value: Sendable>: Service {
    public let host: String
    public let port: Int
    public let unitID: UInt8
    /// Function 3 or 4.
    public let function: FunctionCode
    /// The reads of one poll, in order; their registers together go to `decode`.
    public let reads: [(address: UInt16, quantity: UInt16)]
    public let interval: Duration
    let decode: @Sendable (_ registers: [UInt16: UInt16]) throws -> Value
    let report: @Sendable (Result<Value, any Error>) async -> Void

    public init(host: String, port: Int, unitID: UInt8, function: FunctionCode, reads: [(address: UInt16, quantity: UInt16)], interval: Duration,
                decode: @escaping @Sendable (_ registers: [UInt16: UInt16]) throws -> Value,
                report: @escaping @Sendable (Result<Value, any Error>) async -> Void) {
        self.host = host; self.port = port; self.unitID = unitID; self.function = function; self.reads = reads; self.interval = interval
        self.decode = decode; self.report = report
    }

    public func run() async throws {
        let c = interval.components
        let client = ModbusTCPClient(host: host, port: port, timeout: .milliseconds(max(500, c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000)))
        let (reads, function, unit, interval, decode, report) = (reads, function, unitID, interval, decode, report)
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { connection in
                        while !Task.isCancelled {
                            var registers: [UInt16: UInt16] = [:]
                            for read in reads {
                                let values = try await connection.readRegisters(function, address: read.address, quantity: read.quantity, unitID: unit)
                                for (i, v) in values.enumerated() { registers[read.address &+ UInt16(i)] = v }
                            }
                            await report(.success(try decode(registers)))
                            try await Task.sleep(for: interval)
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    await report(.failure(error))
                    try? await Task.sleep(for: interval)
                }
            }
        }
    }
}
