#if canImport(Glibc)
import Glibc
#endif
#if canImport(CNIOLinux)
import CNIOLinux  // where the build finds struct sockaddr_in6's members (MemberImportVisibility)
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import V2G

/// The connector's V2GTP server (ISO 15118-2:2014 §7.8): TCP on the PLC interface's link-local address, one vehicle
/// at a time. Each connection's bytes go through ``V2GTPFrameDecoder``; each complete EXI message goes to the
/// ``V2GSessionHandler`` and its reply back to the vehicle; ``V2GConnectionTimers`` closes a connection the vehicle
/// lets idle. A second connection while one is open is closed at once (a vehicle has one V2G communication session
/// per connector; what else reaches the link cannot take the connector from it).
///
/// For Plug & Charge a second instance runs with TLS (NIOSSL's handler in front of the same connection code,
/// ``V2GTLS``); the ``SDPOffer`` announces its port to a vehicle that asks for TLS.
public struct V2GTPServer: Sendable {
    public let channel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    public let port: UInt16
    /// The server speaks TLS.
    public let secure: Bool
    let limits: V2GConnectionTimers.Limits
    let maximumPayloadBytes: Int
    let logger: Logger

    /// Binds to `address` (its scope id names the interface) on `port`, or on a random port of the dynamic range
    /// (ISO 15118-2:2014 Table 15) when `port` is nil, trying another while one is taken.
    public static func bind(address: V2GLinkLocalAddress, port: UInt16?, limits: V2GConnectionTimers.Limits,
                            maximumPayloadBytes: Int, tls: NIOSSLContext? = nil, logger: Logger) async throws -> V2GTPServer {
        var attempt = 0
        while true {
            attempt += 1
            let p = port ?? UInt16.random(in: V2G.dynamicPorts)
            do {
                let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .serverChannelOption(.backlog, value: 4)
                    .bind(to: socketAddress(address, port: p)) { child in
                        child.eventLoop.makeCompletedFuture {
                            if let tls { try child.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                            return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: child)
                        }
                    }
                return V2GTPServer(channel: channel, port: p, secure: tls != nil, limits: limits, maximumPayloadBytes: maximumPayloadBytes,
                                   logger: logger)
            } catch let error as IOError where error.errnoCode == EADDRINUSE && port == nil && attempt < 32 {
                continue
            } catch {
                throw ListenError(listener: tls == nil ? "ISO 15118 V2GTP server" : "ISO 15118 V2GTP TLS server",
                                  host: address.description, port: Int(p), error: error,
                                  setting: "--tcp-port")
            }
        }
    }

    static func socketAddress(_ address: V2GLinkLocalAddress, port: UInt16) -> SocketAddress {
        var a = sockaddr_in6()
        a.sin6_family = sa_family_t(AF_INET6)
        a.sin6_port = port.bigEndian
        withUnsafeMutableBytes(of: &a.sin6_addr) { raw in for i in 0..<16 { raw[i] = address.bytes[i] } }
        a.sin6_scope_id = address.interfaceIndex
        return SocketAddress(a, host: address.description)
    }

    /// Accepts vehicles until the channel closes or the task is cancelled. `busy` is the connector's one vehicle
    /// connection: the plain and the TLS server of a connector share it, since their handler holds one session.
    public func serve(handler: any V2GSessionHandler, events: @escaping @Sendable (V2GTransportEvent) -> Void,
                      busy: NIOLockedValueBox<Bool> = NIOLockedValueBox(false)) async throws {
        var counter: UInt64 = 0
        let server = channel.channel
        try await channel.executeThenClose { inbound in
            // Cancellation closes the listening socket, which ends the accept loop; the connections' tasks end with it.
            try await withTaskCancellationHandler {
            try await withThrowingDiscardingTaskGroup { group in
                for try await connection in inbound {
                    let remote = connection.channel.remoteAddress
                    let address = Self.text(remote), port = remote?.port ?? 0
                    let taken = busy.withLockedValue { b in
                        if b { return false }
                        b = true
                        return true
                    }
                    guard taken else {
                        logger.warning("ISO 15118: refused a second V2GTP connection from [\(address)]:\(port): the connector's vehicle connection is open")
                        events(.connectionRefused(address: address, port: port, reason: "the connector's vehicle connection is open"))
                        try? await connection.channel.close()
                        continue
                    }
                    counter += 1
                    let peer = V2GPeer(connection: counter, address: address, port: port, secure: secure)
                    group.addTask {
                        await serveConnection(connection, peer: peer, handler: handler, events: events)
                        busy.withLockedValue { $0 = false }
                    }
                }
            }
            } onCancel: {
                server.close(promise: nil)
            }
        }
    }

