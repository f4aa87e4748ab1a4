#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EXI

/// Building blocks of the ISO 15118-20 AC responses: rational numbers, the AC service's parameter sets, and a
/// schema-valid response with a FAILED code for every request (ISO 15118-20:2022 §8.3.4: every message carries its own
/// Header with the SessionID and a time stamp; a FAILED response still carries every mandatory field).
enum ISO20Messages {
    /// RationalNumberType (ISO 15118-20:2022 §8.3.5.3.2: Value · 10^Exponent, Value a short): `x` exactly with the
    /// exponent nearest to 0 that fits, as ``ISO2Messages/physical(_:_:)`` does for ISO 15118-2.
    static func rational(_ x: Double) -> (exponent: Int, value: Int) {
        let p = ISO2Messages.physical(x, .w)
        return (p.multiplier, p.value)
    }

    static func common(_ x: Double) -> ISO20CommonRationalNumberType {
        let r = rational(x); return ISO20CommonRationalNumberType(exponent: r.exponent, value: r.value)
    }

    static func ac(_ x: Double) -> ISO20ACRationalNumberType {
        let r = rational(x); return ISO20ACRationalNumberType(exponent: r.exponent, value: r.value)
    }

    static func value(_ r: ISO20ACRationalNumberType) -> Double? { value(exponent: r.exponent, value: r.value) }
    static func value(_ r: ISO20CommonRationalNumberType) -> Double? { value(exponent: r.exponent, value: r.value) }

    /// The number a vehicle sent; nil for an exponent beyond what any physical quantity here needs (|e| > 9).
    static func value(exponent: Int, value: Int) -> Double? {
        guard (-9...9).contains(exponent) else { return nil }
        var scale = 1.0
        for _ in 0..<abs(exponent) { scale *= 10 }
        return exponent < 0 ? Double(value) / scale : Double(value) * scale
    }

    /// ServiceID of AC charging (ISO 15118-20:2022 Table 204: 1 = AC, 2 = DC, 5 = AC_BPT, 6 = DC_BPT).
    static let acServiceID = 1
    /// ControlMode values of the AC service's parameters (ISO 15118-20:2022 Table 205).
    enum ControlMode: Int { case scheduled = 1, dynamic = 2 }

    /// The AC service's parameter sets (ISO 15118-20:2022 §8.4.3.2.2, Table 205): Dynamic first — the station steers
    /// the power every loop (EVSETargetActivePower), which is how its limit chain reaches the vehicle — then Scheduled;
    /// the connector as wired (1 single phase, 2 three phase), the nominal voltage, mobility needs from the vehicle, no
    /// pricing.
    static func parameterSets(phases: Int, nominalVoltageV: Double) -> [ISO20CommonParameterSetType] {
        [ControlMode.dynamic, .scheduled].enumerated().map { i, mode in
            ISO20CommonParameterSetType(parameterSetID: i + 1, parameter: [
                ISO20CommonParameterType(name: "Connector", intValue: phases >= 3 ? 2 : 1),
                ISO20CommonParameterType(name: "ControlMode", intValue: mode.rawValue),
                ISO20CommonParameterType(name: "EVSENominalVoltage", intValue: Int(nominalVoltageV.rounded())),
                ISO20CommonParameterType(name: "MobilityNeedsMode", intValue: 1),
                ISO20CommonParameterType(name: "Pricing", intValue: 0),
            ])
        }
    }

    static func controlMode(parameterSetID: Int) -> ControlMode? {
        switch parameterSetID {
        case 1: .dynamic
        case 2: .scheduled
        default: nil
        }
    }

    // MARK: FAILED responses

