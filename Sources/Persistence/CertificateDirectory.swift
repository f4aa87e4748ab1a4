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
import Synchronization
import ChargePoint
import OCPP16

/// The station's ``CertificateStore`` as files under the data directory (`certificates/`), OCPP 1.6 security whitepaper
/// ed. 3 A02/A03 and M03–M05:
///
/// - `roots/<use>/<n>.pem`: the installed root certificates of each use, `n` counting up (oldest first);
/// - `chargepoint/<n>/chain.pem` and `key.pem`: a charge point credential; the highest `n` is in use, the one below it
///   is the previous one kept as fallback, older ones are removed;
/// - `chargepoint/pending-key.pem`: the key of the last CSR, waiting for its CertificateSigned;
/// - `roots/V2GRootCertificate/`, `roots/MORootCertificate/` and `secc/` (with its own `pending-key.pem`): the same
///   for ISO 15118 Plug & Charge (OCA application note "Using ISO 15118 Plug & Charge with OCPP 1.6" v1.0), the SECC
///   credential being the TLS server's of ISO 15118-2.
///
/// Files rather than a table of the station database: the key must be a file of its own (mode 0600) anyway, and a
/// credential — chain and key — becomes current in one step by renaming its complete directory into place, so a crash
/// never leaves a certificate paired with the wrong key. Certificates are public and small; an installer can look at
/// them with openssl. Every file is written to a temporary name, synced and renamed (atomic), the directories synced.
/// Keys and the directory are private to the station's user (0600/0700). Nothing here goes into the diagnostics
/// archive (built from the database and the parameters only), the API or the log.
public final class CertificateDirectory: CertificateStore {
    public let path: String
    private let lock = Mutex(())

    /// The store in `dataDirectory`/certificates (created when needed, mode 0700).
    public init(dataDirectory: String) { path = dataDirectory.pathAppending("certificates") }

    private var rootsPath: String { path.pathAppending("roots") }
    private var chargePointPath: String { path.pathAppending("chargepoint") }
    private var seccPath: String { path.pathAppending("secc") }
    private func pendingKeyPath(_ credentialPath: String) -> String { credentialPath.pathAppending("pending-key.pem") }
    private func rootsPath(_ use: CertificateUse) -> String { rootsPath(named: use.rawValue) }
    private func rootsPath(named name: String) -> String { rootsPath.pathAppending(name) }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    // MARK: CertificateStore

    public func rootCertificates(_ use: CertificateUse) throws -> [String] { try roots(rootsPath(use)) }

    private func roots(_ dir: String) throws -> [String] {
        try locked { try numbered(dir, suffix: ".pem").map { try read($0.path) } }
    }

    public func chargePointCredential() throws -> ChargePointCredential? {
        try locked { try credentials().last.map(credential) }
    }

    public func previousChargePointCredential() throws -> ChargePointCredential? {
        try locked {
            let all = try credentials()
            return all.count >= 2 ? try credential(all[all.count - 2]) : nil
        }
    }

    public func installRootCertificate(_ pem: String, use: CertificateUse) throws { try installRoot(pem, in: rootsPath(use)) }

    private func installRoot(_ pem: String, in dir: String) throws {
        try locked {
            try makeDirectory(dir)
            let next = (try numbered(dir, suffix: ".pem").last?.number ?? 0) + 1
            try writeAtomically(pem, to: dir.pathAppending(name(next) + ".pem"), mode: 0o644)
        }
    }

    public func deleteRootCertificate(_ pem: String, use: CertificateUse) throws -> Bool { try deleteRoot(pem, in: rootsPath(use)) }

    private func deleteRoot(_ pem: String, in dir: String) throws -> Bool {
        try locked {
            guard let file = try numbered(dir, suffix: ".pem").first(where: { (try? read($0.path)) == pem }) else { return false }
            try remove(file.path)
            syncDirectory(dir)
            return true
        }
    }

    public func pendingPrivateKey() throws -> String? { try pendingKey(chargePointPath) }

    private func pendingKey(_ credentialPath: String) throws -> String? {
        let file = pendingKeyPath(credentialPath)
        return try locked { FileManager.default.fileExists(atPath: file) ? try read(file) : nil }
    }

    public func savePendingPrivateKey(_ pem: String) throws { try savePendingKey(pem, chargePointPath) }

    private func savePendingKey(_ pem: String, _ credentialPath: String) throws {
        try locked {
            try makeDirectory(credentialPath)
            try writeAtomically(pem, to: pendingKeyPath(credentialPath), mode: 0o600)
        }
    }

    public func installChargePointCertificate(chainPEM: String) throws { try installCredential(chainPEM, chargePointPath) }

