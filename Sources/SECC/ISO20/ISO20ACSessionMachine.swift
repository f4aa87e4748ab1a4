#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EXI

/// The SECC's ISO 15118-20 AC session with external identification (ISO 15118-20:2022 §8.8, the AC message sequence
/// of Figure 126 and the SECC states of §8.8.3): SessionSetup, AuthorizationSetup and Authorization, ServiceDiscovery,
/// ServiceDetail and ServiceSelection, AC_ChargeParameterDiscovery, ScheduleExchange, PowerDelivery, the AC charge loop
/// and SessionStop. Each request is checked for the session's ID (FAILED_UnknownSession), then whether the state
/// expects it (FAILED_SequenceError), then its own rules; a FAILED code ends the session (§8.3.4.1).
///
/// The charge loop is where the station's limit chain reaches the vehicle: in the Dynamic control mode (offered first)
/// AC_ChargeLoopRes carries EVSETargetActivePower, the limit of the moment over the phases in use; in the Scheduled one
/// the vehicle follows the schedule of 24 hours at the rated power and gets the target power too.
struct ISO20ACSessionMachine: Sendable {
    enum State: Sendable, Equatable {
        case waitSessionSetup, waitAuthorizationSetup, waitAuthorization, waitServiceDiscovery, waitServiceDetailOrSelection
        case waitChargeParameterDiscovery, waitScheduleExchange, waitPowerDelivery, chargeLoop, waitSessionStop, closed
        /// CertificateInstallationReq went to the backend; its answer comes through ``certificateAnswered(_:view:)``.
        case waitBackendCertificate
    }

    struct Outcome: Sendable {
        var response: ISO20Response?
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
    private var evccid: [UInt8] = []
    private var controlMode: ISO20Messages.ControlMode = .dynamic
    private var phases = 3
    private var authorizationSince: Duration?
    private var stopWatch = SECCStopWatch()
    private var lastTargetSent: Double?
    private(set) var date = Date(timeIntervalSince1970: 0)
    /// AuthorizationSetupRes's GenChallenge, which PnC_AReqAuthorizationMode must return signed (§8.3.4.3).
    let genChallenge: [UInt8]
    /// The PnC_AReqAuthorizationMode whose chain and signature were checked; the vehicle repeats it while Ongoing.
    var verifiedContract: ISO20CommonPnCAReqAuthorizationModeType?
    /// The CertificateInstallationReq waiting for the backend's answer.
    var pendingInstallation: ISO20CommonCertificateInstallationReqType?

    init(configuration: SECCConfiguration, newSessionID: [UInt8], genChallenge: [UInt8] = [], paused: SECCPausedSession?) {
        self.configuration = configuration
        self.sessionID = newSessionID
        self.genChallenge = genChallenge
        self.paused = paused
    }

    var header: ISO20CommonMessageHeaderType {
        ISO20CommonMessageHeaderType(sessionID: sessionID, timeStamp: UInt64(max(0, date.timeIntervalSince1970.rounded(.down))))
    }

    private var acHeader: ISO20ACMessageHeaderType { ISO20ACMessageHeaderType(sessionID: sessionID, timeStamp: header.timeStamp) }

