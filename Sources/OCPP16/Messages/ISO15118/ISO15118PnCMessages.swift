#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// The nine OCPP 2.0.1 messages of the application note (its use cases): four the charge point sends
// (Authorize, Get15118EVCertificate, GetCertificateStatus, SignCertificate) and five the central system sends
// (CertificateSigned, InstallCertificate, DeleteCertificate, GetInstalledCertificateIds, TriggerMessage). Each request's
// `action` is the DataTransfer messageId. Schemas: OCPP 2.0.1 Part 2 §1 (Messages) and Part 3's JSON schemas.

extension ISO15118PnC {
    /// AuthorizeRequest (2.0.1 Part 2 §1 "Authorize"; use cases C07 "Authorization using Contract Certificates"):
    /// the eMAID and either the OCSP data of the contract chain (at most 4) or, when the station cannot build it and
    /// central validation is allowed, the contract certificate chain in PEM.
    public struct AuthorizeRequest: OCPPRequest {
        public static let action = "Authorize"
        public typealias Response = AuthorizeResponse
        public static let schema = ISO15118PnC.object([
            req("idToken", IdToken.schema), opt("certificate", .ci(5500)),
            opt("iso15118CertificateHashData", .array(OCSPRequestData.schema, minItems: 1, maxItems: 4)),
        ])
        public var idToken: IdToken
        public var certificate: String?
        public var iso15118CertificateHashData: [OCSPRequestData]?

