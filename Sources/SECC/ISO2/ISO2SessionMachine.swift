#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import EXI

/// The SECC's ISO 15118-2 AC session with external identification means (EIM: a card, the backend, Autocharge, free
/// charging), from SessionSetup to SessionStop (ISO 15118-2:2014 §8.8.4, Figure 107 "SECC communication states for
/// AC V2G messaging"; the message rules of §8.4.3 and §8.4.5).
///
/// Every request is checked in this order: the session's ID ([V2G2-460]: FAILED_UnknownSession), whether the state
/// expects it ([V2G2-538]/[V2G2-539]: FAILED_SequenceError), then its own rules. A response with a FAILED code ends
/// the session: it is sent, then the connection closes ([V2G2-539]).
struct ISO2SessionMachine: Sendable {
    enum State: Sendable, Equatable {
        case waitSessionSetup
        case waitServiceDiscovery
        case waitServiceDetailOrPaymentSelection
        /// After PaymentServiceSelectionRes with Contract (Plug & Charge), and after CertificateInstallationRes.
        case waitPaymentDetails
        /// CertificateInstallationReq went to the backend; its answer is the next response.
        case waitBackendCertificate
        case waitAuthorization
        case waitChargeParameterDiscovery
        case waitPowerDelivery
        /// After PowerDeliveryRes(Start): ChargingStatusReq, or PowerDeliveryReq Stop / Renegotiate.
        case chargeLoop
        /// After PowerDeliveryRes(Stop).
        case waitSessionStop
        case closed
    }

    struct Outcome: Sendable {
        /// Nil: the connection closes without an answer (a FAILED answer of the request's type cannot be built), or
        /// the answer comes from the backend (`forward`).
        var response: ISO2V2GMessage?
        var close: Bool
        var events: [SECCEvent]
        /// Set when the backend answers: the contract certificate service's action.
        var forward: SECCForward.Action?
        /// The backend's answer goes to the vehicle as it came (its response code was kept).
        var relay = false
    }

    let configuration: SECCConfiguration
    var state: State = .waitSessionSetup
    private(set) var sessionID: [UInt8]
    private let paused: SECCPausedSession?
    private(set) var pausedSession: SECCPausedSession?
    /// PaymentDetailsRes's GenChallenge, which the first AuthorizationReq must return signed ([V2G2-684]).
    let genChallenge: [UInt8]
    /// The contract leaf's key, from PaymentDetailsReq.
    var contractKey: V2GSignature.Key?
    var challengeAnswered = false
    /// The CertificateInstallationReq or CertificateUpdateReq waiting for the backend's answer.
    var pendingCertificateRequest: ISO2BodyElement?
    private var evccid: [UInt8] = []
    private var resumed = false
    var paymentOption: ISO2PaymentOptionType = .externalPayment
    private var energyTransferMode: ISO2EnergyTransferModeType = .ac_three_phase_core
    private var authorizationSince: Duration?
    private var stopWatch = SECCStopWatch()
    private var lastMaxCurrentSent: Double?
    /// The PMax schedule offered in ChargeParameterDiscoveryRes and when: the power it names for the present moment,
    /// compared with what the station's schedule says now, asks the vehicle to renegotiate when they differ.
    private var offeredSchedule: [(startSeconds: Int, watts: Double)] = []
    private var offeredAt: Duration = .zero
    private var renegotiationRequested = false
    private var departureInSeconds: UInt32?

    init(configuration: SECCConfiguration, newSessionID: [UInt8], genChallenge: [UInt8], paused: SECCPausedSession?) {
        self.configuration = configuration
        self.sessionID = newSessionID
        self.genChallenge = genChallenge
        self.paused = paused
    }

    /// The payment options of ServiceDiscoveryRes: the contract too where Plug & Charge is configured (and a challenge
    /// to sign was drawn); a joined session only the option it chose before.
    var offeredPaymentOptions: [ISO2PaymentOptionType] {
        if resumed { return [paymentOption] }
        return configuration.contract != nil && genChallenge.count == 16 ? [.contract, .externalPayment] : [.externalPayment]
    }