    // MARK: ISO 15118

    public func iso15118RootCertificates(_ use: ISO15118RootUse) throws -> [String] { try roots(rootsPath(named: use.rawValue)) }
    public func installISO15118RootCertificate(_ pem: String, use: ISO15118RootUse) throws { try installRoot(pem, in: rootsPath(named: use.rawValue)) }
    public func deleteISO15118RootCertificate(_ pem: String, use: ISO15118RootUse) throws -> Bool {
        try deleteRoot(pem, in: rootsPath(named: use.rawValue))
    }
    public func seccCredential() throws -> ChargePointCredential? { try locked { try credentials(seccPath).last.map(credential) } }
    public func pendingSECCPrivateKey() throws -> String? { try pendingKey(seccPath) }
    public func savePendingSECCPrivateKey(_ pem: String) throws { try savePendingKey(pem, seccPath) }
    public func installSECCCertificate(chainPEM: String) throws { try installCredential(chainPEM, seccPath) }

    /// Makes the signed chain with the pending key the credential in use under `base` (the charge point's or the
    /// SECC's); only it and the one it replaced stay.
    private func installCredential(_ chainPEM: String, _ base: String) throws {
        let keyFile = pendingKeyPath(base)
        try locked {
            guard FileManager.default.fileExists(atPath: keyFile) else { throw Failure(description: "no key is pending") }
            let existing = try credentials(base)
            let next = (existing.last?.number ?? 0) + 1
            // The credential is complete in a temporary directory before it is renamed into place.
            let temporary = base.pathAppending(".new-\(getpid())")
            try? FileManager.default.removeItem(atPath: temporary)
            try makeDirectory(temporary)
            try writeAtomically(chainPEM, to: temporary.pathAppending("chain.pem"), mode: 0o644)
            try writeAtomically(try read(keyFile), to: temporary.pathAppending("key.pem"), mode: 0o600)
            guard rename(temporary, base.pathAppending(name(next))) == 0 else {
                throw Failure(description: "installing the credential failed: \(String(cString: strerror(errno)))")
            }
            try remove(keyFile)
            syncDirectory(base)
            // Only the new credential and the one it replaced stay.
            for old in existing.dropLast() { try? FileManager.default.removeItem(atPath: old.path) }
            syncDirectory(base)
        }
    }

    // MARK: Files

    func locked<T>(_ body: () throws -> T) throws -> T {
        // Mutex wants a `sending` result; the value only leaves the lock, no other thread sees it inside.
        nonisolated(unsafe) var result: Result<T, any Error>?
        lock.withLock { _ in result = Result { try body() } }
        return try result!.get()
    }

    /// `n` in eight digits (`00000001`), so that the names sort as the numbers do.
    private func name(_ n: Int) -> String {
        let digits = String(n)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// The entries of `dir` named by a number (and `suffix`), in order.
    private func numbered(_ dir: String, suffix: String) throws -> [(number: Int, path: String)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return names.compactMap { n -> (Int, String)? in
            guard n.hasSuffix(suffix), let number = Int(n.dropLast(suffix.count)) else { return nil }
            return (number, dir.pathAppending(n))
        }.sorted { $0.0 < $1.0 }
    }

    private func credentials(_ base: String? = nil) throws -> [(number: Int, path: String)] { try numbered(base ?? chargePointPath, suffix: "") }

    private func credential(_ entry: (number: Int, path: String)) throws -> ChargePointCredential {
        ChargePointCredential(certificateChainPEM: try read(entry.path.pathAppending("chain.pem")),
                              privateKeyPEM: try read(entry.path.pathAppending("key.pem")))
    }

    func read(_ file: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: file), let text = String(validating: Array(data), as: UTF8.self) else {
            throw Failure(description: "cannot read \(file)")
        }
        return text
    }

    func makeDirectory(_ dir: String) throws {
        do { try SystemFile.createDirectory(dir, mode: 0o700) } catch { throw Failure(description: "cannot create \(error)") }
    }

    func remove(_ file: String) throws {
        guard unlink(file) == 0 || errno == ENOENT else { throw Failure(description: "cannot remove \(file): \(String(cString: strerror(errno)))") }
    }

    /// Writes `text` to a temporary file created with `mode` (never readable by others, not even for a moment), syncs
    /// it and renames it over `file`, then syncs the directory (HostServices' `SystemFile.write`).
    func writeAtomically(_ text: String, to file: String, mode: mode_t) throws {
        do { try SystemFile.write(text, to: file, mode: mode) } catch {
            throw Failure(description: "cannot write \(file): \(error.reason)")
        }
    }

    func syncDirectory(_ dir: String) { SystemFile.syncDirectory(dir) }
}
