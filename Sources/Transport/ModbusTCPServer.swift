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
                        // One handler does framing, idle timeout, back pressure and answers (see ModbusServerHandler).
                        try channel.pipeline.syncOperations.addHandler(
                            ModbusServerHandler(connector: connector, handler: handler, logger: logger, idleTimeout: idle))
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

/// The whole per-connection work of the Modbus TCP server in one handler (issue 31 item 3: Modbus latency at libmodbus's
/// level): splitting the bytes into frames, the idle timeout, back pressure, decoding and answering. Each handler of a
/// NIO pipeline costs every request a hop in each direction (a call through the context, reference counting and, for a
/// frame passed on, a boxed `NIOAny`); with the frame reader, the idle timer and NIO's `BackPressureHandler` as handlers
/// of their own those hops were most of the server's own work per request.
///
/// - Framing: the pure parser (``ModbusTCPFrame/parse(_:)``: a frame is at most 260 bytes, its protocol identifier 0)
///   slices each request out of the bytes read, without a copy; only the start of an unfinished frame is kept (at most
///   259 bytes), in a buffer of its own. Bytes that can never form a frame close the connection, and nothing after them
///   is read (the answers to the frames before them still go out).
/// - Idle timeout: the connection is closed when no complete request arrived for `idleTimeout` — counted from when it
///   was accepted, then from the last request; bytes of an unfinished frame do not count (issue #20 item 2).
/// - Back pressure: a client that sends requests without reading the answers must not make the answers pile up in
///   memory: reading stops while the socket's send buffer is above its high-water mark (as NIO's `BackPressureHandler`).
/// - Answers: a read the station answers at once
///   (``ModbusRequestHandler/handleModbusImmediately(connector:unitID:request:)``) is answered within the network thread's
///   read event, with no hop to another thread or task. Every answer given at once to the requests of one read — one,
///   or several a client sent back to back — is encoded into one buffer, written and flushed once (the child channels
///   have TCP_NODELAY), so a request costs one read and one write. Other requests (writes) go to the station and are
///   answered when it has applied them.
final class ModbusServerHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let connector: Int
    let handler: any ModbusRequestHandler
    let logger: Logger
    /// nil: no idle timeout (tests of the framing alone).
    let idleTimeout: TimeAmount?

    /// The start of a frame whose rest has not arrived yet.
    private var unfinished: ByteBuffer?
    /// Bytes that can never form a frame arrived: the connection is closing and nothing more is read.
    private var failed = false
    /// The buffer of the answers given at once, kept: the flush normally hands an answer to the socket before the next
    /// request arrives, and the next answer then reuses its storage instead of allocating (while the socket still holds
    /// it, `clear()` gives the next answer storage of its own).
    private var answers: ByteBuffer?
    private var lastRequest = NIODeadline.uptimeNanoseconds(0)
    private var idleTimer: Scheduled<Void>?
    /// A read NIO asked for while the socket's send buffer was full: done when it drains.
    private var pendingRead = false
    private var writable = true

    init(connector: Int, handler: any ModbusRequestHandler, logger: Logger, idleTimeout: TimeAmount?) {
        self.connector = connector; self.handler = handler; self.logger = logger; self.idleTimeout = idleTimeout
    }

    /// MBAP header (7) + at most 253 bytes of PDU: every answer fits.
    static let answerCapacity = 7 + ModbusLimits.maxPDUBytes

    func handlerAdded(context: ChannelHandlerContext) {
        guard let idleTimeout else { return }
        lastRequest = context.eventLoop.now
        scheduleIdleCheck(context, at: lastRequest + idleTimeout)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        idleTimer = nil
        if pendingRead {
            pendingRead = false
            context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleTimer?.cancel()
        idleTimer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var bytes = unwrapInboundIn(data)
        if var head = unfinished {
            unfinished = nil
            head.writeBuffer(&bytes)
            bytes = head
        }
        var out: ByteBuffer? = nil
        var requests = 0
        var garbage: (any Error)? = nil
        do {
            while let frame = try ModbusTCPFrame.parse(&bytes) {
                requests += 1
                answer(frame, into: &out, context)
            }
        } catch {
            garbage = error
        }
        if requests > 0, idleTimeout != nil { lastRequest = context.eventLoop.now }
        if let adu = out {
            context.writeAndFlush(wrapOutboundOut(adu), promise: nil)
            answers = adu
        }
        if let garbage {
            failed = true
            logger.debug("Modbus connection closed: \(garbage)", metadata: ["connector": "\(connector)"])
            context.close(promise: nil)
            return
        }
        if bytes.readableBytes > 0 {
            var kept = context.channel.allocator.buffer(capacity: bytes.readableBytes)
            kept.writeBuffer(&bytes)
            unfinished = kept
        }
    }

    /// Answers one request: at once into `out` (the answers of this read), or later through the station.
    private func answer(_ frame: ModbusTCPFrame, into out: inout ByteBuffer?, _ context: ChannelHandlerContext) {
        let response: ModbusResponse
        switch PDUCodec.decodeRequest(frame.pdu) {
        case .failure(let code):
            response = .exception(function: frame.pdu.getInteger(at: frame.pdu.readerIndex, as: UInt8.self) ?? 0, code)
        case .success(let request):
            guard let immediate = handler.handleModbusImmediately(connector: connector, unitID: frame.unitID, request: request) else {
                answerLater(request, frame, context)
                return
            }
            response = immediate
        }
        if out == nil {
            var adu = answers ?? context.channel.allocator.buffer(capacity: Self.answerCapacity)
            answers = nil
            adu.clear()
            out = adu
        }
        ModbusTCPFrame.write(transactionID: frame.transactionID, unitID: frame.unitID, response: response, into: &out!)
    }

    /// A request the station answers on its own time (a write: acknowledged once applied). The answer goes out through
    /// the whole pipeline: it may complete after the handlers changed.
    private func answerLater(_ request: ModbusRequest, _ frame: ModbusTCPFrame, _ context: ChannelHandlerContext) {
        let channel = context.channel
        let promise = context.eventLoop.makePromise(of: ModbusResponse.self)
        let handler = self.handler, connector = self.connector
        let transactionID = frame.transactionID, unitID = frame.unitID
        promise.completeWithTask { await handler.handleModbus(connector: connector, unitID: unitID, request: request) }
        promise.futureResult.whenSuccess { response in
            var adu = channel.allocator.buffer(capacity: Self.answerCapacity)
            ModbusTCPFrame.write(transactionID: transactionID, unitID: unitID, response: response, into: &adu)
            channel.writeAndFlush(adu, promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("Modbus connection closed: \(error)", metadata: ["connector": "\(connector)"])
        context.close(promise: nil)
    }

    // MARK: Back pressure (as NIO's BackPressureHandler)

    func read(context: ChannelHandlerContext) {
        if writable { context.read() } else { pendingRead = true }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        writable = context.channel.isWritable
        if writable {
            if pendingRead {
                pendingRead = false
                context.read()
            }
        } else {
            context.flush()
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: Idle timeout

    private func scheduleIdleCheck(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = loopBound.value
            handler.idleCheck(context)
        }
    }

    /// The timer ran out: a connection that sent a request meanwhile is given the rest of its time, an idle one closes.
    private func idleCheck(_ context: ChannelHandlerContext) {
        idleTimer = nil
        guard let idleTimeout else { return }
        if lastRequest + idleTimeout > context.eventLoop.now {
            scheduleIdleCheck(context, at: lastRequest + idleTimeout)
        } else {
            context.close(promise: nil)
        }
    }
}
