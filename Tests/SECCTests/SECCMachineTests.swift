import EXI
import Foundation
@testable import SECC
import Testing
import TestSupport
import V2G

/// A vehicle driving one SECC connection with encoded ISO 15118-2 messages, as the V2GTP server hands them over.
struct Vehicle {
    var secc: SECCConnection
    var sessionID: [UInt8] = [0]
    var now: Duration = .zero
    var view = SECCMachineTests.view()
    var events: [SECCEvent] = []
    var closed = false
    /// The wall clock: 2027-01-01, inside the validity of the Plug & Charge fixture's certificates.
    var date = Date(timeIntervalSince1970: 1_798_761_600)

    init(configuration: SECCConfiguration = SECCConfiguration(), paused: SECCPausedSession? = nil,
         newSessionID: [UInt8] = [0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x18], genChallenge: [UInt8] = []) {
        secc = SECCConnection(configuration: configuration, newSessionID: newSessionID, genChallenge: genChallenge, paused: paused)
    }

    static let iso2 = "urn:iso:15118:2:2013:MsgDef"

    /// The handshake, offering ISO 15118-2 only.
    mutating func handshake() throws {
        let req = AppProtocolSupportedAppProtocolReq(appProtocol: [
            AppProtocolAppProtocolType(protocolNamespace: Self.iso2, versionNumberMajor: 2, versionNumberMinor: 0, schemaID: 1, priority: 1)
        ])
        let step = secc.receive(V2GTPFrame(payloadType: .exi, payload: try EXI.AppProtocol.encode(.supportedAppProtocolReq(req))),
                                view: view, now: now)
        #expect(!step.close)
        events += step.events
    }

    /// Sends `body` and returns the response's body (nil when the SECC closed without one).
    @discardableResult
    mutating func send(_ body: ISO2BodyElement, sessionID override: [UInt8]? = nil) throws -> ISO2BodyElement? {
        let message = ISO2V2GMessage(header: ISO2MessageHeaderType(sessionID: override ?? sessionID), body: ISO2BodyType(bodyElement: body))
        return try send(raw: try EXI.ISO2.encode(message))
    }

    /// Sends an encoded V2G_Message as it is (a captured or independently encoded one).
    @discardableResult
    mutating func send(raw payload: [UInt8]) throws -> ISO2BodyElement? {
        let step = secc.receive(V2GTPFrame(payloadType: .exi, payload: payload), view: view, now: now, date: date)
        events += step.events
        closed = step.close
        guard let frame = step.response else { return nil }
        #expect(frame.payloadType == .exi)
        let response = try EXI.ISO2.decode(frame.payload)
        if case .sessionSetupRes? = response.body.bodyElement { sessionID = response.header.sessionID }
        return response.body.bodyElement
    }

    mutating func setUp(evccid: [UInt8] = [0x00, 0x7D, 0xFA, 0x12, 0x34, 0x56]) throws -> ISO2SessionSetupResType? {
        try handshake()
        guard case .sessionSetupRes(let r)? = try send(.sessionSetupReq(ISO2SessionSetupReqType(evccid: evccid))) else { return nil }
        return r
    }

    /// From SessionSetup to an authorized session waiting for ChargeParameterDiscovery.
    mutating func authorize() throws {
        _ = try setUp()
        try send(.serviceDiscoveryReq(ISO2ServiceDiscoveryReqType()))
        try send(.paymentServiceSelectionReq(Self.externalPayment))
        view.authorized = true
        view.maxCurrentAmps = 16
        guard case .authorizationRes(let r)? = try send(.authorizationReq(ISO2AuthorizationReqType())) else {
            Issue.record("no AuthorizationRes"); return
        }
        #expect(r.evseProcessing == .finished)
    }

    static let externalPayment = ISO2PaymentServiceSelectionReqType(
        selectedPaymentOption: .externalPayment,
        selectedServiceList: ISO2SelectedServiceListType(selectedService: [ISO2SelectedServiceType(serviceID: 1)]))

