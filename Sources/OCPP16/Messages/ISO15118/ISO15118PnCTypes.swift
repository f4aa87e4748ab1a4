#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// ISO 15118 Plug & Charge over OCPP 1.6J: the OCA application note "Using ISO 15118 Plug & Charge with OCPP 1.6"
/// v1.0 (2020-09-16) carries OCPP 2.0.1 messages in DataTransfer.req/.conf (the note's "Generic DataTransfer fields"):
/// `vendorId` = ``vendorID``, `messageId` = the 2.0.1 action name, `data` = the 2.0.1 payload as JSON text; the
/// answer's `data` is the 2.0.1 response payload as JSON text with DataTransfer status Accepted.
///
/// The payload types and their schemas are written here from OCPP 2.0.1 Part 2 ("Specification", §1 Messages and §2
/// Datatypes, §3 Enumerations) and the 2.0.1 JSON schemas (OCPP 2.0.1 Part 3): every object is closed
/// (`additionalProperties: false`) except CustomDataType, which 2.0.1 allows in every object and this station ignores.
/// The namespace keeps them apart from the 1.6 types of the same names (Authorize, SignCertificate …).
public enum ISO15118PnC {
    /// The application note's DataTransfer vendorId (its "Generic DataTransfer fields").
    public static let vendorID = "org.openchargealliance.iso15118pnc"

    /// CustomDataType (2.0.1 Part 2 §2): `vendorId` and any member of that vendor's.
    static let customData = opt("customData", .openObject([req("vendorId", .ci(255))]))

    /// An object of the 2.0.1 schemas: these properties, CustomDataType, nothing else.
    static func object(_ properties: [SchemaProperty]) -> Schema { .object([customData] + properties) }
}

extension ISO15118PnC {
    /// IdTokenEnumType (2.0.1 Part 2 §3).
    public enum IdTokenType: String, OCPPEnumeration {
        case central = "Central", eMAID = "eMAID", iso14443 = "ISO14443", iso15693 = "ISO15693", keyCode = "KeyCode"
        case local = "Local", macAddress = "MacAddress", noAuthorization = "NoAuthorization"
    }

    /// AuthorizationStatusEnumType (2.0.1 Part 2 §3).
    public enum AuthorizationStatus: String, OCPPEnumeration {
        case accepted = "Accepted", blocked = "Blocked", concurrentTx = "ConcurrentTx", expired = "Expired", invalid = "Invalid"
        case noCredit = "NoCredit", notAllowedTypeEVSE = "NotAllowedTypeEVSE", notAtThisLocation = "NotAtThisLocation"
        case notAtThisTime = "NotAtThisTime", unknown = "Unknown"
    }

    /// AuthorizeCertificateStatusEnumType (2.0.1 Part 2 §3): the contract certificate's status as the CSMS found it.
    public enum AuthorizeCertificateStatus: String, OCPPEnumeration {
        case accepted = "Accepted", signatureError = "SignatureError", certificateExpired = "CertificateExpired"
        case certificateRevoked = "CertificateRevoked", noCertificateAvailable = "NoCertificateAvailable"
        case certChainError = "CertChainError", contractCancelled = "ContractCancelled"
    }

    /// MessageFormatEnumType (2.0.1 Part 2 §3).
    public enum MessageFormat: String, OCPPEnumeration { case ascii = "ASCII", html = "HTML", uri = "URI", utf8 = "UTF8" }

    /// CertificateActionEnumType (2.0.1 Part 2 §3): the vehicle asks to install a contract certificate or to update it.
    public enum CertificateAction: String, OCPPEnumeration { case install = "Install", update = "Update" }

    /// Iso15118EVCertificateStatusEnumType (2.0.1 Part 2 §3) and GetCertificateStatusEnumType (§3).
    public enum AcceptedFailed: String, OCPPEnumeration { case accepted = "Accepted", failed = "Failed" }

    /// CertificateSigningUseEnumType (2.0.1 Part 2 §3).
    public enum CertificateSigningUse: String, OCPPEnumeration {
        case chargingStationCertificate = "ChargingStationCertificate", v2gCertificate = "V2GCertificate"
    }

    /// InstallCertificateUseEnumType (2.0.1 Part 2 §3): the roots InstallCertificate installs.
    public enum InstallCertificateUse: String, OCPPEnumeration {
        case v2gRootCertificate = "V2GRootCertificate", moRootCertificate = "MORootCertificate"
        case csmsRootCertificate = "CSMSRootCertificate", manufacturerRootCertificate = "ManufacturerRootCertificate"
    }

    /// GetCertificateIdUseEnumType (2.0.1 Part 2 §3): the roots plus the station's own V2G certificate chain.
    public enum GetCertificateIdUse: String, OCPPEnumeration {
        case v2gRootCertificate = "V2GRootCertificate", moRootCertificate = "MORootCertificate"
        case csmsRootCertificate = "CSMSRootCertificate", v2gCertificateChain = "V2GCertificateChain"
        case manufacturerRootCertificate = "ManufacturerRootCertificate"
    }

