// SECC response time per message type (issue 27's benchmark; scripts/bench-secc.sh): the time from a vehicle's
// complete V2GTP message to the SECC's encoded response — EXI decode, the session machine, EXI encode — for every
// request of an ISO 15118-2 AC session and an ISO 15118-20 AC (Dynamic) session with external identification, each
// with 10 charge loops, run N times in-process with ContinuousClock. The socket and the vehicle's own time are not in
// it: this is the SECC's share of the vehicle's message timeout (ISO 15118-2:2014 Table 109: 2 s for most requests;
// ISO 15118-20:2022: 0.5 s for AC_ChargeLoopReq). Goal: p99 ≤ 20 ms per message type.
//
//   secc-bench [sessions]     prints one line per message type: protocol, type, count, p50/p99/max in µs
import EXI
import Foundation
import SECC
import V2G

let sessions = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 300
let clock = ContinuousClock()
var samples: [String: [Duration]] = [:]
var order: [String] = []

let view = HLCConnectorView(authorized: true, maxCurrentAmps: 16, ratedCurrentAmps: 32, phases: 3, nominalVoltageV: 230,
                            stopRequested: false, digitalOnly: true)

/// Sends one frame, timing the SECC's answer; fails loudly when the session does not go as a good vehicle's would.
@MainActor func timed(_ secc: inout SECCConnection, _ label: String, _ frame: V2GTPFrame) -> V2GTPFrame {
    var step: SECCStep?
    let d = clock.measure { step = secc.receive(frame, view: view, now: .zero, date: Date(timeIntervalSince1970: 1_798_761_600)) }
    guard let response = step?.response else { fatalError("\(label): no response (\(step?.closeReason ?? "?"))") }
    if samples[label] == nil { order.append(label) }
    samples[label, default: []].append(d)
    return response
}

func handshake(_ namespace: String, major: Int) throws -> V2GTPFrame {
    let req = AppProtocolSupportedAppProtocolReq(appProtocol: [
        AppProtocolAppProtocolType(protocolNamespace: namespace, versionNumberMajor: major, versionNumberMinor: 0, schemaID: 1, priority: 1)
    ])
    return V2GTPFrame(payloadType: .exi, payload: try EXI.AppProtocol.encode(.supportedAppProtocolReq(req)))
}

@MainActor func iso2Session() throws {
    var secc = SECCConnection(configuration: SECCConfiguration(), newSessionID: [1, 2, 3, 4, 5, 6, 7, 8])
    _ = timed(&secc, "ISO-2 supportedAppProtocolReq", try handshake("urn:iso:15118:2:2013:MsgDef", major: 2))
    var sessionID: [UInt8] = [0]
    func send(_ label: String, _ body: ISO2BodyElement) throws {
        let message = ISO2V2GMessage(header: ISO2MessageHeaderType(sessionID: sessionID), body: ISO2BodyType(bodyElement: body))
        let response = timed(&secc, "ISO-2 " + label, V2GTPFrame(payloadType: .exi, payload: try EXI.ISO2.encode(message)))
        if case .sessionSetupRes? = try EXI.ISO2.decode(response.payload).body.bodyElement {
            sessionID = try EXI.ISO2.decode(response.payload).header.sessionID
        }
    }
    func pv(_ v: Int, _ m: Int, _ u: ISO2UnitSymbolType) -> ISO2PhysicalValueType { ISO2PhysicalValueType(multiplier: m, unit: u, value: v) }
    try send("SessionSetupReq", .sessionSetupReq(ISO2SessionSetupReqType(evccid: [0, 0x7D, 0xFA, 0x12, 0x34, 0x56])))
    try send("ServiceDiscoveryReq", .serviceDiscoveryReq(ISO2ServiceDiscoveryReqType()))
    try send("PaymentServiceSelectionReq", .paymentServiceSelectionReq(ISO2PaymentServiceSelectionReqType(
        selectedPaymentOption: .externalPayment, selectedServiceList: ISO2SelectedServiceListType(selectedService: [ISO2SelectedServiceType(serviceID: 1)]))))
    try send("AuthorizationReq", .authorizationReq(ISO2AuthorizationReqType()))
    try send("ChargeParameterDiscoveryReq", .chargeParameterDiscoveryReq(ISO2ChargeParameterDiscoveryReqType(
        requestedEnergyTransferMode: .ac_three_phase_core, evChargeParameter: .ac_EVChargeParameter(ISO2ACEVChargeParameterType(
            departureTime: 0, eAmount: pv(60, 0, .wh), evMaxVoltage: pv(400, 0, .v), evMaxCurrent: pv(32000, -3, .a), evMinCurrent: pv(10, 0, .a))))))
    try send("PowerDeliveryReq", .powerDeliveryReq(ISO2PowerDeliveryReqType(chargeProgress: .start, saScheduleTupleID: 1, chargingProfile: ISO2ChargingProfileType(
        profileEntry: [ISO2ProfileEntryType(chargingProfileEntryStart: 0, chargingProfileEntryMaxPower: pv(22080, 0, .w))]))))
    for _ in 0..<10 { try send("ChargingStatusReq", .chargingStatusReq(ISO2ChargingStatusReqType())) }
    try send("PowerDeliveryReq", .powerDeliveryReq(ISO2PowerDeliveryReqType(chargeProgress: .stop, saScheduleTupleID: 1)))
    try send("SessionStopReq", .sessionStopReq(ISO2SessionStopReqType(chargingSession: .terminate)))
}

