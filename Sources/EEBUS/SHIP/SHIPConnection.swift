import OCPP16

/// One SHIP connection's handshake and data phase (SHIP TS 1.0.1 §13.4), for either role: events in, actions out, time
/// as an argument (a monotonic instant as a `Duration` since any origin). No I/O of its own.
///
/// Phases: connection mode initialisation (§13.4.3: both send `00 00`, the client first), hello (§13.4.4.1: `ready`
/// when the remote SKI is trusted, else `pending` while the user decides, with prolongation requests to the remote;
/// `aborted` on refusal or timeout), protocol handshake (§13.4.4.2: announceMax / select / confirm of version 1.0 with
/// JSON-UTF8), PIN state (§13.4.5: ChargeKit needs none and enters none), then data (§13.4.6: SPINE datagrams;
/// `accessMethodsRequest` answered with our id) until the orderly close (§13.4.7: announce, confirm).
public struct SHIPConnection: Sendable {
    public enum Phase: String, Sendable, Equatable { case idle, cmi, hello, protocolHandshake, pin, accessMethods, connected, closing, ended }
    enum HandshakeStep: Sendable, Equatable { case awaitAnnounce, awaitSelect, awaitConfirm }

    public let role: SHIPRole
    public let remoteSKI: SHIPSKI
    public let settings: SHIPConnectionSettings
    public private(set) var phase: Phase = .idle
    /// Whether the remote SKI is trusted now (the user's latest decision).
    public private(set) var trusted: Bool
    /// Our hello phase while in ``Phase/hello``.
    public private(set) var localHello: SHIPHello.Phase = .pending
    /// The remote's SHIP id, once it sent `accessMethods`.
    public private(set) var remoteID: String?
    private var remoteReady = false
    private var step = HandshakeStep.awaitAnnounce
    private var helloStarted = Duration.zero
    private var closingReason = ""
    private var deadlines: [SHIPTimer: Duration] = [:]
    private var actions: [SHIPAction] = []
    private var now = Duration.zero

    /// The SHIP version and format ChargeKit speaks.
    static let selection = SHIPProtocolHandshake(handshakeType: .select, major: 1, minor: 0, formats: [SHIPProtocolHandshake.jsonUTF8])
    /// The connection mode initialisation message (§13.4.3): type 0, value 0.
    public static let cmiMessage: [UInt8] = [0x00, 0x00]
    /// Prolongation thresholds (§13.4.4.1.3, T_hello_prolong_thr_inc and T_hello_prolong_waiting_gap): with at least
    /// 30 s of the remote's waiting time left, ask 15 s before it ends; with less, half-way.
    static let prolongThreshold = Duration.seconds(30)
    static let prolongGap = Duration.seconds(15)

    public init(role: SHIPRole, remoteSKI: SHIPSKI, trusted: Bool, settings: SHIPConnectionSettings) {
        self.role = role; self.remoteSKI = remoteSKI; self.trusted = trusted; self.settings = settings
    }

    /// Whether the connection waits for the user's trust decision.
    public var isWaitingForTrust: Bool { phase == .hello && localHello == .pending }

    /// Handles one event at `now` and returns what to do, in order.
    public mutating func handle(_ event: SHIPEvent, now: Duration) -> [SHIPAction] {
        self.now = now
        actions = []
        switch event {
        case .opened:
            guard phase == .idle else { break }
            phase = .cmi
            startTimer(.cmi, settings.cmiTimeout)
            if role == .client { actions.append(.send(Self.cmiMessage)) }
        case .received(let bytes):
            receive(bytes)
        case .timerFired(let timer):
            // A timer cancelled or restarted after it was scheduled may still fire: only its current deadline counts.
            guard let deadline = deadlines[timer], now + .milliseconds(5) >= deadline else { break }
            deadlines[timer] = nil
            fired(timer)
        case .trust(let ok):
            trust(ok)
        case .sendDatagram(let datagram):
            guard phase == .connected else {
                actions.append(.sendRefused("the SHIP connection to \(remoteSKI) is not established (\(phase.rawValue))"))
                break
            }
            // A message the remote would refuse for its size is not sent (the remote's limit is unknown; ours is the
            // best guess, and SPINE datagrams are far below it).
            let frame = SHIPMessage.data(SHIPData(payload: datagram)).frame
            guard frame.count <= settings.maxMessageBytes else {
                actions.append(.sendRefused("the datagram has \(frame.count) bytes, more than the limit of \(settings.maxMessageBytes)"))
                break
            }
            actions.append(.send(frame))
        case .closeRequested(let reason):
            closeLocally(reason)
        case .transportClosed(let reason):
            guard phase != .ended else { break }
            let cause: SHIPEnd.Cause = phase == .closing ? .closed : .closedByRemote
            cancelAllTimers()
            phase = .ended
            actions.append(.ended(SHIPEnd(cause, cause == .closed ? closingReason : "the WebSocket ended: \(reason)")))
        }
        return actions
    }

