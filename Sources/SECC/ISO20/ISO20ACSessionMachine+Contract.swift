#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import EXI

/// Plug & Charge in the ISO 15118-20 session (ISO 15118-20:2022 §8.3.4.3.9 CertificateInstallation, §8.3.4.3.2
/// AuthorizationSetup and §8.3.4.3.3 Authorization with PnC_AReqAuthorizationMode): AuthorizationSetupRes offers the contract
/// with a 16-byte challenge; the vehicle's AuthorizationReq carries its contract chain and the challenge, signed with
/// the contract key. The SECC checks what it can itself (the challenge, the chain as in ISO 15118-2, the signature)
/// and hands the contract to the station, which authorizes the eMAID with the backend.
///
/// Unlike ISO 15118-2, a contract the SECC cannot accept is a WARNING with EVSEProcessing Finished, not the end of
/// the session: the vehicle may choose again (external identification, or another contract); only a bad signature
/// ends it (FAILED_SignatureError).
extension ISO20ACSessionMachine {
    /// Whether the contract is offered: Plug & Charge configured (only on TLS connections) and a challenge drawn.
    var contractOffered: Bool { configuration.contract != nil && genChallenge.count == 16 }

    /// Whether the certificate installation service is offered (AuthorizationSetupRes CertificateInstallationService):
    /// with the contract, when the backend installs certificates.
    var installationOffered: Bool { contractOffered && configuration.contract?.certificateInstallation == true }

    /// AuthorizationSetupRes (§8.3.4.3.2): EIM always, PnC with its challenge where offered; the schema lets the
    /// response carry one of the two modes' parameters, so PnC's (the challenge) when it is offered.
    func authorizationSetupResponse() -> ISO20CommonAuthorizationSetupResType {
        ISO20CommonAuthorizationSetupResType(
            header: header, responseCode: .ok, authorizationServices: contractOffered ? [.eim, .pnC] : [.eim],
            certificateInstallationService: installationOffered,
            eimASResAuthorizationMode: contractOffered ? nil : ISO20CommonEIMASResAuthorizationModeType(),
            pnCASResAuthorizationMode: contractOffered ? ISO20CommonPnCASResAuthorizationModeType(genChallenge: genChallenge) : nil)
    }

    /// The contract's checks of an AuthorizationReq that selects PnC; `proceed` when the request may go on to the
    /// authorization's common answer (Finished once the station authorized the contract, Ongoing until then). The
    /// first request is checked whole: the challenge (WARNING_ChallengeInvalid), the chain (``ContractChain``:
    /// WARNING_CertificateExpired, WARNING_CertificateNotYetValid, WARNING_NoCertificateAvailable with no root,
    /// WARNING_CertificateValidationError for the rest), then the signature over PnC_AReqAuthorizationMode
    /// (FAILED_SignatureError). The vehicle repeats the same request while the answer is Ongoing ([V2G20-1582]); a
    /// different one is checked again. A contract the station refused is WARNING_GeneralPnCAuthorizationError.
    mutating func contractAuthorization(_ r: ISO20CommonAuthorizationReqType, view: HLCConnectorView) -> ContractStep {
        let request = ISO20Request.common(.authorizationReq(r))
        guard contractOffered, let mode = r.pnCAReqAuthorizationMode else {
            return .answer(warning(.warning_AuthorizationSelectionInvalid))
        }
        var events: [SECCEvent] = []
        if verifiedContract != mode {
            verifiedContract = nil
            guard mode.genChallenge == genChallenge else { return .answer(warning(.warning_ChallengeInvalid)) }
            let settings = configuration.contract ?? SECCContractSettings(roots: [], centralValidationAllowed: false)
            let ders = [mode.contractCertificateChain.certificate] + mode.contractCertificateChain.subCertificates.certificate
            let contract: ContractChain
            switch ContractChain.check(ders, eMAID: nil, allowP521: true, settings: settings, date: date) {
            case .success(let c): contract = c
            case .failure(let failure):
                let code: ISO20CommonResponseCodeType = switch failure {
                case .expired: .warning_CertificateExpired
                case .notYetValid: .warning_CertificateNotYetValid
                case .noRoot: .warning_NoCertificateAvailable
                default: .warning_CertificateValidationError
                }
                return .answer(warning(code, events: [.failed(responseCode: code.rawValue, request: "AuthorizationReq", reason: failure.description)]))
            }
            do { try ISO20Signature.verify(r.header.signature, element: ISO20Signature.node(mode), id: mode.id, key: contract.key) } catch {
                return .answer(fail(request, .failed_SignatureError, error.description, view))
            }
            verifiedContract = mode
            events.append(.contractPresented(eMAID: contract.commonName, chainPEM: contract.pem))
        }
        if view.contractRejected {
            return .answer(warning(.warning_GeneralPnCAuthorizationError, events: events + [.failed(
                responseCode: ISO20CommonResponseCodeType.warning_GeneralPnCAuthorizationError.rawValue, request: "AuthorizationReq",
                reason: "the contract was refused")]))
        }
        return .proceed(events: events)
    }

    /// What the contract's checks decided: an answer now, or the authorization's common answer with these events.
    enum ContractStep {
        case answer(Outcome)
        case proceed(events: [SECCEvent])
    }

    /// AuthorizationRes with a WARNING: EVSEProcessing Finished, the session goes on in the same state, so the vehicle
    /// may select again (§8.3.4.3.3).
    private func warning(_ code: ISO20CommonResponseCodeType, events: [SECCEvent] = []) -> Outcome {
        Outcome(response: .common(.authorizationRes(ISO20CommonAuthorizationResType(header: header, responseCode: code, evseProcessing: .finished))),
                close: false, events: events)
    }

    /// CertificateInstallationReq (§8.3.4.3.9), after AuthorizationSetupRes offered the service: the request goes to the
    /// backend whole (Get15118EVCertificate, action Install); the signature over the OEM provisioning chain is the
    /// certificate provisioning service's to check.
    mutating func certificateInstallation(_ r: ISO20CommonCertificateInstallationReqType) -> Outcome {
        state = .waitBackendCertificate
        pendingInstallation = r
        return Outcome(response: nil, close: false, events: [], forward: .install)
    }

    /// The backend's CertificateInstallationRes (nil: none in time, or not that response): sent as it came, after
    /// which the vehicle authorizes with its new contract. Without one the vehicle gets WARNING_NoCertificateAvailable
    /// with the response's mandatory fields at placeholder values, and may go on with another authorization; a FAILED
    /// code of the backend ends the session.
    mutating func certificateAnswered(_ response: ISO20CommonCertificateInstallationResType?, view: HLCConnectorView) -> Outcome {
        guard state == .waitBackendCertificate, pendingInstallation != nil else { return Outcome(response: nil, close: true, events: []) }
        pendingInstallation = nil
        state = .waitAuthorization
        guard let response else {
            let code = ISO20CommonResponseCodeType.warning_NoCertificateAvailable
            return Outcome(response: .common(.certificateInstallationRes(ISO20Messages.placeholderInstallation(header: header, code: code))),
                           close: false, events: [.failed(responseCode: code.rawValue, request: "CertificateInstallationReq",
                                                          reason: "the backend gave no contract certificate")])
        }
        guard !response.responseCode.rawValue.hasPrefix("FAILED") else {
            state = .closed
            return Outcome(response: nil, close: true, events: [.failed(responseCode: response.responseCode.rawValue, request: "CertificateInstallationReq",
                                                                        reason: "the backend refused the installation")], relay: true)
        }
        return Outcome(response: nil, close: false, events: [], relay: true)
    }
}
