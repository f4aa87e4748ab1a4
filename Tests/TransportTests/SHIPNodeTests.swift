import Glibc
import CNIOLinux  // sockaddr_in: which module defines it depends on the order the compiler meets the imports (MemberImportVisibility)
import EEBUS
import Foundation
import HostServices
import Logging
import OCPP16
import Synchronization
import Testing
@testable import Transport

/// The SHIP node over real TLS and WebSocket on 127.0.0.1: two Swift nodes against each other, and `openssl s_client`
/// against the listener's TLS (SHIP TS 1.0.1 §9.1, §10.2). Every wait is for a condition, with a deadline.
@Suite("SHIP node", .serialized)
struct SHIPNodeTests {
    /// A running node and everything it reported.
    final class Running: Sendable {
        let node: SHIPNode
        let identity: SHIPIdentity
        let port = Mutex<Int?>(nil)
        let seen = Mutex<[SHIPNodeEvent]>([])
        let tasks = Mutex<[Task<Void, Never>]>([])

        init(_ node: SHIPNode, identity: SHIPIdentity) { self.node = node; self.identity = identity }
        var events: [SHIPNodeEvent] { seen.withLock { $0 } }
        var ski: SHIPSKI { identity.ski }
        var listenPort: Int { port.withLock { $0 } ?? 0 }

        func stop() async {
            node.shutdown()
            for t in tasks.withLock({ $0 }) { await t.value }
        }

        func state(of ski: SHIPSKI) -> SHIPPeerState? { node.status.first { $0.ski == ski }?.state }
        func received(from ski: SHIPSKI) -> [JSONValue] {
            events.compactMap { if case .datagram(let s, let d) = $0, s == ski { d } else { nil } }
        }
        func closedReasons(_ ski: SHIPSKI) -> [String] {
            events.compactMap { if case .state(let s, .closed(let why)) = $0, s == ski { why } else { nil } }
        }
    }

    static func start(_ name: String, listen: Bool, trusted: Set<SHIPSKI> = [], identity: SHIPIdentity? = nil,
                      helloInit: Duration = .seconds(60), configure: (inout SHIPNodeConfiguration) -> Void = { _ in }) async throws -> Running {
        let identity = try identity ?? SHIPIdentity.make(shipID: name)
        var configuration = SHIPNodeConfiguration(identity: identity, listenHost: listen ? "127.0.0.1" : nil, listenPort: 0,
                                                  firstBackoff: .milliseconds(100), maximumBackoff: .milliseconds(400))
        configuration.connection.helloInit = helloInit
        configure(&configuration)
        let bound = AsyncStream.makeStream(of: Int.self)
        let node = try SHIPNode(configuration: configuration, trusted: trusted, logger: Logger(label: "ship-\(name)"),
                                onBound: { bound.continuation.yield($0) })
        let running = Running(node, identity: identity)
        let collector = Task { for await e in node.events { running.seen.withLock { $0.append(e) } } }
        let runner = Task { do { try await node.run() } catch { Issue.record("the node stopped: \(error)") } }
        running.tasks.withLock { $0 = [runner, collector] }
        if listen {
            for await p in bound.stream {
                running.port.withLock { $0 = p }
                break
            }
        }
        return running
    }

