import EEBUS
import OCPP16
import Testing

/// The SHIP connection machine (SHIP TS 1.0.1 §13.4): the sequences of both roles, and every refusal.
@Suite struct SHIPConnectionTests {
    static let clientSKI = SHIPSKI(subjectPublicKey: [1, 2, 3])
    static let serverSKI = SHIPSKI(subjectPublicKey: [4, 5, 6])

    static func machine(_ role: SHIPRole, trusted: Bool = true) -> SHIPConnection {
        SHIPConnection(role: role, remoteSKI: role == .client ? serverSKI : clientSKI, trusted: trusted,
                       settings: SHIPConnectionSettings(localID: role == .client ? "Client-1" : "ChargeKit-1"))
    }

    static func frame(_ m: SHIPMessage) -> [UInt8] { m.frame }
    static func sent(_ actions: [SHIPAction]) -> [SHIPMessage] {
        actions.compactMap { if case .send(let b) = $0, b != SHIPConnection.cmiMessage { try? SHIPMessage.read(frame: b) } else { nil } }
    }
    static func ended(_ actions: [SHIPAction]) -> SHIPEnd? {
        actions.lazy.compactMap { if case .ended(let e) = $0 { e } else { nil } }.first
    }
    static func closeCode(_ actions: [SHIPAction]) -> UInt16? {
        actions.lazy.compactMap { if case .closeWebSocket(let c, _) = $0 { c } else { nil } }.first
    }

    /// Two machines wired back to back: what one sends, the other receives, in order.
    struct Pair {
        var client = SHIPConnectionTests.machine(.client)
        var server = SHIPConnectionTests.machine(.server)
        var now = Duration.zero
        var log: [(SHIPRole, SHIPAction)] = []

        init(clientTrusts: Bool = true, serverTrusts: Bool = true) {
            client = SHIPConnectionTests.machine(.client, trusted: clientTrusts)
            server = SHIPConnectionTests.machine(.server, trusted: serverTrusts)
        }

        mutating func open() {
            deliver(server.handle(.opened, now: now), from: .server)
            deliver(client.handle(.opened, now: now), from: .client)
        }

        mutating func event(_ e: SHIPEvent, to role: SHIPRole) {
            let actions = role == .client ? client.handle(e, now: now) : server.handle(e, now: now)
            deliver(actions, from: role)
        }

        mutating func deliver(_ actions: [SHIPAction], from role: SHIPRole) {
            var queue: [(SHIPRole, [SHIPAction])] = [(role, actions)]
            while !queue.isEmpty {
                let (from, list) = queue.removeFirst()
                for a in list {
                    log.append((from, a))
                    guard case .send(let bytes) = a else { continue }
                    let to: SHIPRole = from == .client ? .server : .client
                    let reply = to == .client ? client.handle(.received(bytes), now: now) : server.handle(.received(bytes), now: now)
                    queue.append((to, reply))
                }
            }
        }

        func actions(of role: SHIPRole) -> [SHIPAction] { log.filter { $0.0 == role }.map(\.1) }
    }

    @Test func twoTrustingNodesReachTheDataPhaseAndExchangeDatagramsBothWays() {
        var pair = Pair()
        pair.open()
        #expect(pair.client.phase == .connected)
        #expect(pair.server.phase == .connected)
        #expect(pair.actions(of: .client).contains(.established))
        #expect(pair.actions(of: .server).contains(.established))
        // Each asked for the other's access methods and got its id.
        #expect(pair.client.remoteID == "ChargeKit-1")
        #expect(pair.server.remoteID == "Client-1")

        let datagram = JSONValue.object(["datagram": .object(["header": .object(["msgCounter": .integer(1)])])])
        pair.event(.sendDatagram(datagram), to: .client)
        #expect(pair.actions(of: .server).contains(.deliver(datagram)))
        pair.event(.sendDatagram(datagram), to: .server)
        #expect(pair.actions(of: .client).contains(.deliver(datagram)))
    }

