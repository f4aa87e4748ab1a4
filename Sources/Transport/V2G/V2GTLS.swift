import NIOSSL

/// The SECC's TLS server for Plug & Charge (ISO 15118-2:2014 §7.7.4, V2G-CI-TLS): the SECC certificate chain that
/// leads to a V2G root the vehicle trusts, server authentication only ([V2G2-006]: the EVCC authenticates the SECC, not
/// the reverse), TLS 1.2 with the two cipher suites the standard names ([V2G2-602]/[V2G2-603]:
/// TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256 and TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256 — BoringSSL knows the ephemeral
/// one), and TLS 1.3 for the vehicles that offer it (ISO 15118-20:2022 [V2G20-2459]: TLS_AES_256_GCM_SHA384,
/// TLS_CHACHA20_POLY1305_SHA256).
public enum V2GTLS {
    /// The TLS context from the SECC chain (leaf first, PEM) and its key (PEM). The error says which part is wrong and
    /// never quotes the key.
    public static func serverContext(certificateChainPEM: String, privateKeyPEM: String) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMBytes(Array(certificateChainPEM.utf8)) } catch {
            throw V2GStartError(description: "ISO 15118 TLS: the SECC certificate chain is not PEM X.509: \(error)")
        }
        guard !chain.isEmpty else { throw V2GStartError(description: "ISO 15118 TLS: the SECC certificate chain holds no certificate") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem) } catch {
            throw V2GStartError(description: "ISO 15118 TLS: the SECC private key cannot be read (PEM, unencrypted)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        // BoringSSL keeps 0xC023 only when named (it calls it deprecated); GCM for vehicles that prefer it.
        configuration.cipherSuites = "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256"
        configuration.certificateVerification = .none
        do { return try NIOSSLContext(configuration: configuration) } catch {
            throw V2GStartError(description: "ISO 15118 TLS: the SECC private key does not fit its certificate, or the key type is not ECDSA: \(error)")
        }
    }
}
