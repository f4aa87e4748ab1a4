import FoundationEssentials

/// Every fixed text of the web pages in English, German and Dutch (the seeds' languages: seeds/000 German,
/// seeds/004 Dutch, seeds/002 English), from `Resources/texts/<language>.json`: one flat object of `group.name` keys,
/// the gateway's `gw.` keys included. A key missing in a language falls back to English; a test checks that none is
/// missing. Menu names follow the seeds (seeds/000 "LASTMANAGEMENT", "AUTORISIERUNG", "SYSTEM").
public enum WebText {
    public static let languages = ["en", "de", "nl"]

    /// Each language's own texts, as its file has them.
    static let files: [String: [String: String]] = Dictionary(uniqueKeysWithValues: languages.map { language in
        (language, WebResources.json([String: String].self, "texts/\(language).json"))
    })

    /// Each language's own texts (English for unknown languages).
    static func own(_ language: String) -> [String: String] { files[language] ?? files["en"]! }

    /// Every language's table, built once: its own texts over English for missing keys.
    static let tables: [String: [String: String]] = Dictionary(uniqueKeysWithValues: languages.map { l in
        (l, own("en").merging(own(l)) { _, mine in mine })
    })

    /// The texts of one language (English for missing keys and unknown languages).
    public static func table(_ language: String) -> [String: String] { tables[language] ?? tables["en"]! }

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
