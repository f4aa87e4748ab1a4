#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EXI

/// Building blocks of the ISO 15118-2 responses: physical values, the AC status, the charge schedule, and a
/// schema-valid response with a FAILED code for every request (ISO 15118-2:2014 [V2G2-736]: a response with a FAILED
/// code still carries every mandatory field of its type).
enum ISO2Messages {
    static let namespace = "urn:iso:15118:2:2013:MsgDef"

    /// The element name of a body ("SessionSetupReq"), for the log.
    static func name(of element: ISO2BodyElement?) -> String {
        guard let element else { return "empty body" }
        let node = ISO2BodyType(bodyElement: element).node(EXIQName(namespace, "Body"), repeatable: false)
        return node.children.first?.name.localName ?? "body"
    }

    // MARK: Physical values (ISO 15118-2:2014 §8.5.2.7 PhysicalValueType: Value · 10^Multiplier, Value a short)

    /// `x` exactly with the multiplier nearest to 0 that fits a short (16 A → 16 × 10⁰, 6.5 A → 65 × 10⁻¹,
    /// 22 080 W → 22080 × 10⁰, 44 000 W → 4400 × 10¹); a value with more decimals than three is rounded to the most
    /// precise form that fits.
    static func physical(_ x: Double, _ unit: ISO2UnitSymbolType) -> ISO2PhysicalValueType {
        let value = x.isFinite ? max(0, x) : 0
        if value == 0 { return ISO2PhysicalValueType(multiplier: 0, unit: unit, value: 0) }
        for m in [0, -1, -2, -3, 1, 2, 3] {
            let scaled = value / pow10(m)
            let rounded = scaled.rounded()
            if abs(scaled - rounded) < 1e-6, rounded <= 32767 { return ISO2PhysicalValueType(multiplier: m, unit: unit, value: Int(rounded)) }
        }
        for m in -3...3 {
            let rounded = (value / pow10(m)).rounded()
            if rounded <= 32767 { return ISO2PhysicalValueType(multiplier: m, unit: unit, value: Int(rounded)) }
        }
        return ISO2PhysicalValueType(multiplier: 3, unit: unit, value: 32767)
    }

    /// The value of a physical value the vehicle sent, nil when its unit is not `unit` or its multiplier is out of the
    /// schema's range (−3 … 3).
    static func value(_ p: ISO2PhysicalValueType, _ unit: ISO2UnitSymbolType) -> Double? {
        guard p.unit == unit, (-3...3).contains(p.multiplier) else { return nil }
        return Double(p.value) * pow10(p.multiplier)
    }

    private static func pow10(_ m: Int) -> Double {
        var r = 1.0
        for _ in 0..<abs(m) { r *= 10 }
        return m < 0 ? 1 / r : r
    }

    // MARK: Status and schedule

    /// AC_EVSEStatus (ISO 15118-2:2014 §8.5.3.4): NotificationMaxDelay 0 s — the station wants the reaction now.
    static func acStatus(_ notification: ISO2EVSENotificationType, rcd: Bool) -> ISO2ACEVSEStatusType {
        ISO2ACEVSEStatusType(notificationMaxDelay: 0, evseNotification: notification, rcd: rcd)
    }

    /// The schedule the station offers (SAScheduleTupleID 1): the connector's power over the time the vehicle asked for
    /// (its departure), or 24 hours when it gave none ([V2G2-303]/[V2G2-304]: the schedule covers the departure time,
    /// else at least 24 h), one PMaxScheduleEntry per period of the backend's profiles (``HLCConnectorView/schedule``),
    /// the last with its duration to the end. The momentary limit travels as EVSEMaxCurrent.
    static func schedule(_ entries: [(startSeconds: Int, watts: Double)], departureInSeconds: UInt32?) -> ISO2SAScheduleListType {
        let horizon = departureInSeconds.map { min(Int($0), 86_400) } ?? 86_400
        let kept = entries.filter { $0.startSeconds < horizon }
        let pMax = kept.enumerated().map { i, e in
            ISO2PMaxScheduleEntryType(
                timeInterval: .relativeTimeInterval(ISO2RelativeTimeIntervalType(
                    start: e.startSeconds, duration: i == kept.count - 1 ? max(horizon - e.startSeconds, 1) : nil)),
                pMax: physical(e.watts, .w))
        }
        return ISO2SAScheduleListType(saScheduleTuple: [
            ISO2SAScheduleTupleType(saScheduleTupleID: scheduleTupleID, pMaxSchedule: ISO2PMaxScheduleType(pMaxScheduleEntry: pMax))
        ])
    }

    static let scheduleTupleID = 1
    /// ServiceID of the contract certificate service (ISO 15118-2:2014 §8.6.2.3 Table 105: 2 = Certificate).
    static let certificateServiceID = 2

    static let certificateService = ISO2ServiceType(serviceID: certificateServiceID, serviceName: "Certificate",
                                                    serviceCategory: .contractCertificate, freeService: true)

