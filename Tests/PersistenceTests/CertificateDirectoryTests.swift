import Foundation
import Testing
import ChargePoint
import OCPP16
import Persistence

/// The station's certificate store on disk (security whitepaper ed. 3 A02/A03, M03–M05): durable, the private keys
/// in files of mode 0600, a credential installed whole.
@Suite struct CertificateDirectoryTests {
    static func directory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ck-certstore-\(UUID().uuidString)").path
    }

    static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test func whitepaper_M05_rootsAreDurableInOrder() throws {
        let data = Self.directory()
        let store = CertificateDirectory(dataDirectory: data)
        try store.installRootCertificate("ROOT A", use: .centralSystemRootCertificate)
        try store.installRootCertificate("ROOT B", use: .centralSystemRootCertificate)
        try store.installRootCertificate("MANUFACTURER", use: .manufacturerRootCertificate)
        // A new store on the same directory (a restart) reads the same.
        let again = CertificateDirectory(dataDirectory: data)
        #expect(try again.rootCertificates(.centralSystemRootCertificate) == ["ROOT A", "ROOT B"])
        #expect(try again.rootCertificates(.manufacturerRootCertificate) == ["MANUFACTURER"])
        #expect(try again.deleteRootCertificate("ROOT A", use: .centralSystemRootCertificate))
        #expect(try !again.deleteRootCertificate("ROOT A", use: .centralSystemRootCertificate))
        try again.installRootCertificate("ROOT C", use: .centralSystemRootCertificate)
        #expect(try store.rootCertificates(.centralSystemRootCertificate) == ["ROOT B", "ROOT C"])
    }

    /// A02.FR.04: the private key never leaves the station — its own file, mode 0600, in a directory of mode 0700,
    /// written atomically (no temporary file left behind); the credential and the previous one as fallback.
    @Test func whitepaper_A02_keyFileMode0600AndPreviousCredential() throws {
        let data = Self.directory()
        let store = CertificateDirectory(dataDirectory: data)
        #expect(try store.chargePointCredential() == nil && store.pendingPrivateKey() == nil)
        #expect(throws: (any Error).self) { try store.installChargePointCertificate(chainPEM: "CHAIN") }
        try store.savePendingPrivateKey("KEY 1")
        let pending = data + "/certificates/chargepoint/pending-key.pem"
        #expect(try Self.mode(pending) == 0o600)
        #expect(try Self.mode(data + "/certificates") == 0o700)
        try store.installChargePointCertificate(chainPEM: "CHAIN 1")
        #expect(try store.chargePointCredential() == ChargePointCredential(certificateChainPEM: "CHAIN 1", privateKeyPEM: "KEY 1"))
        #expect(try store.pendingPrivateKey() == nil && store.previousChargePointCredential() == nil)
        try store.savePendingPrivateKey("KEY 2")
        try store.installChargePointCertificate(chainPEM: "CHAIN 2")
        try store.savePendingPrivateKey("KEY 3")
        try store.installChargePointCertificate(chainPEM: "CHAIN 3")
        let again = CertificateDirectory(dataDirectory: data)
        #expect(try again.chargePointCredential() == ChargePointCredential(certificateChainPEM: "CHAIN 3", privateKeyPEM: "KEY 3"))
        #expect(try again.previousChargePointCredential() == ChargePointCredential(certificateChainPEM: "CHAIN 2", privateKeyPEM: "KEY 2"))
        let entries = try FileManager.default.contentsOfDirectory(atPath: data + "/certificates/chargepoint").sorted()
        #expect(entries == ["00000002", "00000003"], "only the credential in use and its fallback stay; no temporary files")
        for entry in entries {
            #expect(try Self.mode(data + "/certificates/chargepoint/\(entry)/key.pem") == 0o600)
        }
        // The key is nowhere but in its files (not in the chain file).
        #expect(try !String(contentsOfFile: data + "/certificates/chargepoint/00000003/chain.pem", encoding: .utf8).contains("KEY"))
    }
}
