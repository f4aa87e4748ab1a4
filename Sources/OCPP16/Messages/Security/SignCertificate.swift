#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// SignCertificate.req (CP→CS), OCPP 1.6 security whitepaper ed. 3 §5.12, use cases A02/A03: the charge point's CSR
/// (PKCS#10 in PEM, at most 5500 characters).
public struct SignCertificateRequest: OCPPRequest {
    public static let action = "SignCertificate"
    public typealias Response = SignCertificateResponse
    public static let schema = Schema.object([
        req("csr", .ci(5500)),
    ])

    public var csr: String

    public init(csr: String) { self.csr = csr }

    public init(json: JSONValue) throws(OCPPError) {
        csr = try JSONFields(json).string("csr")
    }
}

/// SignCertificate.conf: whether the central system will forward the CSR to its CA (GenericStatusEnumType).
public struct SignCertificateResponse: OCPPPayload {
    public static let schema = Schema.object([
        req("status", AcceptedRejected.schema),
    ])

    public var status: AcceptedRejected

    public init(status: AcceptedRejected) { self.status = status }

    public init(json: JSONValue) throws(OCPPError) {
        status = try JSONFields(json).value("status", AcceptedRejected.self)
    }
}
