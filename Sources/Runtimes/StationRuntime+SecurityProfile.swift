import ChargePoint
import Hosting
import Logging
import OCPP16
import Persistence
import Transport

/// The security profile in the runtime (OCPP 1.6 security whitepaper ed. 3 §2, A01, A05): the connection's settings
/// follow the profile, the password and the certificates; a change reconnects; a refused connection raises its
/// security event; a raised profile that cannot connect returns to the previous one. The rules are
/// ``BackendConnectionPlan`` and ``SecurityProfilePolicy``'s; this only carries them out.
extension StationRuntime {
    /// The settings of the next connection attempt under the parameters and certificates in force.
    func ocppConnectionSettings() -> OCPPConnectionSettings {
        let backend = BackendSettings(parameterService.values.effective(startedWith: startValues))
        let identity = controller.settings.chargeBoxIdentity
        let profile = SecurityProfile(rawValue: parameterService.values[.securityProfile]) ?? .none
        let store: any CertificateStore = ocpp?.certificates ?? NoCertificateStore()
        let roots = (try? store.rootCertificates(.centralSystemRootCertificate)) ?? []
        let credential = profile == .tlsWithClientCertificate ? ((try? store.chargePointCredential()) ?? nil) : nil
        let plan = BackendConnectionPlan.make(profile, settings: backend, connectionURL: BackendURL.connectionURL(backend.url, identity: identity),
                                              centralSystemRoots: roots, credential: credential)
        if let problem = plan.problem, problem != ocpp?.lastPlanProblem { logger.warning("\(problem)") }
        ocpp?.lastPlanProblem = plan.problem
        return OCPPConnectionSettings(
            baseURL: backend.url, connectionURL: plan.url, chargeBoxIdentity: identity, basicAuthPassword: plan.basicAuthPassword,
            proxy: backend.proxy, pingInterval: .seconds(backend.pingIntervalSeconds), connectTimeout: backend.messageTimeout,
            tlsStrictness: TLSStrictness(rawValue: plan.sslStrictness) ?? .normal, watchdog: .seconds(backend.tcpWatchdogSeconds),
            tls: OCPPTLSMaterial(trustRootsPEM: plan.trustRootsPEM, clientCertificateChainPEM: plan.clientCredential?.certificateChainPEM,
                                 clientPrivateKeyPEM: plan.clientCredential?.privateKeyPEM, whitepaperCipherSuites: plan.whitepaperCipherSuites))
    }

    /// The next connection uses the settings in force; `reconnect` closes the open one so that it happens now.
    func refreshOCPPConnection(reconnect: Bool) {
        guard let control = ocpp?.control else { return }
        control.update(ocppConnectionSettings())
        if reconnect { control.reconnect() }
    }

    /// After a parameter change: a new security profile or password applies at once (A01: the charge point reconnects
    /// with the new password, OCTT TC_073; A05: with the new profile, TC_083).
    func securitySettingsChanged(before: ParameterSet) {
        let keys = [StationParameters.securityProfile, StationParameters.authorizationKey, StationParameters.authorizationKeyEncoding]
        guard keys.contains(where: { parameterService.values.value($0) != before.value($0) }) else { return }
        logger.notice("security settings changed: reconnecting to the backend with security profile \(parameterService.values[.securityProfile])")
        refreshOCPPConnection(reconnect: true)
    }

    /// A connection attempt failed before the WebSocket opened: its security event (once per kind of failure in a
    /// row, so that a backend that stays unreachable does not fill the security log), and the fallback of a raised
    /// profile.
    func connectFailed(_ failure: OCPPConnectFailure, reason: String) {
        guard ocpp != nil else { return }
        if failure != ocpp!.lastConnectFailure, let event = Self.securityEvent(failure) {
            ocppEvent(.securityEvent(event, techInfo: reason))
        }
        ocpp!.lastConnectFailure = failure
        guard var fallback = (try? database.securityProfileFallback()) ?? nil,
              fallback.target == parameterService.values[.securityProfile] else { return }
        if fallback.attemptFailed() {
            logger.warning("no connection with security profile \(fallback.target) after \(fallback.failedAttempts) attempts: back to profile \(fallback.previous) (OCPP security whitepaper A05)")
            do {
                try database.setSecurityProfileFallback(nil)
                let before = parameterService.values
                let view = try parameterService.set(StationParameters.securityProfile, .integer(fallback.previous), role: .manufacturer,
                                                    changedBy: "ocpp:SecurityProfile fallback", now: clock.now())
                try applied([view], before: before, changedBy: "ocpp:SecurityProfile fallback")
            } catch {
                logger.error("returning to security profile \(fallback.previous) failed: \(error)")
            }
        } else {
            do { try database.setSecurityProfileFallback(fallback) } catch {
                logger.error("recording the attempts with security profile \(fallback.target) failed: \(error)")
            }
        }
    }

    /// The WebSocket opened: a raised profile is confirmed.
    func securityProfileConnected() {
        ocpp?.lastConnectFailure = nil
        guard let fallback = (try? database.securityProfileFallback()) ?? nil else { return }
        do { try database.setSecurityProfileFallback(nil) } catch {
            logger.error("confirming security profile \(fallback.target) failed: \(error)")
            return
        }
        logger.notice("connected with security profile \(fallback.target)")
    }

    /// The security event of a refused connection (whitepaper ed. 3 §8), nil for a backend that is only unreachable.
    static func securityEvent(_ failure: OCPPConnectFailure) -> SecurityEventType? {
        switch failure {
        case .serverCertificate: .invalidCentralSystemCertificate
        case .tlsVersion: .invalidTLSVersion
        case .cipherSuite: .invalidTLSCipherSuite
        case .authentication: .failedToAuthenticateAtCentralSystem
        case .other: nil
        }
    }
}