    /// Whether 127.0.0.1:`port` can be bound now as the node binds it, with SO_REUSEADDR (tried and released at once):
    /// connections of the old listener waiting out TIME_WAIT do not count, a socket still listening does.
    static func portIsFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var one: Int32 = 1
        guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size)) == 0 else { return false }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// Waits up to `seconds` for `condition`; records an issue naming `what` when it does not come.
    @discardableResult
    static func waitFor(_ what: String, seconds: Double = 15, detail: @autoclosure () -> String = "", _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out waiting for \(what) \(detail())")
        return false
    }

    static let datagram = JSONValue.object(["datagram": .object(["header": .object(["specificationVersion": .string("1.3.0"),
                                                                                    "msgCounter": .integer(1)]),
                                                                "payload": .object(["cmd": .array([.object(["resultData": .object(["errorNumber": .integer(0)])])])])])])

    @Test func twoTrustingNodesConnectOverTLSAndExchangeDatagramsBothWays() async throws {
        let client = try await Self.start("client", listen: false)
        let server = try await Self.start("station", listen: true, trusted: [client.ski])
        client.node.setTrusted([server.ski])
        client.node.connect(host: "127.0.0.1", port: server.listenPort, ski: server.ski)
        await Self.waitFor("both connected") { server.state(of: client.ski) == .connected && client.state(of: server.ski) == .connected }
        #expect(client.node.send(Self.datagram, to: server.ski))
        await Self.waitFor("the station receives the datagram") { server.received(from: client.ski) == [Self.datagram] }
        #expect(server.node.send(Self.datagram, to: client.ski))
        await Self.waitFor("the client receives the datagram") { client.received(from: server.ski) == [Self.datagram] }
        let status = try #require(server.node.status.first)
        #expect(status.role == .server && status.remoteAddress.hasPrefix("127.0.0.1:"))
        await Self.waitFor("the remote's SHIP id") { server.node.status.first?.remoteID == "client" }
        #expect(!server.node.send(Self.datagram, to: server.ski))
        // Many at once arrive all and in order (the station reads one message at a time).
        let burst = (1...300).map { JSONValue.object(["datagram": .object(["header": .object(["msgCounter": .integer(Int64($0))])])]) }
        for d in burst { client.node.send(d, to: server.ski) }
        await Self.waitFor("the burst") { server.received(from: client.ski).count == 301 }
        #expect(Array(server.received(from: client.ski).dropFirst()) == burst)
        await client.stop()
        await Self.waitFor("the station sees the orderly close") { server.closedReasons(client.ski) == ["closed by the remote"] }
        await server.stop()
    }

    @Test func anUntrustedClientWaitsAndIsAbortedWhenNobodyPairsIt() async throws {
        let client = try await Self.start("client", listen: false)
        let server = try await Self.start("station", listen: true, helloInit: .milliseconds(1500))
        client.node.setTrusted([server.ski])
        client.node.connect(host: "127.0.0.1", port: server.listenPort, ski: server.ski)
        await Self.waitFor("the trust request") { server.events.contains(.trustRequested(client.ski, remoteAddress: server.node.status.first?.remoteAddress ?? "")) }
        #expect(server.state(of: client.ski) == .waitingForTrust)
        await Self.waitFor("the hello timeout") { server.closedReasons(client.ski).contains { $0.contains("was not trusted within the hello time") } }
        await Self.waitFor("the client learns it is refused") { client.closedReasons(server.ski).contains { $0.contains("aborted the hello") } }
        #expect(client.received(from: server.ski).isEmpty)
        await client.stop()
        await server.stop()
    }

    @Test func trustGrantedWhilePendingConnectsAndDistrustCloses() async throws {
        let client = try await Self.start("client", listen: false)
        let server = try await Self.start("station", listen: true)
        client.node.setTrusted([server.ski])
        client.node.connect(host: "127.0.0.1", port: server.listenPort, ski: server.ski)
        await Self.waitFor("the trust request") { server.state(of: client.ski) == .waitingForTrust }
        server.node.setTrusted([client.ski])
        await Self.waitFor("both connected after pairing") { server.state(of: client.ski) == .connected && client.state(of: server.ski) == .connected }
        server.node.setTrusted([])
        await Self.waitFor("the station closes the unpaired node") { server.closedReasons(client.ski).contains { $0.contains("no longer trusted") } }
        await Self.waitFor("the client sees the close") { client.closedReasons(server.ski).contains { $0.contains("removed the pairing") || $0.contains("WebSocket") } }
        await client.stop()
        await server.stop()
    }

    @Test func theUserRefusingAPendingNodeEndsItsConnectionAtOnce() async throws {
        let client = try await Self.start("client", listen: false)
        let server = try await Self.start("station", listen: true)
        client.node.setTrusted([server.ski])
        client.node.connect(host: "127.0.0.1", port: server.listenPort, ski: server.ski)
        await Self.waitFor("the trust request") { server.state(of: client.ski) == .waitingForTrust }
        server.node.refuse(client.ski)
        await Self.waitFor("the refusal") { server.closedReasons(client.ski).contains { $0.contains("is not trusted (refused by the user)") } }
        await Self.waitFor("the client learns it") { client.closedReasons(server.ski).contains { $0.contains("aborted the hello") } }
        await client.stop()
        await server.stop()
    }

    @Test func aClientRefusesAServerWithAnotherSKI() async throws {
        let client = try await Self.start("client", listen: false)
        let server = try await Self.start("station", listen: true)
        let expected = SHIPSKI(subjectPublicKey: [9, 9, 9])
        client.node.connect(host: "127.0.0.1", port: server.listenPort, ski: expected)
        await Self.waitFor("the SKI refusal") { client.closedReasons(expected).contains { $0.contains("the server presented SKI \(server.ski), expected \(expected)") } }
        // The station sees the client go (it never got further than the connection mode initialisation).
        await Self.waitFor("the station's side closed") { server.node.status.isEmpty }
        #expect(!server.events.contains { if case .state(_, .connected) = $0 { true } else { false } })
        await client.stop()
        await server.stop()
    }

    @Test func theClientAsksForThePathTheRemoteAnnouncedAndFallsBackToSHIPsForOneThatIsNoRequestTarget() async throws {
        let client = try await Self.start("client", listen: false)
        let server = try await Self.start("station", listen: true, trusted: [client.ski])
        client.node.setTrusted([server.ski])
        // The station serves "/ship/" only: another announced path is asked for and answered 404.
        client.node.connect(host: "127.0.0.1", port: server.listenPort, ski: server.ski, path: "/eebus/")
        await Self.waitFor("the upgrade refused") { client.closedReasons(server.ski).contains("the server refused the WebSocket upgrade") }
        // A path with a line break (from a TXT record on the network) never reaches the request line: "/ship/" is used.
        client.node.connect(host: "127.0.0.1", port: server.listenPort, ski: server.ski, path: "/ship/ HTTP/1.1\r\nX-Injected: 1")
        await Self.waitFor("connected on /ship/") { client.state(of: server.ski) == .connected }
        await client.stop()
        await server.stop()
    }

    @Test func theClientReconnectsAfterTheServerComesBack() async throws {
        let identity = try SHIPIdentity.make(shipID: "station")
        let client = try await Self.start("client", listen: false, trusted: [identity.ski])
        // A fixed port outside the kernel's ephemeral range (32768–60999): the port the station had is free again for
        // its restart below, where a port the kernel handed out could meanwhile go to another test's socket.
        let fixed = try #require((0..<50).lazy.map { _ in Int.random(in: 20_000..<30_000) }.first(where: Self.portIsFree),
                                 "no free port in 20000–29999")
        let first = try await Self.start("station", listen: true, identity: identity) { $0.listenPort = fixed }
        first.node.setTrusted([client.ski])
        client.node.connect(host: "127.0.0.1", port: first.listenPort, ski: identity.ski)
        await Self.waitFor("connected") { client.state(of: identity.ski) == .connected }
        let port = first.listenPort
        await first.stop()
        await Self.waitFor("the client sees the station gone") { client.state(of: identity.ski) == nil }
        // The station starts again on the same port (so_reuseaddr) once the old listener let it go — under a full
        // parallel run that takes a moment after `stop()` returns —; the client's back-off finds it.
        await Self.waitFor("the old listener's port free again") { Self.portIsFree(port) }
        var configuration = SHIPNodeConfiguration(identity: identity, listenHost: "127.0.0.1", listenPort: port)
        configuration.connection.helloInit = .seconds(60)
        let again = try SHIPNode(configuration: configuration, trusted: [client.ski], logger: Logger(label: "again"))
        let runner = Task { do { try await again.run() } catch { Issue.record("the node stopped: \(error)") } }
        await Self.waitFor("reconnected") { client.state(of: identity.ski) == .connected && again.status.first?.state == .connected }
        again.shutdown()
        await runner.value
        await client.stop()
    }
}
