#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EXI
import V2G

/// What a paused ISO 15118-2 session leaves behind for the vehicle's return (SessionStopReq Pause, ISO 15118-2:2014
/// §8.4.3.13): the vehicle wakes the station, connects again and sends SessionSetupReq with the old SessionID
/// ([V2G2-463]: OK_OldSessionJoined), and is offered only the payment option it chose before. Kept by the station per
/// connector until the vehicle leaves.
public struct SECCPausedSession: Sendable, Equatable {
    public var sessionID: [UInt8]
    public var evccid: [UInt8]
    public var paymentOption: ISO2PaymentOptionType

    public init(sessionID: [UInt8], evccid: [UInt8], paymentOption: ISO2PaymentOptionType) {
        self.sessionID = sessionID; self.evccid = evccid; self.paymentOption = paymentOption
    }
}

/// The SECC of one vehicle connection, pure: each V2GTP message in, the response out (ISO 15118-2:2014 §8.2 and §8.8;
/// ISO 15118-20:2022 §8.8; DIN SPEC 70121 is never chosen by an AC station). First the protocol handshake
/// (supportedAppProtocolReq, V2G_CI_AppProtocol.xsd), then the chosen protocol's session machine: ISO 15118-2 AC
/// (``ISO2SessionMachine``, payload type 0x8001) or ISO 15118-20 AC (``ISO20ACSessionMachine``, 0x8002 and 0x8003;
/// only over TLS 1.3 unless the configuration allows it). The station's state comes in with each
/// message as an ``HLCConnectorView`` and the time as a monotonic `now`, so every answer depends on its inputs alone.
///
/// The connection's timers (V2G_SECC_CommunicationSetup_Timeout, V2G_SECC_Sequence_Timeout) belong to the transport
/// (`V2GConnectionTimers`); the authorization and stop timeouts, measured between requests the vehicle repeats, are
/// here.
public struct SECCConnection: Sendable {
    /// The protocols this SECC has a session machine for; the configuration may offer fewer.
    public static let implemented: [V2GProtocol] = [.iso15118_2, .iso15118_20AC]

    public let configuration: SECCConfiguration
    private var stage: Stage
    private let newSessionID: [UInt8]
    private let genChallenge: [UInt8]
    private let paused: SECCPausedSession?

    private enum Stage: Sendable {
        case handshake
        case iso2(ISO2SessionMachine)
        case iso20(ISO20ACSessionMachine)
        case closed
    }

    /// - Parameters:
    ///   - newSessionID: 8 random bytes for a new session (ISO 15118-2:2014 §8.4.3.2.2: SessionID, hexBinary of 8
    ///     bytes, chosen by the SECC); the caller draws them so that this type stays deterministic.
    ///   - genChallenge: 16 random bytes for PaymentDetailsRes (ISO 15118-2:2014 §8.4.3.9.3, genChallengeType), which
    ///     the vehicle signs; without them no contract is offered.
    ///   - paused: the context of the vehicle's paused session on this connector, if any.
    public init(configuration: SECCConfiguration, newSessionID: [UInt8], genChallenge: [UInt8] = [], paused: SECCPausedSession? = nil) {
        self.configuration = configuration
        self.newSessionID = newSessionID
        self.genChallenge = genChallenge
        self.paused = paused
        self.stage = .handshake
    }

    /// The context to keep when the vehicle paused the session (nil otherwise, and after Terminate).
    public private(set) var pausedSession: SECCPausedSession?

    public mutating func receive(_ frame: V2GTPFrame, view: HLCConnectorView, now: Duration) -> SECCStep {
        receive(frame, view: view, now: now, date: Date(timeIntervalSince1970: 0))
    }

