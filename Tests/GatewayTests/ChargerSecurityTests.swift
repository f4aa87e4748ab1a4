import Foundation
import PKI
import Testing
@testable import Gateway

/// The gateway's admission of chargers on security profiles 1–3 (OCPP 1.6 security whitepaper ed. 3 §2, A00.FR.2xx for
/// HTTP Basic, A00.FR.4xx for client certificates) and what it keeps of them (issue 28 item 5).
@Suite struct ChargerSecurityTests {
    /// Made once with openssl (P-256, valid 2026-12-05 … 2126-11-11): a CA and client certificates with CN A and B.
    static let caPEM = """
-----BEGIN CERTIFICATE-----
MIIBgjCCASegAwIBAgIUWur5nHZnOqnTLo1nbicd3OhlClowCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKRml4dHVyZSBDQTAgFw0yNjEyMDUyMDAxMDlaGA8yMTI2MTEx
MTIwMDEwOVowFTETMBEGA1UEAwwKRml4dHVyZSBDQTBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABJNRoo805bHOD9ls1YIzReeRlZYDzIYj+ZBbD9eM3SAtsEDtyMOP
z3DvmGUV1Hx5L+xnkfBaSnwhbdJMtsqQDhijUzBRMB0GA1UdDgQWBBRL1ACFM4ct
CwrJMTE4SskfvycMSjAfBgNVHSMEGDAWgBRL1ACFM4ctCwrJMTE4SskfvycMSjAP
BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQDvw4HbF3oaZq4bCdWq
VUYTmx/DM/jmde6Na4O51XXSAQIhAPBHeyr1L4ie5zTVBV+GmY94rSWJxNOAzk4y
gny13Y1M
-----END CERTIFICATE-----
"""
    static let leafA = [UInt8](Data(base64Encoded: "MIIBKjCB0gIUbaQgPfTHJhQDkXfcsWWxfgitkhQwCgYIKoZIzj0EAwIwFTETMBEGA1UEAwwKRml4dHVyZSBDQTAgFw0yNjEyMDUyMDAxMDlaGA8yMTI2MTExMTIwMDEwOVowGjEMMAoGA1UECgwDQ1BPMQowCAYDVQQDDAFBMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE47Z76dyO3pfBDkB1UtOl0tL+jSvL9Gfu5jsHgi0y263OMJEuA+CKGDj0y532g93VpV5CmRC42svuyyU1pXHjMDAKBggqhkjOPQQDAgNHADBEAiA2+r1Bj9a+9MkkuKUfN02tmzwd/DrAK+Rl7shg6j2GBgIgWc7PmTsrHGW3yN8A27WcCDhx2asCUMRdyOPpS3ZFiAQ=")!)
    static let leafB = [UInt8](Data(base64Encoded: "MIIBKzCB0gIUbaQgPfTHJhQDkXfcsWWxfgitkhUwCgYIKoZIzj0EAwIwFTETMBEGA1UEAwwKRml4dHVyZSBDQTAgFw0yNjEyMDUyMDAxMTBaGA8yMTI2MTExMTIwMDExMFowGjEMMAoGA1UECgwDQ1BPMQowCAYDVQQDDAFCMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEBZ/t8srCi2tS9obcly8aoGo5OvnJRYqW9pS/KTf0vPl8+I+bKMmT/l9nXhCls5nnMyFLSg293KygWxfz+IuLnzAKBggqhkjOPQQDAgNIADBFAiBWz2B54pAj6FyIpe1pfB5kdq0YN2aLIv/zfsPS5j0jvwIhALZGhPmGWXyQpakg9U7D1di0YcoTiBN1dRDsrQwQP4kK")!)
    static let now = Date(timeIntervalSince1970: 1_900_000_000)  // 2030

    static func settings(_ profile: ChargerSecurityProfile, acceptUnconfigured: Bool = false) -> GatewaySettings {
        var s = GatewaySettings()
        s.chargers = [ChargerEntry(id: "A", slot: 0, connectors: 1, passwordHash: "$2b$10$hashOfA"), ChargerEntry(id: "B", slot: 1, connectors: 1)]
        s.ocppSecurityProfile = profile.rawValue
        s.acceptUnconfiguredChargers = acceptUnconfigured
        return s
    }

    static func basic(_ user: String, _ password: String) -> String { "Basic " + Data("\(user):\(password)".utf8).base64EncodedString() }