    mutating func handle(_ request: ISO2V2GMessage, view: HLCConnectorView, now: Duration, date: Date) -> Outcome {
        let element = request.body.bodyElement
        if case .sessionSetupReq(let r)? = element {
            guard state == .waitSessionSetup else { return fail(element, .failed_SequenceError, "SessionSetupReq twice", view) }
            return sessionSetup(r, header: request.header, view: view)
        }
        guard state != .waitSessionSetup else { return fail(element, .failed_SequenceError, "the session was not set up", view) }
        guard request.header.sessionID == sessionID else {
            return fail(element, .failed_UnknownSession, "SessionID \(hex(request.header.sessionID)) is not this session's", view)
        }
        switch element {
        case .serviceDiscoveryReq(let r)? where state == .waitServiceDiscovery: return serviceDiscovery(r, view: view)
        case .serviceDetailReq(let r)? where state == .waitServiceDetailOrPaymentSelection: return serviceDetail(r, view: view)
        case .paymentServiceSelectionReq(let r)? where state == .waitServiceDetailOrPaymentSelection:
            return paymentServiceSelection(r, view: view)
        case .paymentDetailsReq(let r)? where state == .waitPaymentDetails: return paymentDetails(r, view: view, date: date)
        case .certificateInstallationReq? where state == .waitPaymentDetails && installationOffered:
            state = .waitBackendCertificate
            pendingCertificateRequest = element
            return Outcome(response: nil, close: false, events: [], forward: .install)
        case .certificateUpdateReq(let r)? where state == .waitPaymentDetails && installationOffered:
            return certificateUpdate(r, header: request.header, view: view)
        case .authorizationReq(let r)? where state == .waitAuthorization:
            return authorization(r, header: request.header, view: view, now: now)
        case .chargeParameterDiscoveryReq(let r)? where state == .waitChargeParameterDiscovery:
            return chargeParameterDiscovery(r, view: view, now: now)
        case .powerDeliveryReq(let r)? where state == .waitPowerDelivery || state == .chargeLoop: return powerDelivery(r, view: view, now: now)
        case .chargingStatusReq? where state == .chargeLoop: return chargingStatus(view: view, now: now)
        case .sessionStopReq(let r)? where Self.stopAllowed.contains(state): return sessionStop(r, view: view)
        default:
            return fail(element, .failed_SequenceError, "\(ISO2Messages.name(of: element)) is not expected now (\(state))", view)
        }
    }

    /// The states in which the vehicle may end the session: from ServiceDiscovery until PowerDelivery, and after
    /// PowerDeliveryRes(Stop) (ISO 15118-2:2014 Figure 107; in the charge loop it stops the energy first).
    private static let stopAllowed: Set<State> = [.waitServiceDiscovery, .waitServiceDetailOrPaymentSelection, .waitPaymentDetails,
                                                  .waitAuthorization,
                                                  .waitChargeParameterDiscovery, .waitPowerDelivery, .waitSessionStop]

    // MARK: Session setup and services

    /// [V2G2-462]/[V2G2-463]/[V2G2-756]: SessionID 0 or an unknown one starts a new session with an ID of the SECC's
    /// (never the one the vehicle sent); the ID of this vehicle's paused session joins it again.
    private mutating func sessionSetup(_ r: ISO2SessionSetupReqType, header: ISO2MessageHeaderType, view: HLCConnectorView) -> Outcome {
        guard (1...6).contains(r.evccid.count) else {
            return fail(.sessionSetupReq(r), .failed, "EVCCID must be 1 to 6 bytes (got \(r.evccid.count))", view)
        }
        evccid = r.evccid
        var code = ISO2ResponseCodeType.ok_NewSessionEstablished
        if let paused, header.sessionID == paused.sessionID, r.evccid == paused.evccid {
            sessionID = paused.sessionID
            paymentOption = paused.paymentOption
            resumed = true
            code = .ok_OldSessionJoined
        } else if sessionID == header.sessionID {
            sessionID[0] ^= 0xFF
        }
        state = .waitServiceDiscovery
        return respond(.sessionSetupRes(ISO2SessionSetupResType(responseCode: code, evseid: configuration.evseID)),
                       events: [.vehicleIdentified(evccid: r.evccid, resumed: resumed)])
    }

