import Logging
import ModbusTCP
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Answers Modbus requests for one connector's port.
public protocol ModbusRequestHandler: Sendable {
    func handleModbus(connector: Int, unitID: UInt8, request: ModbusRequest) async -> ModbusResponse
    /// Answers at once on the network thread when possible (e.g. reads from a snapshot); nil defers to
    /// ``handleModbus(connector:unitID:request:)``.
    func handleModbusImmediately(connector: Int, unitID: UInt8, request: ModbusRequest) -> ModbusResponse?
}

extension ModbusRequestHandler {
    public func handleModbusImmediately(connector: Int, unitID: UInt8, request: ModbusRequest) -> ModbusResponse? { nil }
}

/// Modbus TCP server: connector 1 on `basePort`, connector 2 on `basePort + 1`, any unit id. Requests are
/// decoded by the pure codec; malformed PDUs get their exception response; bytes that can never form a
/// frame close that connection only.
///
/// Each port caps its connections (``limits``, in total and per address) and closes a connection that sends no
/// complete request for ``idleTimeout`` — a half-sent frame does not count —, so that idle clients cannot exhaust the
/// process's descriptors (issue #20 item 2).
///
/// - SeeAlso: seeds/000 "Modbus TCP Server Basisport"; the Bender CC612/CC613 OMCCI register set (general behaviour: ports and unit ids).
public struct ModbusTCPServer: Service {
    public let host: String
    public let basePort: Int
    public let connectors: Int
    /// The caps of each port.
    public let limits: ConnectionLimits
    /// How long a connection may stay without a complete request.
    public let idleTimeout: Duration
    let handler: any ModbusRequestHandler
    let logger: Logger
    let onBound: @Sendable ([Int]) async -> Void

    /// The caps where no setting chooses them (the gateway's BMS port, meter twins; the station's default of
    /// `ModbusTCPServerMaxConnections`): an energy manager or BMS needs one connection; 8 per address cover several
    /// tools on one host (an energy manager, a home automation, a monitoring tool) and reconnects made before the old
    /// connection timed out.
    public static let defaultLimits = ConnectionLimits(maxConnections: 32, maxPerAddress: 8)
    /// The idle timeout where no setting chooses it: energy managers poll every few seconds (evcc's default interval
    /// is 30 s), and a client whose connection was closed connects again.
    public static let defaultIdleTimeout = Duration.seconds(60)

    /// The parameter or option that sets the port, named when the port cannot be opened.
    let portSetting: String

    public init(host: String, basePort: Int, connectors: Int, handler: any ModbusRequestHandler, logger: Logger,
                limits: ConnectionLimits = Self.defaultLimits, idleTimeout: Duration = Self.defaultIdleTimeout,
                portSetting: String = "ModbusTCPServerBasePort", onBound: @escaping @Sendable ([Int]) async -> Void = { _ in }) {
        self.portSetting = portSetting
        self.host = host; self.basePort = basePort; self.connectors = connectors; self.handler = handler
        self.logger = logger; self.limits = limits; self.idleTimeout = idleTimeout; self.onBound = onBound
    }

    public func run() async throws {
        var channels: [any Channel] = []
        for n in 1...connectors {
            let connector = n
            let handler = self.handler
            let logger = self.logger
            let port = basePort == 0 ? 0 : basePort + n - 1
            let connectionGuard = ConnectionGuard(name: connectors == 1 ? "Modbus TCP" : "Modbus TCP connector \(n)", limits: limits, logger: logger)
            let idle = TimeAmount(idleTimeout)
            let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                // Without it a failing accept() (no descriptor left) is retried at once, forever.
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(AcceptBackoffHandler()) }
                }
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        // A refused connection is closed already; it gets no handlers.
                        guard case .success = connectionGuard.admit(channel) else { return }
                        try channel.pipeline.syncOperations.addHandlers([
                            // A client that sends requests without reading the answers must not make the answers pile up
                            // in memory: reading stops while the socket's send buffer is above its high-water mark.
                            BackPressureHandler(),
                            ModbusTCPFrameReader(),
                            ConnectionTimeoutHandler(timeout: idle, mode: .idle),
                            ModbusServerHandler(connector: connector, handler: handler, logger: logger),
                        ])
                    }
                }
            let channel: any Channel
            do { channel = try await bootstrap.bind(host: host, port: port).get() } catch {
                for c in channels { try? await c.close() }
                throw ListenError(listener: connectors == 1 ? "The Modbus TCP server" : "The Modbus TCP server of connector \(n)", host: host,
                                  port: port, error: error, setting: portSetting)
            }
            channels.append(channel)
        }
        let bound = channels
        let ports = bound.compactMap { $0.localAddress?.port }
        logger.info("Modbus TCP server listening", metadata: ["ports": "\(ports)"])
        await onBound(ports)
        // Close the listening sockets on graceful shutdown and on cancellation alike.
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                for c in bound { try? await c.closeFuture.get() }
            } onGracefulShutdown: {
                for c in bound { c.close(promise: nil) }
            }
        } onCancel: {
            for c in bound { c.close(promise: nil) }
        }
    }
}

