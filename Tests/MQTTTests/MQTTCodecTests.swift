import Testing
@testable import MQTT

/// The codec against MQTT 3.1.1: round trips of every packet the client uses, the byte layouts the standard gives, and
/// hostile input (truncated, malformed, oversized) that must throw or wait, never crash.
@Suite struct MQTTCodecTests {
    static let packets: [MQTTPacket] = [
        .connect(MQTTConnect(clientId: "chargekit-CP1", keepAliveSeconds: 30,
                             will: MQTTWill(topic: "chargekit/CP1/availability", payload: Array("offline".utf8)),
                             username: "station", password: Array("s3cret".utf8))),
        .connect(MQTTConnect(clientId: "", cleanSession: false, keepAliveSeconds: 0)),
        .connack(sessionPresent: false, returnCode: 0),
        .connack(sessionPresent: true, returnCode: 0),
        .connack(sessionPresent: false, returnCode: 5),
        .publish(MQTTPublish(topic: "a/b", payload: Array("hello".utf8))),
        .publish(MQTTPublish(topic: "a/ü", payload: [], qos: .atLeastOnce, retain: true, dup: true, packetId: 7)),
        .publish(MQTTPublish(topic: "big", payload: Array(repeating: 0x41, count: 20_000), qos: .atLeastOnce, packetId: 65535)),
        .puback(packetId: 1),
        .subscribe(packetId: 2, filters: [MQTTSubscription("chargekit/CP1/+/+/set"), MQTTSubscription("x/#", qos: .atMostOnce)]),
        .suback(packetId: 2, returnCodes: [1, 0x80]),
        .pingreq, .pingresp, .disconnect,
    ]

    /// By index: a packet's own description (the 20,000-byte payload) would fill the test log.
    @Test(arguments: packets.indices)
    func mqtt311_2_roundTrip(_ index: Int) throws {
        let packet = Self.packets[index]
        let bytes = packet.encoded()
        let decoded = try #require(try MQTTDecoder.decode(bytes[...]))
        #expect(decoded.packet == packet)
        #expect(decoded.length == bytes.count)
    }

    /// §3.1 figure 3.x: the CONNECT variable header is "MQTT", level 4, flags, keep alive.
    @Test func mqtt311_3_1_connectLayout() {
        let bytes = MQTTPacket.connect(MQTTConnect(clientId: "c", keepAliveSeconds: 60,
                                                   will: MQTTWill(topic: "w", payload: [0x6F], qos: .atLeastOnce, retain: true),
                                                   username: "u", password: [0x70])).encoded()
        #expect(bytes[0] == 0x10)
        #expect(Array(bytes[2..<9]) == [0, 4, 0x4D, 0x51, 0x54, 0x54, 4])
        // user, password, will retain, will QoS 1, will flag, clean session: 1100 1110
        #expect(bytes[9] == 0xEE)
        #expect(Array(bytes[10..<12]) == [0, 60])
    }

    /// §2.2.3 table 2.4: the boundaries of one to four length bytes.
    static let lengths: [(Int, [UInt8])] = [
        (0, [0x00]), (127, [0x7F]), (128, [0x80, 0x01]), (16_383, [0xFF, 0x7F]), (16_384, [0x80, 0x80, 0x01]),
        (2_097_151, [0xFF, 0xFF, 0x7F]), (2_097_152, [0x80, 0x80, 0x80, 0x01]), (268_435_455, [0xFF, 0xFF, 0xFF, 0x7F]),
    ]

    @Test(arguments: lengths)
    func mqtt311_2_2_3_remainingLengthBounds(_ value: Int, _ expected: [UInt8]) throws {
        #expect(MQTTWire.remainingLength(value) == expected)
        let packet: [UInt8] = [0x30] + expected
        // The decoder reads the same length back (it then waits for the body, or refuses a length above its limit).
        if value <= MQTTDecoder.defaultMaximumPacketSize, value >= 3 {
            #expect(try MQTTDecoder.decode(packet[...]) == nil)
        }
    }