@MainActor func iso20Session() throws {
    var secc = SECCConnection(configuration: SECCConfiguration(protocols: [.iso15118_20AC], iso20WithoutTLS: true), newSessionID: [1, 2, 3, 4, 5, 6, 7, 8])
    _ = timed(&secc, "-20 supportedAppProtocolReq", try handshake("urn:iso:std:iso:15118:-20:AC", major: 1))
    var sessionID: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]
    var header: ISO20CommonMessageHeaderType { ISO20CommonMessageHeaderType(sessionID: sessionID, timeStamp: 1_798_761_600) }
    var acHeader: ISO20ACMessageHeaderType { ISO20ACMessageHeaderType(sessionID: sessionID, timeStamp: 1_798_761_600) }
    func common(_ label: String, _ m: EXI.ISO20Common.Message) throws {
        let response = timed(&secc, "-20 " + label, V2GTPFrame(payloadType: .iso20Mainstream, payload: try EXI.ISO20Common.encode(m)))
        if case .sessionSetupRes(let r) = try EXI.ISO20Common.decode(response.payload) { sessionID = r.header.sessionID }
    }
    func ac(_ label: String, _ m: EXI.ISO20AC.Message) throws {
        _ = timed(&secc, "-20 " + label, V2GTPFrame(payloadType: .iso20AC, payload: try EXI.ISO20AC.encode(m)))
    }
    func r(_ v: Int, _ e: Int = 0) -> ISO20ACRationalNumberType { ISO20ACRationalNumberType(exponent: e, value: v) }
    func rc(_ v: Int, _ e: Int = 0) -> ISO20CommonRationalNumberType { ISO20CommonRationalNumberType(exponent: e, value: v) }
    try common("SessionSetupReq", .sessionSetupReq(ISO20CommonSessionSetupReqType(header: header, evccid: "007DFA123456")))
    try common("AuthorizationSetupReq", .authorizationSetupReq(ISO20CommonAuthorizationSetupReqType(header: header)))
    try common("AuthorizationReq", .authorizationReq(ISO20CommonAuthorizationReqType(header: header, selectedAuthorizationService: .eim,
                                                                                    eimAReqAuthorizationMode: ISO20CommonEIMAReqAuthorizationModeType())))
    try common("ServiceDiscoveryReq", .serviceDiscoveryReq(ISO20CommonServiceDiscoveryReqType(header: header)))
    try common("ServiceDetailReq", .serviceDetailReq(ISO20CommonServiceDetailReqType(header: header, serviceID: 1)))
    try common("ServiceSelectionReq", .serviceSelectionReq(ISO20CommonServiceSelectionReqType(
        header: header, selectedEnergyTransferService: ISO20CommonSelectedServiceType(serviceID: 1, parameterSetID: 1))))
    try ac("AC_ChargeParameterDiscoveryReq", .ac_ChargeParameterDiscoveryReq(ISO20ACACChargeParameterDiscoveryReqType(
        header: acHeader, acCPDReqEnergyTransferMode: .ac_CPDReqEnergyTransferMode(ISO20ACACCPDReqEnergyTransferModeType(
            evMaximumChargePower: r(11, 3), evMinimumChargePower: r(100))))))
    try common("ScheduleExchangeReq", .scheduleExchangeReq(ISO20CommonScheduleExchangeReqType(
        header: header, maximumSupportingPoints: 1024, dynamicSEReqControlMode: ISO20CommonDynamicSEReqControlModeType(
            departureTime: 0, evTargetEnergyRequest: rc(40, 3), evMaximumEnergyRequest: rc(60, 3), evMinimumEnergyRequest: rc(1, 3)))))
    try common("PowerDeliveryReq", .powerDeliveryReq(ISO20CommonPowerDeliveryReqType(header: header, evProcessing: .finished, chargeProgress: .start)))
    for _ in 0..<10 {
        try ac("AC_ChargeLoopReq", .ac_ChargeLoopReq(ISO20ACACChargeLoopReqType(header: acHeader, meterInfoRequested: false, clReqControlMode: .dynamic_AC_CLReqControlMode(
            ISO20ACDynamicACCLReqControlModeType(evTargetEnergyRequest: r(40, 3), evMaximumEnergyRequest: r(60, 3), evMinimumEnergyRequest: r(1, 3),
                                                 evMaximumChargePower: r(11, 3), evMinimumChargePower: r(100), evPresentActivePower: r(4, 3),
                                                 evPresentReactivePower: r(0))))))
    }
    try common("PowerDeliveryReq", .powerDeliveryReq(ISO20CommonPowerDeliveryReqType(header: header, evProcessing: .finished, chargeProgress: .stop)))
    try common("SessionStopReq", .sessionStopReq(ISO20CommonSessionStopReqType(header: header, chargingSession: .terminate)))
}

do {
    for _ in 0..<sessions {
        try iso2Session()
        try iso20Session()
    }
} catch {
    fatalError("a request could not be encoded: \(error)")
}

func micros(_ d: Duration) -> Double { Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12 }
for label in order {
    let sorted = samples[label, default: []].map(micros).sorted()
    let p50 = sorted[sorted.count / 2], p99 = sorted[min(sorted.count - 1, Int(Double(sorted.count) * 0.99))]
    print(label.padding(toLength: 38, withPad: " ", startingAt: 0)
          + String(format: "%6d  p50 %8.1f µs  p99 %8.1f µs  max %8.1f µs", sorted.count, p50, p99, sorted.last ?? 0))
}
