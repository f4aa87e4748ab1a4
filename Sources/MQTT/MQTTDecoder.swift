/// Why bytes from the broker are not an MQTT 3.1.1 packet. Every case closes the connection (§4.8: "the receiver MUST
/// close the Network Connection" on a protocol violation); none may crash the process.
public enum MQTTDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// §2.2.3: a fifth length byte, or a length beyond the limit this client accepts.
    case remainingLengthTooLong
    case packetTooLarge(Int)
    /// §2.2.1: reserved (0, 15) or a type this client does not handle.
    case unknownType(UInt8)
    /// §2.2.2: the fixed header's flags are not the ones the type requires.
    case invalidFlags(type: UInt8, flags: UInt8)
    /// The variable header or payload ends before its fields do, or bytes are left over.
    case malformed(String)
    /// §1.5.3: a string that is not well-formed UTF-8 or contains U+0000.
    case invalidUTF8

    public var description: String {
        switch self {
        case .remainingLengthTooLong: "remaining length longer than four bytes (MQTT 3.1.1 §2.2.3)"
        case .packetTooLarge(let n): "packet of \(n) bytes exceeds the limit"
        case .unknownType(let t): "unknown or unexpected packet type \(t) (§2.2.1)"
        case .invalidFlags(let t, let f): "invalid flags \(f) for packet type \(t) (§2.2.2)"
        case .malformed(let why): "malformed packet: \(why)"
        case .invalidUTF8: "string is not well-formed UTF-8 (§1.5.3)"
        }
    }
}

/// Takes packets off the front of a byte stream. Every read is bounds-checked: a truncated packet waits for more bytes,
/// a malformed one throws.
public enum MQTTDecoder {
    /// The largest packet this client accepts (remaining length); the station's commands are a few bytes, so 256 KiB
    /// is generous and keeps a hostile broker from making the station buffer 256 MB (§2.2.3 allows 268,435,455).
    public static let defaultMaximumPacketSize = 256 * 1024

    /// The first complete packet of `bytes` and how many bytes it took; nil while the packet is incomplete.
    public static func decode(_ bytes: ArraySlice<UInt8>, maximumPacketSize: Int = defaultMaximumPacketSize)
        throws(MQTTDecodeError) -> (packet: MQTTPacket, length: Int)? {
        guard let first = bytes.first else { return nil }
        // §2.2.3: the remaining length, at most four bytes.
        var length = 0
        var multiplier = 1
        var index = bytes.startIndex + 1
        var lengthBytes = 0
        while true {
            guard index < bytes.endIndex else { return nil }
            let byte = bytes[index]
            lengthBytes += 1
            length += Int(byte & 0x7F) * multiplier
            index += 1
            if byte & 0x80 == 0 { break }
            guard lengthBytes < 4 else { throw .remainingLengthTooLong }
            multiplier *= 128
        }
        guard length <= maximumPacketSize else { throw .packetTooLarge(length) }
        guard bytes.endIndex - index >= length else { return nil }
        let body = bytes[index..<(index + length)]
        let packet = try parse(type: first >> 4, flags: first & 0x0F, body: body)
        return (packet, 1 + lengthBytes + length)
    }

