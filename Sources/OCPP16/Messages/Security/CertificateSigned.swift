#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// CertificateSigned.req (CS→CP), OCPP 1.6 security whitepaper ed. 3 §5.2, use cases A02/A03: the signed charge point
/// certificate in PEM, followed by its sub-CA certificates (at most 10000 characters; the charge point's
/// CertificateSignedMaxChainSize may be lower).
public struct CertificateSignedRequest: OCPPRequest {
    public static let action = "CertificateSigned"
    public typealias Response = CertificateSignedResponse
    public static let schema = Schema.object([
        req("certificateChain", .ci(10000)),
    ])

    public var certificateChain: String

    public init(certificateChain: String) { self.certificateChain = certificateChain }

    public init(json: JSONValue) throws(OCPPError) {
        certificateChain = try JSONFields(json).string("certificateChain")
    }
}

/// CertificateSigned.conf (CertificateSignedStatusEnumType: Accepted, Rejected).
public struct CertificateSignedResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", AcceptedRejected.schema),
    ])

    public var status: AcceptedRejected

    public init(status: AcceptedRejected) { self.status = status }

    public init(json: JSONValue) throws(OCPPError) {
        status = try JSONFields(json).value("status", AcceptedRejected.self)
    }
}
