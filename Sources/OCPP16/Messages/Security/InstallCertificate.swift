#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// InstallCertificate.req (CS→CP), OCPP 1.6 security whitepaper ed. 3 §5.8, use case M05: a root certificate in PEM
/// (at most 5500 characters) of the given use.
public struct InstallCertificateRequest: OCPPRequest {
    public static let action = "InstallCertificate"
    public typealias Response = InstallCertificateResponse
    public static let schema = Schema.object([
        req("certificateType", CertificateUse.schema),
        req("certificate", .ci(5500)),
    ])

    public var certificateType: CertificateUse
    public var certificate: String

    public init(certificateType: CertificateUse, certificate: String) {
        self.certificateType = certificateType
        self.certificate = certificate
    }

    public init(json: JSONValue) throws(OCPPError) {
        let f = try JSONFields(json)
        certificateType = try f.value("certificateType", CertificateUse.self)
        certificate = try f.string("certificate")
    }
}

/// InstallCertificate.conf.
public struct InstallCertificateResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", InstallCertificateStatus.schema),
    ])

    public var status: InstallCertificateStatus

    public init(status: InstallCertificateStatus) { self.status = status }

    public init(json: JSONValue) throws(OCPPError) {
        status = try JSONFields(json).value("status", InstallCertificateStatus.self)
    }
}
