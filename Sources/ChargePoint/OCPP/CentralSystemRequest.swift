#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Authorization
import EVSECore
import OCPP16

/// A request of the central system that the station answers: the typed handler of one OCPP action. The compiler pairs
/// it with its response type (``OCPPRequest/Response``), and ``OCPPChargePoint`` finds it through the action catalogue
/// (``OCPP16Catalog``), so there is no switch on action names. A handler may command the station and queue CALLs on
/// the charge point; they go out after its answer. Handlers are grouped by feature profile (OCPP 1.6 §3.2).
///
/// Throwing an ``OCPPError`` answers with that CALLERROR; any other error answers InternalError.
public protocol CentralSystemRequest: OCPPRequest {
    static func answer(_ request: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                        _ env: inout OCPPEnvironment) throws -> Response
}

// MARK: Core profile (OCPP 1.6 §5)

extension GetConfigurationRequest: CentralSystemRequest {
    /// OCPP 1.6 §5.8: the known keys asked for (all without a list), and the unknown ones.
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) -> Response {
        let (known, unknown) = OCPPConfigurationKeys.get(r.key ?? [], env.parameters.values,
                                                         .init(supportedProfiles: OCPPChargePoint.supportedProfiles,
                                                               allowLongKeys: cp.settings.allowLongConfigurationKeys, now: env.now,
                                                               phaseSwitchSupported: station.phaseSwitchSupported,
                                                               meterPublicKeys: station.meterPublicKeys))
        return Response(configurationKey: known, unknownKey: unknown.isEmpty ? nil : unknown)
    }
}

extension ChangeConfigurationRequest: CentralSystemRequest {
    /// OCPP 1.6 §5.3: a key maps to one or more registry parameters (OCPPConfigurationKeys); they are stored with the
    /// backend's role, and RebootRequired says the value waits for a restart.
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) -> Response {
        if r.key.lowercased() == StationParameters.securityProfile.lowercased() { return raiseSecurityProfile(r.value, &cp, &env) }
        // The log names the key, never the value, nor a refusal that repeats it when the key is a secret (AuthorizationKey).
        let secretKey = env.parameters.registry.secretKeys.contains(r.key)
        switch OCPPConfigurationKeys.change(key: r.key, value: r.value, env.parameters.values, .init(supportedProfiles: OCPPChargePoint.supportedProfiles)) {
        case .notSupported:
            return Response(status: .notSupported)
        case .rejected(let why):
            cp.out.append(.log(.info, "ChangeConfiguration of \(r.key) rejected" + (secretKey ? "" : ": \(why)")))
            return Response(status: .rejected)
        case .apply(let values, let rebootRequired):
            let before = env.parameters.values
            var views: [ParameterView] = []
            defer { if !views.isEmpty { cp.out.append(.parametersChanged(views, before: before, changedBy: "ocpp")) } }
            do {
                for (k, v) in values.sorted(by: { $0.key < $1.key }) {
                    views.append(try env.parameters.set(k, v, role: OCPPConfigurationKeys.backendRole, changedBy: "ocpp", now: env.now))
                }
            } catch {
                let secret = secretKey || values.keys.contains { env.parameters.registry.secretKeys.contains($0) }
                cp.out.append(.log(.info, "ChangeConfiguration of \(r.key) rejected" + (secret ? "" : ": \(error)")))
                return Response(status: .rejected)
            }
            return Response(status: rebootRequired ? .rebootRequired : .accepted)
        }
    }
}

extension RemoteStartTransactionRequest: CentralSystemRequest {
    /// OCPP 1.6 §5.11; connector 0 is not a connector (Rejected).
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) -> Response {
        if let c = r.connectorId, c <= 0 { return Response(status: .rejected) }
        let started = station.remoteStart(idTag: r.idTag, connector: r.connectorId, authorize: station.settings.sendAuthorizeForRemoteStart,
                                          chargingProfile: r.chargingProfile, now: env.now)
        return Response(status: started == nil ? .rejected : .accepted)
    }
}