    @Test func whitepaper_A00_FR_202_basicHeaderParsed() {
        #expect(BasicCredentials(header: Self.basic("CP1", "pa:ss")) == nil ? false : true)
        let c = BasicCredentials(header: Self.basic("CP1", "pa:ss"))
        #expect(c?.user == "CP1" && c?.password == Array("pa:ss".utf8))
        #expect(BasicCredentials(header: "Bearer abc") == nil)
        #expect(BasicCredentials(header: "Basic !!!") == nil)
        #expect(BasicCredentials(header: "Basic " + Data("nocolon".utf8).base64EncodedString()) == nil)
        #expect(BasicCredentials(header: "Basic " + String(repeating: "A", count: 2000)) == nil)
    }

    @Test func whitepaper_A00_FR_204_hexKeyAndDecodedBytesAreTheSamePassword() {
        let hex = "4F43415F4F4354545F61646D696E5F74657374"  // "OCA_OCTT_admin_test"
        #expect(ChargerPassword.canonical(hex) == hex.lowercased())
        #expect(ChargerPassword.candidates(Array(hex.utf8)) == [hex.lowercased()])
        #expect(ChargerPassword.candidates(Array("OCA_OCTT_admin_test".utf8)) == ["OCA_OCTT_admin_test", hex.lowercased()])
        #expect(ChargerPassword.canonical("a plain passphrase") == "a plain passphrase")
        #expect(ChargerPassword.problem("short") != nil && ChargerPassword.problem("sixteen-chars-ok") == nil)
        #expect(ChargerPassword.problem("sixteen-chars\u{7}ok") != nil)
    }