    /// The response to `request` with `code` and every mandatory field at a neutral value; nil for the requests this
    /// station cannot answer in kind (metering confirmation, vehicle check-in/out), after which the connection closes.
    static func failed(_ request: ISO20Request, _ code: ISO20CommonResponseCodeType, header: ISO20CommonMessageHeaderType,
                       evseID: String) -> ISO20Response? {
        switch request {
        case .common(let m):
            switch m {
            case .sessionSetupReq: return .common(.sessionSetupRes(ISO20CommonSessionSetupResType(header: header, responseCode: code, evseid: evseID)))
            case .authorizationSetupReq:
                return .common(.authorizationSetupRes(ISO20CommonAuthorizationSetupResType(
                    header: header, responseCode: code, authorizationServices: [.eim], certificateInstallationService: false,
                    eimASResAuthorizationMode: ISO20CommonEIMASResAuthorizationModeType())))
            case .authorizationReq:
                return .common(.authorizationRes(ISO20CommonAuthorizationResType(header: header, responseCode: code, evseProcessing: .finished)))
            case .serviceDiscoveryReq:
                return .common(.serviceDiscoveryRes(ISO20CommonServiceDiscoveryResType(
                    header: header, responseCode: code, serviceRenegotiationSupported: false,
                    energyTransferServiceList: ISO20CommonServiceListType(service: [ISO20CommonServiceType(serviceID: acServiceID, freeService: false)]))))
            case .serviceDetailReq(let r):
                return .common(.serviceDetailRes(ISO20CommonServiceDetailResType(
                    header: header, responseCode: code, serviceID: r.serviceID,
                    serviceParameterList: ISO20CommonServiceParameterListType(parameterSet: Array(parameterSets(phases: 3, nominalVoltageV: 230).prefix(1))))))
            case .serviceSelectionReq: return .common(.serviceSelectionRes(ISO20CommonServiceSelectionResType(header: header, responseCode: code)))
            case .scheduleExchangeReq:
                return .common(.scheduleExchangeRes(ISO20CommonScheduleExchangeResType(
                    header: header, responseCode: code, evseProcessing: .finished, dynamicSEResControlMode: ISO20CommonDynamicSEResControlModeType())))
            case .powerDeliveryReq: return .common(.powerDeliveryRes(ISO20CommonPowerDeliveryResType(header: header, responseCode: code)))
            case .sessionStopReq: return .common(.sessionStopRes(ISO20CommonSessionStopResType(header: header, responseCode: code)))
            case .certificateInstallationReq: return .common(.certificateInstallationRes(placeholderInstallation(header: header, code: code)))
            default: return nil
            }
        case .ac(let m):
            let acHeader = ISO20ACMessageHeaderType(sessionID: header.sessionID, timeStamp: header.timeStamp)
            let acCode = ISO20ACResponseCodeType(rawValue: code.rawValue) ?? .failed
            switch m {
            case .ac_ChargeParameterDiscoveryReq:
                return .ac(.ac_ChargeParameterDiscoveryRes(ISO20ACACChargeParameterDiscoveryResType(
                    header: acHeader, responseCode: acCode,
                    acCPDResEnergyTransferMode: .ac_CPDResEnergyTransferMode(ISO20ACACCPDResEnergyTransferModeType(
                        evseMaximumChargePower: ac(0), evseMinimumChargePower: ac(0), evseNominalFrequency: ac(50))))))
            case .ac_ChargeLoopReq:
                return .ac(.ac_ChargeLoopRes(ISO20ACACChargeLoopResType(
                    header: acHeader, responseCode: acCode,
                    clResControlMode: .dynamic_AC_CLResControlMode(ISO20ACDynamicACCLResControlModeType(evseTargetActivePower: ac(0))))))
            default: return nil
            }
        }
    }
}

extension ISO20Messages {
    /// A CertificateInstallationRes without a contract (§8.3.4.3.9.3: every field is mandatory): one-byte
    /// certificates, a SECP521 key share and encrypted key of zeros of the schema's lengths (133 and 94 bytes).
    static func placeholderInstallation(header: ISO20CommonMessageHeaderType, code: ISO20CommonResponseCodeType) -> ISO20CommonCertificateInstallationResType {
        let chain = ISO20CommonContractCertificateChainType(certificate: [0], subCertificates: ISO20CommonSubCertificatesType(certificate: [[0]]))
        return ISO20CommonCertificateInstallationResType(
            header: header, responseCode: code, evseProcessing: .finished,
            cpsCertificateChain: ISO20CommonCertificateChainType(certificate: [0]),
            signedInstallationData: ISO20CommonSignedInstallationDataType(
                id: "id1", contractCertificateChain: chain, ecdhCurve: .sECP521, dhPublicKey: [UInt8](repeating: 0, count: 133),
                secp521EncryptedPrivateKey: [UInt8](repeating: 0, count: 94)),
            remainingContractCertificateChains: 0)
    }
}

/// A decoded ISO 15118-20 request: the common messages (V2GTP payload type 0x8002) or the AC ones (0x8003).
enum ISO20Request: Sendable {
    case common(EXI.ISO20Common.Message)
    case ac(EXI.ISO20AC.Message)
}

/// An ISO 15118-20 response, sent with the payload type of its schema.
enum ISO20Response: Sendable {
    case common(EXI.ISO20Common.Message)
    case ac(EXI.ISO20AC.Message)
}
