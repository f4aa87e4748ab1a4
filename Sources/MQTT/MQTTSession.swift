/// The client side of one MQTT 3.1.1 network connection as a state machine: events in (the connection opened, bytes
/// or packets received, a tick of monotonic time, a message to publish), actions out (packets to send, messages
/// delivered, the connection to close). No socket and no clock: the adapter feeds it and carries out its actions.
///
/// - SeeAlso: MQTT 3.1.1 §3.1 (CONNECT first, §3.1.4), §3.1.2.10 (keep alive), §4.3.2 (QoS 1 delivery), §4.4
///   (redelivery), §4.8 (protocol violations close the connection).
public struct MQTTSession: Sendable {
    public enum State: Sendable, Equatable {
        case idle
        /// CONNECT sent, waiting for CONNACK.
        case connecting(since: Double)
        case connected
        case closed
    }

    public enum Action: Sendable, Equatable {
        case send(MQTTPacket)
        /// CONNACK accepted the connection.
        case connected(sessionPresent: Bool)
        /// An application message from the broker.
        case deliver(topic: String, payload: [UInt8])
        /// A QoS 1 message the broker acknowledged (PUBACK).
        case acknowledged(packetId: UInt16)
        /// Close the network connection; the reason is for the log.
        case close(reason: String)
    }

    public let connect: MQTTConnect
    /// How long CONNACK may take (§3.1.4: the client should close after "a reasonable amount of time").
    public var connackTimeoutSeconds: Double
    /// How long an unacknowledged QoS 1 PUBLISH waits before it is sent again with DUP (§4.4).
    public var retryIntervalSeconds: Double
    public private(set) var state: State = .idle
    private var lastSentAt: Double = 0
    private var pingSentAt: Double?
    private var nextPacketId: UInt16 = 1
    /// QoS 1 PUBLISH and SUBSCRIBE packets without their acknowledgement, by packet identifier.
    private var inFlight: [UInt16: (packet: MQTTPacket, sentAt: Double)] = [:]
    private var buffer: [UInt8] = []
    public let maximumPacketSize: Int
    /// Most QoS 1 packets waiting for their acknowledgement. A broker that stops acknowledging gets the connection
    /// closed (and a new one, with everything published again) instead of an ever longer list; it also keeps packet
    /// identifiers free (§2.3.1: one in use cannot be taken again).
    public let maximumInFlight: Int

    public init(connect: MQTTConnect, connackTimeoutSeconds: Double = 10, retryIntervalSeconds: Double = 20,
                maximumPacketSize: Int = MQTTDecoder.defaultMaximumPacketSize, maximumInFlight: Int = 1000) {
        self.connect = connect; self.connackTimeoutSeconds = connackTimeoutSeconds; self.retryIntervalSeconds = retryIntervalSeconds
        self.maximumPacketSize = maximumPacketSize; self.maximumInFlight = min(max(1, maximumInFlight), 60_000)
    }

    /// Messages sent with QoS 1 and not yet acknowledged.
    public var unacknowledged: Int { inFlight.count }

    /// The network connection is open: CONNECT is the first packet (§3.1).
    public mutating func opened(nowSeconds now: Double) -> [Action] {
        state = .connecting(since: now)
        buffer = []; pingSentAt = nil; inFlight = [:]
        return [send(.connect(connect), now)]
    }

    /// The network connection closed (by either side).
    public mutating func closedByPeer() {
        state = .closed; buffer = []; pingSentAt = nil; inFlight = [:]
    }

    /// Bytes from the network: every complete packet is handled; a malformed one closes the connection (§4.8).
    public mutating func received(_ bytes: [UInt8], nowSeconds now: Double) -> [Action] {
        guard state != .closed, state != .idle else { return [] }
        buffer += bytes
        var actions: [Action] = []
        var offset = 0
        while true {
            let decoded: (packet: MQTTPacket, length: Int)?
            do {
                decoded = try MQTTDecoder.decode(buffer[offset...], maximumPacketSize: maximumPacketSize)
            } catch {
                return actions + fail("\(error)")
            }
            guard let decoded else { break }
            offset += decoded.length
            actions += received(decoded.packet, nowSeconds: now)
            if state == .closed { return actions }
        }
        buffer.removeFirst(offset)
        return actions
    }

    /// One packet from the broker.
    public mutating func received(_ packet: MQTTPacket, nowSeconds now: Double) -> [Action] {
        switch (state, packet) {
        case (.connecting, .connack(let sessionPresent, let code)):
            guard code == 0 else { return fail("broker refused the connection: \(Self.connackReason(code))") }
            state = .connected
            return [.connected(sessionPresent: sessionPresent)]
        case (.connecting, _):
            // §3.2: the first packet from the server must be CONNACK.
            return fail("expected CONNACK, got packet type \(packet.typeCode)")
        case (.connected, .publish(let p)):
            var out: [Action] = []
            // §4.3.2: acknowledge QoS 1 with PUBACK carrying the packet identifier.
            if p.qos == .atLeastOnce, let id = p.packetId { out.append(send(.puback(packetId: id), now)) }
            out.append(.deliver(topic: p.topic, payload: p.payload))
            return out
        case (.connected, .puback(let id)):
            guard inFlight.removeValue(forKey: id) != nil else { return [] }
            return [.acknowledged(packetId: id)]
        case (.connected, .suback(let id, let codes)):
            inFlight[id] = nil
            if codes.contains(0x80) { return fail("the broker refused a subscription (SUBACK 0x80, §3.9.3)") }
            return []
        case (.connected, .pingresp):
            pingSentAt = nil
            return []
        case (.connected, _):
            // CONNECT, CONNACK again, SUBSCRIBE, PINGREQ, DISCONNECT are never sent by a server (§3.1.0, §3.2, §4.8).
            return fail("unexpected packet type \(packet.typeCode) from the server")
        case (.idle, _), (.closed, _):
            return []
        }
    }

