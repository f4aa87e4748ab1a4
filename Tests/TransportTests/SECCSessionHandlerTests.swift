import EXI
import Logging
import SECC
import Synchronization
import Testing
@testable import Transport
import V2G

/// The SECC behind the V2GTP server (SECCSessionHandler): encoded messages in, the server's replies out, the SECC's
/// events handed on in order, time from an injected clock.
@Suite("SECCSessionHandler: one SECCConnection per vehicle connection, its steps as the server's replies")
struct SECCSessionHandlerTests {
    static let iso2Namespace = "urn:iso:15118:2:2013:MsgDef"
    static let dinNamespace = "urn:din:70121:2012:MsgDef"
    static let sessionID: [UInt8] = [0xA1, 2, 3, 4, 5, 6, 7, 8]
    static let evccid: [UInt8] = [0x02, 0x1A, 0x2B, 0x3C, 0x4D, 0x5E]
    static let peer = V2GPeer(connection: 1, address: "fe80::2%veth0", port: 50000)

    final class Probe: Sendable {
        let events = Mutex<[SECCEvent]>([])
        let time = Mutex<Duration>(.zero)
        let authorized = Mutex(false)
    }

    static func handler(_ probe: Probe) -> SECCSessionHandler {
        SECCSessionHandler(
            connector: 1, configuration: { SECCConfiguration(evseID: "DE*CKT*E0001") },
            view: {
                HLCConnectorView(authorized: probe.authorized.withLock { $0 }, maxCurrentAmps: 16, ratedCurrentAmps: 32, phases: 3,
                                 nominalVoltageV: 230, stopRequested: false, digitalOnly: true)
            },
            report: { event in probe.events.withLock { $0.append(event) } },
            additionalLogging: { true }, now: { probe.time.withLock { $0 } }, newSessionID: { sessionID },
            logger: Logger(label: "test.secc"))
    }

    static func handshake(_ namespaces: [String]) throws -> V2GTPFrame {
        let req = AppProtocolSupportedAppProtocolReq(appProtocol: namespaces.enumerated().map { i, ns in
            AppProtocolAppProtocolType(protocolNamespace: ns, versionNumberMajor: 2, versionNumberMinor: 0, schemaID: i + 1, priority: i + 1)
        })
        return V2GTPFrame(payloadType: .exi, payload: try EXI.AppProtocol.encode(.supportedAppProtocolReq(req)))
    }

    static func iso2(_ body: ISO2BodyElement, session: [UInt8] = sessionID) throws -> V2GTPFrame {
        let message = ISO2V2GMessage(header: ISO2MessageHeaderType(sessionID: session), body: ISO2BodyType(bodyElement: body))
        return V2GTPFrame(payloadType: .exi, payload: try EXI.ISO2.encode(message))
    }

    static func response(_ reply: V2GSessionReply) throws -> (ISO2BodyElement?, close: Bool, completesSetup: Bool) {
        switch reply {
        case .respond(let frame, let completes): return (try EXI.ISO2.decode(frame.payload).body.bodyElement, false, completes)
        case .respondAndClose(let frame): return (try EXI.ISO2.decode(frame.payload).body.bodyElement, true, false)
        case .noResponse, .close: Issue.record("no response: \(reply)"); throw CancellationError()
        }
    }

    @Test("handshake, SessionSetup (completes the setup, reports the EVCCID), then the authorization loop until the card")
    func setupAndAuthorization() async throws {
        let probe = Probe()
        let handler = Self.handler(probe)
        await handler.sessionOpened(Self.peer)
        guard case .respond(let sap, let sapCompletes) = await handler.handle(try Self.handshake([Self.iso2Namespace]), from: Self.peer) else {
            Issue.record("the handshake got no answer"); return
        }
        #expect(!sapCompletes)
        guard case .supportedAppProtocolRes(let res) = try EXI.AppProtocol.decode(sap.payload) else { Issue.record("not a SAP res"); return }
        #expect(res.responseCode == .ok_SuccessfulNegotiation)

        let setup = try Self.response(await handler.handle(try Self.iso2(.sessionSetupReq(ISO2SessionSetupReqType(evccid: Self.evccid)), session: [0]), from: Self.peer))
        guard case .sessionSetupRes(let s)? = setup.0 else { Issue.record("not a SessionSetupRes"); return }
        #expect(s.responseCode == .ok_NewSessionEstablished && s.evseid == "DE*CKT*E0001" && setup.completesSetup && !setup.close)

        _ = try Self.response(await handler.handle(try Self.iso2(.serviceDiscoveryReq(ISO2ServiceDiscoveryReqType())), from: Self.peer))
        let selection = ISO2PaymentServiceSelectionReqType(selectedPaymentOption: .externalPayment,
                                                           selectedServiceList: ISO2SelectedServiceListType(selectedService: [ISO2SelectedServiceType(serviceID: 1)]))
        _ = try Self.response(await handler.handle(try Self.iso2(.paymentServiceSelectionReq(selection)), from: Self.peer))
        let ongoing = try Self.response(await handler.handle(try Self.iso2(.authorizationReq(ISO2AuthorizationReqType())), from: Self.peer))
        guard case .authorizationRes(let a1)? = ongoing.0 else { Issue.record("not an AuthorizationRes"); return }
        #expect(a1.evseProcessing != .finished && !ongoing.close)
        probe.time.withLock { $0 = .seconds(20) }
        probe.authorized.withLock { $0 = true }
        let finished = try Self.response(await handler.handle(try Self.iso2(.authorizationReq(ISO2AuthorizationReqType())), from: Self.peer))
        guard case .authorizationRes(let a2)? = finished.0 else { Issue.record("not an AuthorizationRes"); return }
        #expect(a2.evseProcessing == .finished && a2.responseCode == .ok)
        let events = probe.events.withLock { $0 }
        #expect(events.first == .protocolNegotiated(.iso15118_2))
        #expect(events.contains(.vehicleIdentified(evccid: Self.evccid, resumed: false)))
        await handler.sessionClosed(Self.peer, reason: .peerClosed)
        #expect(await handler.handle(try Self.iso2(.authorizationReq(ISO2AuthorizationReqType())), from: Self.peer).isClose)
    }