    mutating func handle(_ request: ISO20Request, view: HLCConnectorView, now: Duration, date: Date) -> Outcome {
        self.date = date
        if case .common(.sessionSetupReq(let r)) = request {
            guard state == .waitSessionSetup else { return fail(request, .failed_SequenceError, "SessionSetupReq twice", view) }
            return sessionSetup(r)
        }
        guard state != .waitSessionSetup else { return fail(request, .failed_SequenceError, "the session was not set up", view) }
        guard Self.sessionID(of: request) == sessionID else {
            return fail(request, .failed_UnknownSession, "the SessionID is not this session's", view)
        }
        switch (request, state) {
        case (.common(.authorizationSetupReq), .waitAuthorizationSetup):
            state = .waitAuthorization
            return respond(.common(.authorizationSetupRes(authorizationSetupResponse())))
        case (.common(.certificateInstallationReq(let r)), .waitAuthorization) where installationOffered: return certificateInstallation(r)
        case (.common(.authorizationReq(let r)), .waitAuthorization): return authorization(r, view: view, now: now)
        case (.common(.serviceDiscoveryReq), .waitServiceDiscovery):
            state = .waitServiceDetailOrSelection
            return respond(.common(.serviceDiscoveryRes(ISO20CommonServiceDiscoveryResType(
                header: header, responseCode: .ok, serviceRenegotiationSupported: false,
                energyTransferServiceList: ISO20CommonServiceListType(service: [
                    ISO20CommonServiceType(serviceID: ISO20Messages.acServiceID, freeService: false)
                ])))))
        case (.common(.serviceDetailReq(let r)), .waitServiceDetailOrSelection): return serviceDetail(r, view: view)
        case (.common(.serviceSelectionReq(let r)), .waitServiceDetailOrSelection): return serviceSelection(r, view: view)
        case (.ac(.ac_ChargeParameterDiscoveryReq(let r)), .waitChargeParameterDiscovery): return chargeParameterDiscovery(r, view: view)
        case (.common(.scheduleExchangeReq(let r)), .waitScheduleExchange): return scheduleExchange(r, view: view)
        case (.common(.powerDeliveryReq(let r)), .waitPowerDelivery), (.common(.powerDeliveryReq(let r)), .chargeLoop):
            return powerDelivery(r, view: view)
        case (.ac(.ac_ChargeLoopReq(let r)), .chargeLoop): return chargeLoop(r, view: view, now: now)
        case (.common(.sessionStopReq(let r)), let s) where Self.stopAllowed.contains(s): return sessionStop(r, view: view)
        default:
            return fail(request, .failed_SequenceError, "\(Self.name(of: request)) is not expected now (\(state))", view)
        }
    }

    /// ISO 15118-20:2022 §8.8.3: the vehicle may end the session from AuthorizationSetup on, and in the charge loop.
    private static let stopAllowed: Set<State> = [.waitAuthorizationSetup, .waitAuthorization, .waitServiceDiscovery,
                                                  .waitServiceDetailOrSelection, .waitChargeParameterDiscovery,
                                                  .waitScheduleExchange, .waitPowerDelivery, .chargeLoop, .waitSessionStop]

    // MARK: Session setup and authorization

    /// [V2G20-2525]: SessionID 0 or an unknown one starts a new session (with the SECC's ID, never the vehicle's); the
    /// ID of this vehicle's paused session joins it again (OK_OldSessionJoined).
    private mutating func sessionSetup(_ r: ISO20CommonSessionSetupReqType) -> Outcome {
        evccid = Self.evccidBytes(r.evccid)
        var code = ISO20CommonResponseCodeType.ok_NewSessionEstablished
        var resumed = false
        if let paused, r.header.sessionID == paused.sessionID, evccid == paused.evccid {
            sessionID = paused.sessionID
            code = .ok_OldSessionJoined
            resumed = true
        } else if sessionID == r.header.sessionID {
            sessionID[0] ^= 0xFF
        }
        state = .waitAuthorizationSetup
        return respond(.common(.sessionSetupRes(ISO20CommonSessionSetupResType(header: header, responseCode: code, evseid: configuration.evseID))),
                       events: [.vehicleIdentified(evccid: evccid, resumed: resumed)])
    }

    /// EVCCID (ISO 15118-20:2022 §8.3.5.3.3: a string of up to 255 characters, the vehicle's MAC or VIN): a MAC
    /// written as 12 hexadecimal digits (with or without ':' or '-') becomes its 6 bytes, as ISO 15118-2 sends it, so
    /// Autocharge treats both alike; anything else its UTF-8 bytes.
    static func evccidBytes(_ s: String) -> [UInt8] {
        let digits = s.filter { $0 != ":" && $0 != "-" }
        if digits.count == 12, digits.allSatisfy(\.isHexDigit) {
            var out: [UInt8] = []
            var it = digits.makeIterator()
            while let a = it.next(), let b = it.next() { out.append(UInt8(String([a, b]), radix: 16)!) }
            return out
        }
        return Array(s.utf8.prefix(255))
    }

