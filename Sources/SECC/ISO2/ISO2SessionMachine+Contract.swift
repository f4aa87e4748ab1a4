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
    /// PaymentDetailsRes: the eMAID must be the leaf's CN ignoring dashes and case (Annex F: the eMAID is the contract
    /// certificate's CN), every certificate valid now (FAILED_CertificateExpired), each signed by the next and the last
    /// by an installed V2G or MO root (FAILED_CertChainError; FAILED_NoCertificateAvailable with no root installed) —
    /// unless central validation is allowed, when the backend decides. The answer carries the challenge to sign.
    mutating func paymentDetails(_ r: ISO2PaymentDetailsReqType, view: HLCConnectorView, date: Date) -> Outcome {
        let element = ISO2BodyElement.paymentDetailsReq(r)
        let settings = configuration.contract ?? SECCContractSettings(roots: [], centralValidationAllowed: false)
        let ders = [r.contractSignatureCertChain.certificate] + (r.contractSignatureCertChain.subCertificates?.certificate ?? [])
        let chain: [Certificate]
        do { chain = try ders.map { try Certificate(derEncoded: $0) } } catch {
            return fail(element, .failed_CertChainError, "a certificate of the contract chain is not DER X.509: \(error)", view)
        }
        let leaf = chain[0]
        let commonName = leaf.subject.flatMap { $0 }.first { $0.type == .RDNAttributeType.commonName }.map { String(describing: $0.value) } ?? ""
        guard Self.normalizedEMAID(commonName) == Self.normalizedEMAID(r.eMAID), !commonName.isEmpty else {
            return fail(element, .failed_CertChainError, "eMAID \(r.eMAID) is not the contract certificate's CN (\(commonName))", view)
        }
        if let stale = chain.first(where: { !CertificateChecks.valid($0, at: date) }) {
            return fail(element, .failed_CertificateExpired, "a contract certificate is not valid now (\(stale.notValidBefore) … \(stale.notValidAfter))", view)
        }
        for i in chain.indices.dropLast() where !CertificateChecks.signed(chain[i], by: chain[i + 1]) {
            return fail(element, .failed_CertChainError, "contract certificate \(i + 1) is not signed by the next in the chain", view)
        }
        let anchored = settings.roots.contains { CertificateChecks.signed(chain[chain.count - 1], by: $0) }
        if !anchored && !settings.centralValidationAllowed {
            return settings.roots.isEmpty
                ? fail(element, .failed_NoCertificateAvailable, "no V2G or MO root is installed to check the contract with", view)
                : fail(element, .failed_CertChainError, "no installed V2G or MO root signed the contract chain", view)
        }
        guard let key = P256.Signing.PublicKey(leaf.publicKey) else {
            return fail(element, .failed_CertChainError, "the contract certificate's key is not ECDSA P-256", view)
        }
        let pem: String
        do { pem = try chain.map { try $0.serializeAsPEM().pemString }.joined(separator: "\n") } catch {
            return fail(element, .failed_CertChainError, "the contract chain cannot be written as PEM: \(error)", view)
        }
        contractKey = key
        challengeAnswered = false
        state = .waitAuthorization
        return respond(.paymentDetailsRes(ISO2PaymentDetailsResType(responseCode: .ok, genChallenge: genChallenge,
                                                                    evseTimeStamp: Int(date.timeIntervalSince1970))),
                       events: [.contractPresented(eMAID: commonName, chainPEM: pem)])
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

    /// The backend's answer to CertificateInstallationReq (nil: none in time, or not a CertificateInstallationRes):
    /// sent as it came, after which the vehicle presents its new contract in PaymentDetailsReq; a FAILED code of the
    /// backend ends the session like the SECC's own. Without an answer the vehicle gets FAILED_NoCertificateAvailable.
    mutating func certificateInstallationAnswered(_ response: ISO2CertificateInstallationResType?, view: HLCConnectorView) -> Outcome {
        guard state == .waitBackendCertificate, let request = pendingInstallation else {
            return Outcome(response: nil, close: true, events: [])
        }
        pendingInstallation = nil
        guard let response else {
            return fail(.certificateInstallationReq(request), .failed_NoCertificateAvailable, "the backend gave no contract certificate", view)
        }
        let failed = response.responseCode.rawValue.hasPrefix("FAILED")
        state = failed ? .closed : .waitPaymentDetails
        let events: [SECCEvent] = failed
            ? [.failed(responseCode: response.responseCode.rawValue, request: "CertificateInstallationReq", reason: "the backend refused the installation")]
            : []
        return Outcome(response: nil, close: failed, events: events)
    }

    static func normalizedEMAID(_ s: String) -> String {
        String(s.filter { $0 != "-" }).uppercased()
    }
}
