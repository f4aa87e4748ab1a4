import OCPP16
import Parameters

extension ChangeConfigurationRequest {
    /// ChangeConfiguration(SecurityProfile) (OCPP 1.6 security whitepaper ed. 3, A05): the profile can only be raised,
    /// and only when its prerequisites are installed (A05.FR.01–05; OCTT TC_083, TC_084). Accepted means: the new
    /// profile is stored, the station disconnects after this answer and connects with it; the previous profile is
    /// recorded first, so that the station returns to it when the new one cannot connect — even across a restart.
    static func raiseSecurityProfile(_ value: String, _ cp: inout OCPPChargePoint, _ env: inout OCPPEnvironment) -> Response {
        let current = env.parameters.values[.securityProfile]
        let refusal: String?
        if let target = Int(value) {
            let roots = (try? env.certificates.rootCertificates(.centralSystemRootCertificate).count) ?? 0
            let credential = (try? env.certificates.chargePointCredential()) ?? nil
            refusal = SecurityProfilePolicy.upgradeRefusal(from: current, to: target, authorizationKey: env.parameters.values[.authorizationKey],
                                                           centralSystemRoots: roots, hasChargePointCertificate: credential != nil)
        } else {
            refusal = "SecurityProfile must be a number from 0 to 3"
        }
        guard refusal == nil, let target = Int(value) else {
            cp.out.append(.log(.info, "ChangeConfiguration of SecurityProfile to \(value.prefix(20)) rejected: \(refusal ?? "")"))
            return Response(status: .rejected)
        }
        let before = env.parameters.values
        do {
            try env.store.setSecurityProfileFallback(SecurityProfileFallback(previous: current, target: target))
            let view = try env.parameters.set(StationParameters.securityProfile, .integer(target), role: OCPPConfigurationKeys.backendRole,
                                              changedBy: "ocpp", now: env.now)
            cp.out.append(.parametersChanged([view], before: before, changedBy: "ocpp"))
        } catch {
            try? env.store.setSecurityProfileFallback(nil)
            cp.out.append(.log(.error, "ChangeConfiguration of SecurityProfile to \(target) failed: \(error)"))
            return Response(status: .rejected)
        }
        cp.out.append(.log(.notice, "security profile raised from \(current) to \(target) by the backend; reconnecting"))
        return Response(status: .accepted)
    }
}
