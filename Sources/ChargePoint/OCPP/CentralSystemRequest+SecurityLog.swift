#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Firmware
import OCPP16
import PKI

// MARK: Security extension: logs (OCPP 1.6 security whitepaper ed. 3 §5.9, use case N01)

extension GetLogRequest: CentralSystemRequest {
    /// N01: Accepted with the name of the one file that will be uploaded, AcceptedCanceled when an upload under way was
    /// cancelled for it (N01.FR.06/07), Rejected for a location the station cannot upload to (ftp, http, https).
    /// The diagnostics log is the archive GetDiagnostics uploads; the security log is a CSV export of the security
    /// log's entries from oldestTimestamp to latestTimestamp.
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) -> Response {
        guard FirmwareManagement.transferable(r.log.remoteLocation) else {
            cp.out.append(.log(.warning, "GetLog: '\(r.log.remoteLocation)' is not an ftp://, http:// or https:// URL; rejected"))
            return Response(status: .rejected)
        }
        let kind: LogKind = r.logType == .securityLog ? .security : .diagnostics
        let stamp = String(OCPPDate.format(env.now).filter { $0 != ":" && $0 != "-" }).prefix(15)
        let name = String((kind == .security ? "securitylog-\(cp.chargeBoxIdentity)-\(stamp).csv"
                                             : "diagnostics-\(cp.chargeBoxIdentity)-\(stamp).tar.gz").prefix(255))
        let (canceled, actions) = cp.firmware.getLog(kind, requestId: r.requestId, location: r.log.remoteLocation, fileName: name,
                                                     oldest: r.log.oldestTimestamp, latest: r.log.latestTimestamp, retries: r.retries,
                                                     retryIntervalSeconds: r.retryInterval, now: env.now)
        cp.runFirmware(actions, &station, &env)
        cp.out.append(.log(.notice, "GetLog \(r.logType.rawValue) \(r.requestId) to \(r.log.remoteLocation)\(canceled ? "; the earlier upload is cancelled" : "")"))
        return Response(status: canceled ? .acceptedCanceled : .accepted, filename: name)
    }
}

// MARK: Security extension: signed firmware (whitepaper ed. 3 §5.12, use case L01)

extension SignedUpdateFirmwareRequest: CentralSystemRequest {
    /// L01: the signing certificate is checked against the installed ManufacturerRootCertificates before the answer
    /// (L01.FR.02): a certificate that does not chain to one, or is not valid now, is answered InvalidCertificate and
    /// raises InvalidFirmwareSigningCertificate. Otherwise the firmware machine takes the update (Accepted, or
    /// AcceptedCanceled when it replaced one that waited or downloaded; Rejected while an installation runs).
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) -> Response {
        guard FirmwareManagement.transferable(r.firmware.location) else {
            cp.out.append(.log(.warning, "SignedUpdateFirmware: '\(r.firmware.location)' is not an ftp://, http:// or https:// URL; rejected"))
            return Response(status: .rejected)
        }
        do {
            let roots = try env.certificates.rootCertificates(.manufacturerRootCertificate)
            _ = try FirmwareSigning.verifySigningCertificate(r.firmware.signingCertificate, roots: roots, now: env.now)
        } catch {
            let why = (error as? PKIError)?.description ?? "the certificate store cannot be read: \(error)"
            cp.out.append(.log(.warning, "SignedUpdateFirmware \(r.requestId): signing certificate refused: \(why)"))
            cp.securityEvent(.invalidFirmwareSigningCertificate, techInfo: why, &env)
            return Response(status: .invalidCertificate)
        }
        let (outcome, actions) = cp.firmware.signedUpdateFirmware(
            requestId: r.requestId, location: r.firmware.location, retrieveDate: r.firmware.retrieveDateTime,
            installDate: r.firmware.installDateTime, signingCertificate: r.firmware.signingCertificate, signature: r.firmware.signature,
            retries: r.retries, retryIntervalSeconds: r.retryInterval, now: env.now)
        cp.runFirmware(actions, &station, &env)
        switch outcome {
        case .accepted:
            cp.out.append(.log(.notice, "signed firmware update \(r.requestId) from \(r.firmware.location) at \(OCPPDate.format(r.firmware.retrieveDateTime))"))
            return Response(status: .accepted)
        case .acceptedCanceled:
            cp.out.append(.log(.notice, "signed firmware update \(r.requestId) replaces the update under way"))
            return Response(status: .acceptedCanceled)
        case .rejected:
            cp.out.append(.log(.notice, "signed firmware update \(r.requestId) rejected: an installation runs"))
            return Response(status: .rejected)
        }
    }
}