    /// The certificate service's parameters (§8.6.3.6 Table 106): parameter set 1, Service = "Installation", and 2,
    /// Service = "Update" — both answered by the backend's Get15118EVCertificate (action Install or Update).
    static let certificateServiceParameters = ISO2ServiceParameterListType(parameterSet: [
        ISO2ParameterSetType(parameterSetID: 1, parameter: [ISO2ParameterType(name: "Service", stringValue: "Installation")]),
        ISO2ParameterSetType(parameterSetID: 2, parameter: [ISO2ParameterType(name: "Service", stringValue: "Update")])
    ])
    /// ServiceID of the charge service (ISO 15118-2:2014 §8.6.2.3: 1 = AC_DC_Charging).
    static let chargeServiceID = 1

    // MARK: FAILED responses

    /// The response to `request` with `code`, every mandatory field filled with a neutral value (no current, no
    /// schedule, EVSEProcessing Finished so that the vehicle does not wait; certificates of zeros). Nil for the
    /// requests an AC station never answers (DC): the connection then closes without an answer.
    static func failed(_ request: ISO2BodyElement?, _ code: ISO2ResponseCodeType, evseID: String, rcd: Bool) -> ISO2BodyElement? {
        let status = acStatus(.none, rcd: rcd)
        switch request {
        case .sessionSetupReq?: return .sessionSetupRes(ISO2SessionSetupResType(responseCode: code, evseid: evseID))
        case .serviceDiscoveryReq?:
            return .serviceDiscoveryRes(ISO2ServiceDiscoveryResType(
                responseCode: code, paymentOptionList: ISO2PaymentOptionListType(paymentOption: [.externalPayment]),
                chargeService: chargeService(modes: [.ac_single_phase_core])))
        case .serviceDetailReq(let r)?:
            return .serviceDetailRes(ISO2ServiceDetailResType(responseCode: code, serviceID: r.serviceID))
        case .paymentServiceSelectionReq?: return .paymentServiceSelectionRes(ISO2PaymentServiceSelectionResType(responseCode: code))
        case .paymentDetailsReq?:
            return .paymentDetailsRes(ISO2PaymentDetailsResType(responseCode: code, genChallenge: [UInt8](repeating: 0, count: 16), evseTimeStamp: 0))
        case .authorizationReq?: return .authorizationRes(ISO2AuthorizationResType(responseCode: code, evseProcessing: .finished))
        case .chargeParameterDiscoveryReq?:
            return .chargeParameterDiscoveryRes(ISO2ChargeParameterDiscoveryResType(
                responseCode: code, evseProcessing: .finished,
                evseChargeParameter: .ac_EVSEChargeParameter(ISO2ACEVSEChargeParameterType(
                    acEVSEStatus: status, evseNominalVoltage: physical(0, .v), evseMaxCurrent: physical(0, .a)))))
        case .powerDeliveryReq?: return .powerDeliveryRes(ISO2PowerDeliveryResType(responseCode: code, evseStatus: .ac_EVSEStatus(status)))
        case .chargingStatusReq?:
            return .chargingStatusRes(ISO2ChargingStatusResType(responseCode: code, evseid: evseID, saScheduleTupleID: scheduleTupleID,
                                                                receiptRequired: false, acEVSEStatus: status))
        case .meteringReceiptReq?: return .meteringReceiptRes(ISO2MeteringReceiptResType(responseCode: code, evseStatus: .ac_EVSEStatus(status)))
        case .sessionStopReq?: return .sessionStopRes(ISO2SessionStopResType(responseCode: code))
        case .certificateInstallationReq?:
            // Every field is mandatory: empty chains, a key of zeros and a placeholder eMAID of the schema's lengths.
            let p = placeholderContract
            return .certificateInstallationRes(ISO2CertificateInstallationResType(
                responseCode: code, saProvisioningCertificateChain: p.chain, contractSignatureCertChain: p.contract,
                contractSignatureEncryptedPrivateKey: p.key, dHpublickey: p.dh, eMAID: p.eMAID))
        case .certificateUpdateReq?:
            let p = placeholderContract
            return .certificateUpdateRes(ISO2CertificateUpdateResType(
                responseCode: code, saProvisioningCertificateChain: p.chain, contractSignatureCertChain: p.contract,
                contractSignatureEncryptedPrivateKey: p.key, dHpublickey: p.dh, eMAID: p.eMAID))
        default:
            return nil
        }
    }

    /// The mandatory fields of a failed certificate response: one-byte chains, a key of zeros, a placeholder eMAID.
    static let placeholderContract = (
        chain: ISO2CertificateChainType(certificate: [0]), contract: ISO2CertificateChainType(id: "id1", certificate: [0]),
        key: ISO2ContractSignatureEncryptedPrivateKeyType(id: "id2", value: [UInt8](repeating: 0, count: 48)),
        dh: ISO2DiffieHellmanPublickeyType(id: "id3", value: [UInt8](repeating: 0, count: 65)),
        eMAID: ISO2EMAIDType(id: "id4", value: "ZZ00000000000X"))

    /// ChargeService of ServiceDiscoveryRes (ISO 15118-2:2014 §8.5.2.3): the AC charge service, not free of charge
    /// (payment is the station's business, by card or contract).
    static func chargeService(modes: [ISO2EnergyTransferModeType]) -> ISO2ChargeServiceType {
        ISO2ChargeServiceType(serviceID: chargeServiceID, serviceCategory: .evCharging, freeService: false,
                              supportedEnergyTransferMode: ISO2SupportedEnergyTransferModeType(energyTransferMode: modes))
    }
}
