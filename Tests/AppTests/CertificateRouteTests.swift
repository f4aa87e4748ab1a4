import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Testing
import NIOFoundationCompat
import PKI
import Runtimes
@testable import WebUI

/// The HTTPS certificate on the System page and through the API (issue 23 item 2), in process.
@Suite("Router: the HTTPS certificate card and /api/system/certificate")
struct CertificateRouteTests {
    static let auth = APIParityTests.auth

    /// A certificate of the installer's own (self-signed, another name) with its key.
    static func issued() throws -> (leaf: String, key: String) {
        let key = ChargePointKey.generate()
        return (try WebServerCertificate.makeSelfSigned(key: key, names: .init(commonName: "wallbox.example"), now: Date()), key.pem)
    }

    static func body(_ fields: [String: String]) throws -> ByteBuffer {
        ByteBuffer(data: try JSONSerialization.data(withJSONObject: fields))
    }

    @Test("API: a refused upload names its field and changes nothing; an accepted one is served; DELETE goes back")
    func apiUploadAndReset() async throws {
        let h = try await RouterHarness()
        let own = h.certificates.fingerprint
        let (leaf, key) = try Self.issued()
        let ca = ""
        try await h.app.test(.router) { client in
            let status = try await client.execute(uri: "/api/system/certificate", method: .get, headers: Self.auth)
            #expect(status.status == .ok && APIParityTests.object(status)["fingerprintSHA256"] as? String == own)
            #expect(APIParityTests.object(status)["kind"] as? String == "self-signed")
            let wrongKey = try await client.execute(uri: "/api/system/certificate", method: .put, headers: Self.auth,
                                                    body: Self.body(["certificate": leaf, "chain": ca, "privateKey": ChargePointKey.generate().pem]))
            #expect(wrongKey.status == .badRequest && APIParityTests.object(wrongKey)["field"] as? String == "privateKey")
            let missing = try await client.execute(uri: "/api/system/certificate", method: .put, headers: Self.auth, body: Self.body(["certificate": leaf]))
            #expect(missing.status == .badRequest && APIParityTests.object(missing)["field"] as? String == "privateKey")
            #expect(h.certificates.fingerprint == own)
            let ok = try await client.execute(uri: "/api/system/certificate", method: .put, headers: Self.auth,
                                              body: Self.body(["certificate": leaf, "chain": ca, "privateKey": key]))
            #expect(ok.status == .ok && APIParityTests.object(ok)["kind"] as? String == "installed")
            #expect(h.certificates.fingerprint == (try WebServerCertificate.fingerprint(leaf)))
            let unauthorized = try await client.execute(uri: "/api/system/certificate", method: .delete)
            #expect(unauthorized.status == .unauthorized)
            let reset = try await client.execute(uri: "/api/system/certificate", method: .delete, headers: Self.auth)
            #expect(reset.status == .ok && APIParityTests.object(reset)["fingerprintSHA256"] as? String == own)
        }
    }

    @Test("System page: everyone sees the fingerprint; the installer uploads (a refusal shown in the form), the operator may not")
    func systemPageCard() async throws {
        let h = try await RouterHarness()
        let (leaf, key) = try Self.issued()
        let ca = ""
        try await h.app.test(.router) { client in
            var operatorBrowser = try await client.loggedIn("operator", h)
            let seen = try await client.send(&operatorBrowser, .get, "/menu/system")
            let page = String(buffer: seen.body)
            #expect(page.contains(h.certificates.fingerprint) && !page.contains(#"id="cert-upload""#))
            let refused = try await client.send(&operatorBrowser, .post, "/system/certificate/reset", form: [:])
            #expect(refused.status == .forbidden)

            var installer = try await client.loggedIn("installer", h)
            let card = String(buffer: try await client.send(&installer, .get, "/menu/system").body)
            #expect(card.contains(#"id="cert-upload""#) && card.contains(#"enctype="multipart/form-data""#))
            func upload(_ key: String) async throws -> TestResponse {
                let boundary = "ck-boundary-1"
                var text = ""
                for (name, value) in [("csrf", installer.csrf), ("certificate", leaf), ("chain", ca), ("privateKey", key)] {
                    text += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(name).pem\"\r\n\r\n\(value)\r\n"
                }
                text += "--\(boundary)--\r\n"
                var headers = installer.cookieHeader
                headers[.contentType] = "multipart/form-data; boundary=\(boundary)"
                return try await client.execute(uri: "/system/certificate", method: .post, headers: headers, body: ByteBuffer(string: text))
            }
            let wrong = try await upload(ChargePointKey.generate().pem)
            #expect(wrong.status == .seeOther)
            let location = try #require(wrong.headers[.location])
            #expect(location.hasPrefix("/menu/system?certError=") && location.hasSuffix("#s-certificate"))
            let shown = String(buffer: try await client.send(&installer, .get, String(location.prefix { $0 != "#" })).body)
            #expect(shown.contains(#"id="cert-error""#) && shown.contains("Private key (PEM): the private key does not belong to the certificate"))
            let right = try await upload(key)
            #expect(right.headers[.location] == "/menu/system?certChanged=1#s-certificate")
            let after = String(buffer: try await client.send(&installer, .get, "/menu/system?certChanged=1").body)
            #expect(after.contains(try WebServerCertificate.fingerprint(leaf)) && after.contains(#"id="cert-reset""#))
        }
    }
}
