#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Firmware
import OCPP16

extension OCPPChargePoint {
    /// How often InvalidMessages is raised at most: a central system that keeps sending malformed frames must not
    /// flood the security log (and itself) with one event per frame.
    public static let invalidMessagesIntervalSeconds: Double = 60

    /// Raises a security event of the OCPP 1.6 security whitepaper (edition 3, §8, use case A04): every handler that
    /// detects one calls this, and the runtime hands its own through ``Event/securityEvent(_:techInfo:)``.
    ///
    /// Every event goes into the station's rolling security log (A04.FR.04). Its SecurityEventNotification is queued in
    /// the persistent OCPP queue in the same write, so it is delivered once its turn comes, in order, with a message id
    /// that survives a restart, and retired only when the central system answered:
    /// - a critical event (§8's table, ``SecurityEventType/critical``) is always queued, also while offline
    ///   (A04.FR.02: guaranteed delivery);
    /// - a non-critical one is queued only while the central system is online (connected and accepted). The whitepaper
    ///   asks for guaranteed delivery only of critical events; a non-critical one raised offline (a refused TLS
    ///   certificate is raised exactly then) stays in the security log, where GetLog finds it.
    mutating func securityEvent(_ type: SecurityEventType, techInfo: String?, _ env: inout OCPPEnvironment) {
        let info = techInfo.map { String($0.prefix(SecurityLogPolicy.techInfoMaxCharacters)) }
        out.append(.log(type.critical ? .warning : .notice, "security event \(type.rawValue)\(info.map { ": \($0)" } ?? "")"))
        let notify = type.critical || online
        let payload = notify ? OCPPCoding.encode(SecurityEventNotificationRequest(type: type.rawValue, timestamp: env.now, techInfo: info)).serialized : nil
        do {
            try env.store.recordSecurityEvent(type: type.rawValue, techInfo: info, critical: type.critical, at: env.now, notification: payload)
            if notify { headStale = true }
        } catch {
            out.append(.log(.error, "recording the security event \(type.rawValue) failed: \(error)"))
        }
    }

    /// A malformed frame of the central system: InvalidMessages, at most once per ``invalidMessagesIntervalSeconds``;
    /// the next event counts those in between.
    mutating func invalidMessage(_ reason: String, _ env: inout OCPPEnvironment) {
        if let last = lastInvalidMessageEvent, env.now >= last, env.now.timeIntervalSince(last) < Self.invalidMessagesIntervalSeconds {
            suppressedInvalidMessages += 1
            return
        }
        let more = suppressedInvalidMessages > 0 ? " (and \(suppressedInvalidMessages) more since the last event)" : ""
        lastInvalidMessageEvent = env.now
        suppressedInvalidMessages = 0
        securityEvent(.invalidMessages, techInfo: String(reason.prefix(200)) + more, &env)
    }

    /// Whether a failed CALL of the station's queue is one the central system does not implement (SteVe answers
    /// SecurityEventNotification with CALLERROR NotImplemented): such a message is retired at once, so that it
    /// cannot hold up the queue behind it. Transaction messages keep their retry rule (OCPP 1.6 §4.10).
    static func unsupportedByCentralSystem(action: String, code: String) -> Bool {
        action == SecurityEventNotificationRequest.action
            && (code == OCPPErrorCode.notImplemented.rawValue || code == OCPPErrorCode.notSupported.rawValue)
    }
}

/// Which parameters are security parameters: a change of one through any path (web, API, CLI, ChangeConfiguration)
/// raises ReconfigurationOfSecurityParameters (OCPP 1.6 security whitepaper ed. 3 §8).
public enum SecurityParameters {
    /// The connection's security and the security extension's keys (by name: some are declared elsewhere).
    public static let names: Set<String> = [
        StationParameters.authorizationKey, StationParameters.authorizationKeyEncoding, StationParameters.backendURL,
        StationParameters.sslStrictness, StationParameters.websocketsProxy,
        "SecurityProfile", "CpoName", "AdditionalRootCertificateCheck", "CertificateSignedMaxChainSize", "CertificateStoreMaxLength",
    ]

    /// The security parameters among `changed` (parameter names, in order, without repeats): the named ones and every
    /// secret of the registry (passwords and keys).
    public static func changed(_ changed: [String], secretKeys: Set<String>) -> [String] {
        var seen: Set<String> = []
        return changed.filter { (names.contains($0) || secretKeys.contains($0)) && seen.insert($0).inserted }
    }
}

extension OCPPChargePoint {
    /// The status a triggered SignedFirmwareStatusNotification reports (ExtendedTriggerMessage, whitepaper ed. 3
    /// L01.FR.28/29): the last status of a signed update with its requestId, Idle (without one) after Installed or when
    /// none ran since the start.
    public var signedFirmwareStatusNotification: SignedFirmwareStatusNotificationRequest {
        guard let last = lastSignedFirmwareStatus, last.status != .installed else { return .init(status: .idle) }
        return last
    }

    /// The log status a triggered LogStatusNotification reports (ExtendedTriggerMessage, whitepaper ed. 3 N01.FR.12):
    /// Uploading with GetLog's requestId while one is under way, else Idle without a requestId.
    public var logStatusNotification: LogStatusNotificationRequest {
        let (status, requestId) = firmware.logStatus
        return LogStatusNotificationRequest(status: UploadLogStatus(rawValue: status.rawValue) ?? .idle, requestId: requestId)
    }
}