    /// Josev's EVCC's parameters: EVMaxCurrent 32 A as 32000 × 10⁻³, EVMinCurrent 10 A, 400 V, 60 Wh, DepartureTime 0.
    static func chargeParameters(mode: ISO2EnergyTransferModeType = .ac_three_phase_core, departure: Int? = 0) -> ISO2BodyElement {
        .chargeParameterDiscoveryReq(ISO2ChargeParameterDiscoveryReqType(
            requestedEnergyTransferMode: mode,
            evChargeParameter: .ac_EVChargeParameter(ISO2ACEVChargeParameterType(
                departureTime: departure, eAmount: ISO2PhysicalValueType(multiplier: 0, unit: .wh, value: 60),
                evMaxVoltage: ISO2PhysicalValueType(multiplier: 0, unit: .v, value: 400),
                evMaxCurrent: ISO2PhysicalValueType(multiplier: -3, unit: .a, value: 32000),
                evMinCurrent: ISO2PhysicalValueType(multiplier: 0, unit: .a, value: 10)))))
    }

    static func powerDelivery(_ progress: ISO2ChargeProgressType, tuple: Int = 1, profile: [Int]? = nil) -> ISO2BodyElement {
        .powerDeliveryReq(ISO2PowerDeliveryReqType(
            chargeProgress: progress, saScheduleTupleID: tuple,
            chargingProfile: profile.map { watts in
                ISO2ChargingProfileType(profileEntry: watts.enumerated().map { i, w in
                    ISO2ProfileEntryType(chargingProfileEntryStart: i * 3600,
                                         chargingProfileEntryMaxPower: ISO2PhysicalValueType(multiplier: 0, unit: .w, value: w))
                })
            }))
    }

    /// From an authorized session into the charge loop.
    mutating func startCharging() throws {
        try authorize()
        try send(Self.chargeParameters())
        guard case .powerDeliveryRes(let r)? = try send(Self.powerDelivery(.start)) else { Issue.record("no PowerDeliveryRes"); return }
        #expect(r.responseCode == .ok)
    }

    mutating func chargingStatus() throws -> ISO2ChargingStatusResType? {
        guard case .chargingStatusRes(let r)? = try send(.chargingStatusReq(ISO2ChargingStatusReqType())) else { return nil }
        return r
    }
}

func code(_ element: ISO2BodyElement?) -> String? {
    guard let element else { return nil }
    let node = ISO2BodyType(bodyElement: element).node(EXIQName(Vehicle.iso2, "Body"), repeatable: false)
    return node.children.first?.children.first { $0.name.localName == "ResponseCode" }?.value.map { "\($0)" }
}

@Suite("The ISO 15118-2 AC session machine with external identification")
struct SECCMachineTests {
    static func view(authorized: Bool = false, amps: Double = 0, stop: Bool = false) -> HLCConnectorView {
        HLCConnectorView(authorized: authorized, maxCurrentAmps: amps, ratedCurrentAmps: 32, phases: 3, nominalVoltageV: 230,
                         stopRequested: stop, digitalOnly: true)
    }

