import Foundation
import ChargePoint
import OCPP16
import Persistence
import Testing

/// The security profiles of the OCPP 1.6 security whitepaper ed. 3 (§2, A01, A05) on the station's charge point.
@Suite("Security profiles (OCPP 1.6 security whitepaper ed. 3)")
struct SecurityProfileTests {
    static let key = "OCA_OCTT_admin_test_key"
    static let credential = ChargePointCredential(certificateChainPEM: "chain", privateKeyPEM: "key")

    static func backend(_ config: [(String, String)] = []) throws -> BackendSettings {
        var h = try ChargePointHarness(config: config)
        h.connect()
        return BackendSettings(h.parameters.values)
    }

    @Test("A05: the profile decides the scheme, the password, the client certificate, the trust and the cipher suites")
    func whitepaper_2_connectionPlanPerProfile() throws {
        let settings = try Self.backend([("AuthorizationKey", Self.key), ("SSLStrictnessAsClient", "EncryptOnly")])
        let url = "ws://cs.example.com/ocpp/CK-TEST-01"
        let none = BackendConnectionPlan.make(.none, settings: settings, connectionURL: url, centralSystemRoots: ["root"], credential: Self.credential)
        #expect(none.url == url && none.basicAuthPassword == Array(Self.key.utf8) && none.clientCredential == nil)
        #expect(none.trustRootsPEM.isEmpty && none.sslStrictness == "EncryptOnly" && !none.whitepaperCipherSuites)

        let one = BackendConnectionPlan.make(.basic, settings: settings, connectionURL: "wss://cs.example.com/x", centralSystemRoots: [], credential: nil)
        #expect(one.url == "ws://cs.example.com/x" && one.basicAuthPassword == Array(Self.key.utf8) && one.problem == nil)

        let two = BackendConnectionPlan.make(.tlsWithBasic, settings: settings, connectionURL: url, centralSystemRoots: ["root"], credential: Self.credential)
        #expect(two.url == "wss://cs.example.com/ocpp/CK-TEST-01" && two.basicAuthPassword == Array(Self.key.utf8))
        #expect(two.trustRootsPEM == ["root"] && two.sslStrictness == "Normal" && two.whitepaperCipherSuites && two.clientCredential == nil)

        let three = BackendConnectionPlan.make(.tlsWithClientCertificate, settings: settings, connectionURL: url, centralSystemRoots: ["root"],
                                               credential: Self.credential)
        #expect(three.url.hasPrefix("wss://") && three.basicAuthPassword == nil && three.clientCredential == Self.credential && three.problem == nil)
        #expect(BackendConnectionPlan.make(.tlsWithClientCertificate, settings: settings, connectionURL: url, centralSystemRoots: [],
                                           credential: nil).problem == "security profile 3 needs a charge point certificate, and none is installed")
        let short = try Self.backend([("AuthorizationKey", "short")])
        #expect(BackendConnectionPlan.make(.basic, settings: short, connectionURL: url, centralSystemRoots: [], credential: nil).problem
                == "security profile 1 needs an AuthorizationKey of 16 to 40 characters")
    }

    @Test("A05.FR.01–05: only upward, and only with the prerequisites installed")
    func whitepaper_A05_upgradeRules() {
        func refusal(_ from: Int, _ to: Int, key: String = Self.key, roots: Int = 1, cert: Bool = true) -> String? {
            SecurityProfilePolicy.upgradeRefusal(from: from, to: to, authorizationKey: key, centralSystemRoots: roots, hasChargePointCertificate: cert)
        }
        #expect(refusal(1, 2) == nil && refusal(0, 3) == nil && refusal(2, 3) == nil)
        #expect(refusal(2, 1) == "SecurityProfile can only be raised (it is 2)")
        #expect(refusal(2, 2) == "SecurityProfile can only be raised (it is 2)")
        #expect(refusal(0, 4) == "SecurityProfile must be 0 to 3")
        #expect(refusal(0, 1, key: "") == "profile 1 needs an AuthorizationKey of 16 to 40 characters")
        #expect(refusal(1, 2, roots: 0) == "profile 2 needs an installed CentralSystemRootCertificate")
        #expect(refusal(2, 3, cert: false) == "profile 3 needs a charge point certificate")
        #expect(refusal(2, 3, key: "") == nil)  // profile 3 uses no password
    }

    @Test("TC_084: a lower profile is rejected and nothing changes")
    func TC_084_downgradeRejected() throws {
        var h = try ChargePointHarness(config: [("AuthorizationKey", Self.key), ("SecurityProfile", "2")])
        try h.certificates.installRootCertificate("root", use: .centralSystemRootCertificate)
        h.connect()
        #expect(try h.call(ChangeConfigurationRequest(key: "SecurityProfile", value: "1")).status == .rejected)
        #expect(try h.call(ChangeConfigurationRequest(key: "SecurityProfile", value: "two")).status == .rejected)
        #expect(h.parameters.values[.securityProfile] == 2)
        #expect(try h.db.securityProfileFallback() == nil)
        #expect(try h.call(GetConfigurationRequest(key: ["SecurityProfile"])).configurationKey?.first?.value == "2")
    }

    @Test("TC_083: a raise is accepted when its prerequisites are installed, stored, and the previous profile recorded first")
    func TC_083_upgradeAccepted() throws {
        var h = try ChargePointHarness(config: [("AuthorizationKey", Self.key), ("SecurityProfile", "1")])
        h.connect()
        #expect(try h.call(ChangeConfigurationRequest(key: "SecurityProfile", value: "2")).status == .rejected)  // no CS root yet
        try h.certificates.installRootCertificate("root", use: .centralSystemRootCertificate)
        #expect(try h.call(ChangeConfigurationRequest(key: "securityprofile", value: "2")).status == .accepted)
        #expect(h.parameters.values[.securityProfile] == 2)
        #expect(try h.db.securityProfileFallback() == SecurityProfileFallback(previous: 1, target: 2))
        #expect(try h.call(ChangeConfigurationRequest(key: "SecurityProfile", value: "3")).status == .rejected)  // no certificate
        try h.certificates.savePendingPrivateKey("key")
        try h.certificates.installChargePointCertificate(chainPEM: "chain")
        #expect(try h.call(ChangeConfigurationRequest(key: "SecurityProfile", value: "3")).status == .accepted)
    }

    @Test("A00.FR.203: the backend's AuthorizationKey has 16 to 40 characters (TC_073's key is accepted)")
    func TC_073_authorizationKeyBounds() throws {
        var h = try ChargePointHarness()
        h.connect()
        #expect(try h.call(ChangeConfigurationRequest(key: "AuthorizationKey", value: "4F43415F4F4354545F61646D696E5F74657374")).status == .accepted)
        #expect(h.parameters.values[.authorizationKey] == "4F43415F4F4354545F61646D696E5F74657374")
        #expect(try h.call(ChangeConfigurationRequest(key: "AuthorizationKey", value: "fifteen-chars-x")).status == .rejected)
        #expect(try h.call(ChangeConfigurationRequest(key: "AuthorizationKey", value: String(repeating: "a", count: 41))).status == .rejected)
    }

    @Test("A05: three failed attempts with a raised profile return to the previous one; the record survives as text")
    func whitepaper_A05_fallbackAfterThreeFailures() {
        var f = SecurityProfileFallback(previous: 1, target: 2)
        let first = f.attemptFailed(), second = f.attemptFailed(), third = f.attemptFailed()
        #expect(!first && !second && third && f.failedAttempts == 3)
        #expect(SecurityProfileFallback(text: f.text) == f)
        #expect(SecurityProfileFallback(text: "1,9,0") == nil && SecurityProfileFallback(text: "garbage") == nil)
    }
}