/// Splits a connection's bytes into Modbus TCP frames with the pure parser (``ModbusTCPFrame/parse(_:)``: a frame is
/// at most 260 bytes, its protocol identifier 0), in place of NIO's generic `ByteToMessageHandler`, whose cumulation
/// buffer and decode loop were a sixth of the server's own work per request (issue 31 item 3). A request that arrives
/// whole — nearly every one — is a slice of the bytes read, without a copy; only the start of an unfinished frame is
/// kept (at most 259 bytes), in a buffer of its own. Bytes that can never form a frame raise the parser's error, which
/// closes the connection (``ModbusServerHandler``), and nothing after them is read.
final class ModbusTCPFrameReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ModbusTCPFrame

    /// The start of a frame whose rest has not arrived yet.
    private var unfinished: ByteBuffer?
    private var failed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var bytes = unwrapInboundIn(data)
        if var head = unfinished {
            unfinished = nil
            head.writeBuffer(&bytes)
            bytes = head
        }
        do {
            while let frame = try ModbusTCPFrame.parse(&bytes) {
                context.fireChannelRead(wrapInboundOut(frame))
            }
        } catch {
            failed = true
            context.fireErrorCaught(error)
            return
        }
        if bytes.readableBytes > 0 {
            var kept = context.channel.allocator.buffer(capacity: bytes.readableBytes)
            kept.writeBuffer(&bytes)
            unfinished = kept
        }
    }
}

/// Per-connection handler: decodes the PDU, asks the station, writes the answer with the same
/// transaction and unit id.
///
/// A read the handler answers at once (``ModbusRequestHandler/handleModbusImmediately(connector:unitID:request:)``) is
/// answered within the network thread's read event, with no hop to another thread or task; its ADU is encoded into
/// one buffer and written and flushed at once (the child channels have TCP_NODELAY), so a request costs one read and
/// one write (issue 31 item 3: Modbus latency at libmodbus's level).
final class ModbusServerHandler: ChannelInboundHandler {
    typealias InboundIn = ModbusTCPFrame
    typealias OutboundOut = ByteBuffer

    let connector: Int
    let handler: any ModbusRequestHandler
    let logger: Logger
    /// The buffer of the answers given at once, kept: the flush normally hands an answer to the socket before the next
    /// request arrives, and the next answer then reuses its storage instead of allocating (while the socket still holds
    /// it, `clear()` gives the next answer storage of its own).
    private var answer: ByteBuffer?

    init(connector: Int, handler: any ModbusRequestHandler, logger: Logger) {
        self.connector = connector; self.handler = handler; self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let function = frame.pdu.getInteger(at: frame.pdu.readerIndex, as: UInt8.self) ?? 0
        switch PDUCodec.decodeRequest(frame.pdu) {
        case .failure(let code):
            replyNow(context, frame, .exception(function: function, code))
        case .success(let request):
            if let response = handler.handleModbusImmediately(connector: connector, unitID: frame.unitID, request: request) {
                replyNow(context, frame, response)
                return
            }
            // A deferred answer goes out through the whole pipeline (it may complete after the handlers changed).
            let channel = context.channel
            let promise = context.eventLoop.makePromise(of: ModbusResponse.self)
            let handler = self.handler, connector = self.connector
            promise.completeWithTask { await handler.handleModbus(connector: connector, unitID: frame.unitID, request: request) }
            promise.futureResult.whenSuccess { response in
                var adu = channel.allocator.buffer(capacity: Self.answerCapacity)
                ModbusTCPFrame.write(transactionID: frame.transactionID, unitID: frame.unitID, response: response, into: &adu)
                channel.writeAndFlush(adu, promise: nil)
            }
        }
    }

    /// MBAP header (7) + at most 253 bytes of PDU: every answer fits.
    static let answerCapacity = 7 + ModbusLimits.maxPDUBytes

    private func replyNow(_ context: ChannelHandlerContext, _ request: ModbusTCPFrame, _ response: ModbusResponse) {
        var adu = answer ?? context.channel.allocator.buffer(capacity: Self.answerCapacity)
        answer = nil
        adu.clear()
        ModbusTCPFrame.write(transactionID: request.transactionID, unitID: request.unitID, response: response, into: &adu)
        context.writeAndFlush(wrapOutboundOut(adu), promise: nil)
        answer = adu
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("Modbus connection closed: \(error)", metadata: ["connector": "\(connector)"])
        context.close(promise: nil)
    }
}
