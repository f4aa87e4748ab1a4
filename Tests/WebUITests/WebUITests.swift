import Foundation
import Synchronization
import Testing
import ChargePoint
import Gateway
import MustacheTemplates
@testable import WebUI

/// Accounts in memory, for the login tests.
final class MemoryAccounts: AccountStore {
    let stored = Mutex<[String: Account]>([:])
    func loadAccounts() throws -> [Account] { stored.withLock { Array($0.values) } }
    func saveAccount(_ account: Account) throws { stored.withLock { $0[account.name] = account } }
    let logins = Mutex<[String: Date]>([:])
    func recordLogin(_ name: String, at: Date) throws { logins.withLock { $0[name] = at } }
    func lastLogins() throws -> [String: Date] { logins.withLock { $0 } }
    func resetAccount(_ account: Account, techInfo: String, at: Date) throws {
        try stored.withLock {
            guard $0[account.name] != nil else { throw AccountResetError.unknownAccount(account.name) }
            $0[account.name] = account
        }
    }
}

/// A clock the test moves.
final class TestClock: Sendable {
    let t = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { t.withLock { $0 } }
    func advance(_ seconds: Double) { t.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

@Suite("Web interface: accounts, lockout, texts, forms")
struct WebUITests {
    @Test("first start: one account per role with a random initial password; only bcrypt hashes are stored")
    func initialAccounts() async throws {
        let store = MemoryAccounts()
        let accounts = try WebAccounts(store: store)
        let created = try await accounts.createMissingAccounts()
        #expect(created.map(\.name) == ["operator", "installer", "manufacturer"])
        #expect(Set(created.map(\.password)).count == 3 && created.allSatisfy { $0.password.count == 12 })
        let saved = try store.loadAccounts()
        #expect(saved.allSatisfy { $0.passwordHash.hasPrefix("$2") && $0.mustChangePassword })
        #expect(!saved.contains { a in created.contains { a.passwordHash.contains($0.password) } })
        #expect(try await WebAccounts(store: store).createMissingAccounts().isEmpty, "a restart creates nothing")
    }

    @Test("three failed logins lock the account for that address for 30 s, doubling; another address still logs in")
    func lockout() async throws {
        let clock = TestClock()
        let accounts = try WebAccounts(store: MemoryAccounts(), now: { clock.now })
        let password = try await accounts.createMissingAccounts().first { $0.name == "operator" }!.password
        let attacker = "192.0.2.7", owner = "192.0.2.20"
        #expect(try await accounts.login(name: "operator", password: "x", source: attacker) == .wrong)
        #expect(try await accounts.login(name: "operator", password: "x", source: attacker) == .wrong)
        #expect(try await accounts.login(name: "operator", password: "x", source: attacker) == .locked(until: clock.now.addingTimeInterval(30)))
        #expect(try await accounts.login(name: "operator", password: password, source: attacker) == .locked(until: clock.now.addingTimeInterval(30)))
        guard case .success(let session, let mustChange) = try await accounts.login(name: "operator", password: password, source: owner) else {
            Issue.record("the owner's address is not locked out by the attacker's failures"); return
        }
        #expect(mustChange)
        clock.advance(31)
        #expect(try await accounts.login(name: "operator", password: "x", source: attacker) == .locked(until: clock.now.addingTimeInterval(60)))
        clock.advance(61)
        guard case .success = try await accounts.login(name: "operator", password: password, source: attacker) else {
            Issue.record("the right password after the lockout"); return
        }
        #expect(try await accounts.login(name: "operator", password: "x", source: attacker) == .wrong, "a success resets the count")
        #expect(await accounts.session(session.token)?.account == "operator")
        clock.advance(WebAccounts.idleTimeout + 1)
        #expect(await accounts.session(session.token) == nil, "idle sessions end")
    }

    @Test("every source is rate limited, unknown names too; the limit refills")
    func rateLimit() async throws {
        let clock = TestClock()
        let accounts = try WebAccounts(store: MemoryAccounts(), now: { clock.now })
        _ = try await accounts.createMissingAccounts()
        for n in 0..<Int(LoginThrottle.burst) {
            #expect(try await accounts.login(name: "nobody\(n)", password: "x", source: "198.51.100.1") == .wrong)
        }
        let refused = try await accounts.login(name: "nobody", password: "x", source: "198.51.100.1")
        #expect(refused == .locked(until: clock.now.addingTimeInterval(LoginThrottle.refillSeconds)))
        #expect(try await accounts.login(name: "nobody", password: "x", source: "198.51.100.2") == .wrong, "other sources are not limited")
        clock.advance(LoginThrottle.refillSeconds)
        #expect(try await accounts.login(name: "nobody", password: "x", source: "198.51.100.1") == .wrong)
    }

    @Test("source keys: IPv4 as it is, IPv6 per /64, none as unknown", arguments: [
        ("192.0.2.1", "192.0.2.1"), ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"), ("2001:db8:1:2:bbbb:cccc:dddd:eeee", "2001:db8:1:2::/64"),
        ("2001:db8::1", "2001:db8:0:0::/64"), ("::1", "0:0:0:0::/64"), ("::ffff:192.0.2.9", "192.0.2.9"), ("::FFFF:10.0.0.1", "10.0.0.1"),
    ])
    func sourceKeys(address: String, key: String) {
        #expect(LoginThrottle.sourceKey(address) == key)
    }

    @Test("the throttle forgets the oldest sources beyond its bound")
    func throttleBound() {
        var t = LoginThrottle()
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        for n in 0..<(LoginThrottle.maximumEntries * 2) {
            _ = t.failed(account: "operator", source: "s\(n)", now: start.addingTimeInterval(Double(n) / 1000))
            _ = t.admit(source: "s\(n)", now: start.addingTimeInterval(Double(n) / 1000))
        }
        #expect(t.entryCounts.failures <= LoginThrottle.maximumEntries && t.entryCounts.buckets <= LoginThrottle.maximumEntries)
    }

    @Test("password change: old password, length, differs from the old, repeated; other sessions end")
    func passwordChange() async throws {
        let accounts = try WebAccounts(store: MemoryAccounts())
        let password = try await accounts.createMissingAccounts().first { $0.name == "installer" }!.password
        guard case .success(let s1, _) = try await accounts.login(name: "installer", password: password),
              case .success(let s2, _) = try await accounts.login(name: "installer", password: password) else {
            Issue.record("login"); return
        }
        func fails(_ old: String, _ new: String, _ repeated: String, field: String) async {
            do {
                try await accounts.changePassword(s1, old: old, new: new, repeated: repeated)
                Issue.record("accepted \(new)")
            } catch WebAccounts.PasswordChangeError.invalid(let f, _) {
                #expect(f == field)
            } catch { Issue.record("\(error)") }
        }
        await fails("wrong", "long-enough-1", "long-enough-1", field: "old")
        await fails(password, "short", "short", field: "new")
        await fails(password, password, password, field: "new")
        await fails(password, "long-enough-1", "long-enough-2", field: "repeat")
        try await accounts.changePassword(s1, old: password, new: "long-enough-1", repeated: "long-enough-1")
        #expect(await accounts.account("installer")?.mustChangePassword == false)
        #expect(await accounts.session(s1.token) != nil)
        #expect(await accounts.session(s2.token) == nil, "the other session ended")
    }

    @Test("every text exists in English, German and Dutch, and no language has a text English lacks")
    func catalogue() {
        for language in WebText.languages { #expect(WebText.missing(language).isEmpty, "\(language): \(WebText.missing(language))") }
        for language in WebText.languages { #expect(WebText.unknown(language).isEmpty, "\(language): \(WebText.unknown(language))") }
        #expect(WebText.languages.allSatisfy { !WebText.own($0).isEmpty })
    }

    @Test("a language's texts are built on its first use, once, and kept; an unknown language is English")
    func textsPerLanguage() async {
        let builds = Mutex<[String]>([])
        let tables = PerLanguage<String> { language in
            builds.withLock { $0.append(language) }
            return "texts of \(language)"
        }
        #expect(builds.withLock { $0 }.isEmpty, "nothing is built before a page asks")
        #expect(tables("de") == "texts of de" && tables("de") == "texts of de")
        #expect(tables("fr") == "texts of en" && tables("en") == "texts of en")
        #expect(builds.withLock { $0 } == ["de", "en"])
        await withTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { tables("nl") } }
            for await value in group { #expect(value == "texts of nl") }
        }
        #expect(builds.withLock { $0.filter { $0 == "nl" }.count } >= 1)
        #expect(WebText.table("xx") == WebText.table("en") && WebText.table("de")["login.heading"] != WebText.table("en")["login.heading"])
    }

    @Test("every parameter of the registry has its label and help text, and every section its name, in German and Dutch")
    func parameterCatalogue() throws {
        let registry = ParameterRegistry(connectorCount: 2)
        let keys = Set(registry.keys.map(\.definition.key)), sections = Set(registry.keys.map(\.definition.section))
        for language in ["de", "nl"] {
            let texts = try #require(WebText.parameterTexts(language)), names = try #require(WebText.sectionNames(language))
            #expect(keys.subtracting(texts.keys).isEmpty, "\(language) lacks \(keys.subtracting(texts.keys).sorted())")
            #expect(Set(texts.keys).subtracting(keys).isEmpty, "\(language) has texts of unknown keys \(Set(texts.keys).subtracting(keys).sorted())")
            #expect(sections.subtracting(names.keys).isEmpty, "\(language) lacks sections \(sections.subtracting(names.keys).sorted())")
            #expect(texts.values.allSatisfy { !$0.label.isEmpty && !$0.help.isEmpty })
        }
        #expect(WebText.parameterTexts("en") == nil, "English is the registry's own text")
    }

    @Test("seeds000 SMA-Schnittstelle: the German labels are the seed's own words, and translated choices name the registry's values")
    func seeds000_smaInterfaceTexts() throws {
        let de = try #require(WebText.parameterTexts("de"))
        #expect(["SMAInterface", "SMAChargeMode", "SMAFallbackCurrent", "SMAConnectionTimeout", "SMAMaxEnergyDemand"].map { de[$0]?.label }
                == ["SMA Schnittstelle", "SMA Lademodus", "SMA Strom bei Verbindungsausfall [A]", "SMA Zeit bis Verbindungsausfall [s]",
                    "SMA Höchstbedarf Energie [kWh]"])
        #expect(de["SMAChargeMode"]?.choices?["Surplus"] == "Überschussladen")
        #expect(WebText.parameterTexts("nl")?["SMAChargeMode"]?.choices?["Surplus"] == "Overschotladen")
        let registry = ParameterRegistry(connectorCount: 2)
        for language in ["de", "nl"] {
            for (key, text) in try #require(WebText.parameterTexts(language)) {
                guard let choices = text.choices else { continue }
                let definition = try #require(registry.keys.first { $0.definition.key == key }?.definition)
                guard case .choice(let values) = definition.type else { Issue.record("\(key) has choice texts but no choices"); continue }
                #expect(Set(choices.keys) == Set(values.map(\.value)), "\(language) \(key)")
            }
        }
    }

    @Test("form bodies: percent-encoding, plus as space, the first of repeated keys, empty values")
    func formData() {
        #expect(FormData.parse("a=1&b=x+y%21&c=&a=2&d") == ["a": "1", "b": "x y!", "c": "", "d": ""])
        #expect(FormData.parse("k=%E2%82%AC") == ["k": "€"])
    }

    @Test("multipart uploads: fields and a file by name; the closing boundary; no part without a name")
    func multipart() {
        #expect(MultipartForm.boundary("multipart/form-data; boundary=----x42") == "----x42")
        #expect(MultipartForm.boundary("application/x-www-form-urlencoded") == nil)
        let body = Array(("------x42\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc\r\n"
            + "------x42\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.csv\"\r\nContent-Type: text/csv\r\n\r\n"
            + "UID\r\n11223344\r\n\r\n------x42\r\nContent-Disposition: form-data\r\n\r\nnameless\r\n------x42--\r\n").utf8)
        #expect(MultipartForm.parse(body, boundary: "----x42") == ["csrf": "abc", "file": "UID\r\n11223344\r\n"])
        #expect(MultipartForm.parse(Array("garbage".utf8), boundary: "----x42").isEmpty)
    }

    @Test("every {{t.group.name}} of every template, station and gateway, names a text that exists (one dot: deeper keys cannot resolve)")
    func templateTexts() throws {
        // Each site's pages with the templates both sites share (layout, login, password, message, parameter form).
        func templates(_ site: String) -> [String] { WebTemplate.allCases.filter { ["shared", site].contains($0.folder) }.map(\.text) }
        let station = templates("station"), gateway = templates("gateway")
        #expect(station.count == 18 && gateway.count == 16, "every template of the site is checked")
        let reference = /\{\{[#^\/]?t\.([A-Za-z0-9.]+)\}\}/
        var checked = 0
        for (templates, table) in [(station, WebText.table("en")), (gateway, WebText.gatewayTable("en"))] {
            for text in templates {
                for match in text.matches(of: reference) {
                    let key = String(match.output.1)
                    #expect(key.split(separator: ".").count == 2, "\(key): a key with more than one dot does not resolve in a template")
                    #expect(table[key] != nil, "\(key) has no text")
                    checked += 1
                }
            }
        }
        #expect(checked > 100)
    }

    @Test("the gateway's texts: its own wording of the shared login texts, a label and help for every setting in every language")
    func gatewayTexts() {
        #expect(WebText.gatewayTable("en")["login.hint"]?.contains("gateway") == true)
        #expect(WebText.table("en")["login.hint"]?.contains("station") == true, "the station keeps its own")
        // The System page's shared cards (certificate, security log) in the gateway's words, in every language.
        for language in WebText.languages {
            let gateway = WebText.gatewayTable(language), station = WebText.table(language)
            for key in ["sys.securityLogHelp", "sys.certSelfSigned", "sys.certReset", "sys.certResetConfirm"] {
                #expect(gateway[key] != nil && gateway[key] != station[key], "\(language): \(key)")
            }
        }
        for language in WebText.languages {
            let t = WebText.gatewayTable(language)
            for f in GatewaySettings.fields {
                #expect(t["gw.field.\(f.key)"]?.isEmpty == false && t["gw.help.\(f.key)"]?.isEmpty == false, "\(language): \(f.key)")
            }
        }
    }

    @Test("the embedded resources: every template, the style sheet and the script, each without the newline ending its file")
    func embeddedResources() throws {
        #expect(WebTemplate.allCases.count == 26)
        for template in WebTemplate.allCases {
            #expect(!template.text.isEmpty && !template.text.hasSuffix("\n"), "\(template)")
            #expect(EmbeddedWebResources.files["templates/\(template.folder)/\(template.rawValue).mustache"] == template.text)
        }
        #expect(WebTemplate.layout.text.contains("<!DOCTYPE html>\n<html lang=\"{{lang}}\">"))
        #expect(WebResources.css.hasPrefix(":root {") && WebResources.css.hasSuffix("}"))
        #expect(WebResources.js.hasPrefix("// ChargeKit web interface") && WebResources.js.hasSuffix("})();"))
        for site in ["station", "gateway"] { _ = try WebResources.library(folders: ["shared", site]) }
    }

    @Test("page models: a property by its name, nested values, a nil optional resolves in the enclosing context, t and identity over the model")
    func pageModels() throws {
        struct Row { var name: String; var note: String? }
        struct Page: PageModel {
            var template: WebTemplate { .message }
            var note: String
            var rows: [Row]
            var missing: String?
            var identity = "not the site's"
        }
        let library = try TemplateLibrary(texts: ["message": "{{identity}}|{{t.nav.home}}|{{#rows}}{{name}}={{note}};{{/rows}}|{{^missing}}none{{/missing}}"])
        let page = Page(note: "page", rows: [Row(name: "a", note: "own"), Row(name: "b", note: nil)])
        let context = PageContext(model: page, t: ["nav": ["home": "Home"]], identity: "CK-1")
        #expect(library.render(context, template: "message") == "CK-1|Home|a=own;b=page;|none")
    }
}
