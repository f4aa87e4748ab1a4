import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import ChargePoint
@testable import App
@testable import Runtimes

/// seeds/004 §7.2 (case 3) and §7.3 on the web form (issue 29 item 9): with a single feed line the installation limit is
/// one value for the station; the Installation page refuses two values with the rule named and stores nothing.
@Suite("Installation form: single feed line installation limit")
struct SingleFeedLineFormTests {
    @Test("seeds004 7.3: two installation limits on one feed line are a form error naming the rule; one value changes both")
    func seeds004_7_3_formRefusesTwoInstallationLimits() async throws {
        let h = try await RouterHarness(connectors: 2, preset: ["SingleFeedLine": .bool(true)])
        try await h.app.test(.router) { client in
            var b = try await client.loggedIn("installer", h)
            let operatorLimits = try await client.send(&b, .post, "/menu/load-management",
                                                       form: ["OperatorCurrentLimit.1": "16", "OperatorCurrentLimit.2": "16"])
            #expect(operatorLimits.status == .seeOther)
            let bad = try await client.send(&b, .post, "/menu/installation",
                                            form: ["InstallationCurrentLimit.1": "20", "InstallationCurrentLimit.2": "24"])
            #expect(bad.status == .badRequest)
            #expect(String(buffer: bad.body).contains("one value for the whole station"))
            #expect(try await h.value("InstallationCurrentLimit.1") == "32", "nothing saved")
            let ok = try await client.send(&b, .post, "/menu/installation", form: ["InstallationCurrentLimit.1": "20"])
            #expect(ok.status == .seeOther)
            #expect(try await h.value("InstallationCurrentLimit.2") == "20", "connector 2 follows")
        }
    }
}
