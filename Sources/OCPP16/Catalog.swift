/// The OCPP 1.6 feature profiles (OCPP 1.6 §3.2; `SupportedFeatureProfiles`).
public enum FeatureProfile: String, Sendable, CaseIterable {
    case core = "Core"
    case firmwareManagement = "FirmwareManagement"
    case localAuthListManagement = "LocalAuthListManagement"
    case reservation = "Reservation"
    case smartCharging = "SmartCharging"
    case remoteTrigger = "RemoteTrigger"
    /// Not a feature profile of OCPP 1.6: the messages of the security extension ("Improved security for OCPP 1.6-J",
    /// edition 3), which a charge point supports beside its profiles. Never listed in SupportedFeatureProfiles.
    case security = "Security"

    /// Hashed by case, not by its raw value: every CALL looks its profile up in the supported set, and hashing the
    /// name cost more than the rest of the check of a small payload (callgrind, issue 31). Equality is unchanged.
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .core: hasher.combine(0 as UInt8)
        case .firmwareManagement: hasher.combine(1 as UInt8)
        case .localAuthListManagement: hasher.combine(2 as UInt8)
        case .reservation: hasher.combine(3 as UInt8)
        case .smartCharging: hasher.combine(4 as UInt8)
        case .remoteTrigger: hasher.combine(5 as UInt8)
        case .security: hasher.combine(6 as UInt8)
        }
    }
}

/// Who sends a CALL of an action.
public enum MessageDirection: Sendable, Equatable {
    case chargePointToCentralSystem
    case centralSystemToChargePoint
    case both
}

/// Every OCPP 1.6 action with its profile, direction and request type.
public enum OCPP16Catalog {
    public struct Entry: Sendable {
        public var profile: FeatureProfile
        public var direction: MessageDirection
        public var request: any OCPPRequest.Type
    }

    private static func e(_ p: FeatureProfile, _ d: MessageDirection, _ r: any OCPPRequest.Type) -> (String, Entry) {
        (r.action, Entry(profile: p, direction: d, request: r))
    }

    public static let entries: [String: Entry] = Dictionary(uniqueKeysWithValues: [
        e(.core, .chargePointToCentralSystem, AuthorizeRequest.self),
        e(.core, .chargePointToCentralSystem, BootNotificationRequest.self),
        e(.core, .centralSystemToChargePoint, ChangeAvailabilityRequest.self),
        e(.core, .centralSystemToChargePoint, ChangeConfigurationRequest.self),
        e(.core, .centralSystemToChargePoint, ClearCacheRequest.self),
        e(.core, .both, DataTransferRequest.self),
        e(.core, .centralSystemToChargePoint, GetConfigurationRequest.self),
        e(.core, .chargePointToCentralSystem, HeartbeatRequest.self),
        e(.core, .chargePointToCentralSystem, MeterValuesRequest.self),
        e(.core, .centralSystemToChargePoint, RemoteStartTransactionRequest.self),
        e(.core, .centralSystemToChargePoint, RemoteStopTransactionRequest.self),
        e(.core, .centralSystemToChargePoint, ResetRequest.self),
        e(.core, .chargePointToCentralSystem, StartTransactionRequest.self),
        e(.core, .chargePointToCentralSystem, StatusNotificationRequest.self),
        e(.core, .chargePointToCentralSystem, StopTransactionRequest.self),
        e(.core, .centralSystemToChargePoint, UnlockConnectorRequest.self),
        e(.firmwareManagement, .centralSystemToChargePoint, GetDiagnosticsRequest.self),
        e(.firmwareManagement, .chargePointToCentralSystem, DiagnosticsStatusNotificationRequest.self),
        e(.firmwareManagement, .chargePointToCentralSystem, FirmwareStatusNotificationRequest.self),
        e(.firmwareManagement, .centralSystemToChargePoint, UpdateFirmwareRequest.self),
        e(.localAuthListManagement, .centralSystemToChargePoint, GetLocalListVersionRequest.self),
        e(.localAuthListManagement, .centralSystemToChargePoint, SendLocalListRequest.self),
        e(.reservation, .centralSystemToChargePoint, ReserveNowRequest.self),
        e(.reservation, .centralSystemToChargePoint, CancelReservationRequest.self),
        e(.smartCharging, .centralSystemToChargePoint, SetChargingProfileRequest.self),
        e(.smartCharging, .centralSystemToChargePoint, ClearChargingProfileRequest.self),
        e(.smartCharging, .centralSystemToChargePoint, GetCompositeScheduleRequest.self),
        e(.remoteTrigger, .centralSystemToChargePoint, TriggerMessageRequest.self),
        e(.security, .chargePointToCentralSystem, SignCertificateRequest.self),
        e(.security, .centralSystemToChargePoint, CertificateSignedRequest.self),
        e(.security, .centralSystemToChargePoint, InstallCertificateRequest.self),
        e(.security, .centralSystemToChargePoint, DeleteCertificateRequest.self),
        e(.security, .centralSystemToChargePoint, GetInstalledCertificateIdsRequest.self),
        e(.security, .centralSystemToChargePoint, ExtendedTriggerMessageRequest.self),
        e(.security, .chargePointToCentralSystem, SecurityEventNotificationRequest.self),
        e(.security, .centralSystemToChargePoint, GetLogRequest.self),
        e(.security, .chargePointToCentralSystem, LogStatusNotificationRequest.self),
        e(.security, .centralSystemToChargePoint, SignedUpdateFirmwareRequest.self),
        e(.security, .chargePointToCentralSystem, SignedFirmwareStatusNotificationRequest.self),
    ])

    /// Checks an incoming CALL: NotImplemented for an unknown action, NotSupported for an action of a profile
    /// the receiver does not support (OCPP-J §4.2.3, OCTT TC_042_1/TC_043_1), else the payload's schema.
    public static func validateCall(action: String, payload: JSONValue, supported: Set<FeatureProfile>) throws(OCPPError) {
        guard let entry = entries[action] else { throw OCPPError(.notImplemented, "unknown action \(action)") }
        guard supported.contains(entry.profile) else {
            throw OCPPError(.notSupported, "\(action) belongs to the \(entry.profile.rawValue) profile, which is not supported")
        }
        try entry.request.schema.validate(payload)
    }
}