    @Test func theClientSideSequenceIsCMIHelloAnnounceConfirmPinAccessMethodsThenData() {
        var c = Self.machine(.client)
        var a = c.handle(.opened, now: .zero)
        #expect(a == [.startTimer(.cmi, after: .seconds(10)), .send([0, 0])])
        a = c.handle(.received([0, 0]), now: .seconds(1))
        #expect(Self.sent(a) == [.hello(SHIPHello(phase: .ready, waitingMs: 60000))])
        #expect(a.contains(.cancelTimer(.cmi)))
        a = c.handle(.received(Self.frame(.hello(SHIPHello(phase: .ready, waitingMs: 60000)))), now: .seconds(2))
        #expect(Self.sent(a) == [.protocolHandshake(SHIPProtocolHandshake(handshakeType: .announceMax))])
        a = c.handle(.received(Self.frame(.protocolHandshake(SHIPProtocolHandshake(handshakeType: .select)))), now: .seconds(3))
        #expect(Self.sent(a) == [.protocolHandshake(SHIPProtocolHandshake(handshakeType: .select)), .pinState(SHIPPinState(pinState: .none))])
        a = c.handle(.received(Self.frame(.pinState(SHIPPinState(pinState: .none)))), now: .seconds(4))
        #expect(!a.contains(.established))
        #expect(c.phase == .accessMethods)
        #expect(Self.sent(a) == [.accessMethodsRequest])
        a = c.handle(.received(Self.frame(.accessMethodsRequest)), now: .seconds(5))
        #expect(Self.sent(a) == [.accessMethods(SHIPAccessMethods(id: "Client-1"))])
        #expect(!a.contains(.established))
        // SPINE data begins once the remote's access methods (its SHIP id) arrived (§13.4.6).
        a = c.handle(.received(Self.frame(.accessMethods(SHIPAccessMethods(id: "Server-1")))), now: .seconds(6))
        #expect(a.contains(.established))
        #expect(c.phase == .connected && c.remoteID == "Server-1")
    }

    @Test func aRemoteThatSendsDataBeforeItsAccessMethodsIsTakenAsConnected() {
        var c = Self.machine(.client)
        _ = c.handle(.opened, now: .zero)
        _ = c.handle(.received([0, 0]), now: .seconds(1))
        _ = c.handle(.received(Self.frame(.hello(SHIPHello(phase: .ready, waitingMs: 60000)))), now: .seconds(2))
        _ = c.handle(.received(Self.frame(.protocolHandshake(SHIPProtocolHandshake(handshakeType: .select)))), now: .seconds(3))
        _ = c.handle(.received(Self.frame(.pinState(SHIPPinState(pinState: .none)))), now: .seconds(4))
        let datagram = JSONValue.object(["datagram": .object(["header": .object(["msgCounter": .integer(1)])])])
        let a = c.handle(.received(Self.frame(.data(SHIPData(payload: datagram)))), now: .seconds(5))
        #expect(a.contains(.established))
        #expect(a.contains(.deliver(datagram)))
    }

    @Test func theServerAnswersTheCMIAndSelectsVersion1WithJSONUTF8() {
        var s = Self.machine(.server)
        #expect(s.handle(.opened, now: .zero) == [.startTimer(.cmi, after: .seconds(10))])
        var a = s.handle(.received([0, 0]), now: .seconds(1))
        #expect(a.first == .cancelTimer(.cmi))
        #expect(a.contains(.send([0, 0])))
        _ = s.handle(.received(Self.frame(.hello(SHIPHello(phase: .ready, waitingMs: 60000)))), now: .seconds(2))
        #expect(s.phase == .protocolHandshake)
        // A client announcing a later minor version gets 1.0.
        a = s.handle(.received(Self.frame(.protocolHandshake(SHIPProtocolHandshake(handshakeType: .announceMax, major: 1, minor: 3,
                                                                                           formats: ["JSON-UTF16", "JSON-UTF8"])))), now: .seconds(3))
        #expect(Self.sent(a) == [.protocolHandshake(SHIPProtocolHandshake(handshakeType: .select))])
        a = s.handle(.received(Self.frame(.protocolHandshake(SHIPProtocolHandshake(handshakeType: .select)))), now: .seconds(4))
        #expect(Self.sent(a) == [.pinState(SHIPPinState(pinState: .none))])
        a = s.handle(.received(Self.frame(.pinState(SHIPPinState(pinState: .optional)))), now: .seconds(5))
        #expect(Self.sent(a) == [.accessMethodsRequest])
        a = s.handle(.received(Self.frame(.accessMethods(SHIPAccessMethods(id: "Client-1")))), now: .seconds(6))
        #expect(a.contains(.established))
    }

