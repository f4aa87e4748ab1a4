import Logging
import ModbusTCP
import ServiceLifecycle
import Synchronization
import Testing
@testable import Transport

/// The poller of the station's meters, against Transport's own Modbus TCP server on a free port.
@Suite("Modbus poller")
struct ModbusPollerTests {
    /// Registers 10…11 hold 7 and 100 + the number of the read; the first two reads answer exception 02.
    final class Device: ModbusRequestHandler {
        let reads = Mutex(0)
        func handleModbus(connector: Int, unitID: UInt8, request: ModbusRequest) async -> ModbusResponse {
            let n = reads.withLock { $0 += 1; return $0 }
            guard n > 2, case .readInputRegisters(10, 2) = request, unitID == 5 else { return .exception(function: request.function.rawValue, .illegalDataAddress) }
            return .registers(.readInputRegisters, [7, UInt16(100 + n)])
        }
    }

    @Test("every poll is reported: a failure, then the decoded registers; a failed poll reconnects")
    func polls() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let (ports, bound) = AsyncStream.makeStream(of: Int.self)
        let server = ModbusTCPServer(host: "127.0.0.1", basePort: 0, connectors: 1, handler: Device(), logger: logger,
                                     onBound: { bound.yield($0[0]) })
        let serverGroup = ServiceGroup(services: [server], logger: logger)
        let serverTask = Task { try await serverGroup.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())

        let reports = Mutex<[String]>([])
        let poller = ModbusPoller<Int>(host: "127.0.0.1", port: port, unitID: 5, function: .readInputRegisters, reads: [(10, 2)],
                                       interval: .milliseconds(20), decode: { registers in
                                           guard let a = registers[10], let b = registers[11] else { throw ModbusError.malformed("missing") }
                                           return Int(a) * 1000 + Int(b)
                                       }, report: { result in
                                           reports.withLock { $0.append((try? result.get()).map(String.init) ?? "failed") }
                                       })
        let pollerGroup = ServiceGroup(services: [poller], logger: logger)
        let pollerTask = Task { try await pollerGroup.run() }
        let deadline = ContinuousClock.now + .seconds(30)
        while reports.withLock({ $0.count }) < 4, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        await pollerGroup.triggerGracefulShutdown()
        try await pollerTask.value
        await serverGroup.triggerGracefulShutdown()
        try await serverTask.value
        let seen = reports.withLock { $0 }
        #expect(seen.count >= 4)
        #expect(Array(seen.prefix(4)) == ["failed", "failed", "7103", "7104"])
    }
}
