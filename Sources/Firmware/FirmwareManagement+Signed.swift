#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The signed firmware update of the OCPP 1.6 security extension (whitepaper ed. 3 §5.12–5.13, use case L01) on the
/// firmware machine: the same download, hold, install and restart as UpdateFirmware, with the signature verified
/// between download and install and every status reported with the request's requestId.
///
/// Sequence: [DownloadScheduled] → Downloading → Downloaded → SignatureVerified | InvalidSignature → [InstallScheduled]
/// → Installing → InstallRebooting → (restart) → Installed; failure ends DownloadFailed, InvalidSignature,
/// InstallationFailed. The signing certificate was checked against the manufacturer roots before the request was
/// answered (L01.FR.02: the charge point's handler does that, it needs the certificate store).
extension FirmwareManagement {
    /// What SignedUpdateFirmware is answered with, as the machine decides it.
    public enum SignedUpdateOutcome: Sendable, Equatable {
        case accepted
        /// A waiting or downloading update was replaced (L01.FR.24 AcceptedCanceled).
        case acceptedCanceled
        /// An installation runs and cannot be cancelled.
        case rejected
    }

    /// SignedUpdateFirmware.req with a signing certificate that was found valid: the download starts at
    /// `retrieveDate`; a waiting or downloading update is cancelled, an installing one is not.
    public mutating func signedUpdateFirmware(requestId: Int, location: String, retrieveDate: Date, installDate: Date?,
                                              signingCertificate: String, signature: String, retries: Int?,
                                              retryIntervalSeconds: Int?, now: Date) -> (SignedUpdateOutcome, [Action]) {
        if let f = firmware, [.installing, .restarting].contains(f.phase) { return (.rejected, []) }
        let replaced = firmware != nil
        var job = FirmwareUpdateJob(location: location, phase: .waiting, nextAttemptAt: retrieveDate,
                                    attemptsLeft: 1 + max(0, retries ?? Self.defaultRetries),
                                    retryIntervalSeconds: max(0, retryIntervalSeconds ?? Self.defaultRetryIntervalSeconds))
        job.requestId = requestId
        job.signingCertificate = signingCertificate
        job.signature = signature
        job.installAt = installDate
        var actions: [Action] = []
        if replaced, firmware?.phase == .downloaded { actions.append(.holdConnectors(false)) }
        firmware = job
        actions.append(.persist(job))
        if retrieveDate > now { actions.append(notify(.downloadScheduled, job)) }
        return (replaced ? .acceptedCanceled : .accepted, actions)
    }

    /// The signature check of a signed package ended (``Action/verifySignature(signingCertificate:signature:)``).
    public mutating func signatureChecked(valid: Bool, now: Date) -> [Action] {
        guard var f = firmware, f.phase == .verifying else { return [] }
        guard valid else {
            firmware = nil
            return [.persist(nil), notify(.invalidSignature, f), .signatureRejected]
        }
        f.phase = .downloaded
        firmware = f
        var actions: [Action] = [.persist(f), notify(.signatureVerified, f)]
        if let at = f.installAt, at > now { actions.append(notify(.installScheduled, f)) }
        return actions + [.holdConnectors(true)]
    }
}
