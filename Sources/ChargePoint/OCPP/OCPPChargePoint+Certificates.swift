#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import OCPP16
import PKI
import X509

/// The renewal of the charge point certificate (OCPP 1.6 security whitepaper ed. 3, use case A03: the charge point
/// starts the A02 flow itself a month before its certificate expires). The whitepaper gives no retry rule for A03; the
/// back-off follows the ISO 15118 application note's CertSigningWaitMinimum/CertSigningRepeatTimes idea: when no
/// CertificateSigned follows a CSR, the next one goes after ``firstRetrySeconds``, doubling up to ``maxRetrySeconds``.
public struct CertificateRenewal: Sendable, Equatable {
    /// A03: renew this long before the certificate's notAfter.
    public static let leadSeconds: Double = 30 * 86_400
    /// How often the expiry is looked at while nothing is due.
    public static let checkIntervalSeconds: Double = 3600
    public static let firstRetrySeconds: Double = 3600
    public static let maxRetrySeconds: Double = 86_400

    /// When the expiry is looked at next (nil: at the next tick while online).
    public internal(set) var nextCheck: Date?
    /// CSRs sent by A03 without a CertificateSigned since.
    public internal(set) var attempts = 0

    /// The wait after the `attempts`-th unanswered CSR.
    public static func retrySeconds(after attempts: Int) -> Double {
        min(maxRetrySeconds, firstRetrySeconds * Double(1 << min(max(attempts - 1, 0), 16)))
    }

    /// A CertificateSigned was installed: the back-off ends.
    mutating func signed(now: Date) {
        attempts = 0
        nextCheck = now.addingTimeInterval(Self.checkIntervalSeconds)
    }
}

extension OCPPChargePoint {
    /// A02/A03: makes a new key pair, keeps its private key as the pending one (durable before anything is sent: a
    /// CertificateSigned may come after a restart) and queues SignCertificate with the CSR (O = CpoName, CN = the
    /// charge point identity). False when it cannot: no CpoName (A02.FR.13), or the key cannot be stored.
    mutating func requestCertificate(_ env: inout OCPPEnvironment) -> Bool {
        let cpoName = env.parameters.values[.cpoName]
        guard !cpoName.isEmpty else {
            out.append(.log(.warning, "no certificate requested: CpoName is empty (it is the CSR's organization)"))
            return false
        }
        let key = makeKey()
        let csr: String
        do {
            csr = try SigningRequest.make(key: key, organization: cpoName, commonName: chargeBoxIdentity)
            try env.certificates.savePendingPrivateKey(key.pem)
        } catch {
            out.append(.log(.error, "no certificate requested: \(error)"))
            return false
        }
        enqueue(SignCertificateRequest(csr: csr))
        out.append(.log(.info, "SignCertificate queued (O=\(cpoName), CN=\(chargeBoxIdentity))"))
        return true
    }

    /// A03: once an hour, whether the charge point certificate ends within a month; if so a CSR goes out, again after
    /// the back-off while no CertificateSigned arrives.
    mutating func watchCertificateExpiry(_ env: inout OCPPEnvironment) {
        let now = env.now
        if let next = certificateRenewal.nextCheck, now < next { return }
        certificateRenewal.nextCheck = now.addingTimeInterval(CertificateRenewal.checkIntervalSeconds)
        guard let credential = try? env.certificates.chargePointCredential(),
              let leaf = try? PEMCertificates.parse(credential.certificateChainPEM).first else { return }
        guard leaf.notValidAfter.timeIntervalSince(now) <= CertificateRenewal.leadSeconds else {
            certificateRenewal.attempts = 0
            return
        }
        out.append(.log(.notice, "the charge point certificate expires at \(OCPPDate.format(leaf.notValidAfter)): requesting a new one (A03)"))
        if requestCertificate(&env) {
            certificateRenewal.attempts += 1
            certificateRenewal.nextCheck = now.addingTimeInterval(CertificateRenewal.retrySeconds(after: certificateRenewal.attempts))
        }
    }
}
