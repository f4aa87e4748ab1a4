/// The types the messages of the OCPP 1.6 security extension share ("Improved security for OCPP 1.6-J", OCA,
/// edition 3, 2022-02-17). The extension adds no feature profile to OCPP 1.6: its messages are catalogued under
/// ``FeatureProfile/security``, which is never reported in SupportedFeatureProfiles.

/// CertificateUseEnumType (whitepaper §5.1): the root certificates a central system may install, list and delete.
public enum CertificateUse: String, OCPPEnumeration {
    case centralSystemRootCertificate = "CentralSystemRootCertificate"
    case manufacturerRootCertificate = "ManufacturerRootCertificate"
}

/// The security events of whitepaper §8 (SecurityEventNotification.type). The message's `type` is a free string of at
/// most 50 characters; these are the names the whitepaper lists, with whether each is critical — a critical event is
/// pushed to the central system with guaranteed delivery (A04.FR.02), every event goes into the security log
/// (A04.FR.04).
public enum SecurityEventType: String, Sendable, CaseIterable, Equatable {
    case firmwareUpdated = "FirmwareUpdated"
    case failedToAuthenticateAtCentralSystem = "FailedToAuthenticateAtCentralSystem"
    case centralSystemFailedToAuthenticate = "CentralSystemFailedToAuthenticate"
    case settingSystemTime = "SettingSystemTime"
    case startupOfTheDevice = "StartupOfTheDevice"
    case resetOrReboot = "ResetOrReboot"
    case securityLogWasCleared = "SecurityLogWasCleared"
    case reconfigurationOfSecurityParameters = "ReconfigurationOfSecurityParameters"
    case memoryExhaustion = "MemoryExhaustion"
    case invalidMessages = "InvalidMessages"
    case attemptedReplayAttacks = "AttemptedReplayAttacks"
    case tamperDetectionActivated = "TamperDetectionActivated"
    case invalidFirmwareSignature = "InvalidFirmwareSignature"
    case invalidFirmwareSigningCertificate = "InvalidFirmwareSigningCertificate"
    case invalidCentralSystemCertificate = "InvalidCentralSystemCertificate"
    case invalidChargePointCertificate = "InvalidChargePointCertificate"
    case invalidTLSVersion = "InvalidTLSVersion"
    case invalidTLSCipherSuite = "InvalidTLSCipherSuite"

    /// Whether the whitepaper's table (§8) marks the event critical.
    public var critical: Bool {
        switch self {
        case .firmwareUpdated, .settingSystemTime, .startupOfTheDevice, .resetOrReboot, .securityLogWasCleared,
             .memoryExhaustion, .tamperDetectionActivated:
            true
        default:
            false
        }
    }
}
