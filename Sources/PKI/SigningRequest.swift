import Crypto
import SwiftASN1
import X509

/// The certificate signing request of the charge point (SignCertificate.req's `csr`, OCPP 1.6 security whitepaper ed. 3
/// use cases A02/A03): PKCS#10 in PEM, signed with the new key (ECDSA with SHA-256, A00.FR.5xx), whose subject is
/// O = CpoName (A02.FR.13, A00.FR.507) and CN = the charge point's identity (A00.FR.506: the unique serial number the
/// central system knows the charge point by, its ChargeBoxIdentity).
public enum SigningRequest {
    /// The PEM of the request. `organization` and `commonName` must not be empty (a CSR without O is refused by the
    /// whitepaper's central systems); at most 64 characters each (RFC 5280's upper bounds ub-organization-name and
    /// ub-common-name).
    public static func make(key: ChargePointKey, organization: String, commonName: String) throws(PKIError) -> String {
        guard !organization.isEmpty else { throw PKIError("CpoName is empty: the CSR needs O = CpoName") }
        guard !commonName.isEmpty else { throw PKIError("the charge point identity is empty") }
        guard organization.count <= 64, commonName.count <= 64 else { throw PKIError("O and CN have at most 64 characters") }
        do {
            let subject = try DistinguishedName {
                OrganizationName(organization)
                CommonName(commonName)
            }
            let csr = try CertificateSigningRequest(version: .v1, subject: subject, privateKey: Certificate.PrivateKey(key.key),
                                                    attributes: CertificateSigningRequest.Attributes(), signatureAlgorithm: .ecdsaWithSHA256)
            return try csr.serializeAsPEM().pemString
        } catch {
            throw PKIError("the CSR could not be built: \(error)")
        }
    }
}
