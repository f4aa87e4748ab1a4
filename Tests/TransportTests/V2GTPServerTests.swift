#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOPosix
import Testing
@testable import Transport
import V2G

/// The V2GTP server with a session handler that answers, on ::1 (the interop test `Tests/Interop/iso15118/test_sdp.py`
/// runs it on a link-local veth with a handler that never answers): responses in order over split writes, the
/// sequence timer after a response, a response that closes the connection.
@Suite("ISO 15118 V2GTP server with an answering session handler")
struct V2GTPServerTests {
    /// Answers each request with its payload reversed; "stop" gets a last answer and the close; `setup` marks the
    /// first answer as the SessionSetupRes. Reports every close reason.
    struct Echo: V2GSessionHandler {
        let closed: AsyncStream<V2GCloseReason>.Continuation
        func sessionOpened(_ peer: V2GPeer) async {}
        func handle(_ frame: V2GTPFrame, from peer: V2GPeer) async -> V2GSessionReply {
            let reply = V2GTPFrame(payloadType: frame.payloadType, payload: frame.payload.reversed())
            if frame.payload == Array("stop".utf8) { return .respondAndClose(reply) }
            return .respond(reply, completesSetup: true)
        }
        func sessionClosed(_ peer: V2GPeer, reason: V2GCloseReason) async { closed.yield(reason) }
    }

    static let loopback = V2GLinkLocalAddress(bytes: Array(repeating: 0, count: 15) + [1], interfaceIndex: 0, interfaceName: "lo", state: .usable)

    func withServer(limits: V2GConnectionTimers.Limits,
                    _ body: (V2GTPServer, AsyncStream<V2GCloseReason>) async throws -> Void) async throws {
        let (closed, continuation) = AsyncStream.makeStream(of: V2GCloseReason.self)
        let server = try await V2GTPServer.bind(address: Self.loopback, port: nil, limits: limits, maximumPayloadBytes: 1024,
                                                logger: Logger(label: "test"))
        #expect(V2G.dynamicPorts.contains(server.port))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve(handler: Echo(closed: continuation), events: { _ in }) }
            try await body(server, closed)
            group.cancelAll()
        }
    }

    /// A client on ::1 that reads what the server sends until it closes.
    func connect(_ port: UInt16) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "::1", port: Int(port)) { channel in
            channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
        }
    }

    @Test("two requests in three writes get their answers in order; the vehicle's close ends the session")
    func answersInOrder() async throws {
        try await withServer(limits: .standard) { server, closed in
            let client = try await connect(server.port)
            let stream = V2GTPFrame(payloadType: .exi, payload: [0x80, 1, 2]).bytes + V2GTPFrame(payloadType: .exi, payload: [0x80, 3]).bytes
            var received: [UInt8] = []
            try await client.executeThenClose { inbound, outbound in
                for part in [stream[0..<5], stream[5..<13], stream[13...]] { try await outbound.write(ByteBuffer(bytes: part)) }
                for try await buffer in inbound {
                    received += buffer.readableBytesView
                    if received.count >= 21 { break }
                }
            }
            #expect(received == V2GTPFrame(payloadType: .exi, payload: [2, 1, 0x80]).bytes + V2GTPFrame(payloadType: .exi, payload: [3, 0x80]).bytes)
            var reasons = closed.makeAsyncIterator()
            #expect(await reasons.next() == .peerClosed)
        }
    }

    @Test("after a response the sequence timer runs: an idle vehicle is closed by V2G_SECC_Sequence_Timeout")
    func sequenceTimeout() async throws {
        let limits = V2GConnectionTimers.Limits(communicationSetupNanoseconds: 20_000_000_000, sequenceNanoseconds: 300_000_000)
        try await withServer(limits: limits) { server, closed in
            let client = try await connect(server.port)
            let started = ContinuousClock.now
            var received: [UInt8] = []
            try await client.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(bytes: V2GTPFrame(payloadType: .exi, payload: [0x80]).bytes))
                for try await buffer in inbound { received += buffer.readableBytesView }  // until the server closes
            }
            #expect(received == V2GTPFrame(payloadType: .exi, payload: [0x80]).bytes)
            var reasons = closed.makeAsyncIterator()
            #expect(await reasons.next() == .timeout(.sequence))
            #expect(ContinuousClock.now - started >= .milliseconds(300))
        }
    }

    @Test("a response that ends the session is sent, then the connection closes")
    func respondAndClose() async throws {
        try await withServer(limits: .standard) { server, closed in
            let client = try await connect(server.port)
            var received: [UInt8] = []
            try await client.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(bytes: V2GTPFrame(payloadType: .exi, payload: Array("stop".utf8)).bytes))
                for try await buffer in inbound { received += buffer.readableBytesView }
            }
            #expect(received == V2GTPFrame(payloadType: .exi, payload: Array("pots".utf8)).bytes)
            var reasons = closed.makeAsyncIterator()
            #expect(await reasons.next() == .handler("session ended by the station"))
        }
    }
}