    @Test func anUntrustedSKIWaitsPendingAndConnectsWhenTheUserTrustsIt() {
        var pair = Pair(serverTrusts: false)
        pair.open()
        #expect(pair.server.isWaitingForTrust)
        #expect(pair.actions(of: .server).contains(.askTrust(Self.clientSKI)))
        #expect(pair.client.phase == .hello)
        pair.now = .seconds(20)
        pair.event(.trust(true), to: .server)
        #expect(pair.server.phase == .connected)
        #expect(pair.client.phase == .connected)
        // The ready hello after the decision tells the remaining wait.
        #expect(Self.sent(pair.actions(of: .server)).contains(.hello(SHIPHello(phase: .ready, waitingMs: 40000))))
    }

    @Test func aRefusedSKIIsAbortedAndClosed() {
        var pair = Pair(serverTrusts: false)
        pair.open()
        pair.event(.trust(false), to: .server)
        let server = pair.actions(of: .server)
        #expect(Self.sent(server).last == .hello(SHIPHello(phase: .aborted)))
        #expect(Self.closeCode(server) == SHIPCloseCode.untrusted)
        #expect(Self.ended(server)?.cause == .untrusted)
        // The client learns it is not trusted.
        #expect(Self.ended(pair.actions(of: .client))?.cause == .refusedByRemote)
    }

    @Test func thePendingSideAsksForProlongationBeforeTheRemoteGivesUp() {
        var s = Self.machine(.server, trusted: false)
        _ = s.handle(.opened, now: .zero)
        _ = s.handle(.received([0, 0]), now: .zero)
        var a = s.handle(.received(Self.frame(.hello(SHIPHello(phase: .ready, waitingMs: 60000)))), now: .seconds(1))
        #expect(a == [.startTimer(.prolongation, after: .seconds(45))])
        a = s.handle(.timerFired(.prolongation), now: .seconds(46))
        #expect(Self.sent(a) == [.hello(SHIPHello(phase: .pending, waitingMs: 14000, prolongationRequest: true))])
        // The ready remote grants more time: a new prolongation is planned.
        a = s.handle(.received(Self.frame(.hello(SHIPHello(phase: .ready, waitingMs: 20000)))), now: .seconds(47))
        #expect(a == [.startTimer(.prolongation, after: .seconds(10))])
    }

    @Test func aReadySideGrantsAProlongationRequest() {
        var c = Self.machine(.client)
        _ = c.handle(.opened, now: .zero)
        _ = c.handle(.received([0, 0]), now: .zero)
        let a = c.handle(.received(Self.frame(.hello(SHIPHello(phase: .pending, waitingMs: 60000, prolongationRequest: true)))), now: .seconds(50))
        #expect(a == [.startTimer(.hello, after: .seconds(60))] + [.send(Self.frame(.hello(SHIPHello(phase: .ready, waitingMs: 60000))))])
        // The old deadline no longer counts.
        #expect(c.handle(.timerFired(.hello), now: .seconds(60)) == [])
        #expect(c.phase == .hello)
    }

    @Test func noTrustDecisionWithinTheHelloTimeAbortsTheConnection() {
        var s = Self.machine(.server, trusted: false)
        _ = s.handle(.opened, now: .zero)
        _ = s.handle(.received([0, 0]), now: .zero)
        let a = s.handle(.timerFired(.hello), now: .seconds(60))
        #expect(Self.sent(a) == [.hello(SHIPHello(phase: .aborted))])
        #expect(Self.ended(a)?.cause == .timeout)
        #expect(Self.ended(a)?.reason.contains("was not trusted within the hello time") == true)
        #expect(s.phase == .ended)
    }

    @Test(arguments: [[0x00, 0x01], [0x01, 0x00], [0x00], [0x00, 0x00, 0x00]] as [[UInt8]])
    func aBadCMIIsAProtocolError(bytes: [UInt8]) {
        var s = Self.machine(.server)
        _ = s.handle(.opened, now: .zero)
        let a = s.handle(.received(bytes), now: .seconds(1))
        #expect(Self.ended(a)?.cause == .protocolError)
        #expect(Self.closeCode(a) == SHIPCloseCode.protocolError)
        #expect(!a.contains(.send([0, 0])))
    }

