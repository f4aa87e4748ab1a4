#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ChargePoint
import EVSECore
import Logging
import OCPP16
import PKI

/// The runtime's side of ISO 15118 Plug & Charge over OCPP 1.6 (OCA application note "Using ISO 15118 Plug & Charge
/// with OCPP 1.6" v1.0) until the SECC exists: the backend's answers are logged, and a simulated Plug & Charge vehicle
/// (`chargekit sim plug --contract FILE`) has its contract presented right after it is plugged, as the SECC will do
/// after PaymentDetailsReq (ISO 15118-2:2014 §8.4.3.9).
extension StationRuntime {
    /// An answer of the backend for the SECC (``ChargePoint/OCPPChargePoint/Action/iso15118(_:)``).
    func iso15118Outcome(_ outcome: ISO15118Outcome) {
        switch outcome {
        case .contract(let n, let eMAID, let status, let certificateStatus):
            seccContractDecided(connector: n, accepted: status == .accepted)
            logger.info("Plug & Charge contract \(eMAID): \(status.rawValue)\(certificateStatus.map { ", certificate \($0.rawValue)" } ?? "")",
                        metadata: ["connector": "\(n)"])
        case .evCertificate(let id, let response):
            logger.info("Get15118EVCertificate \(id): \(response?.status.rawValue ?? "no answer")")
            seccCertificateAnswered(requestID: id, exiResponse: response?.status == .accepted ? response?.exiResponse : nil)
        case .ocspStatus(let id, let response):
            logger.info("GetCertificateStatus \(id): \(response?.status.rawValue ?? "no answer")")
        }
    }

    /// What a simulated Plug & Charge vehicle has its SECC ask the backend once it is plugged: the authorization of its
    /// contract (PaymentDetailsReq) and the installation of a contract certificate (CertificateInstallationReq). A
    /// value that is not one is the plug command's error (HTTP 400), naming the field.
    func simulatedVehicleRequests(_ r: PlugRequest) throws(SimulatorCommandError) -> [ISO15118Request] {
        guard r.contractCertificateChain != nil || r.certificateInstallationRequest != nil else { return [] }
        guard let store = ocpp?.certificates else {
            throw SimulatorCommandError(.conflict, "contractCertificateChain: Plug & Charge needs the OCPP backend (OCPP mode OCPP-J 1.6)")
        }
        var requests: [ISO15118Request] = []
        if let exi = r.certificateInstallationRequest {
            guard !exi.isEmpty, exi.utf8.count <= 5600, exi.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+/=".contains($0)) }) else {
                throw SimulatorCommandError(.invalid, "certificateInstallationRequest: base64 of at most 5600 characters is allowed")
            }
            simulatedEVCertificateRequests += 1
            requests.append(.requestEVCertificate(requestID: simulatedEVCertificateRequests, exiRequest: exi, action: .install,
                                                  schemaVersion: "urn:iso:15118:2:2013:MsgDef"))
        }
        if let chain = r.contractCertificateChain {
            do { requests.append(try OCPPChargePoint.contractRequest(connector: r.connector, chainPEM: chain, store: store)) } catch {
                throw SimulatorCommandError(.invalid, "contractCertificateChain: \(error.description)")
            }
        }
        return requests
    }
}
