import Logging
import ModbusTCP
import NIOCore
import NIOEmbedded
import Testing
@testable import Transport

/// The bounds of every listener (issue #20 item 2): the pure bookkeeping, the descriptor budget, the guard on a
/// channel and the timeouts, on NIO's embedded channel with its manual clock.
@Suite("Connection caps and timeouts of the listeners")
struct ConnectionGuardTests {
    @Test("an address gets its share, other addresses the rest, the listener never more than its cap")
    func ledgerCaps() {
        var ledger = ConnectionLedger(limits: ConnectionLimits(maxConnections: 5, maxPerAddress: 2))
        #expect(ledger.admit("10.0.0.1") == nil)
        #expect(ledger.admit("10.0.0.1") == nil)
        #expect(ledger.admit("10.0.0.1") == .addressFull)
        #expect(ledger.admit("10.0.0.2") == nil)
        #expect(ledger.admit("10.0.0.2") == nil)
        #expect(ledger.admit("10.0.0.3") == nil)
        #expect(ledger.admit("10.0.0.4") == .listenerFull)
        #expect(ledger.total == 5)
        ledger.release("10.0.0.1", established: false)
        #expect(ledger.admit("10.0.0.1") == nil, "a closed connection gives its slot back")
        for _ in 0..<5 { ledger.release("10.0.0.9", established: true) }
        for address in ["10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.2", "10.0.0.3"] { ledger.release(address, established: false) }
        #expect(ledger.total == 0)
        #expect(ledger.pending.isEmpty, "no address is kept once its connections closed")
    }

    @Test("established connections count against the listener only (chargers behind one NAT)")
    func ledgerEstablished() {
        var ledger = ConnectionLedger(limits: ConnectionLimits(maxConnections: 4, maxPerAddress: 1))
        #expect(ledger.admit("nat") == nil)
        #expect(ledger.admit("nat") == .addressFull, "one unfinished handshake per address")
        ledger.establish("nat")
        #expect(ledger.admit("nat") == nil)
        ledger.establish("nat")
        #expect(ledger.admit("nat") == nil)
        #expect(ledger.admit("other") == nil)
        #expect(ledger.admit("other2") == .listenerFull)
        ledger.release("nat", established: true)
        #expect(ledger.pending == ["nat": 1, "other": 1])
        #expect(ledger.total == 3)
    }

    @Test("limits are at least 1 and the per-address cap at most the total")
    func limitsClamp() {
        #expect(ConnectionLimits(maxConnections: 2, maxPerAddress: 4) == ConnectionLimits(maxConnections: 2, maxPerAddress: 2))
        #expect(ConnectionLimits(maxConnections: 0, maxPerAddress: 0).maxConnections == 1)
        #expect(ConnectionLimits(maxConnections: 0, maxPerAddress: 0).maxPerAddress == 1)
    }

    @Test("IPv6 clients are counted per /64, IPv4-mapped ones as their IPv4 address", arguments: [
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("::ffff:192.168.1.20", "192.168.1.20"),
        ("::1", "0:0:0:0::/64"),
    ])
    func addressKeys(address: String, key: String) throws {
        let socket = try SocketAddress(ipAddress: address, port: 1)
        #expect(ConnectionGuard.addressKey(socket) == key)
        #expect(ConnectionGuard.addressKey(try SocketAddress(ipAddress: "192.168.1.20", port: 1)) == "192.168.1.20")
    }

    @Test("the budget keeps the descriptors open at the start and the reserve", arguments: [
        (1024, 23, 1024 - 23 - DescriptorBudget.reserve), (65_536, 30, 65_536 - 30 - DescriptorBudget.reserve), (100, 20, 1),
    ])
    func budgetCapacity(limit: Int, open: Int, capacity: Int) {
        #expect(DescriptorBudget.capacity(limit: limit, openAtStart: open) == capacity)
    }

