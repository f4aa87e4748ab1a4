import Crypto
import EEBUS
import Foundation
import HostServices
import Logging
import SwiftASN1
import Testing
import X509
@testable import Transport

/// The SHIP identity on disk and the listener's TLS as `openssl s_client` sees it (SHIP TS 1.0.1 §9.1: TLS 1.2, the
/// cipher suites ECDHE-ECDSA-AES128-SHA256 and ECDHE-ECDSA-AES128-GCM-SHA256, a client certificate required).
@Suite("SHIP TLS and identity", .serialized)
struct SHIPTLSTests {
    static func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "ship-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func theIdentityIsMadeOnceKeptWithAPrivateKeyFileAndCarriesItsSKI() throws {
        let dir = try Self.directory() + "/ship"
        let made = try SHIPIdentity.loadOrCreate(directory: dir, shipID: "ChargeKit-CK1-0001")
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/" + SHIPIdentity.keyFileName)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let loaded = try SHIPIdentity.loadOrCreate(directory: dir, shipID: "ChargeKit-CK1-0001")
        #expect(loaded.ski == made.ski)
        #expect(loaded.certificatePEM == made.certificatePEM)
        let certificate = try Certificate(pemEncoded: made.certificatePEM)
        #expect(try certificate.extensions.subjectKeyIdentifier.map { Array($0.keyIdentifier) } == made.ski.bytes)
        #expect(certificate.subject.description.contains("CN=ChargeKit-CK1-0001"))
        #expect(certificate.signatureAlgorithm == .ecdsaWithSHA256)
        #expect(certificate.notValidAfter.timeIntervalSinceNow > 9 * 365 * 86_400)
        // The SKI as openssl computes it from the key (RFC 5280 §4.2.1.2 method 1) is the same.
        #expect(try SHIPIdentity.ski(ofCertificateDER: try Self.der(certificate)) == made.ski)
        // A lost certificate is made again from the key: the SKI stays.
        try FileManager.default.removeItem(atPath: dir + "/" + SHIPIdentity.certificateFileName)
        #expect(try SHIPIdentity.loadOrCreate(directory: dir, shipID: "ChargeKit-CK1-0001").ski == made.ski)
        #expect(!made.description.contains("PRIVATE"))
    }

    @Test func aDamagedOrForeignFileIsAStartUpErrorNamingTheFile() throws {
        let dir = try Self.directory()
        _ = try SHIPIdentity.loadOrCreate(directory: dir, shipID: "a")
        let keyPath = dir + "/" + SHIPIdentity.keyFileName, certificatePath = dir + "/" + SHIPIdentity.certificateFileName
        let goodKey = try String(contentsOfFile: keyPath, encoding: .utf8)
        try "garbage".write(toFile: keyPath, atomically: true, encoding: .utf8)
        #expect { _ = try SHIPIdentity.loadOrCreate(directory: dir, shipID: "a") } throws: { error in
            "\(error)".contains("the SHIP key file \(keyPath) is damaged") && "\(error)".contains("paired again")
        }
        try goodKey.write(toFile: keyPath, atomically: true, encoding: .utf8)
        try SHIPIdentity.make(shipID: "b").certificatePEM.write(toFile: certificatePath, atomically: true, encoding: .utf8)
        #expect { _ = try SHIPIdentity.loadOrCreate(directory: dir, shipID: "a") } throws: { error in
            "\(error)".contains("\(certificatePath) does not belong to the key")
        }
        try FileManager.default.removeItem(atPath: keyPath)
        #expect { _ = try SHIPIdentity.loadOrCreate(directory: dir, shipID: "a") } throws: { error in
            "\(error)".contains("the SHIP key file \(keyPath) is missing")
        }
    }

    @Test func aCertificateClaimingAnotherSKIIsRefused() throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("impostor") }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: Date(), notValidAfter: Date() + 86_400,
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { SubjectKeyIdentifier(keyIdentifier: [UInt8](repeating: 7, count: 20)[...]) },
            issuerPrivateKey: .init(key))
        #expect { _ = try SHIPIdentity.ski(ofCertificateDER: try Self.der(certificate)) } throws: { error in
            "\(error)".contains("names the SKI 0707070707070707070707070707070707070707 but its key has the SKI")
        }
    }

    /// `openssl s_client` against the listener with the given options; the output of both streams.
    static func sClient(port: Int, _ options: [String], input: String = "") async throws -> (status: Int32, output: String) {
        let r = try await SystemCommand("/usr/bin/openssl", ["s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost"] + options)
            .run(input: input, timeoutSeconds: 20)
        return (r.status, r.stdout + r.stderr)
    }

    @Test func theListenerSpeaksTLS12WithTheSHIPSuitesOnlyAndRequiresAClientCertificate() async throws {
        let dir = try Self.directory()
        let clientIdentity = try SHIPIdentity.loadOrCreate(directory: dir, shipID: "openssl-client")
        let cert = ["-cert", dir + "/" + SHIPIdentity.certificateFileName, "-key", dir + "/" + SHIPIdentity.keyFileName]
        let server = try await SHIPNodeTests.start("station", listen: true, trusted: [clientIdentity.ski])
        let port = server.listenPort

        // The mandatory suite (SHIP TS 1.0.1 §9.1), which BoringSSL keeps only when named exactly.
        let cbc = try await Self.sClient(port: port, ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256"] + cert)
        #expect(cbc.output.contains("Cipher is ECDHE-ECDSA-AES128-SHA256"), "\(cbc.output)")
        let gcm = try await Self.sClient(port: port, ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"] + cert)
        #expect(gcm.output.contains("Cipher is ECDHE-ECDSA-AES128-GCM-SHA256"), "\(gcm.output)")

        // Other suites and TLS 1.3 only are refused in the handshake.
        for options in [["-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA"] + cert,
                        ["-tls1_3"] + cert] {
            let refused = try await Self.sClient(port: port, options)
            #expect(refused.status != 0, "accepted: \(options) \(refused.output)")
            #expect(refused.output.contains("Cipher is (NONE)") || refused.output.contains("alert"), "\(options): \(refused.output)")
        }
        // A client without a certificate: the server ends the handshake with an alert (TLS 1.2 client-side output may
        // already name the suite from the server's hello).
        let noCertificate = try await Self.sClient(port: port, ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA256"])
        #expect(noCertificate.status != 0 && noCertificate.output.contains("alert handshake failure"), "\(noCertificate.output)")
        #expect(server.node.status.isEmpty)
        await server.stop()
    }

    @Test func anUpgradeWithoutTheSHIPSubprotocolOrOnAnotherPathIsRefused() async throws {
        let dir = try Self.directory()
        _ = try SHIPIdentity.loadOrCreate(directory: dir, shipID: "openssl-client")
        let cert = ["-cert", dir + "/" + SHIPIdentity.certificateFileName, "-key", dir + "/" + SHIPIdentity.keyFileName]
        let server = try await SHIPNodeTests.start("station", listen: true)
        // curl offers TLS 1.2 with OpenSSL's default suites, among them the GCM one of SHIP.
        func upgrade(path: String, headers: [String]) async throws -> String {
            let arguments = ["-sk", "--http1.1", "-i", "--max-time", "10", "--cert", dir + "/" + SHIPIdentity.certificateFileName,
                             "--key", dir + "/" + SHIPIdentity.keyFileName, "-H", "Connection: Upgrade", "-H", "Upgrade: websocket",
                             "-H", "Sec-WebSocket-Version: 13", "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]
                + headers.flatMap { ["-H", $0] } + ["https://127.0.0.1:\(server.listenPort)\(path)"]
            let r = try await SystemCommand("/usr/bin/curl", arguments).run(timeoutSeconds: 20)
            return r.stdout + r.stderr + (r.succeeded ? "" : " (curl exit \(r.status))")
        }
        let noProtocol = try await upgrade(path: "/ship/", headers: [])
        #expect(noProtocol.hasPrefix("HTTP/1.1 400 Bad Request") && noProtocol.contains("the subprotocol ship is required"), "\(noProtocol)")
        let wrongPath = try await upgrade(path: "/other", headers: ["Sec-WebSocket-Protocol: ship"])
        #expect(wrongPath.hasPrefix("HTTP/1.1 404 Not Found"), "\(wrongPath)")
        let plain = try await SystemCommand("/usr/bin/curl", ["-sk", "-i", "--max-time", "10", "--cert", dir + "/" + SHIPIdentity.certificateFileName,
                                                              "--key", dir + "/" + SHIPIdentity.keyFileName, "https://127.0.0.1:\(server.listenPort)/ship/"])
            .run(timeoutSeconds: 20).stdout
        #expect(plain.hasPrefix("HTTP/1.1 426 Upgrade Required"), "\(plain)")
        #expect(server.node.status.isEmpty)
        await server.stop()
    }

    @Test func aPeerThatDoesNotAnswerPingsIsClosed() async throws {
        // openssl s_client opens the WebSocket and then stays silent: no CMI, and no pong to the station's pings.
        let dir = try Self.directory()
        let peer = try SHIPIdentity.loadOrCreate(directory: dir, shipID: "silent")
        let server = try await SHIPNodeTests.start("station", listen: true) { $0.pingInterval = .milliseconds(300) }
        let request = "GET /ship/ HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ship\r\n\r\n"
        let started = ContinuousClock.now
        let result = try await Self.sClient(port: server.listenPort, ["-tls1_2", "-ign_eof", "-quiet", "-cert", dir + "/" + SHIPIdentity.certificateFileName,
                                                                      "-key", dir + "/" + SHIPIdentity.keyFileName], input: request)
        #expect(result.output.contains("HTTP/1.1 101 Switching Protocols"), "\(result.output)")
        // Closed by the ping check (two periods), long before the 10 s of the connection mode initialisation.
        #expect(ContinuousClock.now - started < .seconds(8))
        await SHIPNodeTests.waitFor("the station reports the end") { !server.closedReasons(peer.ski).isEmpty }
        #expect(!server.closedReasons(peer.ski).contains { $0.contains("connection mode initialisation") }, "\(server.closedReasons(peer.ski))")
        await server.stop()
    }

    @Test func aClientWhoseCertificateClaimsAnotherSKIIsRefusedAtTheUpgrade() async throws {
        let server = try await SHIPNodeTests.start("station", listen: true)
        let victim = try SHIPIdentity.make(shipID: "paired-manager")
        server.node.setTrusted([victim.ski])
        // An impostor's own key in a certificate that names the paired manager's SKI.
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName("paired-manager") }
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey), notValidBefore: Date() - 3600, notValidAfter: Date() + 86_400,
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions { SubjectKeyIdentifier(keyIdentifier: victim.ski.bytes[...]) },
            issuerPrivateKey: .init(key))
        let dir = try Self.directory()
        try certificate.serializeAsPEM().pemString.write(toFile: dir + "/c.pem", atomically: true, encoding: .utf8)
        try key.pemRepresentation.write(toFile: dir + "/k.pem", atomically: true, encoding: .utf8)
        let r = try await SystemCommand("/usr/bin/curl", ["-sk", "--http1.1", "-i", "--max-time", "10", "--cert", dir + "/c.pem", "--key", dir + "/k.pem",
                                                          "-H", "Connection: Upgrade", "-H", "Upgrade: websocket", "-H", "Sec-WebSocket-Version: 13",
                                                          "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "-H", "Sec-WebSocket-Protocol: ship",
                                                          "https://127.0.0.1:\(server.listenPort)/ship/"]).run(timeoutSeconds: 20)
        #expect(r.stdout.hasPrefix("HTTP/1.1 403 Forbidden") && r.stdout.contains("names the SKI \(victim.ski) but its key has the SKI"), "\(r.stdout)")
        #expect(server.node.status.isEmpty)
        await server.stop()
    }
}