    /// - Parameter date: the wall clock, for the contract certificates' validity and PaymentDetailsRes's EVSETimeStamp
    ///   (Plug & Charge; a session with external payment never reads it).
    public mutating func receive(_ frame: V2GTPFrame, view: HLCConnectorView, now: Duration, date: Date) -> SECCStep {
        switch stage {
        case .closed:
            return SECCStep(response: nil, close: true, events: [], requestName: "message", responseName: nil,
                            closeReason: "a message after the session ended")
        case .handshake:
            return handshake(frame)
        case .iso2(var machine):
            guard frame.payloadType == .exi else {
                stage = .closed
                return Self.unreadable("payload type \(frame.payloadType) is not an ISO 15118-2 message (0x8001)")
            }
            let request: ISO2V2GMessage
            do { request = try EXI.ISO2.decode(frame.payload) } catch {
                stage = .closed
                return Self.unreadable("the ISO 15118-2 message cannot be decoded: \(error)")
            }
            let outcome = machine.handle(request, view: view, now: now, date: date)
            stage = outcome.close ? .closed : .iso2(machine)
            if outcome.close { pausedSession = machine.pausedSession }
            if let action = outcome.forward {
                return SECCStep(response: nil, close: false, events: outcome.events, requestName: ISO2Messages.name(of: request.body.bodyElement),
                                responseName: nil, forward: SECCForward(action: action, schemaVersion: SECCForward.iso2Schema,
                                                                        exiRequest: Data(frame.payload).base64EncodedString()))
            }
            return encode(outcome, requestName: ISO2Messages.name(of: request.body.bodyElement))
        case .iso20(var machine):
            let request: ISO20Request
            do {
                switch frame.payloadType {
                case .iso20Mainstream: request = .common(try EXI.ISO20Common.decode(frame.payload))
                case .iso20AC: request = .ac(try EXI.ISO20AC.decode(frame.payload))
                default:
                    stage = .closed
                    return Self.unreadable("payload type \(frame.payloadType) is not an ISO 15118-20 AC message (0x8002, 0x8003)")
                }
            } catch {
                stage = .closed
                return Self.unreadable("the ISO 15118-20 message cannot be decoded: \(error)")
            }
            let outcome = machine.handle(request, view: view, now: now, date: date)
            stage = outcome.close ? .closed : .iso20(machine)
            if outcome.close { pausedSession = machine.pausedSession }
            if let action = outcome.forward {
                return SECCStep(response: nil, close: false, events: outcome.events, requestName: ISO20ACSessionMachine.name(of: request),
                                responseName: nil, forward: SECCForward(action: action, schemaVersion: SECCForward.iso20Schema,
                                                                        exiRequest: Data(frame.payload).base64EncodedString()))
            }
            return encode(outcome, requestName: ISO20ACSessionMachine.name(of: request))
        }
    }

    /// The backend's answer to a forwarded request (``SECCStep/forward``): the EXI of the whole response message, nil
    /// when none came in time. An answer that is not the expected response is treated as none; an expected one is sent
    /// to the vehicle byte for byte.
    public mutating func backendAnswered(_ exiResponse: [UInt8]?, view: HLCConnectorView, now: Duration, date: Date) -> SECCStep {
        switch stage {
        case .iso2(var machine):
            let requestName = machine.pendingCertificateRequest.map { ISO2Messages.name(of: $0) } ?? "CertificateInstallationReq"
            let body = exiResponse.flatMap { try? EXI.ISO2.decode($0).body.bodyElement }
            let outcome = machine.certificateAnswered(body, view: view)
            stage = outcome.close ? .closed : .iso2(machine)
            if outcome.relay, let exiResponse, let body {
                return SECCStep(response: V2GTPFrame(payloadType: .exi, payload: exiResponse), close: outcome.close, events: outcome.events,
                                requestName: requestName, responseName: ISO2Messages.name(of: body))
            }
            return encode(outcome, requestName: requestName)
        case .iso20(var machine):
            var typed: ISO20CommonCertificateInstallationResType?
            if let exiResponse, case .certificateInstallationRes(let r)? = try? EXI.ISO20Common.decode(exiResponse) { typed = r }
            let outcome = machine.certificateAnswered(typed, view: view)
            stage = outcome.close ? .closed : .iso20(machine)
            if outcome.relay, let exiResponse {
                return SECCStep(response: V2GTPFrame(payloadType: .iso20Mainstream, payload: exiResponse), close: outcome.close,
                                events: outcome.events, requestName: "CertificateInstallationReq", responseName: "CertificateInstallationRes")
            }
            return encode(outcome, requestName: "CertificateInstallationReq")
        default:
            return SECCStep(response: nil, close: true, events: [], requestName: "CertificateInstallationReq", responseName: nil,
                            closeReason: "a backend answer without a forwarded request")
        }
    }

