#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import StringSupport
import HostServices
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The certificate and key of the HTTPS web interface and API (issue 23 item 2), in the certificate store's directory:
///
/// - `https-<role>/self-signed/chain.pem` and `key.pem`: the certificate the station (or gateway) made itself;
/// - `https-<role>/installed/chain.pem` and `key.pem`: the installer's own, with its chain; used while it is there.
///
/// `<role>` is `station` or `gateway`, since both roles may share a data directory. As with the charge point
/// credential, a pair becomes current in one step: both files are written (key 0600) into a new directory, which is
/// then renamed into place, so a crash never pairs a certificate with the wrong key. `chain.pem` is mode 0644: it is
/// public, and an installer or a client on the device may pin it (`curl --cacert`).
extension CertificateDirectory {
    /// Which of the two credentials.
    public enum WebServerKind: String, Sendable {
        case selfSigned = "self-signed"
        case installed
    }

    /// A certificate chain (leaf first) and its private key, both PEM.
    public struct WebServerCredential: Sendable, Equatable {
        public var chainPEM: String
        public var keyPEM: String
        public init(chainPEM: String, keyPEM: String) { self.chainPEM = chainPEM; self.keyPEM = keyPEM }
    }

    func webServerPath(role: String) -> String { path.pathAppending("https-\(role)") }

    /// The directory holding `kind`'s `chain.pem` and `key.pem`.
    public func webServerCredentialPath(role: String, _ kind: WebServerKind) -> String {
        webServerPath(role: role).pathAppending(kind.rawValue)
    }

    /// The stored credential of `kind`, nil when there is none (or only half of one).
    public func webServerCredential(role: String, _ kind: WebServerKind) throws -> WebServerCredential? {
        let dir = webServerCredentialPath(role: role, kind)
        return try locked {
            let chain = dir.pathAppending("chain.pem"), key = dir.pathAppending("key.pem")
            guard FileManager.default.fileExists(atPath: chain), FileManager.default.fileExists(atPath: key) else { return nil }
            return WebServerCredential(chainPEM: try read(chain), keyPEM: try read(key))
        }
    }

    /// Stores `credential` as `kind`, replacing the one before in one rename.
    public func saveWebServerCredential(_ credential: WebServerCredential, role: String, _ kind: WebServerKind) throws {
        try locked {
            let parent = webServerPath(role: role)
            try makeDirectory(path)
            try makeDirectory(parent)
            let target = webServerCredentialPath(role: role, kind)
            let fresh = target + ".new-\(getpid())", old = target + ".old-\(getpid())"
            try? FileManager.default.removeItem(atPath: fresh)
            try? FileManager.default.removeItem(atPath: old)
            try makeDirectory(fresh)
            try writeAtomically(credential.chainPEM, to: fresh.pathAppending("chain.pem"), mode: 0o644)
            try writeAtomically(credential.keyPEM, to: fresh.pathAppending("key.pem"), mode: 0o600)
            let hadOne = FileManager.default.fileExists(atPath: target)
            if hadOne, rename(target, old) != 0 { throw Failure(description: "cannot replace \(target): \(String(cString: strerror(errno)))") }
            guard rename(fresh, target) == 0 else {
                let why = String(cString: strerror(errno))
                if hadOne { _ = rename(old, target) }
                throw Failure(description: "cannot install \(target): \(why)")
            }
            syncDirectory(parent)
            try? FileManager.default.removeItem(atPath: old)
            syncDirectory(parent)
        }
    }

    /// Removes the installer's credential (back to the self-signed one); false when there was none.
    @discardableResult
    public func removeWebServerCredential(role: String, _ kind: WebServerKind) throws -> Bool {
        try locked {
            let target = webServerCredentialPath(role: role, kind)
            guard FileManager.default.fileExists(atPath: target) else { return false }
            try FileManager.default.removeItem(atPath: target)
            syncDirectory(webServerPath(role: role))
            return true
        }
    }
}
