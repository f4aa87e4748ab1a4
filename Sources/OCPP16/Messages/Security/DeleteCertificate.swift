#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// DeleteCertificate.req (CS→CP), OCPP 1.6 security whitepaper ed. 3 §5.4, use case M04: the certificate named by its
/// hash data.
public struct DeleteCertificateRequest: OCPPRequest {
    public static let action = "DeleteCertificate"
    public typealias Response = DeleteCertificateResponse
    public static let schema = Schema.object([
        req("certificateHashData", CertificateHashData.schema),
    ])

    public var certificateHashData: CertificateHashData

    public init(certificateHashData: CertificateHashData) { self.certificateHashData = certificateHashData }

    public init(json: JSONValue) throws(OCPPError) {
        certificateHashData = try JSONFields(json).object("certificateHashData", CertificateHashData.self)
    }
}

/// DeleteCertificate.conf.
public struct DeleteCertificateResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", DeleteCertificateStatus.schema),
    ])

    public var status: DeleteCertificateStatus

    public init(status: DeleteCertificateStatus) { self.status = status }

    public init(json: JSONValue) throws(OCPPError) {
        status = try JSONFields(json).value("status", DeleteCertificateStatus.self)
    }
}
