import Testing
@testable import MQTT

/// The client session machine: packets and ticks in, actions out, on a manual clock (seconds).
@Suite struct MQTTSessionTests {
    static let connect = MQTTConnect(clientId: "ck", keepAliveSeconds: 30, will: MQTTWill(topic: "p/ck/availability", payload: Array("offline".utf8)))

    func connected() -> MQTTSession {
        var s = MQTTSession(connect: Self.connect)
        _ = s.opened(nowSeconds: 0)
        _ = s.received(MQTTPacket.connack(sessionPresent: false, returnCode: 0).encoded(), nowSeconds: 0.1)
        return s
    }

    /// §3.1: CONNECT (with the will) is the first packet; CONNACK 0 makes the session connected.
    @Test func mqtt311_3_1_connectFirstThenConnack() {
        var s = MQTTSession(connect: Self.connect)
        #expect(s.opened(nowSeconds: 0) == [.send(.connect(Self.connect))])
        #expect(s.publish(topic: "t", payload: [], nowSeconds: 0) == [], "nothing may be published before CONNACK")
        #expect(s.received(MQTTPacket.connack(sessionPresent: false, returnCode: 0).encoded(), nowSeconds: 1) == [.connected(sessionPresent: false)])
        #expect(s.state == .connected)
    }

    /// §3.2.2.3: a refusal (4 = bad user name or password) closes with its reason.
    @Test func mqtt311_3_2_2_3_refusedConnectionCloses() {
        var s = MQTTSession(connect: Self.connect)
        _ = s.opened(nowSeconds: 0)
        #expect(s.received(.connack(sessionPresent: false, returnCode: 4), nowSeconds: 1) == [.close(reason: "broker refused the connection: bad user name or password (4)")])
        #expect(s.state == .closed)
    }

    /// §3.1.4: no CONNACK within the timeout closes the connection.
    @Test func mqtt311_3_1_4_connackTimeout() {
        var s = MQTTSession(connect: Self.connect, connackTimeoutSeconds: 10)
        _ = s.opened(nowSeconds: 0)
        #expect(s.tick(nowSeconds: 9.9) == [])
        #expect(s.tick(nowSeconds: 10) == [.close(reason: "no CONNACK within 10 s")])
    }

    /// §3.1.2.10: PINGREQ after the keep-alive without a packet sent; no PINGRESP within another period closes.
    @Test func mqtt311_3_1_2_10_keepAlive() {
        var s = connected()
        #expect(s.tick(nowSeconds: 29) == [])
        #expect(s.tick(nowSeconds: 30) == [.send(.pingreq)])
        #expect(s.tick(nowSeconds: 45) == [], "one PINGREQ at a time")
        #expect(s.received(.pingresp, nowSeconds: 46) == [])
        #expect(s.tick(nowSeconds: 60) == [.send(.pingreq)])
        #expect(s.tick(nowSeconds: 90) == [.close(reason: "no PINGRESP within 30 s (keep alive, §3.1.2.10)")])
    }

    /// A packet sent resets the keep-alive timer.
    @Test func mqtt311_3_1_2_10_trafficDefersPing() {
        var s = connected()
        _ = s.publish(topic: "t", payload: [1], nowSeconds: 20)
        #expect(s.tick(nowSeconds: 30) == [])
        #expect(s.tick(nowSeconds: 50) == [.send(.pingreq)])
    }

    /// §4.3.2 / §4.4: QoS 1 is sent with a packet identifier, retried with DUP until PUBACK.
    @Test func mqtt311_4_3_2_qos1PublishUntilPuback() {
        var s = MQTTSession(connect: Self.connect, retryIntervalSeconds: 20)
        _ = s.opened(nowSeconds: 0)
        _ = s.received(.connack(sessionPresent: false, returnCode: 0), nowSeconds: 0)
        let sent = s.publish(topic: "t", payload: [1], qos: .atLeastOnce, retain: true, nowSeconds: 1)
        let expected = MQTTPublish(topic: "t", payload: [1], qos: .atLeastOnce, retain: true, packetId: 1)
        #expect(sent == [.send(.publish(expected))])
        #expect(s.unacknowledged == 1)
        var dup = expected; dup.dup = true
        #expect(s.tick(nowSeconds: 21).contains(.send(.publish(dup))))
        #expect(s.received(.puback(packetId: 1), nowSeconds: 22) == [.acknowledged(packetId: 1)])
        #expect(s.unacknowledged == 0)
        #expect(s.received(.puback(packetId: 1), nowSeconds: 23) == [], "a second PUBACK is ignored")
    }

