#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import ModbusTCP
import NIOCore
import NIOPosix
import ServiceLifecycle
#if canImport(Glibc)
import Glibc
#endif

/// A Modbus RTU slave on a serial device (RS-485 adapter, or a pseudo-terminal in tests): 8 data bits, the configured
/// baud rate, parity and stop bits. It answers requests for its unit id (any non-zero unit id when it is 0); a
/// broadcast (unit id 0) is carried out without an answer, and requests for other slaves are ignored, as the serial
/// line protocol requires.
///
/// - SeeAlso: Modbus over Serial Line V1.02 §2.2 (unicast/broadcast), §2.5 (RTU); seeds/003 §2.2 step 3.
public struct ModbusRTUSlave: Service {
    let settings: SerialSettings
    let unitID: UInt8
    let handler: any ModbusRequestHandler
    let logger: Logger

    public init(settings: SerialSettings, unitID: UInt8, handler: any ModbusRequestHandler, logger: Logger) {
        self.settings = settings; self.unitID = unitID; self.handler = handler; self.logger = logger
    }

    public func run() async throws {
        let fd = try SerialPort.openDescriptor(settings)
        let handler = self.handler, unitID = self.unitID, logger = self.logger
        let channel = try await NIOPipeBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RTUSlaveHandler(unitID: unitID, handler: handler, logger: logger))
                }
            }
            .takingOwnershipOfDescriptor(inputOutput: fd)
            .get()
        logger.info("Modbus RTU slave on \(settings.device)", metadata: ["baud": "\(settings.baudRate)", "parity": "\(settings.parity)",
                                                                       "stopBits": "\(settings.stopBits)", "unit": "\(unitID)"])
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                try? await channel.closeFuture.get()
            } onGracefulShutdown: {
                channel.close(promise: nil)
            }
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}

/// Frames requests, asks the handler and writes the RTU answer.
final class RTUSlaveHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let unitID: UInt8
    let handler: any ModbusRequestHandler
    let logger: Logger
    private var framer = RTURequestFramer()
    private var silence: Scheduled<Void>?
    /// A partial frame older than this is noise (3.5 characters at 1200 baud are 32 ms).
    static let frameGap = TimeAmount.milliseconds(100)

    init(unitID: UInt8, handler: any ModbusRequestHandler, logger: Logger) {
        self.unitID = unitID; self.handler = handler; self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data).readableBytesView
        silence?.cancel()
        for (unit, pdu) in framer.append(bytes) { serve(context: context, unit: unit, pdu: pdu) }
        if !framer.buffer.isEmpty {
            let loop = context.eventLoop.assumeIsolated()
            silence = loop.scheduleTask(in: Self.frameGap) { [self] in self.framer.reset() }
        }
    }

    private func serve(context: ChannelHandlerContext, unit: UInt8, pdu: [UInt8]) {
        let broadcast = unit == 0
        guard broadcast || unitID == 0 || unit == unitID else { return }
        let function = pdu.first ?? 0
        let channel = context.channel
        let respond: @Sendable (ModbusResponse) -> Void = { response in
            guard !broadcast else { return }
            var out = channel.allocator.buffer(capacity: 64)
            PDUCodec.encode(response, into: &out)
            let frame = RTUFrame.encode(unitID: unit, pdu: Array(out.readableBytesView))
            channel.writeAndFlush(channel.allocator.buffer(bytes: frame), promise: nil)
        }
        switch PDUCodec.decodeRequest(ByteBuffer(bytes: pdu)) {
        case .failure(let code):
            respond(.exception(function: function, code))
        case .success(let request):
            let handler = self.handler
            let promise = context.eventLoop.makePromise(of: ModbusResponse.self)
            promise.completeWithTask { await handler.handleModbus(connector: 1, unitID: unit, request: request) }
            promise.futureResult.whenSuccess(respond)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.warning("Modbus RTU: \(error)")
    }
}
