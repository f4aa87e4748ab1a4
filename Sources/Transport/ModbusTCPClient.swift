import ModbusTCP
import NIOCore
import NIOPosix

/// A Modbus TCP client connection: one request at a time, answers matched by transaction id, each with a
/// timeout after which the connection is closed.
public struct ModbusTCPClient: Sendable {
    public let host: String
    public let port: Int
    public let timeout: TimeAmount

    public init(host: String, port: Int, timeout: TimeAmount = .seconds(2)) {
        self.host = host; self.port = port; self.timeout = timeout
    }

    /// An open connection, valid inside ``withConnection(_:)``.
    public struct Connection: ~Copyable {
        let channel: any Channel
        var iterator: NIOAsyncChannelInboundStream<ModbusTCPFrame>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<ModbusTCPFrame>
        let timeout: TimeAmount
        var transactionID: UInt16 = 0

        /// Sends a request and waits for its answer. Exception answers are returned, not thrown.
        public mutating func send(_ request: ModbusRequest, unitID: UInt8) async throws -> ModbusResponse {
            transactionID &+= 1
            var pdu = channel.allocator.buffer(capacity: 16)
            PDUCodec.encode(request, into: &pdu)
            let tid = transactionID
            try await outbound.write(ModbusTCPFrame(transactionID: tid, unitID: unitID, pdu: pdu))
            let channel = self.channel
            let watchdog = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
            defer { watchdog.cancel() }
            while true {
                guard let frame = try await iterator.next() else { throw ModbusError.timeout }
                guard frame.transactionID == tid else { continue }
                return try PDUCodec.decodeResponse(frame.pdu, to: request)
            }
        }

        /// Reads registers with function 3 or 4; throws for exception answers.
        public mutating func readRegisters(_ function: FunctionCode, address: UInt16, quantity: UInt16, unitID: UInt8) async throws -> [UInt16] {
            let request: ModbusRequest = function == .readInputRegisters
                ? .readInputRegisters(address: address, quantity: quantity) : .readHoldingRegisters(address: address, quantity: quantity)
            switch try await send(request, unitID: unitID) {
            case .registers(_, let regs): return regs
            case .exception(_, let code): throw ModbusError.exception(code)
            default: throw ModbusError.malformed("unexpected answer to a register read")
            }
        }
    }

    /// Connects, runs `body` with the connection, and closes it.
    public func withConnection<T: Sendable>(_ body: (inout Connection) async throws -> T) async throws -> T {
        let asyncChannel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(ModbusTCPFrameDecoder()), MessageToByteHandler(ModbusTCPFrameEncoder()),
                    ])
                    return try NIOAsyncChannel<ModbusTCPFrame, ModbusTCPFrame>(wrappingChannelSynchronously: channel)
                }
            }
        let timeout = self.timeout
        return try await asyncChannel.executeThenClose { inbound, outbound in
            var connection = Connection(channel: asyncChannel.channel, iterator: inbound.makeAsyncIterator(), outbound: outbound,
                                        timeout: timeout)
            return try await body(&connection)
        }
    }
}
