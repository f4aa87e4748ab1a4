import EXI
import Foundation
@testable import SECC
import Testing
import TestSupport
import V2G

/// A vehicle driving one SECC connection over ISO 15118-20 AC with encoded messages (payload types 0x8002 and 0x8003).
struct Vehicle20 {
    var secc: SECCConnection
    var sessionID: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]
    var now: Duration = .zero
    var view = SECCMachineTests.view()
    var events: [SECCEvent] = []
    var closed = false
    var date = Date(timeIntervalSince1970: 1_798_761_600)
    var payloadTypes: [V2GTPPayloadType] = []
    var lastStep: SECCStep?

    static let namespace = "urn:iso:std:iso:15118:-20:AC"

    init(configuration: SECCConfiguration = SECCConfiguration(protocols: [.iso15118_2, .iso15118_20AC], iso20WithoutTLS: true),
         paused: SECCPausedSession? = nil, newSessionID: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8], genChallenge: [UInt8] = []) {
        secc = SECCConnection(configuration: configuration, newSessionID: newSessionID, genChallenge: genChallenge, paused: paused)
    }

    var header: ISO20CommonMessageHeaderType { ISO20CommonMessageHeaderType(sessionID: sessionID, timeStamp: 1_798_761_600) }
    var acHeader: ISO20ACMessageHeaderType { ISO20ACMessageHeaderType(sessionID: sessionID, timeStamp: 1_798_761_600) }

    /// The handshake, the vehicle offering -20 AC first and ISO 15118-2 second; returns the chosen SchemaID.
    mutating func handshake() throws -> Int? {
        let req = AppProtocolSupportedAppProtocolReq(appProtocol: [
            AppProtocolAppProtocolType(protocolNamespace: Self.namespace, versionNumberMajor: 1, versionNumberMinor: 0, schemaID: 1, priority: 1),
            AppProtocolAppProtocolType(protocolNamespace: Vehicle.iso2, versionNumberMajor: 2, versionNumberMinor: 0, schemaID: 2, priority: 2),
        ])
        let step = secc.receive(V2GTPFrame(payloadType: .exi, payload: try EXI.AppProtocol.encode(.supportedAppProtocolReq(req))),
                                view: view, now: now, date: date)
        events += step.events
        guard let frame = step.response, case .supportedAppProtocolRes(let res) = try EXI.AppProtocol.decode(frame.payload) else { return nil }
        return res.schemaID
    }

    @discardableResult
    mutating func send(_ message: EXI.ISO20Common.Message) throws -> EXI.ISO20Common.Message? {
        try send(raw: try EXI.ISO20Common.encode(message))
    }

    /// A message as another codec encoded it (Josev's), on the mainstream payload type.
    @discardableResult
    mutating func send(raw bytes: [UInt8]) throws -> EXI.ISO20Common.Message? {
        let step = secc.receive(V2GTPFrame(payloadType: .iso20Mainstream, payload: bytes), view: view, now: now, date: date)
        lastStep = step
        events += step.events
        closed = step.close
        guard let frame = step.response else { return nil }
        payloadTypes.append(frame.payloadType)
        let response = try EXI.ISO20Common.decode(frame.payload)
        if case .sessionSetupRes(let r) = response { sessionID = r.header.sessionID }
        return response
    }

    @discardableResult
    mutating func send(_ message: EXI.ISO20AC.Message) throws -> EXI.ISO20AC.Message? {
        let step = secc.receive(V2GTPFrame(payloadType: .iso20AC, payload: try EXI.ISO20AC.encode(message)), view: view, now: now, date: date)
        events += step.events
        closed = step.close
        guard let frame = step.response else { return nil }
        payloadTypes.append(frame.payloadType)
        return try EXI.ISO20AC.decode(frame.payload)
    }

    mutating func setUp(evccid: String = "00:7D:FA:12:34:56") throws {
        #expect(try handshake() == 1)
        try send(.sessionSetupReq(ISO20CommonSessionSetupReqType(header: header, evccid: evccid)))
    }

    mutating func authorize() throws {
        try setUp()
        try send(.authorizationSetupReq(ISO20CommonAuthorizationSetupReqType(header: header)))
        view.authorized = true
        view.maxCurrentAmps = 16
        try send(.authorizationReq(ISO20CommonAuthorizationReqType(header: header, selectedAuthorizationService: .eim,
                                                                   eimAReqAuthorizationMode: ISO20CommonEIMAReqAuthorizationModeType())))
    }

    mutating func select(parameterSet: Int) throws {
        try send(.serviceDiscoveryReq(ISO20CommonServiceDiscoveryReqType(header: header)))
        try send(.serviceSelectionReq(ISO20CommonServiceSelectionReqType(
            header: header, selectedEnergyTransferService: ISO20CommonSelectedServiceType(serviceID: 1, parameterSetID: parameterSet))))
    }

    static func rational(_ v: Int, _ e: Int = 0) -> ISO20ACRationalNumberType { ISO20ACRationalNumberType(exponent: e, value: v) }
    static func common(_ v: Int, _ e: Int = 0) -> ISO20CommonRationalNumberType { ISO20CommonRationalNumberType(exponent: e, value: v) }

    /// Josev's -20 EVCC's parameters: EVMaximumChargePower 11 kW (11 × 10³), minimum 100 W.
    mutating func chargeParameters() throws -> EXI.ISO20AC.Message? {
        try send(.ac_ChargeParameterDiscoveryReq(ISO20ACACChargeParameterDiscoveryReqType(
            header: acHeader, acCPDReqEnergyTransferMode: .ac_CPDReqEnergyTransferMode(ISO20ACACCPDReqEnergyTransferModeType(
                evMaximumChargePower: Self.rational(11, 3), evMinimumChargePower: Self.rational(100))))))
    }

    var dynamicSE: ISO20CommonDynamicSEReqControlModeType {
        ISO20CommonDynamicSEReqControlModeType(departureTime: 0, evTargetEnergyRequest: Self.common(40, 3),
                                               evMaximumEnergyRequest: Self.common(60, 3), evMinimumEnergyRequest: Self.common(1, 3))
    }

    var dynamicLoop: EXI.ISO20AC.Message {
        .ac_ChargeLoopReq(ISO20ACACChargeLoopReqType(header: acHeader, meterInfoRequested: false, clReqControlMode: .dynamic_AC_CLReqControlMode(
            ISO20ACDynamicACCLReqControlModeType(evTargetEnergyRequest: Self.rational(40, 3), evMaximumEnergyRequest: Self.rational(60, 3),
                                                 evMinimumEnergyRequest: Self.rational(1, 3), evMaximumChargePower: Self.rational(11, 3),
                                                 evMinimumChargePower: Self.rational(100), evPresentActivePower: Self.rational(4, 3),
                                                 evPresentReactivePower: Self.rational(0)))))
    }

    mutating func startDynamic() throws {
        try authorize()
        try select(parameterSet: 1)
        _ = try chargeParameters()
        try send(.scheduleExchangeReq(ISO20CommonScheduleExchangeReqType(header: header, maximumSupportingPoints: 1024, dynamicSEReqControlMode: dynamicSE)))
        try send(.powerDeliveryReq(ISO20CommonPowerDeliveryReqType(header: header, evProcessing: .finished, chargeProgress: .start)))
    }

    mutating func loop() throws -> ISO20ACACChargeLoopResType? {
        guard case .ac_ChargeLoopRes(let r)? = try send(dynamicLoop) else { return nil }
        return r
    }
}