    private func offeredModes(_ view: HLCConnectorView) -> [ISO2EnergyTransferModeType] {
        view.phases >= 3 ? [.ac_single_phase_core, .ac_three_phase_core] : [.ac_single_phase_core]
    }

    /// ServiceDiscoveryRes (ISO 15118-2:2014 §8.4.3.3): external payment, and the contract where Plug & Charge runs
    /// (``offeredPaymentOptions``), the AC charge service with the energy transfer modes of the connector's phases, no
    /// value-added services (so no ServiceList: the schema forbids an empty one).
    private mutating func serviceDiscovery(_ r: ISO2ServiceDiscoveryReqType, view: HLCConnectorView) -> Outcome {
        state = .waitServiceDetailOrPaymentSelection
        return respond(.serviceDiscoveryRes(ISO2ServiceDiscoveryResType(
            responseCode: .ok, paymentOptionList: ISO2PaymentOptionListType(paymentOption: offeredPaymentOptions),
            chargeService: ISO2Messages.chargeService(modes: offeredModes(view)),
            serviceList: installationOffered ? ISO2ServiceListType(service: [ISO2Messages.certificateService]) : nil)))
    }

    /// ServiceDetailRes (ISO 15118-2:2014 §8.4.3.4): the charge service, and the certificate service where offered
    /// (§8.6.3.6 Table 106: parameter set 1 "Installation"); any other ID is FAILED_ServiceIDInvalid ([V2G2-464]).
    private mutating func serviceDetail(_ r: ISO2ServiceDetailReqType, view: HLCConnectorView) -> Outcome {
        if r.serviceID == ISO2Messages.certificateServiceID && installationOffered {
            return respond(.serviceDetailRes(ISO2ServiceDetailResType(responseCode: .ok, serviceID: r.serviceID,
                                                                      serviceParameterList: ISO2Messages.certificateServiceParameters)))
        }
        guard r.serviceID == ISO2Messages.chargeServiceID else {
            return fail(.serviceDetailReq(r), .failed_ServiceIDInvalid, "ServiceID \(r.serviceID) was not offered", view)
        }
        return respond(.serviceDetailRes(ISO2ServiceDetailResType(responseCode: .ok, serviceID: r.serviceID)))
    }

    /// Whether the contract certificate service is offered: Plug & Charge with a backend that installs certificates.
    var installationOffered: Bool {
        offeredPaymentOptions.contains(.contract) && configuration.contract?.certificateInstallation == true
    }

    /// PaymentServiceSelectionRes (ISO 15118-2:2014 §8.4.3.5): [V2G2-465] the option must have been offered,
    /// [V2G2-467] every service too, [V2G2-804] the charge service must be among them.
    private mutating func paymentServiceSelection(_ r: ISO2PaymentServiceSelectionReqType, view: HLCConnectorView) -> Outcome {
        let element = ISO2BodyElement.paymentServiceSelectionReq(r)
        guard offeredPaymentOptions.contains(r.selectedPaymentOption) else {
            return fail(element, .failed_PaymentSelectionInvalid, "payment option \(r.selectedPaymentOption.rawValue) was not offered", view)
        }
        let ids = r.selectedServiceList.selectedService.map(\.serviceID)
        guard ids.contains(ISO2Messages.chargeServiceID) else {
            return fail(element, .failed_NoChargeServiceSelected, "the charge service (ServiceID 1) was not selected", view)
        }
        guard ids.allSatisfy({ $0 == ISO2Messages.chargeServiceID || ($0 == ISO2Messages.certificateServiceID && installationOffered) }) else {
            return fail(element, .failed_ServiceSelectionInvalid, "ServiceIDs \(ids) include one not offered", view)
        }
        paymentOption = r.selectedPaymentOption
        state = paymentOption == .contract ? .waitPaymentDetails : .waitAuthorization
        return respond(.paymentServiceSelectionRes(ISO2PaymentServiceSelectionResType(responseCode: .ok)))
    }

    // MARK: Authorization