extension RemoteStopTransactionRequest: CentralSystemRequest {
    /// OCPP 1.6 §5.12: the transaction is found by the transactionId the backend assigned.
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) throws -> Response {
        guard let s = try env.store.openSession(transactionID: r.transactionId) else { return Response(status: .rejected) }
        return Response(status: station.stopSession(connector: s.session.connector, reason: .remote, now: env.now) ? .accepted : .rejected)
    }
}

extension ResetRequest: CentralSystemRequest {
    /// OCPP 1.6 §5.14: accepted; the runtime stops the transactions and the services restart once their
    /// StopTransactions are delivered (``OCPPChargePoint/Action/reset(_:)``). With StopTxOnReset false (seeds/002 §2.3
    /// "Whether to stop charging on reset") the transactions are left running and the services restart at once: the
    /// station resumes them after the restart as after a power loss (Restart transaction after power loss), or closes
    /// them with reason Reboot.
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) -> Response {
        // Security whitepaper ed. 3 §8: ResetOrReboot (critical) is logged and queued before the station restarts.
        cp.securityEvent(.resetOrReboot, techInfo: "\(r.type.rawValue) reset requested by the central system", &env)
        if cp.settings.stopTransactionsOnReset {
            cp.out.append(.reset(r.type))
        } else {
            cp.out.append(.log(.notice, "\(r.type.rawValue) reset requested by the backend; transactions go on (StopTxOnReset false)"))
            cp.requestRestart(now: env.now)
        }
        return Response(status: .accepted)
    }
}

extension ChangeAvailabilityRequest: CentralSystemRequest {
    /// OCPP 1.6 §5.2: connector 0 is the whole station; the availability is persistent (it survives a restart), and a
    /// connector with a running transaction changes when it ends (Scheduled).
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) -> Response {
        guard r.connectorId == 0 || (1...station.connectorCount).contains(r.connectorId) else { return Response(status: .rejected) }
        let operative = r.type == .operative
        let outcome = station.changeAvailability(connector: r.connectorId, operative: operative, now: env.now)
        for t in r.connectorId == 0 ? Array(1...station.connectorCount) : [r.connectorId] {
            do { try env.store.setPersistedAvailability(connector: t, operative: operative) } catch {
                cp.out.append(.log(.error, "storing the availability of connector \(t) failed: \(error)"))
            }
        }
        return Response(status: outcome)
    }
}

extension UnlockConnectorRequest: CentralSystemRequest {
    /// How many UnlockConnector CALLs may wait for the same connector's lock detect (a flood gets GenericError).
    static let maximumWaiting = 8

    /// OCPP 1.6 §5.18. The answer says what the plug did, so it waits for the lock detect (at most 2 s).
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) throws -> Response {
        guard cp.unlockCalls[r.connectorId, default: []].count < maximumWaiting else {
            throw OCPPError(.genericError, "\(maximumWaiting) UnlockConnector requests already wait for connector \(r.connectorId)")
        }
        if let outcome = station.unlock(connector: r.connectorId, now: env.now) { return Response(status: outcome) }
        // The lock detect has not followed yet: answered with the station's ``ControllerNotice/unlockFinished``.
        cp.unlockCalls[r.connectorId, default: []].append(env.callID)
        env.answerLater = true
        return Response(status: .unlockFailed)
    }
}

extension DataTransferRequest: CentralSystemRequest {
    /// OCPP 1.6 §5.6: the one vendor the station knows is the OCA application note's for ISO 15118 Plug & Charge
    /// (``ISO15118PnC/vendorID``, while the extension is on: ``OCPPChargePoint/answerPnC(_:_:_:)``); any other is
    /// UnknownVendorId.
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) -> Response {
        guard r.vendorId == ISO15118PnC.vendorID, OCPPChargePoint.pncEnabled(env) else { return Response(status: .unknownVendorId) }
        return cp.answerPnC(r, &station, &env)
    }
}

extension ClearCacheRequest: CentralSystemRequest {
    /// OCPP 1.6 §5.4: Rejected while the authorization cache is switched off.
    public static func answer(_ r: Self, _ cp: inout OCPPChargePoint, _ station: inout StationController,
                                 _ env: inout OCPPEnvironment) throws -> Response {
        guard station.authorization.settings.cacheEnabled else { return Response(status: .rejected) }
        try station.clearAuthorizationCache(now: env.now)
        return Response(status: .accepted)
    }
}
