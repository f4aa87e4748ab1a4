import EEBUS
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
@_spi(WSInternal) import WSCore

extension SHIPNode {
    /// Runs one open WebSocket through its ``SHIPConnection`` machine until the machine ends: WebSocket messages,
    /// timers, trust changes, datagrams to send and close requests all come in through one stream, in order, and the
    /// machine's actions are carried out here (the only writer of the connection). Returns the best state reached
    /// (`.connected` when the data phase was reached).
    func session(_ channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, type: WebSocketType, role: SHIPRole, ski: SHIPSKI, remote: String,
                 slot: ConnectionGuard.Slot?) async -> SHIPPeerState {
        let (input, continuation) = AsyncStream.makeStream(of: SHIPEvent.self)
        guard let registration = register(ski: ski, role: role, remote: remote, input: continuation) else {
            channel.channel.close(promise: nil)
            return .closed("the station stops")
        }
        let id = registration.id, trusted = registration.trusted
        if role == .server { sink.yield(.state(ski, .connecting)) }
        let settings = configuration.connection
        let outcome = Mutex<(reached: SHIPPeerState, end: SHIPEnd)>((.connecting, SHIPEnd(.closedByRemote, "the WebSocket ended")))
        let maxSize = webSocketMaxSize, logger = self.logger
        let metadata: Logger.Metadata = ["remote": "\(remote)", "ski": "\(ski)", "role": "\(role.rawValue)"]
        do {
            _ = try await WebSocketHandler.handle(
                type: type,
                configuration: .init(extensions: [], autoPing: .enabled(timePeriod: configuration.pingInterval), closeTimeout: .seconds(5),
                                     validateUTF8: false, maxFrameSize: maxSize),
                asyncChannel: channel, context: Context(logger: logger)
            ) { inbound, outbound, _ in
                var machine = SHIPConnection(role: role, remoteSKI: ski, trusted: trusted, settings: settings)
                // First in the stream: a message read before it would meet a machine that has not started.
                continuation.yield(.opened)
                // One received message at a time: the next is read once the machine has handled this one, so a fast
                // sender waits in TCP's window rather than in the station's memory.
                let (handled, handledContinuation) = AsyncStream.makeStream(of: Void.self)
                let reader = Task {
                    var next = handled.makeAsyncIterator()
                    do {
                        for try await message in inbound.messages(maxSize: maxSize) {
                            switch message {
                            case .binary(let buffer): continuation.yield(.received(Array(buffer: buffer)))
                            case .text(let text): continuation.yield(.received(Array(text.utf8)))
                            }
                            guard await next.next() != nil else { return }
                        }
                        continuation.yield(.transportClosed("the remote closed it or stopped answering pings"))
                    } catch {
                        // A frame or message over the size limit (WebSocket close 1009), or a broken stream.
                        logger.warning("SHIP: the WebSocket failed: \(error)", metadata: metadata)
                        continuation.yield(.transportClosed("\(error)"))
                    }
                }
                var timers: [SHIPTimer: Task<Void, Never>] = [:]
                defer {
                    handledContinuation.finish()
                    reader.cancel()
                    for timer in timers.values { timer.cancel() }
                }
                events: for await event in input {
                    defer { if case .received = event { handledContinuation.yield() } }
                    for action in machine.handle(event, now: self.now) {
                        switch action {
                        case .send(let bytes):
                            try? await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                        case .deliver(let datagram):
                            self.sink.yield(.datagram(ski, datagram))
                        case .startTimer(let timer, let after):
                            timers[timer]?.cancel()
                            timers[timer] = Task {
                                try? await Task.sleep(for: after)
                                if !Task.isCancelled { continuation.yield(.timerFired(timer)) }
                            }
                        case .cancelTimer(let timer):
                            timers.removeValue(forKey: timer)?.cancel()
                        case .askTrust(let remoteSKI):
                            self.update(id, .waitingForTrust)
                            logger.info("SHIP: a node that is not paired connected; it waits for the user's decision", metadata: metadata)
                            self.sink.yield(.trustRequested(remoteSKI, remoteAddress: remote))
                        case .established:
                            outcome.withLock { $0.reached = .connected }
                            slot?.establish()
                            self.update(id, .connected)
                            logger.info("SHIP: connected", metadata: metadata)
                            if let double = self.resolveDoubleConnection(id) { double.close.yield(.closeRequested(double.reason)) }
                        case .remoteAccessMethods(let methods):
                            self.setRemoteID(id, methods.id)
                        case .sendRefused(let why):
                            logger.debug("SHIP: datagram not sent: \(why)", metadata: metadata)
                        case .closeWebSocket(let code, let reason):
                            try? await outbound.close(WebSocketErrorCode(codeNumber: Int(code)), reason: Self.closeReason(reason))
                        case .ended(let e):
                            outcome.withLock { $0.end = e }
                            break events
                        }
                    }
                }
            }
        } catch {
            outcome.withLock { o in
                if o.end.reason == "the WebSocket ended" { o.end = SHIPEnd(.closedByRemote, "\(error)") }
            }
        }
        continuation.finish()
        let (reached, end) = outcome.withLock { $0 }
        switch end.cause {
        case .closed, .closedByRemote:
            logger.info("SHIP: connection ended: \(end.reason)", metadata: metadata)
        case .untrusted, .refusedByRemote, .timeout, .protocolError, .oversize:
            logger.warning("SHIP: connection refused or broken: \(end.reason)", metadata: metadata)
        }
        unregister(id, end)
        return reached
    }

    /// A WebSocket close reason fits in 123 bytes (RFC 6455 §5.5: control frames carry at most 125, 2 of them the code);
    /// the full reason is in the log and the node's events.
    static func closeReason(_ reason: String) -> String {
        guard reason.utf8.count > 123 else { return reason }
        var out = ""
        for c in reason {
            if out.utf8.count + String(c).utf8.count > 120 { break }
            out.append(c)
        }
        return out + "…"
    }
}