    @Test func noCMIWithinTenSecondsIsATimeout() {
        var s = Self.machine(.server)
        _ = s.handle(.opened, now: .zero)
        #expect(s.handle(.timerFired(.cmi), now: .seconds(9)) == [])
        let a = s.handle(.timerFired(.cmi), now: .seconds(10))
        #expect(Self.ended(a)?.cause == .timeout)
        #expect(Self.closeCode(a) == SHIPCloseCode.timeout)
    }

    @Test(arguments: [
        SHIPProtocolHandshake(handshakeType: .announceMax, major: 2, minor: 0),
        SHIPProtocolHandshake(handshakeType: .announceMax, major: 0, minor: 9),
        SHIPProtocolHandshake(handshakeType: .announceMax, major: 1, minor: 0, formats: ["JSON-UTF16"]),
    ])
    func aVersionOrFormatMismatchIsAnsweredWithAHandshakeErrorAndClosed(announce: SHIPProtocolHandshake) {
        var s = Self.machine(.server)
        _ = s.handle(.opened, now: .zero)
        _ = s.handle(.received([0, 0]), now: .zero)
        _ = s.handle(.received(Self.frame(.hello(SHIPHello(phase: .ready)))), now: .zero)
        let a = s.handle(.received(Self.frame(.protocolHandshake(announce))), now: .seconds(1))
        #expect(Self.sent(a) == [.protocolHandshakeError(.selectionMismatch)])
        #expect(Self.ended(a)?.cause == .protocolError)
        #expect(Self.ended(a)?.reason.contains("ChargeKit speaks SHIP 1.0 with JSON-UTF8") == true)
    }

    @Test func aClientRefusesASelectionItDidNotOffer() {
        var c = Self.machine(.client)
        _ = c.handle(.opened, now: .zero)
        _ = c.handle(.received([0, 0]), now: .zero)
        _ = c.handle(.received(Self.frame(.hello(SHIPHello(phase: .ready)))), now: .zero)
        let a = c.handle(.received(Self.frame(.protocolHandshake(SHIPProtocolHandshake(handshakeType: .select, major: 1, minor: 1)))), now: .zero)
        #expect(Self.sent(a) == [.protocolHandshakeError(.selectionMismatch)])
        #expect(Self.ended(a)?.cause == .protocolError)
    }

    @Test func aMessageOutOfItsPhaseIsUnexpected() {
        var s = Self.machine(.server)
        _ = s.handle(.opened, now: .zero)
        _ = s.handle(.received([0, 0]), now: .zero)
        let a = s.handle(.received(Self.frame(.data(SHIPData(payload: .object([:]))))), now: .zero)
        #expect(Self.ended(a)?.reason == "unexpected data in the hello phase")
    }

    @Test func aRemoteThatRequiresAPinIsRefusedWithTheReason() {
        var pair = Pair()
        pair.open()
        var s = Self.machine(.server)
        _ = s.handle(.opened, now: .zero)
        _ = s.handle(.received([0, 0]), now: .zero)
        _ = s.handle(.received(Self.frame(.hello(SHIPHello(phase: .ready)))), now: .zero)
        _ = s.handle(.received(Self.frame(.protocolHandshake(SHIPProtocolHandshake(handshakeType: .announceMax)))), now: .zero)
        _ = s.handle(.received(Self.frame(.protocolHandshake(SHIPProtocolHandshake(handshakeType: .select)))), now: .zero)
        let a = s.handle(.received(Self.frame(.pinState(SHIPPinState(pinState: .required)))), now: .zero)
        #expect(Self.ended(a)?.reason.contains("requires a PIN") == true)
    }

    @Test func anOversizeMessageClosesWithTheLimitInTheReason() {
        var pair = Pair()
        pair.open()
        let big = [UInt8](repeating: 0x20, count: 256 * 1024 + 1)
        let a = pair.server.handle(.received(big), now: .zero)
        #expect(Self.closeCode(a) == SHIPCloseCode.tooBig)
        #expect(Self.ended(a) == SHIPEnd(.oversize, "a message of 262145 bytes exceeds the limit of 262144 bytes"))
    }