    /// AuthorizationRes (ISO 15118-2:2014 §8.4.3.7): Finished once the station authorized the connector (a card, the
    /// backend, Autocharge by the EVCCID); until then Ongoing_WaitingForCustomerInteraction ([V2G2-854]: EIM waits
    /// for the driver). After the configured time the SECC gives up with FAILED rather than letting the vehicle's
    /// own 60 s run out. Under a contract the first request must return PaymentDetailsRes's challenge, signed with
    /// the contract key (``contractAuthorization(_:header:view:)``); a refused contract is FAILED at once.
    private mutating func authorization(_ r: ISO2AuthorizationReqType, header: ISO2MessageHeaderType, view: HLCConnectorView,
                                        now: Duration) -> Outcome {
        if paymentOption == .contract, let failure = contractAuthorization(r, header: header, view: view) { return failure }
        if view.authorized && !view.stopRequested {
            state = .waitChargeParameterDiscovery
            return respond(.authorizationRes(ISO2AuthorizationResType(responseCode: .ok, evseProcessing: .finished)))
        }
        let since = authorizationSince ?? now
        authorizationSince = since
        if now - since >= configuration.authorizationTimeout {
            return fail(.authorizationReq(r), .failed, "nobody authorized the vehicle within \(configuration.authorizationTimeout)", view)
        }
        return respond(.authorizationRes(ISO2AuthorizationResType(responseCode: .ok, evseProcessing: .ongoing_WaitingForCustomerInteraction)))
    }

    // MARK: Charge parameters and power delivery

    /// ChargeParameterDiscoveryRes (ISO 15118-2:2014 §8.4.3.8): an AC mode the connector offers, else
    /// FAILED_WrongEnergyTransferMode; AC parameters in their units, else FAILED_WrongChargeParameter ([V2G2-477]).
    private mutating func chargeParameterDiscovery(_ r: ISO2ChargeParameterDiscoveryReqType, view: HLCConnectorView, now: Duration) -> Outcome {
        let element = ISO2BodyElement.chargeParameterDiscoveryReq(r)
        guard offeredModes(view).contains(r.requestedEnergyTransferMode) else {
            return fail(element, .failed_WrongEnergyTransferMode, "\(r.requestedEnergyTransferMode.rawValue) is not offered", view)
        }
        guard case .ac_EVChargeParameter(let p) = r.evChargeParameter,
              let maxCurrent = ISO2Messages.value(p.evMaxCurrent, .a), let minCurrent = ISO2Messages.value(p.evMinCurrent, .a),
              let maxVoltage = ISO2Messages.value(p.evMaxVoltage, .v), let energy = ISO2Messages.value(p.eAmount, .wh),
              maxCurrent >= 0, minCurrent >= 0, minCurrent <= maxCurrent, maxVoltage >= 0, energy >= 0,
              (p.departureTime ?? 0) >= 0
        else {
            return fail(element, .failed_WrongChargeParameter, "AC_EVChargeParameter is missing or has wrong units or values", view)
        }
        energyTransferMode = r.requestedEnergyTransferMode
        departureInSeconds = p.departureTime.flatMap { $0 > 0 ? UInt32(clamping: $0) : nil }
        let needs = SECCVehicleNeeds(maxCurrentAmps: maxCurrent, minCurrentAmps: minCurrent, maxVoltageV: maxVoltage,
                                     energyRequestWh: energy, departureInSeconds: departureInSeconds, phases: phasesInUse(view))
        // MaxEntriesSAScheduleTuple caps the entries (ISO 15118-2:2014 §8.4.3.8.2; 1024 when absent, the schema's bound).
        offeredSchedule = view.powerSchedule(phases: phasesInUse(view), horizonSeconds: Int(departureInSeconds.map { min($0, 86_400) } ?? 86_400),
                                             maxEntries: min(r.maxEntriesSAScheduleTuple ?? 1024, 1024))
        offeredAt = now
        renegotiationRequested = false
        state = .waitPowerDelivery
        let parameter = ISO2ACEVSEChargeParameterType(
            acEVSEStatus: ISO2Messages.acStatus(notification(view), rcd: view.rcdTripped),
            evseNominalVoltage: ISO2Messages.physical(view.nominalVoltageV, .v),
            evseMaxCurrent: ISO2Messages.physical(view.maxCurrentAmps, .a))
        return respond(.chargeParameterDiscoveryRes(ISO2ChargeParameterDiscoveryResType(
            responseCode: .ok, evseProcessing: .finished,
            saSchedules: .saScheduleList(ISO2Messages.schedule(offeredSchedule, departureInSeconds: departureInSeconds)),
            evseChargeParameter: .ac_EVSEChargeParameter(parameter))), events: [.vehicleNeeds(needs)])
    }