    /// AuthorizationRes (ISO 15118-20:2022 §8.3.4.3.3): Finished once the station authorized the connector (a card,
    /// the backend, Autocharge, or the contract of Plug & Charge after its checks, ``contractAuthorization(_:view:)``),
    /// until then Ongoing_WaitingForCustomerInteraction; FAILED after the configured time.
    private mutating func authorization(_ r: ISO20CommonAuthorizationReqType, view: HLCConnectorView, now: Duration) -> Outcome {
        var events: [SECCEvent] = []
        if r.selectedAuthorizationService == .pnC {
            switch contractAuthorization(r, view: view) {
            case .answer(let outcome): return outcome
            case .proceed(let presented): events = presented
            }
        }
        if view.authorized && !view.stopRequested {
            state = .waitServiceDiscovery
            return respond(.common(.authorizationRes(ISO20CommonAuthorizationResType(header: header, responseCode: .ok, evseProcessing: .finished))),
                           events: events)
        }
        let since = authorizationSince ?? now
        authorizationSince = since
        if now - since >= configuration.authorizationTimeout {
            return fail(.common(.authorizationReq(r)), .failed, "nobody authorized the vehicle within \(configuration.authorizationTimeout)", view)
        }
        return respond(.common(.authorizationRes(ISO20CommonAuthorizationResType(
            header: header, responseCode: .ok, evseProcessing: .ongoing_WaitingForCustomerInteraction))), events: events)
    }

    // MARK: Services

    /// ServiceDetailRes (§8.3.4.6): the AC service's parameter sets; any other ID is FAILED_ServiceIDInvalid.
    private mutating func serviceDetail(_ r: ISO20CommonServiceDetailReqType, view: HLCConnectorView) -> Outcome {
        guard r.serviceID == ISO20Messages.acServiceID else {
            return fail(.common(.serviceDetailReq(r)), .failed_ServiceIDInvalid, "ServiceID \(r.serviceID) was not offered", view)
        }
        return respond(.common(.serviceDetailRes(ISO20CommonServiceDetailResType(
            header: header, responseCode: .ok, serviceID: r.serviceID,
            serviceParameterList: ISO20CommonServiceParameterListType(
                parameterSet: ISO20Messages.parameterSets(phases: view.phases, nominalVoltageV: view.nominalVoltageV))))))
    }

    /// ServiceSelectionRes (§8.3.4.7): the AC service with one of its parameter sets (FAILED_ServiceSelectionInvalid
    /// otherwise); no value-added services exist here.
    private mutating func serviceSelection(_ r: ISO20CommonServiceSelectionReqType, view: HLCConnectorView) -> Outcome {
        let selected = r.selectedEnergyTransferService
        guard selected.serviceID == ISO20Messages.acServiceID else {
            return fail(.common(.serviceSelectionReq(r)), .failed_NoEnergyTransferServiceSelected, "ServiceID \(selected.serviceID) is not AC", view)
        }
        guard let mode = ISO20Messages.controlMode(parameterSetID: selected.parameterSetID), (r.selectedVASList?.selectedService ?? []).isEmpty else {
            return fail(.common(.serviceSelectionReq(r)), .failed_ServiceSelectionInvalid,
                        "ParameterSetID \(selected.parameterSetID) or a value-added service was not offered", view)
        }
        controlMode = mode
        phases = view.phases >= 3 ? 3 : 1
        state = .waitChargeParameterDiscovery
        return respond(.common(.serviceSelectionRes(ISO20CommonServiceSelectionResType(header: header, responseCode: .ok))))
    }

    // MARK: Charge parameters, schedule, power delivery

    private func ratedPowerW(_ view: HLCConnectorView) -> Double { (view.ratedCurrentAmps * view.nominalVoltageV * Double(phases)).rounded() }
    private func targetPowerW(_ view: HLCConnectorView) -> Double { (view.maxCurrentAmps * view.nominalVoltageV * Double(phases)).rounded() }