    /// Publishes an application message. QoS 1 waits for PUBACK and is sent again with DUP until it arrives (§4.4).
    /// Only while connected; the caller keeps what it wants to publish after a reconnection.
    public mutating func publish(topic: String, payload: [UInt8], qos: MQTTQoS = .atMostOnce, retain: Bool = false,
                                 nowSeconds now: Double) -> [Action] {
        guard state == .connected else { return [] }
        var p = MQTTPublish(topic: topic, payload: payload, qos: qos, retain: retain)
        if qos == .atLeastOnce {
            guard inFlight.count < maximumInFlight else { return fail("\(inFlight.count) messages without PUBACK") }
            let id = takePacketId()
            p.packetId = id
            inFlight[id] = (.publish(p), now)
        }
        return [send(.publish(p), now)]
    }

    /// SUBSCRIBE to topic filters (§3.8); the SUBACK is checked for refusals.
    public mutating func subscribe(_ filters: [MQTTSubscription], nowSeconds now: Double) -> [Action] {
        guard state == .connected, !filters.isEmpty else { return [] }
        guard inFlight.count < maximumInFlight else { return fail("\(inFlight.count) messages without acknowledgement") }
        let id = takePacketId()
        let packet = MQTTPacket.subscribe(packetId: id, filters: filters)
        inFlight[id] = (packet, now)
        return [send(packet, now)]
    }

    /// DISCONNECT (§3.14): the broker then discards the will.
    public mutating func disconnect(nowSeconds now: Double) -> [Action] {
        guard state == .connected else { return [] }
        state = .closed
        return [send(.disconnect, now), .close(reason: "disconnected")]
    }

    /// Time passes: CONNACK timeout, keep-alive PINGREQ after `keepAlive` seconds without a packet sent, and the
    /// connection given up when PINGRESP does not come within another keep-alive period (§3.1.2.10); QoS 1 retries.
    public mutating func tick(nowSeconds now: Double) -> [Action] {
        switch state {
        case .idle, .closed:
            return []
        case .connecting(let since):
            return now - since >= connackTimeoutSeconds ? fail("no CONNACK within \(Int(connackTimeoutSeconds)) s") : []
        case .connected:
            let keepAlive = Double(connect.keepAliveSeconds)
            if keepAlive > 0, let pingSentAt, now - pingSentAt >= keepAlive {
                return fail("no PINGRESP within \(Int(keepAlive)) s (keep alive, §3.1.2.10)")
            }
            var out: [Action] = []
            for (id, entry) in inFlight.sorted(by: { $0.key < $1.key }) where now - entry.sentAt >= retryIntervalSeconds {
                var packet = entry.packet
                if case .publish(var p) = packet { p.dup = true; packet = .publish(p) }
                inFlight[id] = (packet, now)
                out.append(send(packet, now))
            }
            if keepAlive > 0, pingSentAt == nil, now - lastSentAt >= keepAlive {
                pingSentAt = now
                out.append(send(.pingreq, now))
            }
            return out
        }
    }

    private mutating func send(_ packet: MQTTPacket, _ now: Double) -> Action {
        lastSentAt = now
        return .send(packet)
    }

    private mutating func fail(_ reason: String) -> [Action] {
        state = .closed; buffer = []; inFlight = [:]; pingSentAt = nil
        return [.close(reason: reason)]
    }

    /// §2.3.1: non-zero, and not one still in use.
    private mutating func takePacketId() -> UInt16 {
        while true {
            let id = nextPacketId
            nextPacketId = nextPacketId == UInt16.max ? 1 : nextPacketId + 1
            if inFlight[id] == nil { return id }
        }
    }

    /// §3.2.2.3, table 3.1.
    public static func connackReason(_ code: UInt8) -> String {
        switch code {
        case 1: "unacceptable protocol version (1)"
        case 2: "identifier rejected (2)"
        case 3: "server unavailable (3)"
        case 4: "bad user name or password (4)"
        case 5: "not authorized (5)"
        default: "return code \(code)"
        }
    }
}

/// The delays between connection attempts: doubling from `initialSeconds` to `maximumSeconds`, and back to the start
/// only after a connection that the broker accepted and that then lasted `stableSeconds` — so a broker that restarts
/// is not hammered and one that comes back is found soon, while one that accepts and then drops the connection at
/// once (or sends a malformed packet) is not reconnected to every second.
public struct MQTTBackoff: Sendable, Equatable {
    public var initialSeconds: Double
    public var maximumSeconds: Double
    public var stableSeconds: Double
    public private(set) var failures = 0

    public init(initialSeconds: Double = 1, maximumSeconds: Double = 60, stableSeconds: Double = 10) {
        self.initialSeconds = initialSeconds; self.maximumSeconds = maximumSeconds; self.stableSeconds = stableSeconds
    }

    /// A connection ended: `acceptedForSeconds` is how long it lasted after CONNACK 0 (nil: never accepted).
    public mutating func connectionEnded(acceptedForSeconds: Double?) {
        if let lasted = acceptedForSeconds, lasted >= stableSeconds { failures = 0 }
    }

    /// The wait before the next attempt after a failed or lost connection.
    public mutating func nextDelaySeconds() -> Double {
        let delay = min(maximumSeconds, initialSeconds * Double(1 << min(failures, 30)))
        failures += 1
        return delay
    }
}
