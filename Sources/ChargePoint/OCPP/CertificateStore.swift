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
/// private key in a file of mode 0600 that no export, archive or answer ever contains. Every write is durable when the
/// call returns (the charge point answers the central system after it).
///
/// The store only keeps what it is given: the checks (chains, validity, the whitepaper's rules) are the charge point's.
public protocol CertificateStore: Sendable {
    /// Each installed root certificate of `use` in PEM, oldest first.
    func rootCertificates(_ use: CertificateUse) throws -> [String]
    /// The charge point certificate and key in use, or nil when none was signed yet.
    func chargePointCredential() throws -> ChargePointCredential?

    /// The credential the current one replaced, kept as fallback (A02: the old certificate stays about a month, in case
    /// the central system does not accept the new one).
    func previousChargePointCredential() throws -> ChargePointCredential?
    /// Adds a root certificate of `use` (InstallCertificate, M05).
    func installRootCertificate(_ pem: String, use: CertificateUse) throws
    /// Removes the installed root certificate `pem` of `use` (DeleteCertificate, M04); false when it is not installed.
    @discardableResult
    func deleteRootCertificate(_ pem: String, use: CertificateUse) throws -> Bool
    /// The private key of the last CSR sent (SignCertificate), waiting for its CertificateSigned; nil when none.
    func pendingPrivateKey() throws -> String?
    /// Keeps the key of a new CSR (file of mode 0600, written atomically), replacing an older pending key.
    func savePendingPrivateKey(_ pem: String) throws
    /// Installs the signed chain with the pending key as the charge point credential used from the next connection;
    /// the current one becomes the previous one (older ones are removed), and no key is pending any more.
    func installChargePointCertificate(chainPEM: String) throws

    // MARK: ISO 15118 (OCA application note "Using ISO 15118 Plug & Charge with OCPP 1.6" v1.0)

    /// Each installed ISO 15118 root of `use` in PEM, oldest first (InstallCertificate of the note, M05).
    func iso15118RootCertificates(_ use: ISO15118RootUse) throws -> [String]
    /// Adds an ISO 15118 root of `use`.
    func installISO15118RootCertificate(_ pem: String, use: ISO15118RootUse) throws
    /// Removes the installed ISO 15118 root `pem` of `use`; false when it is not installed.
    @discardableResult
    func deleteISO15118RootCertificate(_ pem: String, use: ISO15118RootUse) throws -> Bool
    /// The SECC certificate chain (leaf, CPO sub-CAs) and its key, the TLS server credential of ISO 15118-2 §7.7.4;
    /// nil before the first CertificateSigned of type V2GCertificate.
    func seccCredential() throws -> ChargePointCredential?
    /// The key of the last V2G CSR, waiting for its CertificateSigned; nil when none.
    func pendingSECCPrivateKey() throws -> String?
    /// Keeps the key of a new V2G CSR (file of mode 0600, written atomically), replacing an older pending key.
    func savePendingSECCPrivateKey(_ pem: String) throws
    /// Installs the signed SECC chain with the pending V2G key; the current SECC credential is kept as the previous one.
    func installSECCCertificate(chainPEM: String) throws
}

/// The roots of ISO 15118 a station keeps beside the security extension's ``CertificateUse`` (OCPP 2.0.1
/// InstallCertificateUseEnumType: V2GRootCertificate anchors the SECC chain and the contract chains issued under V2G;
/// MORootCertificate anchors a mobility operator's contract chains). The raw values are 2.0.1's names.
public enum ISO15118RootUse: String, Sendable, CaseIterable {
    case v2gRootCertificate = "V2GRootCertificate"
    case moRootCertificate = "MORootCertificate"
}

/// No certificates and no way to store any: where no store is given (the gateway's charger simulation, old tests).
/// Every write fails, so the handlers answer Failed or Rejected instead of pretending.
public struct NoCertificateStore: CertificateStore {
    struct Unavailable: Error, CustomStringConvertible { var description: String { "no certificate store" } }
    public init() {}
    public func rootCertificates(_ use: CertificateUse) throws -> [String] { [] }
    public func chargePointCredential() throws -> ChargePointCredential? { nil }
    public func previousChargePointCredential() throws -> ChargePointCredential? { nil }
    public func installRootCertificate(_ pem: String, use: CertificateUse) throws { throw Unavailable() }
    public func deleteRootCertificate(_ pem: String, use: CertificateUse) throws -> Bool { throw Unavailable() }
    public func pendingPrivateKey() throws -> String? { nil }
    public func savePendingPrivateKey(_ pem: String) throws { throw Unavailable() }
    public func installChargePointCertificate(chainPEM: String) throws { throw Unavailable() }
    public func iso15118RootCertificates(_ use: ISO15118RootUse) throws -> [String] { [] }
    public func installISO15118RootCertificate(_ pem: String, use: ISO15118RootUse) throws { throw Unavailable() }
    public func deleteISO15118RootCertificate(_ pem: String, use: ISO15118RootUse) throws -> Bool { throw Unavailable() }
    public func seccCredential() throws -> ChargePointCredential? { nil }
    public func pendingSECCPrivateKey() throws -> String? { nil }
    public func savePendingSECCPrivateKey(_ pem: String) throws { throw Unavailable() }
    public func installSECCCertificate(chainPEM: String) throws { throw Unavailable() }
}