    /// AC_ChargeParameterDiscoveryRes (§8.3.5.4.2): the connector's rated power, the least it can give (6 A, IEC
    /// 61851-1's minimum), 50 Hz; the vehicle's maximum power becomes its current per phase for the station.
    private mutating func chargeParameterDiscovery(_ r: ISO20ACACChargeParameterDiscoveryReqType, view: HLCConnectorView) -> Outcome {
        guard case .ac_CPDReqEnergyTransferMode(let p) = r.acCPDReqEnergyTransferMode,
              let maxW = ISO20Messages.value(p.evMaximumChargePower), let minW = ISO20Messages.value(p.evMinimumChargePower),
              maxW >= 0, minW >= 0, minW <= maxW else {
            return fail(.ac(.ac_ChargeParameterDiscoveryReq(r)), .failed_WrongChargeParameter,
                        "AC_CPDReqEnergyTransferMode is missing (bidirectional is not offered) or its powers are wrong", view)
        }
        let volts = max(view.nominalVoltageV, 1) * Double(phases)
        state = .waitScheduleExchange
        let needs = SECCVehicleNeeds(maxCurrentAmps: maxW / volts, minCurrentAmps: minW / volts, maxVoltageV: view.nominalVoltageV,
                                     energyRequestWh: 0, departureInSeconds: nil, phases: phases)
        return respond(.ac(.ac_ChargeParameterDiscoveryRes(ISO20ACACChargeParameterDiscoveryResType(
            header: acHeader, responseCode: .ok,
            acCPDResEnergyTransferMode: .ac_CPDResEnergyTransferMode(ISO20ACACCPDResEnergyTransferModeType(
                evseMaximumChargePower: ISO20Messages.ac(ratedPowerW(view)),
                evseMinimumChargePower: ISO20Messages.ac((6 * view.nominalVoltageV * Double(phases)).rounded()),
                evseNominalFrequency: ISO20Messages.ac(50)))))), events: [.vehicleNeeds(needs)])
    }

    /// ScheduleExchangeRes (§8.3.4.8): the control mode chosen in ServiceSelection (another one is
    /// FAILED_WrongChargeParameter); Dynamic needs nothing more, Scheduled gets one tuple of 24 hours
    /// ([V2G20-2176]: the schedule covers at least 24 h) with an entry per period of the station's schedule
    /// (``HLCConnectorView/powerSchedule(phases:horizonSeconds:maxEntries:)``); no prices.
    private mutating func scheduleExchange(_ r: ISO20CommonScheduleExchangeReqType, view: HLCConnectorView) -> Outcome {
        let request = ISO20Request.common(.scheduleExchangeReq(r))
        switch controlMode {
        case .dynamic:
            guard let d = r.dynamicSEReqControlMode else {
                return fail(request, .failed_WrongChargeParameter, "the Dynamic control mode was selected", view)
            }
            state = .waitPowerDelivery
            let needs = ISO20Messages.value(d.evTargetEnergyRequest)
            return respond(.common(.scheduleExchangeRes(ISO20CommonScheduleExchangeResType(
                header: header, responseCode: .ok, evseProcessing: .finished,
                dynamicSEResControlMode: ISO20CommonDynamicSEResControlModeType(departureTime: d.departureTime > 0 ? d.departureTime : nil)))),
                events: needs.map { [.vehicleNeeds(SECCVehicleNeeds(maxCurrentAmps: 0, minCurrentAmps: 0, maxVoltageV: view.nominalVoltageV,
                                                                     energyRequestWh: $0, departureInSeconds: d.departureTime > 0 ? UInt32(clamping: d.departureTime) : nil,
                                                                     phases: phases))] } ?? [])
        case .scheduled:
            guard r.scheduledSEReqControlMode != nil else {
                return fail(request, .failed_WrongChargeParameter, "the Scheduled control mode was selected", view)
            }
            state = .waitPowerDelivery
            let points = view.powerSchedule(phases: phases, horizonSeconds: 86_400, maxEntries: min(max(r.maximumSupportingPoints, 1), 1024))
            let entries = points.enumerated().map { i, p in
                ISO20CommonPowerScheduleEntryType(duration: (i + 1 < points.count ? points[i + 1].startSeconds : 86_400) - p.startSeconds,
                                                  power: ISO20Messages.common(p.watts))
            }
            let tuple = ISO20CommonScheduleTupleType(scheduleTupleID: Self.scheduleTupleID, chargingSchedule: ISO20CommonChargingScheduleType(
                powerSchedule: ISO20CommonPowerScheduleType(timeAnchor: header.timeStamp,
                                                            powerScheduleEntries: ISO20CommonPowerScheduleEntryListType(powerScheduleEntry: entries))))
            return respond(.common(.scheduleExchangeRes(ISO20CommonScheduleExchangeResType(
                header: header, responseCode: .ok, evseProcessing: .finished,
                scheduledSEResControlMode: ISO20CommonScheduledSEResControlModeType(scheduleTuple: [tuple])))))
        }
    }