    private func phasesInUse(_ view: HLCConnectorView) -> Int {
        energyTransferMode == .ac_single_phase_core ? 1 : max(1, min(view.phases, 3))
    }

    /// The offered schedule's power `seconds` after it was offered.
    private func offeredPower(at seconds: Int) -> Double? {
        offeredSchedule.last { $0.startSeconds <= seconds }?.watts
    }

    /// Whether the station's schedule now names another power for this moment than the schedule the vehicle holds
    /// (a new charging profile, a changed static limit).
    private func scheduleChanged(_ view: HLCConnectorView, now: Duration) -> Bool {
        guard let offered = offeredPower(at: Int((now - offeredAt).components.seconds)) else { return false }
        let current = view.powerSchedule(phases: phasesInUse(view), horizonSeconds: 1, maxEntries: 1).first?.watts ?? 0
        return abs(current - offered) >= 1
    }

    /// PowerDeliveryRes (ISO 15118-2:2014 §8.4.3.9): the tuple offered ([V2G2-479] FAILED_TariffSelectionInvalid), a
    /// ChargingProfile within its PMax ([V2G2-225] FAILED_ChargingProfileInvalid; an entry of 0 W after the schedule
    /// ends is within it), Start only before the charge loop and Renegotiate only in it ([V2G2-812]), and no Start
    /// while the station cannot deliver ([V2G2-480] FAILED_PowerDeliveryNotApplied).
    private mutating func powerDelivery(_ r: ISO2PowerDeliveryReqType, view: HLCConnectorView, now: Duration) -> Outcome {
        let element = ISO2BodyElement.powerDeliveryReq(r)
        guard r.saScheduleTupleID == ISO2Messages.scheduleTupleID else {
            return fail(element, .failed_TariffSelectionInvalid, "SAScheduleTupleID \(r.saScheduleTupleID) was not offered", view)
        }
        let progress: SECCChargeProgress
        switch r.chargeProgress {
        case .start:
            guard state == .waitPowerDelivery else { return fail(element, .failed, "Start while charging", view) }
            if let profile = r.chargingProfile, let bad = profileViolation(profile) {
                return fail(element, .failed_ChargingProfileInvalid, bad, view)
            }
            guard view.authorized, !view.stopRequested, !view.rcdTripped else {
                return fail(element, .failed_PowerDeliveryNotApplied, "the station cannot deliver energy now", view)
            }
            state = .chargeLoop
            progress = .start
        case .stop:
            state = .waitSessionStop
            stopWatch.reset()
            progress = .stop
        case .renegotiate:
            guard state == .chargeLoop else { return fail(element, .failed, "Renegotiate before charging", view) }
            renegotiationRequested = false
            state = .waitChargeParameterDiscovery
            progress = .renegotiate
        }
        let status = ISO2Messages.acStatus(progress == .start ? notification(view) : .none, rcd: view.rcdTripped)
        return respond(.powerDeliveryRes(ISO2PowerDeliveryResType(responseCode: .ok, evseStatus: .ac_EVSEStatus(status))),
                       events: [.powerDelivery(progress)])
    }

    private func profileViolation(_ profile: ISO2ChargingProfileType) -> String? {
        for entry in profile.profileEntry {
            guard let power = ISO2Messages.value(entry.chargingProfileEntryMaxPower, .w) else {
                return "ChargingProfile entry at \(entry.chargingProfileEntryStart) s is not in W"
            }
            let pMaxW = offeredPower(at: entry.chargingProfileEntryStart) ?? 0
            if power > pMaxW + 0.5 {
                return "ChargingProfile entry at \(entry.chargingProfileEntryStart) s asks \(Int(power)) W, the schedule allows \(Int(pMaxW)) W"
            }
        }
        return nil
    }

    // MARK: Charge loop