    @Test("the budget hands out its capacity and no more")
    func budgetAcquire() {
        let budget = DescriptorBudget(limit: DescriptorBudget.reserve + 13, openAtStart: 10)
        #expect(budget.capacity == 3)
        #expect((0..<5).map { _ in budget.acquire() } == [true, true, true, false, false])
        budget.release()
        #expect(budget.acquire())
        #expect(budget.inUse == 3)
    }

    @Test("the start raises the soft descriptor limit to the hard one (at most 65,536)")
    func raisesLimit() {
        let (_, limit) = DescriptorBudget.raiseSoftLimit()
        #expect(limit >= 1)
        let again = DescriptorBudget.raiseSoftLimit()
        #expect(again.before == limit && again.now == limit, "raising again changes nothing")
    }

    static func channel(from address: String) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 502)).wait()
        channel.remoteAddress = try SocketAddress(ipAddress: address, port: 40000)  // as accepted from that client
        return channel
    }

    static func close(_ channel: EmbeddedChannel) throws {
        try channel.close().wait()
        channel.embeddedEventLoop.run()  // the close future's callbacks
    }

    @Test("a refused connection is closed at once; a closed one gives back its slot and its descriptor")
    func guardOnChannels() throws {
        let budget = DescriptorBudget(limit: DescriptorBudget.reserve + 3, openAtStart: 0)
        let connectionGuard = ConnectionGuard(name: "test", limits: ConnectionLimits(maxConnections: 10, maxPerAddress: 2), budget: budget,
                                              logger: Logger(label: "test"))
        let a1 = try Self.channel(from: "10.0.0.1"), a2 = try Self.channel(from: "10.0.0.1"), a3 = try Self.channel(from: "10.0.0.1")
        #expect(throws: Never.self) { try connectionGuard.admit(a1).get() }
        #expect(throws: Never.self) { try connectionGuard.admit(a2).get() }
        #expect(throws: ConnectionRefused(reason: .addressFull)) { try connectionGuard.admit(a3).get() }
        #expect(!a3.isActive, "closed at once")
        let b1 = try Self.channel(from: "10.0.0.2"), b2 = try Self.channel(from: "10.0.0.2")
        #expect(throws: Never.self) { try connectionGuard.admit(b1).get() }
        #expect(throws: ConnectionRefused(reason: .descriptorsLow)) { try connectionGuard.admit(b2).get() }
        #expect(!b2.isActive)
        #expect(connectionGuard.snapshot.total == 3)
        #expect(budget.inUse == 3)
        try Self.close(a1)
        #expect(connectionGuard.snapshot.total == 2)
        #expect(budget.inUse == 2)
        let b3 = try Self.channel(from: "10.0.0.2")
        let slot = try connectionGuard.admit(b3).get()
        slot.establish()
        slot.establish()
        #expect(connectionGuard.snapshot.pending == ["10.0.0.1": 1, "10.0.0.2": 1])
        for c in [a2, b1, b3] { try Self.close(c) }
        #expect(connectionGuard.snapshot.total == 0)
        #expect(connectionGuard.snapshot.pending.isEmpty)
        #expect(budget.inUse == 0)
    }

    @Test("deadline: closed at the deadline whatever arrives, unless removed first")
    func deadline() throws {
        let slow = try Self.channel(from: "10.0.0.1")
        try slow.pipeline.syncOperations.addHandler(ConnectionTimeoutHandler(timeout: .seconds(10)))
        for _ in 0..<9 {
            try slow.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\n"))
            slow.embeddedEventLoop.advanceTime(by: .seconds(1))
        }
        #expect(slow.isActive)
        slow.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!slow.isActive)

        let upgraded = try Self.channel(from: "10.0.0.1")
        let handler = ConnectionTimeoutHandler(timeout: .seconds(10))
        try upgraded.pipeline.syncOperations.addHandler(handler, name: "handshake")
        upgraded.embeddedEventLoop.advanceTime(by: .seconds(5))
        try upgraded.pipeline.syncOperations.removeHandler(name: "handshake").wait()
        upgraded.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(upgraded.isActive)
    }
}
