/// The MQTT 3.1.1 control packets ChargeKit's client speaks, as values, and their encoding.
///
/// Written from the OASIS standard "MQTT Version 3.1.1" (29 October 2014). A pure codec: bytes in, packets out, no
/// sockets. The client needs CONNECT, PUBLISH QoS 0 and 1 with PUBACK, SUBSCRIBE/SUBACK, PINGREQ/PINGRESP and
/// DISCONNECT; QoS 2 and UNSUBSCRIBE are not used (the station subscribes with at most QoS 1, so a conforming broker
/// never sends QoS 2, MQTT 3.1.1 §3.8.3 / §4.3).
///
/// - SeeAlso: MQTT 3.1.1 §2 (control packet format), §3 (control packets).
public enum MQTTPacket: Sendable, Equatable {
    case connect(MQTTConnect)
    /// §3.2: `sessionPresent` (§3.2.2.2) and the connect return code (§3.2.2.3; 0 = accepted).
    case connack(sessionPresent: Bool, returnCode: UInt8)
    case publish(MQTTPublish)
    /// §3.4: acknowledges a QoS 1 PUBLISH by its packet identifier.
    case puback(packetId: UInt16)
    /// §3.8: topic filters with their requested maximum QoS.
    case subscribe(packetId: UInt16, filters: [MQTTSubscription])
    /// §3.9: one return code per filter (0, 1, 2 = granted QoS; 0x80 = failure).
    case suback(packetId: UInt16, returnCodes: [UInt8])
    /// §3.12, §3.13.
    case pingreq
    case pingresp
    /// §3.14.
    case disconnect

    /// The control packet type of the fixed header's high nibble (§2.2.1, table 2.1).
    public var typeCode: UInt8 {
        switch self {
        case .connect: 1
        case .connack: 2
        case .publish: 3
        case .puback: 4
        case .subscribe: 8
        case .suback: 9
        case .pingreq: 12
        case .pingresp: 13
        case .disconnect: 14
        }
    }
}

/// Quality of service (§4.3). QoS 2 is not offered.
public enum MQTTQoS: UInt8, Sendable, Equatable {
    case atMostOnce = 0
    case atLeastOnce = 1
}

/// The will message the broker publishes when the client goes away without DISCONNECT (§3.1.2.5–§3.1.2.7).
public struct MQTTWill: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: MQTTQoS
    public var retain: Bool
    public init(topic: String, payload: [UInt8], qos: MQTTQoS = .atLeastOnce, retain: Bool = true) {
        self.topic = topic; self.payload = payload; self.qos = qos; self.retain = retain
    }
}

/// CONNECT (§3.1).
public struct MQTTConnect: Sendable, Equatable {
    /// §3.1.3.1: 1–23 UTF-8 bytes of [0-9a-zA-Z] are accepted by every broker; longer ones by most.
    public var clientId: String
    /// §3.1.2.4: with true, the broker discards any earlier session of this client id.
    public var cleanSession: Bool
    /// §3.1.2.10: seconds; 0 switches the keep-alive mechanism off.
    public var keepAliveSeconds: UInt16
    public var will: MQTTWill?
    public var username: String?
    /// §3.1.3.5: binary data; a password without a user name is a protocol violation (§3.1.2.9).
    public var password: [UInt8]?

    public init(clientId: String, cleanSession: Bool = true, keepAliveSeconds: UInt16, will: MQTTWill? = nil,
                username: String? = nil, password: [UInt8]? = nil) {
        self.clientId = clientId; self.cleanSession = cleanSession; self.keepAliveSeconds = keepAliveSeconds
        self.will = will; self.username = username; self.password = password
    }
}

/// PUBLISH (§3.3).
public struct MQTTPublish: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: MQTTQoS
    public var retain: Bool
    /// §3.3.1.1: set on a redelivery of a QoS 1 message.
    public var dup: Bool
    /// Present exactly when `qos` is 1 (§2.3.1).
    public var packetId: UInt16?

    public init(topic: String, payload: [UInt8], qos: MQTTQoS = .atMostOnce, retain: Bool = false, dup: Bool = false,
                packetId: UInt16? = nil) {
        self.topic = topic; self.payload = payload; self.qos = qos; self.retain = retain; self.dup = dup; self.packetId = packetId
    }
}