    // MARK: - Receiving

    private mutating func receive(_ bytes: [UInt8]) {
        guard phase != .idle, phase != .ended else { return }
        guard bytes.count <= settings.maxMessageBytes else {
            fail(SHIPCloseCode.tooBig, .oversize, "a message of \(bytes.count) bytes exceeds the limit of \(settings.maxMessageBytes) bytes")
            return
        }
        if phase == .cmi {
            // §13.4.3: the only acceptable message is type 0 with value 0.
            guard bytes == Self.cmiMessage else {
                fail(SHIPCloseCode.protocolError, .protocolError,
                     "connection mode initialisation: expected 00 00, received \(bytes.prefix(8).map { SHIPSKI.hexString([$0]) }.joined(separator: " "))")
                return
            }
            cancel(.cmi)
            if role == .server { actions.append(.send(Self.cmiMessage)) }
            enterHello()
            return
        }
        let message: SHIPMessage
        do throws(SHIPMessageError) { message = try SHIPMessage.read(frame: bytes) } catch {
            fail(SHIPCloseCode.protocolError, .protocolError, "message refused: \(error.description)")
            return
        }
        if case .close(let close) = message { remoteClose(close); return }
        switch phase {
        case .hello:
            guard case .hello(let hello) = message else { return unexpected(message) }
            receiveHello(hello)
        case .protocolHandshake:
            receiveHandshake(message)
        case .pin:
            receivePin(message)
        case .accessMethods:
            receiveAccessMethods(message)
        case .connected:
            receiveData(message)
        case .closing, .idle, .cmi, .ended:
            break
        }
    }

    private mutating func unexpected(_ message: SHIPMessage) {
        fail(SHIPCloseCode.protocolError, .protocolError, "unexpected \(message.name) in the \(phase.rawValue) phase")
    }

    // MARK: - Hello (§13.4.4.1)

    private mutating func enterHello() {
        phase = .hello
        helloStarted = now
        remoteReady = false
        localHello = trusted ? .ready : .pending
        send(.hello(SHIPHello(phase: localHello, waitingMs: Self.milliseconds(settings.helloInit))))
        startTimer(.hello, settings.helloInit)
        if !trusted { actions.append(.askTrust(remoteSKI)) }
    }

    private mutating func receiveHello(_ hello: SHIPHello) {
        switch hello.phase {
        case .aborted:
            fail(SHIPCloseCode.normal, .refusedByRemote, "the remote aborted the hello: it does not trust this station (yet)", abortHello: false)
        case .ready:
            remoteReady = true
            if localHello == .ready { return enterHandshake() }
            // We are pending: ask the remote for more time before its waiting time ends.
            if let waiting = hello.waitingMs {
                let w = Duration.milliseconds(waiting)
                startTimer(.prolongation, w >= Self.prolongThreshold ? w - Self.prolongGap : w / 2)
            }
        case .pending:
            remoteReady = false
            cancel(.prolongation)
            if hello.prolongationRequest == true {
                // The remote asks us to wait longer (§13.4.4.1.3), within the overall limit.
                let left = helloStarted + settings.helloLimit - now
                let wait = min(settings.helloInit, left)
                guard wait > .zero else { return }
                startTimer(.hello, wait)
                send(.hello(SHIPHello(phase: localHello, waitingMs: Self.milliseconds(wait))))
            }
        }
    }

    private mutating func trust(_ ok: Bool) {
        trusted = ok
        guard ok else {
            switch phase {
            case .idle, .ended, .closing:
                break
            case .cmi, .hello, .protocolHandshake, .pin, .accessMethods:
                fail(SHIPCloseCode.untrusted, .untrusted, "the SKI \(remoteSKI) is not trusted (refused by the user)", abortHello: phase == .hello)
            case .connected:
                send(.close(SHIPClose(phase: .announce, maxTimeMs: 0, reason: .removedConnection)))
                fail(SHIPCloseCode.untrusted, .untrusted, "the SKI \(remoteSKI) is no longer trusted (unpaired by the user)")
            }
            return
        }
        guard phase == .hello, localHello == .pending else { return }
        localHello = .ready
        cancel(.prolongation)
        let left = deadlines[.hello].map { $0 - now } ?? settings.helloInit
        send(.hello(SHIPHello(phase: .ready, waitingMs: Self.milliseconds(max(left, .zero)))))
        if remoteReady { enterHandshake() }
    }