    /// ChargingStatusRes (ISO 15118-2:2014 §8.4.3.10): EVSEMaxCurrent is the station's limit of the moment, so load
    /// management, the backend's profiles and the PV surplus reach the vehicle each time it asks; StopCharging when the
    /// station ends the session, FAILED when the vehicle has not stopped within the grace; ReNegotiation when the
    /// station's schedule (profiles, static limits) no longer matches the one the vehicle holds. MeterInfo carries the
    /// connector's meter so that the vehicle can show the energy charged. No receipt is required under external payment ([V2G2-691]).
    private mutating func chargingStatus(view: HLCConnectorView, now: Duration) -> Outcome {
        var events: [SECCEvent] = []
        let stop = stopWatch.step(stopping: view.stopRequested, now: now, grace: configuration.stopGrace)
        if stop.notify { events.append(.notification(ISO2EVSENotificationType.stopCharging.rawValue)) }
        if stop.expired {
            var out = fail(.chargingStatusReq(ISO2ChargingStatusReqType()), .failed,
                           "the vehicle did not stop within \(configuration.stopGrace) of StopCharging", view)
            out.events.insert(contentsOf: events, at: 0)
            return out
        }
        if !view.stopRequested {
            if !renegotiationRequested, scheduleChanged(view, now: now) {
                renegotiationRequested = true
                events.append(.notification(ISO2EVSENotificationType.reNegotiation.rawValue))
            }
        }
        let amps = view.maxCurrentAmps
        if lastMaxCurrentSent != amps {
            lastMaxCurrentSent = amps
            events.append(.maxCurrentSent(amps: amps))
        }
        return respond(.chargingStatusRes(ISO2ChargingStatusResType(
            responseCode: .ok, evseid: configuration.evseID, saScheduleTupleID: ISO2Messages.scheduleTupleID,
            evseMaxCurrent: ISO2Messages.physical(amps, .a),
            meterInfo: view.meter.map { ISO2MeterInfoType(meterID: $0.meterID, meterReading: $0.wattHours) }, receiptRequired: false,
            acEVSEStatus: ISO2Messages.acStatus(notification(view), rcd: view.rcdTripped))), events: events)
    }

    private func notification(_ view: HLCConnectorView) -> ISO2EVSENotificationType {
        if view.stopRequested || view.rcdTripped { return .stopCharging }
        return renegotiationRequested ? .reNegotiation : .none
    }

    // MARK: Session stop

    /// SessionStopRes (ISO 15118-2:2014 §8.4.3.13), then the connection closes ([V2G2-571]). Pause is allowed only
    /// after the energy stopped; its context stays for the vehicle's return.
    private mutating func sessionStop(_ r: ISO2SessionStopReqType, view: HLCConnectorView) -> Outcome {
        let pause = r.chargingSession == .pause
        if pause && state != .waitSessionStop {
            return fail(.sessionStopReq(r), .failed, "Pause before PowerDelivery Stop", view)
        }
        state = .closed
        pausedSession = pause ? SECCPausedSession(sessionID: sessionID, evccid: evccid, paymentOption: paymentOption) : nil
        var out = respond(.sessionStopRes(ISO2SessionStopResType(responseCode: .ok)), events: [.sessionStopped(pause: pause)])
        out.close = true
        return out
    }

    // MARK: Responses

    func respond(_ body: ISO2BodyElement, events: [SECCEvent] = []) -> Outcome {
        Outcome(response: ISO2V2GMessage(header: ISO2MessageHeaderType(sessionID: sessionID), body: ISO2BodyType(bodyElement: body)),
                close: false, events: events)
    }

    mutating func fail(_ request: ISO2BodyElement?, _ code: ISO2ResponseCodeType, _ reason: String,
                       _ view: HLCConnectorView) -> Outcome {
        state = .closed
        let event = SECCEvent.failed(responseCode: code.rawValue, request: ISO2Messages.name(of: request), reason: reason)
        guard let body = ISO2Messages.failed(request, code, evseID: configuration.evseID, rcd: view.rcdTripped) else {
            return Outcome(response: nil, close: true, events: [event])
        }
        var out = respond(body, events: [event])
        out.close = true
        return out
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16, uppercase: true) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
    }
}