        public init(idToken: IdToken, certificate: String? = nil, iso15118CertificateHashData: [OCSPRequestData]? = nil) {
            self.idToken = idToken; self.certificate = certificate; self.iso15118CertificateHashData = iso15118CertificateHashData
        }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            idToken = try f.object("idToken", IdToken.self)
            certificate = try f.optionalString("certificate")
            iso15118CertificateHashData = try f.optionalArray("iso15118CertificateHashData", JSONElement.object(OCSPRequestData.self))
        }
    }

    /// AuthorizeResponse: the token's status and the contract certificate's.
    public struct AuthorizeResponse: OCPPPayload {
        public static let schema = ISO15118PnC.object([
            req("idTokenInfo", IdTokenInfo.schema), opt("certificateStatus", AuthorizeCertificateStatus.schema),
        ])
        public var idTokenInfo: IdTokenInfo
        public var certificateStatus: AuthorizeCertificateStatus?

        public init(idTokenInfo: IdTokenInfo, certificateStatus: AuthorizeCertificateStatus? = nil) {
            self.idTokenInfo = idTokenInfo; self.certificateStatus = certificateStatus
        }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            idTokenInfo = try f.object("idTokenInfo", IdTokenInfo.self)
            certificateStatus = try f.optionalValue("certificateStatus", AuthorizeCertificateStatus.self)
        }
    }

    /// Get15118EVCertificateRequest (2.0.1 Part 2 §1; use cases M01/M02 "Certificate installation/update EV"): the
    /// vehicle's EXI CertificateInstallationReq/CertificateUpdateReq, base64, relayed untouched.
    public struct Get15118EVCertificateRequest: OCPPRequest {
        public static let action = "Get15118EVCertificate"
        public typealias Response = Get15118EVCertificateResponse
        public static let schema = ISO15118PnC.object([
            req("iso15118SchemaVersion", .ci(50)), req("action", CertificateAction.schema), req("exiRequest", .ci(5600)),
        ])
        public var iso15118SchemaVersion: String
        public var action: CertificateAction
        public var exiRequest: String

        public init(iso15118SchemaVersion: String, action: CertificateAction, exiRequest: String) {
            self.iso15118SchemaVersion = iso15118SchemaVersion; self.action = action; self.exiRequest = exiRequest
        }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            iso15118SchemaVersion = try f.string("iso15118SchemaVersion")
            action = try f.value("action", CertificateAction.self)
            exiRequest = try f.string("exiRequest")
        }
    }

    /// Get15118EVCertificateResponse: the EXI response for the vehicle, base64.
    public struct Get15118EVCertificateResponse: OCPPPayload {
        public static let schema = ISO15118PnC.object([
            req("status", AcceptedFailed.schema), opt("statusInfo", StatusInfo.schema), req("exiResponse", .ci(7500)),
        ])
        public var status: AcceptedFailed
        public var statusInfo: StatusInfo?
        public var exiResponse: String

        public init(status: AcceptedFailed, exiResponse: String) { self.status = status; self.exiResponse = exiResponse }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            status = try f.value("status", AcceptedFailed.self)
            statusInfo = try f.optionalObject("statusInfo", StatusInfo.self)
            exiResponse = try f.string("exiResponse")
        }
    }

    /// GetCertificateStatusRequest (2.0.1 Part 2 §1; use case M06 "Get V2G Charging Station Certificate status"): one
    /// certificate's OCSP request data; the CSMS asks the responder.
    public struct GetCertificateStatusRequest: OCPPRequest {
        public static let action = "GetCertificateStatus"
        public typealias Response = GetCertificateStatusResponse
        public static let schema = ISO15118PnC.object([req("ocspRequestData", OCSPRequestData.schema)])
        public var ocspRequestData: OCSPRequestData

        public init(ocspRequestData: OCSPRequestData) { self.ocspRequestData = ocspRequestData }
        public init(json: JSONValue) throws(OCPPError) {
            ocspRequestData = try JSONFields(json).object("ocspRequestData", OCSPRequestData.self)
        }
    }

    /// GetCertificateStatusResponse: the DER OCSPResponse (RFC 6960), base64; only with status Accepted.
    public struct GetCertificateStatusResponse: OCPPPayload {
        public static let schema = ISO15118PnC.object([
            req("status", AcceptedFailed.schema), opt("statusInfo", StatusInfo.schema), opt("ocspResult", .ci(5500)),
        ])
        public var status: AcceptedFailed
        public var statusInfo: StatusInfo?
        public var ocspResult: String?

        public init(status: AcceptedFailed, ocspResult: String? = nil) { self.status = status; self.ocspResult = ocspResult }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            status = try f.value("status", AcceptedFailed.self)
            statusInfo = try f.optionalObject("statusInfo", StatusInfo.self)
            ocspResult = try f.optionalString("ocspResult")
        }
    }

    /// SignCertificateRequest (2.0.1 Part 2 §1; use case A02 for certificateType V2GCertificate): the CSR of the
    /// SECC certificate (PKCS#10, PEM).
    public struct SignCertificateRequest: OCPPRequest {
        public static let action = "SignCertificate"
        public typealias Response = SignCertificateResponse
        public static let schema = ISO15118PnC.object([req("csr", .ci(5500)), opt("certificateType", CertificateSigningUse.schema)])
        public var csr: String
        public var certificateType: CertificateSigningUse?

        public init(csr: String, certificateType: CertificateSigningUse?) { self.csr = csr; self.certificateType = certificateType }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            csr = try f.string("csr"); certificateType = try f.optionalValue("certificateType", CertificateSigningUse.self)
        }
    }

    /// SignCertificateResponse (GenericStatusEnumType).
    public struct SignCertificateResponse: OCPPPayload {
        public static let schema = ISO15118PnC.object([req("status", AcceptedRejected.schema), opt("statusInfo", StatusInfo.schema)])
        public var status: AcceptedRejected
        public var statusInfo: StatusInfo?

        public init(status: AcceptedRejected) { self.status = status }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            status = try f.value("status", AcceptedRejected.self); statusInfo = try f.optionalObject("statusInfo", StatusInfo.self)
        }
    }

    /// CertificateSignedRequest (2.0.1 Part 2 §1; A02/A03): the signed chain, leaf first, PEM.
    public struct CertificateSignedRequest: OCPPRequest {
        public static let action = "CertificateSigned"
        public typealias Response = CertificateSignedResponse
        public static let schema = ISO15118PnC.object([req("certificateChain", .ci(10_000)), opt("certificateType", CertificateSigningUse.schema)])
        public var certificateChain: String
        public var certificateType: CertificateSigningUse?

        public init(certificateChain: String, certificateType: CertificateSigningUse?) {
            self.certificateChain = certificateChain; self.certificateType = certificateType
        }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            certificateChain = try f.string("certificateChain")
            certificateType = try f.optionalValue("certificateType", CertificateSigningUse.self)
        }
    }

    /// CertificateSignedResponse (CertificateSignedStatusEnumType).
    public struct CertificateSignedResponse: OCPPPayload {
        public static let schema = ISO15118PnC.object([req("status", AcceptedRejected.schema), opt("statusInfo", StatusInfo.schema)])
        public var status: AcceptedRejected
        public var statusInfo: StatusInfo?

        public init(status: AcceptedRejected, statusInfo: StatusInfo? = nil) { self.status = status; self.statusInfo = statusInfo }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            status = try f.value("status", AcceptedRejected.self); statusInfo = try f.optionalObject("statusInfo", StatusInfo.self)
        }
    }

    /// InstallCertificateRequest (2.0.1 Part 2 §1; use case M05 "Install CA certificate"): one root certificate in PEM.
    public struct InstallCertificateRequest: OCPPRequest {
        public static let action = "InstallCertificate"
        public typealias Response = InstallCertificateResponse
        public static let schema = ISO15118PnC.object([req("certificateType", InstallCertificateUse.schema), req("certificate", .ci(5500))])
        public var certificateType: InstallCertificateUse
        public var certificate: String

        public init(certificateType: InstallCertificateUse, certificate: String) { self.certificateType = certificateType; self.certificate = certificate }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            certificateType = try f.value("certificateType", InstallCertificateUse.self); certificate = try f.string("certificate")
        }
    }

    /// InstallCertificateResponse.
    public struct InstallCertificateResponse: OCPPPayload {
        public static let schema = ISO15118PnC.object([req("status", InstallCertificateStatus.schema), opt("statusInfo", StatusInfo.schema)])
        public var status: InstallCertificateStatus
        public var statusInfo: StatusInfo?

        public init(status: InstallCertificateStatus, statusInfo: StatusInfo? = nil) { self.status = status; self.statusInfo = statusInfo }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            status = try f.value("status", InstallCertificateStatus.self); statusInfo = try f.optionalObject("statusInfo", StatusInfo.self)
        }
    }

    /// DeleteCertificateRequest (2.0.1 Part 2 §1; use case M04): the certificate named by its hash data.
    public struct DeleteCertificateRequest: OCPPRequest {
        public static let action = "DeleteCertificate"
        public typealias Response = DeleteCertificateResponse
        public static let schema = ISO15118PnC.object([req("certificateHashData", certificateHashDataSchema)])
        public var certificateHashData: CertificateHashData

        public init(certificateHashData: CertificateHashData) { self.certificateHashData = certificateHashData }
        public init(json: JSONValue) throws(OCPPError) {
            certificateHashData = try JSONFields(json).object("certificateHashData", CertificateHashData.self)
        }
    }

    /// DeleteCertificateResponse.
    public struct DeleteCertificateResponse: OCPPPayload {
        public static let schema = ISO15118PnC.object([req("status", DeleteCertificateStatus.schema), opt("statusInfo", StatusInfo.schema)])
        public var status: DeleteCertificateStatus
        public var statusInfo: StatusInfo?

        public init(status: DeleteCertificateStatus, statusInfo: StatusInfo? = nil) { self.status = status; self.statusInfo = statusInfo }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            status = try f.value("status", DeleteCertificateStatus.self); statusInfo = try f.optionalObject("statusInfo", StatusInfo.self)
        }
    }

    /// GetInstalledCertificateIdsRequest (2.0.1 Part 2 §1; use case M03): the types asked for (none: all).
    public struct GetInstalledCertificateIdsRequest: OCPPRequest {
        public static let action = "GetInstalledCertificateIds"
        public typealias Response = GetInstalledCertificateIdsResponse
        public static let schema = ISO15118PnC.object([opt("certificateType", .array(GetCertificateIdUse.schema, minItems: 1))])
        public var certificateType: [GetCertificateIdUse]?

        public init(certificateType: [GetCertificateIdUse]?) { self.certificateType = certificateType }
        public init(json: JSONValue) throws(OCPPError) {
            certificateType = try JSONFields(json).optionalArray("certificateType") { (v: JSONValue) throws(OCPPError) -> GetCertificateIdUse in
                guard case .string(let s) = v, let use = GetCertificateIdUse(rawValue: s) else {
                    throw OCPPError(.propertyConstraintViolation, "certificateType holds an unknown value")
                }
                return use
            }
        }
    }

    /// GetInstalledCertificateIdsResponse: one CertificateHashDataChain per installed certificate.
    public struct GetInstalledCertificateIdsResponse: OCPPPayload {
        public static let schema = ISO15118PnC.object([
            req("status", GetInstalledCertificateStatus.schema), opt("statusInfo", StatusInfo.schema),
            opt("certificateHashDataChain", .array(CertificateHashDataChain.schema, minItems: 1)),
        ])
        public var status: GetInstalledCertificateStatus
        public var statusInfo: StatusInfo?
        public var certificateHashDataChain: [CertificateHashDataChain]?

        public init(status: GetInstalledCertificateStatus, certificateHashDataChain: [CertificateHashDataChain]? = nil) {
            self.status = status; self.certificateHashDataChain = certificateHashDataChain
        }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            status = try f.value("status", GetInstalledCertificateStatus.self)
            statusInfo = try f.optionalObject("statusInfo", StatusInfo.self)
            certificateHashDataChain = try f.optionalArray("certificateHashDataChain", JSONElement.object(CertificateHashDataChain.self))
        }
    }

    /// TriggerMessageRequest (2.0.1 Part 2 §1; the note uses it for SignV2GCertificate: use case A02 started by the
    /// CSMS).
    public struct TriggerMessageRequest: OCPPRequest {
        public static let action = "TriggerMessage"
        public typealias Response = TriggerMessageResponse
        public static let schema = ISO15118PnC.object([opt("evse", EVSE.schema), req("requestedMessage", MessageTrigger.schema)])
        public var evse: EVSE?
        public var requestedMessage: MessageTrigger

        public init(requestedMessage: MessageTrigger) { self.requestedMessage = requestedMessage }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            evse = try f.optionalObject("evse", EVSE.self); requestedMessage = try f.value("requestedMessage", MessageTrigger.self)
        }
    }

    /// TriggerMessageResponse.
    public struct TriggerMessageResponse: OCPPPayload {
        public static let schema = ISO15118PnC.object([req("status", TriggerMessageStatus.schema), opt("statusInfo", StatusInfo.schema)])
        public var status: TriggerMessageStatus
        public var statusInfo: StatusInfo?

        public init(status: TriggerMessageStatus, statusInfo: StatusInfo? = nil) { self.status = status; self.statusInfo = statusInfo }
        public init(json: JSONValue) throws(OCPPError) {
            let f = try JSONFields(json)
            status = try f.value("status", TriggerMessageStatus.self); statusInfo = try f.optionalObject("statusInfo", StatusInfo.self)
        }
    }
}
