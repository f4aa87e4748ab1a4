#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import EXI
import PKI
import SwiftASN1
import X509

/// Plug & Charge in the ISO 15118-2 session (ISO 15118-2:2014 §8.4.3.9 PaymentDetails, §8.4.3.7 Authorization with
/// the contract's signature, Annex F for the contract certificate): the vehicle presents its contract chain, the SECC
/// checks what it can check itself and hands the contract to the station, which authorizes the eMAID with the backend;
/// the vehicle then proves it holds the contract key by signing the SECC's challenge.
extension ISO2SessionMachine {
    /// PaymentDetailsRes: the chain's checks (``ContractChain``, the eMAID being the leaf's CN) with ISO 15118-2's
    /// codes — FAILED_CertificateExpired for a certificate not valid now, FAILED_NoCertificateAvailable with no root
    /// installed, FAILED_CertChainError for the rest. The answer carries the challenge to sign.
    mutating func paymentDetails(_ r: ISO2PaymentDetailsReqType, view: HLCConnectorView, date: Date) -> Outcome {
        let element = ISO2BodyElement.paymentDetailsReq(r)
        let settings = configuration.contract ?? SECCContractSettings(roots: [], centralValidationAllowed: false)
        let ders = [r.contractSignatureCertChain.certificate] + (r.contractSignatureCertChain.subCertificates?.certificate ?? [])
        let contract: ContractChain
        switch ContractChain.check(ders, eMAID: r.eMAID, settings: settings, date: date) {
        case .success(let c): contract = c
        case .failure(let failure):
            let code: ISO2ResponseCodeType = switch failure {
            case .notYetValid, .expired: .failed_CertificateExpired
            case .noRoot: .failed_NoCertificateAvailable
            default: .failed_CertChainError
            }
            return fail(element, code, failure.description, view)
        }
        contractKey = contract.key
        challengeAnswered = false
        state = .waitAuthorization
        return respond(.paymentDetailsRes(ISO2PaymentDetailsResType(responseCode: .ok, genChallenge: genChallenge,
                                                                    evseTimeStamp: Int(date.timeIntervalSince1970))),
                       events: [.contractPresented(eMAID: contract.commonName, chainPEM: contract.pem)])
    }

    /// The contract's checks of an AuthorizationReq, nil when it may go on: the first request returns the challenge
    /// ([V2G2-684], [V2G2-697]: FAILED_ChallengeInvalid) and carries a valid signature over itself
    /// (FAILED_SignatureError, ``ISO2Signature``); the later ones of the Ongoing loop are not signed. A contract the
    /// station refused ends the session with FAILED.
    mutating func contractAuthorization(_ r: ISO2AuthorizationReqType, header: ISO2MessageHeaderType, view: HLCConnectorView) -> Outcome? {
        let element = ISO2BodyElement.authorizationReq(r)
        if !challengeAnswered {
            guard let challenge = r.genChallenge, challenge == genChallenge else {
                return fail(element, .failed_ChallengeInvalid, "AuthorizationReq does not return PaymentDetailsRes's GenChallenge", view)
            }
            guard let key = contractKey else { return fail(element, .failed, "no contract was presented", view) }
            do { try ISO2Signature.verify(header.signature, element: ISO2Signature.node(r), id: r.id, key: key) } catch {
                return fail(element, .failed_SignatureError, error.description, view)
            }
            challengeAnswered = true
        }
        if view.contractRejected { return fail(element, .failed, "the contract was refused", view) }
        return nil
    }

    /// CertificateUpdateReq (ISO 15118-2:2014 §8.4.3.10): the vehicle renews the contract it holds, signing the
    /// request with that contract's key (§7.9.2.4: the header's Signature references the request's Id) — checked
    /// here with the leaf of the chain it sends (FAILED_SignatureError, FAILED_CertChainError for a leaf that is
    /// not DER X.509 with a P-256 key); the backend then checks the contract and issues the new one.
    mutating func certificateUpdate(_ r: ISO2CertificateUpdateReqType, header: ISO2MessageHeaderType, view: HLCConnectorView) -> Outcome {
        let element = ISO2BodyElement.certificateUpdateReq(r)
        guard let leaf = try? Certificate(derEncoded: r.contractSignatureCertChain.certificate),
              let key = P256.Signing.PublicKey(leaf.publicKey) else {
            return fail(element, .failed_CertChainError, "the contract certificate to update is not DER X.509 with a P-256 key", view)
        }
        do {
            try ISO2Signature.verify(header.signature, element: ISO2Signature.node(r), id: r.id, key: .p256(key))
        } catch {
            return fail(element, .failed_SignatureError, error.description, view)
        }
        state = .waitBackendCertificate
        pendingCertificateRequest = element
        return Outcome(response: nil, close: false, events: [], forward: .update)
    }

    /// The backend's answer to CertificateInstallationReq or CertificateUpdateReq (nil: none in time, or not the
    /// response of the request's type): sent as it came, after which the vehicle presents its new contract in
    /// PaymentDetailsReq; a FAILED code of the backend ends the session like the SECC's own. Without an answer the
    /// vehicle gets FAILED_NoCertificateAvailable.
    mutating func certificateAnswered(_ response: ISO2BodyElement?, view: HLCConnectorView) -> Outcome {
        guard state == .waitBackendCertificate, let request = pendingCertificateRequest else {
            return Outcome(response: nil, close: true, events: [])
        }
        pendingCertificateRequest = nil
        let code: ISO2ResponseCodeType
        switch (request, response) {
        case (.certificateInstallationReq, .certificateInstallationRes(let r)?): code = r.responseCode
        case (.certificateUpdateReq, .certificateUpdateRes(let r)?): code = r.responseCode
        default:
            return fail(request, .failed_NoCertificateAvailable, "the backend gave no contract certificate", view)
        }
        let failed = code.rawValue.hasPrefix("FAILED")
        state = failed ? .closed : .waitPaymentDetails
        let events: [SECCEvent] = failed
            ? [.failed(responseCode: code.rawValue, request: ISO2Messages.name(of: request), reason: "the backend refused the contract certificate")]
            : []
        return Outcome(response: nil, close: failed, events: events, relay: true)
    }
}
