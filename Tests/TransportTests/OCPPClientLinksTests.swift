import Logging
import Synchronization
import Testing
@testable import Transport

/// The gateway's upstream links (External mode) as Transport keeps them: one per key, events of a closed or replaced
/// link dropped, frames sent only while the WebSocket is open.
@Suite("OCPP client links")
struct OCPPClientLinksTests {
    static let settings = OCPPConnectionSettings(baseURL: "ws://127.0.0.1:9/ocpp", chargeBoxIdentity: "CP1", basicAuthPassword: nil, proxy: "",
                                                 pingInterval: .seconds(60), connectTimeout: .seconds(1), tlsStrictness: .normal, watchdog: .zero)

    /// An outbound side whose frames can be read back, and whether it was closed (keep the stream: dropping it ends it).
    static func outbound() -> (OCPPOutbound, AsyncStream<String>, closed: @Sendable () -> Bool) {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        let closed = Mutex(false)
        continuation.onTermination = { _ in closed.withLock { $0 = true } }
        return (OCPPOutbound(continuation: continuation), stream, { closed.withLock { $0 } })
    }

    static func rest(_ stream: AsyncStream<String>) async -> [String] {
        var out: [String] = []
        for await text in stream { out.append(text) }
        return out
    }

    @Test("one link per key; stale events are dropped (a late connection is closed); close stops the client")
    func links() async throws {
        var links = OCPPClientLinks<String>()
        let stopped = Mutex<Int>(0)
        var started = 0
        func open() {
            links.open("CP1", settings: Self.settings, logger: Logger(label: "test"), events: { _, _, _ in }, run: { _ in
                started += 1
                return { stopped.withLock { $0 += 1 } }
            })
        }
        open()
        open()
        #expect(started == 1 && links.keys == ["CP1"])
        let first = try #require(links.generation(of: "CP1"))

        let (out1, stream1, _) = Self.outbound()
        #expect(links.accept("CP1", generation: first, .connected(out1)) != nil)
        links.send("CP1", "hello")
        #expect(links.accept("CP1", generation: first + 1, .received("stale")) == nil)
        guard case .received("[3]")? = links.accept("CP1", generation: first, .received("[3]")) else { Issue.record("the frame was dropped"); return }
        #expect(links.accept("CP1", generation: first, .disconnected(reason: "gone")) != nil)
        links.send("CP1", "lost")  // not open: nothing is sent
        out1.close()
        #expect(await Self.rest(stream1) == ["hello"])

        links.close("CP1")
        #expect(stopped.withLock { $0 } == 1 && links.generation(of: "CP1") == nil)
        open()
        let second = try #require(links.generation(of: "CP1"))
        #expect(second > first && started == 2)
        let (late, lateStream, lateClosed) = Self.outbound()
        #expect(links.accept("CP1", generation: first, .connected(late)) == nil)
        #expect(lateClosed(), "the late connection of the old link was closed")

        let (out2, stream2, closed2) = Self.outbound()
        #expect(links.accept("CP1", generation: second, .connected(out2)) != nil && !closed2())
        links.closeAll()
        #expect(closed2() && stopped.withLock { $0 } == 2 && links.keys.isEmpty)
        withExtendedLifetime((lateStream, stream2)) {}  // a stream dropped early ends by itself
    }
}