    @Test func whitepaper_A00_FR_2xx_profiles1and2AskForThePasswordOfTheURLsChargerID() {
        for profile in [ChargerSecurityProfile.basic, .tlsBasic] {
            let a = ChargerAdmission(Self.settings(profile))
            func decide(_ id: String, _ header: String?, connected: Bool = false) -> ChargerAdmission.Decision {
                a.decide(id, connected: connected, credentials: PresentedCredentials(authorization: header), now: Self.now)
            }
            // 17 bytes: also tried as the hex of its bytes (a charger that decoded a hex AuthorizationKey).
            #expect(decide("A", Self.basic("A", "secret-password-1"))
                    == .verifyPassword(hash: "$2b$10$hashOfA", candidates: ["secret-password-1", "7365637265742d70617373776f72642d31"]))
            #expect(decide("A", Self.basic("A", "a-passphrase-longer-than-20")) == .verifyPassword(hash: "$2b$10$hashOfA", candidates: ["a-passphrase-longer-than-20"]))
            #expect(decide("A", nil) == .refuse(.init(cause: .credentials("no HTTP Basic credentials (security profile \(profile.rawValue) needs the charger's password)"),
                                                       status: 401, reason: "no HTTP Basic credentials (security profile \(profile.rawValue) needs the charger's password)")))
            #expect(decide("A", Self.basic("B", "x")) == .refuse(a.unauthorized("A", "the Basic user name 'B' is not the ChargerID 'A'")))
            #expect(decide("B", Self.basic("B", "x")) == .refuse(a.unauthorized("B", "no password is set for ChargerID 'B' on the gateway")))
            #expect(decide("Z", Self.basic("Z", "x")) == .refuse(a.unknownRefusal("Z")!), "an unknown ChargerID stays 404 for the scan")
            #expect(decide("A", Self.basic("A", "x"), connected: true) == .refuse(a.alreadyConnected("A")))
            #expect(decide("A", nil, connected: true) == .refuse(a.unauthorized("A", "no HTTP Basic credentials (security profile \(profile.rawValue) needs the charger's password)")),
                    "no 409 without credentials: a stranger does not learn that the charger is connected")
            #expect(a.wrongPassword("A") == .init(cause: .credentials("wrong password"), status: 401, reason: "wrong password"))
        }
        // Profile 0 does not look at credentials.
        let none = ChargerAdmission(Self.settings(.none))
        #expect(none.decide("B", connected: false, credentials: PresentedCredentials(), now: Self.now) == .accept)
    }

    @Test func whitepaper_A00_FR_4xx_profile3ClientCertificateChainedToTheCAWithTheChargerIDAsCN() throws {
        let check = try ClientCertificateCheck(pem: Self.caPEM)
        let a = ChargerAdmission(Self.settings(.tlsClientCertificate), clientCertificates: check)
        func decide(_ id: String, _ chain: [[UInt8]], now: Date = Self.now) -> ChargerAdmission.Decision {
            a.decide(id, connected: false, credentials: PresentedCredentials(authorization: Self.basic(id, "ignored"), clientCertificates: chain), now: now)
        }
        #expect(decide("A", [Self.leafA]) == .accept)
        #expect(decide("B", [Self.leafB]) == .accept, "no password is needed on profile 3")
        #expect(decide("B", [Self.leafA]) == .refuse(a.forbidden("B", "client certificate CN is 'A', not the ChargerID 'B'")))
        #expect(decide("A", []) == .refuse(a.forbidden("A", "no client certificate")))
        #expect(decide("A", [Self.leafA], now: Date(timeIntervalSince1970: 4_980_000_000)) == .refuse(a.forbidden("A", "the client certificate expired on 2126-11-11 20:01:09 UTC")))
        let foreign = ChargerAdmission(Self.settings(.tlsClientCertificate), clientCertificates: ClientCertificateCheck(trusted: []))
        guard case .refuse(let r) = foreign.decide("A", connected: false, credentials: PresentedCredentials(clientCertificates: [Self.leafA]), now: Self.now) else {
            Issue.record("a certificate of a CA that is not configured was accepted"); return
        }
        #expect(r.status == 403 && r.reason == "the client certificate is not signed by the configured CA (issuer CN=Fixture CA)" && r.cause.isScanned)
        // An unconfigured ChargerID admitted by "accept unconfigured" is vouched for by the CA.
        let any = ChargerAdmission(Self.settings(.tlsClientCertificate, acceptUnconfigured: true), clientCertificates: check)
        #expect(any.decide("A", connected: false, credentials: PresentedCredentials(clientCertificates: [Self.leafA]), now: Self.now) == .accept)
    }

    @Test func whitepaper_2_1_profileNeedsItsSettings() {
        var s = Self.settings(.tlsBasic)
        #expect(s.problems().map(\.field) == ["ocppTLSCertificateFile"])
        s.ocppTLSCertificateFile = "/c.pem"; s.ocppTLSKeyFile = "/k.pem"
        #expect(s.problems().isEmpty)
        s.ocppSecurityProfile = 3
        #expect(s.problems().map(\.field) == ["ocppClientCAFile"])
        s.ocppClientCAFile = "/ca.pem"
        #expect(s.problems().isEmpty)
        s.ocppSecurityProfile = 1
        #expect(s.problems().map(\.field) == ["ocppSecurityProfile"])
        s.ocppSecurityProfile = 4
        #expect(s.problems().map(\.field).contains("ocppSecurityProfile"))
    }

    @Test func passwordHashesAreNeverInTheProjectFileAndAnImportKeepsTheGatewaysOwn() throws {
        var s = Self.settings(.basic)
        let file = try GatewayProject.export(s)
        #expect(!file.contains("hashOfA") && !file.contains("\"passwordHash\""))
        #expect(file.contains(GatewayProject.chargerPasswordKey))
        // A file that carries a hash cannot set it; the gateway's own hash of the ChargerID stays.
        let forged = file.replacingOccurrences(of: "\"id\" : \"B\"", with: "\"id\" : \"B\", \"passwordHash\" : \"$2b$10$forged\"")
        #expect(forged != file)
        let back = try GatewayProject.read(Array(forged.utf8), keepingSecretsOf: s)
        #expect(back.charger(id: "A")?.passwordHash == "$2b$10$hashOfA" && back.charger(id: "B")?.passwordHash == nil)
        s.chargers[0].passwordHash = nil
        #expect(try GatewayProject.read(Array(file.utf8), keepingSecretsOf: s).charger(id: "A")?.passwordHash == nil)
    }

    @Test func refusedCredentialsAreScannedWithTheirReasonAndLogged() {
        var r = RefusedConnections()
        let t = Self.now
        r.record("A", .credentials("wrong password"), remoteAddress: "10.0.0.5", at: t)
        r.record("A", .credentials("wrong password"), remoteAddress: "10.0.0.5", at: t)
        r.record("Z", .unknown, remoteAddress: nil, at: t)
        let (attempts, uncounted) = r.drain()
        #expect(attempts.map(\.cause.scanReason) == ["wrong password", nil] && attempts.allSatisfy(\.cause.isScanned))
        let log = RefusedConnections.logEntries(attempts, uncounted: uncounted)
        #expect(log.contains { $0.charger == "A" && $0.message == "connection refused: wrong password (2×, from 10.0.0.5); listed in the OCPP scan" })
    }
}