    // MARK: - Protocol handshake (§13.4.4.2)

    private mutating func enterHandshake() {
        phase = .protocolHandshake
        cancel(.hello)
        cancel(.prolongation)
        startTimer(.handshake, settings.handshakeTimeout)
        if role == .client {
            var announce = Self.selection
            announce.handshakeType = .announceMax
            send(.protocolHandshake(announce))
            step = .awaitSelect
        } else {
            step = .awaitAnnounce
        }
    }

    private mutating func receiveHandshake(_ message: SHIPMessage) {
        guard case .protocolHandshake(let p) = message else {
            if case .protocolHandshakeError(let e) = message {
                return fail(SHIPCloseCode.protocolError, .protocolError, "the remote ended the protocol handshake (error \(e.error))")
            }
            return handshakeError(.unexpectedMessage, "unexpected \(message.name) in the protocol handshake")
        }
        let offered = "version \(p.major).\(p.minor) with \(p.formats.joined(separator: ", "))"
        switch step {
        case .awaitAnnounce:
            guard p.handshakeType == .announceMax else { return handshakeError(.unexpectedMessage, "the client sent \(p.handshakeType.rawValue) instead of announceMax") }
            guard p.major == 1, p.formats.contains(SHIPProtocolHandshake.jsonUTF8) else {
                return handshakeError(.selectionMismatch, "the client offers SHIP \(offered); ChargeKit speaks SHIP 1.0 with JSON-UTF8")
            }
            send(.protocolHandshake(Self.selection))
            step = .awaitConfirm
            startTimer(.handshake, settings.handshakeTimeout)
        case .awaitConfirm, .awaitSelect:
            guard p.handshakeType == .select else { return handshakeError(.unexpectedMessage, "the remote sent announceMax instead of select") }
            guard p == Self.selection else {
                return handshakeError(.selectionMismatch, "the remote selected SHIP \(offered); ChargeKit speaks SHIP 1.0 with JSON-UTF8")
            }
            // The client confirms the server's selection by sending it back (§13.4.4.2.2).
            if step == .awaitSelect { send(.protocolHandshake(Self.selection)) }
            enterPin()
        }
    }

    private mutating func handshakeError(_ error: SHIPProtocolHandshakeError, _ reason: String) {
        send(.protocolHandshakeError(error))
        fail(SHIPCloseCode.protocolError, .protocolError, "protocol handshake: \(reason)")
    }

    // MARK: - PIN (§13.4.5)

    private mutating func enterPin() {
        phase = .pin
        send(.pinState(SHIPPinState(pinState: .none)))
        startTimer(.handshake, settings.handshakeTimeout)
    }

    private mutating func receivePin(_ message: SHIPMessage) {
        switch message {
        case .pinState(let state):
            guard state.pinState != .required else {
                return fail(SHIPCloseCode.protocolError, .protocolError,
                            "the remote requires a PIN (SHIP TS 1.0.1 §13.4.5); ChargeKit pairs by SKI: switch the remote's PIN off")
            }
            enterAccessMethods()
        case .pinInput:
            // We announced `none`: no PIN is accepted (§13.4.5.4, error 1).
            send(.pinError(SHIPPinError(error: 1)))
        default:
            unexpected(message)
        }
    }

    // MARK: - Access methods (§13.4.6)

    /// Both sides ask for the other's access methods and answer the other's request; SPINE data begins once the
    /// remote's `accessMethods` (its SHIP id) arrived — the open implementations send no data before, and a strict
    /// remote refuses data that comes earlier. A remote that skips the exchange and sends data is taken as connected.
    private mutating func enterAccessMethods() {
        phase = .accessMethods
        send(.accessMethodsRequest)
    }

    private mutating func receiveAccessMethods(_ message: SHIPMessage) {
        switch message {
        case .accessMethodsRequest:
            send(.accessMethods(SHIPAccessMethods(id: settings.localID)))
        case .accessMethods(let methods):
            remoteID = methods.id
            actions.append(.remoteAccessMethods(methods))
            enterConnected()
        case .data:
            enterConnected()
            receiveData(message)
        case .pinInput:
            send(.pinError(SHIPPinError(error: 1)))
        default:
            unexpected(message)
        }
    }

    // MARK: - Data (§13.4.6)

    private mutating func enterConnected() {
        phase = .connected
        cancel(.handshake)
        actions.append(.established)
    }