    @Test("a whole session: Ongoing until a card, the schedule from the rated power, the limit of the moment each loop, stop")
    func wholeSession() throws {
        var ev = Vehicle()
        let setup = try #require(try ev.setUp())
        #expect(setup.responseCode == .ok_NewSessionEstablished && setup.evseid == "ZZ00000")
        #expect(ev.sessionID == [0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x18])
        #expect(ev.events.contains(.vehicleIdentified(evccid: [0x00, 0x7D, 0xFA, 0x12, 0x34, 0x56], resumed: false)))

        guard case .serviceDiscoveryRes(let services)? = try ev.send(.serviceDiscoveryReq(ISO2ServiceDiscoveryReqType())) else {
            Issue.record("no ServiceDiscoveryRes"); return
        }
        #expect(services.paymentOptionList.paymentOption == [.externalPayment] && services.serviceList == nil)
        #expect(services.chargeService.supportedEnergyTransferMode.energyTransferMode == [.ac_single_phase_core, .ac_three_phase_core])
        #expect(code(try ev.send(.paymentServiceSelectionReq(Vehicle.externalPayment))) == "OK")

        for second in [0, 2, 4] {
            ev.now = .seconds(second)
            guard case .authorizationRes(let r)? = try ev.send(.authorizationReq(ISO2AuthorizationReqType())) else {
                Issue.record("no AuthorizationRes"); return
            }
            #expect(r.evseProcessing == .ongoing_WaitingForCustomerInteraction, "nobody authorized yet")
        }
        ev.view.authorized = true
        ev.view.maxCurrentAmps = 16
        guard case .authorizationRes(let done)? = try ev.send(.authorizationReq(ISO2AuthorizationReqType())) else { return }
        #expect(done.evseProcessing == .finished)

        guard case .chargeParameterDiscoveryRes(let cpd)? = try ev.send(Vehicle.chargeParameters()) else {
            Issue.record("no ChargeParameterDiscoveryRes"); return
        }
        #expect(cpd.responseCode == .ok && cpd.evseProcessing == .finished)
        guard case .saScheduleList(let list)? = cpd.saSchedules, case .ac_EVSEChargeParameter(let p) = cpd.evseChargeParameter else {
            Issue.record("no schedule or AC parameters"); return
        }
        let entry = try #require(list.saScheduleTuple.first?.pMaxSchedule.pMaxScheduleEntry.first)
        #expect(list.saScheduleTuple.map(\.saScheduleTupleID) == [1])
        #expect(entry.pMax == ISO2PhysicalValueType(multiplier: 0, unit: .w, value: 22_080), "32 A × 230 V × 3")
        #expect(entry.timeInterval == .relativeTimeInterval(ISO2RelativeTimeIntervalType(start: 0, duration: 86_400)),
                "DepartureTime 0 means none: 24 hours")
        #expect(p.evseMaxCurrent == ISO2PhysicalValueType(multiplier: 0, unit: .a, value: 16))
        #expect(p.evseNominalVoltage == ISO2PhysicalValueType(multiplier: 0, unit: .v, value: 230))
        #expect(ev.events.contains(.vehicleNeeds(SECCVehicleNeeds(maxCurrentAmps: 32, minCurrentAmps: 10, maxVoltageV: 400,
                                                                  energyRequestWh: 60, departureInSeconds: nil, phases: 3))))

        #expect(code(try ev.send(Vehicle.powerDelivery(.start, profile: [22_080, 0]))) == "OK",
                "a profile at PMax with the trailing 0 W entry Josev appends")
        #expect(ev.events.last == .powerDelivery(.start))

        ev.view.meter = HLCMeterReading(meterID: "CK-000001-1-and-a-name-longer-than-32", energyWh: 1234.9)
        let first = try #require(try ev.chargingStatus())
        #expect(first.meterInfo == ISO2MeterInfoType(meterID: "CK-000001-1-and-a-name-longer-th", meterReading: 1234),
                "MeterInfo: the meter ID cut to 32 characters, whole Wh")
        ev.view.meter = nil
        #expect(first.evseMaxCurrent == ISO2PhysicalValueType(multiplier: 0, unit: .a, value: 16))
        #expect(first.receiptRequired == false && first.evseid == "ZZ00000" && first.saScheduleTupleID == 1)
        #expect(first.acEVSEStatus == ISO2ACEVSEStatusType(notificationMaxDelay: 0, evseNotification: .none, rcd: false))
        ev.view.maxCurrentAmps = 6.5
        #expect(try ev.chargingStatus()?.evseMaxCurrent == ISO2PhysicalValueType(multiplier: -1, unit: .a, value: 65))
        ev.view.maxCurrentAmps = 0
        #expect(try ev.chargingStatus()?.evseMaxCurrent == ISO2PhysicalValueType(multiplier: 0, unit: .a, value: 0),
                "a pause keeps the session: 0 A")
        _ = try ev.chargingStatus()
        #expect(ev.events.filter { if case .maxCurrentSent = $0 { true } else { false } }
                == [.maxCurrentSent(amps: 16), .maxCurrentSent(amps: 6.5), .maxCurrentSent(amps: 0)], "reported on change only")

        #expect(code(try ev.send(Vehicle.powerDelivery(.stop))) == "OK")
        #expect(code(try ev.send(.sessionStopReq(ISO2SessionStopReqType(chargingSession: .terminate)))) == "OK")
        #expect(ev.closed && ev.secc.pausedSession == nil)
        #expect(ev.events.last == .sessionStopped(pause: false))
    }

    @Test("a foreign SessionID is FAILED_UnknownSession and ends the connection")
    func unknownSession() throws {
        var ev = Vehicle()
        _ = try ev.setUp()
        let response = try ev.send(.serviceDiscoveryReq(ISO2ServiceDiscoveryReqType()), sessionID: [1, 2, 3, 4, 5, 6, 7, 9])
        #expect(code(response) == "FAILED_UnknownSession" && ev.closed)
        if case .serviceDiscoveryRes? = response {} else { Issue.record("the failure answers in the request's own type") }
    }

    @Test("a request out of order is FAILED_SequenceError in the request's own, schema-valid response type")
    func sequenceErrors() throws {
        let outOfOrder: [ISO2BodyElement] = [
            .serviceDetailReq(ISO2ServiceDetailReqType(serviceID: 1)),
            .paymentServiceSelectionReq(Vehicle.externalPayment),
            .authorizationReq(ISO2AuthorizationReqType()),
            Vehicle.chargeParameters(),
            Vehicle.powerDelivery(.start),
            .chargingStatusReq(ISO2ChargingStatusReqType()),
            .meteringReceiptReq(ISO2MeteringReceiptReqType(sessionID: [1], meterInfo: ISO2MeterInfoType(meterID: "m"))),
            .sessionSetupReq(ISO2SessionSetupReqType(evccid: [1, 2, 3, 4, 5, 6])),
        ]
        for request in outOfOrder {
            var ev = Vehicle()
            _ = try ev.setUp()
            let response = try #require(try ev.send(request), "an answer to \(request)")
            #expect(code(response) == "FAILED_SequenceError", "\(request)")
            #expect(ev.closed)
            #expect(ev.events.last.map { if case .failed(let c, _, _) = $0 { c == "FAILED_SequenceError" } else { false } } == true)
        }
        var early = Vehicle()
        try early.handshake()
        #expect(code(try early.send(.serviceDiscoveryReq(ISO2ServiceDiscoveryReqType()))) == "FAILED_SequenceError",
                "nothing before SessionSetup")
    }

    @Test("payment and service selection: only what was offered, and the charge service")
    func paymentSelection() throws {
        let cases: [(ISO2PaymentServiceSelectionReqType, String)] = [
            (ISO2PaymentServiceSelectionReqType(selectedPaymentOption: .contract, selectedServiceList: Vehicle.externalPayment.selectedServiceList),
             "FAILED_PaymentSelectionInvalid"),
            (ISO2PaymentServiceSelectionReqType(selectedPaymentOption: .externalPayment,
                                                selectedServiceList: ISO2SelectedServiceListType(selectedService: [ISO2SelectedServiceType(serviceID: 2)])),
             "FAILED_NoChargeServiceSelected"),
            (ISO2PaymentServiceSelectionReqType(selectedPaymentOption: .externalPayment, selectedServiceList: ISO2SelectedServiceListType(
                selectedService: [ISO2SelectedServiceType(serviceID: 1), ISO2SelectedServiceType(serviceID: 3)])),
             "FAILED_ServiceSelectionInvalid"),
        ]
        for (request, expected) in cases {
            var ev = Vehicle()
            _ = try ev.setUp()
            try ev.send(.serviceDiscoveryReq(ISO2ServiceDiscoveryReqType()))
            #expect(code(try ev.send(.paymentServiceSelectionReq(request))) == expected)
            #expect(ev.closed)
        }
        var detail = Vehicle()
        _ = try detail.setUp()
        try detail.send(.serviceDiscoveryReq(ISO2ServiceDiscoveryReqType()))
        #expect(code(try detail.send(.serviceDetailReq(ISO2ServiceDetailReqType(serviceID: 1)))) == "OK")
        #expect(code(try detail.send(.serviceDetailReq(ISO2ServiceDetailReqType(serviceID: 2)))) == "FAILED_ServiceIDInvalid")
    }

    @Test("nobody authorizes within the time: FAILED before the vehicle's own 60 s run out")
    func authorizationTimeout() throws {
        var ev = Vehicle(configuration: SECCConfiguration(authorizationTimeout: .seconds(50)))
        _ = try ev.setUp()
        try ev.send(.serviceDiscoveryReq(ISO2ServiceDiscoveryReqType()))
        try ev.send(.paymentServiceSelectionReq(Vehicle.externalPayment))
        ev.now = .seconds(100)
        guard case .authorizationRes(let first)? = try ev.send(.authorizationReq(ISO2AuthorizationReqType())) else { return }
        #expect(first.evseProcessing == .ongoing_WaitingForCustomerInteraction, "the time counts from the first request")
        ev.now = .seconds(149)
        #expect(code(try ev.send(.authorizationReq(ISO2AuthorizationReqType()))) == "OK")
        ev.now = .seconds(150)
        #expect(code(try ev.send(.authorizationReq(ISO2AuthorizationReqType()))) == "FAILED" && ev.closed)
    }

    @Test("the station stops: StopCharging each loop; the vehicle's stop ends it well, a vehicle that goes on gets FAILED after the grace")
    func stationStops() throws {
        var ev = Vehicle()
        try ev.startCharging()
        ev.view.stopRequested = true
        ev.view.authorized = false
        ev.view.maxCurrentAmps = 0
        ev.now = .seconds(10)
        #expect(try ev.chargingStatus()?.acEVSEStatus.evseNotification == .stopCharging)
        #expect(ev.events.contains(.notification("StopCharging")))
        ev.now = .seconds(19)
        #expect(try ev.chargingStatus()?.acEVSEStatus.evseNotification == .stopCharging)
        #expect(!ev.closed)
        ev.now = .seconds(20)
        #expect(code(try ev.send(.chargingStatusReq(ISO2ChargingStatusReqType()))) == "FAILED" && ev.closed,
                "10 s of StopCharging unheeded")

        var polite = Vehicle()
        try polite.startCharging()
        polite.view.stopRequested = true
        #expect(try polite.chargingStatus()?.acEVSEStatus.evseNotification == .stopCharging)
        #expect(code(try polite.send(Vehicle.powerDelivery(.stop))) == "OK")
        #expect(code(try polite.send(.sessionStopReq(ISO2SessionStopReqType(chargingSession: .terminate)))) == "OK" && polite.closed)
    }

    @Test("PowerDelivery: the offered tuple, a profile within PMax, Start only before charging, not while the station cannot deliver")
    func powerDeliveryRules() throws {
        func ready() throws -> Vehicle {
            var ev = Vehicle()
            try ev.authorize()
            try ev.send(Vehicle.chargeParameters())
            return ev
        }
        var tuple = try ready()
        #expect(code(try tuple.send(Vehicle.powerDelivery(.start, tuple: 2))) == "FAILED_TariffSelectionInvalid")
        var profile = try ready()
        #expect(code(try profile.send(Vehicle.powerDelivery(.start, profile: [22_081]))) == "FAILED_ChargingProfileInvalid")
        var renegotiate = try ready()
        #expect(code(try renegotiate.send(Vehicle.powerDelivery(.renegotiate))) == "FAILED", "Renegotiate before charging")
        var stopping = try ready()
        stopping.view.stopRequested = true
        #expect(code(try stopping.send(Vehicle.powerDelivery(.start))) == "FAILED_PowerDeliveryNotApplied")
        var twice = Vehicle()
        try twice.startCharging()
        #expect(code(try twice.send(Vehicle.powerDelivery(.start))) == "FAILED", "[V2G2-812]")
    }

    @Test("ChargeParameterDiscovery: an AC mode offered, AC parameters in their units; one phase is a third of the power")
    func chargeParameterRules() throws {
        var dc = Vehicle()
        try dc.authorize()
        #expect(code(try dc.send(Vehicle.chargeParameters(mode: .dc_core))) == "FAILED_WrongEnergyTransferMode")
        var units = Vehicle()
        try units.authorize()
        let wrong = ISO2BodyElement.chargeParameterDiscoveryReq(ISO2ChargeParameterDiscoveryReqType(
            requestedEnergyTransferMode: .ac_three_phase_core,
            evChargeParameter: .ac_EVChargeParameter(ISO2ACEVChargeParameterType(
                eAmount: ISO2PhysicalValueType(multiplier: 0, unit: .wh, value: 60), evMaxVoltage: ISO2PhysicalValueType(multiplier: 0, unit: .v, value: 400),
                evMaxCurrent: ISO2PhysicalValueType(multiplier: 0, unit: .w, value: 32), evMinCurrent: ISO2PhysicalValueType(multiplier: 0, unit: .a, value: 10)))))
        #expect(code(try units.send(wrong)) == "FAILED_WrongChargeParameter")
        var single = Vehicle()
        single.view.phases = 1
        try single.authorize()
        single.view.phases = 1
        #expect(code(try single.send(Vehicle.chargeParameters(mode: .ac_three_phase_core))) == "FAILED_WrongEnergyTransferMode",
                "a one-phase connector offers one phase")
        var onePhase = Vehicle()
        try onePhase.authorize()
        guard case .chargeParameterDiscoveryRes(let r)? = try onePhase.send(Vehicle.chargeParameters(mode: .ac_single_phase_core, departure: 7200)),
              case .saScheduleList(let list)? = r.saSchedules else { Issue.record("no schedule"); return }
        let entry = try #require(list.saScheduleTuple.first?.pMaxSchedule.pMaxScheduleEntry.first)
        #expect(entry.pMax == ISO2PhysicalValueType(multiplier: 0, unit: .w, value: 7360), "32 A × 230 V")
        #expect(entry.timeInterval == .relativeTimeInterval(ISO2RelativeTimeIntervalType(start: 0, duration: 7200)), "until departure")
    }

    @Test("the backend's schedule: one PMax entry per period (capped by the rated current and MaxEntriesSAScheduleTuple); a new one is renegotiated")
    func backendSchedule() throws {
        var ev = Vehicle()
        ev.view.schedule = [HLCSchedulePeriod(startSeconds: 0, amps: 40), HLCSchedulePeriod(startSeconds: 3600, amps: 10),
                            HLCSchedulePeriod(startSeconds: 7200, amps: 10), HLCSchedulePeriod(startSeconds: 90_000, amps: 6)]
        try ev.authorize()
        guard case .chargeParameterDiscoveryRes(let r)? = try ev.send(Vehicle.chargeParameters()),
              case .saScheduleList(let list)? = r.saSchedules else { Issue.record("no schedule"); return }
        let entries = try #require(list.saScheduleTuple.first?.pMaxSchedule.pMaxScheduleEntry)
        #expect(entries.map(\.pMax) == [ISO2PhysicalValueType(multiplier: 0, unit: .w, value: 22_080), ISO2PhysicalValueType(multiplier: 0, unit: .w, value: 6900)],
                "40 A capped at the rated 32 A; equal neighbours merged; beyond 24 h dropped")
        #expect(entries.map(\.timeInterval) == [.relativeTimeInterval(ISO2RelativeTimeIntervalType(start: 0)),
                                                 .relativeTimeInterval(ISO2RelativeTimeIntervalType(start: 3600, duration: 82_800))])
        #expect(code(try ev.send(Vehicle.powerDelivery(.start, profile: [22_080, 6900]))) == "OK", "a profile that follows the schedule")
        ev.now = .seconds(60)
        #expect(try ev.chargingStatus()?.acEVSEStatus.evseNotification == ISO2EVSENotificationType.none)
        ev.view.schedule = [HLCSchedulePeriod(startSeconds: 0, amps: 16)]
        #expect(try ev.chargingStatus()?.acEVSEStatus.evseNotification == .reNegotiation, "a new profile: renegotiate")

        var capped = Vehicle()
        capped.view.schedule = ev.view.schedule + [HLCSchedulePeriod(startSeconds: 600, amps: 8)]
        try capped.authorize()
        let one = ISO2BodyElement.chargeParameterDiscoveryReq(ISO2ChargeParameterDiscoveryReqType(
            maxEntriesSAScheduleTuple: 1, requestedEnergyTransferMode: .ac_three_phase_core,
            evChargeParameter: .ac_EVChargeParameter(ISO2ACEVChargeParameterType(
                eAmount: ISO2PhysicalValueType(multiplier: 0, unit: .wh, value: 60), evMaxVoltage: ISO2PhysicalValueType(multiplier: 0, unit: .v, value: 400),
                evMaxCurrent: ISO2PhysicalValueType(multiplier: 0, unit: .a, value: 32), evMinCurrent: ISO2PhysicalValueType(multiplier: 0, unit: .a, value: 6)))))
        guard case .chargeParameterDiscoveryRes(let c)? = try capped.send(one), case .saScheduleList(let l)? = c.saSchedules else { return }
        #expect(l.saScheduleTuple.first?.pMaxSchedule.pMaxScheduleEntry.count == 1)
        #expect(code(try capped.send(Vehicle.powerDelivery(.start, profile: [11_041]))) == "FAILED_ChargingProfileInvalid")
    }

    @Test("the rated power changes: ReNegotiation until the vehicle renegotiates, then None again")
    func renegotiation() throws {
        var ev = Vehicle()
        try ev.startCharging()
        ev.view.ratedCurrentAmps = 16
        #expect(try ev.chargingStatus()?.acEVSEStatus.evseNotification == .reNegotiation)
        #expect(code(try ev.send(Vehicle.powerDelivery(.renegotiate))) == "OK")
        guard case .chargeParameterDiscoveryRes(let r)? = try ev.send(Vehicle.chargeParameters()),
              case .saScheduleList(let list)? = r.saSchedules else { Issue.record("no schedule"); return }
        #expect(list.saScheduleTuple.first?.pMaxSchedule.pMaxScheduleEntry.first?.pMax
                == ISO2PhysicalValueType(multiplier: 0, unit: .w, value: 11_040))
        #expect(code(try ev.send(Vehicle.powerDelivery(.start))) == "OK")
        #expect(try ev.chargingStatus()?.acEVSEStatus.evseNotification == ISO2EVSENotificationType.none)
        #expect(ev.events.filter { $0 == .notification("ReNegotiation") }.count == 1)
    }

    @Test("Pause keeps the session: the vehicle's return with the old SessionID joins it; another vehicle or ID gets a new one")
    func pauseAndResume() throws {
        var ev = Vehicle()
        try ev.startCharging()
        #expect(code(try ev.send(.sessionStopReq(ISO2SessionStopReqType(chargingSession: .pause)))) == "FAILED_SequenceError",
                "no SessionStop in the charge loop")

        var pausing = Vehicle()
        try pausing.startCharging()
        try pausing.send(Vehicle.powerDelivery(.stop))
        #expect(code(try pausing.send(.sessionStopReq(ISO2SessionStopReqType(chargingSession: .pause)))) == "OK" && pausing.closed)
        let kept = try #require(pausing.secc.pausedSession)
        #expect(kept.sessionID == pausing.sessionID && kept.evccid == [0x00, 0x7D, 0xFA, 0x12, 0x34, 0x56])

        var back = Vehicle(paused: kept, newSessionID: [9, 9, 9, 9, 9, 9, 9, 9])
        back.sessionID = kept.sessionID
        let joined = try #require(try back.setUp())
        #expect(joined.responseCode == .ok_OldSessionJoined && back.sessionID == kept.sessionID)
        #expect(back.events.contains(.vehicleIdentified(evccid: kept.evccid, resumed: true)))

        var stranger = Vehicle(paused: kept, newSessionID: [9, 9, 9, 9, 9, 9, 9, 9])
        stranger.sessionID = kept.sessionID
        let fresh = try #require(try stranger.setUp(evccid: [1, 1, 1, 1, 1, 1]))
        #expect(fresh.responseCode == .ok_NewSessionEstablished && stranger.sessionID == [9, 9, 9, 9, 9, 9, 9, 9])

        var echo = Vehicle(newSessionID: [5, 5, 5, 5, 5, 5, 5, 5])
        echo.sessionID = [5, 5, 5, 5, 5, 5, 5, 5]
        _ = try echo.setUp()
        #expect(echo.sessionID != [5, 5, 5, 5, 5, 5, 5, 5], "[V2G2-756]: never the ID the vehicle proposed")
    }

    @Test("physical values exact, with the multiplier nearest to 0 that fits a short")
    func physicalValues() {
        #expect(ISO2Messages.physical(16, .a) == ISO2PhysicalValueType(multiplier: 0, unit: .a, value: 16))
        #expect(ISO2Messages.physical(6.5, .a) == ISO2PhysicalValueType(multiplier: -1, unit: .a, value: 65))
        #expect(ISO2Messages.physical(230, .v) == ISO2PhysicalValueType(multiplier: 0, unit: .v, value: 230))
        #expect(ISO2Messages.physical(44_000, .w) == ISO2PhysicalValueType(multiplier: 1, unit: .w, value: 4400))
        #expect(ISO2Messages.physical(1_000_000, .w) == ISO2PhysicalValueType(multiplier: 2, unit: .w, value: 10_000))
        #expect(ISO2Messages.physical(0, .a) == ISO2PhysicalValueType(multiplier: 0, unit: .a, value: 0))
        #expect(ISO2Messages.physical(2.0 / 3, .a) == ISO2PhysicalValueType(multiplier: -3, unit: .a, value: 667))
        #expect(ISO2Messages.physical(-4, .a).value == 0 && ISO2Messages.physical(.nan, .a).value == 0)
        #expect(ISO2Messages.value(ISO2PhysicalValueType(multiplier: -3, unit: .a, value: 32000), .a) == 32)
        #expect(ISO2Messages.value(ISO2PhysicalValueType(multiplier: 0, unit: .v, value: 32), .a) == nil)
    }

    @Test("hostile input never crashes: every prefix and 3,000 mutations of a session's messages get an answer or a close")
    func fuzz() throws {
        var ev = Vehicle()
        try ev.startCharging()
        let message = ISO2V2GMessage(header: ISO2MessageHeaderType(sessionID: ev.sessionID),
                                     body: ISO2BodyType(bodyElement: Vehicle.chargeParameters()))
        let bytes = try EXI.ISO2.encode(message)
        var rng = SplitMix64(seed: 27)
        var answered = 0
        for i in 0..<(bytes.count + 3000) {
            var input = Array(bytes.prefix(i))
            if i >= bytes.count {
                input = bytes
                for _ in 0...(rng.next() % 3) { input[Int(rng.next() % UInt64(input.count))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            }
            var fresh = Vehicle()
            try fresh.authorize()
            let step = fresh.secc.receive(V2GTPFrame(payloadType: .exi, payload: input), view: fresh.view, now: .zero)
            if let frame = step.response {
                answered += 1
                _ = try EXI.ISO2.decode(frame.payload)
            } else {
                #expect(step.close && step.closeReason != nil)
            }
        }
        #expect(answered > 0)
    }
}