    @Test("the authorization timeout runs on the injected clock: FAILED and the connection closes")
    func authorizationTimeout() async throws {
        let probe = Probe()
        let handler = Self.handler(probe)
        await handler.sessionOpened(Self.peer)
        _ = await handler.handle(try Self.handshake([Self.iso2Namespace]), from: Self.peer)
        _ = try Self.response(await handler.handle(try Self.iso2(.sessionSetupReq(ISO2SessionSetupReqType(evccid: Self.evccid)), session: [0]), from: Self.peer))
        _ = try Self.response(await handler.handle(try Self.iso2(.serviceDiscoveryReq(ISO2ServiceDiscoveryReqType())), from: Self.peer))
        let selection = ISO2PaymentServiceSelectionReqType(selectedPaymentOption: .externalPayment,
                                                           selectedServiceList: ISO2SelectedServiceListType(selectedService: [ISO2SelectedServiceType(serviceID: 1)]))
        _ = try Self.response(await handler.handle(try Self.iso2(.paymentServiceSelectionReq(selection)), from: Self.peer))
        _ = try Self.response(await handler.handle(try Self.iso2(.authorizationReq(ISO2AuthorizationReqType())), from: Self.peer))
        probe.time.withLock { $0 = .seconds(51) }
        let late = try Self.response(await handler.handle(try Self.iso2(.authorizationReq(ISO2AuthorizationReqType())), from: Self.peer))
        guard case .authorizationRes(let a)? = late.0 else { Issue.record("not an AuthorizationRes"); return }
        #expect(a.responseCode == .failed && late.close)
        #expect(probe.events.withLock { $0 }.contains { if case .failed = $0 { true } else { false } })
    }

    @Test("a DIN-only vehicle: Failed_NoNegotiation sent, then closed; a stream that is not EXI closes without an answer")
    func noNegotiationAndGarbage() async throws {
        let probe = Probe()
        let handler = Self.handler(probe)
        await handler.sessionOpened(Self.peer)
        guard case .respondAndClose(let frame) = await handler.handle(try Self.handshake([Self.dinNamespace]), from: Self.peer),
              case .supportedAppProtocolRes(let res) = try EXI.AppProtocol.decode(frame.payload) else {
            Issue.record("Failed_NoNegotiation was not sent and closed"); return
        }
        #expect(res.responseCode == .failed_NoNegotiation)
        #expect(probe.events.withLock { $0 } == [.protocolNegotiated(nil)])
        await handler.sessionClosed(Self.peer, reason: .handler("ended"))
        await handler.sessionOpened(Self.peer)
        #expect(await handler.handle(V2GTPFrame(payloadType: .exi, payload: [0x80, 0xFF, 0x13]), from: Self.peer).isClose)
    }

    @Test("EVCCID text: 12 upper-case hexadecimal digits")
    func evccidText() {
        #expect(EVCCID.text(Self.evccid) == "021A2B3C4D5E")
    }

    @Test("Additional Logging shortens binary values over 32 bytes (certificates, the encrypted contract key) to their length")
    func loggedMessagesShortened() {
        let key = EXINode(EXIQName("urn:iso:15118:2:2013:MsgBody", "ContractSignatureEncryptedPrivateKey"),
                          attributes: [EXIAttribute("Id", .string("id2"))], value: .binary([UInt8](repeating: 0xAB, count: 48)))
        let session = EXINode(EXIQName("urn:iso:15118:2:2013:MsgHeader", "SessionID"), value: .binary([1, 2, 3, 4, 5, 6, 7, 8]))
        let root = EXINode(EXIQName("urn:iso:15118:2:2013:MsgDef", "V2G_Message"), children: [session, key])
        let short = SECCSessionHandler.shortened(root)
        #expect(short.children[0].value == .binary([1, 2, 3, 4, 5, 6, 7, 8]), "short values stay readable")
        #expect(short.children[1].value == .string("(48 bytes)") && short.children[1].attributes == key.attributes)
        #expect(!EXIJSON.render(short).contains("ABABAB") && EXIJSON.render(short).contains("48 bytes"))
    }
}

extension V2GSessionReply {
    var isClose: Bool { if case .close = self { true } else { false } }
}
