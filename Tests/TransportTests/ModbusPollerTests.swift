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
        // Two decoded reads at least. Under a loaded test run a read may also time out (reported as failed, too): what
        // is checked is that every poll is reported, the device's two refusals first, then decoded values in order.
        let deadline = ContinuousClock.now + .seconds(30)
        while reports.withLock({ $0.compactMap(Int.init).count }) < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        await pollerGroup.triggerGracefulShutdown()
        try await pollerTask.value
        await serverGroup.triggerGracefulShutdown()
        try await serverTask.value
        let seen = reports.withLock { $0 }
        let values = seen.compactMap(Int.init)
        let first = try #require(seen.firstIndex { Int($0) != nil })
        #expect(first >= 2 && seen.prefix(first).allSatisfy { $0 == "failed" }, "\(seen)")
        #expect(values.count >= 2 && values[0] >= 7103 && zip(values, values.dropFirst()).allSatisfy { $0 < $1 }, "\(seen)")
        #expect(values[0] == 7103 || first > 2, "the first decoded read is the third read unless a read timed out: \(seen)")
    }
}