func code20(_ m: EXI.ISO20Common.Message?) -> String? {
    guard let m else { return nil }
    return EXI.ISO20Common.node(m).children.first { $0.name.localName == "ResponseCode" }?.value.map { "\($0)" }
}

func target(_ r: ISO20ACACChargeLoopResType?) -> ISO20ACRationalNumberType? {
    guard case .dynamic_AC_CLResControlMode(let d)? = r?.clResControlMode else { return nil }
    return d.evseTargetActivePower
}

@Suite("The ISO 15118-20 AC session machine with external identification")
struct SECCISO20Tests {
    @Test("a whole Dynamic session: EIM only offered, Ongoing until a card, Dynamic first, the limit as target power, Terminate")
    func wholeDynamicSession() throws {
        var ev = Vehicle20()
        try ev.setUp()
        #expect(ev.sessionID == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(ev.events.contains(.protocolNegotiated(.iso15118_20AC)))
        #expect(ev.events.contains(.vehicleIdentified(evccid: [0x00, 0x7D, 0xFA, 0x12, 0x34, 0x56], resumed: false)), "a MAC as 6 bytes")

        guard case .authorizationSetupRes(let setup)? = try ev.send(.authorizationSetupReq(ISO20CommonAuthorizationSetupReqType(header: ev.header))) else {
            Issue.record("no AuthorizationSetupRes"); return
        }
        #expect(setup.authorizationServices == [.eim] && setup.eimASResAuthorizationMode != nil && setup.pnCASResAuthorizationMode == nil)
        let eim = EXI.ISO20Common.Message.authorizationReq(ISO20CommonAuthorizationReqType(
            header: ev.header, selectedAuthorizationService: .eim, eimAReqAuthorizationMode: ISO20CommonEIMAReqAuthorizationModeType()))
        guard case .authorizationRes(let waiting)? = try ev.send(eim) else { return }
        #expect(waiting.evseProcessing == .ongoing_WaitingForCustomerInteraction)
        ev.view.authorized = true
        ev.view.maxCurrentAmps = 16
        guard case .authorizationRes(let done)? = try ev.send(eim) else { return }
        #expect(done.evseProcessing == .finished)

        guard case .serviceDiscoveryRes(let services)? = try ev.send(.serviceDiscoveryReq(ISO20CommonServiceDiscoveryReqType(header: ev.header))) else { return }
        #expect(services.energyTransferServiceList.service == [ISO20CommonServiceType(serviceID: 1, freeService: false)])
        guard case .serviceDetailRes(let detail)? = try ev.send(.serviceDetailReq(ISO20CommonServiceDetailReqType(header: ev.header, serviceID: 1))) else { return }
        let first = try #require(detail.serviceParameterList.parameterSet.first)
        #expect(first.parameterSetID == 1)
        #expect(first.parameter.first { $0.name == "ControlMode" }?.intValue == 2, "Dynamic first")
        #expect(first.parameter.first { $0.name == "Connector" }?.intValue == 2 && first.parameter.first { $0.name == "EVSENominalVoltage" }?.intValue == 230)
        try ev.send(.serviceSelectionReq(ISO20CommonServiceSelectionReqType(
            header: ev.header, selectedEnergyTransferService: ISO20CommonSelectedServiceType(serviceID: 1, parameterSetID: 1))))

        guard case .ac_ChargeParameterDiscoveryRes(let cpd)? = try ev.chargeParameters(),
              case .ac_CPDResEnergyTransferMode(let p) = cpd.acCPDResEnergyTransferMode else { Issue.record("no AC_CPDRes"); return }
        #expect(p.evseMaximumChargePower == Vehicle20.rational(22_080) && p.evseMinimumChargePower == Vehicle20.rational(4140)
                && p.evseNominalFrequency == Vehicle20.rational(50))
        #expect(ev.events.contains { if case .vehicleNeeds(let n) = $0 { abs(n.maxCurrentAmps - 11_000.0 / 690) < 0.001 } else { false } })