    /// The 2.0.1 answers' status enumerations: GenericStatusEnumType (§3), CertificateSignedStatusEnumType (§3).
    public enum AcceptedRejected: String, OCPPEnumeration { case accepted = "Accepted", rejected = "Rejected" }
    /// InstallCertificateStatusEnumType (2.0.1 Part 2 §3).
    public enum InstallCertificateStatus: String, OCPPEnumeration { case accepted = "Accepted", rejected = "Rejected", failed = "Failed" }
    /// DeleteCertificateStatusEnumType (2.0.1 Part 2 §3).
    public enum DeleteCertificateStatus: String, OCPPEnumeration { case accepted = "Accepted", failed = "Failed", notFound = "NotFound" }
    /// GetInstalledCertificateStatusEnumType (2.0.1 Part 2 §3).
    public enum GetInstalledCertificateStatus: String, OCPPEnumeration { case accepted = "Accepted", notFound = "NotFound" }
    /// TriggerMessageStatusEnumType (2.0.1 Part 2 §3).
    public enum TriggerMessageStatus: String, OCPPEnumeration { case accepted = "Accepted", rejected = "Rejected", notImplemented = "NotImplemented" }

    /// MessageTriggerEnumType (2.0.1 Part 2 §3). Through the application note only SignV2GCertificate is asked for.
    public enum MessageTrigger: String, OCPPEnumeration {
        case bootNotification = "BootNotification", logStatusNotification = "LogStatusNotification"
        case firmwareStatusNotification = "FirmwareStatusNotification", heartbeat = "Heartbeat", meterValues = "MeterValues"
        case signChargingStationCertificate = "SignChargingStationCertificate", signV2GCertificate = "SignV2GCertificate"
        case statusNotification = "StatusNotification", transactionEvent = "TransactionEvent"
        case signCombinedCertificate = "SignCombinedCertificate", publishFirmwareStatusNotification = "PublishFirmwareStatusNotification"
    }
}

