import EEBUS
import Logging
import NIOCore
import NIOPosix
import OCPP16
import Testing
@testable import Transport

/// The SHIP node's bounds over the network: the message size, the connection caps, and two nodes connecting to each
/// other at once (SHIP TS 1.0.1 §12.2.2).
@Suite("SHIP node limits", .serialized)
struct SHIPNodeLimitsTests {
    typealias T = SHIPNodeTests

    @Test func anOversizeMessageClosesTheConnectionWithTheLimitInTheReason() async throws {
        // The client allows itself larger messages than the station accepts.
        let client = try await T.start("client", listen: false) { $0.connection.maxMessageBytes = 1 << 20 }
        let server = try await T.start("station", listen: true, trusted: [client.ski])
        client.node.setTrusted([server.ski])
        client.node.connect(host: "127.0.0.1", port: server.listenPort, ski: server.ski)
        await T.waitFor("connected") { server.state(of: client.ski) == .connected && client.state(of: server.ski) == .connected }
        let big = JSONValue.object(["datagram": .string(String(repeating: "x", count: 300_000))])
        let sent = client.node.send(big, to: server.ski)
        #expect(sent)
        await T.waitFor("the station refuses the message", detail: "\(server.events) \(client.events)") {
            server.closedReasons(client.ski).contains { $0.hasPrefix("a message of 300") && $0.hasSuffix("exceeds the limit of 262144 bytes") }
        }
        #expect(server.received(from: client.ski).isEmpty)
        // The station itself does not send what is over its limit.
        await T.waitFor("reconnected", detail: "\(server.events) \(client.events)") { server.state(of: client.ski) == .connected }
        let sentBack = server.node.send(big, to: client.ski)
        #expect(!sentBack || client.received(from: server.ski).isEmpty)
        await client.stop()
        await server.stop()
    }

    @Test func connectionsBeyondTheCapsAreClosedAtOnce() async throws {
        let server = try await T.start("station", listen: true) {
            $0.limits = ConnectionLimits(maxConnections: 2, maxPerAddress: 2)
            $0.setupTimeout = .seconds(60)
        }
        var channels: [any Channel] = []
        for _ in 0..<3 {
            channels.append(try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: server.listenPort).get())
        }
        // The one the station accepted last (not necessarily the last connected) is closed at once, not after the setup
        // timeout; the two admitted ones stay open.
        await T.waitFor("one connection closed", seconds: 5) { channels.filter { !$0.isActive }.count == 1 }
        #expect(server.node.status.isEmpty)
        #expect(channels.filter(\.isActive).count == 2)
        for channel in channels { try? await channel.close() }
        await server.stop()
    }

    @Test func twoNodesConnectingToEachOtherKeepOneConnection() async throws {
        let a = try await T.start("a", listen: true)
        let b = try await T.start("b", listen: true)
        a.node.setTrusted([b.ski])
        b.node.setTrusted([a.ski])
        a.node.connect(host: "127.0.0.1", port: b.listenPort, ski: b.ski)
        b.node.connect(host: "127.0.0.1", port: a.listenPort, ski: a.ski)
        await T.waitFor("one connected connection on each side") {
            a.node.status.count == 1 && b.node.status.count == 1 && a.state(of: b.ski) == .connected && b.state(of: a.ski) == .connected
        }
        // Datagrams flow over the one that is left.
        #expect(a.node.send(T.datagram, to: b.ski))
        await T.waitFor("the datagram") { b.received(from: a.ski) == [T.datagram] }
        await a.stop()
        await b.stop()
    }
}
