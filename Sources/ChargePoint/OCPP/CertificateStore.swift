import OCPP16

/// The charge point's own certificate and private key (security profile 3's TLS client certificate). The key never
/// leaves the station: it is read only to open the TLS connection.
public struct ChargePointCredential: Sendable, Equatable {
    /// The leaf first, then any intermediate certificates, in PEM.
    public var certificateChainPEM: String
    public var privateKeyPEM: String

    public init(certificateChainPEM: String, privateKeyPEM: String) {
        self.certificateChainPEM = certificateChainPEM
        self.privateKeyPEM = privateKeyPEM
    }
}

/// The certificate store port of the station (OCPP 1.6 security whitepaper ed. 3: use cases A02/A03 certificate
/// renewal, M03–M05 install, list and delete, L01 signed firmware). The adapter keeps the certificates durable and the
/// private key in a file of mode 0600 that no export, archive or answer ever contains.
public protocol CertificateStore: Sendable {
    /// Each installed root certificate of `use` in PEM, oldest first.
    func rootCertificates(_ use: CertificateUse) throws -> [String]
    /// The charge point certificate and key in use, or nil when none was signed yet.
    func chargePointCredential() throws -> ChargePointCredential?
}

/// A store without certificates: a station whose runtime has none to offer (tests of other features).
public struct NoCertificates: CertificateStore {
    public init() {}
    public func rootCertificates(_ use: CertificateUse) throws -> [String] { [] }
    public func chargePointCredential() throws -> ChargePointCredential? { nil }
}
