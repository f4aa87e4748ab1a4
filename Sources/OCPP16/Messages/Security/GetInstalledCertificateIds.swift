#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// GetInstalledCertificateIds.req (CS→CP), OCPP 1.6 security whitepaper ed. 3 §5.6 (the text calls it
/// GetInstalledCertificates; the schema and action are GetInstalledCertificateIds), use case M03.
public struct GetInstalledCertificateIdsRequest: OCPPRequest {
    public static let action = "GetInstalledCertificateIds"
    public typealias Response = GetInstalledCertificateIdsResponse
    public static let schema = Schema.object([
        req("certificateType", CertificateUse.schema),
    ])

    public var certificateType: CertificateUse

    public init(certificateType: CertificateUse) { self.certificateType = certificateType }

    public init(json: JSONValue) throws(OCPPError) {
        certificateType = try JSONFields(json).value("certificateType", CertificateUse.self)
    }
}

/// GetInstalledCertificateIds.conf: NotFound without hash data when none of the type is installed (M03.FR.02).
public struct GetInstalledCertificateIdsResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", GetInstalledCertificateStatus.schema),
        opt("certificateHashData", .array(CertificateHashData.schema, minItems: 1)),
    ])

    public var status: GetInstalledCertificateStatus
    public var certificateHashData: [CertificateHashData]?

    public init(status: GetInstalledCertificateStatus, certificateHashData: [CertificateHashData]? = nil) {
        self.status = status
        self.certificateHashData = certificateHashData
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        status = try f.value("status", GetInstalledCertificateStatus.self)
        certificateHashData = try f.optionalArray("certificateHashData", JSONElement.object(CertificateHashData.self))
    }
}