    static let scheduleTupleID = 1

    /// PowerDeliveryRes (§8.3.4.9): Start from PowerDelivery (Scheduled: the offered tuple, else
    /// FAILED_ScheduleSelectionInvalid; not while the station cannot deliver, FAILED_PowerDeliveryNotApplied; repeated
    /// while the vehicle says EVProcessing Ongoing, the loop beginning with Finished); Stop from
    /// either; ScheduleRenegotiation from the loop back to ScheduleExchange; Standby is not offered
    /// (WARNING_StandbyNotAllowed).
    private mutating func powerDelivery(_ r: ISO20CommonPowerDeliveryReqType, view: HLCConnectorView) -> Outcome {
        let request = ISO20Request.common(.powerDeliveryReq(r))
        var code = ISO20CommonResponseCodeType.ok
        let progress: SECCChargeProgress
        switch r.chargeProgress {
        case .start:
            guard state == .waitPowerDelivery else { return fail(request, .failed, "Start while charging", view) }
            if controlMode == .scheduled, let id = r.evPowerProfile?.scheduledEVPPTControlMode?.selectedScheduleTupleID, id != Self.scheduleTupleID {
                return fail(request, .failed_ScheduleSelectionInvalid, "ScheduleTupleID \(id) was not offered", view)
            }
            guard view.authorized, !view.stopRequested, !view.rcdTripped else {
                return fail(request, .failed_PowerDeliveryNotApplied, "the station cannot deliver energy now", view)
            }
            // EVProcessing Ongoing: the vehicle is not ready yet and repeats the request (§8.3.4.9.2); the charge loop
            // begins with the one that says Finished.
            guard r.evProcessing == .finished else {
                return respond(.common(.powerDeliveryRes(ISO20CommonPowerDeliveryResType(header: header, responseCode: .ok))))
            }
            state = .chargeLoop
            progress = .start
        case .stop:
            state = .waitSessionStop
            stopWatch.reset()
            progress = .stop
        case .scheduleRenegotiation:
            guard state == .chargeLoop else { return fail(request, .failed, "ScheduleRenegotiation before charging", view) }
            state = .waitScheduleExchange
            progress = .renegotiate
        case .standby:
            code = .warning_StandbyNotAllowed
            return respond(.common(.powerDeliveryRes(ISO20CommonPowerDeliveryResType(header: header, responseCode: code))))
        }
        return respond(.common(.powerDeliveryRes(ISO20CommonPowerDeliveryResType(header: header, responseCode: code))),
                       events: [.powerDelivery(progress)])
    }

    // MARK: Charge loop

