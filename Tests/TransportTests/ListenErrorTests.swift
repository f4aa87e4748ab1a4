import Logging
import ModbusTCP
import NIOCore
import NIOPosix
import Testing
@testable import Transport

/// A listener that cannot open its port stops the start with a message that names the listener, the address, the
/// cause and the setting to change (quality bar: "a start-up error naming the device and what to check").
@Suite("Listener start-up errors")
struct ListenErrorTests {
    struct NoAnswers: ModbusRequestHandler {
        func handleModbus(connector: Int, unitID: UInt8, request: ModbusRequest) async -> ModbusResponse {
            .exception(function: 3, .illegalFunction)
        }
        func handleModbusImmediately(connector: Int, unitID: UInt8, request: ModbusRequest) -> ModbusResponse? { nil }
    }

    @Test("the Modbus TCP server on a port in use names itself, the address, the cause and ModbusTCPServerBasePort")
    func portInUse() async throws {
        let taken = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        defer { taken.close(promise: nil) }
        let port = try #require(taken.localAddress?.port)
        let server = ModbusTCPServer(host: "127.0.0.1", basePort: port, connectors: 1, handler: NoAnswers(), logger: Logger(label: "test"))
        do {
            try await server.run()
            Issue.record("the server started on a port that is in use")
        } catch let e as ListenError {
            #expect(e.description == "The Modbus TCP server cannot listen on 127.0.0.1:\(port): the port is in use by another program; choose another port with ModbusTCPServerBasePort or free this one")
        }
    }
}