    static func text(_ address: SocketAddress?) -> String {
        guard case .v6(let v6)? = address else { return address?.ipAddress ?? "?" }
        let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
        let zone = v6.address.sin6_scope_id == 0 ? "" : if_indextoname(v6.address.sin6_scope_id, &name) != nil
            ? "%" + String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "%\(v6.address.sin6_scope_id)"
        return V2GLinkLocalAddress.text(bytes) + zone
    }

    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }

    static func describe(_ version: TLSVersion) -> String {
        switch version {
        case .tlsv13: "TLS 1.3"
        case .tlsv12: "TLS 1.2"
        case .tlsv11: "TLS 1.1"
        case .tlsv1: "TLS 1.0"
        }
    }

    func serveConnection(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, peer: V2GPeer, handler: any V2GSessionHandler,
                         events: @escaping @Sendable (V2GTransportEvent) -> Void) async {
        let timers = NIOLockedValueBox(V2GConnectionTimers(limits: limits, openedAtNanoseconds: Self.now()))
        let ending = NIOLockedValueBox<V2GCloseReason?>(nil)
        let end: @Sendable (V2GCloseReason) -> Void = { reason in
            ending.withLockedValue { if $0 == nil { $0 = reason } }
            connection.channel.close(promise: nil)
        }
        logger.info("ISO 15118: vehicle connected from \(peer)")
        events(.connected(peer))
        await handler.sessionOpened(peer)
        await withTaskCancellationHandler {
        try? await connection.executeThenClose { inbound, outbound in
            await withTaskGroup(of: Void.self) { group in
                // The timers' watchdog: checks at the next deadline, at the latest every 100 ms (a deadline moves
                // with each request and response).
                group.addTask {
                    while !Task.isCancelled {
                        let now = Self.now()
                        let state = timers.withLockedValue { $0 }
                        if let expiry = state.expired(atNanoseconds: now) {
                            end(.timeout(expiry))
                            return
                        }
                        let wait = min(100_000_000, (state.nextDeadline?.atNanoseconds ?? .max) - now)
                        try? await Task.sleep(nanoseconds: wait)
                    }
                }
                group.addTask {
                    var decoder = V2GTPFrameDecoder(maximumPayloadBytes: maximumPayloadBytes)
                    var peer = peer
                    do {
                        for try await buffer in inbound {
                            if peer.secure && peer.tlsVersion == nil {
                                // Bytes came through TLS, so its handshake is complete: the version it agreed.
                                let version = try? await connection.channel.nioSSL_tlsVersion().get()
                                peer.tlsVersion = version.map(Self.describe) ?? "TLS (version unknown)"
                                logger.info("ISO 15118: \(peer) speaks \(peer.tlsVersion ?? "TLS")")
                            }
                            decoder.append(buffer.readableBytesView)
                            while let result = decoder.next() {
                                switch result {
                                case .failure(let error):
                                    logger.warning("ISO 15118: \(peer): \(error); closing the connection")
                                    end(.framing(error))
                                    return
                                case .success(.ignored(let error)):
                                    logger.warning("ISO 15118: \(peer): \(error); message ignored")
                                    events(.frameIgnored(peer, reason: "\(error)"))
                                case .success(.frame(let frame)):
                                    timers.withLockedValue { $0.requestReceived(atNanoseconds: Self.now()) }
                                    events(.frame(peer, frame))
                                    switch await handler.handle(frame, from: peer) {
                                    case .respond(let response, let completesSetup):
                                        try await outbound.write(ByteBuffer(bytes: response.bytes))
                                        timers.withLockedValue { $0.responseSent(atNanoseconds: Self.now(), completesSetup: completesSetup) }
                                    case .respondAndClose(let response):
                                        try await outbound.write(ByteBuffer(bytes: response.bytes))
                                        end(.handler("session ended by the station"))
                                        return
                                    case .noResponse:
                                        break
                                    case .close(let reason):
                                        end(.handler(reason))
                                        return
                                    }
                                }
                            }
                        }
                    } catch {}
                    end(Task.isCancelled ? .shutdown : .peerClosed)
                }
                await group.next()
                group.cancelAll()
            }
        }
        } onCancel: {
            end(.shutdown)
        }
        let reason = ending.withLockedValue { $0 } ?? .peerClosed
        logger.info("ISO 15118: connection \(peer) closed: \(reason)")
        events(.closed(peer, reason))
        await handler.sessionClosed(peer, reason: reason)
    }
}
