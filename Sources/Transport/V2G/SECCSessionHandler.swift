import EXI
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Logging
import SECC
import V2G

/// One connector's SECC behind its V2GTP server (``V2GConnectorServer``): a ``SECCConnection`` per vehicle connection,
/// fed the station's view of the connector at each request and a monotonic time, its steps turned into the server's
/// replies and its events handed to the station.
///
/// A new connection gets 8 fresh random session-ID bytes (ISO 15118-2:2014 §8.4.3.2.2; getrandom(2) through
/// SystemRandomNumberGenerator). The context of a session the vehicle paused (SessionStopReq Pause) is kept for the
/// vehicle's return on this connector until ``vehicleLeft()`` (the vehicle unplugged).
public actor SECCSessionHandler: V2GSessionHandler {
    public typealias Clock = @Sendable () -> Duration

    public let connector: Int
    private let configuration: @Sendable () async -> SECCConfiguration
    private let view: @Sendable () async -> HLCConnectorView?
    private let report: @Sendable (SECCEvent) async -> Void
    private let additionalLogging: @Sendable () async -> Bool
    private let closed: @Sendable (V2GCloseReason, _ sessionEnded: Bool) async -> Void
    private let now: Clock
    private let newSessionID: @Sendable () -> [UInt8]
    private let backend: @Sendable (SECCForward) async -> [UInt8]?
    private let wallClock: @Sendable () -> Date
    private let logger: Logger
    private var connection: SECCConnection?
    /// A vehicle connected and has not sent its first message yet (its SECC is made then).
    private var opened = false
    /// The protocol the current connection negotiated (nil: still the handshake, whose messages are AppProtocol).
    private var negotiated: V2GProtocol?
    /// The SECC ended the session (SessionStop, a FAILED answer, no common protocol): a close that follows is no
    /// vanishing vehicle.
    private var ended = false
    private var paused: SECCPausedSession?

    /// - Parameters:
    ///   - configuration: read when a vehicle connects (the EVSE ID may have changed since the last one).
    ///   - view: the station's view of the connector, read at each request; nil (the connector is gone) ends the
    ///     connection.
    ///   - report: each event of the SECC, in order.
    ///   - additionalLogging: "Additional Logging" (HLCAdditionalLogging): every decoded message as JSON at info.
    ///   - closed: the connection ended; `sessionEnded` false when the session had not ended (the vehicle vanished,
    ///     a timer ran out, the stream broke).
    ///   - now: a monotonic clock (the SECC's authorization and stop timeouts run on it).
    ///   - backend: asks the backend what the SECC cannot answer itself (``SECCForward``: the certificate installation);
    ///     nil when no answer came in time.
    ///   - wallClock: the date, for the certificates' validity and the time stamps of ISO 15118-20's headers.
    ///
    /// The configuration's `tls` is set from the connection, and its contract (Plug & Charge) kept only on a TLS one.
    public init(connector: Int, configuration: @escaping @Sendable () async -> SECCConfiguration,
                view: @escaping @Sendable () async -> HLCConnectorView?, report: @escaping @Sendable (SECCEvent) async -> Void,
                additionalLogging: @escaping @Sendable () async -> Bool = { false },
                closed: @escaping @Sendable (V2GCloseReason, _ sessionEnded: Bool) async -> Void = { _, _ in },
                now: @escaping Clock = SECCSessionHandler.monotonicNow,
                newSessionID: @escaping @Sendable () -> [UInt8] = SECCSessionHandler.randomSessionID,
                backend: @escaping @Sendable (SECCForward) async -> [UInt8]? = { _ in nil },
                wallClock: @escaping @Sendable () -> Date = { Date() }, logger: Logger) {
        self.connector = connector; self.configuration = configuration; self.view = view; self.report = report
        self.additionalLogging = additionalLogging; self.closed = closed; self.now = now; self.newSessionID = newSessionID
        self.backend = backend; self.wallClock = wallClock; self.logger = logger
    }

    /// ContinuousClock's time since a fixed instant of this process: only differences matter to the SECC.
    public static let monotonicNow: Clock = {
        let origin = ContinuousClock.now
        return { ContinuousClock.now - origin }
    }()

    /// 16 random bytes for PaymentDetailsRes's GenChallenge (ISO 15118-2:2014 §8.4.3.9.3), drawn per connection.
    static func randomChallenge() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    public static let randomSessionID: @Sendable () -> [UInt8] = {
        var generator = SystemRandomNumberGenerator()
        return (0..<8).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The paused session kept for the vehicle's return (nil: none).
    public var pausedSession: SECCPausedSession? { paused }

    /// The vehicle left the connector: a paused session can no longer be joined.
    public func vehicleLeft() {
        if paused != nil { logger.info("ISO 15118: the paused session is dropped: the vehicle left", metadata: meta) }
        paused = nil
    }

    private var meta: Logger.Metadata { ["connector": "\(connector)"] }

    public func sessionOpened(_ peer: V2GPeer) async {
        connection = nil
        opened = true
        negotiated = nil
        ended = false
    }

    /// The connection's SECC, made at its first message: only then does a TLS connection know its version, which
    /// decides whether ISO 15118-20 may be chosen ([V2G20-2356]: TLS 1.3).
    private func secc(for peer: V2GPeer) async -> SECCConnection? {
        if let connection { return connection }
        guard opened else { return nil }
        opened = false
        var configuration = await configuration()
        configuration.tls = peer.secure
        configuration.tls13 = peer.secure && peer.tlsVersion == "TLS 1.3"
        if !peer.secure { configuration.contract = nil }
        return SECCConnection(configuration: configuration, newSessionID: newSessionID(), genChallenge: Self.randomChallenge(), paused: paused)
    }

    public func handle(_ frame: V2GTPFrame, from peer: V2GPeer) async -> V2GSessionReply {
        guard var secc = await secc(for: peer) else { return .close(reason: "no session for this connection") }
        guard let view = await view() else { return .close(reason: "connector \(connector) is not there") }
        let logging = await additionalLogging()
        let wasNegotiated = negotiated
        if logging { logMessage(frame, protocol: wasNegotiated, direction: "from the vehicle", peer: peer) }
        var step = secc.receive(frame, view: view, now: now(), date: wallClock())
        connection = secc
        await handOn(step.events, peer: peer)
        if let forward = step.forward {
            // The backend answers in its own time (the vehicle waits up to its message timeout, ISO 15118-2:2014
            // Table 109: 5 s for CertificateInstallationReq); the station's view is read again afterwards.
            logger.info("ISO 15118: \(peer): \(step.requestName) goes to the backend", metadata: meta)
            let answer = await backend(forward)
            guard var again = connection, let latest = await self.view() else { return .close(reason: "the connection ended meanwhile") }
            step = again.backendAnswered(answer, view: latest, now: now(), date: wallClock())
            connection = again
            await handOn(step.events, peer: peer)
        }
        logger.debug("ISO 15118: \(peer): \(step.requestName) → \(step.responseName ?? "no response")", metadata: meta)
        if step.close { ended = true }
        if step.close, let kept = secc.pausedSession { paused = kept }
        guard let response = step.response else {
            let reason = step.closeReason ?? "the session ended"
            logger.warning("ISO 15118: \(peer): \(step.requestName): \(reason); closing the connection", metadata: meta)
            return .close(reason: reason)
        }
        if logging { logMessage(response, protocol: wasNegotiated, direction: "to the vehicle", peer: peer) }
        if step.close {
            logger.notice("ISO 15118: \(peer): \(step.responseName ?? "response") sent, the session ends", metadata: meta)
            return .respondAndClose(response)
        }
        return .respond(response, completesSetup: step.responseName == "SessionSetupRes")
    }

    public func sessionClosed(_ peer: V2GPeer, reason: V2GCloseReason) async {
        guard connection != nil || opened else { return }
        opened = false
        if ended {
            logger.info("ISO 15118: \(peer) closed after the session ended: \(reason)", metadata: meta)
        } else {
            logger.notice("ISO 15118: \(peer) closed before the session ended: \(reason)", metadata: meta)
        }
        connection = nil
        negotiated = nil
        let sessionEnded = ended
        ended = false
        await closed(reason, sessionEnded)
    }

    private func handOn(_ events: [SECCEvent], peer: V2GPeer) async {
        for event in events {
            if case .protocolNegotiated(let p?) = event { negotiated = p }
            log(event, peer: peer)
            await report(event)
        }
    }

    private func log(_ event: SECCEvent, peer: V2GPeer) {
        switch event {
        case .protocolNegotiated(let p?): logger.info("ISO 15118: \(peer) speaks \(p)", metadata: meta)
        case .protocolNegotiated(nil):
            logger.warning("ISO 15118: \(peer) offered no protocol this station speaks (Failed_NoNegotiation)", metadata: meta)
        case .vehicleIdentified(let evccid, let resumed):
            logger.info("ISO 15118: vehicle \(EVCCID.text(evccid))\(resumed ? " joined its paused session" : "")", metadata: meta)
        case .vehicleNeeds(let n):
            logger.info("ISO 15118: the vehicle asks for up to \(n.maxCurrentAmps) A on \(n.phases) phase(s), \(n.energyRequestWh) Wh", metadata: meta)
        case .powerDelivery(let p): logger.info("ISO 15118: PowerDelivery \(p.rawValue)", metadata: meta)
        case .maxCurrentSent(let amps): logger.info("ISO 15118: EVSEMaxCurrent \(amps) A sent", metadata: meta)
        case .notification(let n): logger.info("ISO 15118: EVSENotification \(n)", metadata: meta)
        case .sessionStopped(let pause): logger.info("ISO 15118: SessionStop \(pause ? "Pause" : "Terminate")", metadata: meta)
        case .failed(let code, let request, let reason), .warning(let code, let request, let reason):
            logger.warning("ISO 15118: \(request) answered \(code): \(reason)", metadata: meta)
        case .contractPresented(let eMAID, _):
            logger.info("ISO 15118: the vehicle presents contract \(eMAID)", metadata: meta)
        }
    }

    /// "Additional Logging": the message as the vehicle or the station sent it, decoded to JSON (EXIficient's form).
    private func logMessage(_ frame: V2GTPFrame, protocol negotiated: V2GProtocol?, direction: String, peer: V2GPeer) {
        let schema = switch (negotiated, frame.payloadType) {
        case (nil, _): EXI.appProtocol
        case (_, .iso20Mainstream): EXI.iso20Common
        case (_, .iso20AC): EXI.iso20AC
        default: EXI.iso2
        }
        let text: String
        do { text = EXIJSON.render(Self.shortened(try EXICodec.decodeDocument(frame.payload, schema: schema))) } catch {
            text = "(\(frame.payload.count) bytes that do not decode: \(error))"
        }
        logger.info("ISO 15118 message \(direction) \(peer): \(text)", metadata: meta)
    }

    /// The message with every binary value longer than 32 bytes replaced by its length: certificates, signatures and
    /// above all the contract's encrypted private key of CertificateInstallationRes stay out of the log (the setting's
    /// help says so); session IDs, EVCCIDs, digests and challenges stay readable.
    static func shortened(_ node: EXINode) -> EXINode {
        func short(_ v: EXIValue) -> EXIValue {
            switch v {
            case .binary(let b) where b.count > 32, .base64Binary(let b) where b.count > 32: .string("(\(b.count) bytes)")
            default: v
            }
        }
        var out = node
        out.value = node.value.map(short)
        out.attributes = node.attributes.map { EXIAttribute($0.name, short($0.value)) }
        out.children = node.children.map(shortened)
        return out
    }
}

/// The EVCCID as the station writes it: 12 upper-case hexadecimal digits (ISO 15118-2:2014 §8.4.3.2.2, hexBinary of
/// 6 bytes — the vehicle's MAC address in practice), as the whitelist and Autocharge take a MAC address.
public enum EVCCID {
    public static func text(_ bytes: [UInt8]) -> String {
        let digits: [Character] = Array("0123456789ABCDEF")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    }
}