extension ISO15118PnC {
    /// AdditionalInfoType (2.0.1 Part 2 §2).
    public struct AdditionalInfo: Codable, Sendable, Equatable, JSONValueDecodable {
        static let schema = ISO15118PnC.object([req("additionalIdToken", .ci(36)), req("type", .ci(50))])
        public var additionalIdToken: String
        public var type: String
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            additionalIdToken = try f.string("additionalIdToken"); type = try f.string("type")
        }
    }

    /// IdTokenType (2.0.1 Part 2 §2): for Plug & Charge the eMAID of the contract (type eMAID).
    public struct IdToken: Codable, Sendable, Equatable, JSONValueDecodable {
        static let schema = ISO15118PnC.object([
            opt("additionalInfo", .array(AdditionalInfo.schema, minItems: 1)), req("idToken", .ci(36)), req("type", IdTokenType.schema),
        ])
        public var additionalInfo: [AdditionalInfo]?
        public var idToken: String
        public var type: IdTokenType

        public init(idToken: String, type: IdTokenType) { self.idToken = idToken; self.type = type }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            additionalInfo = try f.optionalArray("additionalInfo", JSONElement.object(AdditionalInfo.self))
            idToken = try f.string("idToken"); type = try f.value("type", IdTokenType.self)
        }
    }

    /// MessageContentType (2.0.1 Part 2 §2).
    public struct MessageContent: Codable, Sendable, Equatable, JSONValueDecodable {
        static let schema = ISO15118PnC.object([req("format", MessageFormat.schema), opt("language", .ci(8)), req("content", .ci(512))])
        public var format: MessageFormat
        public var language: String?
        public var content: String
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            format = try f.value("format", MessageFormat.self); language = try f.optionalString("language"); content = try f.string("content")
        }
    }

    /// IdTokenInfoType (2.0.1 Part 2 §2): the CSMS's verdict about the token.
    public struct IdTokenInfo: Codable, Sendable, Equatable, JSONValueDecodable {
        static let schema = ISO15118PnC.object([
            req("status", AuthorizationStatus.schema), opt("cacheExpiryDateTime", .dateTime), opt("chargingPriority", .integer()),
            opt("language1", .ci(8)), opt("evseId", .array(.integer(), minItems: 1)), opt("groupIdToken", IdToken.schema),
            opt("language2", .ci(8)), opt("personalMessage", MessageContent.schema),
        ])
        public var status: AuthorizationStatus
        public var cacheExpiryDateTime: Date?
        public var chargingPriority: Int?
        public var language1: String?
        public var evseId: [Int]?
        public var groupIdToken: IdToken?
        public var language2: String?
        public var personalMessage: MessageContent?

        public init(status: AuthorizationStatus) { self.status = status }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            status = try f.value("status", AuthorizationStatus.self)
            cacheExpiryDateTime = try f.optionalDate("cacheExpiryDateTime")
            chargingPriority = try f.optionalInt("chargingPriority")
            language1 = try f.optionalString("language1")
            evseId = try f.optionalArray("evseId") { (v: JSONValue) throws(OCPPError) -> Int in
                guard case .integer(let i) = v, let n = Int(exactly: i) else { throw OCPPError(.typeConstraintViolation, "evseId must hold integers") }
                return n
            }
            groupIdToken = try f.optionalObject("groupIdToken", IdToken.self)
            language2 = try f.optionalString("language2")
            personalMessage = try f.optionalObject("personalMessage", MessageContent.self)
        }
    }

    /// OCSPRequestDataType (2.0.1 Part 2 §2): a certificate of the contract chain named as OCSP names it (RFC 6960
    /// §4.1.1), with the OCSP responder from its Authority Information Access.
    public struct OCSPRequestData: Codable, Sendable, Equatable, Hashable, JSONValueDecodable {
        static let schema = ISO15118PnC.object([
            req("hashAlgorithm", HashAlgorithm.schema), req("issuerNameHash", .ci(128)), req("issuerKeyHash", .ci(128)),
            req("serialNumber", .ci(40)), req("responderURL", .ci(512)),
        ])
        public var hashAlgorithm: HashAlgorithm
        public var issuerNameHash: String
        public var issuerKeyHash: String
        public var serialNumber: String
        public var responderURL: String

        public init(hashAlgorithm: HashAlgorithm, issuerNameHash: String, issuerKeyHash: String, serialNumber: String, responderURL: String) {
            self.hashAlgorithm = hashAlgorithm; self.issuerNameHash = issuerNameHash; self.issuerKeyHash = issuerKeyHash
            self.serialNumber = serialNumber; self.responderURL = responderURL
        }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            hashAlgorithm = try f.value("hashAlgorithm", HashAlgorithm.self)
            issuerNameHash = try f.string("issuerNameHash"); issuerKeyHash = try f.string("issuerKeyHash")
            serialNumber = try f.string("serialNumber"); responderURL = try f.string("responderURL")
        }
    }

    /// CertificateHashDataType (2.0.1 Part 2 §2): the 1.6 security extension's type, the same four fields.
    static let certificateHashDataSchema = ISO15118PnC.object([
        req("hashAlgorithm", HashAlgorithm.schema), req("issuerNameHash", .ci(128)), req("issuerKeyHash", .ci(128)), req("serialNumber", .ci(40)),
    ])

    /// CertificateHashDataChainType (2.0.1 Part 2 §2): an installed certificate and the sub-CAs under it.
    public struct CertificateHashDataChain: Codable, Sendable, Equatable, JSONValueDecodable {
        static let schema = ISO15118PnC.object([
            req("certificateHashData", certificateHashDataSchema), req("certificateType", GetCertificateIdUse.schema),
            opt("childCertificateHashData", .array(certificateHashDataSchema, minItems: 1, maxItems: 4)),
        ])
        public var certificateHashData: CertificateHashData
        public var certificateType: GetCertificateIdUse
        public var childCertificateHashData: [CertificateHashData]?

        public init(certificateHashData: CertificateHashData, certificateType: GetCertificateIdUse, childCertificateHashData: [CertificateHashData]?) {
            self.certificateHashData = certificateHashData; self.certificateType = certificateType
            self.childCertificateHashData = childCertificateHashData
        }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            certificateHashData = try f.object("certificateHashData", CertificateHashData.self)
            certificateType = try f.value("certificateType", GetCertificateIdUse.self)
            childCertificateHashData = try f.optionalArray("childCertificateHashData", JSONElement.object(CertificateHashData.self))
        }
    }

    /// StatusInfoType (2.0.1 Part 2 §2): a reason code and a text for the status of an answer.
    public struct StatusInfo: Codable, Sendable, Equatable, JSONValueDecodable {
        static let schema = ISO15118PnC.object([req("reasonCode", .ci(20)), opt("additionalInfo", .ci(512))])
        public var reasonCode: String
        public var additionalInfo: String?

        public init(_ reasonCode: String, _ additionalInfo: String? = nil) {
            self.reasonCode = String(reasonCode.prefix(20)); self.additionalInfo = additionalInfo.map { String($0.prefix(512)) }
        }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            reasonCode = try f.string("reasonCode"); additionalInfo = try f.optionalString("additionalInfo")
        }
    }

    /// EVSEType (2.0.1 Part 2 §2).
    public struct EVSE: Codable, Sendable, Equatable, JSONValueDecodable {
        static let schema = ISO15118PnC.object([req("id", .integer()), opt("connectorId", .integer())])
        public var id: Int
        public var connectorId: Int?
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            id = try f.int("id"); connectorId = try f.optionalInt("connectorId")
        }
    }
}