/// One topic filter of SUBSCRIBE with its maximum QoS (§3.8.3).
public struct MQTTSubscription: Sendable, Equatable {
    public var filter: String
    public var qos: MQTTQoS
    public init(_ filter: String, qos: MQTTQoS = .atLeastOnce) { self.filter = filter; self.qos = qos }
}

// MARK: - Encoding

extension MQTTPacket {
    /// The packet as it goes on the wire: fixed header (type and flags, remaining length) and the rest (§2.2).
    public func encoded() -> [UInt8] {
        var flags: UInt8 = 0
        var body: [UInt8] = []
        switch self {
        case .connect(let c):
            // §3.1.2.1 protocol name "MQTT", §3.1.2.2 level 4.
            MQTTWire.appendString("MQTT", to: &body)
            body.append(4)
            var connectFlags: UInt8 = c.cleanSession ? 0x02 : 0
            if let will = c.will {
                connectFlags |= 0x04 | (will.qos.rawValue << 3) | (will.retain ? 0x20 : 0)
            }
            if c.password != nil { connectFlags |= 0x40 }
            if c.username != nil { connectFlags |= 0x80 }
            body.append(connectFlags)
            MQTTWire.appendUInt16(c.keepAliveSeconds, to: &body)
            // §3.1.3: client id, will topic, will message, user name, password, in this order.
            MQTTWire.appendString(c.clientId, to: &body)
            if let will = c.will {
                MQTTWire.appendString(will.topic, to: &body)
                MQTTWire.appendBinary(will.payload, to: &body)
            }
            if let user = c.username { MQTTWire.appendString(user, to: &body) }
            if let password = c.password { MQTTWire.appendBinary(password, to: &body) }
        case .connack(let sessionPresent, let returnCode):
            body = [sessionPresent ? 1 : 0, returnCode]
        case .publish(let p):
            flags = (p.dup ? 0x08 : 0) | (p.qos.rawValue << 1) | (p.retain ? 0x01 : 0)
            MQTTWire.appendString(p.topic, to: &body)
            if p.qos != .atMostOnce { MQTTWire.appendUInt16(p.packetId ?? 0, to: &body) }
            body += p.payload
        case .puback(let id):
            MQTTWire.appendUInt16(id, to: &body)
        case .subscribe(let id, let filters):
            flags = 0x02  // §3.8.1: reserved bits 0010
            MQTTWire.appendUInt16(id, to: &body)
            for f in filters {
                MQTTWire.appendString(f.filter, to: &body)
                body.append(f.qos.rawValue)
            }
        case .suback(let id, let codes):
            MQTTWire.appendUInt16(id, to: &body)
            body += codes
        case .pingreq, .pingresp, .disconnect:
            break
        }
        return [(typeCode << 4) | flags] + MQTTWire.remainingLength(body.count) + body
    }
}

/// The data representations of §1.5 and the remaining length of §2.2.3.
public enum MQTTWire {
    /// §2.2.3: at most four bytes, so at most 268,435,455.
    public static let maximumRemainingLength = 268_435_455

    /// §2.2.3: seven bits per byte, least significant first, the high bit set while more bytes follow.
    public static func remainingLength(_ value: Int) -> [UInt8] {
        precondition(value >= 0 && value <= maximumRemainingLength, "MQTT remaining length out of range")
        var x = value
        var out: [UInt8] = []
        repeat {
            var byte = UInt8(x % 128)
            x /= 128
            if x > 0 { byte |= 0x80 }
            out.append(byte)
        } while x > 0
        return out
    }

    static func appendUInt16(_ v: UInt16, to out: inout [UInt8]) {
        out.append(UInt8(v >> 8)); out.append(UInt8(v & 0xFF))
    }

    /// §1.5.3: a two-byte length, then the UTF-8 bytes (at most 65,535; longer text is cut, which callers avoid).
    static func appendString(_ s: String, to out: inout [UInt8]) {
        appendBinary(Array(s.utf8), to: &out)
    }

    static func appendBinary(_ bytes: [UInt8], to out: inout [UInt8]) {
        let n = min(bytes.count, Int(UInt16.max))
        appendUInt16(UInt16(n), to: &out)
        out += bytes[0..<n]
    }
}
