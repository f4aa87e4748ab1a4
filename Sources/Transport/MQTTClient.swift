import Logging
import MQTT
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// An application message to publish (QoS 1: the broker acknowledges it; retained state and results alike).
public struct MQTTOutgoing: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public var retain: Bool
    public init(topic: String, payload: [UInt8], retain: Bool) { self.topic = topic; self.payload = payload; self.retain = retain }
}

/// What the MQTT client asks of its owner (the station's runtime): what to publish when connected and as time passes,
/// and what to answer to a received message.
public protocol MQTTClientDelegate: Sendable {
    /// CONNACK accepted: everything to publish now (availability, discovery, the whole state).
    func mqttConnected() async -> [MQTTOutgoing]
    /// Called about twice a second while connected: what changed.
    func mqttTick() async -> [MQTTOutgoing]
    /// A message on a subscribed topic: the answers to publish.
    func mqttReceived(topic: String, payload: [UInt8]) async -> [MQTTOutgoing]
}

/// Where and how the client connects.
public struct MQTTClientConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var tls: Bool
    public var connect: MQTTConnect
    public var subscriptions: [MQTTSubscription]
    public var connectTimeoutSeconds: Int64 = 10
    public var tickInterval: Duration = .milliseconds(500)
    public var backoff = MQTTBackoff(initialSeconds: 1, maximumSeconds: 60)

    public init(host: String, port: Int, tls: Bool, connect: MQTTConnect, subscriptions: [MQTTSubscription]) {
        self.host = host; self.port = port; self.tls = tls; self.connect = connect; self.subscriptions = subscriptions
    }
}

/// The MQTT client as a service: a TCP (optionally TLS) connection to the broker driven by the pure ``MQTTSession``,
/// connected again with back-off whenever it is lost or refused. On graceful shutdown it publishes its will itself
/// (retained offline) before DISCONNECT, since the broker discards the will on a DISCONNECT (MQTT 3.1.1 §3.14.4).
public struct MQTTClient: Service {
    let configuration: MQTTClientConfiguration
    let delegate: any MQTTClientDelegate
    let logger: Logger

    public init(configuration: MQTTClientConfiguration, delegate: any MQTTClientDelegate, logger: Logger) {
        self.configuration = configuration; self.delegate = delegate; self.logger = logger
    }

    enum Event: Sendable {
        case bytes([UInt8])
        case closed(String)
        case tick
    }

    public func run() async throws {
        var backoff = configuration.backoff
        // Full verification (chain to a trusted CA, host name, validity), TLS 1.2 at least; the trust roots are the
        // system's, or the PEM bundle of CHARGEKIT_CA_FILE (as for the OCPP backend).
        let trust = configuration.tls ? try ServerTrust(strictness: .normal) : nil
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                backoff.connectionEnded(acceptedForSeconds: try await runConnection(trust: trust))
            } catch {
                logger.warning("MQTT broker \(configuration.host):\(configuration.port): \(error)")
            }
            guard !Task.isShuttingDownGracefully && !Task.isCancelled else { break }
            let delay = backoff.nextDelaySeconds()
            logger.info("MQTT reconnecting in \(Int(delay)) s")
            // A shutdown ends the wait at once (as the OCPP client's reconnect loop does).
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: .seconds(delay)) }
        }
    }

    /// One network connection; returns how long it lasted after the broker accepted it (CONNACK 0), nil if never.
    func runConnection(trust: ServerTrust?) async throws -> Double? {
        let host = configuration.host
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(configuration.connectTimeoutSeconds))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let trust {
                        try channel.pipeline.syncOperations.addHandler(try trust.handler(serverHostname: host))
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let start = ContinuousClock.now
        func now() -> Double { start.secondsSince }
        return try await channel.executeThenClose { inbound, outbound in
            let (events, continuation) = AsyncStream.makeStream(of: Event.self)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    do {
                        for try await buffer in inbound { continuation.yield(.bytes(Array(buffer: buffer))) }
                        continuation.yield(.closed("the broker closed the connection"))
                    } catch {
                        continuation.yield(.closed("\(error)"))
                    }
                }
                let tick = configuration.tickInterval
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: tick)
                        continuation.yield(.tick)
                    }
                }
                // Closing the channel ends the reader; the ticker ends with the group's cancellation.
                defer { channel.channel.close(promise: nil); group.cancelAll(); continuation.finish() }
                var iterator = events.makeAsyncIterator()
                var session = MQTTSession(connect: configuration.connect)
                var acceptedAt: Double?
                var pending = session.opened(nowSeconds: now())
                loop: while true {
                    // Carry out the session's actions; an action may lead to more (publishing after CONNACK).
                    while !pending.isEmpty {
                        let action = pending.removeFirst()
                        switch action {
                        case .send(let packet):
                            try await outbound.write(ByteBuffer(bytes: packet.encoded()))
                        case .connected:
                            acceptedAt = now()
                            logger.notice("MQTT connected to \(host):\(configuration.port)")
                            pending += session.subscribe(configuration.subscriptions, nowSeconds: now())
                            let messages = await delegate.mqttConnected()
                            pending += publish(messages, &session, now())
                        case .deliver(let topic, let payload):
                            let answers = await delegate.mqttReceived(topic: topic, payload: payload)
                            pending += publish(answers, &session, now())
                        case .acknowledged:
                            break
                        case .close(let reason):
                            if reason == "disconnected" {
                                logger.info("MQTT disconnected")
                            } else {
                                logger.warning("MQTT connection to \(host):\(configuration.port) closed: \(reason)")
                            }
                            break loop
                        }
                    }
                    guard let event = await iterator.next() else { break }
                    switch event {
                    case .bytes(let bytes):
                        pending = session.received(bytes, nowSeconds: now())
                    case .closed(let reason):
                        session.closedByPeer()
                        logger.warning("MQTT connection to \(host):\(configuration.port) lost: \(reason)")
                        break loop
                    case .tick:
                        if Task.isShuttingDownGracefully {
                            // Offline before DISCONNECT: the broker discards the will on DISCONNECT (§3.14.4).
                            if let will = configuration.connect.will {
                                pending = session.publish(topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain,
                                                          nowSeconds: now())
                            }
                            pending += session.disconnect(nowSeconds: now())
                            continue loop
                        }
                        pending = session.tick(nowSeconds: now())
                        if session.state == .connected {
                            let changes = await delegate.mqttTick()
                            pending += publish(changes, &session, now())
                        }
                    }
                }
                return acceptedAt.map { now() - $0 }
            }
        }
    }

    private func publish(_ messages: [MQTTOutgoing], _ session: inout MQTTSession, _ now: Double) -> [MQTTSession.Action] {
        messages.flatMap { session.publish(topic: $0.topic, payload: $0.payload, qos: .atLeastOnce, retain: $0.retain, nowSeconds: now) }
    }
}

extension ContinuousClock.Instant {
    /// Seconds since this instant, as a Double: the MQTT session's clock and the publishers' meter intervals.
    package var secondsSince: Double {
        let d = ContinuousClock.now - self
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