    /// §4.3.2: a QoS 1 message from the broker is acknowledged with its identifier, then delivered.
    @Test func mqtt311_4_3_2_incomingQos1Acknowledged() {
        var s = connected()
        let p = MQTTPublish(topic: "p/ck/connector/1/operator_current_limit/set", payload: Array("16".utf8), qos: .atLeastOnce, packetId: 9)
        #expect(s.received(MQTTPacket.publish(p).encoded(), nowSeconds: 1) ==
                [.send(.puback(packetId: 9)), .deliver(topic: p.topic, payload: p.payload)])
    }

    /// Several packets in one read, and one split across reads, are all handled in order.
    @Test func packetsAcrossReads() {
        var s = connected()
        let a = MQTTPacket.publish(MQTTPublish(topic: "a", payload: [1])).encoded()
        let b = MQTTPacket.publish(MQTTPublish(topic: "b", payload: [2])).encoded()
        let both = a + b
        #expect(s.received(Array(both[0..<4]), nowSeconds: 1) == [])
        #expect(s.received(Array(both[4...]), nowSeconds: 1) == [.deliver(topic: "a", payload: [1]), .deliver(topic: "b", payload: [2])])
    }

    /// §4.8: a malformed packet from the broker closes the connection, with the reason.
    @Test func mqtt311_4_8_malformedPacketCloses() {
        var s = connected()
        let actions = s.received([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], nowSeconds: 1)
        #expect(actions == [.close(reason: "remaining length longer than four bytes (MQTT 3.1.1 §2.2.3)")])
        #expect(s.state == .closed)
        #expect(s.received([0xD0, 0x00], nowSeconds: 2) == [], "nothing is handled after the close")
    }

    /// §3.2: the first packet from the server must be CONNACK; a server never sends CONNECT.
    @Test func mqtt311_3_2_unexpectedPacketsClose() {
        var s = MQTTSession(connect: Self.connect)
        _ = s.opened(nowSeconds: 0)
        #expect(s.received(.pingresp, nowSeconds: 1) == [.close(reason: "expected CONNACK, got packet type 13")])
        var c = connected()
        #expect(c.received(.connect(Self.connect), nowSeconds: 1) == [.close(reason: "unexpected packet type 1 from the server")])
    }

    /// §3.9.3: a refused subscription (0x80) closes, so the adapter reconnects and the log says why.
    @Test func mqtt311_3_9_3_subscriptionRefused() {
        var s = connected()
        #expect(s.subscribe([MQTTSubscription("p/ck/#")], nowSeconds: 1) == [.send(.subscribe(packetId: 1, filters: [MQTTSubscription("p/ck/#")]))])
        #expect(s.received(.suback(packetId: 1, returnCodes: [0x80]), nowSeconds: 2) == [.close(reason: "the broker refused a subscription (SUBACK 0x80, §3.9.3)")])
    }

    /// §3.14: DISCONNECT, then close (the broker discards the will).
    @Test func mqtt311_3_14_disconnect() {
        var s = connected()
        #expect(s.disconnect(nowSeconds: 1) == [.send(.disconnect), .close(reason: "disconnected")])
    }

    /// A broker that stops acknowledging: the connection closes at the in-flight limit rather than growing without end
    /// or running out of packet identifiers (§2.3.1).
    @Test func mqtt311_2_3_1_inFlightLimitCloses() {
        var s = MQTTSession(connect: Self.connect, maximumInFlight: 3)
        _ = s.opened(nowSeconds: 0)
        _ = s.received(.connack(sessionPresent: false, returnCode: 0), nowSeconds: 0)
        for i in 1...3 {
            #expect(s.publish(topic: "t", payload: [], qos: .atLeastOnce, nowSeconds: 1)
                    == [.send(.publish(MQTTPublish(topic: "t", payload: [], qos: .atLeastOnce, packetId: UInt16(i))))])
        }
        #expect(s.publish(topic: "t", payload: [], qos: .atLeastOnce, nowSeconds: 1) == [.close(reason: "3 messages without PUBACK")])
        #expect(s.state == .closed)
    }

    /// Packet identifiers wrap from 65535 to 1, skipping 0 (§2.3.1).
    @Test func mqtt311_2_3_1_packetIdentifiersWrapWithoutZero() {
        var s = connected()
        var last: UInt16 = 0
        for _ in 0..<65_536 {
            guard case .send(.publish(let p)) = s.publish(topic: "t", payload: [], qos: .atLeastOnce, nowSeconds: 1).first,
                  let id = p.packetId else { Issue.record("no publish"); return }
            #expect(id != 0)
            last = id
            _ = s.received(.puback(packetId: id), nowSeconds: 1)
        }
        #expect(last == 1)
    }

    @Test func backoffDoublesToItsMaximumAndResetsAfterAStableConnection() {
        var b = MQTTBackoff(initialSeconds: 1, maximumSeconds: 60, stableSeconds: 10)
        #expect((0..<8).map { _ in b.nextDelaySeconds() } == [1, 2, 4, 8, 16, 32, 60, 60])
        b.connectionEnded(acceptedForSeconds: 9.9)
        #expect(b.nextDelaySeconds() == 60, "accepted, then dropped at once: still backing off")
        b.connectionEnded(acceptedForSeconds: nil)
        #expect(b.nextDelaySeconds() == 60)
        b.connectionEnded(acceptedForSeconds: 10)
        #expect(b.nextDelaySeconds() == 1)
    }
}
