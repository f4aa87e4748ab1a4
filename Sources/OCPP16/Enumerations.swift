/// An OCPP 1.6 enumeration: a Swift enum whose raw values are the spec's spellings, so that handlers switch over
/// cases and the compiler finds a missing one, while the wire format stays the spec's text. The schema of a field of
/// this type is derived from the cases, so the two cannot disagree.
///
/// - SeeAlso: OCPP 1.6 §7 (the enumerations of the Types chapter).
public protocol OCPPEnumeration: RawRepresentable, CaseIterable, Codable, Sendable, Hashable where RawValue == String {}

extension OCPPEnumeration {
    /// The schema of a field holding this enumeration.
    public static var schema: Schema { .enumeration(allCases.map(\.rawValue)) }
}

extension JSONFields {
    /// A required field holding an enumeration value.
    public func value<E: OCPPEnumeration>(_ key: String, _ type: E.Type) throws(OCPPError) -> E {
        guard let v = try optionalValue(key, type) else { throw missing(key) }
        return v
    }

    /// An optional field holding an enumeration value. A value outside the enumeration is a
    /// PropertyConstraintViolation (OCPP-J §4.2.3), as the schema check would have said.
    public func optionalValue<E: OCPPEnumeration>(_ key: String, _ type: E.Type) throws(OCPPError) -> E? {
        guard let s = try optionalString(key) else { return nil }
        guard let v = E(rawValue: s) else { throw OCPPError(.propertyConstraintViolation, "\(key) '\(s)' is not one of \(E.allCases.map(\.rawValue))") }
        return v
    }
}

/// The status of ClearCache, RemoteStart/StopTransaction, Reset and CancelReservation (OCPP 1.6 §7: ClearCacheStatus, RemoteStartStopStatus, ResetStatus, CancelReservationStatus).
public enum AcceptedRejected: String, OCPPEnumeration { case accepted = "Accepted", rejected = "Rejected" }

/// OCPP 1.6 §7 (Types) AuthorizationStatus.
public enum AuthorizationStatus: String, OCPPEnumeration {
    case accepted = "Accepted", blocked = "Blocked", expired = "Expired", invalid = "Invalid", concurrentTx = "ConcurrentTx"
}

/// OCPP 1.6 §7 (Types) RegistrationStatus (BootNotification.conf).
public enum RegistrationStatus: String, OCPPEnumeration { case accepted = "Accepted", pending = "Pending", rejected = "Rejected" }

/// OCPP 1.6 §7 (Types) ResetType.
public enum ResetType: String, OCPPEnumeration { case hard = "Hard", soft = "Soft" }

/// OCPP 1.6 §7 (Types) AvailabilityType.
public enum AvailabilityType: String, OCPPEnumeration { case inoperative = "Inoperative", operative = "Operative" }

/// OCPP 1.6 §7 (Types) AvailabilityStatus.
public enum AvailabilityStatus: String, OCPPEnumeration { case accepted = "Accepted", rejected = "Rejected", scheduled = "Scheduled" }

/// OCPP 1.6 §7 (Types) ConfigurationStatus.
public enum ConfigurationStatus: String, OCPPEnumeration {
    case accepted = "Accepted", rejected = "Rejected", rebootRequired = "RebootRequired", notSupported = "NotSupported"
}

/// OCPP 1.6 §7 (Types) UnlockStatus.
public enum UnlockStatus: String, OCPPEnumeration { case unlocked = "Unlocked", unlockFailed = "UnlockFailed", notSupported = "NotSupported" }

/// OCPP 1.6 §7 (Types) DataTransferStatus.
public enum DataTransferStatus: String, OCPPEnumeration {
    case accepted = "Accepted", rejected = "Rejected", unknownMessageId = "UnknownMessageId", unknownVendorId = "UnknownVendorId"
}

/// OCPP 1.6 §7 (Types) UpdateType (SendLocalList).
public enum UpdateType: String, OCPPEnumeration { case differential = "Differential", full = "Full" }

/// OCPP 1.6 §7 (Types) UpdateStatus (SendLocalList.conf).
public enum UpdateStatus: String, OCPPEnumeration {
    case accepted = "Accepted", failed = "Failed", notSupported = "NotSupported", versionMismatch = "VersionMismatch"
}

/// OCPP 1.6 §7 (Types) MessageTrigger.
public enum MessageTrigger: String, OCPPEnumeration {
    case bootNotification = "BootNotification", diagnosticsStatusNotification = "DiagnosticsStatusNotification"
    case firmwareStatusNotification = "FirmwareStatusNotification", heartbeat = "Heartbeat", meterValues = "MeterValues"
    case statusNotification = "StatusNotification"
}

/// OCPP 1.6 §7 (Types) TriggerMessageStatus.
public enum TriggerMessageStatus: String, OCPPEnumeration { case accepted = "Accepted", rejected = "Rejected", notImplemented = "NotImplemented" }

/// OCPP 1.6 §7 (Types) ReservationStatus.
public enum ReservationStatus: String, OCPPEnumeration {
    case accepted = "Accepted", faulted = "Faulted", occupied = "Occupied", rejected = "Rejected", unavailable = "Unavailable"
}

/// OCPP 1.6 §7 (Types) ChargingProfileStatus.
public enum ChargingProfileStatus: String, OCPPEnumeration { case accepted = "Accepted", rejected = "Rejected", notSupported = "NotSupported" }

/// OCPP 1.6 §7 (Types) ClearChargingProfileStatus.
public enum ClearChargingProfileStatus: String, OCPPEnumeration { case accepted = "Accepted", unknown = "Unknown" }

/// OCPP 1.6 §7 (Types) ChargingProfilePurposeType.
public enum ChargingProfilePurpose: String, OCPPEnumeration {
    case chargePointMaxProfile = "ChargePointMaxProfile", txDefaultProfile = "TxDefaultProfile", txProfile = "TxProfile"
}

/// OCPP 1.6 §7 (Types) ChargingRateUnitType.
public enum ChargingRateUnit: String, OCPPEnumeration { case amperes = "A", watts = "W" }
