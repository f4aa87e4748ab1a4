import Foundation
import Testing
import ChargePoint
import Gateway
@testable import WebUI

/// Issue 21 item 3: the gateway's settings pages come from its registry's declarations.
@Suite("Gateway settings pages from the registry")
struct GatewaySettingsPageTests {
    @Test("the declarations' English label and help are the page's English texts")
    func englishTexts() {
        let t = WebText.gatewayTable("en")
        for d in GatewayParameters.definitions {
            #expect(t["gw.field.\(d.key)"] == d.label, "\(d.key)")
            #expect(t["gw.help.\(d.key)"] == d.help, "\(d.key)")
        }
    }

    @Test("a number's or a choice's error names what its declaration allows, in the user's language")
    func errorMessages() throws {
        let t = WebText.gatewayTable("en")
        let heartbeat = try #require(GatewaySettings.fields.first { $0.key == "heartbeatIntervalSeconds" })
        #expect(GatewayWeb.allowed(heartbeat, t: t) == "10…86400 s")
        #expect(GatewayWeb.message(SettingProblem("heartbeatIntervalSeconds", "5 is outside 10…86400 s"), given: "5", t: t)
            == "'5' is not allowed. Allowed: 10…86400 s.")
        let parity = try #require(GatewaySettings.fields.first { $0.key == "rtuParity" })
        #expect(GatewayWeb.allowed(parity, t: t) == "none, even, odd")
        #expect(GatewayWeb.message(SettingProblem("externalURL", "External mode needs the central system's ws:// or wss:// URL"), given: "",
                                   t: t) == "External mode needs the central system's ws:// or wss:// URL", "a text's problem as the check words it")
    }
}