        guard case .scheduleExchangeRes(let se)? = try ev.send(.scheduleExchangeReq(ISO20CommonScheduleExchangeReqType(
            header: ev.header, maximumSupportingPoints: 1024, dynamicSEReqControlMode: ev.dynamicSE))) else { return }
        #expect(se.evseProcessing == .finished && se.dynamicSEResControlMode != nil && se.scheduledSEResControlMode == nil)
        // Josev's vehicle asks with EVProcessing Ongoing until it is ready, then Finished: the loop begins with that one.
        for processing in [ISO20CommonProcessingType.ongoing, .ongoing, .finished] {
            #expect(code20(try ev.send(.powerDeliveryReq(ISO20CommonPowerDeliveryReqType(header: ev.header, evProcessing: processing, chargeProgress: .start)))) == "OK")
        }
        #expect(ev.events.filter { $0 == .powerDelivery(.start) }.count == 1)

        ev.view.meter = HLCMeterReading(meterID: "CK-000001-1", energyWh: 500)
        let loop = try #require(try ev.loop())
        #expect(target(loop) == Vehicle20.rational(11_040) && loop.evseStatus == nil, "16 A × 230 V × 3; no status when nothing to notify")
        #expect(loop.meterInfo == nil, "MeterInfo only when the vehicle asks for it")
        var asking = ev.dynamicLoop
        if case .ac_ChargeLoopReq(var r) = asking { r.meterInfoRequested = true; asking = .ac_ChargeLoopReq(r) }
        guard case .ac_ChargeLoopRes(let withMeter)? = try ev.send(asking) else { Issue.record("no loop answer"); return }
        #expect(withMeter.meterInfo == ISO20ACMeterInfoType(meterID: "CK-000001-1", chargedEnergyReadingWh: 500))
        #expect(loop.header.sessionID == ev.sessionID && loop.header.timeStamp == 1_798_761_600)
        ev.view.maxCurrentAmps = 6
        #expect(target(try ev.loop()) == Vehicle20.rational(4140))
        ev.view.maxCurrentAmps = 0
        #expect(target(try ev.loop()) == Vehicle20.rational(0), "a pause is 0 W, the session stays")
        ev.view.stopRequested = true
        #expect(try ev.loop()?.evseStatus == ISO20ACEVSEStatusType(notificationMaxDelay: 0, evseNotification: .terminate))
        #expect(code20(try ev.send(.powerDeliveryReq(ISO20CommonPowerDeliveryReqType(header: ev.header, evProcessing: .finished, chargeProgress: .stop)))) == "OK")
        #expect(code20(try ev.send(.sessionStopReq(ISO20CommonSessionStopReqType(header: ev.header, chargingSession: .terminate)))) == "OK")
        #expect(ev.closed)
        #expect(ev.payloadTypes.filter { $0 == .iso20AC }.count == 6, "AC_CPDRes and five AC_ChargeLoopRes travel as 0x8003")
        #expect(ev.events.contains(.notification("Terminate")) && ev.events.last == .sessionStopped(pause: false))
    }

    @Test("Scheduled: one tuple of 24 hours at the rated power from now; the loop in the other mode is a sequence error")
    func scheduled() throws {
        var ev = Vehicle20()
        try ev.authorize()
        try ev.select(parameterSet: 2)
        _ = try ev.chargeParameters()
        #expect(code20(try ev.send(.scheduleExchangeReq(ISO20CommonScheduleExchangeReqType(header: ev.header, maximumSupportingPoints: 1024,
                                                                                            dynamicSEReqControlMode: ev.dynamicSE)))) == "FAILED_WrongChargeParameter")
        var good = Vehicle20()
        try good.authorize()
        try good.select(parameterSet: 2)
        _ = try good.chargeParameters()
        guard case .scheduleExchangeRes(let se)? = try good.send(.scheduleExchangeReq(ISO20CommonScheduleExchangeReqType(
            header: good.header, maximumSupportingPoints: 12, scheduledSEReqControlMode: ISO20CommonScheduledSEReqControlModeType()))),
              let tuple = se.scheduledSEResControlMode?.scheduleTuple.first else { Issue.record("no schedule"); return }
        #expect(tuple.scheduleTupleID == 1 && tuple.chargingSchedule.powerSchedule.timeAnchor == 1_798_761_600)
        #expect(tuple.chargingSchedule.powerSchedule.powerScheduleEntries.powerScheduleEntry
                == [ISO20CommonPowerScheduleEntryType(duration: 86_400, power: Vehicle20.common(22_080))])
        #expect(code20(try good.send(.powerDeliveryReq(ISO20CommonPowerDeliveryReqType(header: good.header, evProcessing: .finished, chargeProgress: .start)))) == "OK")
        #expect(try good.send(good.dynamicLoop) != nil && good.closed, "a Dynamic loop in a Scheduled session ends it")
    }

    @Test("the handshake: -20 only over TLS 1.3 unless allowed; then the vehicle's priority")
    func handshake() throws {
        var plain = Vehicle20(configuration: SECCConfiguration(protocols: [.iso15118_2, .iso15118_20AC]))
        #expect(try plain.handshake() == 2, "no TLS: ISO 15118-2, the vehicle's second choice ([V2G20-2356])")
        var tls12 = Vehicle20(configuration: SECCConfiguration(protocols: [.iso15118_2, .iso15118_20AC], tls: true))
        #expect(try tls12.handshake() == 2, "TLS 1.2 is not enough for -20")
        var allowed = Vehicle20(configuration: SECCConfiguration(protocols: [.iso15118_2, .iso15118_20AC], tls: true, iso20WithoutTLS: true))
        #expect(try allowed.handshake() == 1)
        var tls = Vehicle20(configuration: SECCConfiguration(protocols: [.iso15118_2, .iso15118_20AC], tls13: true))
        #expect(try tls.handshake() == 1)
        var only2 = Vehicle20(configuration: SECCConfiguration(protocols: [.iso15118_2], tls13: true))
        #expect(try only2.handshake() == 2, "-20 not configured")
    }

    @Test("checks before rules: a foreign SessionID, a request out of order, Plug & Charge not offered, Standby, renegotiation")
    func checks() throws {
        var foreign = Vehicle20()
        try foreign.setUp()
        foreign.sessionID = [9, 9, 9, 9, 9, 9, 9, 9]
        #expect(code20(try foreign.send(.authorizationSetupReq(ISO20CommonAuthorizationSetupReqType(header: foreign.header)))) == "FAILED_UnknownSession")
        #expect(foreign.closed)

        var early = Vehicle20()
        try early.setUp()
        #expect(code20(try early.send(.serviceDiscoveryReq(ISO20CommonServiceDiscoveryReqType(header: early.header)))) == "FAILED_SequenceError")
        var earlyLoop = Vehicle20()
        try earlyLoop.setUp()
        guard case .ac_ChargeLoopRes(let r)? = try earlyLoop.send(earlyLoop.dynamicLoop) else { Issue.record("no answer"); return }
        #expect(r.responseCode == .failed_SequenceError && earlyLoop.closed, "a schema-valid AC_ChargeLoopRes")

        var pnc = Vehicle20()
        try pnc.setUp()
        try pnc.send(.authorizationSetupReq(ISO20CommonAuthorizationSetupReqType(header: pnc.header)))
        let contract = ISO20CommonPnCAReqAuthorizationModeType(
            id: "id1", genChallenge: [UInt8](repeating: 7, count: 16),
            contractCertificateChain: ISO20CommonContractCertificateChainType(certificate: [0x30, 0x00],
                                                                              subCertificates: ISO20CommonSubCertificatesType(certificate: [[0x30, 0x00]])))
        #expect(code20(try pnc.send(.authorizationReq(ISO20CommonAuthorizationReqType(header: pnc.header, selectedAuthorizationService: .pnC,
                                                                                      pnCAReqAuthorizationMode: contract)))) == "WARNING_AuthorizationSelectionInvalid")
        #expect(!pnc.closed, "a warning: the vehicle may choose EIM")

        var charging = Vehicle20()
        try charging.startDynamic()
        #expect(code20(try charging.send(.powerDeliveryReq(ISO20CommonPowerDeliveryReqType(header: charging.header, evProcessing: .ongoing, chargeProgress: .standby)))) == "WARNING_StandbyNotAllowed")
        #expect(code20(try charging.send(.powerDeliveryReq(ISO20CommonPowerDeliveryReqType(header: charging.header, evProcessing: .ongoing, chargeProgress: .scheduleRenegotiation)))) == "OK")
        #expect(code20(try charging.send(.scheduleExchangeReq(ISO20CommonScheduleExchangeReqType(header: charging.header, maximumSupportingPoints: 1024, dynamicSEReqControlMode: charging.dynamicSE)))) == "OK")

        var service = Vehicle20()
        try service.authorize()
        try service.send(.serviceDiscoveryReq(ISO20CommonServiceDiscoveryReqType(header: service.header)))
        #expect(code20(try service.send(.serviceDetailReq(ISO20CommonServiceDetailReqType(header: service.header, serviceID: 5)))) == "FAILED_ServiceIDInvalid")
        var selection = Vehicle20()
        try selection.authorize()
        try selection.select(parameterSet: 3)
        #expect(selection.closed && selection.events.contains { if case .failed("FAILED_ServiceSelectionInvalid", _, _) = $0 { true } else { false } })
    }

    @Test("the station stops: Terminate each loop, FAILED after the grace; Pause keeps the session for the vehicle's return")
    func stopAndPause() throws {
        var slow = Vehicle20()
        try slow.startDynamic()
        slow.view.stopRequested = true
        slow.now = .seconds(5)
        #expect(try slow.loop()?.evseStatus?.evseNotification == .terminate)
        slow.now = .seconds(15)
        #expect(try slow.loop()?.responseCode == .failed && slow.closed)

        var pausing = Vehicle20()
        try pausing.startDynamic()
        try pausing.send(.powerDeliveryReq(ISO20CommonPowerDeliveryReqType(header: pausing.header, evProcessing: .finished, chargeProgress: .stop)))
        #expect(code20(try pausing.send(.sessionStopReq(ISO20CommonSessionStopReqType(header: pausing.header, chargingSession: .pause)))) == "OK")
        let kept = try #require(pausing.secc.pausedSession)
        var back = Vehicle20(paused: kept, newSessionID: [7, 7, 7, 7, 7, 7, 7, 7])
        back.sessionID = kept.sessionID
        try back.setUp()
        #expect(back.sessionID == kept.sessionID && back.events.contains(.vehicleIdentified(evccid: kept.evccid, resumed: true)))

        var renegotiate = Vehicle20()
        try renegotiate.startDynamic()
        try renegotiate.send(.powerDeliveryReq(ISO20CommonPowerDeliveryReqType(header: renegotiate.header, evProcessing: .finished, chargeProgress: .stop)))
        #expect(code20(try renegotiate.send(.sessionStopReq(ISO20CommonSessionStopReqType(header: renegotiate.header, chargingSession: .serviceRenegotiation)))) == "FAILED_NoServiceRenegotiationSupported")
    }

    @Test("EVCCID: a MAC in any notation is its 6 bytes; anything else its text")
    func evccid() {
        #expect(ISO20ACSessionMachine.evccidBytes("007DFA123456") == [0x00, 0x7D, 0xFA, 0x12, 0x34, 0x56])
        #expect(ISO20ACSessionMachine.evccidBytes("00-7d-fa-12-34-56") == [0x00, 0x7D, 0xFA, 0x12, 0x34, 0x56])
        #expect(ISO20ACSessionMachine.evccidBytes("WVWZZZ1JZXW000001") == Array("WVWZZZ1JZXW000001".utf8))
    }

    @Test("hostile -20 input never crashes: every prefix and 2,000 mutations of a charge loop request")
    func fuzz() throws {
        var ev = Vehicle20()
        try ev.startDynamic()
        let bytes = try EXI.ISO20AC.encode(ev.dynamicLoop)
        var rng = SplitMix64(seed: 20)
        for i in 0..<(bytes.count + 2000) {
            var input = Array(bytes.prefix(i))
            if i >= bytes.count {
                input = bytes
                input[Int(rng.next() % UInt64(input.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            }
            var copy = ev
            let step = copy.secc.receive(V2GTPFrame(payloadType: i % 2 == 0 ? .iso20AC : .iso20Mainstream, payload: input),
                                         view: copy.view, now: .zero, date: copy.date)
            if let frame = step.response {
                if frame.payloadType == .iso20AC { _ = try EXI.ISO20AC.decode(frame.payload) } else { _ = try EXI.ISO20Common.decode(frame.payload) }
            } else {
                #expect(step.close)
            }
        }
    }
}