    static func parse(type: UInt8, flags: UInt8, body: ArraySlice<UInt8>) throws(MQTTDecodeError) -> MQTTPacket {
        var r = Reader(body)
        func requireFlags(_ expected: UInt8) throws(MQTTDecodeError) {
            guard flags == expected else { throw .invalidFlags(type: type, flags: flags) }
        }
        let packet: MQTTPacket
        switch type {
        case 1:
            try requireFlags(0)
            packet = .connect(try parseConnect(&r))
        case 2:
            try requireFlags(0)
            let ack = try r.byte()
            guard ack & 0xFE == 0 else { throw .malformed("CONNACK reserved bits set (§3.2.2.1)") }
            packet = .connack(sessionPresent: ack == 1, returnCode: try r.byte())
        case 3:
            let qosBits = (flags >> 1) & 0x03
            guard qosBits <= 1 else {
                // §3.3.1.2: 3 is malformed; 2 is never requested by this client (it subscribes with QoS ≤ 1).
                throw .invalidFlags(type: type, flags: flags)
            }
            let qos = MQTTQoS(rawValue: qosBits) ?? .atMostOnce
            // §3.3.1.1: DUP must be 0 for QoS 0.
            if qos == .atMostOnce && flags & 0x08 != 0 { throw .invalidFlags(type: type, flags: flags) }
            let topic = try r.string()
            // §3.3.2.1: the topic name must not contain wildcards.
            guard !topic.isEmpty, !topic.contains("+"), !topic.contains("#") else { throw .malformed("PUBLISH topic name invalid (§3.3.2.1)") }
            var id: UInt16?
            if qos == .atLeastOnce {
                let v = try r.uint16()
                guard v != 0 else { throw .malformed("packet identifier 0 (§2.3.1)") }
                id = v
            }
            packet = .publish(MQTTPublish(topic: topic, payload: r.rest(), qos: qos, retain: flags & 0x01 != 0, dup: flags & 0x08 != 0,
                                          packetId: id))
        case 4:
            try requireFlags(0)
            packet = .puback(packetId: try r.uint16())
        case 8:
            try requireFlags(2)
            let id = try r.uint16()
            var filters: [MQTTSubscription] = []
            repeat {
                let filter = try r.string()
                guard let qos = MQTTQoS(rawValue: try r.byte()) else { throw .malformed("requested QoS not offered (§3.8.3.1)") }
                filters.append(MQTTSubscription(filter, qos: qos))
            } while !r.atEnd
            packet = .subscribe(packetId: id, filters: filters)
        case 9:
            try requireFlags(0)
            let id = try r.uint16()
            let codes = r.rest()
            guard !codes.isEmpty, codes.allSatisfy({ $0 <= 2 || $0 == 0x80 }) else { throw .malformed("SUBACK return codes (§3.9.3)") }
            packet = .suback(packetId: id, returnCodes: codes)
        case 12:
            try requireFlags(0); packet = .pingreq
        case 13:
            try requireFlags(0); packet = .pingresp
        case 14:
            try requireFlags(0); packet = .disconnect
        default:
            throw .unknownType(type)
        }
        guard r.atEnd else { throw .malformed("\(r.remaining) bytes left over in packet type \(type)") }
        return packet
    }

    static func parseConnect(_ r: inout Reader) throws(MQTTDecodeError) -> MQTTConnect {
        guard try r.string() == "MQTT", try r.byte() == 4 else { throw .malformed("protocol name or level (§3.1.2.1, §3.1.2.2)") }
        let f = try r.byte()
        guard f & 0x01 == 0 else { throw .malformed("CONNECT reserved flag (§3.1.2.3)") }
        let keepAlive = try r.uint16()
        let clientId = try r.string()
        var will: MQTTWill?
        if f & 0x04 != 0 {
            guard let qos = MQTTQoS(rawValue: (f >> 3) & 0x03) else { throw .malformed("will QoS (§3.1.2.6)") }
            let topic = try r.string()
            will = MQTTWill(topic: topic, payload: try r.binary(), qos: qos, retain: f & 0x20 != 0)
        } else if f & 0x38 != 0 {
            throw .malformed("will QoS or retain without will flag (§3.1.2.6, §3.1.2.7)")
        }
        let user = f & 0x80 != 0 ? try r.string() : nil
        guard f & 0x40 == 0 || user != nil else { throw .malformed("password without user name (§3.1.2.9)") }
        let password = f & 0x40 != 0 ? try r.binary() : nil
        return MQTTConnect(clientId: clientId, cleanSession: f & 0x02 != 0, keepAliveSeconds: keepAlive, will: will, username: user,
                           password: password)
    }

    /// A bounds-checked cursor over a packet's body.
    struct Reader {
        private let bytes: ArraySlice<UInt8>
        private var index: Int
        init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes; index = bytes.startIndex }
        var atEnd: Bool { index >= bytes.endIndex }
        var remaining: Int { bytes.endIndex - index }

        mutating func byte() throws(MQTTDecodeError) -> UInt8 {
            guard index < bytes.endIndex else { throw .malformed("truncated") }
            defer { index += 1 }
            return bytes[index]
        }

        mutating func uint16() throws(MQTTDecodeError) -> UInt16 {
            let hi = try byte(), lo = try byte()
            return UInt16(hi) << 8 | UInt16(lo)
        }

        mutating func binary() throws(MQTTDecodeError) -> [UInt8] {
            let n = Int(try uint16())
            guard remaining >= n else { throw .malformed("a field's length runs past the packet") }
            defer { index += n }
            return Array(bytes[index..<(index + n)])
        }

        /// §1.5.3: well-formed UTF-8 without U+0000.
        mutating func string() throws(MQTTDecodeError) -> String {
            let raw = try binary()
            guard !raw.contains(0), let s = String(validating: raw, as: UTF8.self) else { throw .invalidUTF8 }
            return s
        }

        mutating func rest() -> [UInt8] {
            defer { index = bytes.endIndex }
            return Array(bytes[index...])
        }
    }
}