    @Test(arguments: [
        [2] + Array(#"{"data":[{"header":[{"protocolId":"ee1.0"}]},{"payload":{"datagram":"#.utf8),
        [2] + Array(#"{"data":[{"header":[{"protocolId":"ee2.0"}]},{"payload":{}}]}"#.utf8),
        [1] + Array("\u{FF}garbage".utf8),
        [0x00, 0x00],
        [9, 9, 9],
    ] as [[UInt8]])
    func malformedInputAfterTheHandshakeClosesWithAReasonAndNeverCrashes(bytes: [UInt8]) {
        var pair = Pair()
        pair.open()
        let a = pair.server.handle(.received(bytes), now: .zero)
        #expect(Self.ended(a)?.cause == .protocolError)
        #expect(Self.closeCode(a) == SHIPCloseCode.protocolError)
        #expect(pair.server.phase == .ended)
        // After the end nothing more happens.
        #expect(pair.server.handle(.received(bytes), now: .zero) == [])
    }

    @Test func theOrderlyCloseIsAnnouncedConfirmedAndEndsBothSides() {
        var pair = Pair()
        pair.open()
        pair.event(.closeRequested("the station stops"), to: .server)
        #expect(Self.sent(pair.actions(of: .server)).contains(.close(SHIPClose(phase: .announce, maxTimeMs: 2000, reason: .unspecific))))
        #expect(Self.sent(pair.actions(of: .client)).contains(.close(SHIPClose(phase: .confirm))))
        #expect(Self.ended(pair.actions(of: .server)) == SHIPEnd(.closed, "the station stops"))
        #expect(Self.ended(pair.actions(of: .client))?.cause == .closedByRemote)
        #expect(Self.closeCode(pair.actions(of: .server)) == SHIPCloseCode.normal)
    }

    @Test func anUnconfirmedCloseEndsAfterItsMaxTime() {
        var pair = Pair()
        pair.open()
        _ = pair.server.handle(.closeRequested("bye"), now: .seconds(1))
        #expect(pair.server.phase == .closing)
        let a = pair.server.handle(.timerFired(.close), now: .seconds(3))
        #expect(Self.ended(a)?.reason == "bye (the remote did not confirm the close)")
    }

    @Test func distrustingAConnectedSKIClosesTheConnection() {
        var pair = Pair()
        pair.open()
        pair.event(.trust(false), to: .server)
        #expect(Self.ended(pair.actions(of: .server))?.cause == .untrusted)
        #expect(Self.closeCode(pair.actions(of: .server)) == SHIPCloseCode.untrusted)
        #expect(Self.ended(pair.actions(of: .client))?.cause == .closedByRemote)
    }

    @Test func aDatagramBeforeTheDataPhaseIsRefusedNotSent() {
        var c = Self.machine(.client)
        _ = c.handle(.opened, now: .zero)
        let a = c.handle(.sendDatagram(.object([:])), now: .zero)
        #expect(a.count == 1)
        guard case .sendRefused(let why)? = a.first else { Issue.record("not refused: \(a)"); return }
        #expect(why.contains("not established (cmi)"))
    }

    @Test func anOversizeDatagramIsNotSent() {
        var pair = Pair()
        pair.open()
        let a = pair.client.handle(.sendDatagram(.object(["datagram": .string(String(repeating: "x", count: 256 * 1024))])), now: .zero)
        guard case .sendRefused(let why)? = a.first, a.count == 1 else { Issue.record("sent: \(a.count) actions"); return }
        #expect(why.hasPrefix("the datagram has 262") && why.hasSuffix("more than the limit of 262144"))
        #expect(pair.client.phase == .connected)
    }

    @Test func aProtocolHandshakeTimeoutSendsTheTimeoutError() {
        var c = Self.machine(.client)
        _ = c.handle(.opened, now: .zero)
        _ = c.handle(.received([0, 0]), now: .zero)
        _ = c.handle(.received(Self.frame(.hello(SHIPHello(phase: .ready)))), now: .zero)
        let a = c.handle(.timerFired(.handshake), now: .seconds(10))
        #expect(Self.sent(a) == [.protocolHandshakeError(.timeout)])
        #expect(Self.ended(a)?.cause == .timeout)
    }

    @Test func theWebSocketEndingUnderTheMachineEndsItOnce() {
        var pair = Pair()
        pair.open()
        let a = pair.client.handle(.transportClosed("connection reset"), now: .zero)
        #expect(Self.ended(a) == SHIPEnd(.closedByRemote, "the WebSocket ended: connection reset"))
        #expect(Self.closeCode(a) == nil)
        #expect(pair.client.handle(.transportClosed("again"), now: .zero) == [])
    }
}