    private mutating func handshake(_ frame: V2GTPFrame) -> SECCStep {
        let name = "supportedAppProtocolReq"
        guard frame.payloadType == .exi else {
            stage = .closed
            return Self.unreadable("payload type \(frame.payloadType) is not the protocol handshake (0x8001)")
        }
        guard case .supportedAppProtocolReq(let request)? = try? EXI.AppProtocol.decode(frame.payload) else {
            stage = .closed
            return Self.unreadable("the first message is not a supportedAppProtocolReq (V2G_CI_AppProtocol.xsd)")
        }
        let offered = request.appProtocol.compactMap { p -> OfferedAppProtocol? in
            guard let major = UInt32(exactly: p.versionNumberMajor), let minor = UInt32(exactly: p.versionNumberMinor),
                  let schema = UInt8(exactly: p.schemaID), let priority = UInt8(exactly: p.priority) else { return nil }
            return OfferedAppProtocol(namespace: p.protocolNamespace, majorVersion: major, minorVersion: minor,
                                      schemaID: schema, priority: priority)
        }
        let supported = configuration.protocols.filter {
            $0.chargesAC && Self.implemented.contains($0) && ($0 != .iso15118_20AC || configuration.tls13 || configuration.iso20WithoutTLS)
        }
        let decision = AppProtocolNegotiation.decide(offered, supported: supported)
        let code: AppProtocolResponseCodeType = switch decision.responseCode {
        case .successfulNegotiation: .ok_SuccessfulNegotiation
        case .successfulNegotiationWithMinorDeviation: .ok_SuccessfulNegotiationWithMinorDeviation
        case .noNegotiation: .failed_NoNegotiation
        }
        let response = AppProtocolSupportedAppProtocolRes(responseCode: code, schemaID: decision.schemaID.map(Int.init))
        let bytes: [UInt8]
        do { bytes = try EXI.AppProtocol.encode(.supportedAppProtocolRes(response)) } catch {
            stage = .closed
            return Self.unreadable("the handshake's answer cannot be encoded: \(error)")
        }
        switch decision.selected {
        case .iso15118_2?:
            stage = .iso2(ISO2SessionMachine(configuration: configuration, newSessionID: newSessionID, genChallenge: genChallenge,
                                             paused: paused))
        case .iso15118_20AC?:
            stage = .iso20(ISO20ACSessionMachine(configuration: configuration, newSessionID: newSessionID, genChallenge: genChallenge,
                                                  paused: paused))
        default:
            stage = .closed
        }
        return SECCStep(response: V2GTPFrame(payloadType: .exi, payload: bytes), close: decision.selected == nil,
                        events: [.protocolNegotiated(decision.selected)], requestName: name,
                        responseName: "supportedAppProtocolRes")
    }

    private mutating func encode(_ outcome: ISO2SessionMachine.Outcome, requestName: String) -> SECCStep {
        guard let response = outcome.response else {
            return SECCStep(response: nil, close: true, events: outcome.events, requestName: requestName, responseName: nil,
                            closeReason: "no answer of the request's type can be given")
        }
        let bytes: [UInt8]
        do { bytes = try EXI.ISO2.encode(response) } catch {
            stage = .closed
            return SECCStep(response: nil, close: true, events: outcome.events, requestName: requestName, responseName: nil,
                            closeReason: "the response cannot be encoded: \(error)")
        }
        return SECCStep(response: V2GTPFrame(payloadType: .exi, payload: bytes), close: outcome.close, events: outcome.events,
                        requestName: requestName, responseName: ISO2Messages.name(of: response.body.bodyElement))
    }

    private mutating func encode(_ outcome: ISO20ACSessionMachine.Outcome, requestName: String) -> SECCStep {
        guard let response = outcome.response else {
            return SECCStep(response: nil, close: true, events: outcome.events, requestName: requestName, responseName: nil,
                            closeReason: "no answer of the request's type can be given")
        }
        let frame: V2GTPFrame
        let name: String
        do {
            switch response {
            case .common(let m):
                frame = V2GTPFrame(payloadType: .iso20Mainstream, payload: try EXI.ISO20Common.encode(m))
                name = EXI.ISO20Common.node(m).name.localName
            case .ac(let m):
                frame = V2GTPFrame(payloadType: .iso20AC, payload: try EXI.ISO20AC.encode(m))
                name = EXI.ISO20AC.node(m).name.localName
            }
        } catch {
            stage = .closed
            return SECCStep(response: nil, close: true, events: outcome.events, requestName: requestName, responseName: nil,
                            closeReason: "the response cannot be encoded: \(error)")
        }
        return SECCStep(response: frame, close: outcome.close, events: outcome.events, requestName: requestName, responseName: name)
    }

    /// A message that cannot be answered: the SECC closes the connection, since no response could name the request
    /// (ISO 15118-2:2014 §7.9.1: the V2G messages are EXI documents of the negotiated schema).
    private static func unreadable(_ reason: String) -> SECCStep {
        SECCStep(response: nil, close: true, events: [], requestName: "message", responseName: nil, closeReason: reason)
    }
}
