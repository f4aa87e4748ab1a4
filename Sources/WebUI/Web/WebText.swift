import FoundationEssentials
import Synchronization

/// Every fixed text of the web pages in English, German and Dutch (the seeds' languages: seeds/000 German,
/// seeds/004 Dutch, seeds/002 English), from `Resources/texts/<language>.json`: one flat object of `group.name` keys,
/// the gateway's `gw.` keys included. A key missing in a language falls back to English; a test checks that none is
/// missing. Menu names follow the seeds (seeds/000 "LASTMANAGEMENT", "AUTORISIERUNG", "SYSTEM").
public enum WebText {
    public static let languages = ["en", "de", "nl"]

    /// Each language's own texts, as its file has them (decoded on each call: only the tables below and the catalogue
    /// tests ask for them); English for unknown languages.
    static func own(_ language: String) -> [String: String] {
        WebResources.json([String: String].self, "texts/\(languages.contains(language) ? language : "en").json")
    }

    /// Every language's table: its own texts over English for missing keys, built on the language's first use and kept.
    /// Not all three at start: a station's pages are mostly shown in one language, and the three tables with their
    /// decoded files held about 0.5 MiB of heap from start-up on, whether a page was ever shown or not (issue 31 item 2).
    static let tables = PerLanguage { l in own("en").merging(own(l)) { _, mine in mine } }

    /// The texts of one language (English for missing keys and unknown languages).
    public static func table(_ language: String) -> [String: String] { tables(language) }

    /// Keys that a language lacks (for the catalogue test).
    public static func missing(_ language: String) -> [String] {
        let mine = own(language)
        return own("en").keys.filter { mine[$0] == nil }.sorted()
    }

    /// Keys that a language has and English has not: texts no page asks for (for the catalogue test).
    static func unknown(_ language: String) -> [String] {
        let english = own("en")
        return own(language).keys.filter { english[$0] == nil }.sorted()
    }

    // MARK: Gateway

    /// The shared texts the gateway words differently (the station's say "station").
    static let gatewayWording = ["login.hint": "gw.loginHint", "login.locked": "gw.loginLocked", "error.csrf": "gw.csrf", "nav.home": "gw.diagnostic",
                                 "sys.securityLogHelp": "gw.securityLogHelp", "sys.certSelfSigned": "gw.certSelfSigned",
                                 "sys.certReset": "gw.certReset", "sys.certResetConfirm": "gw.certResetConfirm"]

    /// The gateway web interface's texts of one language.
    public static func gatewayTable(_ language: String) -> [String: String] {
        var t = table(language)
        for (shared, own) in gatewayWording { t[shared] = t[own] }
        return t
    }

    // MARK: Parameters

    /// German and Dutch labels, help texts and section names of the parameter registry, keyed by the parameter's base
    /// key (English is the registry's own text), from `Resources/texts/parameters.<language>.json`. Where the seeds
    /// show a label in their language it is used as they write it (seeds/000 LASTMANAGEMENT in German, seeds/004 §1.4
    /// tab Load Management in Dutch). A test checks that every registry parameter and section has both.
    struct ParameterCatalogue: Sendable, Decodable {
        var sections: [String: String]
        var parameters: [String: ParameterText]
    }

    /// A parameter's label and help text in one language, and where the seeds name a choice in that language (seeds/000
    /// "SMA Lademodus: Überschussladen"), the choices' labels by value.
    struct ParameterText: Sendable, Decodable {
        var label: String
        var help: String
        var choices: [String: String]?
    }

    static let parameterCatalogues: [String: ParameterCatalogue] = Dictionary(uniqueKeysWithValues: languages.filter { $0 != "en" }.map { language in
        (language, WebResources.json(ParameterCatalogue.self, "texts/parameters.\(language).json"))
    })

    /// The parameters' texts of `language` (nil for English, the registry's own).
    static func parameterTexts(_ language: String) -> [String: ParameterText]? { parameterCatalogues[language]?.parameters }

    /// Section names of `language` (nil for English).
    static func sectionNames(_ language: String) -> [String: String]? { parameterCatalogues[language]?.sections }
}

/// A value per web language (``WebText/languages``; English for any other), built by `build` on the language's first
/// use and kept for the process's life. Two first uses at the same time may both build it; the first one stored is
/// kept and returned to both.
final class PerLanguage<Value: Sendable>: Sendable {
    private let build: @Sendable (String) -> Value
    private let values = Mutex<[String: Value]>([:])

    init(_ build: @escaping @Sendable (String) -> Value) { self.build = build }

    func callAsFunction(_ language: String) -> Value {
        let key = WebText.languages.contains(language) ? language : "en"
        if let value = values.withLock({ $0[key] }) { return value }
        let built = build(key)  // outside the lock: decoding a file takes milliseconds
        return values.withLock { values in
            if let stored = values[key] { return stored }
            values[key] = built
            return built
        }
    }
}