    private mutating func receiveData(_ message: SHIPMessage) {
        switch message {
        case .data(let data):
            guard data.protocolID == SHIPData.spineProtocolID else {
                return fail(SHIPCloseCode.protocolError, .protocolError, "data for protocol \"\(data.protocolID)\"; only \"ee1.0\" (SPINE) is spoken")
            }
            actions.append(.deliver(data.payload))
        case .accessMethodsRequest:
            send(.accessMethods(SHIPAccessMethods(id: settings.localID)))
        case .accessMethods(let methods):
            remoteID = methods.id
            actions.append(.remoteAccessMethods(methods))
        case .pinInput:
            send(.pinError(SHIPPinError(error: 1)))
        default:
            unexpected(message)
        }
    }

    // MARK: - Close (§13.4.7)

    private mutating func closeLocally(_ reason: String) {
        switch phase {
        case .idle, .cmi, .hello, .protocolHandshake, .pin, .accessMethods:
            fail(SHIPCloseCode.normal, .closed, reason, abortHello: phase == .hello)
        case .connected:
            send(.close(SHIPClose(phase: .announce, maxTimeMs: Self.milliseconds(settings.closeMaxTime), reason: .unspecific)))
            phase = .closing
            closingReason = reason
            startTimer(.close, settings.closeMaxTime)
        case .closing, .ended:
            break
        }
    }

    private mutating func remoteClose(_ close: SHIPClose) {
        switch close.phase {
        case .announce:
            send(.close(SHIPClose(phase: .confirm)))
            let why = close.reason == .removedConnection ? " (it removed the pairing)" : ""
            fail(SHIPCloseCode.normal, .closedByRemote, "closed by the remote\(why)")
        case .confirm:
            if phase == .closing { fail(SHIPCloseCode.normal, .closed, closingReason) } else {
                fail(SHIPCloseCode.protocolError, .protocolError, "a connectionClose confirmation without an announcement")
            }
        }
    }

    // MARK: - Timers

    private mutating func fired(_ timer: SHIPTimer) {
        switch timer {
        case .cmi:
            fail(SHIPCloseCode.timeout, .timeout, "no connection mode initialisation within \(settings.cmiTimeout) (SHIP TS 1.0.1 §13.4.3)")
        case .hello:
            let why = localHello == .pending
                ? "the SKI \(remoteSKI) was not trusted within the hello time (pair it on the station, then it connects again)"
                : "the remote did not become ready within the hello time (it does not trust this station yet)"
            fail(SHIPCloseCode.timeout, .timeout, why, abortHello: true)
        case .prolongation:
            guard phase == .hello, localHello == .pending, remoteReady else { return }
            let left = deadlines[.hello].map { $0 - now } ?? .zero
            send(.hello(SHIPHello(phase: .pending, waitingMs: Self.milliseconds(max(left, .zero)), prolongationRequest: true)))
        case .handshake:
            if phase == .protocolHandshake { send(.protocolHandshakeError(.timeout)) }
            fail(SHIPCloseCode.timeout, .timeout, "the \(phase == .pin ? "PIN state exchange" : phase == .accessMethods ? "access methods exchange" : "protocol handshake") did not finish in \(settings.handshakeTimeout)")
        case .close:
            fail(SHIPCloseCode.normal, .closed, closingReason + " (the remote did not confirm the close)")
        }
    }

    private mutating func startTimer(_ timer: SHIPTimer, _ after: Duration) {
        deadlines[timer] = now + after
        actions.append(.startTimer(timer, after: after))
    }

    private mutating func cancel(_ timer: SHIPTimer) {
        guard deadlines.removeValue(forKey: timer) != nil else { return }
        actions.append(.cancelTimer(timer))
    }

    private mutating func cancelAllTimers() {
        for timer in SHIPTimer.allCases { cancel(timer) }
    }

    // MARK: - Helpers

    private mutating func send(_ message: SHIPMessage) { actions.append(.send(message.frame)) }

    /// Ends the connection: timers cancelled, the hello aborted if asked (§13.4.4.1: a side that gives up says so),
    /// the WebSocket closed with `code`, and the end reported.
    private mutating func fail(_ code: UInt16, _ cause: SHIPEnd.Cause, _ reason: String, abortHello: Bool = false) {
        guard phase != .ended else { return }
        if abortHello { send(.hello(SHIPHello(phase: .aborted))) }
        cancelAllTimers()
        phase = .ended
        actions.append(.closeWebSocket(code: code, reason: reason))
        actions.append(.ended(SHIPEnd(cause, reason)))
    }

    static func milliseconds(_ d: Duration) -> Int {
        let (s, atto) = d.components
        return Int(s) * 1000 + Int(atto / 1_000_000_000_000_000)
    }
}
