#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ChargePoint
import OCPP16
import Logging
import PKI
import SECC
import Transport

/// Plug & Charge between the SECC and the backend (ISO 15118-2:2014 §8.4.3.9–§8.4.3.11; OCA application note "Using
/// ISO 15118 Plug & Charge with OCPP 1.6" v1.0): the SECC's TLS credential and the roots it checks contracts with come
/// from the station's certificate store (installed by the backend: CertificateSigned for the SECC chain,
/// InstallCertificate for the V2G and MO roots); a presented contract is authorized like a card, with the backend
/// asked through the note's Authorize; a certificate installation goes to the backend as Get15118EVCertificate and its
/// answer back to the vehicle.
extension StationRuntime {
    /// The SECC's TLS credential while the mode offers Plug & Charge (nil: no TLS server — the mode does not offer it,
    /// OCPP is off, or the backend has not installed a SECC certificate yet).
    public func seccTLSCredential() -> ChargePointCredential? {
        guard controller.settings.hlc.mode == .plugAndCharge, let store = ocpp?.certificates else { return nil }
        return OCPPChargePoint.seccCredential(store)
    }

    /// What the SECC checks a contract with, while the mode offers Plug & Charge and OCPP runs (nil otherwise).
    func seccContractSettings() -> SECCContractSettings? {
        guard controller.settings.hlc.mode == .plugAndCharge, let store = ocpp?.certificates else { return nil }
        let values = parameterService.values
        return SECCContractSettings(roots: OCPPChargePoint.contractRoots(store),
                                    centralValidationAllowed: values[.centralContractValidationAllowed],
                                    certificateInstallation: values[.iso15118OCPPExtension] == .ebee)
    }

    /// PaymentDetailsReq's contract on connector `n`: authorized like a card through the station's authorization
    /// (the lists first, then the backend with the chain's OCSP data). A contract that cannot be asked about is refused
    /// at once, so that the vehicle hears FAILED instead of waiting.
    func seccContractPresented(connector n: Int, eMAID: String, chainPEM: String) {
        secc.contractRejected.remove(n)
        guard let store = ocpp?.certificates else {
            secc.contractRejected.insert(n)
            logger.warning("Plug & Charge contract \(eMAID) refused: OCPP does not run", metadata: ["connector": "\(n)"])
            return
        }
        do {
            ocppEvent(.iso15118(try OCPPChargePoint.contractRequest(connector: n, chainPEM: chainPEM, store: store)))
        } catch {
            secc.contractRejected.insert(n)
            logger.warning("Plug & Charge contract \(eMAID) refused: \(error)", metadata: ["connector": "\(n)"])
        }
    }

    /// The backend's (or the lists') verdict on a contract: a refusal reaches the vehicle as AuthorizationRes FAILED.
    func seccContractDecided(connector n: Int, accepted: Bool) {
        if accepted { secc.contractRejected.remove(n) } else { secc.contractRejected.insert(n) }
    }

    /// The vehicle's CertificateInstallationReq or CertificateUpdateReq, asked of the backend (Get15118EVCertificate,
    /// action Install or Update, the request's schema); the EXI of the backend's response, or nil when it refused or
    /// did not answer within ``certificateInstallationWait`` (the vehicle's own timeout is 5 s, ISO 15118-2:2014
    /// Table 109).
    public func seccBackendRequest(connector n: Int, _ forward: SECCForward) async -> [UInt8]? {
        secc.certificateRequests += 1
        let id = secc.certificateRequests
        let answer: String? = await withCheckedContinuation { continuation in
            secc.certificateWaits[id] = continuation
            ocppEvent(.iso15118(.requestEVCertificate(requestID: id, exiRequest: forward.exiRequest,
                                                      action: forward.action == .install ? .install : .update,
                                                      schemaVersion: forward.schemaVersion)))
            Task { [weak self] in
                try? await Task.sleep(for: Self.certificateInstallationWait)
                await self?.seccCertificateAnswered(requestID: id, exiResponse: nil)
            }
        }
        guard let answer, let data = Data(base64Encoded: answer) else {
            logger.warning("Plug & Charge certificate installation: no answer of the backend to hand on", metadata: ["connector": "\(n)"])
            return nil
        }
        return Array(data)
    }

    /// How long the SECC waits for the backend's certificate: the SECC's share of the vehicle's 5 s.
    static var certificateInstallationWait: Duration { .milliseconds(4500) }

    /// The backend answered Get15118EVCertificate `requestID` (or the wait ended): the SECC's wait ends. Returns
    /// whether the request was the SECC's.
    @discardableResult
    func seccCertificateAnswered(requestID: Int, exiResponse: String?) -> Bool {
        guard let waiting = secc.certificateWaits.removeValue(forKey: requestID) else { return false }
        waiting.resume(returning: exiResponse)
        return true
    }
}
