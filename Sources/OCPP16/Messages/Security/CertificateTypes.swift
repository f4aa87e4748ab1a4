/// The types of the certificate management messages of the OCPP 1.6 security extension ("Improved security for OCPP
/// 1.6-J", OCA, edition 3 §5: the enumerations and CertificateHashDataType).

/// HashAlgorithmEnumType.
public enum HashAlgorithm: String, OCPPEnumeration { case sha256 = "SHA256", sha384 = "SHA384", sha512 = "SHA512" }

/// CertificateStatusEnumType (InstallCertificate.conf).
public enum InstallCertificateStatus: String, OCPPEnumeration { case accepted = "Accepted", failed = "Failed", rejected = "Rejected" }

/// DeleteCertificateStatusEnumType (DeleteCertificate.conf).
public enum DeleteCertificateStatus: String, OCPPEnumeration { case accepted = "Accepted", failed = "Failed", notFound = "NotFound" }

/// GetInstalledCertificateStatusEnumType (GetInstalledCertificateIds.conf).
public enum GetInstalledCertificateStatus: String, OCPPEnumeration { case accepted = "Accepted", notFound = "NotFound" }

/// MessageTriggerEnumType of ExtendedTriggerMessage: TriggerMessage's values without DiagnosticsStatusNotification,
/// plus LogStatusNotification and SignChargePointCertificate.
public enum ExtendedMessageTrigger: String, OCPPEnumeration {
    case bootNotification = "BootNotification", logStatusNotification = "LogStatusNotification"
    case firmwareStatusNotification = "FirmwareStatusNotification", heartbeat = "Heartbeat", meterValues = "MeterValues"
    case signChargePointCertificate = "SignChargePointCertificate", statusNotification = "StatusNotification"
}

/// CertificateHashDataType: a certificate named as OCSP names it (RFC 6960 §4.1.1; clarified in edition 3): hex of the
/// hash of the issuer's DER name and of its public key, and the serial number in hex.
public struct CertificateHashData: Codable, Sendable, Equatable, Hashable, JSONValueDecodable {
    public static let schema = Schema.object([
        req("hashAlgorithm", HashAlgorithm.schema),
        req("issuerNameHash", .ci(128)),
        req("issuerKeyHash", .ci(128)),
        req("serialNumber", .ci(40)),
    ])

    public var hashAlgorithm: HashAlgorithm
    public var issuerNameHash: String
    public var issuerKeyHash: String
    public var serialNumber: String

    public init(hashAlgorithm: HashAlgorithm, issuerNameHash: String, issuerKeyHash: String, serialNumber: String) {
        self.hashAlgorithm = hashAlgorithm; self.issuerNameHash = issuerNameHash; self.issuerKeyHash = issuerKeyHash
        self.serialNumber = serialNumber
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        hashAlgorithm = try f.value("hashAlgorithm", HashAlgorithm.self)
        issuerNameHash = try f.string("issuerNameHash")
        issuerKeyHash = try f.string("issuerKeyHash")
        serialNumber = try f.string("serialNumber")
    }
}
