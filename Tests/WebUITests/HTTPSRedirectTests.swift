import Foundation
import Testing
@testable import WebUI

/// Issue 23 item 2: where plain HTTP is sent, who is answered on it, and the policy every answer carries.
@Suite struct HTTPSRedirectTests {
    @Test func theDeviceItselfIsAnsweredOnHTTP() {
        #expect(HTTPSRedirect.isOwnMachine(remote: "127.0.0.1", local: "127.0.0.1"))
        #expect(HTTPSRedirect.isOwnMachine(remote: "127.8.9.1", local: "0.0.0.0"))
        #expect(HTTPSRedirect.isOwnMachine(remote: "::1", local: "::1"))
        #expect(HTTPSRedirect.isOwnMachine(remote: "::ffff:127.0.0.1", local: "::ffff:127.0.0.1"))
        #expect(HTTPSRedirect.isOwnMachine(remote: "192.168.1.20", local: "192.168.1.20"), "the station on its own LAN address")
        #expect(!HTTPSRedirect.isOwnMachine(remote: "192.168.1.21", local: "192.168.1.20"))
        #expect(!HTTPSRedirect.isOwnMachine(remote: "fe80::1", local: "fe80::2"))
        #expect(!HTTPSRedirect.isOwnMachine(remote: nil, local: "192.168.1.20"))
    }

    @Test func redirectKeepsHostPathAndQueryOnTheHTTPSPort() {
        #expect(HTTPSRedirect.location(host: "192.168.1.20:8080", connectedTo: "192.168.1.20", path: "/menu/system", query: "a=1", port: 8443)
            == "https://192.168.1.20:8443/menu/system?a=1")
        #expect(HTTPSRedirect.location(host: "wallbox.local", connectedTo: nil, path: "/", query: nil, port: 443) == "https://wallbox.local/")
        #expect(HTTPSRedirect.location(host: "[fd00::2]:80", connectedTo: nil, path: "/x", query: nil, port: 8443) == "https://[fd00::2]:8443/x")
        // A Host header that is no name falls back to the address connected to; a non-canonical path to /.
        #expect(HTTPSRedirect.location(host: "evil.example/x?", connectedTo: "10.0.0.5", path: "/", query: nil, port: 8443)
            == "https://10.0.0.5:8443/")
        #expect(HTTPSRedirect.location(host: nil, connectedTo: "fd00::2", path: "//evil.example/", query: nil, port: 8443) == "https://[fd00::2]:8443/")
    }

    @Test func contentSecurityPolicyForbidsInlineScriptAndFraming() {
        let csp = WebSecurityHeaders.contentSecurityPolicy
        for directive in ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"] {
            #expect(csp.contains(directive), "\(directive)")
        }
        #expect(!csp.contains("unsafe"))
    }

    /// The templates keep to the policy: no inline script, no event handler attribute, no style attribute or element.
    @Test func templatesHaveNoInlineScriptOrStyle() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/WebUI/Resources/templates")
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL }
            .filter { $0.pathExtension == "mustache" } ?? []
        #expect(files.count > 15)
        let inline = try Regex(#"<script(?![^>]*\ssrc=)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=|<style|javascript:"#).ignoresCase()
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(text.firstMatch(of: inline) == nil, "\(file.lastPathComponent)")
        }
    }
}