    /// AC_ChargeLoopRes (§8.3.5.4.3): EVSETargetActivePower is the station's limit of the moment over the phases in
    /// use — mandatory in Dynamic, given in Scheduled too; EVSEStatus only to notify (vehicles take any EVSEStatus as
    /// a request): Terminate when the station ends the session, and FAILED when the vehicle has not stopped within the
    /// grace. A loop in the other control mode is FAILED_SequenceError.
    private mutating func chargeLoop(_ r: ISO20ACACChargeLoopReqType, view: HLCConnectorView, now: Duration) -> Outcome {
        let request = ISO20Request.ac(.ac_ChargeLoopReq(r))
        switch (r.clReqControlMode, controlMode) {
        case (.dynamic_AC_CLReqControlMode, .dynamic), (.scheduled_AC_CLReqControlMode, .scheduled): break
        default: return fail(request, .failed_SequenceError, "the charge loop's control mode is not the one selected", view)
        }
        var events: [SECCEvent] = []
        var status: ISO20ACEVSEStatusType?
        let stopping = view.stopRequested || view.rcdTripped
        let stop = stopWatch.step(stopping: stopping, now: now, grace: configuration.stopGrace)
        if stop.notify { events.append(.notification(ISO20ACEvseNotificationType.terminate.rawValue)) }
        if stop.expired {
            var out = fail(request, .failed, "the vehicle did not stop within \(configuration.stopGrace) of Terminate", view)
            out.events.insert(contentsOf: events, at: 0)
            return out
        }
        if stopping { status = ISO20ACEVSEStatusType(notificationMaxDelay: 0, evseNotification: .terminate) }
        let target = targetPowerW(view)
        if lastTargetSent != target {
            lastTargetSent = target
            events.append(.maxCurrentSent(amps: view.maxCurrentAmps))
        }
        let mode: ISO20ACCLResControlModeGroup = controlMode == .dynamic
            ? .dynamic_AC_CLResControlMode(ISO20ACDynamicACCLResControlModeType(evseTargetActivePower: ISO20Messages.ac(target)))
            : .scheduled_AC_CLResControlMode(ISO20ACScheduledACCLResControlModeType(evseTargetActivePower: ISO20Messages.ac(target)))
        // MeterInfo when the vehicle asks for it (MeterInfoRequested) and the meter reads.
        let meter = r.meterInfoRequested ? view.meter.map { ISO20ACMeterInfoType(meterID: $0.meterID, chargedEnergyReadingWh: $0.wattHours) } : nil
        return respond(.ac(.ac_ChargeLoopRes(ISO20ACACChargeLoopResType(header: acHeader, responseCode: .ok, evseStatus: status,
                                                                        meterInfo: meter, clResControlMode: mode))), events: events)
    }

    // MARK: Session stop

    /// SessionStopRes (§8.3.4.11), then the connection closes: Terminate ends it, Pause keeps it for the vehicle's
    /// return; ServiceRenegotiation is not offered (FAILED_NoServiceRenegotiationSupported).
    private mutating func sessionStop(_ r: ISO20CommonSessionStopReqType, view: HLCConnectorView) -> Outcome {
        switch r.chargingSession {
        case .serviceRenegotiation:
            return fail(.common(.sessionStopReq(r)), .failed_NoServiceRenegotiationSupported, "service renegotiation is not offered", view)
        case .pause:
            pausedSession = SECCPausedSession(sessionID: sessionID, evccid: evccid, paymentOption: .externalPayment)
        case .terminate:
            pausedSession = nil
        }
        state = .closed
        var out = respond(.common(.sessionStopRes(ISO20CommonSessionStopResType(header: header, responseCode: .ok))),
                          events: [.sessionStopped(pause: r.chargingSession == .pause)])
        out.close = true
        return out
    }

    // MARK: Responses

    private func respond(_ response: ISO20Response, events: [SECCEvent] = []) -> Outcome {
        Outcome(response: response, close: false, events: events)
    }

    mutating func fail(_ request: ISO20Request, _ code: ISO20CommonResponseCodeType, _ reason: String,
                               _ view: HLCConnectorView) -> Outcome {
        state = .closed
        let event = SECCEvent.failed(responseCode: code.rawValue, request: Self.name(of: request), reason: reason)
        return Outcome(response: ISO20Messages.failed(request, code, header: header, evseID: configuration.evseID), close: true, events: [event])
    }

    static func sessionID(of request: ISO20Request) -> [UInt8]? {
        let node: EXINode
        switch request {
        case .common(let m): node = EXI.ISO20Common.node(m)
        case .ac(let m): node = EXI.ISO20AC.node(m)
        }
        return node.children.first { $0.name.localName == "Header" }?.children.first { $0.name.localName == "SessionID" }?
            .value.flatMap { if case .binary(let b) = $0 { b } else { nil } }
    }

    static func name(of request: ISO20Request) -> String {
        switch request {
        case .common(let m): EXI.ISO20Common.node(m).name.localName
        case .ac(let m): EXI.ISO20AC.node(m).name.localName
        }
    }
}