    /// §2.2.3: a fifth length byte is malformed.
    @Test func mqtt311_2_2_3_fiveLengthBytesRejected() {
        #expect(throws: MQTTDecodeError.remainingLengthTooLong) {
            try MQTTDecoder.decode([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01][...])
        }
    }

    /// A length the client will not buffer is refused as soon as the header is read, before any payload arrives.
    @Test func oversizedPacketRefusedFromItsHeader() {
        #expect(throws: MQTTDecodeError.packetTooLarge(268_435_455)) {
            try MQTTDecoder.decode([0x30, 0xFF, 0xFF, 0xFF, 0x7F][...])
        }
    }

    /// Every prefix of every packet is incomplete (nil), never an error or a crash.
    @Test(arguments: packets)
    func truncatedPacketsWait(_ packet: MQTTPacket) throws {
        let bytes = packet.encoded()
        for n in 0..<bytes.count {
            #expect(try MQTTDecoder.decode(bytes[0..<n]) == nil)
        }
    }

    /// A length that claims fewer bytes than the fields need: the fields' reads stay in bounds and throw.
    @Test func mqtt311_1_5_3_fieldLengthPastThePacketRejected() {
        // PUBLISH, remaining length 3: topic length 0x00 0x10 (16) but only one byte follows.
        #expect(throws: MQTTDecodeError.self) { try MQTTDecoder.decode([0x30, 0x03, 0x00, 0x10, 0x41][...]) }
        // PUBACK with one byte of identifier.
        #expect(throws: MQTTDecodeError.self) { try MQTTDecoder.decode([0x40, 0x01, 0x00][...]) }
        // CONNACK with bytes left over.
        #expect(throws: MQTTDecodeError.self) { try MQTTDecoder.decode([0x20, 0x03, 0x00, 0x00, 0x00][...]) }
    }

    /// §2.2.2 / §3.3.1.2: reserved flags and QoS 3 are malformed; so are reserved packet types (§2.2.1).
    @Test func mqtt311_2_2_2_invalidFlagsAndTypesRejected() {
        #expect(throws: MQTTDecodeError.invalidFlags(type: 3, flags: 0x06)) { try MQTTDecoder.decode([0x36, 0x03, 0x00, 0x01, 0x61][...]) }
        #expect(throws: MQTTDecodeError.invalidFlags(type: 13, flags: 1)) { try MQTTDecoder.decode([0xD1, 0x00][...]) }
        #expect(throws: MQTTDecodeError.unknownType(0)) { try MQTTDecoder.decode([0x00, 0x00][...]) }
        #expect(throws: MQTTDecodeError.unknownType(15)) { try MQTTDecoder.decode([0xF0, 0x00][...]) }
        // QoS 0 with DUP (§3.3.1.1).
        #expect(throws: MQTTDecodeError.self) { try MQTTDecoder.decode([0x38, 0x03, 0x00, 0x01, 0x61][...]) }
    }

    /// §1.5.3: ill-formed UTF-8 and U+0000 in a topic are malformed; §3.3.2.1: wildcards in a topic name too.
    @Test func mqtt311_1_5_3_invalidStringsRejected() {
        #expect(throws: MQTTDecodeError.invalidUTF8) { try MQTTDecoder.decode([0x30, 0x03, 0x00, 0x01, 0xFF][...]) }
        #expect(throws: MQTTDecodeError.invalidUTF8) { try MQTTDecoder.decode([0x30, 0x03, 0x00, 0x01, 0x00][...]) }
        #expect(throws: MQTTDecodeError.self) { try MQTTDecoder.decode([0x30, 0x03, 0x00, 0x01, 0x23][...]) }
    }

    /// Random bytes never crash the decoder (a deterministic generator, 20,000 inputs).
    @Test func randomBytesNeverCrash() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        var decoded = 0
        for _ in 0..<20_000 {
            let n = Int(next() % 40)
            var bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: next()) }
            if !bytes.isEmpty { bytes[0] = UInt8([0x20, 0x30, 0x32, 0x40, 0x90, 0xD0][Int(next() % 6)]) }
            if bytes.count > 1 { bytes[1] = UInt8(truncatingIfNeeded: bytes.count - 2 - Int(next() % 3)) }
            if (try? MQTTDecoder.decode(bytes[...])) != nil { decoded += 1 }
        }
        #expect(decoded > 0)
    }
}
